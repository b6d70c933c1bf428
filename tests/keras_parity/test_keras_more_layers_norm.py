"""GroupNormalization, UnitNormalization, RMSNormalization, PReLU and ActivityRegularization
against the same layers built by Keras 3 (torch backend): outputs with Keras's weights, weight
shapes and order, configs both ways, Keras's error messages, and saved Keras models."""
import warnings

import numpy as np
import pytest

import convkit.layers
from convkit.models import load_model

# (class name, kwargs, input shape)
CASES = [
    ("GroupNormalization", dict(groups=2), (2, 5, 6)),
    ("GroupNormalization", dict(groups=4), (3, 8)),                               # rank 2
    ("GroupNormalization", dict(groups=8, epsilon=1e-5), (2, 4, 4, 16)),
    ("GroupNormalization", dict(groups=3, axis=1), (2, 6, 4, 5)),                 # channels_first
    ("GroupNormalization", dict(groups=2, axis=1), (2, 4, 2, 3, 3)),              # rank 5, channels_first
    ("GroupNormalization", dict(groups=-1), (2, 7, 3)),                           # instance normalization
    ("GroupNormalization", dict(groups=-1, axis=1), (2, 4, 5)),
    ("GroupNormalization", dict(groups=3, axis=-2), (2, 4, 6, 3)),
    ("GroupNormalization", dict(groups=1, center=False), (2, 3, 6)),
    ("GroupNormalization", dict(groups=2, scale=False, epsilon=0.1), (2, 3, 6)),
    ("GroupNormalization", dict(groups=2, center=False, scale=False), (2, 3, 6)),
    ("UnitNormalization", dict(), (3, 7)),
    ("UnitNormalization", dict(axis=1), (2, 4, 5)),
    ("UnitNormalization", dict(axis=[1, 3]), (2, 3, 4, 5)),
    ("UnitNormalization", dict(axis=(-1, -2)), (2, 3, 4, 5)),
    ("RMSNormalization", dict(), (3, 7)),
    ("RMSNormalization", dict(epsilon=1e-3), (2, 3, 70)),
    ("RMSNormalization", dict(axis=2), (2, 3, 4)),
    ("RMSNormalization", dict(axis=[2, 3]), (2, 3, 4, 5)),
    ("RMSNormalization", dict(axis=[-2, -1], epsilon=0.1), (2, 3, 4, 5)),
    # (Keras's torch backend computes RMSNormalization over trailing axes only: torch's rms_norm
    # always takes the last ones, and its fallback broadcasts the scale against the last axes;
    # convkit's own tests cover the other axes)
    ("PReLU", dict(), (3, 7)),
    ("PReLU", dict(shared_axes=[1, 2]), (2, 4, 5, 3)),
    ("PReLU", dict(shared_axes=[2, 3]), (2, 3, 4, 5)),                            # channels_first
    ("PReLU", dict(shared_axes=1), (2, 6, 4)),
    ("PReLU", dict(shared_axes=-1), (2, 4, 5, 3)),
    ("PReLU", dict(shared_axes=[1, 2, 3]), (2, 4, 5, 3)),
    ("ActivityRegularization", dict(l1=0.1, l2=0.01), (2, 3, 4)),
]


def _id(case):
    name, kwargs, shape = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items()).replace(" ", "")
    return f"{name}({args}){shape}".replace(" ", "")


