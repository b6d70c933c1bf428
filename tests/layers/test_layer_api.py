"""The Layer contract shared by every layer: get/set_weights (count and shapes checked, ints
converted), get_config/from_config, names, count_params, initializers, and the bad-input cases."""
import math

import numpy as np
import pytest

from convkit import layers as L

# (factory, input shape) for every layer that owns weights, plus a few that do not.
LAYERS = [
    (lambda: L.Conv1D(3, 3, padding="causal", activation="relu", name="c1"), (2, 7, 2)),
    (lambda: L.Conv2D(4, (3, 2), strides=2, padding="same", data_format="channels_first"), (2, 3, 6, 5)),
    (lambda: L.Conv3D(2, 2, dilation_rate=2, use_bias=False), (1, 5, 5, 5, 2)),
    (lambda: L.Conv1DTranspose(3, 3, strides=2), (2, 4, 2)),
    (lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1), (1, 4, 4, 2)),
    (lambda: L.Conv3DTranspose(2, 2, strides=2), (1, 2, 2, 2, 3)),
    (lambda: L.DepthwiseConv1D(3, depth_multiplier=2), (2, 6, 3)),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (1, 5, 5, 3)),
    (lambda: L.SeparableConv1D(4, 3, depth_multiplier=2), (2, 6, 3)),
    (lambda: L.SeparableConv2D(4, 3, padding="same", activation="tanh"), (1, 5, 5, 3)),
    (lambda: L.Dense(5, activation="sigmoid"), (3, 4)),
    (lambda: L.Embedding(7, 3), (2, 4)),
    (lambda: L.BatchNormalization(epsilon=0.01), (2, 3, 3, 4)),
    (lambda: L.SimpleRNN(3, return_sequences=True), (2, 4, 2)),
    (lambda: L.LSTM(3, go_backwards=True), (2, 4, 2)),
    (lambda: L.GRU(3, reset_after=False), (2, 4, 2)),
    (lambda: L.GRU(3), (2, 4, 2)),
]
WEIGHTLESS = [
    (lambda: L.MaxPooling2D(2), (1, 4, 4, 2)),
    (lambda: L.GlobalAveragePooling1D(keepdims=True), (2, 5, 3)),
    (lambda: L.ZeroPadding2D(((1, 0), (0, 2))), (1, 3, 3, 2)),
    (lambda: L.Cropping2D(((1, 0), (0, 1))), (1, 3, 3, 2)),
    (lambda: L.UpSampling2D(2, interpolation="bilinear"), (1, 3, 3, 2)),
    (lambda: L.Flatten(), (2, 3, 4)),
    (lambda: L.Reshape((4, 3)), (2, 3, 4)),
    (lambda: L.Activation("softplus"), (2, 3)),
    (lambda: L.Dropout(0.5), (2, 3)),
    (lambda: L.ReLU(max_value=6.0), (2, 3)),
    (lambda: L.LeakyReLU(negative_slope=0.1), (2, 3)),
    (lambda: L.Softmax(axis=1), (2, 3)),
]


def _input(shape, rng, layer):
    if isinstance(layer, L.Embedding):
        return rng.integers(0, 7, size=shape)
    return rng.standard_normal(shape).astype(np.float32)


def _ids(cases):
    return [f"{i}" for i in range(len(cases))]


@pytest.mark.parametrize("make, shape", LAYERS, ids=_ids(LAYERS))
def test_set_weights_round_trip_and_int_arrays(make, shape, rng):
    layer = make()
    layer.build(shape)
    old = layer.get_weights()
    assert old and all(isinstance(w, np.ndarray) and w.dtype == np.float32 for w in old)
    assert layer.count_params() == sum(w.size for w in old)
    new = [rng.integers(-3, 4, size=w.shape) for w in old]  # int64 arrays
    layer.set_weights(new)
    got = layer.get_weights()
    assert [g.shape for g in got] == [w.shape for w in old]
    for g, n in zip(got, new):
        assert g.dtype == np.float32
        assert np.array_equal(g, n.astype(np.float32))
    # get_weights hands out copies: editing them does not change the layer
    got[0][...] = 123.0
    assert not np.any(layer.get_weights()[0] == 123.0)


@pytest.mark.parametrize("make, shape", LAYERS, ids=_ids(LAYERS))
def test_set_weights_changes_output(make, shape, rng):
    layer = make()
    x = _input(shape, rng, layer)
    y0 = layer(x)
    y0 = y0[0] if isinstance(y0, list) else y0
    layer.set_weights([w * 0.5 + 0.25 for w in layer.get_weights()])
    y1 = layer(x)
    y1 = y1[0] if isinstance(y1, list) else y1
    assert y0.shape == y1.shape
    assert not np.allclose(y0, y1), "set_weights did not reach the computation (stale packed weights?)"


