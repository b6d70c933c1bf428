"""ConvLSTM1D/2D/3D against Keras 3 (torch backend): same outputs with Keras's weights, same
weight layout and default weights, same config, and Keras models holding them load and predict."""
import numpy as np
import pytest

import convkit.layers
from convkit.models import load_model

CF = {"data_format": "channels_first"}

# (class name, kwargs, input shape in the layer's data format)
CASES = [
    ("ConvLSTM1D", dict(filters=3, kernel_size=3), (2, 4, 9, 2)),
    ("ConvLSTM1D", dict(filters=2, kernel_size=4, strides=2, padding="same", return_sequences=True), (2, 3, 9, 3)),
    ("ConvLSTM1D", dict(filters=2, kernel_size=3, dilation_rate=2, return_state=True, **CF), (2, 3, 2, 10)),
    ("ConvLSTM1D", dict(filters=2, kernel_size=2, go_backwards=True, return_sequences=True, **CF), (1, 4, 3, 6)),
    ("ConvLSTM2D", dict(filters=3, kernel_size=3), (2, 4, 6, 7, 2)),
    ("ConvLSTM2D", dict(filters=3, kernel_size=(2, 3), strides=2, padding="same", return_sequences=True,
                        return_state=True, go_backwards=True), (2, 4, 6, 7, 2)),
    ("ConvLSTM2D", dict(filters=2, kernel_size=3, strides=(1, 2), padding="valid", **CF), (2, 3, 3, 7, 8)),
    ("ConvLSTM2D", dict(filters=4, kernel_size=3, dilation_rate=(2, 1), padding="same", use_bias=False,
                        return_state=True), (1, 3, 7, 5, 2)),
    ("ConvLSTM2D", dict(filters=2, kernel_size=4, padding="same", go_backwards=True, **CF), (2, 3, 2, 6, 5)),
    ("ConvLSTM2D", dict(filters=2, kernel_size=3, activation="relu", recurrent_activation="hard_sigmoid",
                        return_sequences=True), (2, 3, 5, 5, 2)),
    ("ConvLSTM2D", dict(filters=3, kernel_size=1, unit_forget_bias=False, dropout=0.3, recurrent_dropout=0.2),
     (3, 2, 4, 4, 5)),
    ("ConvLSTM3D", dict(filters=2, kernel_size=2, padding="same", return_sequences=True), (1, 3, 3, 4, 5, 2)),
    ("ConvLSTM3D", dict(filters=2, kernel_size=(3, 2, 2), strides=2, return_state=True, **CF), (2, 2, 2, 5, 4, 5)),
    ("ConvLSTM3D", dict(filters=2, kernel_size=2, dilation_rate=(1, 2, 1), go_backwards=True), (1, 3, 3, 5, 3, 1)),
]


def _id(case):
    name, kwargs, _ = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _pair(keras, name, kwargs, x, rng):
    """A Keras layer with random weights and the convkit layer holding them."""
    k_layer = getattr(keras.layers, name)(**kwargs)
    k_layer(x)
    k_layer.set_weights([(w + 0.3 * rng.standard_normal(w.shape)).astype(np.float32) for w in k_layer.get_weights()])
    c_layer = getattr(convkit.layers, name)(**kwargs)
    c_layer.build(x.shape)
    c_layer.set_weights(k_layer.get_weights())
    return k_layer, c_layer


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_conv_lstm_matches_keras(case, keras, rng, to_numpy, assert_parity):
    name, kwargs, shape = case
    x = rng.standard_normal(shape).astype(np.float32)
    k_layer, c_layer = _pair(keras, name, kwargs, x, rng)
    expected = to_numpy(k_layer(x))
    actual = c_layer(x)
    assert_parity(actual, expected)
    assert [w.shape for w in c_layer.get_weights()] == [tuple(w.shape) for w in k_layer.get_weights()]
    assert c_layer.count_params() == k_layer.count_params()
    for got, want in zip(c_layer.get_weights(), k_layer.get_weights()):  # set_weights / get_weights round trip
        np.testing.assert_array_equal(got, to_numpy(want))
    k_shape = k_layer.compute_output_shape((None,) + shape[1:])
    c_shape = c_layer.compute_output_shape((None,) + shape[1:])
    if kwargs.get("return_state"):
        assert [tuple(s) for s in c_shape] == [tuple(s) for s in k_shape]
    else:
        assert tuple(c_shape) == tuple(k_shape)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_initial_state_matches_keras(data_format, return_sequences, keras, rng, to_numpy, assert_parity):
    kwargs = dict(filters=3, kernel_size=3, padding="same", strides=(2, 1), data_format=data_format,
                  return_sequences=return_sequences, return_state=True)
    shape = (2, 3, 6, 5, 2) if data_format == "channels_last" else (2, 3, 2, 6, 5)
    state_shape = (2, 3, 5, 3) if data_format == "channels_last" else (2, 3, 3, 5)
    x = rng.standard_normal(shape).astype(np.float32)
    k_layer, c_layer = _pair(keras, "ConvLSTM2D", kwargs, x, rng)
    states = [rng.standard_normal(state_shape).astype(np.float32) for _ in range(2)]
    expected = to_numpy(k_layer(x, initial_state=states))
    assert_parity(c_layer(x, initial_state=states), expected)


