"""Load the Keras models people already have: `.keras` archives (Keras 3) and legacy `.h5` files.

    model = convkit.models.load_model("classifier.keras")
    model.load_weights("classifier.weights.h5")

The architecture comes from the file's JSON config (through the models' `from_config`, which
understands Keras's config format); the weights are read with h5py, an optional dependency
(`pip install h5py`), and assigned layer by layer with `set_weights`, which checks every count and
shape. Training state (optimizer, compile arguments) is ignored: convkit runs inference only.

Keras 3 stores a layer's variables under `layers/<key>/vars/<i>`, where the key is the layer's
snake-cased class name numbered by repeats (`dense`, `dense_1`), with sub-objects (an RNN layer's
`cell`) as nested groups; legacy HDF5 files list each layer's weight names in the
`weight_names` attribute of `model_weights/<layer name>`.
"""
import json
import os
import zipfile

import numpy as np


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading Keras weight files needs h5py: `pip install h5py`.") from None
    return h5py


def _model_from_config(config, custom_objects=None):
    from convkit.models import _layer_from_entry

    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError("The model file's config is not a Keras model config: expected a dict with "
                         f"'class_name' and 'config'. Received keys: {sorted(config) if isinstance(config, dict) else config!r}")
    return _layer_from_entry(config, custom_objects)


def _check_path(filepath):
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise ValueError(f"`filepath` does not exist. Received: filepath={path!r}")
    return path


# ---- Keras 3 layout --------------------------------------------------------------------------

def _keras3_arrays(group):
    """A layer's arrays in Keras's order: its own `vars/0..n`, then its sub-objects' (by name)."""
    arrays = []
    if "vars" in group:
        arrays += [np.asarray(group["vars"][k]) for k in sorted(group["vars"], key=int)]
    for name in sorted(k for k in group if k != "vars"):
        arrays += _keras3_arrays(group[name])
    return arrays


def _saving_keys(layers):
    """The group names Keras 3 gives a container's layers: the snake-cased class name, with
    `_1`, `_2`... for repeats in order (not the layers' own names)."""
    from convkit.layers.base import to_snake_case
    from convkit.models import Model, Sequential

    used, keys = {}, []
    for layer in layers:
        if isinstance(layer, Sequential):
            cls = "Sequential"
        elif isinstance(layer, Model):
            cls = "Functional"
        else:
            cls = type(layer).__name__
        base = to_snake_case(cls)
        if base in used:
            used[base] += 1
            keys.append(f"{base}_{used[base]}")
        else:
            used[base] = 0
            keys.append(base)
    return keys


def _assign_keras3(model, group, where):
    if "layers" not in group:
        raise ValueError(f"The weights file has no 'layers' group at {where!r}: it is not a Keras 3 weights file")
    layers_group = group["layers"]
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    for layer, key in zip(layers, _saving_keys(layers)):
        if key not in layers_group:
            if not layer.get_weights():
                continue
            raise ValueError(f"The weights file has no entry {key!r} for layer {layer.name!r} (at {where}/layers); "
                             f"it holds: {sorted(layers_group)}")
        _assign_keras3_layer(layer, layers_group[key], f"{where}/layers/{key}")


def _assign_keras3_layer(layer, group, where):
    """One layer's weights from its group. A wrapper's inner layers (TimeDistributed's `layer`,
    Bidirectional's `forward_layer` and `backward_layer`) are read from the groups named after
    them, each in turn: their names do not sort in Keras's weight order."""
    from convkit.models import Model

    if isinstance(layer, Model):
        _assign_keras3(layer, group, where)
        return
    sublayers = getattr(layer, "_keras_sublayers", None)
    if sublayers is not None:
        for name, sub in sublayers():
            if name in group:
                _assign_keras3_layer(sub, group[name], f"{where}/{name}")
            elif sub.get_weights():
                raise ValueError(f"The weights file has no entry {name!r} for layer {sub.name!r} (at {where}); it "
                                 f"holds: {sorted(group)}")
        return
    arrays = _keras3_arrays(group)
    if arrays or layer.get_weights():
        layer.set_weights(arrays)


# ---- legacy HDF5 layout ----------------------------------------------------------------------

def _decode(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _assign_legacy(model, weights_group):
    # A nested model's weights are listed flat under its own group, in the order its
    # set_weights takes them, so models and layers are assigned alike.
    names = _decode(weights_group.attrs.get("layer_names", []))
    by_name = {}
    for name in names:
        g = weights_group[name]
        by_name[name] = [np.asarray(g[w]) for w in _decode(g.attrs.get("weight_names", []))]
    for layer in model.layers:
        arrays = by_name.get(layer.name, [])
        if arrays or layer.get_weights():
            if layer.name not in by_name:
                raise ValueError(f"The weights file has no entry for layer {layer.name!r}; it holds: {names}")
            layer.set_weights(arrays)


# ---- public ----------------------------------------------------------------------------------

def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A convkit model from a Keras `.keras` archive or a legacy `.h5` model file.

    `compile` and `safe_mode` are accepted for Keras compatibility; convkit never runs code from
    the file (it only reads JSON and arrays) and keeps no training state."""
    path = _check_path(filepath)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "config.json" not in names:
                raise ValueError(f"{path!r} is a zip file but not a Keras archive: no config.json inside")
            model = _model_from_config(json.loads(archive.read("config.json")), custom_objects)
            weights_name = "model.weights.h5"
            if weights_name in names:
                h5py = _h5py()
                with archive.open(weights_name) as raw, h5py.File(raw, "r") as f:
                    _assign_keras3(model, f, "")
        return model
    h5py = _h5py()
    with h5py.File(path, "r") as f:
        config = f.attrs.get("model_config")
        if config is None:
            raise ValueError(f"{path!r} holds no model config (a weights-only file?): build the model and call "
                             "`model.load_weights(filepath)` instead")
        if isinstance(config, bytes):
            config = config.decode("utf8")
        model = _model_from_config(json.loads(config), custom_objects)
        _assign_legacy(model, f["model_weights"] if "model_weights" in f else f)
    return model


def load_weights(model, filepath):
    """Weights from a Keras 3 `.weights.h5` file, a `.keras` archive or a legacy `.h5` file into an
    already built model with the same layer names."""
    path = _check_path(filepath)
    h5py = _h5py()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as f:
            _assign_keras3(model, f, "")
        return
    with h5py.File(path, "r") as f:
        if "layers" in f:
            _assign_keras3(model, f, "")
        else:
            _assign_legacy(model, f["model_weights"] if "model_weights" in f else f)