@pytest.mark.parametrize("make, shape", LAYERS, ids=_ids(LAYERS))
def test_set_weights_wrong_count_or_shape(make, shape):
    layer = make()
    layer.build(shape)
    w = layer.get_weights()
    with pytest.raises(ValueError):
        layer.set_weights(w[:-1])
    with pytest.raises(ValueError):
        layer.set_weights(w + [np.zeros(1, np.float32)])
    bad = list(w)
    bad[0] = np.zeros(bad[0].shape + (1,), np.float32)
    with pytest.raises(ValueError):
        layer.set_weights(bad)
    bad[0] = np.zeros(tuple(d + 1 for d in w[0].shape), np.float32)
    with pytest.raises(ValueError):
        layer.set_weights(bad)
    # the failed calls left the weights alone
    for a, b in zip(layer.get_weights(), w):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("make, shape", LAYERS + WEIGHTLESS, ids=_ids(LAYERS + WEIGHTLESS))
def test_config_round_trip(make, shape, rng):
    layer = make()
    x = _input(shape, rng, layer)
    y = layer(x)
    config = layer.get_config()
    assert isinstance(config, dict) and config["name"] == layer.name
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone.build(shape)
    clone.set_weights(layer.get_weights())
    y2 = clone(x)
    if isinstance(y, list):
        for a, b in zip(y, y2):
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize("make, shape", WEIGHTLESS, ids=_ids(WEIGHTLESS))
def test_weightless(make, shape, rng):
    layer = make()
    layer(_input(shape, rng, layer))
    assert layer.get_weights() == [] and layer.count_params() == 0
    layer.set_weights([])
    with pytest.raises(ValueError):
        layer.set_weights([np.zeros(2, np.float32)])


def test_conv_config_values():
    cfg = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", dilation_rate=1,
                   name="my_conv").get_config()
    assert cfg["filters"] == 8
    assert tuple(cfg["kernel_size"]) == (3, 3)
    assert tuple(cfg["strides"]) == (2, 2)
    assert cfg["padding"] == "same"
    assert cfg["activation"] == "relu"
    assert cfg["name"] == "my_conv"
    assert cfg["use_bias"] is True
    assert cfg["data_format"] == "channels_last"


def test_names_are_unique_and_snake_case():
    a, b = L.Conv2D(2, 2), L.Conv2D(2, 2)
    assert a.name != b.name
    assert a.name.startswith("conv2d") and b.name.startswith("conv2d")
    assert L.BatchNormalization().name.startswith("batch_normalization")
    assert L.Dense(2, name="head").name == "head"


def test_regularizers_and_constraints_are_accepted_and_stored():
    layer = L.Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer="l1",
                     activity_regularizer="l2", kernel_constraint="non_neg",
                     bias_constraint="unit_norm")
    cfg = layer.get_config()
    for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer",
                "kernel_constraint", "bias_constraint"):
        assert cfg[key] is not None, key
    clone = L.Conv2D.from_config(cfg)
    assert clone.get_config() == cfg


def test_input_shape_argument_builds():
    layer = L.Conv2D(2, 3, input_shape=(6, 6, 1))
    layer.build((None, 6, 6, 1))
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 1, 2), (2,)]


def test_input_not_modified(rng):
    x = rng.standard_normal((1, 5, 5, 3)).astype(np.float32)
    keep = x.copy()
    for layer in (L.Conv2D(2, 3, activation="relu"), L.ReLU(), L.Activation("tanh"),
                  L.BatchNormalization(), L.Dropout(0.2), L.Reshape((75,))):
        layer(x)
        assert np.array_equal(x, keep), type(layer).__name__


# ---------------------------------------------------------------- initializers

def _fans(shape):
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


