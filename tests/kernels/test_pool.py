"""Max/average pooling (windows clipped to the input for 'same') and global pooling vs the oracle."""
import zlib

import numpy as np
import pytest

import convkit
import reference as ref

# Every output starts as NaN, so an element a kernel forgets to write fails the comparison.
pytestmark = pytest.mark.usefixtures("nan_filled_outputs")

# (rank, spatial, channels, pool_size, strides, padding, data_format)
CASES = [
    (1, (8,), 1, 2, None, "valid", "channels_last"),
    (1, (13,), 3, 3, 2, "same", "channels_last"),
    (1, (1,), 2, 3, 1, "same", "channels_first"),
    (1, (11,), 16, 4, 3, "valid", "channels_last"),
    (1, (7,), 17, 2, 1, "same", "channels_last"),
    (2, (5, 7), 15, 2, None, "valid", "channels_last"),
    (2, (6, 6), 16, 3, 2, "same", "channels_last"),
    (2, (7, 5), 17, 3, 1, "same", "channels_first"),
    (2, (13, 11), 3, (3, 2), (2, 3), "same", "channels_last"),
    (2, (1, 1), 4, 2, None, "same", "channels_last"),
    (2, (6, 7), 2, 4, 3, "same", "channels_last"),
    (2, (5, 5), 3, 5, 1, "valid", "channels_first"),
    (3, (5, 6, 7), 2, 2, None, "valid", "channels_last"),
    (3, (5, 5, 5), 3, 3, 2, "same", "channels_first"),
    (3, (6, 7, 5), 2, (2, 3, 1), (1, 2, 3), "same", "channels_last"),
    # rows longer than one 64-pixel run (the vector path's work unit), ragged last run
    (1, (200,), 5, 3, 1, "same", "channels_last"),
    (2, (3, 151), 9, 2, None, "valid", "channels_first"),
]


def _id(c):
    return "-".join(str(v).replace(" ", "") for v in c)


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_pool_matches_oracle(isa, case, kind, assert_close):
    rank, spatial, c, p, s, padding, fmt = case
    r = np.random.default_rng(zlib.crc32(_id(case).encode()))
    x = r.standard_normal((2, *spatial, c)).astype(np.float32)
    oracle = ref.max_pool if kind == "max" else ref.average_pool
    op = convkit.ops.max_pool if kind == "max" else convkit.ops.average_pool
    expected = oracle(x, p, s, padding)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = op(xin, p, s, padding, fmt)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)


def test_max_pool_all_negative_same_padding(isa):
    # Padding must not act as a zero: with all-negative inputs the max stays negative.
    x = -np.arange(1, 1 + 5 * 5, dtype=np.float32).reshape(1, 5, 5, 1)
    got = convkit.ops.max_pool(x, 2, 2, "same")
    np.testing.assert_array_equal(got, ref.max_pool(x, 2, 2, "same").astype(np.float32))
    assert np.all(got < 0)


def test_average_pool_same_counts_only_inside_cells(isa):
    x = np.ones((1, 5, 5, 1), np.float32)
    got = convkit.ops.average_pool(x, 3, 2, "same")
    np.testing.assert_array_equal(got, np.ones((1, 3, 3, 1), np.float32))


@pytest.mark.parametrize("rank,spatial", [(1, (13,)), (2, (5, 7)), (2, (1, 1)), (3, (3, 5, 2))])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pools(isa, rng, rank, spatial, fmt, keepdims, assert_close):
    x = rng.standard_normal((3, *spatial, 17)).astype(np.float32)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    for op, oracle in ((convkit.ops.global_max_pool, ref.global_max_pool),
                       (convkit.ops.global_average_pool, ref.global_average_pool)):
        expected = oracle(x, keepdims=keepdims)
        if keepdims and fmt == "channels_first":
            expected = ref.to_channels_first(expected)
        assert_close(op(xin, fmt, keepdims), expected)


