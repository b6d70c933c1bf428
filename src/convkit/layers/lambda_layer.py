"""Keras's Lambda layer: a Python function of the input used as a layer.

In convkit the function is called on numpy arrays: the input as a float32 array (a list of them
for several inputs), plus `arguments` as keyword arguments. Anything numpy can do works
(`lambda x: x * 2 + 1`, `lambda x: x[:, ::-1]`, `np.tanh`, convkit.activations). Keras users
write the function with `keras.ops`: those functions take numpy arrays too, and return tensors of
Keras's backend (torch tensors with KERAS_BACKEND=torch); whatever the function returns is
converted to a float32 numpy array (through `detach()` / `cpu()` / `numpy()` / `__array__`), so
such functions work as long as Keras is importable. Outputs are float32 whatever the function
computes (a boolean result becomes 0/1).

Saving follows Keras 3: a named function is written by name, a Python lambda as its marshalled
bytecode, which only the same Python version can read back and which runs arbitrary code, so it
is refused unless unsafe deserialisation was allowed (`safe_mode=False` to from_config, a
`SafeModeScope(False)`, or `enable_unsafe_deserialization()`), as in Keras.
"""
import builtins
import binascii
import codecs
import inspect
import marshal
import types

import numpy as np

from convkit import _args
from convkit.layers.base import Layer, config_with, standardize_shape

__all__ = ["Lambda", "SafeModeScope", "enable_unsafe_deserialization", "in_safe_mode", "deserialization_scope"]

# Keras's ambient safe-mode flag: None (never set: safe), True or False. A list so scopes can set it in place.
_SAFE_MODE = [None]

# Keras's torch backend infers an output shape by running the function on ones, with every
# unknown dimension set to 83 and, where there is one, again set to 89 (see _infer_output_shape)
_PROBE_SIZES = (83, 89)


def in_safe_mode():
    """The ambient safe-mode flag: None where nobody set it (treated as safe), else True/False."""
    return _SAFE_MODE[0]


def enable_unsafe_deserialization():
    """Allow lambdas' bytecode to be loaded everywhere from now on (Keras's
    `keras.config.enable_unsafe_deserialization()`)."""
    _SAFE_MODE[0] = False


class SafeModeScope:
    """`with SafeModeScope(False): ...` allows loading lambdas' bytecode inside the block only."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._previous = _SAFE_MODE[0]
        _SAFE_MODE[0] = self.safe_mode
        return self

    def __exit__(self, *exc_info):
        _SAFE_MODE[0] = self._previous


def deserialization_scope(safe_mode=True):
    """The scope a loader opens around rebuilding a model: as in Keras, an ambient flag already
    set (enable_unsafe_deserialization, an outer scope) wins over the loader's `safe_mode`."""
    ambient = in_safe_mode()
    return SafeModeScope(safe_mode if ambient is None else ambient)


# ---- functions and values in configs ---------------------------------------------------------

def _is_python_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _dump_function(fn):
    """(base64 marshalled bytecode, defaults, closure values): Keras's python_utils.func_dump."""
    code = codecs.encode(marshal.dumps(fn.__code__), "base64").decode("ascii")
    closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
    return code, fn.__defaults__, closure


def _refuse_lambda(safe):
    if safe:
        raise ValueError(
            "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. This carries a "
            "potential risk of arbitrary code execution and thus it is disallowed by default. If you trust the "
            "source of the artifact, you can override this error by passing `safe_mode=False` to the loading "
            "function, or calling `convkit.layers.lambda_layer.enable_unsafe_deserialization()`.")


def _load_function(code, defaults, closure, custom_objects):
    """A function from its dumped bytecode. It sees Python's builtins, numpy as `np` (convkit
    calls it on numpy arrays) and the caller's custom_objects by name; other globals it used
    (Keras's `ops`, say) are unknown unless passed in custom_objects."""
    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode("raw_unicode_escape")
    try:
        code_object = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as exc:
        raise ValueError(f"The lambda's bytecode could not be read ({exc}): a lambda can only be loaded by the "
                         "Python version that saved it.") from None
    if not isinstance(code_object, types.CodeType):
        raise ValueError(f"The lambda's `code` does not hold Python bytecode. Received: {type(code_object)}")
    globs = {"__builtins__": builtins, "np": np, **(custom_objects or {})}
    cells = None if closure is None else tuple(types.CellType(value) for value in closure)
    return types.FunctionType(code_object, globs, code_object.co_name,
                              None if defaults is None else tuple(defaults), cells)


