"""GroupNormalization, UnitNormalization, RMSNormalization, PReLU and ActivityRegularization
against float64 numpy oracles: shapes, axes, weights, configs and argument checks."""
import warnings

import numpy as np
import pytest

import convkit
from convkit.layers import (
    ActivityRegularization, Dense, GroupNormalization, PReLU, RMSNormalization, UnitNormalization,
)


# ---- float64 oracles -------------------------------------------------------------------------

def _group_norm(x, groups, axis, eps, gamma=None, beta=None):
    x = np.asarray(x, np.float64)
    axis = axis % x.ndim
    c = x.shape[axis]
    g = np.moveaxis(x, axis, -1).reshape(x.shape[0], -1, groups, c // groups)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = ((g - mean) ** 2).mean(axis=(1, 3), keepdims=True)
    y = ((g - mean) / np.sqrt(var + eps)).reshape(np.moveaxis(x, axis, -1).shape)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return np.moveaxis(y, -1, axis)


def _unit_norm(x, axes):
    x = np.asarray(x, np.float64)
    norm = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
    return x / np.maximum(norm, 1e-12)


def _rms_norm(x, axes, eps, scale):
    x = np.asarray(x, np.float64)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return x / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + eps) * np.asarray(scale).reshape(shape)


def _prelu(x, alpha):
    x = np.asarray(x, np.float64)
    return np.where(x >= 0, x, np.asarray(alpha, np.float64) * x)


def _random_weights(layer, rng):
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


# ---- GroupNormalization ----------------------------------------------------------------------

@pytest.mark.parametrize("shape, groups, axis", [
    ((4, 12), 3, -1),               # rank 2
    ((3, 8), 1, -1),                # one group: layer normalization over the channels
    ((2, 7, 6), 2, -1),
    ((2, 5, 4, 6), 3, -1),          # channels_last images
    ((2, 6, 4, 5), 3, 1),           # channels_first images
    ((2, 6, 3, 4), 6, 1),           # one channel per group, channels_first
    ((2, 3, 4, 3, 8), 4, -1),       # rank 5
    ((2, 4, 3, 2, 2), 2, 1),        # rank 5, channels_first
    ((2, 4, 6, 3), 2, -2),          # a negative axis other than -1
    ((2, 4, 6, 3), 3, 2),
])
def test_group_norm_matches_oracle(shape, groups, axis, rng, assert_close):
    layer = GroupNormalization(groups=groups, axis=axis, epsilon=1e-3)
    layer.build(shape)
    c = shape[axis]
    assert [w.name for w in layer.weights] == ["gamma", "beta"]
    assert [w.shape for w in layer.weights] == [(c,), (c,)]
    gamma, beta = _random_weights(layer, rng)
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    y = layer(x)
    assert y.flags.c_contiguous
    assert_close(y, _group_norm(x, groups, axis, 1e-3, gamma, beta))
    assert layer.compute_output_shape(shape) == shape


def test_group_norm_defaults_and_fresh_weights(rng, assert_close):
    layer = GroupNormalization()
    assert (layer.groups, layer.axis, layer.epsilon, layer.center, layer.scale) == (32, -1, 1e-3, True, True)
    x = rng.standard_normal((2, 3, 64)).astype(np.float32)
    layer(x)
    gamma, beta = layer.get_weights()
    assert np.all(gamma == 1) and np.all(beta == 0)
    assert_close(layer(x), _group_norm(x, 32, -1, 1e-3))


@pytest.mark.parametrize("center, scale, names", [(False, True, ["gamma"]), (True, False, ["beta"]),
                                                  (False, False, [])])
def test_group_norm_center_scale_flags(center, scale, names, rng, assert_close):
    layer = GroupNormalization(groups=2, center=center, scale=scale, epsilon=1e-5)
    layer.build((None, 3, 4))
    assert [w.name for w in layer.weights] == names
    weights = _random_weights(layer, rng)
    x = rng.standard_normal((3, 3, 4)).astype(np.float32)
    gamma = weights[0] if scale else None
    beta = weights[-1] if center else None
    assert_close(layer(x), _group_norm(x, 2, -1, 1e-5, gamma, beta))


