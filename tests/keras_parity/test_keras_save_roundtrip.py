"""convkit models saved with `Model.save` (`.keras`, legacy `.h5`), `save_weights` and `to_json`
load in Keras 3 (torch backend) and predict convkit's numbers; the files are the files Keras
writes for the same model: Keras re-saving the model it loaded writes the same config.json and
the same weight file layouts. And Keras's own models go through convkit (load, save) unchanged."""
import inspect
import io
import json
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import convkit  # noqa: E402
from convkit import layers as L  # noqa: E402
from convkit import saving  # noqa: E402
from convkit.layers.operations import NUMERIC, SUPPORTED  # noqa: E402

import saved_models  # noqa: E402
from saved_models import archive_config as _archive_config, functional as _functional  # noqa: E402
from saved_models import randomize as _randomize, without_shared_ids as _without_shared_ids  # noqa: E402


# ---- models ---------------------------------------------------------------------------------

def _preprocessing():
    # augmentation and resizing layers straight in the graph: Keras records training=True for them
    inp = L.Input((8, 8, 3))
    x = L.RandomFlip()(inp)
    x = L.Rescaling(1 / 255)(x)
    x = L.Normalization(mean=[0.5, 0.4, 0.3], variance=[0.1, 0.2, 0.3])(x)
    x = L.Conv2D(3, 3, activation="relu")(x)
    return convkit.Model(inp, L.Dense(2)(L.GlobalAveragePooling2D()(L.Dropout(0.1)(x))))


MODELS = {**saved_models.MODELS, "preprocessing": _preprocessing}


