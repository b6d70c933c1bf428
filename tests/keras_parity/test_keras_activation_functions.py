"""convkit.activations against keras.activations (torch backend): the same names and signatures, the same numbers on
arrays, Keras's activation functions and names in layers (fused in convkit), Keras files whose layers use every
activation name, and models built by calling the functions on symbolic tensors, saved for Keras."""
import inspect

import numpy as np
import pytest

from convkit import activations, layers
from convkit.models import Model
from convkit.saving import load_model

from conftest import assert_parity, to_numpy  # noqa: E402

X = np.linspace(-5.0, 5.0, 60, dtype=np.float32).reshape(4, 15)
KERAS_ARGS = {"threshold": (0.3, -2.0)}


def _public_names(module):
    return sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n)))


def test_same_names_and_signatures(keras):
    keras_names = _public_names(keras.activations)
    missing = [n for n in keras_names if not hasattr(activations, n)]
    assert not missing
    for name in keras_names:
        assert inspect.signature(getattr(activations, name)) == inspect.signature(getattr(keras.activations, name)), name


def _keras_functions(keras):
    return [n for n in _public_names(keras.activations) if n not in ("get", "serialize", "deserialize")]


def test_same_numbers_on_arrays(keras):
    for name in _keras_functions(keras):
        x = X[:, :14] if name == "glu" else X
        args = KERAS_ARGS.get(name, ())
        expected = to_numpy(keras, getattr(keras.activations, name)(x, *args))
        assert_parity(getattr(activations, name)(x, *args), expected, tol=2e-6)


@pytest.mark.parametrize("kwargs", [
    {"negative_slope": 0.1}, {"max_value": 6}, {"max_value": 2.5}, {"threshold": 1.5}, {"threshold": -0.5},
    {"negative_slope": 0.2, "threshold": -1.0}, {"negative_slope": 0.1, "max_value": 3.0, "threshold": 0.5},
    {"max_value": 4.0, "threshold": -0.5},
])
def test_relu_options(keras, kwargs):
    assert_parity(activations.relu(X, **kwargs), to_numpy(keras, keras.activations.relu(X, **kwargs)), tol=1e-6)


@pytest.mark.parametrize("kwargs", [{"alpha": 0.5}, {"approximate": True}, {"negative_slope": 0.05}, {"axis": 0},
                                    {"b": 1.5}, {"threshold": 1.25}])
def test_function_options(keras, kwargs):
    name = {"alpha": "celu", "approximate": "gelu", "negative_slope": "leaky_relu", "axis": "softmax",
            "b": "squareplus", "threshold": "soft_shrink"}[next(iter(kwargs))]
    assert_parity(getattr(activations, name)(X, **kwargs), to_numpy(keras, getattr(keras.activations, name)(X, **kwargs)),
                  tol=2e-6)
    if name in ("celu",):
        assert_parity(activations.elu(X, **kwargs), to_numpy(keras, keras.activations.elu(X, **kwargs)), tol=2e-6)


def test_keras_functions_as_layer_activation(keras):
    for name in _keras_functions(keras):
        if name == "threshold":  # needs arguments: Keras's layers cannot call it either
            continue
        act = activations.get(getattr(keras.activations, name))
        assert act.name == keras.activations.serialize(getattr(keras.activations, name)), name
        dense = keras.layers.Dense(4, activation=getattr(keras.activations, name))
        assert layers.Dense(4, activation=getattr(activations, name)).get_config()["activation"] == \
            dense.get_config()["activation"]


def test_keras_file_with_every_activation_name(keras, tmp_path):
    names = [n for n in _keras_functions(keras) if n != "threshold"]
    inputs = keras.Input((15,))
    outputs = [keras.layers.Dense(6, activation=name, name=f"dense_{name}")(inputs) for name in names]
    k_model = keras.Model(inputs, outputs)
    k_model.save(tmp_path / "activations.keras")
    c_model = load_model(tmp_path / "activations.keras")
    assert_parity(c_model.predict(X, verbose=0), to_numpy(keras, k_model.predict(X, verbose=0)), tol=2e-5)
    for name in names:
        assert c_model.get_layer(f"dense_{name}").get_config()["activation"] == \
            k_model.get_layer(f"dense_{name}").get_config()["activation"]


def test_functions_on_symbolic_tensors_save_for_keras(keras, tmp_path):
    inputs = layers.Input((15,))
    hidden = layers.Dense(8, name="dense")(inputs)
    out = activations.relu(hidden, negative_slope=0.1, max_value=2.0, threshold=0.25)
    out = activations.gelu(activations.celu(out, alpha=0.7), approximate=True)
    c_model = Model(inputs, [out, activations.softmax(hidden, axis=-1), activations.mish(hidden)])
    c_model.save(tmp_path / "functions.keras")
    k_model = keras.saving.load_model(tmp_path / "functions.keras")
    assert_parity(c_model.predict(X, verbose=0), to_numpy(keras, k_model.predict(X, verbose=0)), tol=2e-5)

    k_inputs = keras.Input((15,))
    k_hidden = keras.layers.Dense(8, name="dense")(k_inputs)
    k_out = keras.activations.relu(k_hidden, negative_slope=0.1, max_value=2.0, threshold=0.25)
    k_out = keras.activations.gelu(keras.activations.celu(k_out, alpha=0.7), approximate=True)
    keras_built = keras.Model(k_inputs, k_out)
    keras_built.get_layer("dense").set_weights(c_model.get_layer("dense").get_weights())
    assert_parity(c_model.predict(X, verbose=0)[0], to_numpy(keras, keras_built.predict(X, verbose=0)), tol=2e-5)
