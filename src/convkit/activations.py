"""Activations by Keras 3 name.

Elementwise activations map onto the C core's fused epilogue (`kind` is the C enum value, see
csrc/include/convkit/activation.h), so a layer applies them while its output is still in cache.
softmax / log_softmax reduce along an axis and are applied after the kernel (row by row in C over
the last axis, NumPy over others); a user's callable is applied after the kernel too.

Keras's activation functions are here under their names and signatures too (`relu(x, negative_slope=0.0,
max_value=None, threshold=0.0)`, `gelu(x, approximate=False)`, ...): on arrays they return numpy arrays, computed as
convkit.ops's functions of the same name compute them; on a functional model's symbolic tensors they add the
operations Keras adds. Passed as a layer's `activation`, `get` turns them (and Keras's own functions) into the fused
kernels their names stand for.
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
# Keras's other activations: applied after the kernel by this module's functions below
_UNFUSED = ("celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus", "sparse_sigmoid",
            "sparsemax", "squareplus", "tanh_shrink", "threshold")
# Keras's aliases: keras.activations.get("swish") is silu, so a config names it "silu"
_CANONICAL = {"swish": "silu", "hard_swish": "hard_silu"}
NAMES = tuple(sorted(_FUSED) + list(_AXIS) + list(_UNFUSED))


def _softmax_last_axis(x, log=False):
    """Softmax (log-softmax) over the last axis, row by row in C."""
    arr = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty_like(arr)
    if arr.size:
        _core.softmax_rows(arr.reshape(-1, arr.shape[-1]), log, out.reshape(-1, arr.shape[-1]))
    return out


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
    def __name__(self):  # Keras's layers hold functions: `layer.activation.__name__` names the activation
        return self.name

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
    """None, a name, Keras's config of a built-in activation, an Activation or a callable -> Activation. Keras's
    activation functions (this module's or Keras's own) become the fused kernel of their name."""
    if identifier is None:
        return Activation("linear", 0, 0.0)
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, dict):
        return get(deserialize(identifier))
    if isinstance(identifier, str):
        name = identifier.lower()
        name = _CANONICAL.get(name, name)
        if name in _FUSED:
            kind, alpha = _FUSED[name]
            return Activation(name, kind, alpha)
        if name in _AXIS:
            return Activation(name, -1)
        if name in _UNFUSED:
            return Activation(name, -1, 0.0, _FUNCTIONS[name])
        raise ValueError(
            f"Unknown activation: '{identifier}'. Expected one of {list(NAMES)} or a callable. "
            f"Received: activation={identifier!r}"
        )
    if callable(identifier):
        name = _builtin_name(identifier)
        if name is not None:
            return get(name)
        name = getattr(identifier, "__name__", type(identifier).__name__)
        return Activation(name, -1, 0.0, identifier)
    raise TypeError(
        f"The `activation` argument must be a string, a callable or None. Received: activation={identifier!r}"
    )


def _builtin_name(fn):
    """The name of Keras's activation function `fn` (one of this module's or of keras.activations), else None."""
    name = _NAME_OF.get(fn) if isinstance(fn, _FUNCTION_TYPES) else None
    if name is None and getattr(fn, "__module__", "").startswith("keras.") and getattr(fn, "__name__", None) in NAMES:
        name = fn.__name__
    return name


def serialize(activation):
    """The name a layer's config stores for `activation` (Keras's: `swish` is stored as "silu")."""
    return get(activation).name


def deserialize(config, custom_objects=None):
    """Keras's activation function for a name or Keras's config of a function ({"class_name": "function",
    "config": "relu", ...}); `custom_objects` (name -> callable) are looked up first."""
    name = config.get("config") if isinstance(config, dict) else config
    if isinstance(config, dict) and config.get("class_name") not in (None, "function"):
        raise ValueError(f"An activation's config names a function (class_name 'function'). Received: config={config!r}")
    if not isinstance(name, str):
        raise TypeError(f"`config` must be an activation's name or Keras's config of one. Received: config={config!r}")
    custom_objects = custom_objects or {}
    if name in custom_objects:
        return custom_objects[name]
    canonical = _CANONICAL.get(name, name)
    if canonical in _FUNCTIONS:
        return _FUNCTIONS[canonical]
    from convkit import _registration  # (imported when used: the registry sits above this module)
    registered = _registration.get_registered_object(name)
    if registered is not None:
        return registered
    raise ValueError(f"Unknown activation function: '{name}'. Expected one of {list(NAMES)}, a registered function or "
                     f"one in `custom_objects`. Received: config={config!r}")


def fused(name, alpha=None):
    """The fused Activation `name` with its parameter `alpha` (leaky_relu's negative slope, elu's alpha) instead of
    Keras's default: the LeakyReLU and ELU layers and operations use this."""
    kind, default = _FUSED[name]
    return Activation(name, kind, default if alpha is None else float(alpha))


# ---- Keras's activation functions ----------------------------------------------------------------------------------
# Each computes as convkit.ops's function of its name (on arrays: that operation's code, which runs the fused kernels
# above; on symbolic tensors: Keras's operation node), so `activations.relu(x)` and `ops.relu(x)` agree, as in Keras.

def _ops():
    from convkit import keras_ops  # (imported when used: keras.ops's functions sit above this module)
    return keras_ops


