"""convkit._prepared (kernels packed once) against the NumPy oracle and, bitwise, against the
matching convkit.ops call, on every ISA path; packing follows the ISA path when it changes."""
import numpy as np
import pytest

import convkit
from convkit import ops
from convkit._prepared import PreparedConv, PreparedConvTranspose, PreparedDense, PreparedDepthwise
import reference as ref

# (input shape channels-last, kernel shape, kwargs)
CONV_CASES = [
    ((1, 8, 8, 1), (3, 3, 1, 1), {}),
    ((2, 9, 7, 3), (3, 3, 3, 17), dict(padding="same", activation="relu")),
    ((1, 12, 12, 40), (3, 3, 40, 33), dict(padding="same", strides=2, activation="relu6")),
    ((1, 6, 6, 150), (3, 3, 150, 40), dict(padding="same")),  # K = 1350: tile im2col + packed GEMM
    ((3, 11, 10, 8), (3, 3, 4, 12), dict(groups=2, dilation_rate=(1, 2), activation="gelu")),
    ((3, 11, 10, 8), (3, 2, 4, 12), dict(groups=2, strides=(2, 1), activation="elu")),
    ((2, 16, 16, 24), (1, 1, 24, 40), dict(activation="silu")),  # 1x1
    ((2, 30, 5), (5, 5, 7), dict(padding="causal", dilation_rate=2)),  # 1D
    ((1, 4, 5, 6, 4), (2, 3, 3, 4, 9), dict(padding="same", activation="tanh")),  # 3D
    ((0, 5, 5, 2), (3, 3, 2, 3), {}),  # empty batch
]


def _arrays(rng, xshape, kshape, with_bias=True):
    x = rng.standard_normal(xshape).astype(np.float32)
    k = (rng.standard_normal(kshape) / np.sqrt(np.prod(kshape[:-1]))).astype(np.float32)
    b = rng.standard_normal(kshape[-1]).astype(np.float32) if with_bias else None
    return x, k, b


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
@pytest.mark.parametrize("with_bias", [True, False])
def test_prepared_conv_matches_ops_and_oracle(isa, rng, assert_close, case, with_bias):
    xshape, kshape, kw = CONV_CASES[case]
    x, k, b = _arrays(rng, xshape, kshape, with_bias)
    prep = PreparedConv(k, b, **kw)
    got = prep(x)
    np.testing.assert_array_equal(got, ops.conv(x, k, bias=b, **kw))
    act = kw.get("activation")
    oracle_kw = {n: v for n, v in kw.items() if n != "activation"}
    want = ref.conv(x, k, bias=b, activation_fn=act, **oracle_kw)
    assert_close(got, want, rtol=1e-4)
    # A second call with the cached geometry, and another input shape.
    np.testing.assert_array_equal(prep(x), got)
    if xshape[0] > 0:
        x2 = x[:1].copy()
        np.testing.assert_array_equal(prep(x2), ops.conv(x2, k, bias=b, **kw))


@pytest.mark.parametrize("algorithm", ["direct", "gemm"])
def test_prepared_conv_algorithms_and_channels_first(isa, rng, algorithm):
    x, k, b = _arrays(rng, (2, 4, 10, 9), (3, 3, 4, 20))
    kw = dict(padding="same", data_format="channels_first", algorithm=algorithm, activation="relu")
    np.testing.assert_array_equal(PreparedConv(k, b, **kw)(x), ops.conv(x, k, bias=b, **kw))


def test_prepared_conv_follows_isa_changes(rng):
    isas = convkit.available_isas()
    x, k, b = _arrays(rng, (1, 10, 10, 16), (3, 3, 16, 24))
    before = convkit.cpu_info()["isa"]
    try:
        convkit._set_isa(isas[0])
        prep = PreparedConv(k, b, padding="same", algorithm="gemm")
        dense = PreparedDense(k.reshape(-1, 24), b, "relu")
        a = rng.standard_normal((7, 144)).astype(np.float32)
        for name in isas + isas[::-1]:
            convkit._set_isa(name)
            np.testing.assert_array_equal(prep(x), ops.conv(x, k, padding="same", bias=b, algorithm="gemm"))
            np.testing.assert_array_equal(dense(a), ops.dense(a, k.reshape(-1, 24), b, "relu"))
            assert prep._packed.is_current and dense._packed.is_current
    finally:
        convkit._set_isa(before)


