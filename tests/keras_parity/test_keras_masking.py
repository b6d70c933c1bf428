"""Masks: convkit carries none, so a model where Keras would use one (Embedding(mask_zero=True)
reaching a recurrent, attention, Softmax or GlobalAveragePooling1D layer) is refused when built,
and models where Keras drops or never uses the mask load with Keras's numbers."""
import numpy as np
import pytest

import convkit
from convkit import _masking
from convkit.models import load_model

from test_keras_layers import _minimal_args

_ARGS = {
    "Activation": dict(activation="relu"), "Dropout": dict(rate=0.1), "AlphaDropout": dict(rate=0.1),
    "GaussianDropout": dict(rate=0.1), "GaussianNoise": dict(stddev=0.1), "SpatialDropout1D": dict(rate=0.1),
    "SpatialDropout2D": dict(rate=0.1), "SpatialDropout3D": dict(rate=0.1), "Rescaling": dict(scale=2.0),
}


def _keras_layer(keras, name):
    if name == "Bidirectional":
        return keras.layers.Bidirectional(keras.layers.LSTM(2))
    if name == "TimeDistributed":
        return keras.layers.TimeDistributed(keras.layers.Dense(2))
    return getattr(keras.layers, name)(**_ARGS.get(name, _minimal_args(name)))


def test_mask_tables_match_keras(keras):
    """Every layer both libraries have that supports masking in Keras is in one of the tables;
    every listed layer supports masking there; the users' calls take a mask."""
    listed = _masking.PASSES_MASK | _masking.USES_MASK
    assert not _masking.PASSES_MASK & _masking.USES_MASK
    missing = []
    for name in sorted(dir(convkit.layers)):
        cls = getattr(convkit.layers, name)
        if not hasattr(keras.layers, name) or not (isinstance(cls, type) and issubclass(cls, convkit.layers.Layer)):
            continue
        try:
            layer = _keras_layer(keras, name)
        except (TypeError, ValueError):
            continue
        if name in listed:
            assert layer.supports_masking, name
        elif layer.supports_masking and type(layer).__name__ == name:
            missing.append(name)
    assert not missing, missing
    import inspect
    for name in _masking.USES_MASK:
        params = inspect.signature(getattr(keras.layers, name).call).parameters
        assert "mask" in params or "query_mask" in params, name


def _save(keras, model, tmp_path, name):
    path = str(tmp_path / name)
    model.save(path)
    return path


@pytest.mark.parametrize("user", ["LSTM", "GRU", "GlobalAveragePooling1D", "Softmax"])
def test_a_mask_reaching_a_layer_that_uses_it_is_refused(keras, tmp_path, user):
    def build(layers, make_input, model):
        inp = make_input((6,), dtype="int32")
        x = layers.Embedding(20, 4, mask_zero=True)(inp)
        x = layers.Dense(4)(x)  # passes the mask on
        x = getattr(layers, user)(**({"units": 3} if user in ("LSTM", "GRU") else {}))(x)
        return model(inp, x)

    with pytest.raises(ValueError, match="mask_zero=True.*would use that mask"):
        build(convkit.layers, convkit.Input, convkit.Model)
    # Keras's file also records the mask's own op (NotEqual), which convkit refuses as well
    path = _save(keras, build(keras.layers, keras.Input, keras.Model), tmp_path, "masked.keras")
    with pytest.raises(ValueError, match="would use that mask|NotEqual"):
        load_model(path)


def test_models_whose_mask_keras_drops_or_never_uses_load_with_kerass_numbers(keras, tmp_path):
    layers = keras.layers
    inp = layers.Input((7,), dtype="int32")
    emb = layers.Embedding(20, 4, mask_zero=True)(inp)
    a = layers.LSTM(3)(layers.Conv1D(4, 3)(emb))  # Conv1D drops the mask
    b = layers.Flatten()(layers.Dense(2)(emb))  # never reaches a layer that uses it
    model = keras.Model(inp, [a, b])
    rng = np.random.default_rng(0)
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in model.get_weights()])
    x = rng.integers(0, 20, (3, 7)).astype(np.int32)
    x[:, 4:] = 0  # padded tail: Keras would mask these steps if the mask got through
    want = [np.asarray(keras.ops.convert_to_numpy(t)) for t in model(x)]
    got = load_model(_save(keras, model, tmp_path, "dropped.keras")).predict(x, verbose=0)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_a_nested_model_passes_its_mask_out():
    layers = convkit.layers
    inner_in = convkit.Input((5,), dtype="int32")
    inner = convkit.Model(inner_in, layers.Dense(3)(layers.Embedding(9, 3, mask_zero=True)(inner_in)))
    outer_in = convkit.Input((5,), dtype="int32")
    with pytest.raises(ValueError, match="'lstm.*would use that mask"):
        convkit.Model(outer_in, layers.LSTM(2, name="lstm")(inner(outer_in)))
    convkit.Model(outer_in, layers.Conv1D(2, 3)(inner(outer_in)))  # dropped: builds
