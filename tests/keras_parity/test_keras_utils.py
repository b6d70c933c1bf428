"""convkit.utils / config / backend / applications / preprocessing against Keras 3 (torch backend):
the same names and signatures, the same numbers and dtypes (exactly: these are numpy functions in
both), the same errors' types, and custom objects registered with register_keras_serializable or
passed through custom_object_scope going through `.keras` / `.h5` files both ways."""
import importlib
import inspect
import itertools
import json
import zipfile

import numpy as np
import pytest

import convkit
from convkit import applications as capps
from convkit import backend as cbackend
from convkit import config as cconfig
from convkit import saving as csaving
from convkit import utils as cutils
from convkit.layers import Dense, Layer

FAMILIES = [f for f in capps.FAMILIES if f != "imagenet_utils"]


def _outcome(fn, *args, **kwargs):
    """(result, None) or (None, the exception's type)."""
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # (the type is what is compared)
        return None, type(exc)


# ---- names and signatures --------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["utils", "config", "backend", "saving", "preprocessing.sequence",
                                    "preprocessing.image", "applications"])
def test_convkit_names_are_kerass_with_kerass_signatures(keras, module):
    """Every function convkit has under these modules is one Keras has there, with Keras's
    parameters and defaults (decode_predictions adds only a keyword-only class_index_path)."""
    ours = importlib.import_module(f"convkit.{module}")
    theirs = importlib.import_module(f"keras.{module}")
    names = [n for n in getattr(ours, "__all__", dir(ours)) if not n.startswith("_")]
    if module == "saving":
        names = ["register_keras_serializable", "get_custom_objects", "custom_object_scope", "CustomObjectScope",
                 "get_registered_name", "get_registered_object", "load_model", "save_model"]
    assert names
    for name in names:
        assert hasattr(theirs, name), f"keras.{module} has no {name}"
        ours_obj, theirs_obj = getattr(ours, name), getattr(theirs, name)
        if inspect.isfunction(ours_obj) and inspect.isfunction(theirs_obj):
            ours_params = [(p.name, p.default) for p in inspect.signature(ours_obj).parameters.values()
                           if p.kind is not p.KEYWORD_ONLY]
            theirs_params = [(p.name, p.default) for p in inspect.signature(theirs_obj).parameters.values()]
            assert ours_params == theirs_params, name


def test_top_level_names_exist_in_keras(keras):
    for name in ("utils", "config", "backend", "applications", "preprocessing", "Layer", "InputSpec", "KerasTensor",
                 "version", "Input", "Model", "Sequential"):
        assert hasattr(keras, name) and hasattr(convkit, name), name
    assert convkit.version() == convkit.__version__


def test_application_families_and_builders_are_kerass(keras):
    assert set(capps.FAMILIES) == {n for n in dir(keras.applications) if n[0].islower() and not n.startswith("_")}
    for family in FAMILIES:
        module = getattr(keras.applications, family)
        builders = {n for n in dir(module) if n[0].isupper()}
        assert builders == set(capps._builders.BUILDERS[family]), family
        for name in builders:
            with pytest.raises(NotImplementedError, match="convkit.saving.load_model"):
                getattr(getattr(capps, family), name)
    top_level = {n for n in dir(keras.applications) if n[0].isupper()}
    assert top_level == set(capps._builders.ALL_BUILDERS)
    for name in top_level:
        with pytest.raises(NotImplementedError, match=name):
            getattr(capps, name)


# ---- pad_sequences ---------------------------------------------------------------------------------

PAD_INPUTS = {
    "ints": [[1], [2, 3], [4, 5, 6], []],
    "floats": [[1.5, -2.7], [3.9], [0.2, 0.4, 0.6, 0.8]],
    "arrays": [np.array([1, 2, 3]), np.array([4]), np.array([], dtype=int)],
    "tuples": ((1, 2), (3,), (4, 5, 6, 7)),
    "vectors": [[[1, 2], [3, 4]], [[5, 6]], [[7, 8], [9, 10], [11, 12]]],
    "strings": [["a", "bb"], ["ccc"], ["d", "e", "f"]],
    "objects": [[None, 1.5], ["x"], [3, (4,), "yy"]],
    "array_2d": np.arange(12).reshape(3, 4),
    "array_3d": np.arange(24.0).reshape(3, 4, 2),
}


