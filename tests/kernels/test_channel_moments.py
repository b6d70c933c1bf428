"""ck_f32_channel_moments (GroupNormalization's statistics): per sample and channel, the sum of x
and of its float32 squares over the outer and inner positions, in double."""
import numpy as np
import pytest

from convkit._ext import _core
import reference as ref


def _moments(x):
    batch, _, channels, _ = x.shape
    sums = np.full((2, batch, channels), np.nan)
    _core.channel_moments(x, sums[0], sums[1])
    return sums


# (batch, outer, channels, inner): channels last (inner 1) around the 256-channel block and the
# 128-row partial; channels first (outer 1) around the 32 x 128-value partial; both at once
@pytest.mark.parametrize("shape", [
    (1, 1, 1, 1), (2, 127, 3, 1), (1, 129, 255, 1), (2, 300, 257, 1), (3, 7, 512, 1),
    (1, 1, 5, 31), (2, 1, 3, 4095), (1, 1, 2, 4097), (2, 1, 1, 9000), (2, 3, 4, 37),
])
def test_channel_moments_match_float64_sums(rng, shape):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    got, want = _moments(x), ref.channel_moments(x)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-5 * np.sqrt(shape[1] * shape[3]))


def test_channel_moments_are_identical_for_any_thread_count(rng, same_at_thread_counts):
    for shape in [(3, 1000, 70, 1), (3, 1, 70, 1000)]:
        x = rng.standard_normal(shape).astype(np.float32)
        same_at_thread_counts(lambda: _moments(x))


def test_channel_moments_keep_nonfinite_values_in_their_channel(rng):
    x = rng.standard_normal((2, 50, 6, 1)).astype(np.float32)
    x[1, 7, 2, 0] = np.nan
    x[0, 3, 4, 0] = np.inf
    s = _moments(x)
    assert np.isnan(s[:, 1, 2]).all() and np.isinf(s[:, 0, 4]).all()
    finite = np.ones((2, 6), bool)
    finite[1, 2] = finite[0, 4] = False
    assert np.isfinite(s[0][finite]).all() and np.isfinite(s[1][finite]).all()


def test_channel_moments_shapes_and_empty_batch():
    sums = np.empty((0, 4))
    _core.channel_moments(np.zeros((0, 3, 4, 2), np.float32), sums, sums.copy())
    with pytest.raises(ValueError, match="batch, channels"):
        _core.channel_moments(np.zeros((1, 3, 4, 2), np.float32), np.empty((1, 3)), np.empty((1, 3)))
    with pytest.raises(ValueError):
        _core.channel_moments(np.zeros((1, 0, 4, 2), np.float32), np.empty((1, 4)), np.empty((1, 4)))
