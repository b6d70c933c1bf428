"""Sequential models: construction by list and .add(), shapes, weights, summary, config."""
import numpy as np
import pytest

import reference as ref

from convkit.layers import (Conv2D, Dense, Dropout, Flatten, InputLayer, MaxPooling2D, ReLU)
from convkit.models import Input, Sequential


def _layers():
    return [Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 2), name="conv_a"),
            MaxPooling2D(2, name="pool_a"),
            Conv2D(6, 3, name="conv_b"),
            Flatten(name="flat"),
            Dropout(0.5, name="drop"),
            Dense(5, activation="softmax", name="head")]


def _numpy_forward(x, w):
    y = ref.conv(x, w[0], padding="same", bias=w[1], activation_fn="relu")
    y = ref.max_pool(y, 2)
    y = ref.conv(y, w[2], bias=w[3])
    y = y.reshape(y.shape[0], -1)
    return ref.dense(y, w[4], w[5], "softmax")


def test_list_and_add_build_the_same_model(rng, assert_close):
    a = Sequential(_layers())
    b = Sequential()
    for layer in _layers():
        b.add(layer)
    assert [layer.name for layer in a.layers] == ["conv_a", "pool_a", "conv_b", "flat", "drop", "head"]
    assert [layer.name for layer in b.layers] == [layer.name for layer in a.layers]
    assert a.input_shape == b.input_shape == (None, 8, 8, 2)
    assert a.output_shape == b.output_shape == (None, 5)
    expected_shapes = [(3, 3, 2, 4), (4,), (3, 3, 4, 6), (6,), (24, 5), (5,)]
    assert [w.shape for w in a.get_weights()] == expected_shapes
    assert a.count_params() == sum(int(np.prod(s)) for s in expected_shapes)
    b.set_weights(a.get_weights())
    x = rng.standard_normal((3, 8, 8, 2)).astype(np.float32)
    ya = a.predict(x, verbose=0)
    np.testing.assert_array_equal(ya, b.predict(x, verbose=0))
    assert_close(ya, _numpy_forward(x, a.get_weights()))


def test_weights_are_layer_weights_in_order(rng):
    model = Sequential(_layers())
    flat = [w for layer in model.layers for w in layer.get_weights()]
    for a, b in zip(model.get_weights(), flat, strict=True):
        np.testing.assert_array_equal(a, b)
    new = [rng.standard_normal(w.shape).astype(np.float32) for w in flat]
    model.set_weights(new)
    for a, b in zip(model.get_weights(), new, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.get_layer("head").get_weights()[0], new[4])


def test_set_weights_wrong_count_or_shape():
    model = Sequential(_layers())
    w = model.get_weights()
    with pytest.raises(ValueError):
        model.set_weights(w[:-1])
    with pytest.raises(ValueError):
        model.set_weights(w + [np.zeros(3)])
    with pytest.raises(ValueError):
        model.set_weights([np.zeros((3, 3, 2, 5))] + w[1:])


def test_input_layer_and_input_first(rng, assert_close):
    m1 = Sequential([InputLayer(shape=(6,)), Dense(3, name="d1")])
    m2 = Sequential([Input(shape=(6,)), Dense(3, name="d2")])
    for m in (m1, m2):
        assert m.input_shape == (None, 6) and m.output_shape == (None, 3)
        assert len(m.layers) == 1
    m2.set_weights(m1.get_weights())
    x = rng.standard_normal((4, 6)).astype(np.float32)
    w = m1.get_weights()
    assert_close(m1.predict(x, verbose=0), ref.dense(x, w[0], w[1]))
    np.testing.assert_array_equal(m1.predict(x, verbose=0), m2.predict(x, verbose=0))


def test_deferred_build_on_first_predict(rng, assert_close):
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    x = rng.standard_normal((3, 5)).astype(np.float32)
    y = model.predict(x, verbose=0)
    assert y.shape == (3, 2)
    w = model.get_weights()
    assert [a.shape for a in w] == [(5, 4), (4,), (4, 2), (2,)]
    assert_close(y, ref.dense(ref.dense(x, w[0], w[1], "relu"), w[2], w[3]), rtol=2e-5)


def test_get_layer():
    model = Sequential(_layers())
    assert model.get_layer("conv_b") is model.layers[2]
    assert model.get_layer(index=0) is model.layers[0]
    with pytest.raises(ValueError):
        model.get_layer("no_such_layer")


def test_summary_lists_layers_and_totals(capsys):
    model = Sequential(_layers())
    returned = model.summary()
    text = capsys.readouterr().out + (returned if isinstance(returned, str) else "")
    for name in ("conv_a", "pool_a", "conv_b", "flat", "drop", "head", "Conv2D", "Dense"):
        assert name in text, name
    assert "Total params" in text
    total = model.count_params()
    assert f"{total:,}" in text or str(total) in text
    assert "(None, 8, 8, 4)" in text and "(None, 5)" in text
    assert "Param #" in text and "Output Shape" in text


def test_summary_print_fn():
    model = Sequential(_layers())
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    text = "\n".join(lines)
    assert "Total params" in text and "conv_a" in text


def test_config_round_trip(rng):
    model = Sequential(_layers())
    config = model.get_config()
    clone = Sequential.from_config(config)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert [type(a) for a in clone.layers] == [type(b) for b in model.layers]
    assert clone.input_shape == model.input_shape and clone.output_shape == model.output_shape
    clone.set_weights(model.get_weights())
    x = rng.standard_normal((2, 8, 8, 2)).astype(np.float32)
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_add_rejects_non_layers():
    model = Sequential()
    with pytest.raises((TypeError, ValueError)):
        model.add("not a layer")


def test_incompatible_layers_raise_at_build():
    with pytest.raises(ValueError):
        Sequential([Dense(3, input_shape=(4,)), Conv2D(2, 3)])


def test_predict_wrong_input_shape():
    model = Sequential([Conv2D(2, 3, input_shape=(8, 8, 1)), ReLU()])
    with pytest.raises(ValueError):
        model.predict(np.zeros((8, 8, 1), np.float32), verbose=0)
    with pytest.raises(ValueError):
        model.predict(np.zeros((2, 8, 8, 3), np.float32), verbose=0)