def _is_symbolic(x):
    from convkit.layers.symbolic import KerasTensor
    return isinstance(x, KerasTensor)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0); with Keras's options: `negative_slope` times (x - threshold) below `threshold`, values at or below
    `threshold` set to 0, values clipped at `max_value`."""
    ops = _ops()
    if negative_slope == 0.0 and max_value is None and threshold == 0:
        return ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    # Keras's composition, step by step, so that the numbers are its own
    if not _is_symbolic(x):
        x = ops.convert_to_tensor(x)
    negative_part = None
    if negative_slope != 0.0:
        negative_part = ops.relu(ops.add(ops.negative(x), threshold) if threshold != 0 else ops.negative(x))
    clip_max = max_value is not None
    if threshold != 0:
        x = ops.where(ops.greater(x, ops.cast(threshold, x.dtype)), x, 0)
    elif max_value == 6:
        x, clip_max = ops.relu6(x), False
    else:
        x = ops.relu(x)
    if clip_max:
        x = ops.clip(x, 0.0, max_value)
    if negative_part is not None:
        x = ops.subtract(x, ops.multiply(negative_slope, negative_part))
    return x


def leaky_relu(x, negative_slope=0.2):
    """x where x > 0, negative_slope * x elsewhere."""
    return _ops().leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return _ops().relu6(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (an int or a tuple of ints). On arrays: a new float32 array, in C over the
    last axis, else NumPy."""
    if _is_symbolic(x):
        return _ops().softmax(x, axis=axis)
    if axis == -1 or axis == np.ndim(x) - 1:
        return _softmax_last_axis(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32, copy=False)


def log_softmax(x, axis=-1):
    """x - log(sum(exp(x))) along `axis`."""
    if _is_symbolic(x):
        return _ops().log_softmax(x, axis=axis)
    return _log_softmax(x, axis=axis)


def elu(x, alpha=1.0):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    return _ops().elu(x, alpha=alpha)


def selu(x):
    """The scaled ELU of Klambauer et al. (2017), with their constants."""
    return _ops().selu(x)


def softplus(x):
    """log(exp(x) + 1)."""
    return _ops().softplus(x)


def softsign(x):
    """x / (|x| + 1)."""
    return _ops().softsign(x)


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, 0 between."""
    return _ops().soft_shrink(x, threshold=threshold)


def sparse_plus(x):
    """0 at or below -1, (x + 1)^2 / 4 between -1 and 1, x from 1."""
    return _ops().sparse_plus(x)


def silu(x):
    """x * sigmoid(x) (swish)."""
    return _ops().silu(x)


swish = silu  # Keras's swish is its silu


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    return _ops().squareplus(x, b=b)


def gelu(x, approximate=False):
    """x * Phi(x), Phi the standard normal CDF (approximate=True: its tanh approximation)."""
    return _ops().gelu(x, approximate=approximate)


def celu(x, alpha=1.0):
    """max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _ops().celu(x, alpha=alpha)


def glu(x, axis=-1):
    """a * sigmoid(b), a and b the two halves of x along `axis`."""
    return _ops().glu(x, axis=axis)


def tanh(x):
    """The hyperbolic tangent."""
    return _ops().tanh(x)


def tanh_shrink(x):
    """x - tanh(x)."""
    return _ops().tanh_shrink(x)


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    return _ops().hard_tanh(x)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, 0 elsewhere."""
    return _ops().hard_shrink(x, threshold=threshold)


def threshold(x, threshold, default_value):
    """x where x > threshold, default_value elsewhere."""
    return _ops().threshold(x, threshold, default_value)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return _ops().sigmoid(x)


def exponential(x):
    """exp(x)."""
    return _ops().exp(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return _ops().hard_sigmoid(x)


def log_sigmoid(x):
    """log(sigmoid(x)), without overflow."""
    return _ops().log_sigmoid(x)


def sparse_sigmoid(x):
    """0 at or below -1, (x + 1) / 2 between -1 and 1, 1 from 1."""
    return _ops().sparse_sigmoid(x)


def hard_silu(x):
    """x * hard_sigmoid(x) (hard swish)."""
    return _ops().hard_silu(x)


hard_swish = hard_silu  # Keras's hard_swish is its hard_silu


def linear(x):
    """x itself (Keras returns its argument)."""
    return x


def mish(x):
    """x * tanh(softplus(x)) (Misra, 2019): on arrays the fused kernel; on symbolic tensors Keras's operations."""
    if _is_symbolic(x):
        ops = _ops()
        return ops.multiply(x, ops.tanh(ops.softplus(x)))
    return get("mish")(_ops().convert_to_tensor(x))


def sparsemax(x, axis=-1):
    """The Euclidean projection of x onto the probability simplex along `axis` (Martins & Astudillo, 2016)."""
    return _ops().sparsemax(x, axis=axis)


_FUNCTIONS = {
    "relu": relu, "leaky_relu": leaky_relu, "relu6": relu6, "softmax": softmax, "log_softmax": log_softmax,
    "elu": elu, "selu": selu, "softplus": softplus, "softsign": softsign, "soft_shrink": soft_shrink,
    "sparse_plus": sparse_plus, "silu": silu, "squareplus": squareplus, "gelu": gelu, "celu": celu, "glu": glu,
    "tanh": tanh, "tanh_shrink": tanh_shrink, "hard_tanh": hard_tanh, "hard_shrink": hard_shrink,
    "threshold": threshold, "sigmoid": sigmoid, "exponential": exponential, "hard_sigmoid": hard_sigmoid,
    "log_sigmoid": log_sigmoid, "sparse_sigmoid": sparse_sigmoid, "hard_silu": hard_silu, "linear": linear,
    "mish": mish, "sparsemax": sparsemax,
}
_NAME_OF = {fn: name for name, fn in _FUNCTIONS.items()}
_FUNCTION_TYPES = (type(linear),)