def test_prepared_conv_threads_bitwise(rng):
    x, k, b = _arrays(rng, (1, 30, 30, 32), (3, 3, 32, 48))
    prep = PreparedConv(k, b, padding="same")
    n = convkit.get_num_threads()
    try:
        convkit.set_num_threads(1)
        one = prep(x)
        for t in (2, 3, 5):
            convkit.set_num_threads(t)
            np.testing.assert_array_equal(prep(x), one)
    finally:
        convkit.set_num_threads(n)


def test_prepared_conv_bad_arguments(rng):
    x, k, b = _arrays(rng, (1, 8, 8, 4), (3, 3, 4, 6))
    with pytest.raises(ValueError):
        PreparedConv(k, b[:3])
    with pytest.raises(ValueError):
        PreparedConv(k, padding="full")
    with pytest.raises(ValueError):
        PreparedConv(k, groups=4)  # 6 filters not divisible by 4
    with pytest.raises(ValueError):
        PreparedConv(k, algorithm="fft")
    prep = PreparedConv(k, b)
    with pytest.raises(ValueError):
        prep(x[..., :3])  # wrong channels
    with pytest.raises(ValueError):
        prep(x[0])  # wrong rank
    with pytest.raises(ValueError):
        prep(x[:, :2, :2])  # output size <= 0
    # the input is never modified, and any array-like works
    x0 = x.copy()
    np.testing.assert_array_equal(prep(x.astype(np.float64)), ops.conv(x, k, bias=b))
    np.testing.assert_array_equal(x, x0)


def _check_prepared(prep, x, kw, via_ops, oracle, assert_close):
    """prep(x) is bitwise via_ops(x), close to the oracle (on channels-last arrays) unless x is
    empty, and the same again from the cached geometry and for a one-sample input."""
    got = prep(x)
    np.testing.assert_array_equal(got, via_ops(x))
    if x.shape[0] == 0:
        return
    cf = kw.get("data_format") == "channels_first"
    want = oracle(ref.to_channels_last(x) if cf else x)
    assert_close(got, ref.to_channels_first(want) if cf else want, rtol=1e-4)
    np.testing.assert_array_equal(prep(x), got)
    x2 = x[:1].copy()
    np.testing.assert_array_equal(prep(x2), via_ops(x2))


# (input shape as passed, kernel shape (k..., in, multiplier), kwargs)
DW_CASES = [
    ((1, 8, 8, 16), (3, 3, 16, 1), {}),
    ((2, 9, 7, 5), (3, 3, 5, 2), dict(padding="same", activation="relu6")),
    ((1, 14, 14, 40), (3, 3, 40, 1), dict(padding="same", strides=2, activation="gelu")),  # not fused
    ((2, 12, 10, 24), (5, 5, 24, 1), dict(padding="same", dilation_rate=(2, 1), activation="silu")),
    ((2, 30, 7), (5, 7, 1), dict(padding="same", strides=3)),  # 1D
    ((1, 4, 6, 5, 3), (2, 3, 3, 3, 2), dict(padding="same", activation="tanh")),  # 3D
    ((2, 6, 9, 8), (3, 3, 6, 1), dict(padding="same", data_format="channels_first", activation="relu")),
    ((0, 5, 5, 2), (3, 3, 2, 1), {}),  # empty batch
]


@pytest.mark.parametrize("case", range(len(DW_CASES)))
@pytest.mark.parametrize("with_bias", [True, False])
def test_prepared_depthwise_matches_ops_and_oracle(isa, rng, assert_close, case, with_bias):
    xshape, kshape, kw = DW_CASES[case]
    x = rng.standard_normal(xshape).astype(np.float32)
    k = rng.standard_normal(kshape).astype(np.float32)
    b = rng.standard_normal(kshape[-2] * kshape[-1]).astype(np.float32) if with_bias else None
    _check_prepared(PreparedDepthwise(k, b, **kw), x, kw, lambda xi: ops.depthwise_conv(xi, k, bias=b, **kw),
                    lambda xl: ref.depthwise_conv(xl, k, kw.get("strides", 1), kw.get("padding", "valid"),
                                                  kw.get("dilation_rate", 1), b, kw.get("activation")),
                    assert_close)


