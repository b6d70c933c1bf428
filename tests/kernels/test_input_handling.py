"""Inputs are never modified; any array-like gives the same result as a clean float32 copy;
empty batches; channels_first is the transpose of channels_last."""
import numpy as np
import pytest

import convkit
import reference as ref

ops = convkit.ops


def _calls(rng):
    """(name, fn(x) -> output, 2D input shape) for every op that takes a spatial input."""
    w = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    dw = rng.standard_normal((3, 3, 4, 2)).astype(np.float32)
    pw = rng.standard_normal((1, 1, 8, 3)).astype(np.float32)
    wt = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    return {
        "conv": lambda x, **kw: ops.conv(x, w, 1, "same", bias=b, activation="relu", **kw),
        "conv_s2": lambda x, **kw: ops.conv(x, w, 2, "valid", **kw),
        "depthwise_conv": lambda x, **kw: ops.depthwise_conv(x, dw, 1, "same", **kw),
        "separable_conv": lambda x, **kw: ops.separable_conv(x, dw, pw, 1, "same", **kw),
        "conv_transpose": lambda x, **kw: ops.conv_transpose(x, wt, 2, "same", **kw),
        "max_pool": lambda x, **kw: ops.max_pool(x, 2, 2, "same", **kw),
        "average_pool": lambda x, **kw: ops.average_pool(x, 3, 2, "same", **kw),
        "global_max_pool": lambda x, **kw: ops.global_max_pool(x, keepdims=True, **kw),
        "global_average_pool": lambda x, **kw: ops.global_average_pool(x, keepdims=True, **kw),
        "zero_pad": lambda x, **kw: ops.zero_pad(x, ((1, 2), (0, 1)), **kw),
        "crop": lambda x, **kw: ops.crop(x, ((1, 0), (2, 1)), **kw),
        "upsample_nearest": lambda x, **kw: ops.upsample(x, (2, 3), **kw),
        "upsample_bilinear": lambda x, **kw: ops.upsample(x, 2, "bilinear", **kw),
    }


NAMES = list(_calls(np.random.default_rng(0)))


def _variants(x):
    """Array-likes holding the same values as the float32 array `x` (which has integer values)."""
    big = np.zeros((x.shape[0] * 2, x.shape[1], x.shape[2] * 3, x.shape[3] + 1), np.float32)
    big[::2, :, ::3, :-1] = x
    backwards = x[:, ::-1, ::-1].copy()
    readonly = x.copy()
    readonly.flags.writeable = False
    return {
        "list": x.tolist(),
        "int64": x.astype(np.int64),
        "int32": x.astype(np.int32),
        "float64": x.astype(np.float64),
        "float16": x.astype(np.float16),
        "fortran": np.asfortranarray(x),
        "strided": big[::2, :, ::3, :-1],
        "negative-strides": backwards[:, ::-1, ::-1],
        "readonly": readonly,
        "swapped-axes-copy": np.ascontiguousarray(x.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3),
    }


@pytest.fixture
def x_int(rng):
    # Small integers: exact in every dtype above, so every variant must give bit-identical output.
    return rng.integers(-4, 5, size=(2, 7, 6, 4)).astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_array_likes_give_the_same_result(isa, rng, x_int, name):
    fn = _calls(rng)[name]
    clean = fn(x_int.copy())
    for kind, variant in _variants(x_int).items():
        if isinstance(variant, np.ndarray):
            before = variant.copy()
        got = fn(variant)
        assert got.dtype == np.float32, kind
        assert got.flags.c_contiguous, kind
        np.testing.assert_array_equal(got, clean, err_msg=kind)
        if isinstance(variant, np.ndarray):
            np.testing.assert_array_equal(variant, before, err_msg=f"{kind} input was modified")


@pytest.mark.parametrize("name", NAMES)
def test_inputs_never_modified(isa, rng, name):
    fn = _calls(rng)[name]
    x = rng.standard_normal((2, 7, 6, 4)).astype(np.float32)
    before = x.copy()
    out = fn(x)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(out, x)


def test_kernels_and_bias_never_modified(isa, rng):
    x = rng.standard_normal((2, 7, 6, 4)).astype(np.float32)
    w = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    wt = rng.standard_normal((3, 3, 5, 4)).astype(np.float32)
    dk = rng.standard_normal((4, 3)).astype(np.float32)
    saved = [a.copy() for a in (w, b, wt, dk)]
    ops.conv(x, w, bias=b, activation="gelu")
    ops.conv_transpose(x, wt, 2, bias=b, activation="relu")
    ops.dense(x, dk, activation="softmax")
    for a, s in zip((w, b, wt, dk), saved):
        np.testing.assert_array_equal(a, s)


def test_kernel_array_likes(isa, rng, x_int):
    w = rng.integers(-2, 3, size=(3, 3, 4, 5)).astype(np.float32)
    clean = ops.conv(x_int, w, bias=np.arange(5, dtype=np.float32))
    np.testing.assert_array_equal(ops.conv(x_int, w.tolist(), bias=list(range(5))), clean)
    np.testing.assert_array_equal(ops.conv(x_int, np.asfortranarray(w.astype(np.float64)),
                                           bias=np.arange(5)), clean)


def test_bool_input(isa):
    x = np.zeros((1, 8, 1), bool)
    x[0, 3:5] = True
    y = ops.conv(x, np.array([0, 1, 0]).reshape(3, 1, 1))
    np.testing.assert_array_equal(y.ravel(), [0, 0, 1, 1, 0, 0])


@pytest.mark.parametrize("name", NAMES)
def test_empty_batch(isa, rng, name):
    fn = _calls(rng)[name]
    shape_of_one = fn(rng.standard_normal((1, 7, 6, 4)).astype(np.float32)).shape
    got = fn(np.zeros((0, 7, 6, 4), np.float32))
    assert got.shape == (0,) + shape_of_one[1:]
    assert got.dtype == np.float32


def test_empty_batch_dense(isa):
    got = ops.dense(np.zeros((0, 5), np.float32), np.ones((5, 3), np.float32))
    assert got.shape == (0, 3) and got.dtype == np.float32


@pytest.mark.parametrize("name", NAMES)
def test_channels_first_is_transposed_channels_last(isa, rng, name):
    fn = _calls(rng)[name]
    x = rng.standard_normal((2, 7, 6, 4)).astype(np.float32)
    last = fn(x)
    first = fn(ref.to_channels_first(x), data_format="channels_first")
    assert first.flags.c_contiguous
    np.testing.assert_allclose(first, ref.to_channels_first(last), rtol=0, atol=1e-6)


@pytest.mark.parametrize("rank", [1, 3])
def test_channels_first_other_ranks(isa, rng, rank):
    spatial = (9,) if rank == 1 else (4, 5, 3)
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    w = rng.standard_normal((*(2,) * rank, 3, 4)).astype(np.float32)
    last = ops.conv(x, w, 1, "same")
    first = ops.conv(ref.to_channels_first(x), w, 1, "same", "channels_first")
    np.testing.assert_allclose(first, ref.to_channels_first(last), rtol=0, atol=1e-6)


def test_output_is_a_fresh_array(isa, rng):
    # Two calls never share an output buffer.
    x = rng.standard_normal((1, 5, 5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    a = ops.conv(x, w)
    b = ops.conv(x, w)
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(a, b)
