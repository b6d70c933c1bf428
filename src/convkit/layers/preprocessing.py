"""The preprocessing layers Keras models carry inside them: Rescaling (the usual first layer of an
image model, `Rescaling(1./255)`), Identity, and the image augmentation layers (RandomFlip,
RandomRotation, RandomZoom, RandomTranslation, RandomContrast, RandomBrightness), which Keras
applies only in training and which pass images through unchanged at inference, so a saved
model with a data-augmentation block loads and predicts as in Keras. Being inference-only,
convkit refuses `training=True` on the augmentation layers rather than returning unaugmented
images. Arguments are checked and normalised as Keras does, so configs match."""
import numpy as np

from convkit import _args, ops
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


def _keep_integer_images(inputs, kinds, convert):
    """`inputs` as an array if its dtype kind is one of `kinds` (integer images, which the layer
    handles as Keras does for their type), else convert(inputs)."""
    try:
        arr = np.asarray(inputs)
    except (ValueError, TypeError):
        arr = None  # not an array: the usual conversion says why
    if arr is not None and arr.dtype.kind in kinds:
        return arr
    return convert(inputs)


def _serialize_number(value):
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    return value


class Rescaling(Layer):
    """inputs * scale + offset, in float32 (each rounded as Keras's float32 multiply and add). A
    list or array `scale` / `offset` broadcasts over the last axis (one value per channel)."""

    supports_masking = True

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

    supports_masking = True


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

    supports_masking = True

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


# ---- Resizing and CenterCrop ----------------------------------------------------------------
#
# Keras's torch backend resizes with torch.nn.functional.interpolate (align_corners=False):
#   bilinear  2 taps per axis at the half-pixel source coordinate (in/out) * (o + 0.5) - 0.5, clamped
#             to the image; downscaling samples the same 2 taps (no averaging) unless antialias=True.
#   nearest   torch's 'nearest-exact': floor((o + 0.5) * in / out), capped at in - 1.
#   bicubic   4 taps per axis, Keys' kernel with a = -0.75, taps beyond the edge clamped to it.
#   antialias bilinear / bicubic become a filter stretched by in/out on a downscaled axis (a triangle,
#             or Keys' kernel with a = -0.5), normalised over the taps inside the image; on an axis
#             that is enlarged, bilinear is unchanged and bicubic switches to a = -0.5 and
#             normalised taps. An axis whose size does not change is copied. (To an output width
#             of 1, torch's antialiased kernel copies the first output row into all the others for
#             most layouts: convkit refuses that case.)
# Lanczos is refused by Keras's torch backend itself; 'area', 'gaussian' and 'mitchellcubic' (its
# TensorFlow backend's) do not exist there either.

_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
_TORCH_SMALL_OUTPUT = 128  # torch's nearest kernel choice (see _nearest_indices)


def _image_size(value, name):
    if not _args._is_int(value) or value < 1:
        raise ValueError(f"The `{name}` argument must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _image_rank_error(shape):
    return ValueError(f"Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                      f"Received: data.shape={tuple(shape)}")


class _ImageSizeLayer(Layer):
    """Shared by Resizing and CenterCrop: a target (height, width), the data format, Keras's
    rank-3-or-4 rule and its output shape. `bounding_box_format` only concerns Keras's dict
    inputs (boxes travel with the images); convkit takes images alone and keeps it for the config."""

    def __init__(self, height, width, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = _image_size(height, "height")
        self.width = _image_size(width, "width")
        self.data_format = _args.normalize_data_format(data_format)
        self.bounding_box_format = bounding_box_format

    def _spatial_axes(self, ndim):
        return (ndim - 2, ndim - 1) if self.data_format == "channels_first" else (ndim - 3, ndim - 2)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"`input_shape` must be a non-nested tuple or list of rank-1 with size 3 (unbatched) "
                             f"or 4 (batched). Received: input_shape={tuple(input_shape)}")
        h_axis, w_axis = self._spatial_axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def _to_nhwc(self, x):
        """A rank-3 or rank-4 float32 image (batch) in the layer's data format -> (N, H, W, C)."""
        if x.ndim not in (3, 4):
            raise _image_rank_error(x.shape)
        if x.ndim == 3:
            x = x[None]
        return ops._channels_last(x) if self.data_format == "channels_first" else x

    def _from_nhwc(self, y, ndim):
        if self.data_format == "channels_first":
            y = ops._channels_first(y)
        return y if ndim == 4 else y[0]

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "data_format": self.data_format})
        if self.bounding_box_format is not None:  # as Keras: the key only when one is set
            config["bounding_box_format"] = self.bounding_box_format
        return config


