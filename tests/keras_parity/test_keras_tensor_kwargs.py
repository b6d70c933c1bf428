"""Tensors passed by keyword in functional models, against Keras 3 (torch backend): the same
models built in Keras and in convkit (recurrent layers' and Bidirectional's `initial_state`,
MultiHeadAttention's query / value / key / attention_mask by keyword or by position). Keras's
`.keras` and legacy `.h5` files load in convkit with Keras's layer order, weights and numbers;
convkit's files load in Keras with the same numbers, and convkit writes the config Keras writes
for the same model."""
import json

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import convkit  # noqa: E402
from saved_models import archive_config as _archive_config, without_shared_ids as _without_shared_ids  # noqa: E402


# ---- the same model in either library (`lib`: keras or convkit) --------------------------------

def _lstm(lib):
    L = lib.layers
    x, h, c = lib.Input((5, 3), name="x"), lib.Input((4,), name="h"), lib.Input((4,), name="c")
    y = L.LSTM(4, return_sequences=True, name="lstm")(x, initial_state=[L.Dense(4, name="state")(h), c])
    return lib.Model([x, h, c], y, name="model")


def _gru_simple_rnn(lib):
    L = lib.layers
    x, h = lib.Input((5, 3), name="x"), lib.Input((4,), name="h")
    first = L.GRU(4, go_backwards=True, name="gru")(x, initial_state=h)
    return lib.Model([x, h], L.SimpleRNN(4, return_state=True, name="rnn")(x, initial_state=[first]), name="model")


def _bidirectional(lib):
    L = lib.layers
    x, h, c = lib.Input((5, 3), name="x"), lib.Input((4,), name="h"), lib.Input((4,), name="c")
    y = L.Bidirectional(L.LSTM(4, return_sequences=True, name="lstm"), merge_mode="sum", name="bi")(
        x, initial_state=[h, c, c, h])
    return lib.Model([x, h, c], y, name="model")


def _conv_lstm(lib):
    L = lib.layers
    x = lib.Input((3, 6, 6, 2), name="x")
    h, c = lib.Input((4, 4, 3), name="h"), lib.Input((4, 4, 3), name="c")
    return lib.Model([x, h, c], L.ConvLSTM2D(3, 3, name="conv_lstm")(x, initial_state=[h, c]), name="model")


def _mha_by_keyword(lib):
    # Dense layers of one class before each keyword: Keras's layer order decides which weights are whose
    L = lib.layers
    q, v, m = lib.Input((5, 8), name="q"), lib.Input((6, 8), name="v"), lib.Input((5, 6), name="m")
    y = L.MultiHeadAttention(2, 4, name="mha")(query=L.Dense(8, name="dq")(q), value=L.Dense(8, name="dv")(v),
                                                attention_mask=L.Dense(6, name="dm")(m))
    return lib.Model([q, v, m], y, name="model")


def _mha_key_by_keyword(lib):
    L = lib.layers
    q, v, k = lib.Input((5, 8), name="q"), lib.Input((6, 8), name="v"), lib.Input((6, 4), name="k")
    m = lib.Input((5, 6), name="m")
    y = L.MultiHeadAttention(2, 4, value_dim=3, name="mha")(q, v, key=k, attention_mask=m, use_causal_mask=True)
    return lib.Model([q, v, k, m], y, name="model")


def _mha_positional(lib):
    L = lib.layers
    q, v, k = lib.Input((5, 8), name="q"), lib.Input((6, 8), name="v"), lib.Input((6, 8), name="k")
    m = lib.Input((5, 6), name="m")
    a = L.MultiHeadAttention(2, 4, name="mha")(q, v, k, attention_mask=m)
    b = L.MultiHeadAttention(2, 4, output_shape=5, name="mha_2")(q, v)
    return lib.Model([q, v, k, m], [a, b], name="model")


MODELS = {"lstm": _lstm, "gru_simple_rnn": _gru_simple_rnn, "bidirectional": _bidirectional,
          "conv_lstm": _conv_lstm, "mha_by_keyword": _mha_by_keyword, "mha_key_by_keyword": _mha_key_by_keyword,
          "mha_positional": _mha_positional}