def _function_config(fn):
    """What Keras's Lambda writes for `function` (and a callable output_shape / mask)."""
    if _is_python_lambda(fn):
        code, defaults, closure = _dump_function(fn)
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": defaults, "closure": closure}}
    return _serialize(fn, "function")


def _named_function_config(fn, arg):
    # Keras writes any named callable under its type's module and name (so a Python function is
    # {"module": "builtins", "class_name": "function", "config": "<its name>"}), and its own
    # activations as Python functions; convkit's Activation objects take the activation's name.
    from convkit.activations import Activation

    if isinstance(fn, Activation):
        return {"module": "builtins", "class_name": "function", "config": fn.name, "registered_name": "function"}
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"Cannot serialize `{arg}`: {fn!r} of type {type(fn)} has no `__name__`. Use a named "
                        "function (or a lambda).")
    kind = type(fn)
    return {"module": kind.__module__, "class_name": kind.__name__, "config": name, "registered_name": kind.__name__}


def _serialize(value, arg):
    """A config value as Keras's serialize_keras_object writes it, for the values a Lambda holds."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_serialize(v, arg) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {key: _serialize(v, arg) for key, v in value.items()}
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    if _is_python_lambda(value):
        return {"class_name": "__lambda__", "config": {"value": _dump_function(value)}}
    if callable(value):
        return _named_function_config(value, arg)
    if hasattr(value, "__array__") or hasattr(value, "numpy"):  # a tensor of some framework
        array = _to_numpy(value)
        return {"class_name": "__tensor__", "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    raise TypeError(f"Cannot serialize `{arg}`: {value!r} of type {type(value)} is not a number, string, array, "
                    "function or a list/dict of those.")


def _resolve_function(config, custom_objects, arg):
    """A named function from its config, as Keras looks one up: the caller's custom_objects
    (by name, or by a registered 'package>name'), then the built-in activations."""
    from convkit import activations

    name = config["config"] if isinstance(config, dict) else config
    custom_objects = custom_objects or {}
    if not isinstance(name, str):
        raise TypeError(f"Expected `{arg}`'s config to name a function (a string). Received: {config!r}")
    if name in custom_objects:
        return custom_objects[name]
    for key, obj in custom_objects.items():
        if key.endswith(">" + name):
            return obj
    if name in activations.NAMES or name in ("swish", "hard_swish"):
        return activations.get(name)
    raise TypeError(f"Could not locate function '{name}' for `{arg}`. Pass it in `custom_objects` (e.g. "
                    f"custom_objects={{'{name}': {name}}}) to the loading function. Full config: {config!r}")


def _deserialize(config, custom_objects, safe, arg):
    """The value a config holds (Keras's deserialize_keras_object, for a Lambda's entries)."""
    if isinstance(config, (list, tuple)):
        return [_deserialize(c, custom_objects, safe, arg) for c in config]
    if not isinstance(config, dict):
        return config
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(v, custom_objects, safe, arg) for key, v in config.items()}
    class_name, inner = config["class_name"], config["config"]
    if class_name in ("__numpy__", "__tensor__"):  # convkit has no tensors: both come back as arrays
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__lambda__":
        _refuse_lambda(safe)
        code, defaults, closure = inner["value"] if "value" in inner else (
            inner["code"], inner.get("defaults"), inner.get("closure"))
        return _load_function(code, defaults, closure, custom_objects)
    if class_name == "function" or isinstance(inner, str):
        return _resolve_function(config, custom_objects, arg)
    raise TypeError(f"Cannot deserialize `{arg}`: convkit's Lambda reads numbers, arrays, lambdas and named "
                    f"functions, not objects of class '{class_name}'. Full config: {config!r}")


def _legacy_function(config, key, custom_objects, safe):
    """Keras 2 (tf.keras) wrote `<key>_type` 'lambda' with the bytecode as [code, defaults,
    closure] (or the code alone), or 'function' with the function's name."""
    kind = config.pop(f"{key}_type", None)
    config.pop(f"{key}_module", None)
    value = config[key]
    if kind == "lambda":
        _refuse_lambda(safe)
        code, defaults, closure = value if isinstance(value, (list, tuple)) else (value, None, None)
        return _load_function(code, defaults, closure, custom_objects)
    if kind == "function" or (key == "function" and isinstance(value, str)):
        return _resolve_function(value, custom_objects, key)
    return _deserialize(value, custom_objects, safe, key)


