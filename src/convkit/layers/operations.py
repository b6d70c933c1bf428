"""Keras operations inside a functional model: `x + 3.0`, `x * (1 / 6)`, `keras.ops.relu6(x)`, ...
written in a model's code become nodes of their own in its saved config (module
`keras.src.ops.numpy` / `keras.src.ops.nn`), between the layers. Keras's MobileNetV3 builds its
hard-swish that way. `KerasOperation` replays such a node: the operation's name and its
arguments, with the positions of the tensors and the constants as the config gives them.

Element-wise operations only: the NumPy arithmetic ones (computed in float32, a Python constant
taking the tensor's dtype as in Keras) and the activations of `keras.ops.nn`, which run convkit's
activation kernels. Any other operation is a clear error when the model loads."""
import numpy as np

from convkit import activations
from convkit.layers.base import Layer

_BINARY = {"Add": np.add, "Subtract": np.subtract, "Multiply": np.multiply, "Divide": np.true_divide,
           "TrueDivide": np.true_divide, "Maximum": np.maximum, "Minimum": np.minimum, "Power": np.power}
_UNARY = {"Negative": np.negative, "Absolute": np.absolute, "Abs": np.absolute, "Square": np.square,
          "Sqrt": np.sqrt}
# keras.ops names -> convkit activation names (the same functions the Activation layer runs)
_ACTIVATIONS = {"Relu": "relu", "Relu6": "relu6", "Sigmoid": "sigmoid", "HardSigmoid": "hard_sigmoid",
                "Silu": "silu", "Swish": "silu", "HardSilu": "hard_silu", "HardSwish": "hard_silu",
                "Softplus": "softplus", "Softsign": "softsign", "Selu": "selu", "Tanh": "tanh"}
SUPPORTED = sorted(set(_BINARY) | set(_UNARY) | set(_ACTIVATIONS))


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

    def __init__(self, operation, arguments=(None,), **kwargs):
        super().__init__(**kwargs)
        if operation not in SUPPORTED:
            raise ValueError(f"convkit does not support the Keras operation '{operation}' in a model. Supported "
                             f"operations: {SUPPORTED}")
        arguments = list(arguments)
        n_tensors = sum(1 for a in arguments if a is None)
        expected = 2 if operation in _BINARY else 1
        if len(arguments) != expected or n_tensors < 1:
            raise ValueError(f"The Keras operation '{operation}' takes {expected} argument(s), at least one of them a "
                             f"tensor. Received: arguments={arguments}")
        for a in arguments:
            if a is not None and np.asarray(a).dtype.kind not in "biuf":
                raise ValueError(f"Constant arguments of '{operation}' must be numbers. Received: {a!r}")
        self.operation = operation
        self.arguments = arguments
        self._n_tensors = n_tensors
        # the constants as the tensors' float32, as Keras converts them; converted once
        self._constants = [None if a is None else np.asarray(a, np.float32) for a in arguments]

    @classmethod
    def from_keras_entry(cls, entry):
        """From a layer entry of a Keras config whose module is keras.src.ops.*."""
        nodes = entry.get("inbound_nodes") or [{}]
        args = nodes[0].get("args", [])
        arguments = [None if _is_tensor_arg(a) else a for a in args]
        config = dict(entry.get("config") or {})
        return cls(entry["class_name"], arguments, name=config.get("name", entry.get("name")))

    def _takes_list(self):
        return self._n_tensors > 1

    def call(self, inputs):
        tensors = iter(inputs if self._n_tensors > 1 else [inputs])
        values = [next(tensors) if c is None else c for c in self._constants]
        name = self.operation
        if name in _ACTIVATIONS:
            return activations.get(_ACTIVATIONS[name])(values[0])
        fn = _BINARY.get(name) or _UNARY[name]
        return np.asarray(fn(*values), dtype=np.float32)

    def compute_output_shape(self, input_shape):
        tensors = iter(input_shape if self._n_tensors > 1 else [input_shape])
        return _broadcast([tuple(next(tensors)) if a is None else np.shape(a) for a in self.arguments])

    def get_config(self):
        config = super().get_config()
        config.update({"operation": self.operation, "arguments": self.arguments})
        return config
