"""predict: batching, verbosity, argument checks."""
import numpy as np
import pytest

from convkit.layers import Conv1D, Dense, GlobalMaxPooling1D
from convkit.models import Sequential


def _model():
    return Sequential([Conv1D(3, 3, padding="same", activation="relu", input_shape=(10, 2)),
                       GlobalMaxPooling1D(), Dense(2)])


@pytest.mark.parametrize("n, batch_size", [(7, 1), (7, 2), (7, 3), (7, 7), (7, 32), (7, 1000), (1, 1), (64, 32)])
def test_batching_does_not_change_results(n, batch_size, rng, capsys):
    model = _model()
    x = rng.standard_normal((n, 10, 2)).astype(np.float32)
    whole = np.concatenate([model.predict(x[i:i + 1], verbose=0) for i in range(n)])
    y = model.predict(x, batch_size=batch_size, verbose=0)
    assert y.shape == (n, 2) and y.dtype == np.float32
    np.testing.assert_allclose(y, whole, rtol=1e-6, atol=1e-6)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_default_batch_size_and_auto_verbose_not_a_terminal(rng, capsys):
    model = _model()
    x = rng.standard_normal((70, 10, 2)).astype(np.float32)
    y = model.predict(x)  # 3 batches of 32, stderr is not a terminal under pytest
    assert y.shape == (70, 2)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("batch_size", [0, -1])
def test_batch_size_below_one(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        _model().predict(np.zeros((4, 10, 2), np.float32), batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [2.5, "8"])
def test_batch_size_not_an_int(batch_size):
    with pytest.raises((TypeError, ValueError), match="batch_size"):
        _model().predict(np.zeros((4, 10, 2), np.float32), batch_size=batch_size)


def test_predict_accepts_lists_and_float64(rng):
    model = _model()
    x = rng.standard_normal((3, 10, 2))
    y = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x.tolist(), verbose=0), y, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x.astype(np.float32), verbose=0), y, rtol=1e-6)


def test_predict_does_not_modify_input(rng):
    model = _model()
    x = rng.standard_normal((5, 10, 2)).astype(np.float32)
    keep = x.copy()
    model.predict(x, batch_size=2, verbose=0)
    np.testing.assert_array_equal(x, keep)


def test_repeated_predict_is_stable(rng):
    model = _model()
    x = rng.standard_normal((5, 10, 2)).astype(np.float32)
    a = model.predict(x, verbose=0)
    b = model.predict(x, verbose=0)
    np.testing.assert_array_equal(a, b)
    model.set_weights([w * 2 for w in model.get_weights()])
    c = model.predict(x, verbose=0)
    assert not np.allclose(a, c), "set_weights after predict did not invalidate the prepared model"