def _crop_to_aspect_ratio(x, size):
    """The largest centred window of x (N, H, W, C) with the aspect ratio of `size`, by Keras's
    integer rule (at least one pixel each way). A view."""
    h, w = x.shape[1:3]
    th, tw = size
    ch = max(min(h, int(float(w * th) / tw)), 1)
    cw = max(min(w, int(float(h * tw) / th)), 1)
    top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
    return x[:, top:top + ch, left:left + cw, :]


def _aspect_padding(h, w, size):
    """Rows (or columns) Keras adds on each side for pad_to_aspect_ratio: (rows, cols), one of them 0."""
    th, tw = size
    rows = int(float(max(h, int(float(w * th) / tw)) - h) / 2)
    cols = int(float(max(w, int(float(h * tw) / th)) - w) / 2)
    return rows, cols


def _pad_to_aspect_ratio(x, size, fill_value):
    """x (N, H, W, C) centred between equal bands of fill_value on its short side (Keras puts
    the same number of rows, or columns, on both sides)."""
    n, h, w, c = x.shape
    rows, cols = _aspect_padding(h, w, size)
    if rows == 0 and cols == 0:
        return x
    out = np.full((n, h + 2 * rows, w + 2 * cols, c), np.float32(fill_value), np.float32)
    out[:, rows:rows + h, cols:cols + w, :] = x
    return out


def _dense_in_channels_last_order(sizes, strides):
    """torch's is_contiguous(memory_format=torch.channels_last) for an NCHW tensor of these sizes
    and (element) strides: dims of size 1 are not checked."""
    expected = 1
    for d in (1, 3, 2, 0):
        if sizes[d] != 1:
            if strides[d] != expected:
                return False
            expected *= sizes[d]
    return True


def _nearest_indices(n_in, n_out, vectorised_kernel):
    """Source index of each output cell for torch's 'nearest-exact'. torch has two kernels whose
    float32 roundings differ where an output centre falls exactly on a boundary between two input
    cells (e.g. 2 -> 41): the channels-last one computes floor(float((o + 0.5) * scale)), the
    generic one floor(float(scale * (o + 0.5) - 0.5) + 0.5) (a fused multiply-add, then a float
    add); scale = float32(in) / out in both."""
    scale = np.float64(np.float32(n_in) / np.float32(n_out))
    centres = np.arange(n_out, dtype=np.float64) + 0.5
    if vectorised_kernel:
        source = (centres * scale).astype(np.float32)
    else:
        source = np.maximum((centres * scale - 0.5).astype(np.float32), np.float32(0)) + np.float32(0.5)
    return np.minimum(np.floor(source).astype(np.int64), n_in - 1)


def _keys_cubic(t, a):
    """Keys' cubic convolution kernel at distances t (0 beyond 2)."""
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t < 1, near, np.where(t < 2, far, 0.0))


def _bicubic_taps(n_in, n_out):
    """(indices, weights), each (n_out, 4), of torch's bicubic without antialias along one axis.
    The source coordinate is rounded to float32 once, as torch's fused multiply-add does."""
    scale = np.float64(np.float32(n_in) / np.float32(n_out))
    source = ((np.arange(n_out) + 0.5) * scale - 0.5).astype(np.float32)
    first = np.minimum(np.floor(source).astype(np.int64), n_in - 1)
    frac = np.clip(source - first.astype(np.float32), 0, 1).astype(np.float64)
    offsets = np.arange(-1, 3)
    indices = np.clip(first[:, None] + offsets, 0, n_in - 1)
    return indices, _keys_cubic(frac[:, None] - offsets, -0.75)


