"""The preprocessing layers Keras models carry inside them: Rescaling (the usual first layer of an
image model, `Rescaling(1./255)`), Identity, and the image augmentation layers (RandomFlip,
RandomRotation, RandomZoom, RandomTranslation, RandomContrast, RandomBrightness), which Keras
applies only in training and which pass images through unchanged at inference, so a saved
model with a data-augmentation block loads and predicts as in Keras. Being inference-only,
convkit refuses `training=True` on the augmentation layers rather than returning unaugmented
images. Arguments are checked and normalised as Keras does, so configs match."""
import numpy as np

from convkit import _args
from convkit.layers.base import Layer


def _deserialize_number(value, name):
    """A scale or offset from a config: a number, a list, or Keras's serialised NumPy array."""
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        cfg = value.get("config", {})
        value = np.asarray(cfg.get("value"), dtype=cfg.get("dtype", "float32"))
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"`{name}` must be a number or an array of numbers. Received: {name}={value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a number or an array of numbers. Received: {name}={value!r}")
    return value


def _serialize_number(value):
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    return value


class Rescaling(Layer):
    """inputs * scale + offset, in float32 (each rounded as Keras's float32 multiply and add). A
    list or array `scale` / `offset` broadcasts over the last axis (one value per channel)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _deserialize_number(scale, "scale")
        self.offset = _deserialize_number(offset, "offset")

    def call(self, inputs):
        scale = np.asarray(self.scale, np.float32)
        offset = np.asarray(self.offset, np.float32)
        out = np.multiply(inputs, scale, dtype=np.float32)
        out += offset
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": _serialize_number(self.scale), "offset": _serialize_number(self.offset)})
        return config


class _PassThrough(Layer):
    """A layer whose inference output is its input: a copy (outputs never alias inputs), and
    model plans read the input instead (Layer._passes_through)."""

    def call(self, inputs):
        return np.array(inputs, dtype=np.float32, copy=True)

    def _passes_through(self):
        return True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Identity(_PassThrough):
    """Returns its input (a copy: outputs never alias inputs)."""


# ---- image augmentation: the identity at inference -----------------------------------------

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _factor_pair(factor, bounds):
    """Keras's factor rule for RandomRotation, RandomContrast, RandomBrightness: a number f gives
    (max(-|f|, low), |f|), a pair is sorted; either must lie within `bounds`."""
    message = (f"The `factor` argument should be a number (or a list of two numbers) in the range "
               f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_number(f) for f in factor):
            raise ValueError(message)
        if factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if _number(factor):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(message)
        factor = abs(factor)
        return (max(-factor, bounds[0]), factor)
    raise ValueError(message)


def _check_geometric_factor(factor, name, low_inclusive, may_be_none=False):
    """RandomZoom / RandomTranslation: a number or a pair, each in (-1, 1] (zoom) or [-1, 1]
    (translation); None only for RandomZoom's width_factor. Stored as given, as Keras's config
    does."""
    if factor is None and may_be_none:
        return None
    values = factor if isinstance(factor, (tuple, list)) else [factor]
    if isinstance(factor, (tuple, list)) and len(factor) != 2:
        raise ValueError(f"The `{name}` argument should be a number or a list of two numbers. "
                         f"Received: {name}={factor}")
    for v in values:
        if not _number(v):
            raise ValueError(f"The `{name}` argument should be a number or a list of two numbers. "
                             f"Received: {name}={factor}")
        if v > 1.0 or (v < -1.0 if low_inclusive else v <= -1.0):
            low = "[-1.0" if low_inclusive else "(-1.0"
            raise ValueError(f"The `{name}` argument should be in the range {low}, 1.0]. Received: {name}={factor}")
    return tuple(factor) if isinstance(factor, list) else factor


def _check_choice(value, name, choices):
    if value not in choices:
        raise NotImplementedError(f"Unknown `{name}` {value}. Expected of one {choices}.")
    return value


class _Augmentation(_PassThrough):
    """Keras applies these only in training; at inference the images come back unchanged. Each
    class lists the attributes its config holds in `_config_keys`."""
    _config_keys = ("data_format", "seed")

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = _args.normalize_data_format(data_format)

    def _differs_in_training(self):
        return True

    def get_config(self):
        config = super().get_config()
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config


class RandomFlip(_Augmentation):
    """Random horizontal / vertical flips in training; the identity at inference."""
    _config_keys = _Augmentation._config_keys + ("mode",)

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode}")
        self.mode = mode


class RandomRotation(_Augmentation):
    """Random rotations by factor * 2 pi in training; the identity at inference."""
    _config_keys = _Augmentation._config_keys + ("factor", "fill_mode", "fill_value", "interpolation")

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (-1, 1))
        self.fill_mode = _check_choice(fill_mode, "fill_mode", _FILL_MODES)
        self.interpolation = _check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        self.fill_value = fill_value


class _ZoomOrTranslation(_Augmentation):
    _config_keys = _Augmentation._config_keys + ("height_factor", "width_factor", "fill_mode", "interpolation",
                                                 "fill_value")
    _low_inclusive = True  # translation factors reach -1; zoom factors stay above it (and zoom
    # alone lets width_factor be None: the height factor for both)

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = _check_geometric_factor(height_factor, "height_factor", self._low_inclusive)
        self.width_factor = _check_geometric_factor(width_factor, "width_factor", self._low_inclusive,
                                                    may_be_none=not self._low_inclusive)
        self.fill_mode = _check_choice(fill_mode, "fill_mode", _FILL_MODES)
        self.interpolation = _check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        self.fill_value = fill_value


class RandomZoom(_ZoomOrTranslation):
    """Random zooms in training; the identity at inference."""
    _low_inclusive = False

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(height_factor, width_factor, fill_mode, interpolation, seed, fill_value, data_format,
                         **kwargs)


class RandomTranslation(_ZoomOrTranslation):
    """Random translations in training; the identity at inference."""


class _ValueAugmentation(_Augmentation):
    _config_keys = _Augmentation._config_keys + ("factor", "value_range")
    _bounds = (-1, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_pair(factor, self._bounds)
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(_number(v) for v in value_range)):
            raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                             f"Received: value_range={value_range}")
        self.value_range = self._stored_range(value_range)

    def _stored_range(self, value_range):
        return value_range


class RandomContrast(_ValueAugmentation):
    """Random contrast changes in training; the identity at inference."""
    _bounds = (0, 1)


class RandomBrightness(_ValueAugmentation):
    """Random brightness changes in training; the identity at inference."""

    def _stored_range(self, value_range):
        return sorted(value_range)  # as Keras keeps it


# ---- Normalization --------------------------------------------------------------------------

_KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), the floor of the standard deviation


class Normalization(Layer):
    """(x - mean) / max(sqrt(variance), 1e-7) per position of the kept `axis` (invert=True:
    mean + x * max(sqrt(variance), 1e-7)), in float32 as Keras. The statistics come from the
    `mean` and `variance` arguments, from the layer's weights (mean, variance and count, in
    Keras's order: a model saved by Keras, `set_weights`) or from `adapt(data)`."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        else:
            axis = tuple(axis)
        self.axis = axis
        if (mean is not None) != (variance is not None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"When setting values directly, `mean` and `variance` must have the same shape. "
                                 f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes "
                                 f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self.adapt_mean = self.adapt_variance = self.count = None

    def _geometry(self, shape):
        ndim = len(shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={tuple(shape)}, with unknown axis at index {d}")
        return keep, [shape[d] if d in keep else 1 for d in range(ndim)]

    def build(self, input_shape):
        shape = tuple(input_shape)
        self._keep, self._broadcast_shape = self._geometry(shape)
        if self.input_mean is None:
            stats = tuple(shape[d] for d in self._keep)
            self.adapt_mean = self.add_weight(stats, "zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(stats, "ones", name="variance", trainable=False)
            self.count = self.add_weight((), "zeros", name="count", trainable=False)

    def _prepare(self):
        if self.input_mean is not None:
            mean = np.asarray(self.input_mean, np.float32)
            variance = np.asarray(self.input_variance, np.float32)
            if mean.ndim:  # its dims go to the kept axes from the right, as Keras aligns them
                expanded = [1] * len(self._broadcast_shape)
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep[-i]] = mean.shape[-i]
                mean, variance = mean.reshape(expanded), variance.reshape(expanded)
        else:
            mean = self.adapt_mean.value.reshape(self._broadcast_shape)
            variance = self.adapt_variance.value.reshape(self._broadcast_shape)
        std = np.maximum(np.sqrt(variance.astype(np.float32)), np.float32(_KERAS_EPSILON))
        shape = [1 if d is None else d for d in self._broadcast_shape]
        return {"mean": np.broadcast_to(mean.astype(np.float32), shape), "std": np.broadcast_to(std, shape)}

    def call(self, inputs):
        p = self._prepared()
        if self.invert:
            return np.add(p["mean"], np.multiply(inputs, p["std"]), dtype=np.float32)
        return np.divide(np.subtract(inputs, p["mean"]), p["std"], dtype=np.float32)

    def adapt(self, data):
        """Mean and variance of `data` over the axes not kept (a NumPy array; Keras also takes a
        tf.data dataset, convkit does not), as the layer's weights. Computed in float64."""
        x = np.asarray(data, dtype=np.float64)
        if not self.built:
            self.build((None,) + x.shape[1:])
        if self.input_mean is not None:
            raise ValueError("Cannot adapt a Normalization layer whose `mean` and `variance` were given.")
        keep, _ = self._geometry(x.shape)
        reduce_axes = tuple(d for d in range(x.ndim) if d not in keep)
        self.set_weights([x.mean(axis=reduce_axes).astype(np.float32), x.var(axis=reduce_axes).astype(np.float32),
                          np.float32(int(np.prod([x.shape[d] for d in reduce_axes])))])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "invert": self.invert,
                       "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()})
        return config
