"""Weight initializers with Keras 3's names, arguments and fan rules.

    initializers.get("glorot_uniform")            # by snake-case name
    initializers.get("GlorotUniform")             # by class name
    initializers.GlorotUniform(seed=7)            # an object; the same seed gives the same values
    initializers.get({"class_name": "RandomNormal", "config": {"stddev": 0.1}})

An initializer is called as `init(shape, dtype="float32")` and returns a float32 numpy array.
Random values come from numpy (convkit does not reproduce Keras's random streams; copy Keras's
weights with `set_weights` to get Keras's numbers).
"""
import math

import numpy as np

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
    "LecunUniform", "LecunNormal", "Orthogonal", "get", "serialize", "deserialize", "compute_fans",
]

_global_rng = np.random.default_rng()


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) as Keras computes them: a conv kernel (k..., in, out) counts the
    receptive field size times the channels; explicit input/output axes override that."""
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _check_shape(shape):
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"`shape` must be a tuple of integers. Received: shape={shape!r}") from None
    if any(d < 0 for d in shape):
        raise ValueError(f"`shape` must not contain negative dimensions. Received: shape={shape}")
    return shape


class Initializer:
    """Base class: subclasses implement `_sample(shape, rng)` returning float64 or float32 values."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"`seed` must be an integer or None. Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    def _rng(self):
        return _global_rng if self.seed is None else np.random.default_rng(self.seed)

    def __call__(self, shape, dtype=None):
        shape = _check_shape(shape)
        return np.ascontiguousarray(self._sample(shape, self._rng()), dtype=np.float32).reshape(shape)

    def _sample(self, shape, rng):
        raise NotImplementedError(f"{type(self).__name__} does not define how to sample values")

    def get_config(self):
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__


class Zeros(Initializer):
    def __init__(self):
        super().__init__(None)

    def _sample(self, shape, rng):
        return np.zeros(shape, np.float32)

    def get_config(self):
        return {}


class Ones(Zeros):
    def _sample(self, shape, rng):
        return np.ones(shape, np.float32)


class Constant(Zeros):
    def __init__(self, value=0.0):
        super().__init__()
        self.value = float(value)

    def _sample(self, shape, rng):
        return np.full(shape, self.value, np.float32)

    def get_config(self):
        return {"value": self.value}