def _plain(value):
    """A config value to compare across libraries: serialised objects by class and config (the
    module names differ), tuples as lists."""
    if isinstance(value, dict) and "class_name" in value:
        return (value["class_name"], _plain(value.get("config") or {}))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _comparable(config):
    config = dict(config)
    config.pop("name"), config.pop("dtype")
    return _plain(config)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_layer_matches_keras(case, keras, rng, to_numpy, assert_parity):
    name, kwargs, shape = case
    k_layer = getattr(keras.layers, name)(**kwargs)
    c_layer = getattr(convkit.layers, name)(**kwargs)
    x = (rng.standard_normal(shape) * 2 + 0.3).astype(np.float32)
    k_layer(x)
    k_layer.set_weights([(w + 0.5 * rng.standard_normal(w.shape)).astype(np.float32) for w in k_layer.get_weights()])
    expected = to_numpy(k_layer(x))
    c_layer(x)  # build
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
    assert [w.shape for w in c_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    c_layer.set_weights(k_layer.get_weights())
    assert c_layer.count_params() == k_layer.count_params()
    before = x.copy()
    actual = c_layer(x)
    np.testing.assert_array_equal(x, before)
    assert actual.flags.c_contiguous
    assert_parity(actual, expected)
    assert tuple(c_layer.compute_output_shape((None,) + shape[1:])) == \
        tuple(k_layer.compute_output_shape((None,) + shape[1:]))
    # configs once built (GroupNormalization(groups=-1) reports its channel count, RMSNormalization
    # a sorted list of axes), and Keras's config builds the same convkit layer
    assert _comparable(c_layer.get_config()) == _comparable(k_layer.get_config())
    again = getattr(convkit.layers, name).from_config(k_layer.get_config())
    again(x)
    again.set_weights(k_layer.get_weights())
    np.testing.assert_array_equal(again(x), actual)


@pytest.mark.parametrize("name, kwargs", [("GroupNormalization", dict(groups=2)), ("UnitNormalization", dict()),
                                          ("RMSNormalization", dict()), ("PReLU", dict())])
def test_special_values_match_keras(name, kwargs, keras, to_numpy):
    """Squares that overflow float32, infinities, NaN, all-zero rows: the same NaN / inf
    positions and values as Keras, and no RuntimeWarning (torch gives none)."""
    x = np.array([[1e20, 1.0, -2.0, 0.5], [np.inf, 1.0, 2.0, 3.0], [np.nan, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0],
                  [-np.inf, 1e-30, 0.0, 2.0], [-3e-39, 1e-38, 0.0, -1e-20]], np.float32)
    k_layer = getattr(keras.layers, name)(**kwargs)
    c_layer = getattr(convkit.layers, name)(**kwargs)
    k_layer(x), c_layer(x)
    if name == "PReLU":  # slopes of both signs, and 0 (0 * -inf is NaN)
        k_layer.set_weights([np.array([0.0, 0.5, -1.0, 2.0], np.float32)])
        c_layer.set_weights(k_layer.get_weights())
    want = to_numpy(k_layer(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = c_layer(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, kwargs", [
    ("GroupNormalization", dict()),
    ("GroupNormalization", dict(groups=-1, axis=1, epsilon=1e-5, center=False, beta_initializer="ones",
                                gamma_initializer="he_normal", beta_regularizer="l2", gamma_constraint="non_neg")),
    ("UnitNormalization", dict(axis=(1, 2))),
    ("RMSNormalization", dict(axis=[1, 2], epsilon=1e-4)),
    ("PReLU", dict()),
    ("PReLU", dict(alpha_initializer="ones", alpha_regularizer={"class_name": "L1", "config": {"l1": 0.5}},
                   alpha_constraint="max_norm", shared_axes=(1, 2))),
    ("ActivityRegularization", dict()),
    ("ActivityRegularization", dict(l1=1, l2=0.25)),
])
def test_config_matches_keras(name, kwargs, keras):
    """Unbuilt configs: the same keys and values as Keras's; Keras's config and convkit's own
    both build the convkit layer."""
    k_layer = getattr(keras.layers, name)(**kwargs)
    c_layer = getattr(convkit.layers, name)(**kwargs)
    assert _comparable(c_layer.get_config()) == _comparable(k_layer.get_config())
    from_keras = getattr(convkit.layers, name).from_config(k_layer.get_config())
    assert _comparable(from_keras.get_config()) == _comparable(k_layer.get_config())
    again = getattr(convkit.layers, name).from_config(c_layer.get_config())
    assert again.get_config() == c_layer.get_config()


@pytest.mark.parametrize("name, kwargs, shape", [
    ("GroupNormalization", dict(groups=0), None),
    ("GroupNormalization", dict(groups=-3), None),
    ("GroupNormalization", dict(groups=1.5), None),
    ("GroupNormalization", dict(groups=3), (None, 4)),
    ("GroupNormalization", dict(groups=8), (None, 4)),
    ("GroupNormalization", dict(groups=2), (None, 3, None)),
    ("UnitNormalization", dict(axis="x"), None),
    ("ActivityRegularization", dict(l1=-0.5), None),
    ("ActivityRegularization", dict(l2="big"), None),
])
def test_errors_match_keras(name, kwargs, shape, keras):
    """Keras's exception type and words (bar spacing) for the same bad arguments."""
    outcomes = []
    for lib in (keras.layers, convkit.layers):
        with pytest.raises((ValueError, TypeError)) as info:
            layer = getattr(lib, name)(**kwargs)
            layer.build(shape)
        outcomes.append((info.type, " ".join(str(info.value).replace(".Received", ". Received").split())))
    (k_type, k_text), (c_type, c_text) = outcomes
    assert c_type is k_type
    assert k_text in c_text, (k_text, c_text)


# ---- saved Keras models ------------------------------------------------------------------------

def _sequential(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((6, 6, 8)),
        layers.Conv2D(8, 3, padding="same"),
        layers.GroupNormalization(groups=4),
        layers.PReLU(shared_axes=[1, 2]),
        layers.ActivityRegularization(l2=0.01),
        layers.UnitNormalization(axis=[1, 2]),
        layers.RMSNormalization(),
        layers.Flatten(),
        layers.Dense(3),
    ])


def _functional(keras):
    layers = keras.layers
    image = keras.Input((4, 5, 6), name="image_cf")  # channels_first
    x = layers.Conv2D(6, 3, padding="same", data_format="channels_first")(image)
    x = layers.GroupNormalization(groups=3, axis=1, epsilon=1e-5)(x)
    x = layers.PReLU(shared_axes=[2, 3])(x)
    x = layers.RMSNormalization(axis=[-2, -1])(x)
    x = layers.GlobalAveragePooling2D(data_format="channels_first")(x)
    seq = keras.Input((7, 4), name="sequence")
    y = layers.GroupNormalization(groups=-1)(seq)
    y = layers.ActivityRegularization(l1=0.001)(y)
    y = layers.PReLU(alpha_initializer="ones")(y)
    y = layers.UnitNormalization(axis=1)(y)
    y = layers.Flatten()(y)
    out = layers.Dense(2)(layers.concatenate([x, y]))
    return keras.Model([image, seq], out)


@pytest.mark.parametrize("build, suffix", [(_sequential, ".keras"), (_functional, ".keras"), (_functional, ".h5")])
def test_saved_keras_model_loads_and_predicts_the_same(build, suffix, keras, tmp_path, to_numpy):
    pytest.importorskip("h5py")
    kmodel = build(keras)
    rng = np.random.default_rng(7)
    kmodel.set_weights([(w + 0.4 * rng.standard_normal(w.shape)).astype(np.float32) for w in kmodel.get_weights()])
    path = tmp_path / f"model{suffix}"
    kmodel.save(path)
    model = load_model(path)
    inputs = [rng.standard_normal((3,) + tuple(t.shape[1:])).astype(np.float32) for t in kmodel.inputs]
    feed = inputs if len(inputs) > 1 else inputs[0]
    want = to_numpy(kmodel(feed))
    got = model.predict(feed, verbose=0)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(want).max())))
    assert model.count_params() == kmodel.count_params()
    names = {type(layer).__name__ for layer in model.layers}
    assert {"GroupNormalization", "PReLU", "ActivityRegularization", "UnitNormalization",
            "RMSNormalization"} <= names