def test_group_norm_minus_one_is_instance_norm(rng, assert_close):
    layer = GroupNormalization(groups=-1, axis=1)
    assert layer.get_config()["groups"] == -1
    x = rng.standard_normal((2, 5, 3, 4)).astype(np.float32)
    y = layer(x)
    assert layer.groups == 5 and layer.get_config()["groups"] == 5  # as Keras: the count once built
    assert_close(y, _group_norm(x, 5, 1, 1e-3))
    # each (sample, channel) plane has mean 0
    assert np.abs(y.astype(np.float64).mean(axis=(2, 3))).max() < 1e-5


def test_group_norm_constant_group_gives_beta(assert_close):
    # a constant group has variance 0 (E[x^2] - E[x]^2 is exactly 0 here): the output is beta
    layer = GroupNormalization(groups=2)
    layer.build((None, 4))
    layer.set_weights([np.full(4, 2.0, np.float32), np.array([1, 2, 3, 4], np.float32)])
    y = layer(np.array([[3.0, 3.0, -1.0, -1.0]], np.float32))
    assert_close(y, [[1.0, 2.0, 3.0, 4.0]])


def test_group_norm_empty_batch():
    layer = GroupNormalization(groups=2)
    y = layer(np.zeros((0, 4), np.float32))
    assert y.shape == (0, 4) and y.dtype == np.float32


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(groups=0), ValueError, "Received: groups=0"),
    (dict(groups=-2), ValueError, "positive integer (or `-1` for instance normalization)"),
    (dict(groups=2.0), ValueError, "Received: groups=2.0"),
    (dict(groups=True), ValueError, "groups=True"),
    (dict(axis=1.0), TypeError, "axis=1.0"),
    (dict(axis=[1, 2]), TypeError, "axis=[1, 2]"),
    (dict(epsilon=-1e-3), ValueError, "epsilon=-0.001"),
    (dict(epsilon="small"), ValueError, "epsilon='small'"),
    (dict(beta_initializer="nope"), ValueError, "beta_initializer"),
])
def test_group_norm_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        GroupNormalization(**kwargs)
    assert words in str(info.value)


@pytest.mark.parametrize("kwargs, shape, words", [
    (dict(groups=3), (None, 4), "Number of groups (3) must be a multiple of the number of channels (4)."),
    (dict(groups=8), (None, 4), "Number of groups (8) cannot be more than the number of channels (4)."),
    (dict(groups=2), (None, 3, None), "Axis -1 of input tensor should have a defined dimension"),
    (dict(groups=1, axis=0), (4, 3), "cannot be the batch axis"),
    (dict(groups=1), (4,), "cannot be the batch axis"),
    (dict(groups=1, axis=3), (None, 3, 2), "axis=3 is out of bounds"),
    (dict(groups=-1), (None, 0), "at least one channel"),
])
def test_group_norm_rejects_bad_shapes(kwargs, shape, words):
    with pytest.raises(ValueError) as info:
        GroupNormalization(**kwargs).build(shape)
    assert words in str(info.value)


def test_group_norm_checks_the_channels_of_later_inputs(rng):
    layer = GroupNormalization(groups=2)
    layer(rng.standard_normal((2, 4)).astype(np.float32))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(rng.standard_normal((2, 6)).astype(np.float32))
    with pytest.raises(ValueError, match="expected ndim=2"):
        layer(rng.standard_normal((2, 3, 4)).astype(np.float32))


# ---- UnitNormalization -----------------------------------------------------------------------