@pytest.mark.parametrize("make, shape, idx", [
    (lambda: L.Conv2D(16, (3, 3)), (1, 6, 6, 8), 0),
    (lambda: L.Conv1D(32, 5), (1, 9, 6), 0),
    (lambda: L.Dense(40), (1, 30), 0),
    (lambda: L.Conv2DTranspose(12, 3), (1, 4, 4, 20), 0),
    (lambda: L.Conv3D(4, 3), (1, 4, 4, 4, 6), 0),
])
def test_glorot_uniform_limits(make, shape, idx):
    layer = make()
    layer.build(shape)
    w = layer.get_weights()[idx]
    fan_in, fan_out = _fans(w.shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(w).max() <= limit * (1 + 1e-6)
    assert np.abs(w).max() > 0.9 * limit
    assert abs(w.std() - limit / math.sqrt(3)) < 0.12 * limit / math.sqrt(3)
    assert abs(w.mean()) < 0.1 * limit


@pytest.mark.parametrize("name, check", [
    ("zeros", lambda w, fi, fo: np.all(w == 0)),
    ("ones", lambda w, fi, fo: np.all(w == 1)),
    ("glorot_uniform", lambda w, fi, fo: np.abs(w).max() <= math.sqrt(6 / (fi + fo)) * 1.000001),
    ("glorot_normal", lambda w, fi, fo: abs(w.std() / math.sqrt(2 / (fi + fo)) - 1) < 0.15
     and np.abs(w).max() <= 2 * math.sqrt(2 / (fi + fo)) / 0.87962566 * 1.000001),
    ("he_uniform", lambda w, fi, fo: np.abs(w).max() <= math.sqrt(6 / fi) * 1.000001
     and np.abs(w).max() > 0.9 * math.sqrt(6 / fi)),
    ("he_normal", lambda w, fi, fo: abs(w.std() / math.sqrt(2 / fi) - 1) < 0.15),
    ("lecun_uniform", lambda w, fi, fo: np.abs(w).max() <= math.sqrt(3 / fi) * 1.000001
     and np.abs(w).max() > 0.9 * math.sqrt(3 / fi)),
    ("lecun_normal", lambda w, fi, fo: abs(w.std() / math.sqrt(1 / fi) - 1) < 0.15),
    ("random_normal", lambda w, fi, fo: abs(w.std() / 0.05 - 1) < 0.15 and abs(w.mean()) < 0.01),
    ("random_uniform", lambda w, fi, fo: np.abs(w).max() <= 0.05 and np.abs(w).max() > 0.045),
])
def test_named_initializers(name, check):
    layer = L.Conv2D(24, 3, kernel_initializer=name)
    layer.build((None, 8, 8, 16))
    w = layer.get_weights()[0].astype(np.float64)
    fi, fo = _fans(w.shape)
    assert check(w, fi, fo), name


def test_orthogonal_initializer():
    layer = L.Dense(12, kernel_initializer="orthogonal")
    layer.build((None, 12))
    w = layer.get_weights()[0].astype(np.float64)
    np.testing.assert_allclose(w.T @ w, np.eye(12), atol=1e-5)


def test_unknown_initializer_raises():
    with pytest.raises(ValueError, match="(?i)initializer|glorot_wobbly"):
        L.Conv2D(2, 3, kernel_initializer="glorot_wobbly")
    with pytest.raises(ValueError, match="(?i)initializer|glorot_wobbly"):
        L.Dense(2, bias_initializer="glorot_wobbly")


def test_seeded_initializers_are_reproducible():
    from convkit import initializers
    def make(seed):
        layer = L.Conv2D(4, 3, kernel_initializer=initializers.GlorotUniform(seed=seed))
        layer.build((None, 6, 6, 3))
        return layer.get_weights()[0]
    a, b, c = make(7), make(7), make(8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("make, argument", [
    (lambda: L.Conv2D(0, 3), "filters"),
    (lambda: L.Conv2D(-2, 3), "filters"),
    (lambda: L.Conv2D(4, 0), "kernel_size"),
    (lambda: L.Conv2D(4, (3, 3, 3)), "kernel_size"),
    (lambda: L.Conv2D(4, 3, strides=0), "strides"),
    (lambda: L.Conv2D(4, 3, padding="full"), "padding"),
    (lambda: L.Conv2D(4, 3, padding="causal"), "padding"),
    (lambda: L.Conv2D(4, 3, data_format="NHWC"), "data_format"),
    (lambda: L.Conv2D(4, 3, dilation_rate=0), "dilation_rate"),
    (lambda: L.Conv2D(5, 3, groups=2), "groups"),
    (lambda: L.Conv1D(4, 3, activation="relu7"), "activation"),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: L.SeparableConv2D(0, 3), "filters"),
    (lambda: L.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: L.Conv2D("four", 3), "filters"),
    (lambda: L.Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: L.Dense(4, kernel_initializer="nope_init"), "nope_init|initializer"),
])
def test_bad_constructor_arguments(make, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        make()


def test_wrong_rank_input():
    with pytest.raises(ValueError):
        L.Conv2D(2, 3)(np.zeros((1, 6, 6), np.float32))
    with pytest.raises(ValueError):
        L.Conv1D(2, 3)(np.zeros((1, 6, 6, 1), np.float32))
    with pytest.raises(ValueError):
        L.Dense(2)(np.zeros((3,), np.float32))


def test_wrong_channel_count_after_build():
    layer = L.Conv2D(2, 3)
    layer(np.zeros((1, 6, 6, 3), np.float32))
    with pytest.raises(ValueError):
        layer(np.zeros((1, 6, 6, 4), np.float32))
    dense = L.Dense(2)
    dense(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError):
        dense(np.zeros((2, 6), np.float32))


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError):
        L.Conv2D(4, 3, groups=2)(np.zeros((1, 6, 6, 3), np.float32))


def test_input_too_small_for_kernel():
    with pytest.raises(ValueError):
        L.Conv2D(2, 5)(np.zeros((1, 3, 3, 1), np.float32))


def test_string_input_raises_type_error():
    with pytest.raises((TypeError, ValueError)):
        L.Dense(2)(np.array([["a", "b"]]))


def test_keras_default_initializers_for_other_layers():
    """Keras defaults: depthwise/pointwise glorot_uniform with conv fans, recurrent kernels
    orthogonal, Embedding uniform in [-0.05, 0.05]."""
    dw = L.DepthwiseConv2D(3, depth_multiplier=4)
    dw.build((None, 6, 6, 16))
    k = dw.get_weights()[0]
    fi, fo = _fans(k.shape)
    assert 0.9 < np.abs(k).max() / math.sqrt(6 / (fi + fo)) <= 1 + 1e-6
    lstm = L.LSTM(8)
    lstm.build((None, 3, 5))
    u = lstm.get_weights()[1].astype(np.float64)  # (8, 32): orthonormal rows
    np.testing.assert_allclose(u @ u.T, np.eye(8), atol=1e-5)
    emb = L.Embedding(200, 16)
    emb.build((None, 3))
    t = emb.get_weights()[0]
    assert np.abs(t).max() <= 0.05 and np.abs(t).max() > 0.045


# training=True: Keras computes something else for these (batch statistics, dropout, noise);
# convkit runs inference only and refuses the call rather than answering it as inference.
TRAINING_DIFFERS = [
    (lambda: L.BatchNormalization(), (2, 3, 3, 4)),
    (lambda: L.Dropout(0.5), (2, 5)),
    (lambda: L.SpatialDropout2D(0.2), (1, 3, 3, 2)),
    (lambda: L.GaussianNoise(0.1), (2, 5)),
    (lambda: L.GaussianDropout(0.3), (2, 5)),
    (lambda: L.AlphaDropout(0.3), (2, 5)),
    (lambda: L.LSTM(3, dropout=0.2), (2, 4, 2)),
    (lambda: L.GRU(3, recurrent_dropout=0.1), (2, 4, 2)),
]
TRAINING_SAME = [
    (lambda: L.Conv2D(2, 3), (1, 5, 5, 3)),
    (lambda: L.Dropout(0.0), (2, 5)),
    (lambda: L.LSTM(3), (2, 4, 2)),
    (lambda: L.LayerNormalization(), (2, 5)),
]


@pytest.mark.parametrize("factory, shape", TRAINING_DIFFERS)
def test_training_true_is_refused_where_training_differs(factory, shape, rng):
    layer = factory()
    x = rng.standard_normal(shape).astype(np.float32)
    want = layer(x)
    with pytest.raises(ValueError, match=r"inference only.*training=True"):
        layer(x, training=True)
    np.testing.assert_array_equal(layer(x, training=False), want)
    np.testing.assert_array_equal(layer(x, training=None), want)


@pytest.mark.parametrize("factory, shape", TRAINING_SAME)
def test_training_true_is_accepted_where_nothing_differs(factory, shape, rng):
    layer = factory()
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(layer(x, training=True), layer(x))


def test_training_true_on_a_model_names_the_layers_that_differ(rng):
    import convkit

    inner = convkit.Sequential([convkit.Input((4,)), L.Dense(3), L.BatchNormalization(name="bn")])
    inp = convkit.Input((4,))
    out = L.Dense(2)(L.Dropout(0.0)(inner(inp)))
    model = convkit.Model(inp, out)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    want = model(x)
    np.testing.assert_array_equal(model(x, training=False), want)
    with pytest.raises(ValueError, match="'sequential.*training=True"):
        model(x, training=True)
    with pytest.raises(ValueError, match="'bn'"):
        inner(x, training=True)
    plain = convkit.Sequential([convkit.Input((4,)), L.Dense(3), L.Dropout(0.0)])
    np.testing.assert_array_equal(plain(x, training=True), plain(x))


def test_training_true_in_a_functional_graph_is_refused():
    # Keras keeps a node's training=True (e.g. Monte Carlo dropout at inference); convkit cannot.
    import convkit

    inp = convkit.Input((4,))
    with pytest.raises(ValueError, match="Dropout.*training=True"):
        L.Dropout(0.5)(inp, training=True)