@pytest.mark.parametrize("kind", ["max", "average"])
def test_pool_one_row_is_identical_for_any_thread_count(isa, rng, kind, same_at_thread_counts):
    # A 1D layer at batch 1 is one output row; its runs of pixels are what the threads share.
    x = rng.standard_normal((1, 5000, 24)).astype(np.float32)
    op = convkit.ops.max_pool if kind == "max" else convkit.ops.average_pool
    got = same_at_thread_counts(lambda: op(x, 5, 2, "same"))
    oracle = ref.max_pool if kind == "max" else ref.average_pool
    np.testing.assert_allclose(got, oracle(x, 5, 2, "same"), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("channels", [64, 131, 7, 300])
def test_global_pools_give_the_reference_paths_bits(isa, rng, channels):
    # Whole blocks, a ragged one, a lone partial vector and more channels than one pass holds
    # (AVX-512: 256 for the average, 128 for the max); NaNs with distinct payloads (the first one
    # down a column is the max, as on the reference path), signed zeros. A sum over two NaNs keeps
    # one of their payloads, which one depends on the operand order the compiler gives an add (an
    # ASAN build of the AVX-512 kernel swapped them): the average is compared as values, NaN for
    # NaN, and bit for bit everywhere else.
    x = rng.standard_normal((2, 37, channels)).astype(np.float32)
    bits = x.view(np.uint32)
    bits[0, 5, 3] = 0x7FC00011
    bits[0, 9, 3] = 0x7FC00022
    bits[1, 0, channels - 1] = 0xFFC00033
    x[:, :, 1] = 0.0
    x[1, 4:, 1] = -0.0
    got = [convkit.ops.global_max_pool(x), convkit.ops.global_average_pool(x)]
    before = convkit.cpu_info()["isa"]
    try:
        convkit._set_isa("ref")
        want = [convkit.ops.global_max_pool(x), convkit.ops.global_average_pool(x)]
    finally:
        convkit._set_isa(before)
    np.testing.assert_array_equal(got[0].view(np.uint32), want[0].view(np.uint32))
    assert got[0].view(np.uint32)[0, 3] == 0x7FC00011
    np.testing.assert_array_equal(got[1], want[1])  # NaN where the reference has NaN
    finite = ~np.isnan(want[1])
    np.testing.assert_array_equal(got[1][finite].view(np.uint32), want[1][finite].view(np.uint32))


@pytest.mark.parametrize("batch, channels", [(1, 128), (1, 300), (3, 40)])
def test_global_pools_are_identical_for_any_thread_count(isa, rng, batch, channels, same_at_thread_counts,
                                                         nan_filled_outputs):
    # Fewer samples than threads: a sample's channels are cut into one block per thread, so the
    # blocks depend on the thread count; each channel's sum still runs down the positions in
    # order, so the bits do not.
    x = rng.standard_normal((batch, 41, 29, channels)).astype(np.float32)
    for op, oracle in ((convkit.ops.global_max_pool, ref.global_max_pool),
                       (convkit.ops.global_average_pool, ref.global_average_pool)):
        got = same_at_thread_counts(lambda: op(x), (1, 2, 3, 4))
        np.testing.assert_allclose(got, oracle(x), rtol=1e-5, atol=1e-6)


# (spatial, output_size, channels, data_format): regular grids (the local pool's route), overlapping
# windows of two sizes, outputs larger than the input, size 1 both ways, primes, 3D.
ADAPTIVE_CASES = [
    ((8,), 4, 3, "channels_last"),
    ((13,), 5, 17, "channels_last"),
    ((3,), 7, 2, "channels_first"),
    ((1,), 1, 1, "channels_last"),
    ((7, 7), 7, 16, "channels_last"),
    ((14, 14), (7, 7), 8, "channels_first"),
    ((13, 11), (6, 4), 9, "channels_last"),
    ((5, 6), (1, 1), 33, "channels_last"),
    ((1, 1), (3, 2), 5, "channels_first"),
    ((2, 9), (5, 3), 64, "channels_last"),
    ((6, 5, 7), (3, 2, 4), 3, "channels_last"),
    ((4, 6, 3), (2, 3, 1), 17, "channels_first"),
]


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=[_id(c) for c in ADAPTIVE_CASES])
def test_adaptive_pool_matches_oracle(isa, case, kind, assert_close):
    spatial, output_size, c, fmt = case
    r = np.random.default_rng(zlib.crc32(_id(case).encode()))
    x = r.standard_normal((2, *spatial, c)).astype(np.float32)
    expected = ref.adaptive_pool(x, output_size, "max" if kind == "max" else "mean")
    op = convkit.ops.adaptive_max_pool if kind == "max" else convkit.ops.adaptive_average_pool
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    before = xin.copy()
    got = op(xin, output_size, fmt)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)
    np.testing.assert_array_equal(xin, before)


def test_adaptive_pool_overlapping_windows_by_hand(isa):
    # 5 cells -> 3: windows [0, 2), [1, 4), [3, 5).
    x = np.array([1, 2, 6, 4, 8], np.float32).reshape(1, 5, 1)
    np.testing.assert_array_equal(convkit.ops.adaptive_average_pool(x, 3).ravel(), [1.5, 4.0, 6.0])
    np.testing.assert_array_equal(convkit.ops.adaptive_max_pool(x, 3).ravel(), [2.0, 6.0, 8.0])


def test_adaptive_pool_to_one_cell_is_the_global_pool(isa, rng):
    x = rng.standard_normal((3, 9, 7, 20)).astype(np.float32)
    np.testing.assert_array_equal(convkit.ops.adaptive_max_pool(x, 1)[:, 0, 0], convkit.ops.global_max_pool(x))
    np.testing.assert_allclose(convkit.ops.adaptive_average_pool(x, 1)[:, 0, 0], convkit.ops.global_average_pool(x),
                               rtol=1e-6, atol=1e-7)


def test_adaptive_max_pool_keeps_nan(isa):
    x = np.zeros((1, 6, 6, 2), np.float32)
    x[0, 4, 1, 1] = np.nan
    y = convkit.ops.adaptive_max_pool(x, (4, 3))  # overlapping rows: cell (4, 1) lies in two windows
    assert np.isnan(y[0, :, :, 1]).sum() == 2 and np.isnan(y[0, 2, 0, 1]) and np.isnan(y[0, 3, 0, 1])
    assert not np.isnan(y[..., 0]).any()


def test_adaptive_pool_empty_batch_and_bad_arguments():
    assert convkit.ops.adaptive_average_pool(np.zeros((0, 5, 5, 3), np.float32), 2).shape == (0, 2, 2, 3)
    x = np.ones((1, 5, 5, 3), np.float32)
    with pytest.raises(ValueError, match="output_size"):
        convkit.ops.adaptive_max_pool(x, 0)
    with pytest.raises(ValueError, match="output_size"):
        convkit.ops.adaptive_average_pool(x, (2, 2, 2))
    with pytest.raises(TypeError, match="output_size"):
        convkit.ops.adaptive_average_pool(x, 2.5)
    with pytest.raises(ValueError, match="inputs"):
        convkit.ops.adaptive_average_pool(np.ones((5, 5), np.float32), 2)


def test_adaptive_pool_is_identical_for_any_thread_count(isa, rng, same_at_thread_counts):
    x = rng.standard_normal((1, 37, 29, 40)).astype(np.float32)
    for op in (convkit.ops.adaptive_max_pool, convkit.ops.adaptive_average_pool):
        same_at_thread_counts(lambda: op(x, (5, 6)), (1, 2, 3))