@pytest.mark.parametrize("name", list(PAD_INPUTS))
def test_pad_sequences_matches_keras(keras, name):
    """Every combination of maxlen, dtype, padding, truncating and value: the same array (values,
    dtype, shape), or an error of the same type where Keras raises."""
    sequences = PAD_INPUTS[name]
    grid = itertools.product((None, 1, 2, 5), ("int32", "float32", "float64", object, "int8", "<U3", "str"),
                             ("pre", "post"), ("pre", "post"), (0.0, -1, 0.5, "x"))
    compared = errors = 0
    for maxlen, dtype, padding, truncating, value in grid:
        args = dict(maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value)
        expected, expected_error = _outcome(keras.utils.pad_sequences, sequences, **args)
        actual, actual_error = _outcome(cutils.pad_sequences, sequences, **args)
        assert actual_error == expected_error, args
        if expected_error is not None:
            errors += 1
            continue
        assert actual.dtype == expected.dtype and actual.shape == expected.shape, args
        np.testing.assert_array_equal(actual, expected, err_msg=str(args))
        compared += 1
    assert compared > 50


@pytest.mark.parametrize("call", [
    lambda f: f(5),                                     # not a sequence
    lambda f: f([[1], 2]),                              # an item that is not a sequence
    lambda f: f([[1, 2]], padding="middle"),
    lambda f: f([[1, 2]], truncating="middle"),
    lambda f: f([[1, 2]], value="pad"),                 # a string value with a number dtype
    lambda f: f([[[1, 2]], [[1, 2, 3]]]),               # items of two shapes
])
def test_pad_sequences_errors_are_kerass_types(keras, call):
    _, expected = _outcome(call, keras.utils.pad_sequences)
    _, actual = _outcome(call, cutils.pad_sequences)
    assert expected is ValueError and actual is ValueError


def test_preprocessing_sequence_path(keras):
    from convkit.preprocessing import sequence

    x = [[1, 2, 3], [4]]
    np.testing.assert_array_equal(sequence.pad_sequences(x, maxlen=2),
                                  keras.preprocessing.sequence.pad_sequences(x, maxlen=2))


# ---- to_categorical, normalize ---------------------------------------------------------------------

@pytest.mark.parametrize("x, num_classes", [
    ([0, 1, 2, 3], None), ([0, 1, 2, 3], 6), ([[1], [0], [2]], None), (np.array([[0, 2], [1, 1]]), 3),
    (3, 5), ([1.7, 2.2, 0.1], None), ([0, -1, 2], 3), (np.array([[[1]], [[0]]], np.uint8), 2), ([2, 1], 0),
    ([True, False], None),
])
def test_to_categorical_matches_keras(keras, x, num_classes):
    expected = keras.utils.to_categorical(x, num_classes)
    actual = cutils.to_categorical(x, num_classes)
    assert actual.dtype == expected.dtype == np.float64
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.float16])
@pytest.mark.parametrize("shape, axis", [((4,), -1), ((4,), None), ((3, 5), -1), ((3, 5), 1), ((3, 5), -2),
                                         ((3, 5), None), ((2, 3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), (1, 2))])
@pytest.mark.parametrize("order", [1, 2, np.inf])
def test_normalize_matches_keras_on_arrays(keras, dtype, shape, axis, order):
    rng = np.random.default_rng(3)
    x = (rng.normal(size=shape) * 4).astype(dtype)
    x.reshape(-1)[0] = 0
    if len(shape) > 1:
        x[0] = 0  # a zero norm along the last axis (left as it is)
    expected, expected_error = _outcome(keras.utils.normalize, x, axis=axis, order=order)
    actual, actual_error = _outcome(cutils.normalize, x, axis=axis, order=order)
    assert actual_error == expected_error
    if expected_error is None:
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        np.testing.assert_array_equal(actual, expected)


