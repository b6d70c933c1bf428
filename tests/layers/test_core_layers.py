"""Dense, Activation, Dropout, Embedding, ReLU, LeakyReLU, Softmax, Add, Concatenate and the
functional helpers, against plain NumPy formulas."""
import numpy as np
import pytest

import reference as ref
from layer_helpers import random_weights, shapes

from convkit import layers
from convkit.layers import (Activation, Add, Concatenate, Dense, Dropout, Embedding, LeakyReLU,
                            ReLU, Softmax, add, concatenate)


# ---------------------------------------------------------------- Dense

@pytest.mark.parametrize("in_shape, units, use_bias, act", [
    ((4, 5), 3, True, None),
    ((4, 5), 1, False, "relu"),
    ((2, 3, 7), 6, True, "tanh"),
    ((2, 2, 3, 4), 5, True, "softmax"),
    ((1, 1), 1, True, "sigmoid"),
])
def test_dense(in_shape, units, use_bias, act, rng, assert_close):
    layer = Dense(units, use_bias=use_bias, activation=act)
    layer.build(in_shape)
    assert shapes(layer.get_weights()) == [(in_shape[-1], units)] + ([(units,)] if use_bias else [])
    assert layer.count_params() == in_shape[-1] * units + (units if use_bias else 0)
    w = random_weights(layer, rng)
    x = rng.standard_normal(in_shape).astype(np.float32)
    y = layer(x)
    assert_close(y, ref.dense(x, w[0], w[1] if use_bias else None, act))
    assert tuple(layer.compute_output_shape((None,) + in_shape[1:])) == (None,) + y.shape[1:]


def test_dense_module_path():
    from convkit.layers import core
    assert core.Dense is Dense


def test_dense_bad_units():
    with pytest.raises(ValueError, match="units"):
        Dense(0)
    with pytest.raises(ValueError, match="units"):
        Dense(-3)


# ---------------------------------------------------------------- Activation

@pytest.mark.parametrize("name", list(ref.ACTIVATIONS))
def test_activation_layer(name, rng, assert_close):
    x = (rng.standard_normal((3, 4, 5)) * 2).astype(np.float32)
    y = Activation(name)(x)
    assert_close(y, ref.activation(x, name), rtol=2e-5)


def test_activation_callable(rng, assert_close):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    assert_close(Activation(lambda t: t * 2.0)(x), 2.0 * x)


def test_unknown_activation_raises():
    with pytest.raises(ValueError, match="(?i)activation|not_an_activation"):
        Activation("not_an_activation")
    with pytest.raises(ValueError, match="(?i)activation|not_an_activation"):
        Dense(3, activation="not_an_activation")
    with pytest.raises(ValueError, match="(?i)activation|not_an_activation"):
        layers.Conv2D(3, 3, activation="not_an_activation")


# ---------------------------------------------------------------- Dropout

@pytest.mark.parametrize("rate", [0.0, 0.3, 0.999])
def test_dropout_is_identity_at_inference(rate, rng, assert_close):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    layer = Dropout(rate)
    y = layer(x)
    assert_close(y, x)
    assert layer.get_weights() == [] and layer.count_params() == 0
    assert layer.get_config()["rate"] == rate


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_bad_rate(rate):
    with pytest.raises(ValueError, match="rate"):
        Dropout(rate)


# ---------------------------------------------------------------- Embedding

def test_embedding(rng, assert_close):
    layer = Embedding(10, 4)
    layer.build((None, 5))
    assert shapes(layer.get_weights()) == [(10, 4)]
    assert layer.count_params() == 40
    (table,) = random_weights(layer, rng)
    ids = rng.integers(0, 10, size=(3, 5))
    y = layer(ids)
    assert_close(y, table[ids])
    assert tuple(layer.compute_output_shape((None, 5))) == (None, 5, 4)
    # float ids that hold integers (what predict passes) work too
    assert_close(layer(ids.astype(np.float32)), table[ids])


def test_embedding_bad_dims():
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 4)
    with pytest.raises(ValueError, match="output_dim"):
        Embedding(10, 0)


# ---------------------------------------------------------------- ReLU family

def _relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    x = np.asarray(x, np.float64)
    y = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        y = np.minimum(y, max_value)
    return y - negative_slope * np.maximum(threshold - x, 0.0)


@pytest.mark.parametrize("kwargs", [
    {}, {"max_value": 6.0}, {"negative_slope": 0.1}, {"threshold": 0.5},
    {"max_value": 1.5, "negative_slope": 0.2, "threshold": 0.3}, {"max_value": 6},
])
def test_relu_layer(kwargs, rng, assert_close):
    x = (rng.standard_normal((3, 40)) * 4).astype(np.float32)
    assert_close(ReLU(**kwargs)(x), _relu(x, **kwargs))


def test_relu_docstring_values(assert_close):
    x = np.array([-10, -5, 0.0, 5, 10], np.float32)
    assert_close(ReLU()(x), [0, 0, 0, 5, 10])
    assert_close(ReLU(negative_slope=0.5)(x), [-5, -2.5, 0, 5, 10])
    assert_close(ReLU(max_value=5.0)(x), [0, 0, 0, 5, 5])
    assert_close(ReLU(threshold=5.0)(x), [0, 0, 0, 0, 10])


@pytest.mark.parametrize("kwargs, argument", [
    ({"max_value": -1.0}, "max_value"),
    ({"negative_slope": -0.5}, "negative_slope"),
    ({"threshold": -1.0}, "threshold"),
])
def test_relu_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        ReLU(**kwargs)


def test_leaky_relu(rng, assert_close):
    x = rng.standard_normal((5, 7)).astype(np.float32)
    assert_close(LeakyReLU()(x), np.where(x >= 0, x, 0.3 * x))  # Keras 3 default 0.3
    assert_close(LeakyReLU(negative_slope=0.05)(x), np.where(x >= 0, x, 0.05 * x))
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(negative_slope=-1.0)


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_softmax(axis, rng, assert_close):
    x = (rng.standard_normal((2, 3, 4)) * 3).astype(np.float32)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    assert_close(Softmax(axis=axis)(x), e / e.sum(axis=axis, keepdims=True))


# ---------------------------------------------------------------- merging

def test_add_layer_and_helper(rng, assert_close):
    a, b, c = (rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(3))
    assert_close(Add()([a, b, c]), a.astype(np.float64) + b + c)
    assert_close(add([a, b]), a.astype(np.float64) + b)


def test_add_shape_mismatch_raises():
    with pytest.raises(ValueError):
        Add()([np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)])


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate(axis, rng, assert_close):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 3, 4)).astype(np.float32)
    assert_close(Concatenate(axis=axis)([a, b]), np.concatenate([a, b], axis=axis))
    assert_close(concatenate([a, b], axis=axis), np.concatenate([a, b], axis=axis))


def test_concatenate_uneven_and_output_shape(rng, assert_close):
    a = rng.standard_normal((2, 3, 1)).astype(np.float32)
    b = rng.standard_normal((2, 3, 5)).astype(np.float32)
    layer = Concatenate()
    assert_close(layer([a, b]), np.concatenate([a, b], -1))
    assert tuple(layer.compute_output_shape([(None, 3, 1), (None, 3, 5)])) == (None, 3, 6)


def test_concatenate_mismatch_raises():
    with pytest.raises(ValueError):
        Concatenate(axis=-1)([np.zeros((2, 3, 4), np.float32), np.zeros((2, 5, 4), np.float32)])
