"""Load and save Keras models: `.keras` archives (Keras 3), `.weights.h5` files and legacy `.h5` files.

    model = convkit.models.load_model("classifier.keras")
    model.load_weights("classifier.weights.h5")
    model.save("classifier.keras")              # Keras 3 loads it: keras.saving.load_model(...)
    model.save_weights("classifier.weights.h5")

The architecture comes from the file's JSON config (through the models' `from_config`, which
understands Keras's config format); the weights are read and written with h5py, an optional
dependency (`pip install h5py`). Reading assigns them layer by layer with `set_weights`, which
checks every count and shape. Training state (optimizer, compile arguments) is not read: convkit
runs inference only.

Saving writes what Keras 3.15 writes for the same model: a config in Keras's serialization format
(`keras.layers` classes, DTypePolicy dtypes, `build_config`, `__keras_tensor__` node arguments),
so Keras rebuilds the model from it, and the weights in Keras's layouts:

- Keras 3 (`.keras`, `.weights.h5`): a layer's variables under `layers/<key>/vars/<i>`, where the
  key is the layer's snake-cased class name numbered by repeats (`dense`, `dense_1`), with
  sub-objects as nested groups (an RNN layer's `cell`, a wrapper's `layer` or `forward_layer`,
  a nested model's own `layers`); every saved object's `vars` group names it in an attribute.
- legacy HDF5 (`.h5`): the config in the `model_config` attribute; each layer's weights in
  `model_weights/<layer name>`, listed (trainable first) in its `weight_names` attribute.

Reading and writing walk the same structure (`_children`, `_saving_keys`, `_keras_variables`),
so the two stay in step.
"""
import copy
import datetime
import io
import json
import os
import uuid
import warnings
import zipfile

import numpy as np

# The Keras release whose file format convkit writes (metadata.json and the HDF5 attributes), and
# the backend whose numbers convkit's layers give (the weights' layout is the same on every backend).
_KERAS_VERSION = "3.15.1"
_KERAS_BACKEND = "torch"

_CONFIG_NAME, _METADATA_NAME, _WEIGHTS_NAME = "config.json", "metadata.json", "model.weights.h5"

# Keras layers that are built when they are made (their constructors mark them built): Keras never
# records an input shape for them, so their saved entries have no `build_config`.
_KERAS_BUILT_AT_INIT = frozenset({
    "Activation", "ActivityRegularization", "AlphaDropout", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "Dropout", "ELU", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "GlobalMaxPooling3D", "Identity", "InputLayer", "LeakyReLU", "Masking", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D",
    "ReLU", "Reshape", "Softmax", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "UnitNormalization",
})
# Keras layers whose `call` takes `mask`: Keras fills it in (None) when it records a call, so their
# nodes carry {"mask": None} (models too).
_KERAS_MASK_CALLS = frozenset({
    "AdditiveAttention", "Attention", "BatchNormalization", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "GRU", "GlobalAveragePooling1D", "LSTM", "Lambda", "Pipeline", "RNN", "SimpleRNN", "Softmax", "TimeDistributed",
})
# Keras layers whose `call` has a `training` argument with a default other than None: Keras records
# that default in the kwargs of every call it makes part of a functional model.
_KERAS_TRAINING_DEFAULTS = {
    **dict.fromkeys(("AdditiveAttention", "AlphaDropout", "Attention", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
                     "Dropout", "GRU", "GRUCell", "GaussianDropout", "GaussianNoise", "LSTM", "LSTMCell", "RNN",
                     "SimpleRNN", "SimpleRNNCell", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                     "SpectralNormalization", "StackedRNNCells"), False),
    **dict.fromkeys(("CenterCrop", "RandomBrightness", "RandomContrast", "RandomFlip", "RandomRotation",
                     "RandomTranslation", "RandomZoom", "Resizing"), True),
    **dict.fromkeys(("AugMix", "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization", "CutMix",
                     "Equalization", "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandAugment",
                     "RandomColorDegeneration", "RandomColorJitter", "RandomCrop", "RandomElasticTransform",
                     "RandomErasing", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
                     "RandomPerspective", "RandomPosterization", "RandomSaturation", "RandomSharpness",
                     "RandomShear", "Solarization"), True),
}
# Layers Keras defines in keras.applications rather than keras.layers (registered by class name).
_KERAS_APPLICATION_MODULES = {
    "LayerScale": "keras.src.applications.convnext", "StochasticDepth": "keras.src.applications.convnext",
    "CustomScaleLayer": "keras.src.applications.inception_resnet_v2",
}
# Layers whose Keras call takes its input tensors as separate positional arguments, where convkit's
# takes them as one list: MultiHeadAttention(query, value[, key]).
_KERAS_SEPARATE_POSITIONAL = frozenset({"MultiHeadAttention", "GroupedQueryAttention"})
# convkit classes named as Keras's Python class but saved in `.keras` files under the name Keras
# exports them by (legacy `.h5` files keep the Python class name, as Keras writes them)
_KERAS_SAVED_CLASS_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}
# Layers whose Keras call names its first argument `sequences` and takes `initial_state`: first
# built with initial states, they record both shapes (build(sequences_shape, initial_state_shape)).
_KERAS_SEQUENCE_CALLS = frozenset({"Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GRU", "LSTM",
                                   "RNN", "SimpleRNN"})
# Recurrent layers keep their variables in a `cell` sub-object, named so in Keras.
_KERAS_CELL_NAMES = {"LSTM": "lstm_cell", "GRU": "gru_cell", "SimpleRNN": "simple_rnn_cell",
                     "ConvLSTM1D": "conv_lstm_cell", "ConvLSTM2D": "conv_lstm_cell", "ConvLSTM3D": "conv_lstm_cell"}
