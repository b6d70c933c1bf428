"""Keras 3's other image preprocessing layers, as they behave at inference (training=False, what a
model's predict uses), with Keras's arguments, checks and configs.

Most of them change images only in training and give them back unchanged at inference, so they
are pass-through layers here (model plans skip them) and refuse `training=True`, like RandomFlip:
RandomGrayscale, RandomHue, RandomSaturation, RandomSharpness, RandomShear, RandomPerspective,
RandomPosterization, RandomInvert, RandomGaussianBlur, RandomErasing, RandomElasticTransform,
RandomColorJitter, RandomColorDegeneration, RandAugment, AugMix, CutMix, MixUp, Solarization and
Equalization (Keras equalizes in training only). MaxNumBoundingBoxes only pads and truncates
bounding boxes, which convkit does not take: images pass through it in training too.

Three compute something at inference:
  AutoContrast  stretches each image's values to fill `value_range`, in training and at inference
                alike. Keras takes the minimum and maximum over axes 1 and 2 of the batch whatever
                the data format: per channel for channels_last images, but per (image, column) over
                channels and rows for channels_first ones. convkit gives those same numbers.
  ContrastLimitedAdaptiveHistogramEqualization  (CLAHE) equalizes histograms of image tiles,
                in training and at inference alike, as Keras's torch backend does it (tiles padded
                by repeating the edge, the backend's "symmetric" padding).
  RandomCrop    crops and resizes to (height, width). Keras 3.15's RandomCrop returns inference
                images uncropped, whatever their size (keras-team/keras#21868), although the output
                shape it declares is (height, width): a model then fails, or computes on the wrong
                size. convkit does what Keras documents instead: the largest centred window with the
                target's aspect ratio, resized bilinearly to (height, width), i.e.
                Resizing(height, width, crop_to_aspect_ratio=True). Images already of the target
                size come back unchanged, as in Keras.

Pipeline(layers) calls its layers in order. Keras's dict inputs (images with bounding boxes,
labels, segmentation masks) are not supported: these layers take images, a batch (rank 4) or one
image (rank 3), and return float32 images.
"""
import random

import numpy as np

from convkit import _args
from convkit.layers.base import Layer
from convkit.layers.preprocessing import (
    _FILL_MODES, _INTERPOLATIONS, _Augmentation, _check_choice, _crop_to_aspect_ratio, _factor_pair, _image_rank_error,
    _ImageSizeLayer, _keep_integer_images, _number, _resize_nhwc,
)
from convkit.layers.wrappers import _deserialize_layer, _LayerOfLayers, _serialize_layer

__all__ = [
    "AugMix", "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization", "CutMix", "Equalization",
    "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandAugment", "RandomColorDegeneration", "RandomColorJitter",
    "RandomCrop", "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomGrayscale", "RandomHue",
    "RandomInvert", "RandomPerspective", "RandomPosterization", "RandomSaturation", "RandomSharpness", "RandomShear",
    "Solarization",
]

_ELASTIC_FILL_MODES = ("reflect", "wrap", "constant", "nearest", "mirror")


# ---- argument checks, as Keras makes them ---------------------------------------------------

def _check_seed(seed):
    if seed is not None and not _args._is_int(seed):
        raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
    return seed


def _named_factor_pair(value, name, bounds=(0, 1)):
    """_factor_pair's rule for an argument not called `factor` (sigma, scale)."""
    try:
        return _factor_pair(value, bounds)
    except ValueError:
        raise ValueError(f"The `{name}` argument should be a number (or a list of two numbers) in the range "
                         f"[{bounds[0]}, {bounds[1]}]. Received: {name}={value}") from None


def _unit_interval_pair(value, name, symmetric):
    """RandomShear's and Solarization's factors: a number or a pair, each in [0, 1]. A pair is
    sorted; a number f gives (-f, f) (symmetric, RandomShear) or (0, f) (Solarization)."""
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the range [0, 1]. "
               f"Received: {name}={value}")
    values = value if isinstance(value, (tuple, list)) else [value]
    if isinstance(value, (tuple, list)) and len(value) != 2:
        raise ValueError(message)
    if not all(_number(v) and 0 <= v <= 1 for v in values):
        raise ValueError(message)
    if isinstance(value, (tuple, list)):
        return tuple(sorted(value))
    return (-value, value) if symmetric else (0, value)


