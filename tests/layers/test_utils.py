"""convkit.utils / config / backend / applications / preprocessing on their own: errors that name
the argument, inputs never modified, nothing downloaded, registration through loading and
saving, `import convkit` staying light, and a Keras inference script running on `convkit as keras`.
(Keras's numbers for the same functions: tests/keras_parity/test_keras_utils.py.)"""
import json
import os
import random
import subprocess
import sys
import threading

import numpy as np
import pytest

import convkit
from convkit import _registration, applications, backend, config, saving, utils
from convkit.layers import Dense, Layer


@pytest.fixture
def clean_registry():
    saved = dict(_registration._GLOBAL_CUSTOM_OBJECTS), dict(_registration._GLOBAL_CUSTOM_NAMES)
    yield
    for registry, content in zip((_registration._GLOBAL_CUSTOM_OBJECTS, _registration._GLOBAL_CUSTOM_NAMES), saved):
        registry.clear()
        registry.update(content)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache directory for the test."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    (tmp_path / "keras_home").mkdir()
    return tmp_path / "keras_home"


class Scale(Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _model(cls):
    inp = convkit.Input((3,))
    return convkit.Model(inp, cls(3.0, name="scale")(Dense(2, name="dense")(inp)))


# ---- pad_sequences -------------------------------------------------------------------------------------

def test_pad_sequences_pads_and_truncates_on_either_side():
    x = [[1, 2, 3, 4], [5], []]
    np.testing.assert_array_equal(utils.pad_sequences(x, maxlen=3), [[2, 3, 4], [0, 0, 5], [0, 0, 0]])
    np.testing.assert_array_equal(utils.pad_sequences(x, maxlen=3, padding="post", truncating="post"),
                                  [[1, 2, 3], [5, 0, 0], [0, 0, 0]])
    out = utils.pad_sequences([["a", "bb"], ["c"]], dtype=object, value="<pad>")
    assert out.dtype == object and out.tolist() == [["a", "bb"], ["<pad>", "c"]]
    assert utils.pad_sequences([[], []]).shape == (2, 0)
    assert utils.pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


def test_pad_sequences_of_an_array_equals_the_list_path():
    x = np.arange(24.0).reshape(3, 4, 2)
    for maxlen in (None, 2, 6):
        for padding in ("pre", "post"):
            for truncating in ("pre", "post"):
                args = dict(maxlen=maxlen, padding=padding, truncating=truncating, dtype="float32", value=-1)
                np.testing.assert_array_equal(utils.pad_sequences(x, **args), utils.pad_sequences(list(x), **args))


def test_pad_sequences_leaves_its_input_alone():
    nested = [[1, 2, 3], [4]]
    array = np.arange(12).reshape(3, 4)
    array_before = array.copy()
    utils.pad_sequences(nested, maxlen=2, dtype="float32")
    out = utils.pad_sequences(array, maxlen=4)
    assert nested == [[1, 2, 3], [4]]
    np.testing.assert_array_equal(array, array_before)
    assert not np.shares_memory(out, array)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(sequences=5), ValueError, "`sequences` must be iterable"),
    (dict(sequences=[[1], 2]), ValueError, "Found non-iterable: 2"),
    (dict(sequences=[[1]], padding="left"), ValueError, "`padding` must be one of"),
    (dict(sequences=[[1]], truncating="both"), ValueError, "`truncating` must be one of"),
    (dict(sequences=[[1]], maxlen=-1), ValueError, "`maxlen`"),
    (dict(sequences=[[1]], maxlen=2.5), TypeError, "`maxlen`"),
    (dict(sequences=[[1]], dtype="not_a_dtype"), TypeError, "`dtype`"),
    (dict(sequences=[[1]], value="pad"), ValueError, "dtype=object"),
    (dict(sequences=[]), ValueError, "pass `maxlen`"),
    (dict(sequences=["ab", "c"], dtype=object), ValueError, "position 0"),
])
def test_pad_sequences_errors_name_the_argument(kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace("[", r"\[")):
        utils.pad_sequences(**kwargs)


# ---- to_categorical, normalize ---------------------------------------------------------------------

def test_to_categorical_rows_and_errors():
    labels = np.array([[2], [0]])
    out = utils.to_categorical(labels, num_classes=3)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(labels, [[2], [0]])
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"in \[0, 2\)"):
        utils.to_categorical([0, -3], num_classes=2)
    with pytest.raises(ValueError, match="`x`"):
        utils.to_categorical(["cat"])
    with pytest.raises(ValueError, match="`num_classes`"):
        utils.to_categorical([], None)
    with pytest.raises(TypeError, match="`num_classes`"):
        utils.to_categorical([0], num_classes=2.0)


