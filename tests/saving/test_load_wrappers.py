"""Keras models holding TimeDistributed and Bidirectional, saved as `.keras`, legacy `.h5` and
`.weights.h5`, load into convkit and predict Keras's numbers. The inner layers' variables sit in
nested groups (`layers/bidirectional/forward_layer/cell/vars`) or are listed flat under the
wrapper (legacy .h5)."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("h5py")

import convkit  # noqa: E402
from convkit.models import load_model  # noqa: E402

L = keras.layers


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype(np.float32) for w in model.get_weights()])


def _crnn_functional():
    # a text-recognition CRNN: conv features, columns as time steps, a bidirectional LSTM and a
    # per-step classifier
    inp = keras.Input((8, 12, 1))
    x = L.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = L.MaxPooling2D((2, 1))(x)
    x = L.Permute((2, 1, 3))(x)
    x = L.Reshape((12, 16))(x)
    x = L.Bidirectional(L.LSTM(5, return_sequences=True))(x)
    return keras.Model(inp, L.TimeDistributed(L.Dense(3, activation="softmax"))(x))


def _crnn_sequential():
    return keras.Sequential([
        keras.Input((6, 10, 2)),
        L.Conv2D(3, 3, padding="same"),
        L.Reshape((6, 30)),
        L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="sum"),
        L.TimeDistributed(L.Dense(2)),
    ])


def _video():
    inp = keras.Input((5, 8, 8, 2))
    x = L.TimeDistributed(L.Conv2D(3, 3, activation="relu"))(inp)
    x = L.TimeDistributed(L.MaxPooling2D(2))(x)
    x = L.TimeDistributed(L.Flatten())(x)
    x = L.Bidirectional(L.GRU(3, reset_after=False),
                        backward_layer=L.GRU(3, reset_after=False, activation="relu", go_backwards=True),
                        merge_mode="ave")(x)
    return keras.Model(inp, L.Dense(2)(x))


def _states():
    inp = keras.Input((7, 3))
    seq, h_f, h_b = L.Bidirectional(L.SimpleRNN(4, return_sequences=True, return_state=True), merge_mode="mul")(inp)
    out = L.TimeDistributed(L.Dense(2))(seq)
    return keras.Model(inp, [out, L.concatenate([h_f, h_b])])


def _nested_model():
    frame = keras.Sequential([keras.Input((6, 6, 2)), L.Conv2D(3, 3), L.Flatten()])
    inp = keras.Input((4, 6, 6, 2))
    x = L.TimeDistributed(frame)(inp)
    outs = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True), merge_mode=None)(x)
    return keras.Model(inp, outs)


MODELS = {"crnn_functional": (_crnn_functional, (3, 8, 12, 1)), "crnn_sequential": (_crnn_sequential, (2, 6, 10, 2)),
          "video": (_video, (2, 5, 8, 8, 2)), "states": (_states, (3, 7, 3)),
          "nested_model": (_nested_model, (2, 4, 6, 6, 2))}


def _check(c_model, k_model, x):
    want = k_model.predict(x, verbose=0)
    got = c_model.predict(x)
    want = list(want) if isinstance(want, (list, tuple)) else [want]
    got = got if isinstance(got, list) else [got]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_load_model_with_wrappers(name, fmt, tmp_path):
    make, shape = MODELS[name]
    k_model = make()
    _randomize(k_model)
    path = str(tmp_path / f"model.{fmt}")
    k_model.save(path)
    c_model = load_model(path)
    assert [type(layer).__name__ for layer in c_model.layers] == [type(layer).__name__ for layer in k_model.layers]
    for c_layer, k_layer in zip(c_model.layers, k_model.layers):
        assert c_layer.name == k_layer.name
        for attr in ("forward_layer", "backward_layer"):
            if hasattr(k_layer, attr):
                assert getattr(c_layer, attr).name == getattr(k_layer, attr).name
    for got, want in zip(c_model.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(got, want)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    _check(c_model, k_model, x)


def test_forward_and_backward_weights_are_not_swapped(tmp_path):
    """Keras writes `backward_layer` before `forward_layer` (attribute names sorted): each
    direction must get its own group's weights, whatever the order of the groups."""
    inp = keras.Input((4, 3))
    k_model = keras.Model(inp, L.Bidirectional(L.SimpleRNN(2), merge_mode=None)(inp))
    forward, backward = k_model.layers[1].forward_layer, k_model.layers[1].backward_layer
    forward.set_weights([np.full(w.shape, 0.1, np.float32) for w in forward.get_weights()])
    backward.set_weights([np.full(w.shape, -0.2, np.float32) for w in backward.get_weights()])
    k_model.save(str(tmp_path / "m.keras"))
    c_layer = load_model(str(tmp_path / "m.keras")).layers[1]
    assert all(np.all(w == np.float32(0.1)) for w in c_layer.forward_layer.get_weights())
    assert all(np.all(w == np.float32(-0.2)) for w in c_layer.backward_layer.get_weights())


def test_load_weights_into_a_convkit_model_with_wrappers(tmp_path):
    k_model = _crnn_functional()
    _randomize(k_model, seed=3)
    k_model.save_weights(str(tmp_path / "crnn.weights.h5"))
    k_model.save(str(tmp_path / "crnn.h5"))
    x = np.random.default_rng(2).standard_normal((2, 8, 12, 1)).astype(np.float32)
    for weights_file in ("crnn.weights.h5", "crnn.h5"):
        c_model = convkit.models.Model.from_config(k_model.get_config())
        before = c_model.predict(x)
        c_model.load_weights(str(tmp_path / weights_file))
        assert not np.allclose(before, c_model.predict(x))
        _check(c_model, k_model, x)


def test_a_missing_inner_group_is_reported(tmp_path):
    inp = keras.Input((3, 2))
    k_model = keras.Model(inp, L.TimeDistributed(L.Dense(2))(inp))
    k_model.save_weights(str(tmp_path / "m.weights.h5"))
    import h5py

    with h5py.File(str(tmp_path / "m.weights.h5"), "a") as f:
        del f["layers/time_distributed/layer"]
    c_model = convkit.models.Model.from_config(k_model.get_config())
    with pytest.raises(ValueError, match="no entry 'layer'"):
        c_model.load_weights(str(tmp_path / "m.weights.h5"))


class _KerasScale(L.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w

    def compute_output_shape(self, input_shape):
        return input_shape


class _ConvkitScale(convkit.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), "ones", name="w")

    def call(self, x):
        return x * self.w.value


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_custom_objects_reach_the_wrapped_layer(fmt, tmp_path):
    inp = keras.Input((3, 4))
    k_model = keras.Model(inp, L.TimeDistributed(_KerasScale(name="scale"))(inp))
    _randomize(k_model)
    k_model.save(str(tmp_path / f"m.{fmt}"))
    with pytest.raises(ValueError, match="Unknown layer"):
        load_model(str(tmp_path / f"m.{fmt}"))
    c_model = load_model(str(tmp_path / f"m.{fmt}"), custom_objects={"_KerasScale": _ConvkitScale})
    assert isinstance(c_model.layers[1].layer, _ConvkitScale)
    _check(c_model, k_model, np.random.default_rng(4).standard_normal((2, 3, 4)).astype(np.float32))