def test_normalize_matches_keras_on_lists(keras, to_numpy):
    x = [[3.0, 4.0], [0.0, 0.0], [1e-9, 0.0]]
    expected = to_numpy(keras.utils.normalize(x))
    actual = cutils.normalize(x)
    assert actual.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_normalize_axis0_is_the_norm_keras_means(keras):
    """Keras's numpy path places the norms along the last axis when axis=0 (`axis or -1`): it
    fails on a non-square matrix and divides by the wrong norms on a square one. convkit's
    result is Keras's for axis=-2, the same axis."""
    x = np.arange(1.0, 10.0).reshape(3, 3)
    np.testing.assert_array_equal(cutils.normalize(x, axis=0), keras.utils.normalize(x, axis=-2))
    assert not np.allclose(keras.utils.normalize(x, axis=0), keras.utils.normalize(x, axis=-2))
    with pytest.raises(ValueError):
        keras.utils.normalize(np.ones((2, 3)), axis=0)
    np.testing.assert_array_equal(cutils.normalize(np.ones((2, 3)), axis=0), np.full((2, 3), 1 / np.sqrt(2)))


# ---- config and backend ----------------------------------------------------------------------------

def test_config_defaults_are_kerass(keras):
    assert cconfig.floatx() == keras.config.floatx() == "float32"
    assert cconfig.epsilon() == keras.config.epsilon() == 1e-7
    assert cconfig.image_data_format() == keras.config.image_data_format() == "channels_last"
    assert cbackend.floatx() == cconfig.floatx() and cbackend.epsilon() == cconfig.epsilon()
    assert cbackend.image_data_format() == cconfig.image_data_format()


