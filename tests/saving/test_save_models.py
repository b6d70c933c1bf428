"""convkit models saved as Keras saves them (`Model.save` to `.keras`, an unzipped directory or
legacy `.h5`, `save_weights` to `.weights.h5`, `to_json`) load back bit for bit, with the files
laid out as Keras 3 lays them out. Keras itself reading them is tested in
tests/keras_parity/test_keras_save_roundtrip.py."""
import copy
import io
import json
import os
import pathlib
import re
import sys
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import convkit  # noqa: E402
from convkit import layers as L  # noqa: E402
from convkit.models import load_model, model_from_json, save_model  # noqa: E402
from saved_models import MODELS, functional as _functional, operations as _operations  # noqa: E402
from saved_models import nested as _nested, randomize as _randomize, recurrent as _recurrent  # noqa: E402
from saved_models import sequential as _sequential  # noqa: E402


def _inputs(model, seed=1):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((3,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]
    return xs if len(xs) > 1 else xs[0]


def _as_list(y):
    return y if isinstance(y, list) else [y]


def _assert_same_model(loaded, model, same_names=True):
    """Same layers (classes, and names and configs unless same_names is False), the same weights
    bit for bit, the same outputs."""
    assert type(loaded) is type(model)
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    if same_names:
        assert [a.name for a in loaded.layers] == [b.name for b in model.layers]
        for a, b in zip(loaded.layers, model.layers):
            assert a.get_config() == b.get_config(), a.name
    got, want = loaded.get_weights(), model.get_weights()
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    x = _inputs(model)
    outs, expected = loaded.predict(x), model.predict(x)
    assert isinstance(outs, list) == isinstance(expected, list)
    for g, w in zip(_as_list(outs), _as_list(expected)):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("suffix", [".keras", ".h5", "_dir"])
def test_saved_model_loads_back_bit_for_bit(name, suffix, tmp_path):
    model = _randomize(MODELS[name]())
    path = tmp_path / f"model{suffix}"
    if name == "operations" and suffix == ".h5":
        with pytest.raises(ValueError, match=r"operation node 'keras_operation[_0-9]*' \(Add\).*\.keras"):
            model.save(path)
        assert not path.exists()
        return
    model.save(path, zipped=False if suffix == "_dir" else None)
    _assert_same_model(load_model(path), model)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("source", ["weights", "keras", "h5", "dir"])
def test_load_weights_reads_what_save_and_save_weights_write(name, source, tmp_path):
    model = _randomize(MODELS[name]())
    if name == "operations" and source == "h5":
        return  # refused above: Keras cannot read operation nodes from .h5
    path = {"weights": tmp_path / "m.weights.h5", "keras": tmp_path / "m.keras", "h5": tmp_path / "m.h5",
            "dir": tmp_path / "m"}[source]
    if source == "weights":
        model.save_weights(path)
    else:
        model.save(path, zipped=source != "dir")
    fresh = MODELS[name]()  # the same code builds the same architecture: other weights and other layer names
    assert not all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights()))
    fresh.load_weights(path)
    _assert_same_model(fresh, model, same_names=False)