def test_normalize_divides_by_the_norm_along_the_axis():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [6.0, 8.0]])
    before = x.copy()
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0], [0.6, 0.8]])
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(utils.normalize(x, axis=0), x / np.linalg.norm(x, axis=0, keepdims=True))
    np.testing.assert_allclose(utils.normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0], [6 / 14, 8 / 14]])
    assert utils.normalize(np.array([1, 2, 2])).dtype == np.float64
    np.testing.assert_allclose(utils.normalize(np.array([1, 2, 2])), [[1 / 3, 2 / 3, 2 / 3]])


# ---- set_random_seed ----------------------------------------------------------------------------------

def test_set_random_seed_makes_python_numpy_and_initializers_repeat():
    def draw():
        initializer = Dense(4, kernel_initializer="glorot_uniform").kernel_initializer
        return random.random(), np.random.rand(), initializer((3, 4))

    utils.set_random_seed(7)
    first = draw()
    utils.set_random_seed(7)
    second = draw()
    assert first[:2] == second[:2]
    np.testing.assert_array_equal(first[2], second[2])
    utils.set_random_seed(8)
    assert draw()[0] != first[0]
    for bad, error in ((1.5, ValueError), ("7", ValueError), (-1, ValueError), (2 ** 32, ValueError)):
        with pytest.raises(error, match="seed"):
            utils.set_random_seed(bad)


# ---- files: get_file, decode_predictions ------------------------------------------------------------

def test_get_file_returns_a_cached_file_and_never_downloads(keras_home):
    with pytest.raises(FileNotFoundError, match="does not download") as info:
        utils.get_file("data.csv", "https://example.com/data.csv")
    expected = keras_home / "datasets" / "data.csv"
    assert str(expected) in str(info.value)
    assert not expected.exists()  # (nothing created)
    expected.parent.mkdir()
    expected.write_text("a,b\n")
    assert utils.get_file("data.csv", "https://example.com/data.csv") == str(expected)
    assert utils.get_file(origin="https://example.com/data.csv") == str(expected)
    import hashlib

    digest = hashlib.sha256(b"a,b\n").hexdigest()
    assert utils.get_file("data.csv", "https://example.com/data.csv", file_hash=digest) == str(expected)
    with pytest.raises(FileNotFoundError, match="expected hash"):
        utils.get_file("data.csv", "https://example.com/data.csv", file_hash="0" * 64)
    with pytest.raises(FileNotFoundError, match="force_download"):
        utils.get_file("data.csv", "https://example.com/data.csv", force_download=True)
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("data.csv")
    with pytest.raises(FileNotFoundError, match="not extracted"):
        utils.get_file("data.csv", "https://example.com/data.csv", extract=True)
    (keras_home / "datasets" / "data_extracted").mkdir()
    assert utils.get_file("data.csv", "https://example.com/data.csv", extract=True) == str(
        keras_home / "datasets" / "data_extracted")


def _class_index_file(path):
    path.write_text(json.dumps({str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}))
    return path


def test_decode_predictions_reads_the_class_index_from_a_path_or_kerass_cache(keras_home, tmp_path):
    preds = np.zeros((2, 1000), np.float32)
    preds[0, [5, 7]] = [0.9, 0.1]
    preds[1, 999] = 1.0
    before = preds.copy()
    with pytest.raises(FileNotFoundError, match="does not download"):
        applications.resnet50.decode_predictions(preds)
    given = _class_index_file(tmp_path / "index.json")
    out = applications.resnet50.decode_predictions(preds, top=2, class_index_path=str(given))
    assert [item[:2] for item in out[0]] == [("n00000005", "class_5"), ("n00000007", "class_7")]
    assert out[0][0][2] == np.float32(0.9) and out[1][0][:2] == ("n00000999", "class_999")
    np.testing.assert_array_equal(preds, before)
    (keras_home / "models").mkdir()
    _class_index_file(keras_home / "models" / "imagenet_class_index.json")
    assert applications.vgg16.decode_predictions(preds, top=1)[1][0][1] == "class_999"
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        applications.vgg16.decode_predictions(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="`top`"):
        applications.vgg16.decode_predictions(preds, top=0)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"0": ["n0", "x"]}))
    with pytest.raises(ValueError, match="class index"):
        applications.vgg16.decode_predictions(preds, class_index_path=str(bad))