# Variables Keras keeps in another dtype than float32 (convkit holds every weight in float32).
_KERAS_VARIABLE_DTYPES = {("Normalization", "count"): np.int32}
# convkit's KerasOperation names -> the Keras operation class (module, class name), by Keras module
# (convkit.layers.operation_tables holds the same modules; a test keeps the two in step). Keras 3 has no
# Swish / HardSwish classes: its ops.swish and ops.hard_swish are Silu and HardSilu.
_KERAS_OPERATIONS = {
    **{name: ("keras.src.ops.numpy", name) for name in (
        # arithmetic, comparisons and logic (with the boolean operations of a saved model's masks)
        "Abs", "Absolute", "Add", "Divide", "FloorDivide", "Maximum", "Minimum", "Mod", "Multiply", "Negative",
        "Power", "Subtract", "TrueDivide", "NotEqual", "Equal", "Greater", "GreaterEqual", "Less", "LessEqual",
        "LogicalOr", "LogicalAnd", "LogicalNot", "LogicalXor", "Where",
        # element-wise functions
        "Arccos", "Arccosh", "Arcsin", "Arcsinh", "Arctan", "Arctanh", "Ceil", "Clip", "Cos", "Cosh", "Exp", "Exp2",
        "Expm1", "Floor", "Log", "Log10", "Log1p", "Log2", "Reciprocal", "Round", "Sign", "Sin", "Sinh", "Sqrt",
        "Square", "Tan", "Tanh", "Trunc",
        # reductions
        "All", "Any", "Argmax", "Argmin", "Max", "Mean", "Min", "Prod", "Std", "Sum", "Var",
        # shapes, indexing and linear algebra
        "BroadcastTo", "Concatenate", "ExpandDims", "Flip", "GetItem", "Moveaxis", "OnesLike", "Repeat", "Reshape",
        "Roll", "Split", "Squeeze", "Stack", "Swapaxes", "Take", "TakeAlongAxis", "Tile", "Transpose", "ZerosLike",
        "Matmul", "Einsum")},
    **{name: ("keras.src.ops.nn", name) for name in (
        "Celu", "Elu", "Gelu", "Glu", "HardShrink", "HardSigmoid", "HardSilu", "HardTanh", "LeakyRelu", "LogSigmoid",
        "LogSoftmax", "Normalize", "OneHot", "Relu", "Relu6", "Selu", "Sigmoid", "Silu", "SoftShrink", "Softmax",
        "Softplus", "Softsign", "SparsePlus", "SparseSigmoid", "Sparsemax", "Squareplus", "TanhShrink", "Threshold")},
    **{name: ("keras.src.ops.math", name) for name in ("Erf", "Erfc", "Logsumexp", "Rsqrt")},
    **{name: ("keras.src.ops.core", name) for name in ("Cast", "ConvertToTensor", "Unstack")},
    "Swish": ("keras.src.ops.nn", "Silu"), "HardSwish": ("keras.src.ops.nn", "HardSilu"),
}
# What Keras's `compile` records, in its order, with its defaults.
_KERAS_COMPILE_DEFAULTS = {"optimizer": "rmsprop", "loss": None, "loss_weights": None, "metrics": None,
                           "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
                           "jit_compile": "auto"}
_HDF5_OBJECT_HEADER_LIMIT = 64512  # bytes an HDF5 attribute may hold; longer lists are split (as Keras does)


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading and writing Keras weight files needs h5py: `pip install h5py`.") from None
    return h5py


def _model_from_config(config, custom_objects=None):
    from convkit.models import _layer_from_entry

    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        received = sorted(config) if isinstance(config, dict) else config
        raise ValueError("The model file's config is not a Keras model config: expected a dict with "
                         f"'class_name' and 'config'. Received keys: {received!r}")
    model = _layer_from_entry(config, custom_objects)
    build_from_config = getattr(model, "build_from_config", None)
    if build_from_config is not None and config.get("build_config") and not model.built:
        build_from_config(config["build_config"])  # a subclassed model: its weights exist before they are read
    return model


def _check_path(filepath):
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise ValueError(f"`filepath` does not exist. Received: filepath={path!r}")
    return path


# ---- the structure Keras saves, shared by reading and writing ------------------------------

def _is_operation(layer):
    from convkit.layers.operations import KerasOperation

    return isinstance(layer, KerasOperation)


def _convkit_class_name(layer):
    """The name of the convkit class `layer` is (or derives from): the Keras class it stands for."""
    for cls in type(layer).__mro__:
        if cls.__module__.startswith("convkit."):
            return cls.__name__
    return type(layer).__name__


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


def _children(layer):
    """What Keras saves under `layer`: (container group, key, sublayer) for a model's layers
    (`layers/<key>`; operation nodes are not layers and hold nothing), a wrapper's inner layers
    (`<attribute>`, from `_keras_sublayers`) and the layers stored on a subclassed layer or model
    (`<attribute path>`, see _attribute_children); None for a layer holding its own variables."""
    from convkit.models import Model

    if isinstance(layer, Model) and not layer._is_subclassed():
        layers = [sub for sub in layer.layers if not _is_operation(sub)]
        used = {}
        keys = [_unique_key(_keras_class_key(sub), used) for sub in layers]
        return [("layers", key, sub) for key, sub in zip(keys, layers)] + _attribute_children(layer)
    sublayers = getattr(layer, "_keras_sublayers", None)
    if sublayers is not None:
        return [("", name, sub) for name, sub in sublayers()]
    if _saves_attributes(layer):
        return _attribute_children(layer)
    return None


def _saves_attributes(layer):
    """Whether Keras saves `layer`'s parts by its attributes: a subclassed model, or a layer
    written as a subclass holding sublayers."""
    from convkit.models import Model

    if isinstance(layer, Model):
        return layer._is_subclassed()
    return bool(layer._tracked_layers) and getattr(layer, "_keras_sublayers", None) is None


def _keras_class_key(obj):
    """The name Keras saves an object under inside a container: its class's snake-cased name (a
    plain functional model's class is Keras's Functional)."""
    from convkit.layers.base import to_snake_case
    from convkit.models import Model

    return to_snake_case("Functional" if type(obj) is Model else type(obj).__name__)