@pytest.mark.parametrize("shape, axis", [
    ((3, 7), -1), ((2, 4, 5), 1), ((2, 3, 4, 5), [1, 2]), ((2, 3, 4, 5), (1, 3)), ((2, 3, 4, 5), [-1, -3]),
    ((2, 3, 4, 5), [1, 2, 3]), ((2, 2, 3, 2, 4), 1),
])
def test_unit_norm_matches_oracle(shape, axis, rng, assert_close):
    layer = UnitNormalization(axis=axis)
    x = rng.standard_normal(shape).astype(np.float32)
    y = layer(x)
    axes = tuple(a % len(shape) for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
    assert_close(y, _unit_norm(x, axes))
    np.testing.assert_allclose(np.sum(y.astype(np.float64) ** 2, axis=axes), 1.0, rtol=1e-5)
    assert layer.get_weights() == []
    assert layer.compute_output_shape(shape) == shape


def test_unit_norm_keeps_zero_and_tiny_vectors():
    # the reciprocal norm is capped at 1e12: zeros stay zeros, no NaN and no warning
    x = np.array([[0.0, 0.0, 0.0], [1e-20, 0.0, 0.0], [3.0, 0.0, 4.0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = UnitNormalization()(x)
    np.testing.assert_array_equal(y[0], 0.0)
    np.testing.assert_allclose(y[1], [1e-8, 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(y[2], [0.6, 0.0, 0.8], rtol=1e-6)


def test_unit_norm_config_keeps_lists():
    assert UnitNormalization(axis=(1, 2)).get_config()["axis"] == [1, 2]
    assert UnitNormalization(axis=2).get_config()["axis"] == 2


@pytest.mark.parametrize("axis, error, words", [
    ("a", TypeError, "expected an int or a list/tuple of ints. Received: axis=a"),
    (1.5, TypeError, "Received: axis=1.5"),
    ([1, "b"], TypeError, "Received: axis=[1, 'b']"),
    ([], ValueError, "at least one axis"),
])
def test_unit_norm_rejects_bad_axis(axis, error, words):
    with pytest.raises(error) as info:
        UnitNormalization(axis=axis)
    assert words in str(info.value)


@pytest.mark.parametrize("axis, words", [(3, "Axis 3 is out of bounds for input shape (2, 3)"),
                                         ([1, -1], "only once"), (-3, "Axis -3 is out of bounds")])
def test_unit_norm_rejects_axes_the_input_lacks(axis, words):
    layer = UnitNormalization(axis=axis)
    with pytest.raises(ValueError) as info:
        layer(np.ones((2, 3), np.float32))
    assert words in str(info.value)
    with pytest.raises(ValueError):
        layer.compute_output_shape((2, 3))


# ---- RMSNormalization ------------------------------------------------------------------------

@pytest.mark.parametrize("shape, axis, eps", [
    ((3, 7), -1, 1e-6), ((2, 4, 70), -1, 1e-6), ((2, 3, 4, 5), [2, 3], 1e-3), ((2, 3, 4, 5), [-2, -1], 1e-6),
    ((2, 3, 4, 5), [-1, -2], 1e-6), ((2, 3, 4), 1, 1e-6), ((2, 3, 4, 5), [1, 3], 0.1), ((2, 3, 4), 2, 0.0),
])
def test_rms_norm_matches_oracle(shape, axis, eps, rng, assert_close):
    layer = RMSNormalization(axis=axis, epsilon=eps)
    layer.build(shape)
    axes = tuple(sorted(a % len(shape) for a in (axis if isinstance(axis, list) else [axis])))
    assert [w.name for w in layer.weights] == ["scale"]
    assert layer.weights[0].shape == tuple(shape[a] for a in axes)
    np.testing.assert_array_equal(layer.get_weights()[0], 1.0)  # initialised to ones
    (scale,) = _random_weights(layer, rng)
    x = (rng.standard_normal(shape) + 0.5).astype(np.float32)
    assert_close(layer(x), _rms_norm(x, axes, eps, scale))
    assert layer.compute_output_shape(shape) == shape


def test_rms_norm_is_not_centred(assert_close):
    # a constant row: x / sqrt(x^2 + eps), which LayerNormalization's rms_scaling would send to 0
    x = np.full((1, 4), 2.0, np.float32)
    assert_close(RMSNormalization(epsilon=0.0)(x), np.ones((1, 4)))
    assert_close(RMSNormalization(epsilon=1.0)(x), np.full((1, 4), 2.0 / np.sqrt(5.0)))


def test_rms_norm_axis_becomes_a_sorted_list_when_built():
    layer = RMSNormalization()
    assert layer.get_config()["axis"] == -1
    layer.build((None, 3))
    assert layer.get_config()["axis"] == [-1]
    layer = RMSNormalization(axis=(3, 1))
    layer.build((None, 2, 3, 4))
    assert layer.get_config()["axis"] == [1, 3]
    assert layer.weights[0].shape == (2, 4)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(axis=[1, -1]), ValueError, "all negative or all non-negative"),
    (dict(axis="x"), TypeError, "Received: axis=x"),
    (dict(axis=[]), ValueError, "at least one axis"),
    (dict(epsilon=-1.0), ValueError, "epsilon=-1.0"),
    (dict(epsilon=None), ValueError, "epsilon=None"),
])
def test_rms_norm_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        RMSNormalization(**kwargs)
    assert words in str(info.value)


def test_rms_norm_rejects_bad_shapes(rng):
    with pytest.raises(ValueError, match="out of bounds"):
        RMSNormalization(axis=2).build((None, 3))
    with pytest.raises(ValueError, match="needs defined sizes"):
        RMSNormalization().build((None, None))
    layer = RMSNormalization()
    layer(rng.standard_normal((2, 5)).astype(np.float32))
    with pytest.raises(ValueError, match="expected axis 1 of input shape to have value 5"):
        layer(rng.standard_normal((2, 4)).astype(np.float32))


# ---- PReLU -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, shared_axes, alpha_shape", [
    ((3, 7), None, (7,)),
    ((2, 4, 5, 3), None, (4, 5, 3)),
    ((2, 4, 5, 3), [1, 2], (1, 1, 3)),      # one slope per channel, channels_last
    ((2, 3, 4, 5), (2, 3), (3, 1, 1)),      # one slope per channel, channels_first
    ((2, 4, 5), 1, (1, 5)),
    ((2, 4, 5, 3), [-1], (4, 1, 3)),        # Keras's rule: axis -1 is entry -2 of input_shape[1:]
    ((2, 4, 5, 3), [1, 2, 3], (1, 1, 1)),
])
def test_prelu_matches_oracle(shape, shared_axes, alpha_shape, rng, assert_close):
    layer = PReLU(shared_axes=shared_axes)
    layer.build(shape)
    assert [w.name for w in layer.weights] == ["alpha"]
    assert layer.weights[0].shape == alpha_shape
    np.testing.assert_array_equal(layer.get_weights()[0], 0.0)  # 'Zeros' by default: a ReLU
    (alpha,) = _random_weights(layer, rng)
    x = rng.standard_normal(shape).astype(np.float32)
    y = layer(x)
    assert y.flags.c_contiguous
    assert_close(y, _prelu(x, alpha))
    assert layer.compute_output_shape(shape) == shape


def test_prelu_fresh_is_relu_and_keeps_special_values():
    x = np.array([[-2.0, 0.0, 3.0, np.inf, np.nan]], np.float32)
    layer = PReLU()
    np.testing.assert_array_equal(layer(x), [[0.0, 0.0, 3.0, np.inf, np.nan]])
    layer.set_weights([np.full((5,), 0.5, np.float32)])
    np.testing.assert_array_equal(layer(x), [[-1.0, 0.0, 3.0, np.inf, np.nan]])


def test_prelu_shared_axes_may_be_unknown_sizes(rng, assert_close):
    layer = PReLU(shared_axes=[1])
    layer.build((None, None, 3))
    assert layer.weights[0].shape == (1, 3)
    (alpha,) = _random_weights(layer, rng)
    for steps in (2, 5):
        x = rng.standard_normal((2, steps, 3)).astype(np.float32)
        assert_close(layer(x), _prelu(x, alpha))
    with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 3"):
        layer(rng.standard_normal((2, 4, 2)).astype(np.float32))


@pytest.mark.parametrize("kwargs, shape, error, words", [
    (dict(shared_axes="1"), None, TypeError, "shared_axes='1'"),
    (dict(shared_axes=[1.0]), None, TypeError, "shared_axes=[1.0]"),
    (dict(alpha_initializer="nope"), None, ValueError, "alpha_initializer"),
    (dict(shared_axes=[4]), (None, 3, 4), ValueError, "axis 4 does not exist"),
    (dict(), (None, None, 4), ValueError, "needs defined sizes"),
    (dict(), (5,), ValueError, "a batch axis and at least one more"),
])
def test_prelu_rejects_bad_arguments(kwargs, shape, error, words):
    with pytest.raises(error) as info:
        PReLU(**kwargs).build(shape)
    assert words in str(info.value)


def test_prelu_config_and_initializer():
    layer = PReLU(alpha_initializer="ones", shared_axes=2)
    config = layer.get_config()
    assert config["shared_axes"] == [2] and config["alpha_initializer"]["class_name"] == "Ones"
    assert config["alpha_regularizer"] is None and config["alpha_constraint"] is None
    layer.build((None, 3, 4))
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones((3, 1)))


