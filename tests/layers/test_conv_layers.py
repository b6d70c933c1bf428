"""Convolution layers against the NumPy oracles: weight shapes as Keras, random configurations in
both data formats, compute_output_shape, count_params, the aliases and the module paths."""
import numpy as np
import pytest

import reference as ref
from layer_helpers import input_shape, random_weights, shapes, to_format, to_last

from convkit import layers
from convkit.layers import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                            Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                            SeparableConv2D)

CONV = {1: Conv1D, 2: Conv2D, 3: Conv3D}
CONVT = {1: Conv1DTranspose, 2: Conv2DTranspose, 3: Conv3DTranspose}
DEPTHWISE = {1: DepthwiseConv1D, 2: DepthwiseConv2D}
SEPARABLE = {1: SeparableConv1D, 2: SeparableConv2D}

SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}


def _run(layer, x, rng):
    layer.build(x.shape)
    weights = random_weights(layer, rng)
    y = layer(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + y.shape[1:]
    assert tuple(layer.compute_output_shape(x.shape)) == y.shape
    return y, weights


# ---------------------------------------------------------------- weight shapes exactly as Keras

@pytest.mark.parametrize("make, in_shape, expected", [
    (lambda: Conv2D(8, (3, 3)), (1, 6, 6, 4), [(3, 3, 4, 8), (8,)]),
    (lambda: Conv2D(8, 3, use_bias=False), (1, 6, 6, 4), [(3, 3, 4, 8)]),
    (lambda: Conv2D(6, 3, groups=2), (1, 6, 6, 4), [(3, 3, 2, 6), (6,)]),
    (lambda: Conv2D(5, (2, 3), data_format="channels_first"), (1, 4, 6, 6), [(2, 3, 4, 5), (5,)]),
    (lambda: Conv1D(7, 5), (2, 10, 3), [(5, 3, 7), (7,)]),
    (lambda: Conv3D(2, (1, 2, 3)), (1, 4, 4, 4, 3), [(1, 2, 3, 3, 2), (2,)]),
    (lambda: DepthwiseConv2D(3, depth_multiplier=2), (1, 6, 6, 5), [(3, 3, 5, 2), (10,)]),
    (lambda: DepthwiseConv1D(3), (1, 6, 5), [(3, 5, 1), (5,)]),
    (lambda: SeparableConv2D(7, 3, depth_multiplier=2), (1, 6, 6, 4),
     [(3, 3, 4, 2), (1, 1, 8, 7), (7,)]),
    (lambda: SeparableConv1D(7, 3), (1, 6, 4), [(3, 4, 1), (1, 4, 7), (7,)]),
    (lambda: Conv2DTranspose(8, 3), (1, 5, 5, 4), [(3, 3, 8, 4), (8,)]),
    (lambda: Conv1DTranspose(2, 4, use_bias=False), (1, 5, 3), [(4, 2, 3)]),
    (lambda: Conv3DTranspose(2, 2), (1, 3, 3, 3, 5), [(2, 2, 2, 2, 5), (2,)]),
])
def test_weight_shapes_and_count(make, in_shape, expected):
    layer = make()
    layer.build(in_shape)
    w = layer.get_weights()
    assert shapes(w) == expected
    assert all(a.dtype == np.float32 for a in w)
    assert layer.count_params() == sum(int(np.prod(s)) for s in expected)


def test_bias_initialised_to_zeros_kernel_not():
    layer = Conv2D(8, 3)
    layer.build((1, 6, 6, 4))
    kernel, bias = layer.get_weights()
    assert np.all(bias == 0)
    assert np.abs(kernel).max() > 0


def test_896_params():
    layer = Conv2D(filters=32, kernel_size=(3, 3), padding="same", activation="relu")
    layer.build((None, 28, 28, 3))
    assert layer.count_params() == 896


# ---------------------------------------------------------------- conv against the oracle

def _conv_cases(n=14, seed=11):
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        rank = [1, 2, 3][i % 3]
        fmt = ["channels_last", "channels_first"][(i // 3) % 2]
        paddings = ["valid", "same"] + (["causal"] if rank == 1 else [])
        padding = paddings[int(rng.integers(len(paddings)))]
        groups = int(rng.choice([1, 1, 2]))
        cin = groups * int(rng.integers(1, 4))
        filters = groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        if rng.random() < 0.5:
            strides, dilation = tuple(int(v) for v in rng.integers(1, 3, size=rank)), 1
        else:
            strides, dilation = 1, tuple(int(v) for v in rng.integers(1, 3, size=rank))
        act = rng.choice([None, "relu", "tanh", "sigmoid"])
        cases.append((rank, fmt, padding, groups, cin, filters, k, strides, dilation,
                      bool(rng.random() < 0.7), None if act is None else str(act)))
    # hand-picked: 'same' with stride 2 and even kernels, causal with dilation
    cases.append((2, "channels_last", "same", 1, 3, 4, (2, 4), 2, 1, True, None))
    cases.append((1, "channels_first", "causal", 1, 2, 3, (3,), 1, 2, True, "relu"))
    cases.append((1, "channels_last", "same", 1, 2, 3, (4,), 2, 1, False, None))
    return cases


@pytest.mark.parametrize("case", _conv_cases())
def test_conv_matches_oracle(case, rng, assert_close):
    rank, fmt, padding, groups, cin, filters, k, strides, dilation, use_bias, act = case
    layer = CONV[rank](filters, k, strides=strides, padding=padding, data_format=fmt,
                       dilation_rate=dilation, groups=groups, use_bias=use_bias, activation=act)
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], cin, fmt)).astype(np.float32)
    x_copy = x.copy()
    y, w = _run(layer, x, rng)
    expected = ref.conv(to_last(x, fmt), w[0], strides, padding, dilation, groups,
                        bias=w[1] if use_bias else None, activation_fn=act)
    assert_close(y, to_format(expected, fmt), rtol=1e-5)
    assert np.array_equal(x, x_copy), "the layer modified its input"


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_convolution_aliases(rank):
    alias = {1: layers.Convolution1D, 2: layers.Convolution2D, 3: layers.Convolution3D}[rank]
    layer = alias(2, 2)
    assert isinstance(layer, CONV[rank])
    assert isinstance(layers.Convolution2DTranspose(2, 2), Conv2DTranspose)