def _inputs(model, seed=1):
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(0.1, 1.0, (3,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]
    return xs if len(xs) > 1 else xs[0]


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _check_keras_model(k_model, c_model, to_numpy, assert_parity):
    """Keras's model has convkit's layers (classes, names), weights (exactly) and outputs.
    (Keras's operation nodes are no layers: its `layers` leave them out.)"""
    c_layers = [c for c in c_model.layers if not isinstance(c, L.KerasOperation)]
    assert [type(k).__name__ for k in k_model.layers] == [
        {"Model": "Functional"}.get(type(c).__name__, type(c).__name__) for c in c_layers]
    assert [k.name for k in k_model.layers] == [c.name for c in c_layers]
    k_weights, c_weights = k_model.get_weights(), c_model.get_weights()
    assert len(k_weights) == len(c_weights)
    for k, c in zip(k_weights, c_weights):
        np.testing.assert_array_equal(np.asarray(k, np.float32), c)
    x = _inputs(c_model)
    got, want = _as_list(c_model.predict(x)), _as_list(k_model.predict(x, verbose=0))
    assert_parity(got, to_numpy(want))


# ---- file structure --------------------------------------------------------------------------

def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _h5_layout(source, weight_names=True):
    """{path: kind, shape, dtype, attributes} for every group and dataset of an HDF5 file (the
    model_config attribute parsed). weight_names=False keeps a legacy file's weights by position
    in each layer's list only: the names Keras gives them are its variables' paths, which depend
    on how Keras built the model (a loaded model's differ from a fresh one's)."""
    layout = {}
    with h5py.File(source, "r") as f:
        def attrs(obj):
            out = {}
            for key, value in obj.attrs.items():
                if key == "model_config":
                    value = _without_shared_ids(json.loads(value))
                elif isinstance(value, np.ndarray):
                    value = [_text(v) for v in value.tolist()]
                if key == "weight_names" and not weight_names:
                    value = len(value)
                out[key] = _text(value)
            return out

        def visit(name, obj):
            if not weight_names and name.count("/") >= 2:
                return  # inside a layer's group: what its list names is compared below
            if isinstance(obj, h5py.Dataset):
                layout[name] = ("dataset", obj.shape, obj.dtype.str, attrs(obj))
            else:
                layout[name] = ("group", attrs(obj))
            if not weight_names and "weight_names" in obj.attrs:
                names = [_text(n) for n in obj.attrs["weight_names"]]
                layout[name + "#weights"] = [(obj[n].shape, obj[n].dtype.str) for n in names]

        layout["/"] = ("group", attrs(f))
        f.visititems(visit)
    return layout


def _archive_weights_layout(path):
    with zipfile.ZipFile(path) as archive:
        return _h5_layout(io.BytesIO(archive.read("model.weights.h5")))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_loads_a_saved_model(name, keras, tmp_path, to_numpy, assert_parity):
    c_model = _randomize(MODELS[name]())
    c_model.save(tmp_path / "m.keras")
    k_model = keras.saving.load_model(tmp_path / "m.keras")
    _check_keras_model(k_model, c_model, to_numpy, assert_parity)
    # Keras saving the model it loaded writes the same files
    k_model.save(tmp_path / "k.keras")
    assert _archive_config(tmp_path / "m.keras") == _archive_config(tmp_path / "k.keras")
    assert _archive_weights_layout(tmp_path / "m.keras") == _archive_weights_layout(tmp_path / "k.keras")
    c_model.save_weights(tmp_path / "m.weights.h5")
    k_model.save_weights(tmp_path / "k.weights.h5")
    assert _h5_layout(tmp_path / "m.weights.h5") == _h5_layout(tmp_path / "k.weights.h5")
    # and to_json is the archive's config
    assert json.loads(c_model.to_json()) == _archive_config(tmp_path / "m.keras")
    assert json.loads(c_model.to_json()) == json.loads(k_model.to_json())


@pytest.mark.parametrize("name", sorted(set(MODELS) - {"operations"}))  # Keras reads no operations from .h5
def test_keras_loads_a_legacy_h5_model(name, keras, tmp_path, to_numpy, assert_parity):
    c_model = _randomize(MODELS[name]())
    c_model.save(tmp_path / "m.h5")
    k_model = keras.saving.load_model(tmp_path / "m.h5")
    _check_keras_model(k_model, c_model, to_numpy, assert_parity)
    k_model.save(tmp_path / "k.h5")
    assert _h5_layout(tmp_path / "m.h5", weight_names=False) == _h5_layout(tmp_path / "k.h5", weight_names=False)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("suffix", [".weights.h5", ".keras", ".h5"])
def test_keras_load_weights_reads_saved_weights(name, suffix, keras, tmp_path, to_numpy, assert_parity):
    if name == "operations" and suffix == ".h5":
        return  # convkit refuses to write operations to .h5 (tests/saving/test_save_models.py)
    c_model = _randomize(MODELS[name]())
    path = tmp_path / f"m{suffix}"
    c_model.save_weights(path) if suffix == ".weights.h5" else c_model.save(path)
    k_model = keras.models.model_from_json(c_model.to_json())  # Keras's model of the same config
    k_model.load_weights(path)
    _check_keras_model(k_model, c_model, to_numpy, assert_parity)


def test_compiled_model_loads_compiled_in_keras(keras, tmp_path):
    c_model = _randomize(_functional())
    c_model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    c_model.save(tmp_path / "m.keras")
    k_model = keras.saving.load_model(tmp_path / "m.keras")
    assert k_model.compiled and type(k_model.optimizer).__name__ == "Adam"
    assert k_model.get_compile_config()["loss"] == "mse"


@pytest.mark.parametrize("operation", NUMERIC)
def test_every_operation_node_loads_in_keras(operation, keras, tmp_path, to_numpy, assert_parity):
    op = L.KerasOperation
    a, b = L.Input((5,)), L.Input((5,))
    if operation in ("Add", "Subtract", "Multiply", "Divide", "TrueDivide", "Maximum", "Minimum", "Power"):
        outputs = [op(operation, [None, 1.5])(a), op(operation, [2.0, None])(a), op(operation, [None, None])([a, b])]
    else:
        outputs = [op(operation)(a)]
    c_model = convkit.Model([a, b], outputs)
    c_model.save(tmp_path / "m.keras")
    k_model = keras.saving.load_model(tmp_path / "m.keras")
    x = _inputs(c_model)
    assert_parity(_as_list(c_model.predict(x)), to_numpy(_as_list(k_model.predict(x, verbose=0))))


def test_the_mask_operation_nodes_load_in_keras(keras, tmp_path, to_numpy):
    """The boolean operations Keras writes for masks, saved by convkit, give Keras's booleans."""
    op = L.KerasOperation
    a, b = L.Input((4, 3)), L.Input((4, 3))
    ne = op("NotEqual", [None, 0.0])(a)
    eq = op("Equal", [None, None])([a, b])
    step = op("Any", options={"axis": -1})(ne)
    outputs = [
        step, op("All", options={"axis": [1, 2], "keepdims": True})(ne), op("LogicalNot")(eq),
        op("LogicalOr", [None, None])([ne, eq]), op("LogicalAnd", [None, None])([ne, eq]),
        op("Greater", [None, 0.5])(a), op("GreaterEqual", [None, None])([a, b]), op("Less", [None, 0.5])(a),
        op("LessEqual", [0.5, None])(a), op("ExpandDims", options={"axis": -1})(step),
        op("Squeeze", options={"axis": -1})(op("ExpandDims", options={"axis": -1})(step)),
        op("ZerosLike", options={"dtype": "bool"})(a), op("OnesLike", options={"dtype": "bool"})(a),
        op("Concatenate", [None, None], options={"axis": 1})([ne, eq]),
        op("ConvertToTensor")(step),
    ]
    c_model = convkit.Model([a, b], outputs)
    c_model.save(tmp_path / "m.keras")
    k_model = keras.saving.load_model(tmp_path / "m.keras")
    rng = np.random.default_rng(0)
    x = [rng.integers(-1, 2, (3, 4, 3)).astype(np.float32) for _ in range(2)]
    x[0][0, 1] = 0
    got, want = c_model(x), to_numpy(k_model(x))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == np.bool_ and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("name", ["MobileNetV3Small", "functional_rnn"])
def test_keras_models_go_through_convkit_unchanged(name, keras, tmp_path):
    """A Keras model loaded by convkit and saved again is the file Keras wrote (config, weights
    layout) and Keras loads it back to the same numbers."""
    if name == "functional_rnn":
        inp = keras.Input((6, 4))
        x = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))(inp)
        x = keras.layers.TimeDistributed(keras.layers.Dense(2))(x)
        k_model = keras.Model(inp, [keras.layers.GRU(2)(x), x])
    else:
        k_model = keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3))
    rng = np.random.default_rng(3)
    k_model.set_weights([w + rng.uniform(0.0, 0.1, w.shape).astype(w.dtype) for w in k_model.get_weights()])
    k_model.save(tmp_path / "keras.keras")
    c_model = convkit.models.load_model(tmp_path / "keras.keras")
    c_model.save(tmp_path / "convkit.keras")
    assert _archive_config(tmp_path / "convkit.keras") == _archive_config(tmp_path / "keras.keras")
    assert _archive_weights_layout(tmp_path / "convkit.keras") == _archive_weights_layout(tmp_path / "keras.keras")
    again = keras.saving.load_model(tmp_path / "convkit.keras")
    x = rng.uniform(0, 1, (2,) + tuple(k_model.inputs[0].shape[1:])).astype(np.float32)
    for got, want in zip(_as_list(again.predict(x, verbose=0)), _as_list(k_model.predict(x, verbose=0))):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# ---- the tables of Keras facts convkit writes from -------------------------------------------

