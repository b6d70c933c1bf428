"""convkit.ops.depthwise_conv and separable_conv against the NumPy oracle, on every ISA path."""
import zlib

import numpy as np
import pytest

import convkit
import reference as ref

# Every output starts as NaN, so an element a kernel forgets to write fails the comparison.
pytestmark = pytest.mark.usefixtures("nan_filled_outputs")

# (rank, spatial, channels, multiplier, k, stride, dilation, padding, bias, activation, data_format)
DW_CASES = [
    (1, (8,), 1, 1, 3, 1, 1, "valid", False, None, "channels_last"),
    (1, (13,), 5, 2, 4, 2, 1, "same", True, "relu", "channels_last"),
    (1, (1,), 3, 3, 3, 1, 1, "same", True, None, "channels_first"),
    (1, (11,), 16, 1, 3, 1, 3, "valid", False, "tanh", "channels_last"),
    (2, (7, 5), 15, 1, 3, 1, 1, "same", True, "relu6", "channels_last"),
    (2, (6, 6), 16, 2, 3, 2, 1, "same", False, None, "channels_last"),
    (2, (5, 7), 17, 1, 3, 3, 1, "valid", True, None, "channels_first"),
    (2, (7, 7), 4, 3, 2, 1, 2, "same", True, "silu", "channels_last"),
    (2, (1, 1), 2, 2, 3, 1, 1, "same", False, None, "channels_last"),
    (2, (11, 13), 3, 1, 5, 2, 1, "same", True, "hard_silu", "channels_last"),
    (2, (6, 5), 8, 1, (3, 1), (1, 2), 1, "valid", True, None, "channels_last"),
    (3, (5, 6, 7), 3, 2, 3, 1, 1, "same", True, "elu", "channels_last"),
    (3, (5, 5, 5), 4, 1, 2, 2, 1, "valid", False, None, "channels_first"),
    (3, (6, 6, 6), 2, 1, 2, 1, 2, "same", True, None, "channels_last"),
    # more than one 64-channel block per row (the vector path's work units), ragged last block
    (1, (37,), 131, 1, 9, 1, 1, "same", True, "gelu", "channels_last"),
    (1, (29,), 67, 1, 3, 2, 1, "valid", True, "relu", "channels_first"),
    (2, (9, 11), 100, 1, 3, 2, 1, "same", True, "relu6", "channels_last"),
    (2, (5, 6), 65, 1, 3, 1, 1, "same", False, "sigmoid", "channels_last"),
    # wide units (both vector paths merge 64-channel blocks, up to 512, when rows are many): 603
    # channels as 304 + 299 (a masked tail of 3), at stride 1 and 2; 203 channels in one unit, 5x5;
    # 520 channels, 7x7, as 264 + 256 on AVX2 and 272 + 248 on AVX-512 (16-channel vectors)
    (2, (24, 20), 603, 1, 3, 1, 1, "same", True, "relu", "channels_last"),
    (2, (24, 21), 603, 1, 3, 2, 1, "same", False, None, "channels_last"),
    (2, (16, 16), 203, 1, 5, 1, 1, "same", True, None, "channels_last"),
    (2, (12, 20), 520, 1, 7, 1, 1, "same", True, "relu6", "channels_last"),
    # a stride and a dilation both above 1 (as keras.ops and Keras's depthwise layers allow)
    (2, (13, 12), 67, 1, 3, 2, 2, "same", True, "relu6", "channels_last"),
    (2, (15, 14), 16, 1, 5, (2, 1), (1, 2), "valid", False, None, "channels_first"),
    (2, (14, 20), 48, 1, 5, (2, 1), (2, 1), "same", True, "relu", "channels_last"),
    (1, (23,), 20, 2, 3, 3, 2, "same", True, None, "channels_last"),
    (3, (7, 8, 9), 9, 1, 3, 2, 2, "same", True, None, "channels_last"),
    # rows in 8-pixel tiles whose first and last cross the borders (the AVX-512 kernel's edge
    # tiles skip the input columns outside): rows narrower than the kernel, narrower than a tile,
    # a tile +- 1, primes; 'valid' and 'same', kernel widths 3, 5 and 7
    (2, (5, 3), 19, 1, 7, 1, 1, "same", True, "relu6", "channels_last"),
    (2, (7, 9), 16, 1, 7, 1, 1, "valid", True, None, "channels_last"),
    (2, (4, 8), 33, 1, 7, 1, 1, "same", False, "relu", "channels_last"),
    (2, (3, 9), 16, 1, 5, 1, 1, "same", True, None, "channels_first"),
    (2, (8, 15), 21, 1, 7, 1, 1, "valid", True, "gelu", "channels_last"),
    (2, (5, 17), 48, 1, 7, 1, 1, "same", True, None, "channels_last"),
    (1, (23,), 96, 1, 7, 1, 1, "same", True, "relu6", "channels_last"),
    (1, (2,), 17, 1, 5, 1, 1, "same", False, None, "channels_last"),
    # multipliers: a lane's input channel (co + j) // M loaded once per 8 outputs, near the end too
    (2, (6, 5), 11, 3, 3, 1, 1, "same", True, None, "channels_last"),
    (1, (9,), 13, 5, 2, 2, 1, "valid", True, "relu", "channels_last"),
]


