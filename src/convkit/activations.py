"""Activations by Keras 3 name.

Elementwise activations map onto the C core's fused epilogue (`kind` is the C enum value, see
csrc/include/convkit/activation.h), so a layer applies them while its output is still in cache.
softmax / log_softmax reduce along an axis and are applied after the kernel (row by row in C over
the last axis, NumPy over others); a user's callable is applied after the kernel too.
"""
import numpy as np

from convkit import _args
from convkit._ext import _core

# name -> (C kind, alpha). The C enum is the source of truth; keep in sync with activation.h.
_FUSED = {
    "linear": (0, 0.0),
    "relu": (1, 0.0),
    "relu6": (2, 0.0),
    "leaky_relu": (3, 0.2),  # keras.activations.leaky_relu(negative_slope=0.2)
    "elu": (4, 1.0),
    "selu": (5, 0.0),
    "sigmoid": (6, 0.0),
    "hard_sigmoid": (7, 0.0),
    "tanh": (8, 0.0),
    "softplus": (9, 0.0),
    "softsign": (10, 0.0),
    "silu": (11, 0.0),
    "swish": (11, 0.0),
    "gelu": (12, 0.0),  # keras.activations.gelu(approximate=False)
    "gelu_approximate": (13, 0.0),
    "exponential": (14, 0.0),
    "hard_silu": (15, 0.0),
    "hard_swish": (15, 0.0),
    "mish": (16, 0.0),
}
_AXIS = ("softmax", "log_softmax")
# Keras's aliases: keras.activations.get("swish") is silu, so a config names it "silu"
_CANONICAL = {"swish": "silu", "hard_swish": "hard_silu"}
NAMES = tuple(sorted(_FUSED) + list(_AXIS))


def _softmax_last_axis(x, log=False):
    """Softmax (log-softmax) over the last axis, row by row in C."""
    arr = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty_like(arr)
    if arr.size:
        _core.softmax_rows(arr.reshape(-1, arr.shape[-1]), log, out.reshape(-1, arr.shape[-1]))
    return out


def softmax(x, axis=-1):
    """Softmax of a float32 array along `axis` (an int or a tuple of ints): in C over the last
    axis, else NumPy. Returns a new float32 array."""
    if axis == -1 or axis == np.ndim(x) - 1:
        return _softmax_last_axis(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32, copy=False)


def _log_softmax(x, axis=-1):
    if axis == -1 or axis == np.ndim(x) - 1:
        return _softmax_last_axis(x, log=True)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return (shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))).astype(np.float32, copy=False)


class Activation:
    """A resolved activation: `kind` >= 0 when the C core can fuse it, -1 otherwise."""

    __slots__ = ("name", "kind", "alpha", "_fn")

    def __init__(self, name, kind=-1, alpha=0.0, fn=None):
        self.name = name
        self.kind = kind
        self.alpha = float(alpha)
        self._fn = fn

    @property
    def is_linear(self):
        return self.kind == 0

    @property
    def fusable(self):
        return self.kind >= 0

    def __call__(self, x):
        """Apply to an array; returns a new float32 array (the input is not modified)."""
        arr = _args.as_float32_array(x, "x")
        if self.kind >= 0:
            # Never write into the caller's memory: in place only on an array the conversion
            # made; otherwise read the input and write a new array in one pass.
            if arr is not x and arr.flags.owndata:
                _core.activation_inplace(arr.reshape(-1), self.kind, self.alpha)
                return arr
            out = np.empty_like(arr)
            _core.activation_copy(arr.reshape(-1), out.reshape(-1), self.kind, self.alpha)
            return out
        if self.name == "softmax":
            return softmax(arr)
        if self.name == "log_softmax":
            return _log_softmax(arr)
        return np.asarray(self._fn(arr), dtype=np.float32)

    def apply_inplace(self, out):
        """Apply to a float32 C-contiguous array the caller owns (a fresh kernel output)."""
        if self.kind == 0:
            return out
        if self.kind > 0:
            _core.activation_inplace(out.reshape(-1), self.kind, self.alpha)
            return out
        return self(out)

    def __repr__(self):
        return f"<convkit activation {self.name}>"


def get(identifier):
    """None, a name, an Activation or a callable -> Activation."""
    if identifier is None:
        return Activation("linear", 0, 0.0)
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        name = identifier.lower()
        name = _CANONICAL.get(name, name)
        if name in _FUSED:
            kind, alpha = _FUSED[name]
            return Activation(name, kind, alpha)
        if name in _AXIS:
            return Activation(name, -1)
        raise ValueError(
            f"Unknown activation: '{identifier}'. Expected one of {list(NAMES)} or a callable. "
            f"Received: activation={identifier!r}"
        )
    if callable(identifier):
        name = getattr(identifier, "__name__", type(identifier).__name__)
        return Activation(name, -1, 0.0, identifier)
    raise TypeError(
        f"The `activation` argument must be a string, a callable or None. Received: activation={identifier!r}"
    )


def serialize(activation):
    return get(activation).name


def leaky_relu(negative_slope=0.2):
    """A fused leaky_relu with a custom slope (LeakyReLU layers use this)."""
    return Activation("leaky_relu", 3, float(negative_slope))


def elu(alpha=1.0):
    return Activation("elu", 4, float(alpha))