class Identity(Zeros):
    """gain times the identity matrix; 2-D shapes only (as Keras)."""

    def __init__(self, gain=1.0):
        super().__init__()
        self.gain = float(gain)

    def _sample(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer requires a 2-D shape. Received: shape={shape}")
        return self.gain * np.eye(shape[0], shape[1], dtype=np.float32)

    def get_config(self):
        return {"gain": self.gain}


class STFT(Zeros):
    """The real (side='real') or imaginary ('imag') part of the DFT kernels of a short-time Fourier transform, as
    Keras's STFT initializer makes them for a Conv1D: shape (frame_length, input_channels, fft_length // 2 + 1),
    each frame multiplied by `window` (a SciPy window name, an array of frame_length numbers or None) and divided
    by its root sum of squares (scaling='density'), its sum ('spectrum') or 1 (None). Computed in float32 step
    by step in Keras's order, so the kernels are Keras's to the last bit or two."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        super().__init__()
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                             f"scaling={scaling}")
        if isinstance(window, str):
            _window_values(window, 1, periodic)  # an unknown name fails here, as in Keras
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def _sample(self, shape, rng):
        if len(shape) != 3:
            raise ValueError(f"The STFT initializer takes a shape (frame_length, input_channels, fft_bins). "
                             f"Received: shape={shape}")
        frame_length, _, bins = shape
        f32 = np.float32
        freq = np.arange(bins, dtype=f32).reshape(1, 1, bins) / f32((bins - 1) * 2)
        time = np.arange(frame_length, dtype=f32).reshape(frame_length, 1, 1)
        angles = (f32(-2) * time) * freq * np.arccos(f32(-1))
        kernel = np.cos(angles) if self.side == "real" else np.sin(angles)
        if self.window is None:
            return kernel
        win = _window_values(self.window, frame_length, self.periodic).astype(f32)
        if win.ndim != 1 or win.shape[-1] != frame_length:
            raise ValueError(f"The shape of `window` must be equal to [frame_length]. Received: window "
                             f"shape={win.shape}")
        win = win.reshape(frame_length, 1, 1)
        scale = f32(1)
        if self.scaling == "density":
            scale = np.sqrt(np.sum(np.square(win)))
        elif self.scaling == "spectrum":
            scale = np.sum(np.abs(win))
        return kernel * win / scale

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


def _window_values(window, length, periodic):
    """A SciPy window by name (float64), or the user's array as given."""
    if isinstance(window, str):
        # (imported when used: the window formulas live with the audio layers, above this module)
        from convkit.layers.audio_preprocessing import scipy_window
        return scipy_window(window, length, periodic)
    return np.asarray(window, dtype=np.float64)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def _sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def _truncated_normal(rng, shape, stddev):
    """Normal values redrawn until they lie within two standard deviations (Keras's rule)."""
    values = rng.normal(0.0, 1.0, size=shape)
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(values) > 2.0
    return values * stddev


class TruncatedNormal(RandomNormal):
    def _sample(self, shape, rng):
        return self.mean + _truncated_normal(rng, shape, self.stddev)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def _sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, size=shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(Initializer):
    """Values with variance scale / fan (fan_in, fan_out or their mean)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        super().__init__(seed)
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        if not isinstance(scale, (int, float)) or scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale!r}")
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument: expected one of {list(_MODES)}. Received: mode={mode!r}")
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"Invalid `distribution` argument: expected one of {list(_DISTRIBUTIONS)}. "
                             f"Received: distribution={distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def _sample(self, shape, rng):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated to [-2, 2]
            return _truncated_normal(rng, shape, math.sqrt(variance) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), size=shape)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, size=shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _fixed_variance_scaling(class_name, scale, mode, distribution):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    return type(class_name, (VarianceScaling,), {
        "__init__": __init__, "get_config": get_config, "__module__": __name__,
        "__doc__": f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r}).",
    })


GlorotUniform = _fixed_variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _fixed_variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _fixed_variance_scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _fixed_variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _fixed_variance_scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _fixed_variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """An orthogonal matrix (from the QR of a normal matrix) reshaped to `shape`; all dims but
    the last are flattened into rows, as Keras does for conv kernels."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def _sample(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = rng.normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


def _snake(name):
    import re
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


_CLASSES = [Zeros, Ones, Constant, Identity, STFT, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
            Orthogonal]
_BY_NAME = {}
for _cls in _CLASSES:
    _BY_NAME[_cls.__name__] = _cls
    _BY_NAME[_snake(_cls.__name__)] = _cls
_BY_NAME.update({"normal": RandomNormal, "uniform": RandomUniform, "zero": Zeros, "one": Ones,
                 "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity})

# Keras's other names for the classes: keras.initializers.glorot_uniform is GlorotUniform, and so on
constant, zeros, ones, identity = Constant, Zeros, Ones, Identity
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal = LecunNormal, LecunUniform, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling
IdentityInitializer, OrthogonalInitializer, STFTInitializer, stft = Identity, Orthogonal, STFT, STFT


# ---- shared (de)serialisation helpers, also used by regularizers.py and constraints.py ----------

def _serialize_object(obj, module):
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
                "registered_name": None}
    return getattr(obj, "__name__", repr(obj))


def _lookup(identifier, table, base, kind, arg_name):
    """None | instance | class | name | {'class_name', 'config'} | callable -> object (or None)."""
    if identifier is None:
        return None
    if isinstance(identifier, base):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name not in table:
            raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Unknown class_name "
                             f"{name!r}; expected one of {sorted(table)}.")
        return table[name](**(identifier.get("config") or {}))
    if isinstance(identifier, str):
        if identifier not in table:
            raise ValueError(f"Could not interpret {kind} identifier: '{identifier}'. Expected one of "
                             f"{sorted(table)}. Received: {arg_name}={identifier!r}")
        return table[identifier]()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Expected a string, a dict, "
                     f"an object or a callable. Received: {arg_name}={identifier!r}")


def get(identifier, arg_name="initializer"):
    """Name, class name, config dict, Initializer object or callable(shape, dtype) -> initializer."""
    if identifier is None:
        raise ValueError(f"Could not interpret initializer identifier: None. Received: {arg_name}=None")
    return _lookup(identifier, _BY_NAME, Initializer, "initializer", arg_name)


def serialize(initializer):
    return _serialize_object(initializer, "convkit.initializers")


def deserialize(config):
    return get(config)