def test_set_image_data_format_reaches_layers_and_ops_as_in_keras(keras):
    """data_format=None resolves to the setting when a layer is made (an older layer keeps its
    format) and when an op is called, in both libraries."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 6, 5)).astype(np.float32)  # channels first
    kernel = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    older_convkit, older_keras = convkit.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3)
    try:
        cconfig.set_image_data_format("channels_first")
        keras.config.set_image_data_format("channels_first")
        layer, keras_layer = convkit.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3)
        assert layer.get_config()["data_format"] == keras_layer.get_config()["data_format"] == "channels_first"
        for name in ("MaxPooling2D", "GlobalAveragePooling2D", "Flatten", "UpSampling2D", "ZeroPadding2D"):
            assert (getattr(convkit.layers, name)().get_config()["data_format"]
                    == getattr(keras.layers, name)().get_config()["data_format"] == "channels_first"), name
        expected = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel))
        np.testing.assert_allclose(convkit.ops.conv(x, kernel), expected, rtol=1e-4, atol=1e-4)
        keras_layer.build(x.shape)
        layer.build(x.shape)
        layer.set_weights(keras_layer.get_weights())
        np.testing.assert_allclose(layer(x), keras.ops.convert_to_numpy(keras_layer(x)), rtol=1e-4, atol=1e-4)
    finally:
        cconfig.set_image_data_format("channels_last")
        keras.config.set_image_data_format("channels_last")
    assert older_convkit.data_format == older_keras.data_format == "channels_last"
    assert convkit.layers.Conv2D(4, 3).data_format == "channels_last"


@pytest.mark.parametrize("dtype", [None, "float32", "int", int, float, bool, str, complex, np.float16, np.uint8,
                                   np.dtype("int64"), "bool", "bfloat16", "float64", "string", "int8",
                                   "float128", "object", np.str_, "nonsense"])
def test_standardize_dtype_matches_keras(keras, dtype):
    expected, expected_error = _outcome(keras.backend.standardize_dtype, dtype)
    actual, actual_error = _outcome(cbackend.standardize_dtype, dtype)
    assert (actual, actual_error) == (expected, expected_error)
    if expected_error is None:
        assert cbackend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
        assert cbackend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)
        assert keras.utils.standardize_dtype(dtype) == cutils.standardize_dtype(dtype)


def test_is_keras_tensor_matches_keras(keras):
    assert cbackend.is_keras_tensor(convkit.Input((3,))) and keras.backend.is_keras_tensor(keras.Input((3,)))
    for value in (np.zeros(3), 1.0, [1, 2], None):
        assert cbackend.is_keras_tensor(value) == keras.backend.is_keras_tensor(value) is False
    assert cutils.is_keras_tensor is cbackend.is_keras_tensor


def test_clear_session_restarts_layer_names_as_in_keras(keras):
    for lib in (convkit, keras):
        lib.backend.clear_session()
    names = []
    for lib in (convkit, keras):
        first = [lib.layers.Dense(2).name for _ in range(3)]
        uid = lib.backend.get_uid("dense")
        after_uid = lib.layers.Dense(2).name
        lib.backend.clear_session(free_memory=False)
        names.append((first, uid, after_uid, lib.layers.Dense(2).name, lib.layers.Conv2D(2, 1).name))
    assert names[0] == names[1] == (["dense", "dense_1", "dense_2"], 4, "dense_4", "dense", "conv2d")


# ---- applications --------------------------------------------------------------------------------

def _images(shape, dtype, seed=0):
    values = np.random.default_rng(seed).uniform(0, 255, shape)
    return values.astype(dtype)


SHAPES = {"channels_last": [(2, 5, 4, 3), (5, 4, 3), (2, 2, 5, 4, 3), (2, 4, 4, 4)],
          "channels_first": [(2, 3, 5, 4), (3, 5, 4), (2, 3, 2, 5, 4), (2, 4, 4, 4)]}


@pytest.mark.parametrize("family", FAMILIES)
def test_preprocess_input_matches_keras(keras, family):
    """Each family's preprocess_input on uint8 / int32 / float16 / float32 / float64 images of both
    data formats (single images, batches, volumes, a 4th channel): Keras's numbers exactly, Keras's
    dtype, and the input left as it was (Keras's own numpy path writes over a float input)."""
    ours, theirs = getattr(capps, family), getattr(keras.applications, family)
    for data_format, dtype in itertools.product(SHAPES, (np.uint8, np.int32, np.float16, np.float32, np.float64)):
        for shape in SHAPES[data_format]:
            x = _images(shape, dtype)
            before = x.copy()
            actual = ours.preprocess_input(x, data_format=data_format)
            np.testing.assert_array_equal(x, before)
            expected = theirs.preprocess_input(x.copy(), data_format=data_format)
            assert actual.dtype == expected.dtype, (data_format, dtype, shape)
            np.testing.assert_array_equal(actual, expected, err_msg=f"{data_format} {dtype} {shape}")
        default = ours.preprocess_input(_images(SHAPES["channels_last"][0], dtype))
        np.testing.assert_array_equal(default, theirs.preprocess_input(_images(SHAPES["channels_last"][0], dtype)))


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_imagenet_utils_modes_match_keras(keras, mode):
    x = _images((2, 6, 7, 3), np.float32, seed=4)
    for data_format in ("channels_last", "channels_first"):
        expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), data_format, mode)
        np.testing.assert_array_equal(capps.imagenet_utils.preprocess_input(x, data_format, mode), expected)
    for bad in (dict(mode="caffee"), dict(data_format="NHWC")):
        _, expected_error = _outcome(keras.applications.imagenet_utils.preprocess_input, x.copy(), **bad)
        _, actual_error = _outcome(capps.imagenet_utils.preprocess_input, x, **bad)
        assert actual_error == expected_error == ValueError


def test_preprocess_input_errors_where_keras_fails(keras):
    for x, data_format in ((np.ones((4, 4, 2)), "channels_last"), (np.ones((4, 4)), "channels_first")):
        _, expected_error = _outcome(keras.applications.vgg16.preprocess_input, x.copy(), data_format)
        assert expected_error is not None
        with pytest.raises(ValueError, match="3 colour channels"):
            capps.vgg16.preprocess_input(x, data_format)