def _antialias_taps(n_in, n_out, interpolation):
    """(indices, weights), each (n_out, taps), of torch's antialiased bilinear / bicubic along one
    axis: the filter (triangle, or Keys' a = -0.5) stretched by in/out when downscaling, over the
    window torch takes (a float32 centre, bounds truncated), normalised by the weights' sum. Unused
    taps repeat a tap of the window with weight 0."""
    scale = np.float32(n_in) / np.float32(n_out)
    radius = 1.0 if interpolation == "bilinear" else 2.0
    stretch = max(float(scale), 1.0)
    support = np.float32(radius * stretch)
    taps = int(np.ceil(support)) * 2 + 1
    centres = (scale * (np.arange(n_out, dtype=np.float32) + np.float32(0.5))).astype(np.float64)
    first = np.maximum(np.trunc(centres - support + 0.5).astype(np.int64), 0)
    count = np.clip(np.minimum(np.trunc(centres + support + 0.5).astype(np.int64), n_in) - first, 0, taps)
    j = np.arange(taps)
    distance = (first[:, None] + j - centres[:, None] + 0.5) / stretch
    if interpolation == "bilinear":
        weights = np.maximum(1.0 - np.abs(distance), 0.0)
    else:
        weights = _keys_cubic(distance, -0.5)
    weights = np.where(j < count[:, None], weights, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, total, out=weights, where=total != 0)
    indices = np.minimum(first[:, None] + np.minimum(j, np.maximum(count[:, None] - 1, 0)), n_in - 1)
    return indices, weights


def _resample_axis(x, indices, weights, axis):
    """Weighted sum of taps along spatial axis 1 (height) or 2 (width) of x (N, H, W, C). Each
    step of the loop handles one tap for every pixel at once (a few taps: 4 for bicubic, about
    2 * in / out + 1 when antialiasing a downscale). Only each output's own taps are read, so a
    NaN or Inf reaches only the outputs whose taps include it."""
    n, h, w, c = x.shape
    taps = indices.shape[1]
    factors = weights.astype(np.float32).T  # (taps, out)
    if axis == 1:  # gather whole rows of W * C values
        source = x.reshape(n, h, w * c)
        positions = indices.T
        factors = factors[:, :, None]
        out_shape = (n, indices.shape[0], w, c)
    else:  # gather single values: the column of each (width position, channel)
        source = x.reshape(n * h, w * c)
        positions = (indices.T[:, :, None] * c + np.arange(c)).reshape(taps, -1)
        factors = np.repeat(factors, c, axis=1)
        out_shape = (n, h, indices.shape[0], c)
    out = np.take(source, positions[0], axis=1)
    out *= factors[0]
    term = np.empty_like(out)
    for tap in range(1, taps):
        np.take(source, positions[tap], axis=1, out=term)
        term *= factors[tap]
        out += term
    return out.reshape(out_shape)