_KERAS_ARGS = {  # constructor arguments for the layers that need some
    "STFTSpectrogram": dict(window=None),  # its default hann window needs scipy in Keras
    "Activation": dict(activation="relu"), "AlphaDropout": dict(rate=0.1), "AveragePooling1D": dict(pool_size=2),
    "AveragePooling2D": dict(pool_size=2), "AveragePooling3D": dict(pool_size=2), "Dropout": dict(rate=0.1),
    "GaussianDropout": dict(rate=0.1), "GaussianNoise": dict(stddev=0.1), "SpatialDropout1D": dict(rate=0.1),
    "SpatialDropout2D": dict(rate=0.1), "SpatialDropout3D": dict(rate=0.1), "InputLayer": dict(shape=(2,)),
    "Reshape": dict(target_shape=(2,)), "Dense": dict(units=2), "Permute": dict(dims=(1,)),
    "RepeatVector": dict(n=2), "Rescaling": dict(scale=0.5), "Resizing": dict(height=2, width=2),
    "CenterCrop": dict(height=2, width=2), "LSTM": dict(units=2), "GRU": dict(units=2), "SimpleRNN": dict(units=2),
    "Conv2D": dict(filters=2, kernel_size=3), "DepthwiseConv2D": dict(kernel_size=3),
}