@pytest.fixture
def class_index(tmp_path, monkeypatch, keras):
    """A stand-in class index (Keras would download the real one), given to both libraries."""
    from keras.src.applications import imagenet_utils as keras_imagenet_utils

    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    monkeypatch.setattr(keras_imagenet_utils, "CLASS_INDEX", index)
    return str(path)


@pytest.mark.parametrize("family", ["resnet50", "mobilenet_v2", "efficientnet", "imagenet_utils"])
def test_decode_predictions_matches_keras(keras, class_index, family):
    preds = np.random.default_rng(5).random((3, 1000)).astype(np.float32)
    preds[1, 10:20] = 0.5  # ties
    for top in (1, 5, 12):
        expected = getattr(keras.applications, family).decode_predictions(preds, top=top)
        actual = getattr(capps, family).decode_predictions(preds, top=top, class_index_path=class_index)
        assert actual == expected
        assert type(actual[0][0][2]) is type(expected[0][0][2])


# ---- custom objects through files ------------------------------------------------------------------

@pytest.fixture
def registries(keras):
    """Both registries put back as they were after the test."""
    from keras.src.saving import object_registration as keras_registration

    from convkit import _registration

    saved = [(registry, dict(registry)) for registry in (
        keras_registration.GLOBAL_CUSTOM_OBJECTS, keras_registration.GLOBAL_CUSTOM_NAMES,
        _registration._GLOBAL_CUSTOM_OBJECTS, _registration._GLOBAL_CUSTOM_NAMES)]
    yield
    for registry, content in saved:
        registry.clear()
        registry.update(content)


def _scale_classes(keras, package=None, name=None):
    """A Keras layer and a convkit layer of the same name doing the same thing (registered as
    package>name in each library when a package is given)."""
    def methods(base):
        def __init__(self, factor=2.0, **kwargs):
            base.__init__(self, **kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**base.get_config(self), "factor": self.factor}

        return {"__init__": __init__, "call": call, "get_config": get_config}

    keras_cls = type("Scale", (keras.layers.Layer,), methods(keras.layers.Layer))
    convkit_cls = type("Scale", (Layer,), methods(Layer))
    if package is not None:
        keras.saving.register_keras_serializable(package, name)(keras_cls)
        csaving.register_keras_serializable(package, name)(convkit_cls)
    return keras_cls, convkit_cls


def _keras_model(keras, cls):
    inp = keras.Input((3,))
    return keras.Model(inp, cls(3.0, name="scale")(keras.layers.Dense(2)(inp)))


def _layer_entry(path, name):
    if str(path).endswith(".keras"):
        config = json.loads(zipfile.ZipFile(path).read("config.json"))
    else:
        import h5py

        with h5py.File(path) as f:
            config = json.loads(f.attrs["model_config"])
    return next(entry for entry in config["config"]["layers"] if entry["config"]["name"] == name)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", [None, "Renamed"])