def _value_range(value_range, sort=True):
    """A (low, high) pair of numbers; Keras keeps it sorted (a list) in most layers."""
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
            or not all(_number(v) for v in value_range)):
        raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range}")
    return sorted(value_range) if sort else value_range


def _number_in_unit_interval(value, name, message):
    if not _number(value):
        raise TypeError(f"The `{name}` argument must be a number. Received: {name}={value!r}")
    if not 0 <= value <= 1:
        raise ValueError(message)
    return value


def _odd_kernel_size(kernel_size):
    message = f"kernel_size must be an odd number. Received: kernel_size={kernel_size}"
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) != 2:
            raise ValueError(f"The `kernel_size` argument should be a number (or a list of two numbers) "
                             f"Received: kernel_size={kernel_size}")
        sizes = tuple(kernel_size)
    elif _number(kernel_size):
        sizes = (kernel_size, kernel_size)
    else:
        raise ValueError(message)
    if not all(_number(k) and k % 2 == 1 for k in sizes):
        raise ValueError(message)
    return sizes


def _check_image_rank(shape):
    if len(shape) not in (3, 4):
        raise _image_rank_error(shape)


# ---- layers that return images unchanged at inference --------------------------------------

class _ImageAugmentation(_Augmentation):
    """Keras's BaseImagePreprocessingLayer at inference: images (rank 3 or 4, checked as Keras
    does) come back unchanged. `bounding_box_format` concerns Keras's dict inputs only; it is kept
    for the config (the key only when set, as Keras). Each class lists its config entries in
    `_config_keys`."""
    _config_keys = ("data_format", "seed")

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(seed=_check_seed(seed), data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format

    def call(self, inputs):
        _check_image_rank(inputs.shape)
        return super().call(inputs)

    def compute_output_shape(self, input_shape):
        _check_image_rank(input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class RandomGrayscale(_ImageAugmentation):
    """Turns images grayscale with probability `factor` in training; the identity at inference."""
    _config_keys = ("data_format", "factor")

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _number_in_unit_interval(factor, "factor",
                                               f"`factor` should be between 0 and 1. Received: factor={factor}")


class _ColorAugmentation(_ImageAugmentation):
    """A `factor` (Keras's rule, within `_bounds`) and a `value_range`: sorted, as most of these
    layers keep it, or stored as given (`_sorted_range = False`: Keras does not check it there)."""
    _config_keys = ("data_format", "factor", "value_range", "seed")
    _bounds = (-1, 1)
    _sorted_range = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, self._bounds)
        self.value_range = _value_range(value_range) if self._sorted_range else value_range


class RandomHue(_ColorAugmentation):
    """Random hue shifts in training; the identity at inference."""
    _bounds = (0, 1)
    _sorted_range = False


class RandomSaturation(_ColorAugmentation):
    """Random saturation changes in training; the identity at inference."""


class RandomSharpness(_ColorAugmentation):
    """Random sharpness changes in training; the identity at inference."""
    _bounds = (0, 1)


class RandomPosterization(_ColorAugmentation):
    """Random reductions of the bits per channel (factor: 1 to 8 bits) in training; the identity at
    inference."""
    _bounds = (1, 8)


class RandomColorDegeneration(_ColorAugmentation):
    """Random blends with the grayscale image in training; the identity at inference. As in Keras,
    a model refuses to build it on images whose channel count is known and not 3."""

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                             f"Received: input_shape={tuple(input_shape)}")
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ValueError(f"Input images must have 3 channels, but received images with {channels} channels.")
        return tuple(input_shape)


class RandomInvert(_ImageAugmentation):
    """Inverts images (value_range[1] - x) with a probability from `factor` in training; the identity
    at inference."""
    _config_keys = ("data_format", "factor", "value_range", "seed")

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1))
        self.value_range = value_range


