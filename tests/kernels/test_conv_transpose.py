"""convkit.ops.conv_transpose against the scatter-form oracle (Keras 3 output lengths and crops)."""
import itertools
import zlib

import numpy as np
import pytest

import convkit
import reference as ref

# Every output starts as NaN, so an element a kernel forgets to write fails the comparison.
pytestmark = pytest.mark.usefixtures("nan_filled_outputs")


def _sweep_1d():
    """Every (k, stride, dilation, padding, output_padding) in a small box, 1D: cheap and complete."""
    cases = []
    for k, s, d, padding in itertools.product((1, 2, 3, 4, 5), (1, 2, 3), (1, 2, 3), ("valid", "same")):
        if s > 1 and d > 1:
            continue
        for op in [None] + list(range(s)):
            cases.append((k, s, d, padding, op))
    return cases


SWEEP = _sweep_1d()


@pytest.mark.parametrize("k,s,d,padding,op", SWEEP, ids=[f"k{c[0]}-s{c[1]}-d{c[2]}-{c[3]}-op{c[4]}" for c in SWEEP])
def test_conv_transpose_1d_sweep(isa, k, s, d, padding, op, assert_close):
    r = np.random.default_rng(k * 1000 + s * 100 + d * 10 + (0 if op is None else op + 1))
    x = r.standard_normal((2, 5, 3)).astype(np.float32)
    w = r.standard_normal((k, 2, 3)).astype(np.float32)
    got = convkit.ops.conv_transpose(x, w, s, padding, op, None, d)
    assert_close(got, ref.conv_transpose(x, w, s, padding, op, d))


# (rank, spatial, cin, filters, groups, k, stride, dilation, padding, output_padding, bias, act, fmt)
CASES = [
    (1, (1,), 3, 2, 1, 3, 2, 1, "same", None, True, None, "channels_last"),
    (1, (7,), 4, 6, 2, 3, 2, 1, "same", 1, True, "relu", "channels_last"),
    (1, (13,), 3, 3, 3, 4, 3, 1, "valid", 2, False, None, "channels_first"),
    (2, (5, 7), 15, 16, 1, 3, 2, 1, "same", None, True, "relu", "channels_last"),
    (2, (6, 5), 16, 17, 1, 4, 2, 1, "same", 1, True, None, "channels_last"),
    (2, (7, 7), 17, 15, 1, 2, 2, 1, "valid", None, False, None, "channels_first"),
    (2, (5, 6), 4, 6, 2, 3, 1, 2, "same", None, True, "tanh", "channels_last"),
    (2, (1, 1), 2, 3, 1, 3, 3, 1, "same", 2, True, None, "channels_last"),
    (2, (6, 7), 3, 4, 1, (3, 2), (2, 3), 1, "same", (1, 0), True, None, "channels_last"),
    (2, (5, 5), 2, 3, 1, 1, 3, 1, "valid", None, False, "sigmoid", "channels_last"),
    (3, (5, 6, 7), 2, 3, 1, 3, 2, 1, "same", None, True, None, "channels_last"),
    (3, (5, 5, 5), 4, 2, 2, 2, 1, 1, "valid", None, False, "relu", "channels_first"),
    (3, (6, 5, 6), 3, 3, 1, 3, 2, 1, "valid", 1, True, None, "channels_last"),
]