def test_module_paths():
    from convkit.layers import convolutional
    assert convolutional.Conv2D is Conv2D
    assert convolutional.DepthwiseConv2D is DepthwiseConv2D
    assert convolutional.Conv2DTranspose is Conv2DTranspose


# ---------------------------------------------------------------- depthwise / separable

@pytest.mark.parametrize("rank, fmt, k, strides, dilation, padding, mult, use_bias, act", [
    (2, "channels_last", 3, 1, 1, "valid", 1, True, None),
    (2, "channels_first", 3, 2, 1, "same", 2, True, "relu"),
    (2, "channels_last", (2, 3), 1, 2, "same", 3, False, None),
    (2, "channels_last", 2, 2, 1, "same", 1, True, "relu6"),
    (1, "channels_last", 3, 1, 1, "valid", 2, True, None),
    (1, "channels_first", 4, 2, 1, "same", 1, True, "tanh"),
    (1, "channels_last", 3, 1, 2, "valid", 1, False, None),
])
def test_depthwise_matches_oracle(rank, fmt, k, strides, dilation, padding, mult, use_bias, act,
                                  rng, assert_close):
    layer = DEPTHWISE[rank](k, strides=strides, padding=padding, depth_multiplier=mult,
                            data_format=fmt, dilation_rate=dilation, use_bias=use_bias,
                            activation=act)
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    y, w = _run(layer, x, rng)
    assert w[0].shape[-2:] == (3, mult)
    expected = ref.depthwise_conv(to_last(x, fmt), w[0], strides, padding, dilation,
                                  bias=w[1] if use_bias else None, activation_fn=act)
    assert_close(y, to_format(expected, fmt))


@pytest.mark.parametrize("rank, fmt, filters, k, strides, dilation, padding, mult, use_bias, act", [
    (2, "channels_last", 4, 3, 1, 1, "valid", 1, True, None),
    (2, "channels_first", 5, 3, 2, 1, "same", 2, True, "relu"),
    (2, "channels_last", 3, (3, 2), 1, 2, "same", 2, False, None),
    (1, "channels_last", 6, 3, 1, 1, "valid", 2, True, "sigmoid"),
    (1, "channels_first", 2, 4, 2, 1, "same", 1, True, None),
    (1, "channels_last", 2, 3, 1, 2, "same", 1, True, None),
])
def test_separable_matches_oracle(rank, fmt, filters, k, strides, dilation, padding, mult,
                                  use_bias, act, rng, assert_close):
    layer = SEPARABLE[rank](filters, k, strides=strides, padding=padding, depth_multiplier=mult,
                            data_format=fmt, dilation_rate=dilation, use_bias=use_bias,
                            activation=act)
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    y, w = _run(layer, x, rng)
    assert shapes(w)[:2] == [ref.as_tuple(k, rank) + (3, mult), (1,) * rank + (3 * mult, filters)]
    expected = ref.separable_conv(to_last(x, fmt), w[0], w[1], strides, padding, dilation,
                                  bias=w[2] if use_bias else None, activation_fn=act)
    assert_close(y, to_format(expected, fmt))