def _unique_key(name, used):
    """Keras's `_get_unique_name`: `name`, then `name_1`, `name_2`... for repeats."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _attribute_children(layer):
    """(container group, path, sublayer) for the layers Keras saves by attribute, in the order its
    `_save_state` visits them: the attributes by name (private ones, `_x`, last); a layer under
    the attribute's name; a list, tuple or dict (its values) as a group whose layers are named by
    class (`dense`, `dense_1`, ...) and whose nested containers are `container`, `container_1`...
    A subclassed model also has Keras's `layers` attribute (its tracked layers): what no other
    attribute holds is saved there. A layer met twice is saved where it is met first (the caller
    skips the rest), but still takes its name in each container."""
    from convkit.layers.base import Layer

    attributes = {name: value for name, value in vars(layer).items()
                  if not name.startswith("__") and name not in layer._UNTRACKED_ATTRIBUTES}
    if _saves_attributes(layer) and hasattr(layer, "_is_subclassed"):
        attributes["layers"] = layer.layers
    children = []

    def visit_container(container, path, visited):
        if id(container) in visited:
            return
        visited.add(id(container))
        used = {}
        for item in (list(container.values()) if isinstance(container, dict) else container):
            if isinstance(item, Layer):
                children.append(("", f"{path}/{_unique_key(_keras_class_key(item), used)}", item))
            elif isinstance(item, (list, tuple, dict)):
                visit_container(item, f"{path}/{_unique_key('container', used)}", visited)

    for name in sorted(attributes, key=lambda n: "~" + n if n.startswith("_") else n):
        value = attributes[name]
        if isinstance(value, Layer):
            if value is not layer:
                children.append(("", name, value))
        elif isinstance(value, (list, tuple, dict)):
            visit_container(value, name, set())
    return children


def _own_keras_variables(layer):
    """The variables Keras saves in the `vars` group of a layer with parts: a wrapper's own
    (SpectralNormalization's kernel and vector_u), or the weights a subclassed layer or model made
    itself (Keras's trainable ones, then the others)."""
    own = getattr(layer, "_keras_own_weights", None)
    if own is not None:
        return own()
    if _saves_attributes(layer):
        return [w for w in layer._weights if w.trainable] + [w for w in layer._weights if not w.trainable]
    return []


def _cell_name(layer):
    """The name of the `cell` group Keras keeps a recurrent layer's variables in (None for others)."""
    return _KERAS_CELL_NAMES.get(_convkit_class_name(layer))


def _keras_variables(layer):
    """A layer's own weights in the order Keras saves them: trainable ones, then the others
    (each in creation order), whether or not the layer itself is trainable."""
    weights = layer.weights
    return [w for w in weights if w.trainable] + [w for w in weights if not w.trainable]


def _legacy_weights(layer):
    """A layer's (or a nested model's) weights in the legacy HDF5 order: trainable weights then
    non-trainable ones, as `layer.trainable_weights + layer.non_trainable_weights`."""
    return layer.trainable_weights + layer.non_trainable_weights


def _set_weights_in_order(layer, order, arrays):
    """`layer.set_weights` with `arrays` given in `order` (the layer's weights in a file's order),
    put back in the order set_weights takes; a count mismatch is left to set_weights to report."""
    weights = layer.weights
    if len(arrays) == len(order) == len(weights):
        position = {id(w): i for i, w in enumerate(order)}
        if all(id(w) in position for w in weights):
            arrays = [arrays[position[id(w)]] for w in weights]
    layer.set_weights(arrays)


def _keras_array(layer, weight):
    """A weight's value as Keras stores it: in the variable's Keras dtype where that is an integer
    one and the value is a whole number (anything else is kept as it is, so nothing is lost)."""
    dtype = _KERAS_VARIABLE_DTYPES.get((_convkit_class_name(layer), weight.name))
    value = weight.value
    if dtype is not None and np.array_equal(value, np.trunc(value)) and np.all(np.abs(value) < 2 ** 31):
        return value.astype(dtype)
    return value


# ---- the config in Keras's format ------------------------------------------------------------

def _keras_value(value):
    """A config value as Keras serializes it: convkit's serialized objects under Keras's modules
    (convkit.initializers -> keras.initializers, ...), tuples as lists, numpy values as Keras
    writes them."""
    if isinstance(value, dict):
        out = {k: _keras_value(v) for k, v in value.items()}
        module = out.get("module")
        if isinstance(module, str) and module.startswith("convkit.") and "class_name" in out:
            out["module"] = "keras." + module[len("convkit."):]
        return out
    if isinstance(value, (list, tuple)):
        return [_keras_value(v) for v in value]
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    return value


def _dtype_policy(name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def _class_entry(layer):
    """(module, class_name, registered_name) of `layer`'s class as Keras writes them."""
    cls = type(layer)
    name = cls.__name__
    if cls.__module__.startswith("convkit.layers"):
        if name in _KERAS_APPLICATION_MODULES:
            return _KERAS_APPLICATION_MODULES[name], name, name
        return "keras.layers", _KERAS_SAVED_CLASS_NAMES.get(name, name), None
    module = None if cls.__module__ == "__main__" else cls.__module__  # as Keras records a script's classes
    # "package>Name" for a class registered with register_keras_serializable (Keras finds it by that
    # name through its own registration), else the class name
    return module, name, get_registered_name(cls)


def _layer_config(layer, legacy):
    """`layer.get_config()` in Keras's form (the layer is not touched: its config is copied)."""
    from convkit.layers.core import InputLayer

    config = copy.deepcopy(layer.get_config())
    if isinstance(layer, InputLayer):
        # Keras's InputLayer config, in its order; convkit supports neither ragged nor sparse inputs
        ordered = {"batch_shape": config.pop("batch_shape"), "dtype": config.pop("dtype"),
                   "sparse": config.pop("sparse", False), "ragged": config.pop("ragged", False),
                   "name": config.pop("name"), "optional": config.pop("optional", getattr(layer, "optional", False))}
        return _keras_value({**ordered, **config})
    config.pop("batch_input_shape", None)  # Keras 3 keeps the input shape in the InputLayer only
    if isinstance(config.get("dtype"), str):
        config["dtype"] = _dtype_policy(config["dtype"])
    # a wrapper's inner layers are full layer entries (with their own build_config) also in the
    # legacy format: Keras's wrappers serialize them themselves
    inner = {sub.name: sub for _, _, sub in (_children(layer) or ())}
    for key, value in config.items():
        if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), dict):
            sub = inner.get(value["config"].get("name"))
            if sub is not None:
                config[key] = _layer_entry(sub, legacy, short=False)
    return _keras_value(config)


def _build_config(layer):
    from convkit.layers.symbolic import map_structure
    from convkit.models import Model, Sequential

    if isinstance(layer, Sequential):
        return {"input_shape": list(layer._input_layer.batch_shape)} if layer.built else None
    if isinstance(layer, Model) and layer._is_subclassed():
        # the input shape(s) its build (or first call) was given, as Keras records for build_from_config
        built = layer.built and layer._build_shape is not None
        return {"input_shape": _keras_value(layer._build_shape)} if built else None
    if isinstance(layer, Model):
        return {"input_shape": None}  # Keras builds a functional model when it is made, with no shape
    name = _convkit_class_name(layer)
    if name in _KERAS_BUILT_AT_INIT or not layer.built or layer._build_shape is None:
        return None
    # Keras records the shapes its `build` was called with: one as input_shape, several by name
    if name in _KERAS_SEPARATE_POSITIONAL:  # build(query_shape, value_shape, key_shape=None)
        names = ("query_shape", "value_shape", "key_shape")
        return {"shapes_dict": {k: _keras_value(v) for k, v in zip(names, layer._build_shape)}}
    first = layer._inbound_nodes[0] if layer._inbound_nodes else None
    if name in _KERAS_SEQUENCE_CALLS and first is not None and "initial_state" in first.tensor_kwargs:
        states = map_structure(lambda t: list(t.shape), first.tensor_kwargs["initial_state"])
        return {"shapes_dict": {"sequences_shape": _keras_value(layer._build_shape),
                                "initial_state_shape": _keras_value(states)}}
    return {"input_shape": _keras_value(layer._build_shape)}


def _compile_config(model):
    """What Keras's `get_compile_config` gives: {} for a model that was never compiled, else the
    compile arguments (convkit stores them as given: optimizer and losses by name)."""
    if not getattr(model, "compiled", False):
        return {}
    given = getattr(model, "_compile_config", None) or {}
    config = {key: given.get(key, default) for key, default in _KERAS_COMPILE_DEFAULTS.items()}
    for key, value in config.items():
        try:
            json.dumps(_keras_value(value))
        except TypeError:
            raise ValueError(f"Cannot save the compile argument `{key}` of model '{model.name}': only values JSON "
                             f"can hold (names such as 'adam' or 'mse', numbers, lists, dicts) can be saved. "
                             f"Received: {key}={value!r}") from None
    return _keras_value(config)


def _layer_entry(layer, legacy=False, short=None):
    """`layer` serialized as Keras's `serialize_keras_object` does. legacy: as Keras does when it
    writes a legacy HDF5 file, where the models' layer lists hold short entries (class_name and
    config: no module, registered_name or build_config); `short` (default: `legacy`) says which
    form this entry takes."""
    from convkit.models import Model

    if isinstance(layer, Model):
        return _model_entry(layer, legacy, short)
    if _is_operation(layer):
        raise ValueError(f"The operation node '{layer.name}' ({layer.operation}) cannot be saved outside a functional "
                         f"model: Keras keeps operations (keras.ops calls) only as nodes of a functional model's "
                         f"graph, not as layers of a Sequential model or of a wrapper. Build the model with the "
                         f"functional API to save it.")
    module, class_name, registered_name = _class_entry(layer)
    if legacy:
        class_name = type(layer).__name__ if class_name in _KERAS_SAVED_CLASS_NAMES.values() else class_name
        if registered_name and registered_name != class_name:
            class_name = registered_name  # a registered class: Keras's legacy entries name it "package>Name"
    return _entry(layer, module, class_name, registered_name, _layer_config(layer, legacy),
                  legacy if short is None else short)


def _entry(obj, module, class_name, registered_name, config, short):
    """Keras's entry for a serialized layer or model: short (a legacy HDF5 layer list) holds
    class_name and config only; the full form adds module, registered_name and a build_config."""
    if short:
        return {"class_name": class_name, "config": config}
    entry = {"module": module, "class_name": class_name, "config": config, "registered_name": registered_name}
    build_config = _build_config(obj)
    if build_config is not None:
        entry["build_config"] = build_config
    return entry


def _operation_entry(layer, legacy, where):
    if legacy:
        raise ValueError(
            f"The operation node '{layer.name}' ({layer.operation}) of model '{where}' cannot be saved in the legacy "
            f"HDF5 format: Keras cannot load operation nodes (keras.ops calls) from `.h5` files. Save the model as "
            f"`.keras` instead.")
    module, class_name = _KERAS_OPERATIONS[layer.operation]
    return {"module": module, "class_name": class_name, "config": {"name": layer.name, **layer.options},
            "registered_name": class_name}


def _keras_implicit_kwargs(layer, n_listed=None):
    """The keyword arguments Keras adds by itself when it records a call of `layer` in a functional
    model: the call signature's `training` default (when not None), and mask=None where the call
    takes a mask (one None per tensor for a call on a list of `n_listed` tensors)."""
    import inspect

    from convkit.models import Model

    name = _convkit_class_name(layer)
    implicit = {}
    if not type(layer).call.__module__.startswith("convkit."):
        # a call the user wrote (a subclassed model's or layer's): its own signature says
        parameters = inspect.signature(layer.call).parameters
        training = parameters["training"].default if "training" in parameters else None
        if training is not None and training is not inspect.Parameter.empty:
            implicit["training"] = training
        takes_mask = "mask" in parameters
    else:
        if name in _KERAS_TRAINING_DEFAULTS:
            implicit["training"] = _KERAS_TRAINING_DEFAULTS[name]
        takes_mask = isinstance(layer, Model) or name in _KERAS_MASK_CALLS
    if takes_mask:
        implicit["mask"] = None if n_listed is None else [None] * n_listed
    return implicit


def _keras_tensor(tensor, history):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(tensor.shape), "dtype": tensor.dtype, "keras_history": list(history)}}