# ---- preprocess_input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["resnet50", "vgg19", "mobilenet_v2", "xception", "densenet", "nasnet"])
def test_preprocess_input_returns_a_new_array_and_leaves_the_input_alone(family):
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3))
    before = x.copy()
    out = getattr(applications, family).preprocess_input(x)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(out, x) and out.dtype == np.float64
    listed = getattr(applications, family).preprocess_input(x.astype(np.uint8).tolist())
    assert listed.dtype == np.float32


def test_preprocess_input_modes_give_the_documented_numbers():
    x = np.array([[[10.0, 20.0, 30.0]]])
    np.testing.assert_allclose(applications.vgg16.preprocess_input(x), [[[30 - 103.939, 20 - 116.779, 10 - 123.68]]])
    np.testing.assert_allclose(applications.mobilenet.preprocess_input(x), x / 127.5 - 1)
    np.testing.assert_allclose(applications.densenet.preprocess_input(x),
                               (x / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225])
    first = np.moveaxis(x, -1, 0)
    np.testing.assert_allclose(applications.vgg16.preprocess_input(first, data_format="channels_first"),
                               np.moveaxis(applications.vgg16.preprocess_input(x), -1, 0))


@pytest.mark.parametrize("family", ["efficientnet", "efficientnet_v2", "convnext", "mobilenet_v3"])
def test_identity_preprocess_input_returns_its_input(family):
    x = np.arange(12, dtype=np.uint8).reshape(1, 2, 2, 3)
    assert getattr(applications, family).preprocess_input(x) is x


def test_preprocess_input_errors_name_the_argument():
    x = np.zeros((1, 4, 4, 3))
    with pytest.raises(ValueError, match="mode"):
        applications.imagenet_utils.preprocess_input(x, mode="pytorch")
    with pytest.raises(ValueError, match="data_format"):
        applications.resnet50.preprocess_input(x, data_format="NCHW")
    with pytest.raises(ValueError, match="3 colour channels.*x.shape=\\(1, 4, 4, 2\\)"):
        applications.resnet50.preprocess_input(np.zeros((1, 4, 4, 2)))
    with pytest.raises(ValueError, match="3 colour channels"):
        applications.densenet.preprocess_input(np.zeros((4, 4)), data_format="channels_first")
    with pytest.raises(TypeError, match="`x` must be a numeric array"):
        applications.mobilenet.preprocess_input(np.array([["a"]]))


def test_preprocess_input_follows_the_image_data_format_setting():
    x = np.random.default_rng(1).uniform(0, 255, (1, 3, 4, 4))
    try:
        config.set_image_data_format("channels_first")
        out = applications.resnet.preprocess_input(x)
    finally:
        config.set_image_data_format("channels_last")
    np.testing.assert_array_equal(out, applications.resnet.preprocess_input(x, data_format="channels_first"))


def test_application_builders_say_how_to_get_the_model():
    with pytest.raises(NotImplementedError, match=r"convkit.saving.load_model\('model.keras'\)"):
        applications.ResNet50
    with pytest.raises(NotImplementedError, match="MobileNetV2"):
        exec("from convkit.applications.mobilenet_v2 import MobileNetV2")
    with pytest.raises(NotImplementedError, match="EfficientNetB3"):
        convkit.applications.efficientnet.EfficientNetB3(weights=None)
    with pytest.raises(AttributeError):
        applications.NotAModel
    with pytest.raises(AttributeError):
        applications.mobilenet_v3.MobileNetV3Small  # (Keras has it in keras.applications only)
    assert {"resnet50", "imagenet_utils", "convnext"} <= set(dir(applications))


# ---- config and backend -----------------------------------------------------------------------------

def test_config_refuses_what_convkit_cannot_compute():
    with pytest.raises(ValueError, match="float32 only"):
        config.set_floatx("float64")
    with pytest.raises(ValueError, match="Unknown `floatx`"):
        config.set_floatx("float8")
    config.set_floatx("float32")
    assert config.floatx() == "float32"
    with pytest.raises(ValueError, match="data_format"):
        config.set_image_data_format("NHWC")
    with pytest.raises(TypeError, match="`value`"):
        config.set_epsilon("small")
    try:
        config.set_epsilon(1e-5)
        assert config.epsilon() == backend.epsilon() == 1e-5
    finally:
        config.set_epsilon(1e-7)
    assert config.backend() == backend.backend() == "numpy"


