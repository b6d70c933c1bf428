"""convkit.ops vs keras.ops (torch backend) with the same positional arguments. Skipped without keras."""
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import convkit  # noqa: E402
import reference as ref  # noqa: E402

kops = keras.ops

# keras's torch backend warns about numpy 2's __array__ copy keyword on every conversion; not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _np(t):
    return np.asarray(kops.convert_to_numpy(t))


def _close(got, expected, rtol=1e-5):
    expected = np.asarray(expected, np.float64)
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    assert float(np.abs(got - expected).max()) <= rtol * scale


def _rand(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# (x shape, kernel shape, strides, padding, dilation)
CONV = [
    ((2, 9, 3), (3, 3, 4), 1, "valid", 1),
    ((2, 10, 3), (4, 3, 4), 2, "same", 1),
    ((2, 7, 8, 3), (2, 2, 3, 5), 2, "same", 1),
    ((2, 8, 7, 4), (4, 4, 4, 2), 2, "same", 1),
    ((1, 9, 9, 4), (3, 3, 2, 6), 1, "same", 2),     # groups inferred = 2
    ((2, 11, 10, 3), (3, 2, 3, 4), (3, 2), "valid", 1),
    ((1, 5, 6, 4, 2), (2, 3, 2, 2, 3), 2, "same", 1),
]


@pytest.mark.parametrize("xs,ks,s,padding,d", CONV, ids=[str(c) for c in CONV])
def test_conv_parity(xs, ks, s, padding, d):
    x, k = _rand(1, *xs), _rand(2, *ks)
    _close(convkit.ops.conv(x, k, s, padding, None, d), _np(kops.conv(x, k, s, padding, None, d)))


DEPTHWISE = [
    ((2, 9, 3), (3, 3, 2), 1, "valid", 1),
    ((2, 10, 3), (4, 3, 1), 2, "same", 1),
    ((2, 7, 8, 3), (2, 2, 3, 2), 2, "same", 1),
    ((1, 9, 9, 4), (3, 3, 4, 1), 1, "same", 2),
]


@pytest.mark.parametrize("xs,ks,s,padding,d", DEPTHWISE, ids=[str(c) for c in DEPTHWISE])
def test_depthwise_and_separable_parity(xs, ks, s, padding, d):
    x, k = _rand(3, *xs), _rand(4, *ks)
    _close(convkit.ops.depthwise_conv(x, k, s, padding, None, d),
           _np(kops.depthwise_conv(x, k, s, padding, None, d)))
    rank = len(xs) - 2
    pw = _rand(5, *(1,) * rank, ks[-2] * ks[-1], 5)
    _close(convkit.ops.separable_conv(x, k, pw, s, padding, None, d),
           _np(kops.separable_conv(x, k, pw, s, padding, None, d)))


# (x shape, kernel shape, strides, padding, output_padding, dilation)
TRANSPOSE = [
    ((2, 5, 3), (3, 4, 3), 2, "valid", None, 1),
    ((2, 5, 3), (3, 4, 3), 2, "same", None, 1),
    ((2, 5, 3), (3, 4, 3), 2, "same", 1, 1),
    ((2, 5, 3), (4, 2, 3), 3, "valid", 2, 1),
    ((2, 5, 6, 3), (3, 3, 2, 3), 2, "same", 1, 1),
    ((2, 4, 5, 3), (4, 4, 2, 3), 2, "same", None, 1),
    ((2, 4, 5, 3), (2, 3, 2, 3), (2, 3), "valid", None, 1),
    ((1, 5, 5, 2), (3, 3, 2, 2), 1, "same", None, 2),
    ((1, 3, 4, 3, 2), (3, 2, 3, 2, 2), 2, "same", None, 1),
]


@pytest.mark.parametrize("xs,ks,s,padding,op,d", TRANSPOSE, ids=[str(c) for c in TRANSPOSE])
def test_conv_transpose_parity(xs, ks, s, padding, op, d):
    x, k = _rand(6, *xs), _rand(7, *ks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _np(kops.conv_transpose(x, k, s, padding, op, None, d))
    _close(convkit.ops.conv_transpose(x, k, s, padding, op, None, d), expected)


POOL = [
    ((2, 9, 3), 2, None, "valid"),
    ((2, 9, 3), 3, 2, "same"),
    ((2, 7, 8, 3), 2, 2, "same"),
    ((2, 7, 8, 3), (3, 2), (2, 1), "same"),
    ((2, 6, 6, 3), 4, 3, "same"),
    ((1, 5, 4, 6, 2), 2, 2, "same"),
    ((2, 7, 7, 2), 3, 2, "same"),            # symmetric 'same' pads: every backend agrees
    ((2, 5, 9, 2), (3, 5), 1, "same"),
]


def _asymmetric_same(xs, p, s):
    rank = len(xs) - 2
    p = ref.as_tuple(p, rank)
    s = p if s is None else ref.as_tuple(s, rank)
    return any(a != b for a, b in (ref.same_pads(n, k, st, 1) for n, k, st in zip(xs[1:-1], p, s)))


@pytest.mark.parametrize("xs,p,s,padding", POOL, ids=[str(c) for c in POOL])
def test_pool_parity(xs, p, s, padding):
    x = _rand(8, *xs)
    _close(convkit.ops.max_pool(x, p, s, padding), _np(kops.max_pool(x, p, s, padding)))
    got = convkit.ops.average_pool(x, p, s, padding)
    if padding == "same" and _asymmetric_same(xs, p, s) and keras.backend.backend() == "torch":
        # Keras's torch backend pads an uneven 'same' window by replicating edge cells and
        # averages them in (keras/src/backend/torch/nn.py, mode="replicate"); the TF/JAX/NumPy
        # backends -- Keras's documented rule -- average only the cells inside the input.
        _close(got, ref.average_pool(x, p, s, padding))
    else:
        _close(got, _np(kops.average_pool(x, p, s, padding)))



@pytest.mark.parametrize("xs,output_size,fmt", [
    ((2, 13, 3), 5, "channels_last"),
    ((2, 7, 9, 4), (3, 4), "channels_last"),
    ((2, 4, 12, 12), 6, "channels_first"),
    ((1, 3, 8, 2), (5, 2), "channels_last"),
    ((1, 5, 6, 7, 2), (2, 3, 3), "channels_last"),
])
def test_adaptive_pool_parity(xs, output_size, fmt):
    x = _rand(11, *xs)
    _close(convkit.ops.adaptive_average_pool(x, output_size, fmt),
           _np(kops.adaptive_average_pool(x, output_size, fmt)))
    _close(convkit.ops.adaptive_max_pool(x, output_size, fmt), _np(kops.adaptive_max_pool(x, output_size, fmt)))

def test_channels_first_parity():
    x, k = _rand(9, 2, 3, 8, 7), _rand(10, 3, 3, 3, 4)
    _close(convkit.ops.conv(x, k, 2, "same", "channels_first"), _np(kops.conv(x, k, 2, "same", "channels_first")))
    _close(convkit.ops.max_pool(x, 3, 2, "same", "channels_first"),
           _np(kops.max_pool(x, 3, 2, "same", "channels_first")))


def test_bilinear_upsampling_parity():
    x = _rand(11, 2, 3, 5, 2)
    layer = keras.layers.UpSampling2D((2, 3), interpolation="bilinear")
    _close(convkit.ops.upsample(x, (2, 3), "bilinear"), _np(layer(x)))