class RandomShear(_ImageAugmentation):
    """Random shears along x and y in training; the identity at inference."""
    _config_keys = ("data_format", "x_factor", "y_factor", "fill_mode", "interpolation", "seed", "fill_value")

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = _unit_interval_pair(x_factor, "x_factor", symmetric=True)
        self.y_factor = _unit_interval_pair(y_factor, "y_factor", symmetric=True)
        self.fill_mode = _check_choice(fill_mode, "fill_mode", _FILL_MODES)
        self.interpolation = _check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        self.fill_value = fill_value

    @classmethod
    def from_config(cls, config):
        # A number f is kept as (-f, f), a pair this constructor refuses (Keras's own from_config
        # fails there): a config holding one means the number.
        config = dict(config)
        for key in ("x_factor", "y_factor"):
            value = config.get(key)
            if isinstance(value, (tuple, list)) and len(value) == 2 and _number(value[1]) and value[0] == -value[1]:
                config[key] = value[1]
        return cls(**config)


class RandomPerspective(_ImageAugmentation):
    """Random perspective warps in training; the identity at inference."""
    _config_keys = ("data_format", "factor", "scale", "interpolation", "fill_value", "seed")

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1))
        self.scale = _number_in_unit_interval(
            scale, "scale", f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        self.interpolation = _check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        self.fill_value = fill_value


class RandomGaussianBlur(_ImageAugmentation):
    """Random Gaussian blurs in training; the identity at inference."""
    _config_keys = ("data_format", "factor", "kernel_size", "sigma", "value_range", "seed")

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1))
        self.kernel_size = _odd_kernel_size(kernel_size)
        self.sigma = _named_factor_pair(sigma, "sigma")
        self.value_range = value_range


class RandomErasing(_ImageAugmentation):
    """Erases random rectangles in training; the identity at inference."""
    _config_keys = ("data_format", "factor", "scale", "fill_value", "value_range", "seed")

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1))
        self.scale = _named_factor_pair(scale, "scale")
        self.fill_value = fill_value
        self.value_range = value_range


class RandomElasticTransform(_ImageAugmentation):
    """Random elastic distortions in training; the identity at inference."""
    _config_keys = ("data_format", "factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range",
                    "seed")

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1))
        self.scale = _named_factor_pair(scale, "scale")
        self.interpolation = _check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        self.fill_mode = _check_choice(fill_mode, "fill_mode", _ELASTIC_FILL_MODES)
        self.fill_value = fill_value
        self.value_range = value_range


class RandomColorJitter(_ImageAugmentation):
    """Random brightness, contrast, saturation and hue changes in training (each factor None: that
    change is off); the identity at inference. Each factor is checked as the layer Keras builds
    for it checks it (RandomBrightness, RandomContrast, RandomSaturation, RandomHue) and kept as
    given."""
    _config_keys = ("data_format", "value_range", "brightness_factor", "contrast_factor", "saturation_factor",
                    "hue_factor", "seed")

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        for factor, bounds, checks_range in ((brightness_factor, (-1, 1), True), (contrast_factor, (0, 1), True),
                                             (saturation_factor, (-1, 1), True), (hue_factor, (0, 1), False)):
            if factor is not None:
                _factor_pair(factor, bounds)
                if checks_range:
                    _value_range(value_range)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor


class RandAugment(_ImageAugmentation):
    """`num_ops` augmentations drawn from eleven in training; the identity at inference. The
    arguments are checked as the eleven layers Keras builds from them check them."""
    _config_keys = ("data_format", "value_range", "num_ops", "factor", "interpolation", "seed")

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self.factor = _factor_pair(factor, (0, 1))
        self.interpolation = _check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        _value_range(value_range)


class AugMix(_ImageAugmentation):
    """Mixes `num_chains` chains of random augmentations in training; the identity at inference.
    The arguments are checked as the layers Keras builds from them check them."""
    _config_keys = ("data_format", "value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops",
                    "interpolation", "seed")

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = _factor_pair(factor, (0, 1))
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = _check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        _value_range(value_range)


class CutMix(_ImageAugmentation):
    """Pastes patches of other images of the batch in training; the identity at inference."""
    _config_keys = ("data_format", "factor", "seed")

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1))


class MixUp(_ImageAugmentation):
    """Blends images of the batch with each other in training; the identity at inference."""
    _config_keys = ("data_format", "alpha", "seed")

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha


