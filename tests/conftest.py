"""Shared fixtures: every ISA path, a seeded generator, and the float32-vs-oracle check."""
import os
import sys

import numpy as np
import pytest

# Make `import reference` work from any test folder.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import convkit  # noqa: E402

_ISA_FORCED = os.environ.get("CONVKIT_ISA", "auto").strip().lower() not in ("", "auto")


@pytest.fixture(params=convkit.available_isas())
def isa(request):
    """Run the test once per kernel path this CPU can run, then go back to the path chosen at
    import ('auto', or what CONVKIT_ISA asked for)."""
    before = convkit.cpu_info()["isa"] if _ISA_FORCED else "auto"
    convkit._set_isa(request.param)
    try:
        yield request.param
    finally:
        convkit._set_isa(before)


@pytest.fixture
def nan_filled_outputs(monkeypatch):
    """Make convkit.ops allocate its outputs filled with NaN, so an element a kernel never
    writes shows up as NaN in assert_close instead of as leftover memory."""
    from convkit import ops

    assert hasattr(ops, "_output_array"), "convkit.ops._output_array moved; update this fixture"
    original = ops._output_array

    def nan_output(shape, op, data_format=None):
        out = original(shape, op, data_format)
        out.fill(np.nan)
        return out

    monkeypatch.setattr(ops, "_output_array", nan_output)


@pytest.fixture
def rng():
    return np.random.default_rng(20240607)


@pytest.fixture
def same_at_thread_counts():
    """Run fn() at 1, 2 and 3 threads, assert the outputs are bitwise identical (results never
    depend on the thread count) and return the first. The thread count is restored."""
    import convkit

    def check(fn, counts=(1, 2, 3)):
        before = convkit.get_num_threads()
        try:
            outs = []
            for n in counts:
                convkit.set_num_threads(n)
                outs.append(fn())
        finally:
            convkit.set_num_threads(before)
        for o in outs[1:]:
            np.testing.assert_array_equal(outs[0], o)
        return outs[0]

    return check


def assert_close(actual, expected, rtol=1e-5):
    """convkit's float32 output vs a float64 oracle.

    max |a - e| <= rtol * max(1, max |e|), same shape, float32, and no NaN where the oracle
    has none (a NaN would mean an output element the kernel never wrote).
    """
    assert isinstance(actual, np.ndarray), f"expected a numpy array, got {type(actual).__name__}"
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.dtype == np.float32, f"dtype {actual.dtype}, expected float32"
    assert actual.shape == expected.shape, f"shape {actual.shape}, expected {expected.shape}"
    if actual.size == 0:
        return
    bad_nan = np.isnan(actual) & ~np.isnan(expected)
    assert not bad_nan.any(), (
        f"{int(bad_nan.sum())} NaN(s) where the oracle has a value, first at "
        f"{tuple(int(i) for i in np.argwhere(bad_nan)[0])}")
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(actual), finite), "inf/NaN pattern differs from the oracle"
    if not finite.any():
        return
    err = np.abs(actual.astype(np.float64)[finite] - expected[finite])
    scale = max(1.0, float(np.abs(expected[finite]).max()))
    worst = float(err.max())
    assert worst <= rtol * scale, (
        f"max |actual - expected| = {worst:.3g} > {rtol:g} * {scale:.3g}; "
        f"first bad index {tuple(int(i) for i in np.argwhere(np.abs(actual.astype(np.float64) - expected) > rtol * scale)[0])}")


@pytest.fixture(name="assert_close")
def _assert_close_fixture():
    return assert_close