# ---- ActivityRegularization ------------------------------------------------------------------

def test_activity_regularization_is_the_identity(rng):
    layer = ActivityRegularization(l1=0.1, l2=0.01)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = layer(x)
    np.testing.assert_array_equal(y, x)
    assert y is not x and not np.shares_memory(y, x)
    np.testing.assert_array_equal(layer(x, training=True), x)  # training changes the loss, not the output
    assert layer._passes_through() and not layer._differs_in_training()
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert layer.get_weights() == []


def test_activity_regularization_config():
    layer = ActivityRegularization(l1=1, l2=0.5)
    config = layer.get_config()
    assert config["l1"] == 1 and config["l2"] == 0.5 and "activity_regularizer" not in config
    assert isinstance(layer.activity_regularizer, convkit.regularizers.L1L2)
    assert layer.activity_regularizer.get_config() == {"l1": 1.0, "l2": 0.5}
    again = ActivityRegularization.from_config(config)
    assert again.get_config() == config


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(l1=-1), ValueError, "Invalid value for argument l1: expected a non-negative float. Received: l1=-1"),
    (dict(l2="x"), ValueError, "Received: l2=x"),
    (dict(l2=float("nan")), ValueError, "l2=nan"),
    (dict(activity_regularizer="l2"), TypeError, "activity_regularizer"),
])
def test_activity_regularization_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        ActivityRegularization(**kwargs)
    assert words in str(info.value)


