"""convkit.activations's functions (Keras's names and signatures) against numpy formulas, their use as a layer's
`activation` (the fused kernels), and the lowercase class names of initializers, regularizers and constraints."""
import numpy as np
import pytest

from convkit import activations, constraints, initializers, layers, regularizers
from convkit.models import Model

X = np.linspace(-4.0, 4.0, 45, dtype=np.float32).reshape(5, 9)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


ORACLES = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x.astype(np.float64))),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0, 1),
    "exponential": lambda x: np.exp(x.astype(np.float64)),
    "linear": lambda x: x,
    "celu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "log_sigmoid": lambda x: np.log(_sigmoid(x)),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1.0) ** 2, x)),
    "sparse_sigmoid": lambda x: np.clip(0.5 * (x + 1.0), 0, 1),
    "squareplus": lambda x: (x + np.sqrt(x.astype(np.float64) ** 2 + 4)) / 2,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x.astype(np.float64)))),
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True)) / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - x.max(-1, keepdims=True) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_function_matches_formula(name):
    before = X.copy()
    out = getattr(activations, name)(X)
    np.testing.assert_array_equal(X, before)  # the input is never modified
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == X.shape
    np.testing.assert_allclose(out, ORACLES[name](X), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("kwargs, expected", [
    ({"negative_slope": 0.1}, lambda x: np.where(x > 0, x, 0.1 * x)),
    ({"max_value": 2.5}, lambda x: np.clip(x, 0, 2.5)),
    ({"max_value": 6}, lambda x: np.clip(x, 0, 6)),
    ({"threshold": 1.0}, lambda x: np.where(x > 1.0, x, 0)),
    # Keras's composition: below the threshold, x becomes -negative_slope * (threshold - x)
    ({"negative_slope": 0.1, "max_value": 3.0, "threshold": 0.5},
     lambda x: np.where(x > 0.5, np.minimum(x, 3.0), 0) - 0.1 * np.maximum(0.5 - x, 0)),
])
def test_relu_options(kwargs, expected):
    np.testing.assert_allclose(activations.relu(X, **kwargs), expected(X), rtol=1e-6, atol=1e-6)


def test_parametrised_functions():
    np.testing.assert_allclose(activations.elu(X, alpha=0.5), np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(activations.leaky_relu(X, negative_slope=0.3), np.where(X > 0, X, 0.3 * X), rtol=1e-6)
    np.testing.assert_allclose(activations.threshold(X, 0.25, -7.0), np.where(X > 0.25, X, -7.0))
    np.testing.assert_allclose(activations.softmax(X, axis=0).sum(axis=0), np.ones(X.shape[1]), rtol=1e-6)
    first, second = X[:, :4], X[:, 4:8]
    np.testing.assert_allclose(activations.glu(X[:, :8]), first * _sigmoid(second), rtol=1e-6, atol=1e-7)
    assert activations.linear(X) is X  # as Keras: the argument itself


def test_aliases_are_keras_aliases():
    assert activations.swish is activations.silu
    assert activations.hard_swish is activations.hard_silu


@pytest.mark.parametrize("fn, name, kind", [
    (activations.relu, "relu", 1), (activations.swish, "silu", 11), (activations.gelu, "gelu", 12),
    (activations.leaky_relu, "leaky_relu", 3), (activations.hard_swish, "hard_silu", 15),
    (activations.linear, "linear", 0), (activations.celu, "celu", -1), (activations.softmax, "softmax", -1),
])
def test_get_turns_functions_into_fused_activations(fn, name, kind):
    act = activations.get(fn)
    assert (act.name, act.kind) == (name, kind)
    assert act.__name__ == name
    assert activations.serialize(fn) == name


def test_layer_with_function_activation_fuses_and_serializes():
    dense = layers.Dense(3, activation=activations.relu)
    assert dense.activation.kind == 1  # the fused kernel, not a Python call after it
    assert dense.get_config()["activation"] == "relu"
    celu = layers.Dense(3, activation="celu")
    celu.build((None, 9))
    weights = [np.linspace(-1, 1, 27, dtype=np.float32).reshape(9, 3), np.array([0.1, -0.2, 0.3], np.float32)]
    celu.set_weights(weights)
    pre = X @ weights[0] + weights[1]
    np.testing.assert_allclose(celu(X), np.where(pre > 0, pre, np.expm1(pre)), rtol=1e-5, atol=1e-6)
    assert celu.get_config()["activation"] == "celu"


def test_functions_on_symbolic_tensors_build_a_model():
    inputs = layers.Input((9,))
    out = activations.relu(inputs, max_value=2.0, threshold=-0.5, negative_slope=0.2)
    out = activations.celu(activations.mish(out))
    model = Model(inputs, out)
    x = X
    # (Keras clips at [0, max_value] after the threshold: values in (-0.5, 0) become 0)
    relu = np.where(x > -0.5, np.clip(x, 0.0, 2.0), 0) - 0.2 * np.maximum(-x - 0.5, 0)
    mish = relu * np.tanh(np.log1p(np.exp(relu.astype(np.float64))))
    np.testing.assert_allclose(model.predict(x, verbose=0), np.where(mish > 0, mish, np.expm1(mish)), rtol=1e-5,
                               atol=1e-6)


def test_deserialize():
    assert activations.deserialize("relu") is activations.relu
    assert activations.deserialize("swish") is activations.silu
    keras_config = {"module": "builtins", "class_name": "function", "config": "hard_tanh", "registered_name": "function"}
    assert activations.deserialize(keras_config) is activations.hard_tanh

    def custom(x):
        return x * 2

    assert activations.deserialize("custom", custom_objects={"custom": custom}) is custom
    with pytest.raises(ValueError, match="Unknown activation function: 'nope'"):
        activations.deserialize("nope")
    with pytest.raises(ValueError, match="Unknown activation: 'nope'"):
        activations.get("nope")


@pytest.mark.parametrize("module, alias, cls", [
    (initializers, "glorot_uniform", "GlorotUniform"), (initializers, "he_normal", "HeNormal"),
    (initializers, "zeros", "Zeros"), (initializers, "constant", "Constant"),
    (initializers, "variance_scaling", "VarianceScaling"), (initializers, "OrthogonalInitializer", "Orthogonal"),
    (initializers, "IdentityInitializer", "Identity"), (regularizers, "l2", "L2"), (regularizers, "l1_l2", "L1L2"),
    (regularizers, "orthogonal_regularizer", "OrthogonalRegularizer"), (constraints, "max_norm", "MaxNorm"),
    (constraints, "non_neg", "NonNeg"), (constraints, "unit_norm", "UnitNorm"),
    (constraints, "min_max_norm", "MinMaxNorm"),
])
def test_lowercase_class_names(module, alias, cls):
    assert getattr(module, alias) is getattr(module, cls)


def test_lowercase_names_work_in_layers():
    dense = layers.Dense(4, kernel_initializer=initializers.constant(0.5), kernel_regularizer=regularizers.l2(0.01),
                         kernel_constraint=constraints.non_neg())
    dense.build((None, 2))
    np.testing.assert_array_equal(dense.get_weights()[0], np.full((2, 4), 0.5, np.float32))
    config = dense.get_config()
    assert config["kernel_regularizer"]["class_name"] == "L2"
    assert config["kernel_constraint"]["class_name"] == "NonNeg"