# ---- arrays in and out ------------------------------------------------------------------------

def _to_numpy(value):
    """A numpy array from whatever a user's function returned (numpy, a torch tensor, ...)."""
    if isinstance(value, np.ndarray):
        return value
    if not isinstance(value, np.generic):
        if hasattr(value, "detach"):  # a torch tensor that may need gradients
            value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        if hasattr(value, "numpy"):
            value = value.numpy()
    return np.asarray(value)


def _is_one_array(value):
    """A list/tuple of plain numbers is one array; any other list/tuple is several inputs."""
    return all(isinstance(v, (bool, int, float, np.generic)) for v in value)


def _private_float32(x):
    # the user's function may modify its argument in place: never let it see the caller's array
    arr = _args.as_float32_array(x, "inputs")
    if isinstance(x, np.ndarray) and np.may_share_memory(arr, x):
        arr = arr.copy()
    return arr


def _shape_or_shapes(value):
    """output_shape given as a tuple (or list) of dims, or a list of those -> tuple(s); None when
    it is neither."""
    if isinstance(value, (list, tuple)) and all(d is None or _args._is_int(d) for d in value):
        return tuple(None if d is None else int(d) for d in value)
    if isinstance(value, (list, tuple)) and value:
        shapes = [_shape_or_shapes(s) for s in value]
        return None if any(s is None or isinstance(s, list) for s in shapes) else shapes
    return None