def test_activity_regularization_is_skipped_by_model_plans(rng):
    # the plan reads the Dense output directly; the model output is still an array of its own
    inp = convkit.Input((4,))
    dense = Dense(3)
    out = ActivityRegularization(l2=0.1)(dense(inp))
    model = convkit.Model(inp, out)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), dense(x))
    plain = convkit.Sequential([convkit.Input((4,)), Dense(3), Dense(2)])
    with_reg = convkit.Sequential([convkit.Input((4,)), Dense(3), ActivityRegularization(l1=0.5), Dense(2)])
    with_reg.set_weights(plain.get_weights())
    np.testing.assert_array_equal(with_reg.predict(x, verbose=0), plain.predict(x, verbose=0))


# ---- shared: array-likes, inputs untouched, configs -----------------------------------------

LAYERS = [
    (GroupNormalization, dict(groups=3, axis=1), (2, 6, 4, 3)),
    (GroupNormalization, dict(groups=2, epsilon=1e-5, center=False), (2, 5, 4)),
    (UnitNormalization, dict(axis=[1, 2]), (2, 4, 3, 2)),
    (RMSNormalization, dict(axis=[-2, -1], epsilon=1e-4), (2, 3, 4, 5)),
    (PReLU, dict(shared_axes=[1, 2]), (2, 3, 4, 5)),
    (ActivityRegularization, dict(l1=0.2), (2, 3)),
]


@pytest.mark.parametrize("cls, kwargs, shape", LAYERS, ids=[c.__name__ for c, _, _ in LAYERS])
def test_any_array_like_and_inputs_unmodified(cls, kwargs, shape, rng):
    layer = cls(**kwargs)
    layer.build(shape)
    _random_weights(layer, rng)
    x32 = rng.standard_normal(shape).astype(np.float32)
    want = layer(x32.copy())
    for x in (x32, x32.astype(np.float64), x32.tolist(), np.asfortranarray(x32),
              np.concatenate([x32, x32], axis=-1)[..., :shape[-1]]):
        before = np.array(x, copy=True)
        y = layer(x)
        assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.flags.c_contiguous
        np.testing.assert_array_equal(y, want)
        np.testing.assert_array_equal(np.asarray(x), before)  # the input is untouched
        assert not np.shares_memory(y, np.asarray(x))


@pytest.mark.parametrize("cls, kwargs, shape", LAYERS, ids=[c.__name__ for c, _, _ in LAYERS])
def test_config_round_trip(cls, kwargs, shape, rng):
    layer = cls(**kwargs)
    layer.build(shape)
    weights = _random_weights(layer, rng)
    config = layer.get_config()
    again = cls.from_config(config)
    assert again.get_config() == config
    again.build(shape)
    again.set_weights(weights)
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(again(x), layer(x))
    by_name = convkit.layers.deserialize(convkit.layers.serialize(layer))
    assert type(by_name) is cls and by_name.get_config() == config


@pytest.mark.parametrize("cls, kwargs, shape", LAYERS, ids=[c.__name__ for c, _, _ in LAYERS])
def test_set_weights_checks_shapes(cls, kwargs, shape):
    layer = cls(**kwargs)
    layer.build(shape)
    if not layer.weights:
        with pytest.raises(ValueError, match="expecting 0 weights"):
            layer.set_weights([np.ones(3, np.float32)])
        return
    wrong = [np.ones(w.shape + (2,), np.float32) for w in layer.weights]
    with pytest.raises(ValueError, match="is not compatible with provided weight shape"):
        layer.set_weights(wrong)