def _resize_nhwc(x, size, interpolation, antialias=False, channels_last_dense=False):
    """x (N, H, W, C) float32 -> (N, height, width, C) as Keras's torch backend. For 'nearest',
    `channels_last_dense` says whether the tensor torch gets is dense in channels-last order
    (which, with the output size and the channel count, picks torch's kernel)."""
    n, h, w, c = x.shape
    oh, ow = size
    if min(h, w) < 1:
        raise ValueError(f"Cannot resize images with an empty spatial dimension. Received images of height {h} "
                         f"and width {w}")
    if (h, w) == (oh, ow):
        return np.array(x, dtype=np.float32, copy=True)
    if n == 0 or c == 0:
        return np.zeros((n, oh, ow, c), np.float32)
    if interpolation == "nearest":
        vectorised = oh + ow <= _TORCH_SMALL_OUTPUT or (channels_last_dense and c > 3)
        rows = _nearest_indices(h, oh, vectorised)
        cols = _nearest_indices(w, ow, vectorised)
        return np.ascontiguousarray(x[:, rows[:, None], cols[None, :], :])
    if antialias and ow == 1 and h > 1 and oh > 1 and oh != h:
        raise NotImplementedError(
            "Resizing with antialias=True to a width of 1 while resampling the height is not supported: there "
            "torch.nn.functional.interpolate (Keras's torch backend) gives every output row the values of the "
            "first (for channels_first, single-channel or padded images), which convkit does not reproduce. Use "
            f"antialias=False or a width above 1. Received: images of height {h} resized to ({oh}, {ow})")
    if interpolation == "bilinear" and not (antialias and (oh < h or ow < w)):
        return ops._resize_bilinear(x, size)  # antialiased bilinear equals plain bilinear on enlarged axes
    y = x
    for axis, (n_in, n_out) in ((2, (w, ow)), (1, (h, oh))):  # torch's order: width, then height
        if n_in != n_out:
            taps = _antialias_taps(n_in, n_out, interpolation) if antialias else _bicubic_taps(n_in, n_out)
            y = _resample_axis(y, *taps, axis=axis)
    return np.ascontiguousarray(y, dtype=np.float32)


_TORCH_WIDER_TYPE = {np.dtype(np.uint16): np.int32, np.dtype(np.uint32): np.int64}  # unsigned types torch lacks


def _integer_result(y, dtype):
    """What Keras returns for integer images, as float32: the result rounded (half to even), in
    the type Keras resizes in (uint16 / uint32 become int32 / int64 in torch). uint8 results are
    clipped to [0, 255], as torch clamps bicubic ones; bilinear and nearest stay within the input's
    range, so only bicubic can leave another type's range, where torch wraps around (a C cast
    out of range): convkit raises rather than return those numbers. Bool images (nearest only, see
    Resizing.call) come back as 0 / 1."""
    if dtype == np.bool_:
        return y
    y = np.round(y)
    if dtype == np.uint8:
        return np.clip(y, 0, 255, out=y)
    info = np.iinfo(_TORCH_WIDER_TYPE.get(np.dtype(dtype), dtype))
    if y.size and (y.min() < info.min or y.max() > info.max):
        raise ValueError(f"Resizing these {np.dtype(dtype)} images gives values outside the {info.dtype} range "
                         f"[{info.min}, {info.max}] (bicubic overshoots its input; received values in "
                         f"[{y.min():g}, {y.max():g}]): Keras's torch backend wraps them around, which convkit does "
                         f"not reproduce. Pass float images (or uint8, which is clipped).")
    return y


