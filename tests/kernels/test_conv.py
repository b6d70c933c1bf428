"""convkit.ops.conv against the NumPy oracle: ranks 1-3, strides, dilations, paddings, groups,
bias, fused activations, both data formats, on every ISA path."""
import zlib

import numpy as np
import pytest

import convkit
import reference as ref

# Every output starts as NaN, so an element a kernel forgets to write fails the comparison.
pytestmark = pytest.mark.usefixtures("nan_filled_outputs")

ACTS = [None, "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "tanh",
        "softplus", "softsign", "silu", "swish", "gelu", "gelu_approximate", "exponential",
        "hard_silu", "mish", "linear"]

# (rank, spatial, cin, cout, groups, k, stride, dilation, padding, bias, activation, data_format)
HAND_PICKED = [
    (1, (8,), 1, 1, 1, 3, 1, 1, "valid", False, None, "channels_last"),
    (1, (1,), 3, 2, 1, 1, 1, 1, "valid", True, None, "channels_last"),
    (1, (1,), 2, 3, 1, 3, 2, 1, "same", True, "relu", "channels_last"),
    (1, (13,), 4, 6, 2, 3, 1, 2, "causal", True, None, "channels_last"),
    (1, (11,), 3, 5, 1, 4, 1, 3, "causal", False, "tanh", "channels_first"),
    (1, (7,), 6, 6, 3, 2, 3, 1, "same", True, None, "channels_last"),
    (2, (5, 7), 15, 16, 1, 3, 1, 1, "same", True, "relu", "channels_last"),
    (2, (6, 6), 16, 17, 1, 3, 2, 1, "same", True, None, "channels_last"),
    (2, (7, 5), 17, 15, 1, 2, 2, 1, "same", False, None, "channels_first"),
    (2, (7, 7), 4, 4, 2, 3, 1, 3, "valid", True, "silu", "channels_last"),
    (2, (5, 6), 6, 9, 3, (3, 1), (1, 2), 1, "valid", True, None, "channels_last"),
    (2, (1, 1), 3, 4, 1, 1, 1, 1, "same", True, "sigmoid", "channels_last"),
    (2, (1, 1), 3, 4, 1, 3, 3, 1, "same", False, None, "channels_last"),
    (2, (16, 16), 3, 8, 1, 1, 1, 1, "valid", True, None, "channels_last"),  # 1x1 (GEMM-like)
    (2, (6, 7), 8, 16, 1, 3, 1, 1, "same", False, None, "channels_last"),   # Winograd-able
    (2, (13, 11), 2, 3, 1, 5, 3, 1, "valid", True, "gelu", "channels_first"),
    (3, (5, 6, 7), 2, 3, 1, 3, 1, 1, "same", True, "relu", "channels_last"),
    (3, (5, 5, 5), 4, 6, 2, 2, 2, 1, "valid", False, None, "channels_first"),
    (3, (6, 7, 5), 3, 3, 3, 2, 1, 2, "same", True, "elu", "channels_last"),
    (3, (1, 1, 1), 2, 2, 1, 1, 1, 1, "valid", False, None, "channels_last"),
]


def _random_cases(n, seed=7):
    r = np.random.default_rng(seed)
    sizes = [1, 2, 5, 6, 7, 11, 13, 16, 17]
    chans = [1, 2, 3, 5, 15, 16, 17]
    out = []
    while len(out) < n:
        rank = int(r.integers(1, 4))
        groups = int(r.choice([1, 1, 2, 3]))
        cin = groups * int(r.choice([1, 2, 3, 5]))
        cout = groups * int(r.choice([1, 2, 5, 6]))
        if groups == 1:
            cin, cout = int(r.choice(chans)), int(r.choice(chans))
        k = int(r.integers(1, 5))
        if r.random() < 0.5:
            stride, dilation = int(r.integers(1, 4)), 1
        else:
            stride, dilation = 1, int(r.integers(1, 4))
        paddings = ["valid", "same"] + (["causal"] if rank == 1 else [])
        padding = str(r.choice(paddings))
        max_side = {1: 17, 2: 11, 3: 6}[rank]
        spatial = tuple(int(r.choice([s for s in sizes if s <= max_side])) for _ in range(rank))
        if padding == "valid" and min(spatial) < (k - 1) * dilation + 1:
            continue
        out.append((rank, spatial, cin, cout, groups, k, stride, dilation, padding,
                    bool(r.random() < 0.5), ACTS[int(r.integers(len(ACTS)))],
                    str(r.choice(["channels_last", "channels_first"]))))
    return out