def test_prepared_depthwise_bad_arguments(rng):
    x = rng.standard_normal((1, 8, 8, 4)).astype(np.float32)
    k = rng.standard_normal((3, 3, 4, 2)).astype(np.float32)
    with pytest.raises(ValueError, match="bias"):
        PreparedDepthwise(k, np.zeros(4, np.float32))  # 8 output channels
    with pytest.raises(ValueError, match="padding"):
        PreparedDepthwise(k, padding="causal")  # 2D
    with pytest.raises(ValueError, match="rank"):
        PreparedDepthwise(k, rank=4)
    prep = PreparedDepthwise(k)
    with pytest.raises(ValueError, match="channels"):
        prep(x[..., :3])
    with pytest.raises(ValueError, match="rank 4"):
        prep(x[0])
    with pytest.raises(ValueError, match="output size"):
        prep(x[:, :2, :2])
    x0 = x.copy()
    np.testing.assert_array_equal(prep(x.astype(np.float64)), ops.depthwise_conv(x, k))
    np.testing.assert_array_equal(x, x0)


# (input shape as passed, kernel shape (k..., filters // groups, in), kwargs)
TRANSPOSE_CASES = [
    ((1, 5, 5, 8), (3, 3, 6, 8), {}),
    ((2, 6, 7, 16), (2, 2, 12, 16), dict(strides=2, activation="relu")),  # phases
    ((2, 5, 7, 24), (4, 4, 10, 24), dict(strides=2, activation="gelu")),  # GEMM + col2im
    ((1, 6, 6, 8), (3, 3, 5, 8), dict(strides=2, padding="same", output_padding=1, groups=2)),
    ((2, 9, 6), (5, 4, 6), dict(strides=3, dilation_rate=1, padding="same", activation="tanh")),  # 1D
    ((1, 3, 4, 5, 4), (2, 3, 3, 6, 4), dict(strides=(1, 2, 2), padding="same")),  # 3D
    ((2, 8, 5, 6), (3, 3, 7, 8), dict(strides=2, data_format="channels_first", activation="relu6")),
    ((0, 4, 4, 3), (2, 2, 5, 3), dict(strides=2)),  # empty batch
]


@pytest.mark.parametrize("case", range(len(TRANSPOSE_CASES)))
@pytest.mark.parametrize("with_bias", [True, False])
def test_prepared_conv_transpose_matches_ops_and_oracle(isa, rng, assert_close, case, with_bias):
    xshape, kshape, kw = TRANSPOSE_CASES[case]
    x = rng.standard_normal(xshape).astype(np.float32)
    k = (rng.standard_normal(kshape) / 4).astype(np.float32)
    filters = kshape[-2] * kw.get("groups", 1)
    b = rng.standard_normal(filters).astype(np.float32) if with_bias else None
    _check_prepared(PreparedConvTranspose(k, b, **kw), x, kw, lambda xi: ops.conv_transpose(xi, k, bias=b, **kw),
                    lambda xl: ref.conv_transpose(xl, k, kw.get("strides", 1), kw.get("padding", "valid"),
                                                  kw.get("output_padding"), kw.get("dilation_rate", 1), b,
                                                  kw.get("activation"), groups=kw.get("groups", 1)),
                    assert_close)