def _id(c):
    return "-".join(str(v).replace(" ", "") for v in c)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_conv_transpose_matches_oracle(isa, case, assert_close):
    rank, spatial, cin, filters, groups, k, s, d, padding, op, use_bias, act, fmt = case
    r = np.random.default_rng(zlib.crc32(_id(case).encode()))
    ks = ref.as_tuple(k, rank)
    x = r.standard_normal((2, *spatial, cin)).astype(np.float32)
    w = r.standard_normal((*ks, filters // groups, cin)).astype(np.float32)
    b = r.standard_normal(filters).astype(np.float32) if use_bias else None
    expected = ref.conv_transpose(x, w, s, padding, op, d, b, act, groups=groups)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = convkit.ops.conv_transpose(xin, w, s, padding, op, fmt, d, bias=b, activation=act, groups=groups)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)


@pytest.mark.parametrize("n,k,s,padding,op,expected_len", [
    (5, 3, 2, "valid", None, 11),   # n*s + max(k - s, 0)
    (5, 2, 3, "valid", None, 15),   # kernel shorter than stride: n*s
    (5, 3, 2, "same", None, 10),    # n*s
    (5, 3, 2, "same", 1, 10),       # (n-1)*s + k - 2*(k//2) + op
    (5, 4, 2, "same", 0, 8),
    (5, 3, 2, "valid", 1, 12),      # (n-1)*s + k + op
    (1, 4, 1, "same", 0, 0),        # kernel past the input with 'same' and an explicit op: empty, as Keras
    (1, 6, 2, "same", 0, 0),
])
def test_conv_transpose_output_length(isa, n, k, s, padding, op, expected_len):
    x = np.ones((1, n, 1), np.float32)
    w = np.ones((k, 1, 1), np.float32)
    assert convkit.ops.conv_transpose(x, w, s, padding, op).shape == (1, expected_len, 1)


def test_conv_transpose_empty_output_in_either_format(isa):
    # a zero-length axis next to non-empty ones, channels_first too: an empty array, no error
    x = np.ones((2, 3, 1, 5), np.float32)
    w = np.ones((3, 4, 6, 5), np.float32)
    assert convkit.ops.conv_transpose(x, w, 1, "same", 0).shape == (2, 3, 0, 6)
    xf = np.ones((2, 5, 3, 1), np.float32)
    assert convkit.ops.conv_transpose(xf, w, 1, "same", 0, "channels_first").shape == (2, 6, 3, 0)


def test_conv_transpose_is_adjoint_of_conv(isa, rng):
    # <conv(x, w), y> == <x, conv_transpose(y, w)> for 'valid', stride 2 (exact up to float rounding).
    x = rng.standard_normal((1, 9, 8, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    y = rng.standard_normal((1, 4, 3, 4)).astype(np.float32)
    fwd = convkit.ops.conv(x, w, 2)
    assert fwd.shape == y.shape
    # conv kernel (k, k, in, out) is a transpose kernel (k, k, filters=in, in_channels=out).
    back = convkit.ops.conv_transpose(y, w, 2, "valid", (0, 1))  # 9 x 8 again
    assert back.shape == x.shape
    lhs = float(np.sum(fwd.astype(np.float64) * y))
    rhs = float(np.sum(x.astype(np.float64) * back))
    assert abs(lhs - rhs) <= 1e-4 * max(1.0, abs(lhs))


# Stride and dilation together: the taps of an output phase are s/gcd(s, d) apart in the kernel,
# so the phase's convolution has dilation d/gcd(s, d) (csrc/conv/f32-conv-transpose.c).
STRIDED_DILATED = [(k, s, d, p) for k in (2, 3, 4) for s in (2, 3, 4) for d in (2, 3) for p in ("valid", "same")]


@pytest.mark.parametrize("k,s,d,padding", STRIDED_DILATED, ids=[f"k{k}-s{s}-d{d}-{p}" for k, s, d, p in STRIDED_DILATED])
def test_conv_transpose_stride_with_dilation(isa, k, s, d, padding, assert_close):
    r = np.random.default_rng(k * 100 + s * 10 + d)
    x = r.standard_normal((2, 9, 5)).astype(np.float32)
    w = r.standard_normal((k, 3, 5)).astype(np.float32)
    got = convkit.ops.conv_transpose(x, w, s, padding, None, None, d)
    assert_close(got, ref.conv_transpose(x, w, s, padding, None, d))


# Sizes at which the phases' convolutions leave the small-work reference route: the indirect
# GEMM (many channels), Winograd (6x6 kernel, stride 2: 3x3 phases at stride 1), the
# few-channel direct kernel (3 input channels), groups, 3D and 1D.
# (spatial, cin, filters, groups, k, stride, padding, output_padding)
LARGE = [
    ((12, 13), 64, 48, 1, 3, 2, "same", None),
    ((10, 10), 32, 32, 1, 6, 2, "same", None),
    ((20, 18), 3, 16, 1, 4, 2, "same", None),
    ((9, 9), 64, 64, 4, 3, 2, "valid", 1),
    ((4, 6, 6), 16, 24, 1, 3, 2, "same", None),
    ((50,), 64, 32, 1, 5, 3, "valid", None),
    ((5, 5), 32, 40, 1, 2, 2, "valid", None),  # 25-pixel phases: a ragged one-pixel tile
    ((3, 17), 16, 24, 1, 3, 2, "same", 1),      # phase rows shorter than a tile: tiles wrap rows
]


@pytest.mark.parametrize("case", LARGE, ids=[_id(c) for c in LARGE])
def test_conv_transpose_large_matches_oracle(isa, case, assert_close):
    spatial, cin, filters, groups, k, s, padding, op = case
    r = np.random.default_rng(zlib.crc32(_id(case).encode()))
    x = r.standard_normal((2, *spatial, cin)).astype(np.float32)
    w = (r.standard_normal((*ref.as_tuple(k, len(spatial)), filters // groups, cin)) / 8).astype(np.float32)
    b = r.standard_normal(filters).astype(np.float32)
    expected = ref.conv_transpose(x, w, s, padding, op, 1, b, "relu", groups=groups)
    got = convkit.ops.conv_transpose(x, w, s, padding, op, bias=b, activation="relu", groups=groups)
    assert_close(got, expected, rtol=1e-4)


def test_conv_transpose_is_identical_for_any_thread_count(isa, rng, same_at_thread_counts, assert_close):
    x = rng.standard_normal((2, 11, 12, 48)).astype(np.float32)
    w = rng.standard_normal((4, 4, 40, 48)).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.conv_transpose(x, w, 2, "same"))
    assert_close(got, ref.conv_transpose(x, w, 2, "same", None, 1), rtol=1e-4)


def test_conv_transpose_col2im_route_matches_oracle_and_threads(isa, rng, nan_filled_outputs, assert_close,
                                                                same_at_thread_counts):
    # 'valid' 4x4 stride 2: the phases' borders would spend 27% more products than the scatter,
    # so this takes GEMM + col2im (blocks of input pixels, adds split by channel blocks).
    x = rng.standard_normal((3, 7, 9, 40)).astype(np.float32)
    w = (rng.standard_normal((4, 4, 80, 40)) / 8).astype(np.float32)
    b = rng.standard_normal(80).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.conv_transpose(x, w, 2, "valid", bias=b, activation="gelu"))
    assert_close(got, ref.conv_transpose(x, w, 2, "valid", None, 1, b, "gelu"), rtol=1e-4)


def test_conv_transpose_col2im_ragged_panels_match_oracle(isa, rng, assert_close, same_at_thread_counts):
    # 'valid' 3x3 stride 2 on 5x7 also takes GEMM + col2im (the phases would waste 24%). The
    # kernel is packed into GEMM panels straight from its transpose: 67 input channels are one
    # 64-row block, a 3-row tail and a tail past the 4x4 tiles; 9 taps x 7 filters = 63 columns
    # leave the last panel ragged (31 of 32 columns, or 15 of 16).
    x = rng.standard_normal((2, 5, 7, 67)).astype(np.float32)
    w = (rng.standard_normal((3, 3, 7, 67)) / 8).astype(np.float32)
    b = rng.standard_normal(7).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.conv_transpose(x, w, 2, "valid", bias=b, activation="relu"))
    assert_close(got, ref.conv_transpose(x, w, 2, "valid", None, 1, b, "relu"), rtol=1e-4)