def _keras_tensors(structure, histories):
    """A keyword argument's tensors (one, or nested lists) as `__keras_tensor__` entries."""
    if isinstance(structure, (list, tuple)):
        return [_keras_tensors(t, h) for t, h in zip(structure, histories)]
    return _keras_tensor(structure, histories)


def _records_implicit_kwargs(layer, args, kwargs):
    """Whether Keras adds its implicit keyword arguments to the call it records: a functional
    model always does; a layer only for a call with one tensor as its only argument (a call with
    keyword arguments, several positional tensors or a list is recorded as written)."""
    from convkit.models import Model

    if isinstance(layer, Model):
        return True
    return not kwargs and len(args) == 1 and not isinstance(args[0], list)


def _functional_config(model, legacy):
    """Keras's Functional config. The node structure (which layer calls belong to the model, and
    each tensor's [layer, node, tensor] triple) is the model's own get_config; the tensors'
    shapes and dtypes, the operations' constants and the layers' entries come from the graph."""
    from convkit.layers.operations import LIST_OPERATIONS
    from convkit.models import Model, Sequential

    plan = model._require_plan("config")
    own = model.get_config()
    in_plan = {id(node) for node in plan.nodes}
    layer_entries = []
    for layer, own_entry in zip(plan.layers, own["layers"]):
        if own_entry["name"] != layer.name:
            raise RuntimeError(f"Internal error: layer '{layer.name}' and config entry '{own_entry['name']}' differ")
        nodes = [n for n in layer._inbound_nodes if id(n) in in_plan and not n.is_input]
        operation = _is_operation(layer)
        entry = _operation_entry(layer, legacy, model.name) if operation else _layer_entry(layer, legacy)
        inbound = []
        for node, own_node in zip(nodes, own_entry["inbound_nodes"]):
            positional, keyword = node.call_arguments()
            tensors = [_keras_tensor(t, h) for t, h in zip(positional, own_node["args"])]
            if operation and layer.operation in LIST_OPERATIONS:
                args = [tensors]  # ops.concatenate and ops.stack take one list of tensors
            elif operation:  # the operation's arguments in order: its input tensors and its constants
                tensors = iter(tensors)
                args = [next(tensors) if a is None else _keras_value(a) for a in layer.arguments]
            elif own_node["list"] and _convkit_class_name(layer) not in _KERAS_SEPARATE_POSITIONAL:
                args = [tensors]
            else:
                args = tensors
            kwargs = _keras_value(own_node["kwargs"])
            for key, structure in keyword.items():  # tensors by keyword: initial_state=[h, c], attention_mask=m
                kwargs[key] = _keras_tensors(structure, own_node["tensor_kwargs"][key])
            if not operation and _records_implicit_kwargs(layer, args, kwargs):
                for key, value in _keras_implicit_kwargs(layer, len(tensors) if own_node["list"] else None).items():
                    kwargs.setdefault(key, value)
            inbound.append({"args": args, "kwargs": kwargs})
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound
        layer_entries.append(entry)

    by_name = {layer.name: layer for layer in plan.layers}

    def spec(triple):
        name, node_index, tensor_index = triple
        layer = by_name.get(name)
        if isinstance(layer, Model) and not isinstance(layer, Sequential):
            node_index += 1  # Keras counts a functional model's calls from 1 here (and from 0 in node arguments)
        return [name, node_index, tensor_index]

    def specs(value, many):
        if isinstance(value, dict):
            return {k: spec(v) for k, v in value.items()}
        return [spec(v) for v in value] if many or len(value) != 1 else spec(value[0])

    return {"name": model.name, "trainable": model.trainable, "layers": layer_entries,
            "input_layers": specs(own["input_layers"], many=False),
            "output_layers": specs(own["output_layers"], many=model._output_is_list)}


