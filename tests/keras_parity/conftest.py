"""Keras (torch backend) for the parity tests; every test here is skipped when Keras is absent."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="session")
def keras():
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)  # the machine is shared; these shapes are tiny
    return keras


def to_numpy(keras, value):
    if isinstance(value, (list, tuple)):
        return [to_numpy(keras, v) for v in value]
    return np.asarray(keras.ops.convert_to_numpy(value))


def assert_parity(actual, expected, tol=1e-4):
    """max |convkit - keras| <= tol * max(1, max |keras|), same shape, float32 out of convkit."""
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), (
            f"expected {len(expected)} outputs, got {type(actual).__name__}")
        for a, e in zip(actual, expected):
            assert_parity(a, e, tol)
        return
    assert isinstance(actual, np.ndarray), type(actual)
    assert actual.dtype == np.float32, actual.dtype
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"shape {actual.shape}, keras {expected.shape}"
    if expected.size == 0:
        return
    err = float(np.max(np.abs(actual.astype(np.float64) - expected)))
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert err <= tol * scale, f"max |convkit - keras| = {err:.3g} > {tol:g} * {scale:.3g}"


@pytest.fixture(name="to_numpy")
def _to_numpy_fixture(keras):
    return lambda value: to_numpy(keras, value)


@pytest.fixture(name="assert_parity")
def _assert_parity_fixture():
    return assert_parity