def test_prepared_conv_transpose_bad_arguments(rng):
    x = rng.standard_normal((1, 4, 4, 6)).astype(np.float32)
    k = rng.standard_normal((3, 3, 5, 6)).astype(np.float32)
    with pytest.raises(ValueError, match="output_padding"):
        PreparedConvTranspose(k, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="groups"):
        PreparedConvTranspose(k, groups=4)  # 6 input channels
    with pytest.raises(ValueError, match="bias"):
        PreparedConvTranspose(k, np.zeros(6, np.float32))  # 5 filters
    prep = PreparedConvTranspose(k, strides=2)
    with pytest.raises(ValueError, match="channels"):
        prep(x[..., :5])
    with pytest.raises(ValueError, match="rank 4"):
        prep(x[0])
    x0 = x.copy()
    np.testing.assert_array_equal(prep(x.astype(np.float64)), ops.conv_transpose(x, k, 2))
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize("rank,padding,fmt", [(2, "same", "channels_last"), (2, "valid", "channels_first"),
                                               (1, "causal", "channels_last")])
def test_separable_layer_equals_ops_bitwise(isa, rng, rank, padding, fmt):
    from convkit import layers as L
    layer = (L.SeparableConv2D if rank == 2 else L.SeparableConv1D)(
        6, 3, padding=padding, data_format=fmt, depth_multiplier=2, activation="gelu", dilation_rate=1)
    x = rng.standard_normal((2, 7, 8, 5) if rank == 2 else (2, 11, 5)).astype(np.float32)
    if fmt == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    y = layer(x)
    dk, pk, b = [w for w in layer.get_weights()]
    b = rng.standard_normal(b.shape).astype(np.float32)
    layer.set_weights([dk, pk, b])
    xin = x
    if padding == "causal":
        xin, padding = ops.zero_pad(x, ((2, 0),), fmt), "valid"
    want = ops.separable_conv(xin, dk, pk, 1, padding, fmt, 1, bias=b, activation="gelu")
    np.testing.assert_array_equal(layer(x), want)
    assert y.shape == want.shape


@pytest.mark.parametrize("shape", [(1, 1), (5, 33), (64, 300), (0, 8)])
@pytest.mark.parametrize("act", [None, "relu", "tanh"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_prepared_dense(isa, rng, assert_close, shape, act, with_bias):
    m, kdim = shape
    units = 37
    x = rng.standard_normal((2, m, kdim) if m else (m, kdim)).astype(np.float32)
    k = rng.standard_normal((kdim, units)).astype(np.float32)
    b = rng.standard_normal(units).astype(np.float32) if with_bias else None
    prep = PreparedDense(k, b, act)
    got = prep(x)
    np.testing.assert_array_equal(got, ops.dense(x, k, b, act))
    want = ref.dense(x, k, b, act)
    assert_close(got, want, rtol=1e-4)
    with pytest.raises(ValueError):
        prep(x[..., :-1] if kdim > 1 else np.zeros((2, 3), np.float32))


@pytest.mark.parametrize("algorithm", ["auto", "winograd"])
def test_prepared_conv_keeps_winograd_filters(isa, rng, assert_close, algorithm):
    # 3x3 stride 1 with 16+ input channels may go to Winograd: the layer keeps the filters
    # already transformed, and the result is bitwise that of the unpacked call.
    x = rng.standard_normal((2, 21, 18, 24)).astype(np.float32)
    w = (rng.standard_normal((3, 3, 24, 20)) / 8).astype(np.float32)
    b = rng.standard_normal(20).astype(np.float32)
    prep = PreparedConv(w, b, padding="same", activation="relu", algorithm=algorithm)
    plain = PreparedConv(w, b, padding="same", activation="relu", algorithm="gemm")
    if isa != "ref":
        assert prep.packed_nbytes > plain.packed_nbytes  # the transformed filters are kept
    got = prep(x)
    np.testing.assert_array_equal(got, ops.conv(x, w, padding="same", bias=b, activation="relu",
                                                algorithm=algorithm))
    assert_close(got, ref.conv(x, w, 1, "same", 1, 1, b, "relu"), rtol=1e-4)
    other = "ref" if isa != "ref" else convkit.available_isas()[-1]
    convkit._set_isa(other)  # the kept filters are stale there: recomputed, never misread
    try:
        np.testing.assert_array_equal(prep(x), ops.conv(x, w, padding="same", bias=b, activation="relu",
                                                        algorithm=algorithm))
    finally:
        convkit._set_isa(isa)