# ---------------------------------------------------------------- transposed convolution

@pytest.mark.parametrize("rank, fmt, filters, k, strides, padding, output_padding, dilation, use_bias", [
    (1, "channels_last", 3, 3, 1, "valid", None, 1, True),
    (1, "channels_last", 2, 3, 2, "same", None, 1, True),
    (1, "channels_first", 2, 4, 2, "valid", 1, 1, False),
    (1, "channels_last", 2, 3, 1, "same", None, 2, True),
    (2, "channels_last", 4, 3, 2, "same", None, 1, True),
    (2, "channels_last", 3, (2, 3), 2, "valid", None, 1, True),
    (2, "channels_first", 3, 3, 2, "same", 1, 1, True),
    (2, "channels_last", 2, 4, (2, 3), "same", (1, 2), 1, False),
    (2, "channels_first", 2, 2, 2, "same", None, 1, True),
    (3, "channels_last", 2, 2, 2, "valid", None, 1, True),
    (3, "channels_first", 2, 3, (1, 2, 2), "same", None, 1, True),
])
def test_conv_transpose_matches_oracle(rank, fmt, filters, k, strides, padding, output_padding,
                                       dilation, use_bias, rng, assert_close):
    layer = CONVT[rank](filters, k, strides=strides, padding=padding,
                        output_padding=output_padding, data_format=fmt, dilation_rate=dilation,
                        use_bias=use_bias)
    spatial = {1: (5,), 2: (4, 3), 3: (3, 2, 3)}[rank]
    x = rng.standard_normal(input_shape(2, spatial, 3, fmt)).astype(np.float32)
    y, w = _run(layer, x, rng)
    assert w[0].shape == ref.as_tuple(k, rank) + (filters, 3)
    expected = ref.conv_transpose(to_last(x, fmt), w[0], strides, padding, output_padding,
                                  dilation, bias=w[1] if use_bias else None)
    assert_close(y, to_format(expected, fmt))


def test_conv2d_transpose_stride2_doubles():
    layer = Conv2DTranspose(4, 3, strides=2, padding="same")
    assert tuple(layer.compute_output_shape((None, 8, 6, 3))) == (None, 16, 12, 4)
    layer = Conv2DTranspose(4, 3, strides=2, padding="valid")
    assert tuple(layer.compute_output_shape((None, 8, 6, 3))) == (None, 17, 13, 4)


# ---------------------------------------------------------------- any array-like input

def test_accepts_lists_ints_float64_noncontiguous(rng, assert_close):
    layer = Conv1D(2, 3)
    layer.build((None, 7, 2))
    w = random_weights(layer, rng)
    x = rng.standard_normal((3, 7, 4))[:, :, ::2]  # float64, non-contiguous
    expected = ref.conv(x, w[0], bias=w[1])
    assert_close(layer(x), expected)
    assert_close(layer(x.tolist()), expected)
    xi = rng.integers(-3, 4, size=(1, 7, 2))
    assert_close(layer(xi), ref.conv(xi, w[0], bias=w[1]))
    assert_close(layer(np.asfortranarray(x)), expected)


@pytest.mark.parametrize("make, shape", [
    (lambda: Conv2D(5, 3, padding="same", activation="relu"), (2, 6, 7, 3)),
    (lambda: SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2), (1, 7, 6, 3)),
    (lambda: Conv2DTranspose(3, 3, strides=2, padding="same"), (1, 4, 5, 2)),
])
def test_layers_on_every_isa(make, shape, isa, rng, assert_close):
    """The same layer gives the oracle's numbers on every kernel path this CPU has."""
    layer = make()
    x = rng.standard_normal(shape).astype(np.float32)
    y, w = _run(layer, x, rng)
    if isinstance(layer, SeparableConv2D):
        expected = ref.separable_conv(x, w[0], w[1], 2, "same", bias=w[2])
    elif isinstance(layer, Conv2DTranspose):
        expected = ref.conv_transpose(x, w[0], 2, "same", bias=w[1])
    else:
        expected = ref.conv(x, w[0], padding="same", bias=w[1], activation_fn="relu")
    assert_close(y, expected)