def test_image_data_format_setting_reaches_layers_made_after_it():
    before = convkit.layers.Conv2D(2, 3)
    try:
        backend.set_image_data_format("CHANNELS_FIRST")
        assert config.image_data_format() == "channels_first"
        after = convkit.layers.Conv2D(2, 3)
        explicit = convkit.layers.Conv2D(2, 3, data_format="channels_last")
        y = convkit.ops.max_pool(np.ones((1, 2, 4, 4), np.float32), 2)
    finally:
        config.set_image_data_format("channels_last")
    assert (before.data_format, after.data_format, explicit.data_format) == (
        "channels_last", "channels_first", "channels_last")
    assert y.shape == (1, 2, 2, 2)
    assert after(np.ones((1, 5, 6, 6), np.float32)).shape == (1, 2, 4, 4)


def test_clear_session_restarts_names_and_forgets_scopes():
    backend.clear_session()
    assert [Dense(1).name for _ in range(2)] == ["dense", "dense_1"]
    assert backend.get_uid("dense") == 3
    with saving.custom_object_scope({"Thing": int}):
        utils.clear_session(free_memory=False)
        assert saving.get_registered_object("Thing") is None
        assert Dense(1).name == "dense"
    assert saving.get_registered_object("Thing") is None


def test_standardize_dtype_and_dtype_tests():
    assert backend.standardize_dtype(np.float32) == "float32" and backend.standardize_dtype(None) == "float32"
    assert backend.standardize_dtype(int) == "int32" and backend.standardize_dtype(np.dtype("uint8")) == "uint8"
    assert backend.is_float_dtype("bfloat16") and not backend.is_float_dtype("int8")
    assert backend.is_int_dtype(np.uint16) and not backend.is_int_dtype(bool)
    with pytest.raises(ValueError, match="Invalid dtype: object"):
        backend.standardize_dtype(object)
    assert backend.is_keras_tensor(convkit.Input((2,))) and not backend.is_keras_tensor(np.zeros(2))


# ---- registration -------------------------------------------------------------------------------------