class Resizing(_ImageSizeLayer):
    """Resizes images (a batch (N, H, W, C), or one image (H, W, C); channels first with
    data_format='channels_first') to (height, width), with Keras's torch backend's numbers:
    'bilinear' (the C core), 'nearest' and 'bicubic', with or without `antialias`, after an
    optional centred crop (crop_to_aspect_ratio) or padding with fill_value (pad_to_aspect_ratio)
    to the target's aspect ratio. Integer images come back rounded to integers (uint8: clipped to
    [0, 255]), as Keras returns them in their own type (convkit: as float32); bool images are
    resized with 'nearest' only; see _integer_result.
    Refused: 'lanczos3' / 'lanczos5' (which Keras's torch backend refuses too), the TensorFlow
    backend's 'area', 'gaussian' and 'mitchellcubic', and (NotImplementedError, at call time)
    antialias=True to a width of 1 while the height is resampled, where torch's numbers are wrong."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        if interpolation in ("lanczos3", "lanczos5"):
            raise ValueError(f"Resizing with Lanczos interpolation is not supported by convkit (nor by Keras's "
                             f"PyTorch backend, whose numbers convkit reproduces). Supported: "
                             f"{_RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}")
        if interpolation not in _RESIZE_INTERPOLATIONS:
            raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {_RESIZE_INTERPOLATIONS}. "
                             f"Received: interpolation={interpolation!r}")
        if fill_mode != "constant":
            raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                             f"Received: fill_mode={fill_mode!r}")
        if pad_to_aspect_ratio and crop_to_aspect_ratio:
            raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
        if not _number(fill_value):
            raise TypeError(f"The `fill_value` argument must be a number. Received: fill_value={fill_value!r}")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def _convert_inputs(self, inputs):
        # Integer and bool images keep their type until call(), which gives Keras's result for it.
        return _keep_integer_images(inputs, "biu", super()._convert_inputs)

    def call(self, inputs):
        integer_type = inputs.dtype if isinstance(inputs, np.ndarray) and inputs.dtype.kind in "biu" else None
        if integer_type == np.bool_ and self.interpolation != "nearest":
            # Keras casts the resized values back to bool: True wherever torch's float32 result is not
            # exactly 0, which turns on its rounding (a weight of 1e-8 instead of 0 makes a True).
            raise ValueError(f"Resizing bool images is supported with interpolation='nearest' only (Keras makes "
                             f"every non-zero {self.interpolation} value True, which depends on torch's float "
                             f"rounding). Received: interpolation={self.interpolation!r}")
        x = _args.as_float32_array(inputs, "inputs")
        size = (self.height, self.width)
        images = self._to_nhwc(x)
        n, h, w, c = images.shape
        # The strides (NCHW order) of the tensor torch resizes: Keras permutes channels-last
        # images into a channels-last-dense NCHW view; padding builds a new contiguous tensor.
        if self.data_format == "channels_last":
            strides = (h * w * c, 1, w * c, c)
        else:
            strides = (c * h * w, h * w, w, 1)
        if self.crop_to_aspect_ratio:
            images = _crop_to_aspect_ratio(images, size)
        elif self.pad_to_aspect_ratio and any(_aspect_padding(h, w, size)):
            images = _pad_to_aspect_ratio(images, size, self.fill_value)
            ph, pw = images.shape[1:3]
            strides = (c * ph * pw, ph * pw, pw, 1)
        sizes = (images.shape[0], c) + images.shape[1:3]
        y = _resize_nhwc(images, size, self.interpolation, self.antialias,
                         channels_last_dense=_dense_in_channels_last_order(sizes, strides))
        if integer_type is not None:
            y = _integer_result(y, integer_type)
        return self._from_nhwc(y, x.ndim)

    def get_config(self):
        config = super().get_config()
        config.update({"interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "antialias": self.antialias})
        return config


class CenterCrop(_ImageSizeLayer):
    """The central (height, width) window of images (a batch or one image, either data format),
    as Keras: the window starts at (H - height) // 2, (W - width) // 2. When the input is smaller
    than the target along either axis, Keras instead crops the largest centred window with the
    target's aspect ratio and resizes it bilinearly (keras.utils.smart_resize); so does convkit."""

    def call(self, inputs):
        x = _args.as_float32_array(inputs, "inputs")
        if x.ndim not in (3, 4):
            raise _image_rank_error(x.shape)
        h_axis, w_axis = self._spatial_axes(x.ndim)
        h, w = x.shape[h_axis], x.shape[w_axis]
        if h >= self.height and w >= self.width:
            window = [slice(None)] * x.ndim
            top, left = (h - self.height) // 2, (w - self.width) // 2
            window[h_axis], window[w_axis] = slice(top, top + self.height), slice(left, left + self.width)
            return x[tuple(window)].copy()  # a new C-contiguous array, never a view of the input
        size = (self.height, self.width)
        images = _crop_to_aspect_ratio(self._to_nhwc(x), size)
        return self._from_nhwc(_resize_nhwc(images, size, "bilinear"), x.ndim)