def _sequential_config(model, legacy):
    layers = [model._input_layer] if model._input_layer is not None else []
    config = {"name": model.name, "trainable": model.trainable, "dtype": _dtype_policy(model.dtype),
              "layers": [_layer_entry(layer, legacy) for layer in layers + model.layers]}
    if model.built:
        config["build_input_shape"] = list(model._input_layer.batch_shape)
    return config


def _model_entry(model, legacy=False, short=None):
    """A convkit model as Keras serializes a model (the config.json of a `.keras` file, or with
    legacy=True, the model_config attribute of an `.h5` file); `short` as for _layer_entry."""
    from convkit.models import Model, Sequential

    sequential = isinstance(model, Sequential)
    if model._is_subclassed():  # its config is a layer's: what its get_config (or Keras's automatic one) gives
        config = _layer_config(model, legacy)
    else:
        config = _sequential_config(model, legacy) if sequential else _functional_config(model, legacy)
    if type(model) is Sequential:
        module, class_name, registered_name = "keras", "Sequential", None
    elif type(model) is Model:
        module, class_name, registered_name = "keras.src.models.functional", "Functional", "Functional"
    else:  # a subclass of the user's: Keras loads it with custom_objects
        module, class_name, registered_name = _class_entry(model)
    short = legacy if short is None else short
    entry = _entry(model, module, class_name, registered_name, config, short)
    if not short:
        entry["compile_config"] = _compile_config(model)
    return entry


def _to_json(entry, what, **kwargs):
    try:
        return json.dumps(entry, **kwargs)
    except TypeError as exc:
        raise TypeError(f"The {what} holds a value JSON cannot represent ({exc}). Layer configs must hold plain "
                        f"values (numbers, strings, lists, dicts) to be saved.") from None


