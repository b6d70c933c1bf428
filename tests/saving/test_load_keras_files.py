"""Models saved by Keras (`.keras` archives, `.weights.h5`, legacy `.h5`) load into convkit and
predict Keras's numbers."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("h5py")

import convkit  # noqa: E402
from convkit.models import load_model  # noqa: E402


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.3 for w in model.get_weights()]
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            pass
    model.set_weights(weights)
    for layer in model.layers:  # positive variances for BatchNormalization
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([g, b, m, np.abs(v) + 0.5])


def _sequential():
    return keras.Sequential([
        keras.Input((12, 12, 3)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(2),
        keras.layers.DepthwiseConv2D(3, depth_multiplier=2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(5, activation="softmax"),
    ])


def _functional():
    a = keras.Input((16, 4), name="signal")
    b = keras.Input((3,), name="meta")
    x = keras.layers.Conv1D(6, 3, padding="causal", activation="gelu")(a)
    x = keras.layers.LSTM(5, return_sequences=True)(x)
    x = keras.layers.GRU(4)(x)
    y = keras.layers.Dense(4, activation="tanh")(b)
    out = keras.layers.Dense(2)(keras.layers.concatenate([x, y]))
    return keras.Model([a, b], out)


def _nested():
    block = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(4, 3, padding="same"),
                              keras.layers.BatchNormalization(), keras.layers.ReLU(6.0)])
    inp = keras.Input((8, 8, 4))
    x = keras.layers.add([inp, block(inp)])
    x = keras.layers.SeparableConv2D(6, 3, strides=2, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(3)(x))


def _augmented():
    # The shape of Keras's "image classification from scratch" tutorial model: a data
    # augmentation block and Rescaling inside the model (identity at inference, then x / 255).
    augment = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.1),
                                keras.layers.RandomZoom(0.1), keras.layers.RandomTranslation(0.1, 0.1),
                                keras.layers.RandomContrast(0.2), keras.layers.RandomBrightness(0.1)])
    inp = keras.Input((16, 16, 3))
    x = keras.layers.Rescaling(1.0 / 255)(augment(inp))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Identity()(x)
    x = keras.layers.Rescaling([0.5] * 8, offset=0.1)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(2)(x))


def test_load_model_with_preprocessing_layers(tmp_path):
    kmodel = _augmented()
    _randomize(kmodel)
    path = tmp_path / "augmented.keras"
    kmodel.save(path)
    model = load_model(path)
    x = np.random.default_rng(2).uniform(0, 255, (3, 16, 16, 3)).astype(np.float32)
    want = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)


def _operations():
    # Operations written in the model's code are nodes of their own in Keras's config
    # (keras.src.ops.numpy / keras.src.ops.nn), with constants among their arguments.
    ops = keras.ops
    inp = keras.Input((6, 6, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inp)
    a = ops.relu6(x + 3.0) * (1.0 / 6.0)          # MobileNetV3's hard sigmoid
    b = 1.0 - ops.maximum(a / 2.0, 0.1)           # a constant first, divide, maximum
    c = -ops.sigmoid(b) * x + ops.minimum(ops.tanh(x), 0.5)
    d = ops.silu(c) + ops.hard_silu(c) + ops.hard_sigmoid(c) + ops.relu(c) - ops.square(c)
    e = ops.sqrt(ops.abs(d)) + ops.softplus(d) + ops.softsign(d) + ops.selu(d) + (d ** 2.0)
    return keras.Model(inp, keras.layers.GlobalAveragePooling2D()(e))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])  # legacy .h5 configs drop the operations' module
def test_load_model_with_operations_in_its_graph(tmp_path, suffix):
    kmodel = _operations()
    _randomize(kmodel)
    path = tmp_path / f"ops{suffix}"
    kmodel.save(path)
    model = load_model(path)
    x = np.random.default_rng(3).standard_normal((3, 6, 6, 3)).astype(np.float32)
    want = keras.ops.convert_to_numpy(kmodel(x))
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    again = convkit.Model.from_config(model.get_config())  # convkit's own config of the operations
    again.set_weights(model.get_weights())
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name, suffix", [("MobileNetV3Small", ".keras"), ("EfficientNetB0", ".keras"),
                                          ("ConvNeXtTiny", ".keras"), ("MobileNetV3Small", ".h5")])
def test_load_keras_applications(tmp_path, name, suffix):
    # Keras's own models: MobileNetV3 (operations in the graph, Rescaling), EfficientNet
    # (Normalization with saved statistics), ConvNeXt (Normalization from arguments, LayerScale,
    # grouped convolutions, LayerNormalization); random weights, no download.
    kmodel = getattr(keras.applications, name)(weights=None, input_shape=(32, 32, 3), classifier_activation=None)
    path = tmp_path / f"{name}{suffix}"
    kmodel.save(path)
    model = load_model(path)
    x = np.random.default_rng(4).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    want = keras.ops.convert_to_numpy(kmodel(x, training=False))
    got = model.predict(x, verbose=0)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    assert model.count_params() == kmodel.count_params()


def _inputs(model, rng):
    return [rng.standard_normal((3,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]


@pytest.mark.parametrize("build", [_sequential, _functional, _nested])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_load_model_matches_keras(tmp_path, build, suffix):
    kmodel = build()
    _randomize(kmodel)
    path = tmp_path / f"model{suffix}"
    kmodel.save(path)
    model = load_model(path)
    rng = np.random.default_rng(1)
    xs = _inputs(kmodel, rng)
    feed = xs if len(xs) > 1 else xs[0]
    want = keras.ops.convert_to_numpy(kmodel(feed))
    got = model.predict(feed, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(want).max()))
    assert [w.shape for w in model.get_weights()] == [w.shape for w in kmodel.get_weights()]


def test_load_weights_into_same_architecture(tmp_path):
    kmodel = _sequential()
    _randomize(kmodel, seed=3)
    path = tmp_path / "model.weights.h5"
    kmodel.save_weights(path)
    model = convkit.models.Sequential.from_config(kmodel.get_config())
    model.load_weights(path)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="filepath"):
        load_model(tmp_path / "nope.keras")