class Solarization(_ImageAugmentation):
    """Random solarization (values above a threshold inverted, after an addition) in training; the
    identity at inference."""
    _config_keys = ("data_format", "value_range", "addition_factor", "threshold_factor", "seed")

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.addition_factor = _unit_interval_pair(addition_factor, "addition_factor", symmetric=False)
        self.threshold_factor = _unit_interval_pair(threshold_factor, "threshold_factor", symmetric=False)
        self.value_range = _value_range(value_range)


class Equalization(_ImageAugmentation):
    """Histogram equalization in training (Keras applies it only then); the identity at inference.
    (Keras 3.15 cannot build a model holding one: its symbolic output is its input tensor, which
    Keras's graph takes for a cycle. convkit's builds.)"""
    _config_keys = ("data_format", "bins", "value_range")

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = _value_range(value_range)


class MaxNumBoundingBoxes(_ImageAugmentation):
    """Pads or truncates Keras's bounding boxes to `max_number`; images pass through unchanged, in
    training too. `fill_value` (the padding) is not in Keras's config, nor in convkit's."""
    _config_keys = ("data_format", "max_number")

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        self.max_number = _integer(max_number, "max_number")
        self.fill_value = _integer(fill_value, "fill_value")

    def _differs_in_training(self):
        return False


def _integer(value, name):
    """int(value), as Keras converts it, with the argument named when that fails."""
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"The `{name}` argument must be an integer. Received: {name}={value!r}") from None


# ---- layers that compute at inference -------------------------------------------------------