def _keras_model(keras, name, seed=0):
    model = MODELS[name](keras)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _inputs(name, model, seed=1):
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(-1.0, 1.0, (3,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]
    if name.startswith("mha"):
        xs[-1] = (xs[-1] > -0.4).astype(np.float32)  # the attention mask: 1 where allowed
    return xs


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


# ---- tests -----------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_model_loads_in_convkit(name, suffix, keras, tmp_path, to_numpy, assert_parity):
    k_model = _keras_model(keras, name)
    path = tmp_path / f"keras{suffix}"
    k_model.save(path)
    c_model = convkit.models.load_model(path)
    assert [layer.name for layer in c_model.layers] == [layer.name for layer in k_model.layers]
    for k, c in zip(k_model.get_weights(), c_model.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(k, np.float32), c)
    xs = _inputs(name, k_model)
    assert_parity(_as_list(c_model.predict(xs, verbose=0)), to_numpy(_as_list(k_model.predict(xs, verbose=0))))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_convkit_model_has_keras_numbers_and_config(name, keras, tmp_path, to_numpy, assert_parity):
    k_model = _keras_model(keras, name)
    c_model = MODELS[name](convkit)
    assert [layer.name for layer in c_model.layers] == [layer.name for layer in k_model.layers]
    c_model.set_weights(k_model.get_weights())
    xs = _inputs(name, k_model)
    want = to_numpy(_as_list(k_model.predict(xs, verbose=0)))
    assert_parity(_as_list(c_model.predict(xs, verbose=0)), want)
    # convkit writes the config Keras writes for the same model (nodes, build_config shapes)
    c_model.save(tmp_path / "convkit.keras")
    k_model.save(tmp_path / "keras.keras")
    assert _archive_config(tmp_path / "convkit.keras") == _archive_config(tmp_path / "keras.keras")
    assert json.loads(c_model.to_json()) == _without_shared_ids(json.loads(k_model.to_json()))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_convkit_saved_model_loads_in_keras(name, suffix, keras, tmp_path, to_numpy, assert_parity):
    k_reference = _keras_model(keras, name)
    c_model = MODELS[name](convkit)
    c_model.set_weights(k_reference.get_weights())
    path = tmp_path / f"convkit{suffix}"
    c_model.save(path)
    k_model = keras.saving.load_model(path)
    assert [layer.name for layer in k_model.layers] == [layer.name for layer in c_model.layers]
    xs = _inputs(name, c_model)
    got = _as_list(c_model.predict(xs, verbose=0))
    assert_parity(got, to_numpy(_as_list(k_model.predict(xs, verbose=0))))
    # and convkit reads its own file back bit for bit
    again = convkit.models.load_model(path)
    for a, b in zip(_as_list(again.predict(xs, verbose=0)), got, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_positional_initial_state_loads(suffix, keras, tmp_path, to_numpy, assert_parity):
    """Keras also takes a recurrent layer's states as its second positional argument: lstm(x, [h, c])."""
    x, h, c = keras.Input((5, 3)), keras.Input((4,)), keras.Input((4,))
    gru_state = keras.Input((2,))
    y = keras.layers.LSTM(4, return_sequences=True)(x, [h, c])
    k_model = keras.Model([x, h, c, gru_state], [y, keras.layers.GRU(2)(y, gru_state)])
    rng = np.random.default_rng(2)
    k_model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in k_model.get_weights()])
    k_model.save(tmp_path / f"keras{suffix}")
    c_model = convkit.models.load_model(tmp_path / f"keras{suffix}")
    xs = [rng.uniform(-1, 1, (2,) + tuple(t.shape[1:])).astype(np.float32) for t in k_model.inputs]
    assert_parity(_as_list(c_model.predict(xs, verbose=0)), to_numpy(_as_list(k_model.predict(xs, verbose=0))))
    # convkit writes the states by keyword, which Keras reads to the same numbers
    c_model.save(tmp_path / f"convkit{suffix}")
    again = keras.saving.load_model(tmp_path / f"convkit{suffix}")
    assert_parity(_as_list(c_model.predict(xs, verbose=0)), to_numpy(_as_list(again.predict(xs, verbose=0))))