def test_register_keras_serializable_checks_its_arguments(clean_registry):
    with pytest.raises(TypeError, match="with parentheses"):
        saving.register_keras_serializable(Scale)
    with pytest.raises(TypeError, match="`name`"):
        saving.register_keras_serializable("Pkg", name=3)
    with pytest.raises(ValueError, match="get_config"):
        saving.register_keras_serializable("Pkg")(type("NoConfig", (), {}))
    with pytest.raises(TypeError, match="`custom_objects`"):
        saving.custom_object_scope(["Scale"])

    def activation(x):
        return x

    assert saving.register_keras_serializable("Pkg")(activation) is activation
    assert saving.get_registered_name(activation) == "Pkg>activation"
    assert utils.get_custom_objects() is saving.get_custom_objects()


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_registered_class_saves_and_loads_without_custom_objects(clean_registry, tmp_path, suffix):
    pytest.importorskip("h5py")
    registered = saving.register_keras_serializable("Mine")(type("Scale", (Scale,), {}))
    model = _model(registered)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = saving.load_model(path)
    assert type(loaded.get_layer("scale")) is registered
    x = np.random.default_rng(0).random((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(saving.model_from_json(model.to_json()).get_layer("scale")) is registered
    assert type(convkit.Model.from_config(model.get_config()).get_layer("scale")) is registered


def test_custom_objects_of_every_kind_are_found_while_loading(clean_registry):
    config = json.loads(_model(Scale).to_json())
    with pytest.raises(ValueError, match="Unknown layer"):
        saving.model_from_json(json.dumps(config))
    for route in ("argument", "scope", "global"):
        custom = {"Scale": Scale}
        if route == "argument":
            loaded = saving.model_from_json(json.dumps(config), custom_objects=custom)
        elif route == "scope":
            with utils.custom_object_scope(custom):
                loaded = saving.model_from_json(json.dumps(config))
        else:
            utils.get_custom_objects().update(custom)
            loaded = saving.model_from_json(json.dumps(config))
        assert type(loaded.get_layer("scale")) is Scale, route
    # an entry naming "package>Name" (Keras's registered name) finds the class registered so
    entry = next(e for e in config["config"]["layers"] if e["config"]["name"] == "scale")
    entry["registered_name"] = "Other>Scale"
    utils.get_custom_objects().clear()
    with utils.custom_object_scope({"Other>Scale": Scale}):
        assert type(convkit.Model.from_config(config["config"]).get_layer("scale")) is Scale


def test_a_from_config_sees_the_loading_custom_objects(clean_registry):
    """As in Keras, a class's from_config runs inside a scope holding the loading's custom objects."""
    seen = []

    class Outer(Scale):
        @classmethod
        def from_config(cls, config):
            seen.append(saving.get_registered_object("helper"))
            return cls(**config)

    config = _model(Outer).to_json()
    saving.model_from_json(config, custom_objects={"Outer": Outer, "helper": len})
    assert seen == [len]
    assert saving.get_registered_object("helper") is None


def test_custom_object_scopes_belong_to_their_thread():
    seen = []
    with saving.custom_object_scope({"Thing": int}):
        thread = threading.Thread(target=lambda: seen.append(saving.get_registered_object("Thing")))
        thread.start()
        thread.join()
        assert saving.get_registered_object("Thing") is int
    assert seen == [None]


# ---- image files ---------------------------------------------------------------------------------------

def test_image_helpers_round_trip_and_leave_inputs_alone(tmp_path):
    pytest.importorskip("PIL")
    x = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype(np.float32)
    before = x.copy()
    utils.save_img(tmp_path / "img.png", x, scale=False)
    np.testing.assert_array_equal(x, before)
    loaded = utils.img_to_array(utils.load_img(tmp_path / "img.png"))
    np.testing.assert_array_equal(loaded, x)
    again = utils.img_to_array(x)
    assert not np.shares_memory(again, x)
    with open(tmp_path / "img.png", "rb") as f:
        import io

        assert utils.load_img(io.BytesIO(f.read()), target_size=(2, 3)).size == (3, 2)
    assert convkit.preprocessing.image.load_img is utils.load_img


def test_image_helpers_errors_name_the_argument(tmp_path):
    pytest.importorskip("PIL")
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(tmp_path / "x.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        utils.load_img(tmp_path / "x.png", interpolation="cubic")
    with pytest.raises(TypeError, match="path should be path-like"):
        utils.load_img(3)
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channel number: 2"):
        utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="Unsupported image shape"):
        utils.img_to_array(np.zeros((1, 2, 2, 3)))


def test_image_helpers_say_to_install_pillow_when_it_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # (an import of PIL now fails)
    with pytest.raises(ImportError, match="pip install pillow"):
        utils.load_img("anything.png")
    with pytest.raises(ImportError, match="pip install pillow"):
        utils.array_to_img(np.zeros((2, 2, 3)))


# ---- the package as `keras` ------------------------------------------------------------------------------

def test_import_convkit_loads_none_of_the_optional_modules():
    code = ("import sys, convkit; "
            "print(sorted(m for m in sys.modules if m.startswith(('PIL', 'convkit.applications', 'convkit.utils', "
            "'convkit.preprocessing', 'h5py'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "CONVKIT_ISA": "auto"})
    assert out.stdout.strip() == "[]"


KERAS_SCRIPT = '''
import numpy as np
import convkit as keras
from convkit.utils import pad_sequences, to_categorical
from convkit.applications.mobilenet_v2 import preprocess_input
from convkit.preprocessing.sequence import pad_sequences as legacy_pad_sequences

keras.utils.set_random_seed(1)
keras.backend.clear_session()
assert keras.config.image_data_format() == "channels_last" and keras.backend.floatx() == "float32"
print("backend", keras.config.backend(), keras.version())

tokens = pad_sequences([[3, 1, 4], [1, 5]], maxlen=4)
assert (tokens == legacy_pad_sequences([[3, 1, 4], [1, 5]], maxlen=4)).all()
text_model = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(10, 3),
                               keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2, activation="softmax")])
probs = text_model.predict(tokens, verbose=0)
print("text", probs.shape, to_categorical(probs.argmax(-1), 2).shape)

images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype("uint8")
x = preprocess_input(images)
inputs = keras.Input((8, 8, 3))
y = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(y))
vision = keras.Model(inputs, outputs)
assert vision.layers[1].name == "conv2d" and keras.backend.is_keras_tensor(outputs)
print("vision", vision.predict(x, verbose=0).shape, float(np.abs(keras.utils.normalize(x).sum())) > 0)
'''


def test_a_keras_inference_script_runs_on_convkit_as_keras():
    out = subprocess.run([sys.executable, "-c", KERAS_SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == [f"backend numpy {convkit.__version__}", "text (2, 2) (2, 2)",
                                          "vision (2, 3) True"]