def model_to_json(model, **kwargs):
    """The model's Keras config as a JSON string (`Model.to_json`); kwargs go to json.dumps."""
    return _to_json(_model_entry(model), f"config of model '{model.name}'", **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A convkit model from a Keras model config in JSON (`Model.to_json()`, Keras's `to_json()`)."""
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError(f"`json_string` must be a string holding a model config in JSON. Received: "
                        f"json_string={json_string!r} (of type {type(json_string).__name__})")
    try:
        config = json.loads(json_string)
    except ValueError as exc:
        raise ValueError(f"`json_string` is not valid JSON: {exc}. "
                         f"Received: json_string={json_string[:200]!r}") from None
    return _model_from_config(config, custom_objects)


# ---- Keras 3 layout --------------------------------------------------------------------------

def _keras3_arrays(group):
    """A layer's arrays in Keras's order: its own `vars/0..n`, then its sub-objects' (by name)."""
    arrays = []
    if "vars" in group:
        arrays += [np.asarray(group["vars"][k]) for k in sorted(group["vars"], key=int)]
    for name in sorted(k for k in group if k != "vars"):
        arrays += _keras3_arrays(group[name])
    return arrays


def _read_keras3(layer, group, where, seen):
    """Assign `layer`'s weights from its group. A container's parts (a model's layers, a wrapper's
    inner layers) are read from the groups named after them, each in turn: Keras writes a
    Bidirectional's backward_layer before its forward_layer, so reading them in file order would
    swap them. An object already read (a layer in two containers) is read once, as Keras saves it."""
    from convkit.models import Model

    if id(layer) in seen:
        return
    seen.add(id(layer))
    if isinstance(layer, Model) and layer._is_subclassed() and not layer.built:
        if not _keras3_arrays(group):
            return  # (saved before it was built: nothing to read, as Keras loads it)
        raise ValueError(f"The subclassed model {layer.name!r} ({type(layer).__name__}) has not been built, so it has "
                         f"no weights to read the file's into (at {where or '/'}). Build it first: call it on data "
                         f"or `build(input_shape)` (load_model builds it from the file's build_config where its "
                         f"call runs on zeros of that shape).")
    children = _children(layer)
    if children is None:
        arrays = _keras3_arrays(group)
        if arrays or layer.get_weights():
            _set_weights_in_order(layer, _keras_variables(layer), arrays)
        return
    if isinstance(layer, Model) and not layer._is_subclassed() and layer.layers and "layers" not in group:
        raise ValueError(f"The weights file has no 'layers' group at {where!r}: it is not a Keras 3 weights file")
    own = _own_keras_variables(layer)
    if own and "vars" in group:
        # the layer's own variables (SpectralNormalization's kernel and vector_u, a subclassed
        # layer's add_weight ones), then its parts
        arrays = [np.asarray(group["vars"][k]) for k in sorted(group["vars"], key=int)]
        if len(arrays) != len(own):
            raise ValueError(f"The weights file holds {len(arrays)} variables for layer {layer.name!r} (at {where}/vars); "
                             f"it has {len(own)}")
        for weight, array in zip(own, arrays):
            weight.assign(array)
    elif own:
        raise ValueError(f"The weights file has no variables for layer {layer.name!r} (at {where}/vars); it has "
                         f"{len(own)}")
    for container, key, sub in children:
        if id(sub) in seen:
            continue  # read where it was met first (Keras writes it there only)
        if container and container not in group:
            parent, at = {}, f"{where}/{container}"
        else:
            parent, at = (group[container], f"{where}/{container}") if container else (group, where)
        if key in parent:
            _read_keras3(sub, parent[key], f"{at}/{key}", seen)
        elif sub.get_weights():
            raise ValueError(f"The weights file has no entry {key!r} for layer {sub.name!r} (at {at}); it holds: "
                             f"{sorted(parent)}")


def _write_keras3(layer, parent, key, seen):
    """Write `layer` as Keras's `_save_state` does: a `vars` group naming the object (holding the
    variables of a layer that keeps its own), then its parts; an object already written is
    skipped."""
    if id(layer) in seen:
        return
    seen.add(id(layer))
    group = parent.require_group(key) if key else parent
    own = group.create_group("vars")
    own.attrs["name"] = layer.name
    children = _children(layer)
    if children is not None:
        for i, weight in enumerate(_own_keras_variables(layer)):
            own[str(i)] = _keras_array(layer, weight)  # (SpectralNormalization's, a subclassed layer's own)
        for container, sub_key, sub in children:
            _write_keras3(sub, group, f"{container}/{sub_key}" if container else sub_key, seen)
        return
    cell = _cell_name(layer)
    if cell is not None:
        own = group.create_group("cell").create_group("vars")
        own.attrs["name"] = cell
    for i, weight in enumerate(_keras_variables(layer)):
        own[str(i)] = _keras_array(layer, weight)


def _write_keras3_file(model, target):
    """The Keras 3 weights file (`model.weights.h5` / `.weights.h5`) into a path or a file object."""
    h5py = _h5py()
    with h5py.File(target, "w") as f:
        _write_keras3(model, f, "", set())


# ---- legacy HDF5 layout ----------------------------------------------------------------------

def _decode(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _read_h5_strings(group, name):
    """A list attribute, also when Keras split it into `<name>0`, `<name>1`... (long lists)."""
    if name in group.attrs:
        return _decode(group.attrs[name])
    values, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        values += _decode(group.attrs[f"{name}{chunk}"])
        chunk += 1
    return values


def _write_h5_strings(group, name, values):
    """A list of strings as an attribute, split in chunks that fit an HDF5 object header."""
    data = [v.encode("utf8") for v in values]
    too_long = [v for v in data if len(v) > _HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"These names are too long to be saved in an HDF5 file (over {_HDF5_OBJECT_HEADER_LIMIT} "
                         f"bytes): {too_long}")
    chunks = [np.asarray(data)]
    while any(c.nbytes > _HDF5_OBJECT_HEADER_LIMIT for c in chunks):
        chunks = np.array_split(np.asarray(data), len(chunks) + 1)
    if len(chunks) == 1:
        group.attrs[name] = data
    else:
        for i, chunk in enumerate(chunks):
            group.attrs[f"{name}{i}"] = chunk


def _read_legacy(model, weights_group):
    """Keras's legacy (topological) loading: the model's layers that have weights take, in order,
    the file's layers that list weights; each layer's arrays are its weights in `_legacy_weights`
    order (a nested model's weights are listed flat under its own group)."""
    saved = []
    for name in _read_h5_strings(weights_group, "layer_names"):
        group = weights_group[name]
        arrays = [np.asarray(group[w]) for w in _read_h5_strings(group, "weight_names")]
        if arrays:
            saved.append((name, arrays))
    layers = [layer for layer in model.layers if layer.weights]
    if len(saved) != len(layers):
        raise ValueError(f"Layer count mismatch when loading weights from file. Model expected {len(layers)} layers "
                         f"with weights ({[layer.name for layer in layers]}), found {len(saved)} saved layers "
                         f"({[name for name, _ in saved]}).")
    for layer, (name, arrays) in zip(layers, saved):
        try:
            _set_weights_in_order(layer, _legacy_weights(layer), arrays)
        except ValueError as exc:
            raise ValueError(f"Cannot load the weights saved for layer '{name}' into layer '{layer.name}': {exc}") \
                from None


def _legacy_owners(layer, chain=()):
    """(weight, the layer holding it, the containers above that layer) for every weight under
    `layer`, each weight once."""
    children = _children(layer)
    if children is None:
        return [(weight, layer, chain) for weight in layer.weights]
    found, seen = [], set()
    for _, _, sub in children:
        for item in _legacy_owners(sub, chain + (layer.name,)):
            if id(item[0]) not in seen:
                seen.add(id(item[0]))
                found.append(item)
    if getattr(layer, "_keras_own_weights", lambda: [])():
        # a wrapper with variables of its own (SpectralNormalization's vector_u): in its `weights`
        # order, which Keras's lists follow, each held by the part it belongs to, else by it
        by_id = {id(item[0]): item for item in found}
        found = [by_id.get(id(w), (w, layer, chain)) for w in layer.weights]
    return found


def _legacy_weight_names(layer):
    """(id(weight) -> its name in a legacy file, id(weight) -> the layer holding it) for a layer's
    weights. Names as Keras gives the variables of a loaded model: the holding layer's name, the
    cell of a recurrent layer, the weight's name (`forward_lstm/lstm_cell/kernel`); where two would
    clash (equal layer names at different depths of nested models), the containers' path first."""
    owned = _legacy_owners(layer)

    def name(weight, owner, chain):
        cell = _cell_name(owner)
        return "/".join(chain + (owner.name,) + ((cell,) if cell else ()) + (weight.name,))

    names = {id(w): name(w, owner, ()) for w, owner, _ in owned}
    if len(set(names.values())) < len(names):
        names = {id(w): name(w, owner, chain) for w, owner, chain in owned}
    return names, {id(w): owner for w, owner, _ in owned}


def _write_legacy_file(model, path, config_json):
    """The legacy HDF5 model file, as Keras's `save_model_to_hdf5` writes it (no optimizer)."""
    h5py = _h5py()
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = _KERAS_VERSION
        f.attrs["backend"] = _KERAS_BACKEND
        f.attrs["model_config"] = config_json.encode("utf8")
        group = f.create_group("model_weights")
        layers = [layer for layer in model.layers if not _is_operation(layer)]
        _write_h5_strings(group, "layer_names", [layer.name for layer in layers])
        group.attrs["backend"] = _KERAS_BACKEND.encode("utf8")
        group.attrs["keras_version"] = _KERAS_VERSION.encode("utf8")
        for layer in sorted(layers, key=lambda lyr: lyr.name):
            layer_group = group.create_group(layer.name)
            weights = _legacy_weights(layer)
            names, owners = _legacy_weight_names(layer)
            _write_h5_strings(layer_group, "weight_names", [names[id(w)] for w in weights])
            for weight in weights:
                layer_group.create_dataset(names[id(weight)], data=_keras_array(owners[id(weight)], weight))
        _write_h5_strings(group.create_group("top_level_model_weights"), "weight_names", [])


# ---- public ----------------------------------------------------------------------------------

def _save_path(filepath, overwrite):
    """`filepath` as a string; an existing file is refused when overwrite is False."""
    try:
        path = os.fspath(filepath)
    except TypeError:
        raise ValueError(f"`filepath` must be a path (a string or a path-like object). Received: "
                         f"filepath={filepath!r} (of type {type(filepath).__name__})") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path:
        raise ValueError(f"`filepath` cannot be empty. Received: filepath={filepath!r}")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"`filepath` already exists and `overwrite` is False, so the model was not saved. "
                              f"Pass overwrite=True to replace it. Received: filepath={path!r}")
    return path


def _check_file_target(path):
    if os.path.isdir(path):
        raise ValueError(f"`filepath` is a directory; expected the path of a file. Received: filepath={path!r}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(f"The directory of `filepath` does not exist: {directory!r}. Received: filepath={path!r}")


def _write_atomically(path, write):
    """write(temporary path) next to `path`, then move it into place: a failed save leaves an
    existing file as it was. (The writer creates the file, so it gets the usual permissions.)"""
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _metadata_json():
    return json.dumps({"keras_version": _KERAS_VERSION,
                       "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save `model` as Keras 3 does (`Model.save`): a `.keras` archive (config.json,
    metadata.json, model.weights.h5), an unzipped directory of the same files (zipped=False), or a
    legacy `.h5` file. Keras loads the result with `keras.saving.load_model`, convkit with
    `convkit.models.load_model`.

    `include_optimizer` is accepted for Keras compatibility (convkit has no optimizer state).
    An existing file is replaced unless overwrite=False, which raises FileExistsError (Keras asks
    on the terminal)."""
    from convkit.models import Model

    if not isinstance(model, Model):
        raise TypeError(f"`model` must be a convkit Model or Sequential. Received: model={model!r}")
    kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    text = str(filepath)
    if save_format and not text.endswith((".h5", ".hdf5", ".keras")):
        raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument and pass "
                         f"a file path with either `.keras` or `.h5` extension.Received: save_format={save_format}")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    if zipped is None:
        zipped = True
    if zipped and not text.endswith((".keras", ".h5", ".hdf5")):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the "
                         "native Keras format (recommended) or a `.h5` extension. Received: "
                         f"filepath={filepath}.")
    if not zipped and text.endswith(".keras"):
        raise ValueError(f"When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
                         f"Received: filepath={filepath}")
    path = _save_path(filepath, overwrite)
    if not model.built:
        warnings.warn("You are saving a model that has not yet been built. It might not contain any weights yet. "
                      "Consider building the model first by calling it on some data.", stacklevel=2)
    _h5py()  # needed for the weights in every format
    legacy = zipped and not path.endswith(".keras")
    if legacy and model._is_subclassed():
        raise ValueError(f"The subclassed model '{model.name}' ({type(model).__name__}) cannot be saved in the legacy "
                         f"HDF5 format: Keras cannot load a subclassed model from an `.h5` file (it does not rebuild "
                         f"its layers before reading their weights). Save it as `.keras` instead. Received: "
                         f"filepath={filepath}")
    # everything is serialized before a file is touched: a config that cannot be saved raises here
    config_json = _to_json(_model_entry(model, legacy=legacy), f"config of model '{model.name}'")
    if legacy:
        directory = os.path.dirname(path)
        if directory and not os.path.exists(directory):
            os.makedirs(directory, exist_ok=True)  # as Keras's legacy saving does
        _check_file_target(path)
        _write_atomically(path, lambda tmp: _write_legacy_file(model, tmp, config_json))
    elif zipped:
        _check_file_target(path)
        weights = io.BytesIO()
        _write_keras3_file(model, weights)

        def write_archive(tmp):
            with zipfile.ZipFile(tmp, "w") as archive:
                with archive.open(_METADATA_NAME, "w") as f:
                    f.write(_metadata_json().encode())
                with archive.open(_CONFIG_NAME, "w") as f:
                    f.write(config_json.encode())
                archive.writestr(_WEIGHTS_NAME, weights.getvalue())

        _write_atomically(path, write_archive)
    else:
        if os.path.exists(path) and not os.path.isdir(path):
            raise ValueError(f"With zipped=False, `filepath` names a directory to write, but it is a file. "
                             f"Received: filepath={path!r}")
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, _METADATA_NAME), "w") as f:
            f.write(_metadata_json())
        with open(os.path.join(path, _CONFIG_NAME), "w") as f:
            f.write(config_json)
        _write_keras3_file(model, os.path.join(path, _WEIGHTS_NAME))


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Save `model`'s weights in Keras 3's `.weights.h5` layout (`Model.save_weights`); Keras's
    `load_weights` and convkit's read them into a model of the same architecture."""
    text = str(filepath)
    if max_shard_size is not None:
        raise ValueError(f"convkit does not write sharded weight files: `max_shard_size` must be None. Received: "
                         f"max_shard_size={max_shard_size!r}")
    if not text.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={text}")
    path = _save_path(filepath, overwrite)
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building the model first by "
                         "calling it on some data or by using `build()`.")
    _check_file_target(path)
    _h5py()
    _write_atomically(path, lambda tmp: _write_keras3_file(model, tmp))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A convkit model from a Keras `.keras` archive (or the unzipped directory of one) or a
    legacy `.h5` model file.

    `compile` is accepted for Keras compatibility (convkit keeps no training state). `safe_mode`
    as Keras: a Lambda layer's Python bytecode in the file is refused unless safe_mode=False (or
    `convkit.layers.lambda_layer.enable_unsafe_deserialization()`); nothing else in a file runs."""
    from convkit.layers.lambda_layer import deserialization_scope

    with deserialization_scope(safe_mode):
        return _load_model(_check_path(filepath), custom_objects)


def _load_model(path, custom_objects):
    if os.path.isdir(path):
        config_path = os.path.join(path, _CONFIG_NAME)
        if not os.path.exists(config_path):
            raise ValueError(f"{path!r} is a directory but not a Keras model directory: no {_CONFIG_NAME} inside")
        with open(config_path) as f:
            model = _model_from_config(json.load(f), custom_objects)
        weights_path = os.path.join(path, _WEIGHTS_NAME)
        if os.path.exists(weights_path):
            with _h5py().File(weights_path, "r") as f:
                _read_keras3(model, f, "", set())
        return model
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if _CONFIG_NAME not in names:
                raise ValueError(f"{path!r} is a zip file but not a Keras archive: no {_CONFIG_NAME} inside")
            model = _model_from_config(json.loads(archive.read(_CONFIG_NAME)), custom_objects)
            if _WEIGHTS_NAME in names:
                h5py = _h5py()
                with archive.open(_WEIGHTS_NAME) as raw, h5py.File(raw, "r") as f:
                    _read_keras3(model, f, "", set())
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
        _read_legacy(model, f["model_weights"] if "model_weights" in f else f)
    return model


def load_weights(model, filepath):
    """Weights from a Keras 3 `.weights.h5` file, a `.keras` archive or a legacy `.h5` file into an
    already built model with the same layer names."""
    path = _check_path(filepath)
    h5py = _h5py()
    if os.path.isdir(path):  # a model saved with zipped=False
        path = os.path.join(path, _WEIGHTS_NAME)
        if not os.path.exists(path):
            raise ValueError(f"`filepath` is a directory without {_WEIGHTS_NAME}. Received: filepath={filepath!r}")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open(_WEIGHTS_NAME) as raw, h5py.File(raw, "r") as f:
            _read_keras3(model, f, "", set())
        return
    with h5py.File(path, "r") as f:
        if "layers" in f or "vars" in f:  # (a subclassed model's file may have no `layers` group)
            _read_keras3(model, f, "", set())
        else:
            _read_legacy(model, f["model_weights"] if "model_weights" in f else f)


# Keras's keras.saving names for the registry of custom objects (convkit/_registration.py); _class_entry
# uses get_registered_name
from convkit import _registration  # noqa: E402

CustomObjectScope = custom_object_scope = _registration.CustomObjectScope
get_custom_objects = _registration.get_custom_objects
register_keras_serializable = _registration.register_keras_serializable
get_registered_name, get_registered_object = _registration.get_registered_name, _registration.get_registered_object
