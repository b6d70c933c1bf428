"""Keras operations inside a functional model: `x + 3.0`, `x * (1 / 6)`, `keras.ops.relu6(x)`, ...
written in a model's code become nodes of their own in its saved config (module
`keras.src.ops.numpy` / `keras.src.ops.nn`), between the layers. Keras's MobileNetV3 builds its
hard-swish that way. `KerasOperation` replays such a node: the operation's name and its
arguments, with the positions of the tensors and the constants as the config gives them.

Element-wise operations: the NumPy arithmetic ones (computed in float32, a Python constant
taking the tensor's dtype as in Keras) and the activations of `keras.ops.nn`, which run convkit's
activation kernels. And the boolean operations Keras writes into a saved model to compute its
masks (NotEqual of Embedding(mask_zero=True) or Masking, Any, LogicalOr of the merges,
ExpandDims / ZerosLike / OnesLike / Concatenate of Concatenate's mask; see convkit/_masking.py),
which give boolean arrays. Any other operation is a clear error when the model loads."""
import numpy as np

from convkit import _args, activations
from convkit.layers.base import Layer

_BINARY = {"Add": np.add, "Subtract": np.subtract, "Multiply": np.multiply, "Divide": np.true_divide,
           "TrueDivide": np.true_divide, "Maximum": np.maximum, "Minimum": np.minimum, "Power": np.power}
_UNARY = {"Negative": np.negative, "Absolute": np.absolute, "Abs": np.absolute, "Square": np.square,
          "Sqrt": np.sqrt}
# keras.ops names -> convkit activation names (the same functions the Activation layer runs)
_ACTIVATIONS = {"Relu": "relu", "Relu6": "relu6", "Sigmoid": "sigmoid", "HardSigmoid": "hard_sigmoid",
                "Silu": "silu", "Swish": "silu", "HardSilu": "hard_silu", "HardSwish": "hard_silu",
                "Softplus": "softplus", "Softsign": "softsign", "Selu": "selu", "Tanh": "tanh"}
# boolean results (the masks a saved Keras model computes in its graph)
_COMPARE = {"NotEqual": np.not_equal, "Equal": np.equal, "Greater": np.greater, "GreaterEqual": np.greater_equal,
            "Less": np.less, "LessEqual": np.less_equal, "LogicalOr": np.logical_or, "LogicalAnd": np.logical_and}
_SHAPED = {"Any", "All", "LogicalNot", "ExpandDims", "Squeeze", "ZerosLike", "OnesLike", "ConvertToTensor"}
_OPTIONS = {"Any": {"axis": None, "keepdims": False}, "All": {"axis": None, "keepdims": False}, "LogicalNot": {},
            "ExpandDims": {"axis": None}, "Squeeze": {"axis": None}, "ZerosLike": {"dtype": None},
            "OnesLike": {"dtype": None}, "Concatenate": {"axis": 0},
            "ConvertToTensor": {"dtype": None, "sparse": None, "ragged": None}}
NUMERIC = sorted(set(_BINARY) | set(_UNARY) | set(_ACTIVATIONS))
MASK_OPERATIONS = sorted(set(_COMPARE) | set(_OPTIONS))
SUPPORTED = sorted(set(NUMERIC) | set(MASK_OPERATIONS))


def _is_tensor_arg(item):
    return item is None or (isinstance(item, dict) and item.get("class_name") == "__keras_tensor__")


def _broadcast(shapes):
    """NumPy's broadcast of shapes that may hold None (an unknown batch size)."""
    rank = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (rank - len(s)) + tuple(s) for s in shapes]):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"Operands could not be broadcast together with shapes {shapes}")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