class Lambda(Layer):
    """Keras's `Lambda(function, output_shape=None, mask=None, arguments=None)`: `function(inputs,
    **arguments)` as a layer, called on numpy float32 arrays (see the module's docstring for
    functions written with keras.ops). A function with a `mask` parameter gets the input's mask;
    one with a `training` parameter gets training=False (convkit runs inference; training=True is
    refused for it).

    output_shape: the output's shape without the batch dimension (a tuple, or a list of tuples
    for several outputs), or a callable of the full input shape; inferred when None by running
    the function (see _infer_output_shape). mask: None, a callable `mask(inputs, input_mask)`, or
    a fixed mask array returned whatever the input."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Argument `function` must be callable. Received: function={function!r} "
                            f"(of type {type(function)})")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Argument `arguments` must be a dict of keyword arguments for `function`. "
                            f"Received: arguments={arguments!r} (of type {type(arguments)})")
        if output_shape is not None and not callable(output_shape) and _shape_or_shapes(output_shape) is None:
            raise TypeError("Argument `output_shape` must be None, a callable of the input shape, a tuple of "
                            "integers (None for an unknown size) without the batch dimension, or a list of such "
                            f"tuples. Received: output_shape={output_shape!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None  # as Keras: the layer passes on a mask only if told how
        self._output_shape = output_shape
        try:
            parameters = inspect.getfullargspec(function).args
        except TypeError:  # numpy ufuncs and other builtins have no inspectable signature: they take neither
            parameters = []
        self._fn_expects_training_arg = "training" in parameters
        self._fn_expects_mask_arg = "mask" in parameters

    # ---- calling --------------------------------------------------------------------------------

    def _takes_list(self):
        return True  # several inputs reach the function as a list, as in Keras

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)) and not _is_one_array(inputs):
            return [_private_float32(x) for x in inputs]
        return _private_float32(inputs)

    def _differs_in_training(self):
        return self._fn_expects_training_arg  # the function may branch on `training`

    def _makes_mask(self):
        return self.mask is not None

    def call(self, inputs, mask=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = False
        return self._as_outputs(self.function(inputs, **kwargs))

    def _as_outputs(self, result):
        if isinstance(result, (list, tuple)):
            return [self._as_outputs(r) for r in result]
        if result is None or isinstance(result, (dict, str, bytes)):
            raise TypeError(f"The function of Lambda layer '{self.name}' must return an array, a tensor or a list "
                            f"of them. It returned {type(result)}.")
        try:
            return _args.as_float32_array(_to_numpy(result), "inputs")
        except TypeError as exc:
            raise TypeError(f"The function of Lambda layer '{self.name}' must return numeric arrays or tensors; "
                            f"its output could not be converted: {exc}") from None

    def compute_mask(self, inputs, mask=None):
        value = self.mask(inputs, mask) if callable(self.mask) else self.mask
        return _as_mask(value)

    # ---- shapes -------------------------------------------------------------------------------

    def compute_output_shape(self, input_shape):
        input_shape = standardize_shape(input_shape)
        if self._output_shape is None:
            return self._infer_output_shape(input_shape)
        if callable(self._output_shape):
            return standardize_shape(self._output_shape(input_shape))
        # a given shape leaves out the batch dimension: the first input's is put in front
        batch = (input_shape[0] if isinstance(input_shape, list) else input_shape)[0]
        shapes = _shape_or_shapes(self._output_shape)
        if isinstance(shapes, list):
            return [(batch,) + s for s in shapes]
        return (batch,) + shapes

    def _probe_shapes(self, input_shape, size):
        def ones(shape):
            return np.ones([size if d is None else d for d in shape], np.float32)

        x = [ones(s) for s in input_shape] if isinstance(input_shape, list) else ones(input_shape)
        with np.errstate(all="ignore"):
            y = self.call(x)
        return [out.shape for out in y] if isinstance(y, list) else y.shape

    def _infer_output_shape(self, input_shape):
        # As Keras's torch backend: run the function on ones, every unknown input size set to 83.
        # With unknown sizes, run it again with 89: an output size that changes with them is
        # unknown (None), one that does not is fixed. A function that fails on these arrays
        # needs `output_shape`.
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        has_unknown = any(d is None for shape in shapes for d in shape)
        try:
            first = self._probe_shapes(input_shape, _PROBE_SIZES[0])
            if not has_unknown:
                return first
            second = self._probe_shapes(input_shape, _PROBE_SIZES[1])
            firsts, seconds = (first, second) if isinstance(first, list) else ([first], [second])
            if len(firsts) != len(seconds) or any(len(a) != len(b) for a, b in zip(firsts, seconds)):
                raise ValueError("the number or rank of the outputs depends on the unknown input sizes")
            merged = [tuple(a_d if a_d == b_d else None for a_d, b_d in zip(a, b)) for a, b in zip(firsts, seconds)]
            return merged if isinstance(first, list) else merged[0]
        except Exception as exc:
            raise NotImplementedError(
                "We could not automatically infer the shape of the Lambda's output. Please specify the "
                f"`output_shape` argument for this Lambda layer (layer '{self.name}', input shape {input_shape}; "
                f"running the function on arrays of ones of that shape failed: {exc})") from exc

    # ---- config -------------------------------------------------------------------------------

    def get_config(self):
        config = {"function": _function_config(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_function_config(self._output_shape) if callable(self._output_shape)
                                      else self._output_shape)
        if self.mask is not None:
            config["mask"] = _function_config(self.mask) if callable(self.mask) else _serialize(self.mask, "mask")
        config["arguments"] = _serialize(self.arguments, "arguments")
        return config_with(self, **config)

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """A Lambda from its config. A lambda's bytecode is loaded only where unsafe
        deserialisation is allowed: `safe_mode=False` here or, when safe_mode is None, the
        ambient flag (SafeModeScope / enable_unsafe_deserialization); unset counts as safe."""
        effective = safe_mode if safe_mode is not None else in_safe_mode()
        safe = effective is not False
        config = dict(config)  # the caller's config is left as it was
        config["function"] = _legacy_function(config, "function", custom_objects, safe)
        if "output_shape" in config:
            value = _legacy_function(config, "output_shape", custom_objects, safe)
            shape = None if callable(value) else _shape_or_shapes(value)
            config["output_shape"] = value if shape is None else shape  # (a bad value is refused by __init__)
        if config.get("mask") is not None:  # (Keras 3 passes a serialized mask through unread)
            config["mask"] = _deserialize(config["mask"], custom_objects, safe, "mask")
        if "arguments" in config:
            config["arguments"] = _deserialize(config["arguments"], custom_objects, safe, "arguments")
        return cls(**config)


def _as_mask(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)) and not _is_one_array(value):
        return [_as_mask(v) for v in value]
    return np.asarray(_to_numpy(value)).astype(bool)