@pytest.mark.parametrize("name", ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"])
@pytest.mark.parametrize("kwargs", [dict(), dict(use_bias=False), dict(unit_forget_bias=False),
                                    dict(bias_initializer="ones")])
def test_default_weights_match_keras(name, kwargs, keras):
    """Same weights, names and shapes after build; the deterministic bias is equal (ones in the
    forget gate's slice with unit_forget_bias)."""
    rank = int(name[-2])
    shape = (None, 3) + (6,) * rank + (2,)
    k_layer = getattr(keras.layers, name)(4, 3, **kwargs)
    k_layer.build(shape)
    c_layer = getattr(convkit.layers, name)(4, 3, **kwargs)
    c_layer.build(shape)
    assert [w.shape for w in c_layer.get_weights()] == [tuple(w.shape) for w in k_layer.get_weights()]
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
    if kwargs.get("use_bias", True):
        np.testing.assert_array_equal(c_layer.get_weights()[2], np.asarray(k_layer.get_weights()[2]))


@pytest.mark.parametrize("name", ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"])
@pytest.mark.parametrize("regularized", [False, True])
def test_config_matches_keras(name, regularized, keras):
    """Exactly Keras's config keys and argument values; Keras's config builds the convkit layer
    and the convkit config builds the Keras layer, each with the same config again."""
    kwargs = dict(filters=5, kernel_size=2, strides=2, padding="Same", data_format="channels_first",
                  activation="relu", recurrent_activation="hard_sigmoid", use_bias=False, unit_forget_bias=False,
                  dropout=0.25, recurrent_dropout=0.5, seed=7, return_sequences=True, return_state=True,
                  go_backwards=True, unroll=True, name="clstm")
    if regularized:
        kwargs.update(activity_regularizer="l2", kernel_regularizer="l1", recurrent_constraint="non_neg")
    k_cfg = getattr(keras.layers, name)(**kwargs).get_config()
    c_layer = getattr(convkit.layers, name)(**kwargs)
    c_cfg = c_layer.get_config()
    assert set(c_cfg) == set(k_cfg)
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
                "recurrent_activation", "use_bias", "unit_forget_bias", "dropout", "recurrent_dropout", "seed",
                "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
                "name", "trainable"):
        kv, cv = k_cfg[key], c_cfg[key]
        assert (tuple(cv) if isinstance(cv, (list, tuple)) else cv) == \
            (tuple(kv) if isinstance(kv, (list, tuple)) else kv), key
    # (Keras writes a regularizer's factor rounded to float32 (0.01 -> 0.009999999776): compare its class)
    def plain(config):
        return {k: (v["class_name"] if k.endswith("_regularizer") and v else v) for k, v in config.items()
                if k != "dtype"}

    from_keras = type(c_layer).from_config(k_cfg)
    assert plain(from_keras.get_config()) == plain(c_cfg)
    assert plain(getattr(keras.layers, name).from_config(c_cfg).get_config()) == plain(k_cfg)


@pytest.mark.parametrize("kwargs", [
    dict(filters=2, kernel_size=0),
    dict(filters=2, kernel_size=(3, 3, 3)),
    dict(filters=2, kernel_size=3, padding="causal"),
    dict(filters=2, kernel_size=3, data_format="nhwc"),
    dict(filters=2, kernel_size=3, strides=2, dilation_rate=2),
    dict(filters=2, kernel_size=3, activation="nope"),
    dict(filters=2, kernel_size=3, foo=1),
])
def test_bad_arguments_raise_as_keras(kwargs, keras):
    with pytest.raises(ValueError):
        keras.layers.ConvLSTM2D(**kwargs)
    with pytest.raises(ValueError):
        convkit.layers.ConvLSTM2D(**kwargs)


def test_dropout_is_clipped_as_keras(keras):
    kwargs = dict(filters=2, kernel_size=3, dropout=1.5, recurrent_dropout=-1)
    k_cfg = keras.layers.ConvLSTM2D(**kwargs).get_config()
    c_cfg = convkit.layers.ConvLSTM2D(**kwargs).get_config()
    assert (c_cfg["dropout"], c_cfg["recurrent_dropout"]) == (k_cfg["dropout"], k_cfg["recurrent_dropout"])


def _video_model(keras):
    inp = keras.Input((4, 8, 8, 2))
    x = keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ConvLSTM2D(3, 3, strides=2, go_backwards=True)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(2)(x))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_model_with_conv_lstm_loads(tmp_path, suffix, keras, rng, to_numpy, assert_parity):
    pytest.importorskip("h5py")
    kmodel = _video_model(keras)
    weights = [(rng.standard_normal(w.shape) * 0.3).astype(np.float32) for w in kmodel.get_weights()]
    kmodel.set_weights(weights)
    for layer in kmodel.layers:  # positive variances for BatchNormalization
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([g, b, m, np.abs(v) + 0.5])
    path = tmp_path / f"video{suffix}"
    kmodel.save(path)
    model = load_model(path)
    x = rng.standard_normal((3, 4, 8, 8, 2)).astype(np.float32)
    assert_parity(model.predict(x, verbose=0), to_numpy(kmodel(x, training=False)))
    assert model.count_params() == kmodel.count_params()


def test_bidirectional_conv_lstm_matches_keras(keras, rng, to_numpy, assert_parity):
    x = rng.standard_normal((2, 3, 5, 6, 2)).astype(np.float32)
    k_layer = keras.layers.Bidirectional(keras.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True))
    k_layer(x)
    k_layer.set_weights([(w + 0.3 * rng.standard_normal(w.shape)).astype(np.float32) for w in k_layer.get_weights()])
    c_layer = convkit.layers.Bidirectional(convkit.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True))
    c_layer.build(x.shape)
    c_layer.set_weights(k_layer.get_weights())
    assert_parity(c_layer(x), to_numpy(k_layer(x)))