class KerasOperation(Layer):
    """One Keras operation node of a functional model. `operation` is the operation's class
    name in Keras (e.g. 'Add', 'Relu6'); `arguments` its positional arguments, with None where
    a tensor goes (in order) and the constants as given."""

    def __init__(self, operation, arguments=(None,), options=None, **kwargs):
        super().__init__(**kwargs)
        if operation not in SUPPORTED:
            raise ValueError(f"convkit does not support the Keras operation '{operation}' in a model. Supported "
                             f"operations: {SUPPORTED}")
        arguments = list(arguments)
        n_tensors = sum(1 for a in arguments if a is None)
        if operation == "Concatenate":
            expected = len(arguments)  # a list of tensors
            if n_tensors != expected or expected < 1:
                raise ValueError(f"The Keras operation 'Concatenate' takes a list of tensors. Received: "
                                 f"arguments={arguments}")
        else:
            expected = 2 if operation in _BINARY or operation in _COMPARE else 1
        if len(arguments) != expected or n_tensors < 1:
            raise ValueError(f"The Keras operation '{operation}' takes {expected} argument(s), at least one of them a "
                             f"tensor. Received: arguments={arguments}")
        for a in arguments:
            if a is not None and np.asarray(a).dtype.kind not in "biuf":
                raise ValueError(f"Constant arguments of '{operation}' must be numbers. Received: {a!r}")
        allowed = _OPTIONS.get(operation, {})
        options = dict(options or {})
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ValueError(f"The Keras operation '{operation}' takes the options {sorted(allowed)}. Received: "
                             f"{unknown}")
        self.operation = operation
        self.arguments = arguments
        self.options = {**allowed, **options}
        self._n_tensors = n_tensors
        # the constants as the tensors' float32, as Keras converts them; converted once
        self._constants = [None if a is None else np.asarray(a, np.float32) for a in arguments]

    @classmethod
    def from_keras_entry(cls, entry):
        """From a layer entry of a Keras config whose module is keras.src.ops.*."""
        nodes = entry.get("inbound_nodes") or [{}]
        args = nodes[0].get("args", [])
        if entry["class_name"] == "Concatenate" and len(args) == 1 and isinstance(args[0], list):
            args = args[0]  # ops.concatenate([a, b]): one list of tensors
        arguments = [None if _is_tensor_arg(a) else a for a in args]
        config = dict(entry.get("config") or {})
        name = config.pop("name", entry.get("name"))
        return cls(entry["class_name"], arguments, options=config, name=name)

    def _takes_list(self):
        return self._n_tensors > 1

    def _convert_inputs(self, inputs):
        # booleans (masks) stay booleans; numbers become float32 as Keras's float tensors
        def convert(x):
            arr = np.asarray(x)
            return arr if arr.dtype == bool else _args.as_float32_array(arr, "inputs")

        if self._n_tensors > 1:
            return [convert(x) for x in inputs]
        return convert(inputs)

    def _output_dtype(self, inputs):
        name = self.operation
        if name in _COMPARE or name in ("Any", "All", "LogicalNot"):
            return "bool"
        if name in ("ZerosLike", "OnesLike", "ConvertToTensor"):
            return self.options["dtype"] or getattr(inputs, "dtype", "float32")
        if name in ("ExpandDims", "Squeeze", "Concatenate"):
            first = inputs[0] if isinstance(inputs, list) else inputs
            return getattr(first, "dtype", "float32")
        return "float32"

    def call(self, inputs):
        tensors = iter(inputs if self._n_tensors > 1 else [inputs])
        values = [next(tensors) if c is None else c for c in self._constants]
        name, opt = self.operation, self.options
        if name in _ACTIVATIONS:
            return activations.get(_ACTIVATIONS[name])(values[0])
        if name in _COMPARE:
            return np.ascontiguousarray(_COMPARE[name](*values))
        if name in ("Any", "All"):
            axis = tuple(opt["axis"]) if isinstance(opt["axis"], list) else opt["axis"]
            return np.ascontiguousarray((np.any if name == "Any" else np.all)(values[0], axis=axis,
                                                                               keepdims=opt["keepdims"]))
        if name == "LogicalNot":
            return np.logical_not(values[0])
        if name == "ExpandDims":
            return np.ascontiguousarray(np.expand_dims(values[0], opt["axis"]))
        if name == "Squeeze":
            axis = tuple(opt["axis"]) if isinstance(opt["axis"], list) else opt["axis"]
            return np.ascontiguousarray(np.squeeze(values[0], axis=axis))
        if name in ("ZerosLike", "OnesLike"):
            dtype = opt["dtype"] or values[0].dtype
            return (np.zeros if name == "ZerosLike" else np.ones)(values[0].shape, dtype=dtype)
        if name == "Concatenate":
            return np.concatenate(values, axis=opt["axis"])
        if name == "ConvertToTensor":
            if opt["sparse"] or opt["ragged"]:
                raise ValueError(f"Operation '{self.name}': convkit has no sparse or ragged tensors.")
            return np.array(values[0], dtype=opt["dtype"] or values[0].dtype)
        fn = _BINARY.get(name) or _UNARY[name]
        return np.asarray(fn(*values), dtype=np.float32)

    def compute_output_shape(self, input_shape):
        shapes = list(input_shape) if self._n_tensors > 1 else [input_shape]
        name, opt = self.operation, self.options
        if name in _SHAPED or name == "Concatenate":
            shape = list(shapes[0])
            if name in ("Any", "All"):
                if opt["axis"] is None:
                    return tuple(1 for _ in shape) if opt["keepdims"] else ()
                axes = [a % len(shape) for a in (opt["axis"] if isinstance(opt["axis"], list) else [opt["axis"]])]
                return tuple(1 if i in axes else d for i, d in enumerate(shape) if opt["keepdims"] or i not in axes)
            if name == "ExpandDims":
                axis = opt["axis"] % (len(shape) + 1)
                return tuple(shape[:axis] + [1] + shape[axis:])
            if name == "Squeeze":
                if opt["axis"] is None:
                    return tuple(d for d in shape if d != 1)
                axes = [a % len(shape) for a in (opt["axis"] if isinstance(opt["axis"], list) else [opt["axis"]])]
                return tuple(d for i, d in enumerate(shape) if i not in axes)
            if name == "Concatenate":
                axis = opt["axis"] % len(shape)
                sizes = [tuple(s)[axis] for s in shapes]
                shape[axis] = None if None in sizes else sum(sizes)
            return tuple(shape)
        tensors = iter(shapes)
        return _broadcast([tuple(next(tensors)) if a is None else np.shape(a) for a in self.arguments])

    def get_config(self):
        config = super().get_config()
        config.update({"operation": self.operation, "arguments": self.arguments})
        options = {k: v for k, v in self.options.items() if v != _OPTIONS.get(self.operation, {}).get(k)}
        if options:
            config["options"] = options
        return config
