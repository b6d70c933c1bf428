"""Keras's image file helpers: load_img, img_to_array, array_to_img, save_img, on Pillow.

Pillow is imported when one of them is first called (`pip install pillow`); convkit itself needs
only numpy. The pixels are Pillow's, so results match Keras's (which uses Pillow too) exactly.
"""
import io
import os
import pathlib
import warnings

import numpy as np

from convkit import _args

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img"]

_COLOR_MODES = ("grayscale", "rgb", "rgba")
# Keras's names for Pillow's resampling filters
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil_image(what):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"`{what}` needs Pillow, which is not installed: `pip install pillow`.") from None
    return Image


def _float_dtype(dtype):
    if dtype is None:
        from convkit.config import floatx

        return floatx()
    return dtype


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """A Pillow image read from `path` (a path or an io.BytesIO), in `color_mode` ('grayscale',
    'rgb' or 'rgba'), resized to target_size=(height, width) with `interpolation` if given;
    keep_aspect_ratio=True first crops the centre to the target's aspect ratio."""
    image_module = _pil_image("load_img")
    if color_mode not in _COLOR_MODES:
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}')
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"Invalid interpolation method {interpolation} specified. Supported methods are "
                         f"{', '.join(_INTERPOLATIONS)}")
    if target_size is not None:
        target_size = _args.normalize_tuple(target_size, 2, "target_size")
    if isinstance(path, io.BytesIO):
        img = image_module.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = image_module.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")

    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):  # (16- and 32-bit grayscale stay as they are)
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    resample = getattr(getattr(image_module, "Resampling", image_module), interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    # the largest centred box with the target's aspect ratio (Keras's integer arithmetic)
    width, height = img.size
    crop_height = min(height, (width * target_size[0]) // target_size[1])
    crop_width = min(width, (height * target_size[1]) // target_size[0])
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize(width_height, resample, box=[left, top, left + crop_width, top + crop_height])


def img_to_array(img, data_format=None, dtype=None):
    """A new 3-D array (height, width, channels), or (channels, height, width) for
    data_format='channels_first', of `dtype` (float32 by default) from a Pillow image (or an
    array of 2 or 3 dimensions)."""
    data_format = _args.normalize_data_format(data_format)
    x = np.array(img, dtype=_float_dtype(dtype))  # (a copy: the array never shares an input's memory)
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[np.newaxis] if data_format == "channels_first" else x[:, :, np.newaxis]
    raise ValueError(f"Unsupported image shape: {x.shape}. Expected an image of 2 or 3 dimensions.")


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A Pillow image from a 3-D array with 1 ('L', or 'I' above 255), 3 ('RGB') or 4 ('RGBA')
    channels; scale=True first maps the values onto [0, 255] (minimum to 0, maximum to 255)."""
    image_module = _pil_image("array_to_img")
    data_format = _args.normalize_data_format(data_format)
    x = np.asarray(x, dtype=_float_dtype(dtype))
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)  # (a new array: the in-place steps below never reach the input)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}. Expected 1, 3 or 4 channels.")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array `x` as an image (array_to_img) to a path or file object; the format comes
    from the file name unless `file_format` says it ('jpg' means 'jpeg'); kwargs go to Pillow's
    `Image.save`."""
    data_format = _args.normalize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