def _id(c):
    return "-".join(str(v).replace(" ", "") for v in c)


def _rng(case):
    return np.random.default_rng(zlib.crc32(_id(case).encode()))


def _maybe_cf(x, fmt):
    return ref.to_channels_first(x).copy() if fmt == "channels_first" else x


@pytest.mark.parametrize("case", DW_CASES, ids=[_id(c) for c in DW_CASES])
def test_depthwise_conv_matches_oracle(isa, case, assert_close):
    rank, spatial, c, mult, k, s, d, padding, use_bias, act, fmt = case
    r = _rng(case)
    ks = ref.as_tuple(k, rank)
    x = r.standard_normal((2, *spatial, c)).astype(np.float32)
    w = r.standard_normal((*ks, c, mult)).astype(np.float32)
    b = r.standard_normal(c * mult).astype(np.float32) if use_bias else None
    expected = ref.depthwise_conv(x, w, s, padding, d, b, act)
    got = convkit.ops.depthwise_conv(_maybe_cf(x, fmt), w, s, padding, fmt, d, bias=b, activation=act)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)


def test_depthwise_output_channel_order(isa):
    # Output channel c*mult + m reads input channel c with kernel[..., c, m].
    x = np.zeros((1, 3, 3, 2), np.float32)
    x[..., 0] = 1.0
    x[..., 1] = 10.0
    w = np.zeros((1, 1, 2, 3), np.float32)
    w[0, 0, 0] = [1, 2, 3]
    w[0, 0, 1] = [4, 5, 6]
    got = convkit.ops.depthwise_conv(x, w)
    np.testing.assert_array_equal(got[0, 1, 1], [1, 2, 3, 40, 50, 60])


SEP_CASES = [
    (1, (9,), 3, 2, 5, 3, 1, 1, "same", True, "relu", "channels_last"),
    (1, (1,), 2, 1, 4, 3, 1, 1, "same", False, None, "channels_first"),
    (2, (7, 6), 4, 1, 6, 3, 1, 1, "same", True, None, "channels_last"),
    (2, (6, 7), 15, 2, 17, 3, 2, 1, "same", True, "sigmoid", "channels_first"),
    (2, (11, 5), 3, 3, 16, 3, 1, 2, "valid", False, "gelu", "channels_last"),
    (3, (5, 5, 6), 2, 2, 3, 2, 1, 1, "same", True, None, "channels_last"),
    (2, (13, 11), 5, 2, 9, 3, 2, 2, "same", True, "relu", "channels_last"),  # stride and dilation
]


