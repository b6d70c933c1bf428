"""Element-wise merging layers: same-shape inputs merge in C (ck_f32_merge), broadcasting ones in
NumPy; both must give NumPy's values, operation for operation."""
import numpy as np
import pytest

import convkit
from convkit import layers as L

def _fold(fn):
    """x0 op x1 op ... left to right, each step rounded to float32 as NumPy does."""
    def run(xs):
        out = xs[0].copy()
        for x in xs[1:]:
            out = fn(out, x).astype(np.float32)
        return out
    return run


OPS = {
    "Add": _fold(np.add),
    "Subtract": _fold(np.subtract),
    "Multiply": _fold(np.multiply),
    "Average": lambda xs: _fold(np.add)(xs) / np.float32(len(xs)),
    "Maximum": _fold(np.maximum),
    "Minimum": _fold(np.minimum),
}
CASES = [(name, k) for name in OPS for k in (2, 3) if not (name == "Subtract" and k == 3)]


def _inputs(rng, k, shape):
    xs = [(rng.standard_normal(shape) * 3).astype(np.float32) for _ in range(k)]
    flat = xs[0].reshape(-1)
    flat[:4] = [np.nan, np.inf, -np.inf, 0.0]
    xs[-1].reshape(-1)[4:8] = [np.nan, -np.inf, np.inf, -0.0]
    return xs


@pytest.mark.parametrize("name, k", CASES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 37, 41, 7)])  # one chunk; several and a ragged one
def test_merge_matches_numpy(isa, rng, name, k, shape):
    xs = _inputs(rng, k, shape)
    before = [x.copy() for x in xs]
    got = getattr(L, name)()(xs)
    assert got.dtype == np.float32 and got.shape == shape
    np.testing.assert_array_equal(got, OPS[name](xs))
    for x, b in zip(xs, before):
        np.testing.assert_array_equal(x, b)


@pytest.mark.parametrize("name", list(OPS))
def test_broadcasting_merge_still_works(isa, rng, name):
    a = rng.standard_normal((2, 1, 4)).astype(np.float32)
    b = rng.standard_normal((2, 3, 4)).astype(np.float32)
    got = getattr(L, name)()([a, b])
    assert got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, OPS[name]([np.broadcast_to(a, b.shape).copy(), b]))


def test_merge_is_identical_for_any_thread_count(rng, same_at_thread_counts):
    xs = [rng.standard_normal((4, 64, 64, 16)).astype(np.float32) for _ in range(3)]
    got = same_at_thread_counts(lambda: L.Average()(xs))
    np.testing.assert_array_equal(got, OPS["Average"](xs))


@pytest.mark.parametrize("xshape, sshape", [
    ((1, 9, 7, 16), (1, 1, 1, 16)),      # squeeze-and-excitation, batch 1
    ((4, 5, 6, 3), (4, 1, 1, 3)),        # one scale per sample and channel
    ((4, 5, 6, 3), (1, 1, 1, 3)),        # one scale per channel for the whole batch
    ((2, 11, 5), (2, 1, 5)),             # 1D
    ((2, 3, 4, 5, 7), (2, 1, 1, 1, 7)),  # 3D
    ((0, 4, 4, 3), (0, 1, 1, 3)),        # empty batch
])
@pytest.mark.parametrize("reverse", [False, True])
def test_multiply_by_one_value_per_channel_is_numpys_product(isa, rng, xshape, sshape, reverse, same_at_thread_counts):
    # the per-channel product runs in C (ops._channel_scale); its bits must be x * s, signed zeros,
    # infinities and NaN included
    x = rng.standard_normal(xshape).astype(np.float32)
    s = rng.standard_normal(sshape).astype(np.float32)
    if x.size:
        x.reshape(-1)[:4] = [-0.0, np.inf, np.nan, 0.0]
        s.reshape(-1)[:2] = [0.0, -0.0]
    pair = [s, x] if reverse else [x, s]
    x_before, s_before = x.copy(), s.copy()
    got = same_at_thread_counts(lambda: L.Multiply()(pair))
    want = (s * x) if reverse else (x * s)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(s, s_before)


def test_multiply_other_broadcasts_still_use_numpy(rng):
    x = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    for other in (rng.standard_normal((2, 4, 1, 1)).astype(np.float32),
                  rng.standard_normal((1, 1, 5, 3)).astype(np.float32),
                  rng.standard_normal((2, 4, 5, 1)).astype(np.float32)):
        np.testing.assert_array_equal(L.Multiply()([x, other]), x * other)