def test_keras_archive_layout(tmp_path):
    model = _randomize(_recurrent())
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
        weights = io.BytesIO(archive.read("model.weights.h5"))
    assert set(metadata) == {"keras_version", "date_saved"}
    assert re.fullmatch(r"3\.\d+\.\d+", metadata["keras_version"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d", metadata["date_saved"])
    assert list(config) == ["module", "class_name", "config", "registered_name", "build_config", "compile_config"]
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional")
    assert config["build_config"] == {"input_shape": None}
    assert config["compile_config"] == {"optimizer": "adam", "loss": "mse", "loss_weights": None, "metrics": None,
                                        "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
                                        "jit_compile": "auto"}
    entries = {e["name"]: e for e in config["config"]["layers"]}
    lstm = entries[model.layers[3].name]
    assert (lstm["module"], lstm["class_name"], lstm["registered_name"]) == ("keras.layers", "LSTM", None)
    assert lstm["config"]["dtype"] == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                                       "registered_name": None}
    assert lstm["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert lstm["build_config"] == {"input_shape": [None, 4, 48]}
    tensor = lstm["inbound_nodes"][0]["args"][0]
    assert tensor == {"class_name": "__keras_tensor__", "config": {
        "shape": [None, 4, 48], "dtype": "float32", "keras_history": [model.layers[2].name, 0, 0]}}
    assert lstm["inbound_nodes"][0]["kwargs"] == {"training": False, "mask": None}
    frame = entries[model.layers[2].name]["config"]["layer"]  # the Sequential a TimeDistributed wraps
    assert (frame["class_name"], frame["build_config"]) == ("Sequential", {"input_shape": [None, 6, 6, 2]})
    assert config["config"]["output_layers"] == [[model.layers[-1].name, 0, 0]]  # a list of one output
    with h5py.File(weights, "r") as f:
        assert f["vars"].attrs["name"] == model.name
        lstm_cell = f["layers/lstm/cell/vars"]
        assert lstm_cell.attrs["name"] == "lstm_cell" and len(f["layers/lstm/vars"]) == 0
        np.testing.assert_array_equal(lstm_cell["1"], model.layers[3].get_weights()[1])
        backward = model.layers[4].backward_layer
        np.testing.assert_array_equal(f["layers/bidirectional/backward_layer/cell/vars/2"], backward.get_weights()[2])
        assert f["layers/bidirectional/backward_layer/vars"].attrs["name"] == backward.name
        assert f["layers/bidirectional_1/forward_layer/cell/vars"].attrs["name"] == "simple_rnn_cell"
        conv = f["layers/time_distributed_1/layer/layers/conv2d/vars"]  # the frame model's layers by class name
        np.testing.assert_array_equal(conv["0"], model.layers[2].layer.layers[0].get_weights()[0])
        assert "input_layer" in f["layers"] and len(f["layers/input_layer/vars"]) == 0


class StatsFirst(L.Layer):
    """A layer that makes a non-trainable weight before a trainable one."""

    def build(self, input_shape):
        self.stats = self.add_weight((input_shape[-1],), "zeros", trainable=False, name="stats")
        self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")

    def call(self, x):
        return x * self.scale.value + self.stats.value


def test_keras_weights_order_and_dtypes(tmp_path):
    # Keras saves a layer's trainable variables first, also when the layer is frozen (convkit's
    # get_weights then lists them in creation order), and a Normalization's sample count as int32
    norm, custom = L.Normalization(axis=-1), StatsFirst()
    model = _randomize(convkit.Sequential([L.Input((4,)), norm, custom]))
    norm.set_weights([np.float32([0.5, -1.0, 2.0, 0.25]), np.float32([1.0, 4.0, 0.5, 2.0]), np.float32(12)])
    custom.trainable = False
    assert [w.name for w in custom.weights] == ["stats", "scale"]
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        np.testing.assert_array_equal(f["layers/stats_first/vars/0"], custom.scale.numpy())
        np.testing.assert_array_equal(f["layers/stats_first/vars/1"], custom.stats.numpy())
        count = f["layers/normalization/vars/2"]
        assert count.dtype == np.int32 and count.shape == () and count[()] == 12
    fresh = convkit.Sequential([L.Input((4,)), L.Normalization(axis=-1), StatsFirst()])
    fresh.layers[1].trainable = False
    fresh.load_weights(tmp_path / "m.weights.h5")
    _assert_same_model(fresh, model, same_names=False)


def test_legacy_h5_layout(tmp_path):
    # a nested model's weights are listed trainable first (here the block's BatchNormalization
    # moving statistics come after the Dense weights that follow it)
    model = _randomize(_nested())
    path = tmp_path / "m.h5"
    model.save(path)
    block = model.get_layer("block")
    with h5py.File(path, "r") as f:
        assert f.attrs["keras_version"].startswith("3.") and f.attrs["backend"] == "torch"
        config = json.loads(f.attrs["model_config"])
        assert list(config) == ["class_name", "config"] and config["class_name"] == "Functional"
        entry = config["config"]["layers"][1]
        assert set(entry) == {"class_name", "config", "name", "inbound_nodes"}  # no module, registered_name
        group = f["model_weights"]
        assert [n.decode() if isinstance(n, bytes) else n for n in group.attrs["layer_names"]] == [
            layer.name for layer in model.layers]
        names = [n.decode() if isinstance(n, bytes) else n for n in group["block"].attrs["weight_names"]]
        bn, dense = block.layers[0].name, block.layers[1].name
        assert names == [f"{bn}/gamma", f"{bn}/beta", f"{dense}/kernel", f"{dense}/bias", f"{bn}/moving_mean",
                         f"{bn}/moving_variance"]
        np.testing.assert_array_equal(group["block"][f"{bn}/moving_variance"], block.layers[0].moving_variance.numpy())
        assert "top_level_model_weights" in group


def test_long_layer_lists_are_split_as_keras_splits_them(tmp_path):
    # HDF5 attributes hold 64 KB: Keras writes longer name lists as layer_names0, layer_names1, ...
    inp = L.Input((2,))
    x = inp
    for i in range(300):
        x = L.Dense(2, name=f"dense_{i:03d}_" + "x" * 240)(x)
    model = _randomize(convkit.Model(inp, x))
    model.save(tmp_path / "long.h5")
    with h5py.File(tmp_path / "long.h5", "r") as f:
        assert "layer_names" not in f["model_weights"].attrs and "layer_names1" in f["model_weights"].attrs
    _assert_same_model(load_model(tmp_path / "long.h5"), model)


def test_to_json_and_model_from_json():
    model = _randomize(_functional())
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Functional" and config["compile_config"] == {}
    assert model.to_json(indent=2) == json.dumps(config, indent=2)  # kwargs go to json.dumps
    rebuilt = model_from_json(text)
    rebuilt.set_weights(model.get_weights())
    _assert_same_model(rebuilt, model)
    assert convkit.models.model_from_json(model.to_json().encode()).to_json() == text
    seq = _randomize(_sequential())
    assert model_from_json(seq.to_json()).get_config() == seq.get_config()


def test_saving_does_not_modify_the_model(tmp_path):
    for build in MODELS.values():
        model = _randomize(build())
        config, weights = copy.deepcopy(model.get_config()), model.get_weights()
        nodes = [len(layer._inbound_nodes) for layer in model.layers]
        x = _inputs(model)
        before = _as_list(model.predict(x))
        for suffix in (".keras", ".weights.h5") + (() if build is _operations else (".h5",)):
            path = tmp_path / f"{build.__name__}{suffix}"
            model.save_weights(path) if suffix == ".weights.h5" else model.save(path)
        model.to_json()
        assert model.get_config() == config
        assert [len(layer._inbound_nodes) for layer in model.layers] == nodes
        for got, want in zip(model.get_weights(), weights):
            np.testing.assert_array_equal(got, want)
        for got, want in zip(_as_list(model.predict(x)), before):
            np.testing.assert_array_equal(got, want)


def test_paths_and_overwrite(tmp_path):
    model = _randomize(_functional())
    save_model(model, str(tmp_path / "a.keras"))  # a str, as well as pathlib paths
    assert load_model(pathlib.Path(tmp_path / "a.keras")).count_params() == model.count_params()
    other = _randomize(_functional(), seed=5)
    before = (tmp_path / "a.keras").read_bytes()
    with pytest.raises(FileExistsError, match="overwrite"):
        other.save(tmp_path / "a.keras", overwrite=False)
    (tmp_path / "a.weights.h5").write_bytes(b"old")
    with pytest.raises(FileExistsError, match="overwrite"):
        other.save_weights(tmp_path / "a.weights.h5", overwrite=False)
    assert (tmp_path / "a.keras").read_bytes() == before and (tmp_path / "a.weights.h5").read_bytes() == b"old"
    other.save(tmp_path / "a.keras")  # overwrite=True replaces it
    np.testing.assert_array_equal(load_model(tmp_path / "a.keras").get_weights()[0], other.get_weights()[0])
    model.save(tmp_path / "sub" / "m.h5")  # as Keras, the legacy format makes the directory
    assert (tmp_path / "sub" / "m.h5").exists()
    (tmp_path / "plain").write_bytes(b"")  # saved files get the permissions any new file gets
    assert (tmp_path / "a.keras").stat().st_mode == (tmp_path / "plain").stat().st_mode


@pytest.mark.parametrize("call, error, match", [
    (lambda m, d: m.save(d / "model.txt"), ValueError, r"Invalid filepath extension.*filepath=.*model\.txt"),
    (lambda m, d: m.save(d / "model"), ValueError, "Invalid filepath extension"),
    (lambda m, d: m.save(12), ValueError, "filepath=12"),
    (lambda m, d: m.save(d / "m.keras", zipped=False), ValueError, "zipped=False.*filepath"),
    (lambda m, d: m.save(d / "missing" / "m.keras"), ValueError, "directory of `filepath` does not exist"),
    (lambda m, d: m.save(d / "folder.keras"), ValueError, "`filepath` is a directory"),
    (lambda m, d: m.save(d / "m.keras", compress=True), ValueError, r"not supported: \['compress'\]"),
    (lambda m, d: m.save(d / "m.tf", save_format="tf"), ValueError, "save_format"),
    (lambda m, d: m.save_weights(d / "m.h5"), ValueError, r"must end in `\.weights\.h5`\. Received: filepath="),
    (lambda m, d: m.save_weights(d / "m.weights.h5", max_shard_size=1), ValueError, "max_shard_size"),
    (lambda m, d: save_model("not a model", d / "m.keras"), TypeError, "model"),
    (lambda m, d: model_from_json({"class_name": "Functional"}), TypeError, "json_string"),
    (lambda m, d: model_from_json("{not json"), ValueError, "json_string"),
])
def test_bad_arguments_are_clear_errors(call, error, match, tmp_path):
    (tmp_path / "folder.keras").mkdir()
    model = _randomize(_functional())
    with pytest.raises(error, match=match):
        call(model, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["folder.keras"]  # nothing written, no temporary file left


def test_refusals_name_what_cannot_be_saved(tmp_path):
    unbuilt = convkit.Sequential([L.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "m.weights.h5")
    seq_with_op = convkit.Sequential([L.Input((3,)), L.KerasOperation("Relu", name="relu_op")])
    with pytest.raises(ValueError, match="'relu_op' \\(Relu\\).*functional"):
        seq_with_op.save(tmp_path / "m.keras")
    model = _randomize(_functional())
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    model.compile(optimizer="adam", loss=lambda y, p: y - p)
    with pytest.raises(ValueError, match="compile argument `loss`"):
        model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").read_bytes() == before  # a failed save leaves the old file as it was
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


def test_unbuilt_sequential_saves_with_a_warning(tmp_path):
    model = convkit.Sequential([L.Dense(2, name="d")])
    with pytest.warns(UserWarning, match="not yet been built"):
        model.save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    assert "build_config" not in config and "build_input_shape" not in config["config"]
    loaded = load_model(tmp_path / "m.keras")
    assert [layer.name for layer in loaded.layers] == ["d"] and not loaded.built


def test_without_h5py_saving_weights_is_a_clear_error_and_json_still_works(tmp_path, monkeypatch):
    model = _randomize(_functional())
    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` now fails
    for call in (lambda: model.save(tmp_path / "m.keras"), lambda: model.save(tmp_path / "m.h5"),
                 lambda: model.save(tmp_path / "m", zipped=False),
                 lambda: model.save_weights(tmp_path / "m.weights.h5")):
        with pytest.raises(ImportError, match="pip install h5py"):
            call()
    assert not any(tmp_path.iterdir())
    rebuilt = model_from_json(model.to_json())  # the config needs only the standard library
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