CASES = HAND_PICKED + _random_cases(30)


def _case_id(c):
    rank, sp, cin, cout, g, k, s, d, pad, bias, act, fmt = c
    return (f"{rank}d-{'x'.join(map(str, sp))}-c{cin}-f{cout}-g{g}-k{k}-s{s}-d{d}-{pad}"
            f"{'-b' if bias else ''}-{act}-{'cf' if fmt == 'channels_first' else 'cl'}")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_conv_matches_oracle(isa, case, assert_close):
    rank, spatial, cin, cout, groups, k, s, d, padding, use_bias, act, fmt = case
    r = np.random.default_rng(zlib.crc32(_case_id(case).encode()))
    ks = ref.as_tuple(k, rank)
    x = r.standard_normal((2, *spatial, cin)).astype(np.float32)
    w = (r.standard_normal((*ks, cin // groups, cout)) / np.sqrt(np.prod(ks) * cin / groups)).astype(np.float32)
    b = r.standard_normal(cout).astype(np.float32) if use_bias else None
    expected = ref.conv(x, w, s, padding, d, groups, b, act)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = convkit.ops.conv(xin, w, strides=s, padding=padding, data_format=fmt, dilation_rate=d,
                           bias=b, groups=groups, activation=act)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)


def test_conv_positional_arguments_follow_keras(isa, rng, assert_close):
    # keras.ops.conv(inputs, kernel, strides, padding, data_format, dilation_rate)
    x = rng.standard_normal((1, 9, 9, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    got = convkit.ops.conv(x, w, 1, "same", "channels_last", 2)
    assert_close(got, ref.conv(x, w, 1, "same", 2))


@pytest.mark.parametrize("groups", [1, 2, 3])
def test_conv_groups_inferred_from_kernel(isa, rng, groups, assert_close):
    x = rng.standard_normal((2, 7, 6 * groups)).astype(np.float32)
    w = rng.standard_normal((3, 6, 2 * groups)).astype(np.float32)
    got = convkit.ops.conv(x, w)  # groups=None -> in_channels // kernel.shape[-2]
    assert_close(got, ref.conv(x, w, groups=groups))


def test_grouped_conv_is_independent_per_group(isa, rng, assert_close):
    # Each group only sees its own input channels: zeroing group 0's inputs leaves group 1 unchanged.
    x = rng.standard_normal((1, 6, 6, 4)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 6)).astype(np.float32)
    full = convkit.ops.conv(x, w, groups=2)
    x2 = x.copy()
    x2[..., :2] = 0
    part = convkit.ops.conv(x2, w, groups=2)
    np.testing.assert_array_equal(part[..., 3:], full[..., 3:])
    assert np.all(part[..., :3] == 0)
    assert_close(full, ref.conv(x, w, groups=2))


def test_conv_batch_of_one_equals_slice_of_batch(isa, rng):
    x = rng.standard_normal((3, 7, 7, 5)).astype(np.float32)
    w = rng.standard_normal((3, 3, 5, 4)).astype(np.float32)
    whole = convkit.ops.conv(x, w, padding="same")
    for i in range(3):
        np.testing.assert_allclose(convkit.ops.conv(x[i:i + 1], w, padding="same"), whole[i:i + 1],
                                   rtol=0, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_1x1_equals_dense(isa, rng, padding, assert_close):
    x = rng.standard_normal((2, 5, 6, 17)).astype(np.float32)
    w = rng.standard_normal((1, 1, 17, 15)).astype(np.float32)
    b = rng.standard_normal(15).astype(np.float32)
    got = convkit.ops.conv(x, w, padding=padding, bias=b, activation="relu")
    assert_close(got, ref.dense(x, w[0, 0], b, "relu"))


ALGO_CASES = [
    # (spatial, cin, cout, k, stride, dilation, padding)
    ((6, 7), 8, 16, 3, 1, 1, "same"),
    ((5, 5), 3, 17, 3, 1, 1, "valid"),
    ((11, 13), 16, 15, 3, 1, 1, "same"),
    ((7, 6), 5, 6, 1, 1, 1, "valid"),
    ((9, 9), 4, 4, 3, 2, 1, "same"),
    ((9, 9), 4, 4, 3, 1, 2, "same"),
    ((8, 7), 2, 3, 5, 1, 1, "same"),
]


@pytest.mark.parametrize("algorithm", ["auto", "direct", "gemm"])
@pytest.mark.parametrize("case", ALGO_CASES, ids=[f"{c[0]}-c{c[1]}-f{c[2]}-k{c[3]}-s{c[4]}-d{c[5]}-{c[6]}"
                                                   for c in ALGO_CASES])
def test_conv_every_algorithm_agrees(isa, case, algorithm, assert_close):
    spatial, cin, cout, k, s, d, padding = case
    r = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = r.standard_normal((2, *spatial, cin)).astype(np.float32)
    w = (r.standard_normal((k, k, cin, cout)) / (k * np.sqrt(cin))).astype(np.float32)
    b = r.standard_normal(cout).astype(np.float32)
    got = convkit.ops.conv(x, w, s, padding, None, d, bias=b, activation="relu", algorithm=algorithm)
    assert_close(got, ref.conv(x, w, s, padding, d, 1, b, "relu"), rtol=1e-5)


@pytest.mark.parametrize("length", range(24, 36))
def test_conv_gemm_every_ragged_last_tile_matches_oracle(isa, length, assert_close):
    # The indirect GEMM's last tile of pixels holds length % MR of them (MR = 12 on AVX-512, 6 on
    # AVX2, 4 in the reference): every remainder, through the row kernel (1-2 rows) and the
    # tile kernels' shorter variants (4, 8 rows of the 12x32 kernel). 40 filters: a ragged last
    # column panel as well.
    r = np.random.default_rng(length)
    x = r.standard_normal((1, length, 16)).astype(np.float32)
    w = (r.standard_normal((3, 16, 40)) / 8).astype(np.float32)
    b = r.standard_normal(40).astype(np.float32)
    got = convkit.ops.conv(x, w, padding="same", bias=b, activation="relu", algorithm="gemm")
    assert_close(got, ref.conv(x, w, 1, "same", 1, 1, b, "relu"))


@pytest.mark.parametrize("shape, kernel, strides", [((5, 9, 1024), 1, 1), ((9, 6, 512), 1, 2), ((2, 11, 2048), 1, 1),
                                                    ((29, 512), 3, 2), ((7, 9, 512), 3, 2)],
                         ids=["1x1-1024ch", "1x1-512ch-s2", "1x1-2048ch", "conv1d-k3-512ch-s2", "3x3-512ch-s2"])
def test_conv_with_pixels_4kib_apart_matches_oracle(isa, shape, kernel, strides, assert_close, same_at_thread_counts):
    # Pixels a multiple of 4 KiB apart: the AVX-512 path runs the 8-row igemm kernel instead of the
    # 12-row one (ck_igemm_use_aliased); the pixel counts end in ragged tiles of both, 40 filters
    # in a ragged panel. Either kernel must give the oracle's values, whatever the threads.
    r = np.random.default_rng(shape[-1] + strides + kernel)
    rank = len(shape) - 1
    x = r.standard_normal((1, *shape)).astype(np.float32)
    w = (r.standard_normal((kernel,) * rank + (shape[-1], 40)) / 32).astype(np.float32)
    b = r.standard_normal(40).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.conv(x, w, strides, "same", bias=b, activation="relu"))
    assert_close(got, ref.conv(x, w, strides, "same", 1, 1, b, "relu"))


# ---- algorithm='winograd': F(4x4, 3x3), 2D 3x3 stride 1 dilation 1 (csrc/winograd/) -------------
# Winograd trades a little precision (the transforms round on top of the GEMM): 1e-4 of the
# output's magnitude instead of 1e-5.
WINO_RTOL = 1e-4
WINO_SIZES = [1, 2, 3, 5, 7]  # 4x4 output tiles: partial tiles of every width, and a full one + 1
WINO_CASES = []
for _i, (_h, _w) in enumerate([(h, w) for h in WINO_SIZES for w in WINO_SIZES]):
    _cig, _cog, _g = [(1, 1, 1), (3, 5, 1), (8, 16, 1), (17, 9, 1), (2, 3, 2), (4, 2, 3)][_i % 6]
    _pad = "valid" if (_i % 2 and min(_h, _w) >= 3) else "same"
    WINO_CASES.append(((_h, _w), _cig * _g, _cog * _g, _g, _pad, bool(_i % 3), ACTS[_i % len(ACTS)]))
WINO_CASES += [((20, 17), 64, 48, 1, "same", True, "relu"),   # several tiles and tile blocks
               ((9, 14), 40, 33, 1, "valid", True, "relu6"),
               ((12, 12), 96, 64, 4, "same", False, "silu")]


@pytest.mark.parametrize("case", WINO_CASES, ids=[f"{c[0][0]}x{c[0][1]}-c{c[1]}-f{c[2]}-g{c[3]}-{c[4]}"
                                                   f"{'-b' if c[5] else ''}-{c[6]}" for c in WINO_CASES])
def test_conv_winograd_matches_oracle(isa, case, assert_close):
    spatial, cin, cout, groups, padding, use_bias, act = case
    r = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = r.standard_normal((2, *spatial, cin)).astype(np.float32)
    w = (r.standard_normal((3, 3, cin // groups, cout)) / np.sqrt(9 * cin / groups)).astype(np.float32)
    b = r.standard_normal(cout).astype(np.float32) if use_bias else None
    got = convkit.ops.conv(x, w, padding=padding, bias=b, groups=groups, activation=act, algorithm="winograd")
    assert_close(got, ref.conv(x, w, 1, padding, 1, groups, b, act), rtol=WINO_RTOL)


def test_conv_winograd_channels_first_and_3d(isa, rng, assert_close):
    x = rng.standard_normal((1, 6, 9, 7)).astype(np.float32)  # channels_first: 6 channels
    w = rng.standard_normal((3, 3, 6, 5)).astype(np.float32) / 7
    got = convkit.ops.conv(x, w, padding="same", data_format="channels_first", algorithm="winograd")
    want = ref.to_channels_first(ref.conv(ref.to_channels_last(x), w, 1, "same"))
    assert_close(got, want, rtol=WINO_RTOL)
    # 3D with a 1x3x3 kernel: every depth slice is a 2D image
    x3 = rng.standard_normal((2, 3, 6, 5, 4)).astype(np.float32)
    w3 = rng.standard_normal((1, 3, 3, 4, 8)).astype(np.float32) / 6
    got3 = convkit.ops.conv(x3, w3, padding="same", algorithm="winograd", activation="tanh")
    assert_close(got3, ref.conv(x3, w3, 1, "same", 1, 1, None, "tanh"), rtol=WINO_RTOL)


def test_conv_winograd_agrees_with_gemm(isa, rng):
    x = rng.standard_normal((1, 23, 29, 32)).astype(np.float32)
    w = rng.standard_normal((3, 3, 32, 24)).astype(np.float32) / 17
    b = rng.standard_normal(24).astype(np.float32)
    wino = convkit.ops.conv(x, w, padding="same", bias=b, algorithm="winograd")
    gemm = convkit.ops.conv(x, w, padding="same", bias=b, algorithm="gemm")
    assert np.abs(wino - gemm).max() <= WINO_RTOL * max(1.0, np.abs(gemm).max())


def test_conv_winograd_same_result_whatever_the_thread_count(isa, rng):
    x = rng.standard_normal((2, 30, 30, 24)).astype(np.float32)
    w = rng.standard_normal((3, 3, 24, 40)).astype(np.float32)
    before = convkit.get_num_threads()
    try:
        convkit.set_num_threads(1)
        one = convkit.ops.conv(x, w, padding="same", algorithm="winograd")
        convkit.set_num_threads(3)
        three = convkit.ops.conv(x, w, padding="same", algorithm="winograd")
    finally:
        convkit.set_num_threads(before)
    assert np.array_equal(one, three)


@pytest.mark.parametrize("kernel, strides, dilation, rank", [
    (3, 1, 1, 1),        # 1D: not covered (a 4x4 tile would waste 3 of its 4 rows)
    (5, 1, 1, 2),        # other kernel sizes
    ((3, 1), 1, 1, 2),
    (3, 2, 1, 2),        # strides
    (3, 1, 2, 2),        # dilation
    (3, 1, 1, 3),        # 3D with a 3x3x3 kernel
])
def test_conv_winograd_refuses_uncovered_shapes_clearly(isa, kernel, strides, dilation, rank):
    # Never a silent fall back to another algorithm: a ValueError that says what is supported.
    ks = ref.as_tuple(kernel, rank)
    x = np.ones((1,) + (9,) * rank + (4,), np.float32)
    w = np.ones(ks + (4, 4), np.float32)
    with pytest.raises(ValueError, match="algorithm='winograd' supports 2D convolutions with a 3x3 kernel"):
        convkit.ops.conv(x, w, strides=strides, dilation_rate=dilation, algorithm="winograd")


@pytest.mark.parametrize("algorithm", ["auto", "direct"])
def test_conv_few_channels_large_output_matches_oracle(isa, rng, algorithm, assert_close, same_at_thread_counts):
    # The small-channel direct kernel with its output prefetch on (>= 64 filters, >= 4 MiB of
    # output: csrc/conv/f32-conv-small.c): 72 filters (a ragged last panel on both vector paths),
    # rows of 112 pixels (a ragged last sub-run), 'same' borders, two images (the prefetch of the
    # next unit crosses rows and images). A prefetch must change nothing, whatever the threads.
    x = rng.standard_normal((2, 96, 112, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 72)).astype(np.float32)
    b = rng.standard_normal(72).astype(np.float32)
    got = same_at_thread_counts(
        lambda: convkit.ops.conv(x, w, padding="same", bias=b, activation="relu", algorithm=algorithm))
    assert got.nbytes >= 4 << 20
    assert_close(got, ref.conv(x, w, 1, "same", 1, 1, b, "relu"))


@pytest.mark.parametrize("op", ["conv", "depthwise_conv", "conv_transpose"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_axis_activation_reduces_over_the_outputs_last_axis(isa, rng, op, data_format, assert_close):
    # As in Keras (activations.softmax(x, axis=-1) on the output): with channels_first the last
    # axis is W, not the channels, so softmax runs after the move back to the caller's layout.
    x = rng.standard_normal((2, 5, 6, 4)).astype(np.float32)
    if data_format == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    w = rng.standard_normal((3, 3, 4, 4 if op != "depthwise_conv" else 2)).astype(np.float32)
    fn = getattr(convkit.ops, op)
    for name in ("softmax", "log_softmax"):
        plain = fn(x, w, padding="same", data_format=data_format).astype(np.float64)
        e = np.exp(plain - plain.max(axis=-1, keepdims=True))
        want = e / e.sum(axis=-1, keepdims=True)
        if name == "log_softmax":
            want = np.log(want)
        assert_close(fn(x, w, padding="same", data_format=data_format, activation=name), want)


# A stride and a dilation both above 1 (keras.ops.conv accepts them on the torch and JAX
# backends; Keras's Conv layers refuse them, its depthwise and separable layers do not):
# (rank, cin, filters, groups, k, strides, dilation, padding)
STRIDE_DILATION = [
    (1, 3, 8, 1, 3, 2, 2, "valid"),      # small-channel direct kernel
    (1, 16, 40, 1, 5, 3, 2, "causal"),
    (2, 3, 64, 1, 3, (2, 3), (2, 2), "same"),
    (2, 32, 40, 1, 3, 2, 2, "same"),     # indirect GEMM
    (2, 24, 36, 3, (3, 2), (2, 1), (1, 3), "valid"),
    (3, 4, 6, 1, 2, 2, (2, 1, 2), "same"),
]


@pytest.mark.parametrize("algorithm", ["auto", "direct", "gemm"])
@pytest.mark.parametrize("case", STRIDE_DILATION, ids=["-".join(map(str, c)).replace(" ", "") for c in STRIDE_DILATION])
def test_conv_stride_and_dilation_together_match_oracle(isa, case, algorithm, assert_close):
    rank, cin, filters, groups, k, s, d, padding = case
    r = np.random.default_rng(zlib.crc32(repr(case).encode()))
    ks = ref.as_tuple(k, rank)
    x = r.standard_normal((2,) + (13, 11, 9)[:rank] + (cin,)).astype(np.float32)
    w = r.standard_normal(ks + (cin // groups, filters)).astype(np.float32)
    b = r.standard_normal(filters).astype(np.float32)
    got = convkit.ops.conv(x, w, strides=s, padding=padding, dilation_rate=d, bias=b, groups=groups,
                           activation="relu", algorithm=algorithm)
    assert_close(got, ref.conv(x, w, s, padding, d, groups, b, "relu"))


# One input channel per group (groups == in_channels): a depthwise convolution written as a
# grouped one (Keras's ConvNeXt); 'auto' and 'direct' run it on the depthwise kernels.
DEPTHWISE_GROUPED = [
    # (rank, spatial, channels, multiplier, k, stride, dilation, padding, data_format)
    (2, (9, 11), 5, 1, 7, 1, 1, "same", "channels_last"),
    (2, (8, 8), 3, 2, 3, 2, 1, "valid", "channels_first"),
    (2, (13, 7), 16, 1, 3, 1, 2, "same", "channels_last"),
    (2, (6, 17), 17, 3, 5, 1, 1, "same", "channels_first"),
    (1, (23,), 4, 2, 5, 2, 1, "causal", "channels_last"),
    (3, (4, 6, 5), 6, 1, 3, 1, 1, "same", "channels_last"),
]


@pytest.mark.parametrize("algorithm", ["auto", "direct", "gemm"])
@pytest.mark.parametrize("case", DEPTHWISE_GROUPED, ids=[f"{c[0]}d-c{c[2]}-m{c[3]}-k{c[4]}-s{c[5]}-d{c[6]}-{c[7]}-{c[8][9:]}"
                                                       for c in DEPTHWISE_GROUPED])
def test_conv_with_one_channel_per_group_matches_oracle(isa, case, algorithm, assert_close, same_at_thread_counts):
    rank, spatial, c, m, k, s, d, padding, fmt = case
    r = np.random.default_rng(c * 100 + m * 10 + k)
    x = r.standard_normal((2, *spatial, c)).astype(np.float32)
    w = r.standard_normal((*ref.as_tuple(k, rank), 1, c * m)).astype(np.float32)
    b = r.standard_normal(c * m).astype(np.float32)
    expected = ref.conv(x, w, s, padding, d, c, b, "relu")
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = same_at_thread_counts(lambda: convkit.ops.conv(xin, w, strides=s, padding=padding, data_format=fmt,
                                                         dilation_rate=d, bias=b, groups=c, activation="relu",
                                                         algorithm=algorithm))
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)
    # the same as the depthwise op on the same kernel memory
    if algorithm != "gemm":
        dw = convkit.ops.depthwise_conv(xin, w.reshape(*ref.as_tuple(k, rank), c, m), s, padding, fmt, d, bias=b,
                                        activation="relu") if padding != "causal" else None
        if dw is not None:
            np.testing.assert_array_equal(got, dw)


def test_conv2d_layer_with_groups_equal_to_channels(isa, rng, assert_close):
    # the layer keeps its kernel packed for the grouped GEMM; its call still takes the depthwise
    # kernels, with Keras's weight layout
    layer = convkit.layers.Conv2D(12, 7, padding="same", groups=12, activation="gelu")
    x = rng.standard_normal((2, 15, 9, 12)).astype(np.float32)
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (7, 7, 1, 12)
    assert_close(y, ref.conv(x, kernel, 1, "same", 1, 12, bias, "gelu"))