def _to_value_range(images, source, target):
    """Keras's _transform_value_range in float32: nothing when the ranges are equal, else
    (x - source_low) / (source_high - source_low) * (target_high - target_low) + target_low."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    s_low, s_high = np.float32(source[0]), np.float32(source[1])
    t_low, t_high = np.float32(target[0]), np.float32(target[1])
    out = (images - s_low) / (s_high - s_low)
    out *= t_high - t_low
    out += t_low
    return out


class AutoContrast(Layer):
    """Stretches each image's values to fill `value_range`, at inference as in training:
    (x - low) * 255 / (high - low) on the 0-255 scale, clipped, with low / high the minimum and
    maximum over axes 1 and 2 of the batch (an image is taken as a batch of one). For channels_last
    images that is per channel; for channels_first ones Keras reduces over channels and rows, per
    column, and so does convkit. Where the result is NaN (a constant slice: 0 / 0), the input value
    is kept. Float32 in and out, as Keras computes."""

    def __init__(self, value_range=(0, 255), data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range)
        self.data_format = _args.normalize_data_format(data_format)
        self.bounding_box_format = bounding_box_format

    def call(self, inputs):
        _check_image_rank(inputs.shape)
        batch = inputs if inputs.ndim == 4 else inputs[None]
        images = _to_value_range(batch, self.value_range, (0, 255))
        low = images.min(axis=(1, 2), keepdims=True)
        high = images.max(axis=(1, 2), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            scale = np.float32(1.0) / (high - low) * np.float32(255.0)  # torch's 255 / t: reciprocal, then product
            offset = -low * scale
            out = images * scale
            out += offset
        np.clip(out, 0.0, 255.0, out=out)
        out = _to_value_range(out, (0, 255), self.value_range)
        out = np.where(np.isnan(out), batch, out)
        return out if inputs.ndim == 4 else out[0]

    def compute_output_shape(self, input_shape):
        _check_image_rank(input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "value_range": self.value_range})
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


def _tile_axis(size, tile, grid):
    """For each padded row (or column): the two tiles it blends (indices into the tile grid padded
    by one tile on each side) and the weight of the second, as Keras's float32 arithmetic gives
    them."""
    position = (np.arange(size, dtype=np.float32) - np.float32(tile / 2.0)) / np.float32(tile) + np.float32(1.0)
    first = np.floor(position)
    weight = position - first
    second = np.clip(first + 1, 0, grid + 1).astype(np.intp)
    return np.clip(first, 0, grid + 1).astype(np.intp), second, weight


def _clahe(images, grid, clip_limit):
    """Keras's CLAHE on images (N, H, W, C), float32 on the 0-255 scale: per tile and channel a
    histogram of the truncated values (256 bins), clipped at int(clip_limit * tile area / 256) with
    the excess spread over all bins, turned into a lookup table by its normalised cumulative sum; each
    pixel blends the tables of the four tiles around it bilinearly."""
    n, h, w, c = images.shape
    grid_h, grid_w = grid
    tile_h, tile_w = -(-h // grid_h), -(-w // grid_w)
    pad_h, pad_w = tile_h * grid_h - h, tile_w * grid_w - w
    padded = images
    if pad_h or pad_w:  # Keras's torch backend pads 'symmetric' by repeating the edge
        padded = np.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    area = tile_h * tile_w
    tiles = padded.reshape(n, grid_h, tile_h, grid_w, tile_w, c).transpose(0, 1, 3, 5, 2, 4)
    with np.errstate(invalid="ignore"):  # NaN becomes some integer, clipped into a bin, as in torch
        bins = np.clip(tiles.reshape(n, grid_h, grid_w, c, area).astype(np.int32), 0, 255)
        pixels = np.clip(padded, 0, 255).astype(np.int32)
    histograms = n * grid_h * grid_w * c
    first_bin = (np.arange(histograms, dtype=np.int64) * 256).reshape(n, grid_h, grid_w, c, 1)
    hist = np.bincount((bins + first_bin).ravel(), minlength=histograms * 256).reshape(n, grid_h, grid_w, c, 256)
    if clip_limit > 0:
        # the counts are integers in Keras (one_hot's int64): so is the limit, truncated
        limit = int(clip_limit * area / 256.0)
        clipped = np.minimum(hist, limit)
        excess = (hist - clipped).sum(axis=-1, keepdims=True)
        hist = clipped.astype(np.float32) + (excess / 256.0).astype(np.float32)
    cdf = np.cumsum(hist, axis=-1, dtype=np.float64).astype(np.float32)  # torch sums in double on the CPU
    cdf_min = cdf.min(axis=-1, keepdims=True)
    denominator = np.float32(area) - cdf_min
    denominator[denominator == 0] = 1
    table = np.clip((cdf - cdf_min) * np.float32(255.0) / denominator, 0, 255)
    table = np.pad(table, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")
    top, bottom, wy = _tile_axis(tile_h * grid_h, tile_h, grid_h)
    left, right, wx = _tile_axis(tile_w * grid_w, tile_w, grid_w)
    b = np.arange(n)[:, None, None, None]
    ch = np.arange(c)[None, None, None, :]
    top, bottom, wy = top[None, :, None, None], bottom[None, :, None, None], wy[None, :, None, None]
    left, right, wx = left[None, None, :, None], right[None, None, :, None], wx[None, None, :, None]
    one = np.float32(1.0)
    upper = table[b, top, left, ch, pixels] * (one - wx) + table[b, top, right, ch, pixels] * wx
    lower = table[b, bottom, left, ch, pixels] * (one - wx) + table[b, bottom, right, ch, pixels] * wx
    result = upper * (one - wy) + lower * wy
    return np.ascontiguousarray(result[:, :h, :w, :])


class ContrastLimitedAdaptiveHistogramEqualization(Layer):
    """CLAHE, at inference as in training, with Keras's torch backend's numbers (see _clahe):
    images are mapped from `value_range` to 0-255, equalized on a `tile_grid_size` grid of tiles
    and mapped back. Integer images come back as Keras returns them in their own type, the result
    truncated (convkit: as float32); a result outside the type's range is refused (torch would
    wrap it around)."""

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        bounding_box_format = kwargs.pop("bounding_box_format", None)
        super().__init__(**kwargs)
        _value_range(value_range)
        if not _number(clip_limit):
            raise TypeError(f"The `clip_limit` argument must be a number. Received: clip_limit={clip_limit!r}")
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(_args._is_int(g) and g >= 1 for g in tile_grid_size)):
            raise ValueError(f"The `tile_grid_size` argument should be a list of two positive integers. "
                             f"Received: tile_grid_size={tile_grid_size}")
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size
        self.data_format = _args.normalize_data_format(data_format)
        self.bounding_box_format = bounding_box_format

    def _convert_inputs(self, inputs):
        # Integer images keep their type until call(), which gives Keras's result for it.
        return _keep_integer_images(inputs, "iu", super()._convert_inputs)

    def call(self, inputs):
        integer_type = inputs.dtype if inputs.dtype.kind in "iu" else None
        x = _args.as_float32_array(inputs, "inputs")
        _check_image_rank(x.shape)
        batch = x if x.ndim == 4 else x[None]
        if self.data_format == "channels_first":
            batch = batch.transpose(0, 2, 3, 1)
        images = _to_value_range(batch, self.value_range, (0, 255))
        out = _clahe(np.ascontiguousarray(images, dtype=np.float32), tuple(self.tile_grid_size), self.clip_limit)
        out = _to_value_range(out, (0, 255), self.value_range)
        if integer_type is not None:
            out = np.trunc(out)
            info = np.iinfo(integer_type)
            if out.size and (out.min() < info.min or out.max() > info.max):
                raise ValueError(f"Equalizing these {np.dtype(integer_type)} images gives values outside the type's "
                                 f"range [{info.min}, {info.max}] (received values in [{out.min():g}, "
                                 f"{out.max():g}]): Keras's torch backend wraps them around, which convkit does "
                                 f"not reproduce. Check `value_range`, or pass float images.")
        if self.data_format == "channels_first":
            out = out.transpose(0, 3, 1, 2)
        out = np.ascontiguousarray(out, dtype=np.float32)
        return out if x.ndim == 4 else out[0]

    def compute_output_shape(self, input_shape):
        _check_image_rank(input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "value_range": self.value_range,
                       "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size})
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class RandomCrop(_ImageSizeLayer):
    """Random (height, width) crops in training. At inference: the largest centred window with the
    target's aspect ratio, resized bilinearly to (height, width) (unchanged when the images already
    have that size), as Keras documents it; Keras 3.15 itself returns the images uncropped (see the
    module's notes). `seed` defaults to a random integer, as Keras draws one for its config."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(height, width, data_format=data_format, name=name, **kwargs)
        self.seed = _check_seed(seed) if seed is not None else random.randint(1, int(1e9))

    def _differs_in_training(self):
        return True

    def call(self, inputs):
        size = (self.height, self.width)
        images = _crop_to_aspect_ratio(self._to_nhwc(inputs), size)
        return self._from_nhwc(_resize_nhwc(images, size, "bilinear"), inputs.ndim)

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config


# ---- Pipeline --------------------------------------------------------------------------------

class Pipeline(_LayerOfLayers):
    """Calls `layers` one after the other. Its weights are its layers' (Keras saves them under
    `layers/<snake-cased class name>`); its config holds the layers and the name only, as Keras's.
    An empty pipeline returns its input (Keras's fails when called)."""

    def __init__(self, layers, name=None):
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError(f"`layers` must be a list of convkit layers. Received: layers={layers!r}")
        super().__init__(name=name)
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return list(self._pipeline_layers)

    def _keras_sublayers(self):
        from convkit.saving import _saving_keys  # saving imports the layers: import when used

        layers = self._pipeline_layers
        return [(f"layers/{key}", layer) for key, layer in zip(_saving_keys(layers), layers)]

    def _passes_through(self):
        return all(layer._passes_through() for layer in self._pipeline_layers)

    def build(self, input_shape=None):
        shape = input_shape
        for layer in self._pipeline_layers:
            if not layer.built:
                layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._pipeline_layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def call(self, inputs, mask=None):
        if not self._pipeline_layers:
            return np.array(inputs, dtype=np.float32, copy=True)
        outputs = inputs
        for layer in self._pipeline_layers:
            # as Keras: each layer that takes a mask gets the one its input carries (the
            # pipeline's, then what the layer before handed on through compute_mask)
            given = {"mask": mask} if mask is not None and layer._call_takes_mask() else {}
            step_inputs, outputs = outputs, layer(outputs, **given)
            mask = layer.compute_mask(step_inputs, mask) if layer.supports_masking else None
        return outputs

    def get_config(self):
        return {"layers": [_serialize_layer(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"`Pipeline` config must contain a `layers` key mapping to a list of serialized layers. "
                             f"Received config with layers={layers}.")
        config = dict(config)
        config["layers"] = [_deserialize_layer(entry, custom_objects) for entry in layers]
        return cls(**config)