def test_registered_layer_in_a_keras_file_loads_in_convkit(keras, registries, tmp_path, suffix, name):
    pytest.importorskip("h5py")
    keras_cls, convkit_cls = _scale_classes(keras, "Parity", name)
    model = _keras_model(keras, keras_cls)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    expected_name = f"Parity>{name or 'Scale'}"
    entry = _layer_entry(path, "scale")
    assert expected_name in (entry.get("registered_name"), entry["class_name"])
    loaded = csaving.load_model(path)  # no custom_objects: the registration finds the class
    assert type(loaded.get_layer("scale")) is convkit_cls and loaded.get_layer("scale").factor == 3.0
    x = np.random.default_rng(1).random((4, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", [None, "Renamed"])
def test_convkit_save_of_a_registered_layer_loads_in_keras(keras, registries, tmp_path, name, suffix):
    """The entry is Keras's own (class name, registered name "package>name"; a legacy .h5 entry
    names the class "package>name"), and Keras finds its class by its registration of that name."""
    pytest.importorskip("h5py")
    keras_cls, convkit_cls = _scale_classes(keras, "Parity", name)
    inp = convkit.Input((3,))
    model = convkit.Model(inp, convkit_cls(3.0, name="scale")(Dense(2)(inp)))
    path = tmp_path / f"model{suffix}"
    model.save(path)
    entry = _layer_entry(path, "scale")
    reference = tmp_path / f"reference{suffix}"
    _keras_model(keras, keras_cls).save(reference)
    keras_entry = _layer_entry(reference, "scale")
    for key in ("module", "class_name", "registered_name"):
        assert entry.get(key) == keras_entry.get(key), key
    assert f"Parity>{name or 'Scale'}" in (entry.get("registered_name"), entry["class_name"])
    loaded = keras.saving.load_model(path)
    assert type(loaded.get_layer("scale")) is keras_cls
    x = np.random.default_rng(2).random((4, 3)).astype(np.float32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.predict(x, verbose=0)), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_custom_object_scope_and_custom_objects_load_a_keras_file(keras, registries, tmp_path, suffix):
    """An unregistered custom layer: found through custom_object_scope, get_custom_objects() and
    custom_objects, as in Keras; without any of them both libraries refuse the file."""
    pytest.importorskip("h5py")
    keras_cls, convkit_cls = _scale_classes(keras)
    path = tmp_path / f"model{suffix}"
    _keras_model(keras, keras_cls).save(path)
    with pytest.raises((TypeError, ValueError)):
        keras.saving.load_model(path)
    with pytest.raises(ValueError, match="Unknown layer"):
        csaving.load_model(path)
    with keras.saving.custom_object_scope({"Scale": keras_cls}):
        assert type(keras.saving.load_model(path).get_layer("scale")) is keras_cls
    with csaving.custom_object_scope({"Scale": convkit_cls}):
        assert type(csaving.load_model(path).get_layer("scale")) is convkit_cls
    assert type(csaving.load_model(path, custom_objects={"Scale": convkit_cls}).get_layer("scale")) is convkit_cls
    csaving.get_custom_objects()["Scale"] = convkit_cls
    keras.saving.get_custom_objects()["Scale"] = keras_cls
    assert type(keras.saving.load_model(path).get_layer("scale")) is keras_cls
    assert type(csaving.load_model(path).get_layer("scale")) is convkit_cls


def test_registration_functions_behave_as_kerass(keras, registries):
    keras_cls, convkit_cls = _scale_classes(keras, "Pkg", "Alias")
    for lib, cls in ((keras, keras_cls), (convkit, convkit_cls)):
        assert lib.saving.get_registered_name(cls) == "Pkg>Alias"
        assert lib.utils.get_registered_name(cls) == "Pkg>Alias"
        assert lib.saving.get_registered_object("Pkg>Alias") is cls
        assert lib.saving.get_registered_object("Alias") is None
        assert lib.saving.get_registered_object("Alias", custom_objects={"Alias": int}) is int
        assert lib.saving.get_registered_object("x", module_objects={"x": float}) is float
        assert lib.saving.get_custom_objects()["Pkg>Alias"] is cls
        with lib.saving.custom_object_scope({"Pkg>Alias": str, "Inner": bytes}):
            # a scope's objects come first; a nested scope replaces the enclosing one's
            assert lib.saving.get_registered_object("Pkg>Alias") is str
            with lib.utils.CustomObjectScope({"Other": list}):
                assert lib.saving.get_registered_object("Inner") is None
                assert lib.saving.get_registered_object("Other") is list
            assert lib.saving.get_registered_object("Inner") is bytes
        assert lib.saving.get_registered_object("Pkg>Alias") is cls
        assert "Inner" not in lib.saving.get_custom_objects()
    unregistered = type("Plain", (Layer,), {})
    assert csaving.get_registered_name(unregistered) == keras.saving.get_registered_name(unregistered) == "Plain"
    no_config = type("NoConfig", (), {})
    for lib in (keras, convkit):
        with pytest.raises(ValueError, match="get_config"):
            lib.saving.register_keras_serializable("Pkg")(no_config)


# ---- image files -------------------------------------------------------------------------------------

@pytest.fixture
def image_files(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    paths = {"rgb": tmp_path / "rgb.png", "rgba": tmp_path / "rgba.png", "gray16": tmp_path / "gray16.png"}
    Image.fromarray(rgb).save(paths["rgb"])
    Image.fromarray(np.concatenate([rgb, rgb[..., :1]], -1), "RGBA").save(paths["rgba"])
    Image.fromarray(rng.integers(0, 65535, (9, 11)).astype(np.uint16)).save(paths["gray16"])
    return paths


def test_load_img_and_img_to_array_match_keras(keras, image_files):
    grid = itertools.product(image_files.values(), ("rgb", "rgba", "grayscale"), (None, (8, 8), (20, 9), (13, 17)),
                             ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"), (False, True))
    for path, color_mode, target_size, interpolation, keep in grid:
        args = dict(color_mode=color_mode, target_size=target_size, interpolation=interpolation, keep_aspect_ratio=keep)
        expected, actual = keras.utils.load_img(path, **args), cutils.load_img(str(path), **args)
        assert (actual.mode, actual.size) == (expected.mode, expected.size), args
        for data_format, dtype in itertools.product(("channels_last", "channels_first"), (None, "uint8", "float64")):
            want = keras.utils.img_to_array(expected, data_format=data_format, dtype=dtype)
            got = cutils.img_to_array(actual, data_format=data_format, dtype=dtype)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want, err_msg=str(args))


def test_array_to_img_and_save_img_match_keras(keras, tmp_path, image_files):
    rng = np.random.default_rng(1)
    grid = itertools.product((1, 3, 4), (True, False), ("channels_last", "channels_first"))
    for channels, scale, data_format in grid:
        x = rng.uniform(-3, 7, (6, 5, channels)).astype(np.float32)
        if not scale:
            x = np.clip(x * 40, 0, 255)
        if data_format == "channels_first":
            x = np.ascontiguousarray(x.transpose(2, 0, 1))
        before = x.copy()
        expected = keras.utils.array_to_img(x.copy(), data_format=data_format, scale=scale)
        actual = cutils.array_to_img(x, data_format=data_format, scale=scale)
        np.testing.assert_array_equal(x, before)
        assert actual.mode == expected.mode
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))
        for ours, theirs in ((cutils, keras.utils), (convkit.preprocessing.image, keras.preprocessing.image)):
            ours.save_img(tmp_path / "ours.png", x, data_format=data_format, scale=scale)
            theirs.save_img(tmp_path / "theirs.png", x, data_format=data_format, scale=scale)
            np.testing.assert_array_equal(theirs.img_to_array(theirs.load_img(tmp_path / "ours.png")),
                                          theirs.img_to_array(theirs.load_img(tmp_path / "theirs.png")))
    big = np.full((4, 4, 1), 300.0, np.float32)  # 'I' images for values above 255
    assert cutils.array_to_img(big, scale=False).mode == keras.utils.array_to_img(big, scale=False).mode == "I"


def test_set_epsilon_reaches_normalize_as_in_keras(keras):
    # ops.normalize clamps 1 / norm at 1 / epsilon, with the configured epsilon as Keras's does
    x = np.asarray([[1e-5, 0.0, 2e-5]], np.float32)
    before_k, before_c = keras.config.epsilon(), convkit.config.epsilon()
    try:
        for value in (1e-7, 1e-3):
            keras.config.set_epsilon(value)
            convkit.config.set_epsilon(value)
            want = keras.ops.convert_to_numpy(keras.ops.normalize(x))
            np.testing.assert_allclose(convkit.ops.normalize(x), want, rtol=1e-6)
        assert np.abs(want).max() < 0.1  # the clamp acted (a unit vector otherwise)
    finally:
        keras.config.set_epsilon(before_k)
        convkit.config.set_epsilon(before_c)