@pytest.mark.parametrize("case", SEP_CASES, ids=[_id(c) for c in SEP_CASES])
def test_separable_conv_matches_oracle(isa, case, assert_close):
    rank, spatial, c, mult, filters, k, s, d, padding, use_bias, act, fmt = case
    r = _rng(case)
    x = r.standard_normal((2, *spatial, c)).astype(np.float32)
    dw = r.standard_normal((*(k,) * rank, c, mult)).astype(np.float32)
    pw = r.standard_normal((*(1,) * rank, c * mult, filters)).astype(np.float32)
    b = r.standard_normal(filters).astype(np.float32) if use_bias else None
    expected = ref.separable_conv(x, dw, pw, s, padding, d, b, act)
    got = convkit.ops.separable_conv(_maybe_cf(x, fmt), dw, pw, s, padding, fmt, d, bias=b, activation=act)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)


def test_depthwise_equals_grouped_conv(isa, rng, assert_close):
    x = rng.standard_normal((2, 7, 7, 5)).astype(np.float32)
    w = rng.standard_normal((3, 3, 5, 2)).astype(np.float32)
    dw = convkit.ops.depthwise_conv(x, w, padding="same")
    grouped = convkit.ops.conv(x, w.reshape(3, 3, 1, 10), padding="same", groups=5)
    assert_close(dw, grouped.astype(np.float64))


def test_depthwise_one_row_is_identical_for_any_thread_count(isa, rng, same_at_thread_counts):
    # A 1D layer at batch 1 is a single output row; its channel blocks are what the threads
    # share. Each output is the same sum whoever computes it.
    x = rng.standard_normal((1, 300, 200)).astype(np.float32)
    w = rng.standard_normal((9, 200, 1)).astype(np.float32)
    b = rng.standard_normal(200).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.depthwise_conv(x, w, 1, "same", bias=b, activation="silu"))
    np.testing.assert_allclose(got, ref.depthwise_conv(x, w, 1, "same", 1, b, "silu"), rtol=1e-4, atol=1e-5)


def test_depthwise_wide_units_are_identical_for_any_thread_count(isa, rng, same_at_thread_counts):
    # Enough rows that the vector paths' units span several 64-channel blocks (ck_dw_channel_block):
    # the blocks depend on the shape, never on the thread count, and no sum depends on them.
    x = rng.standard_normal((3, 20, 17, 603)).astype(np.float32)
    w = rng.standard_normal((3, 3, 603, 1)).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.depthwise_conv(x, w, 1, "same"))
    np.testing.assert_allclose(got, ref.depthwise_conv(x, w, 1, "same", 1, None, None), rtol=1e-4, atol=1e-5)


# Inputs over 4 MiB: the vector paths' row runs also prefetch the next output row's input
# (csrc/x86/f32-dwconv-rows.h), which must change nothing, at the image's last rows included.
# (spatial, channels, k, stride, padding)
DW_LARGE = [
    ((40, 100), 136, 3, 1, "same"),
    ((41, 99), 136, 5, 2, "valid"),
    ((6, 30, 50), 130, 3, 1, "same"),
]


@pytest.mark.parametrize("case", DW_LARGE, ids=[_id(c) for c in DW_LARGE])
def test_depthwise_large_input_matches_oracle(isa, case, assert_close):
    spatial, c, k, s, padding = case
    r = _rng(case)
    x = r.standard_normal((2, *spatial, c)).astype(np.float32)
    assert x.nbytes > 4 << 20
    w = r.standard_normal((*ref.as_tuple(k, len(spatial)), c, 1)).astype(np.float32)
    b = r.standard_normal(c).astype(np.float32)
    got = convkit.ops.depthwise_conv(x, w, s, padding, bias=b, activation="relu")
    assert_close(got, ref.depthwise_conv(x, w, s, padding, 1, b, "relu"))