def _layers_in_both(keras):
    names = []
    for name in sorted(dir(convkit.layers)):
        cls = getattr(convkit.layers, name)
        if isinstance(cls, type) and issubclass(cls, convkit.layers.Layer) and hasattr(keras.layers, name):
            names.append(name)
    return names


def test_built_at_init_table_matches_keras(keras):
    """Keras writes no build_config for the layers its constructors build; the table says which."""
    checked, wrong = [], {}
    for name in _layers_in_both(keras):
        try:
            k_layer = getattr(keras.layers, name)(**_KERAS_ARGS.get(name, {}))
        except (TypeError, ValueError):
            continue  # needs arguments of its own: only layers the table names must be checked
        checked.append(name)
        canonical = type(k_layer).__name__
        if k_layer.built != (canonical in saving._KERAS_BUILT_AT_INIT):
            wrong[name] = k_layer.built
    assert not wrong, wrong
    assert set(saving._KERAS_BUILT_AT_INIT) <= set(checked)
    assert len(checked) > 60


def test_call_signature_tables_match_keras(keras):
    """Keras records mask=None for layers whose call takes a mask, and the call signature's
    `training` default where it is not None."""
    from keras.src.applications import convnext, inception_resnet_v2

    classes = {name: getattr(keras.layers, name) for name in _layers_in_both(keras)}
    classes.update(LayerScale=convnext.LayerScale, StochasticDepth=convnext.StochasticDepth,
                   CustomScaleLayer=inception_resnet_v2.CustomScaleLayer)
    masks, training = set(), {}
    for cls in classes.values():
        parameters = inspect.signature(cls.call).parameters
        if "mask" in parameters:
            masks.add(cls.__name__)
        default = parameters["training"].default if "training" in parameters else None
        if default not in (None, inspect.Parameter.empty):
            training[cls.__name__] = default
    assert masks == set(saving._KERAS_MASK_CALLS)
    names = {cls.__name__ for cls in classes.values()}
    assert training == {k: v for k, v in saving._KERAS_TRAINING_DEFAULTS.items() if k in names}
    for name, module in saving._KERAS_APPLICATION_MODULES.items():
        assert classes[name].__module__ == module


def test_operation_and_cell_tables_match_keras(keras):
    import importlib

    for convkit_name, (module, class_name) in saving._KERAS_OPERATIONS.items():
        assert isinstance(getattr(importlib.import_module(module), class_name, None), type), convkit_name
    assert set(saving._KERAS_OPERATIONS) == set(SUPPORTED)
    for name, cell in saving._KERAS_CELL_NAMES.items():
        k_layer = getattr(keras.layers, name)(**({"filters": 2, "kernel_size": 3} if "Conv" in name else {"units": 2}))
        assert k_layer.cell.name == cell
