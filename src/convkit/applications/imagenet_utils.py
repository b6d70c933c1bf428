"""Keras's ImageNet input preprocessing and prediction decoding, on numpy arrays.

    x = convkit.applications.imagenet_utils.preprocess_input(images, mode="caffe")
    convkit.applications.imagenet_utils.decode_predictions(probs, top=3)

preprocess_input gives Keras's numbers and dtypes: a float array keeps its float type, any other
numeric array becomes float32. Unlike Keras's numpy path, which writes the result over a float
input, it always returns a new array and leaves the input as it was.

decode_predictions needs ImageNet's class index (imagenet_class_index.json), which Keras
downloads; convkit never downloads: it reads the file from `class_index_path` or from Keras's
cache (~/.keras/models/imagenet_class_index.json, where Keras keeps it once downloaded).
"""
import json
import os

import numpy as np

__all__ = ["preprocess_input", "decode_predictions"]

_MODES = ("caffe", "tf", "torch")
_DATA_FORMATS = ("channels_first", "channels_last")
_CAFFE_MEAN = (103.939, 116.779, 123.68)  # ImageNet's mean pixel, in BGR order
_TORCH_MEAN = (0.485, 0.456, 0.406)  # ImageNet's mean and standard deviation of pixels scaled to [0, 1], RGB
_TORCH_STD = (0.229, 0.224, 0.225)
_CLASS_INDEX_FILE = "imagenet_class_index.json"
_CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
_CLASS_INDEXES = {}  # path -> the class index read from it


def preprocess_input(x, data_format=None, mode="caffe"):
    """A batch of images (or one image) with values in [0, 255] prepared as an ImageNet model
    expects it. mode='caffe': RGB -> BGR, then ImageNet's mean pixel subtracted; 'tf': scaled to
    [-1, 1]; 'torch': scaled to [0, 1], then each channel standardised with ImageNet's mean and
    standard deviation. data_format=None: convkit.config.image_data_format()."""
    if mode not in _MODES:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        from convkit.config import image_data_format

        data_format = image_data_format()
    elif data_format not in _DATA_FORMATS:
        raise ValueError(f"Expected data_format to be one of `channels_first` or `channels_last`. Received: "
                         f"data_format={data_format}")
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"`x` must be a numeric array (bool, int or float) of pixel values. Received an array of "
                        f"dtype {x.dtype}")
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    if mode == "tf":
        out = x.astype(dtype)  # (a copy; the same steps as Keras's, so the same rounding)
        out /= 127.5
        out -= 1.0
        return out

    axis = _channel_axis(x, data_format)
    if mode == "caffe":
        out = np.flip(x, axis).astype(dtype)  # RGB -> BGR (and every further channel reversed too, as in Keras)
        mean, std = _CAFFE_MEAN, None
    else:
        out = x.astype(dtype)
        out /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    # the first three channels, each with its own constant (Keras goes channel by channel: the same numbers)
    first_three = tuple(slice(0, 3) if a == axis else slice(None) for a in range(x.ndim))
    along = (3,) + (1,) * (x.ndim - 1 - axis)
    out[first_three] -= np.asarray(mean, dtype).reshape(along)
    if std is not None:
        out[first_three] /= np.asarray(std, dtype).reshape(along)
    return out


def _channel_axis(x, data_format):
    """The colour axis Keras's 'caffe' and 'torch' modes use: the last one (channels_last), the
    first of a single image or the second of a batch (channels_first); it needs 3 channels."""
    if data_format == "channels_last":
        axis = x.ndim - 1
        if x.ndim == 0:
            axis = None
    else:
        axis = 0 if x.ndim == 3 else 1
        if x.ndim < 3:
            axis = None
    if axis is None or x.shape[axis] < 3:
        raise ValueError(f"`x` must hold images with 3 colour channels on axis {'-1' if axis is None else axis} for "
                         f"data_format={data_format!r}: (height, width, 3) or (batch, height, width, 3) with "
                         f"channels_last, (3, height, width) or (batch, 3, height, width) with channels_first. "
                         f"Received: x.shape={x.shape}")
    return axis


def decode_predictions(preds, top=5, *, class_index_path=None):
    """For each row of `preds` (a (samples, 1000) array of ImageNet class scores), the `top` classes
    as (class_id, class_name, score) tuples, highest score first. The class index is read from
    `class_index_path`, or from Keras's cache (~/.keras/models/imagenet_class_index.json); convkit
    does not download it."""
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape (samples, "
                         f"1000)). Received array with shape: {preds.shape}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"`top` must be a positive integer. Received: top={top!r}")
    class_index = _class_index(class_index_path)
    top_indices = preds.argsort(axis=-1)[:, -top:][:, ::-1]  # (Keras's sort, row by row: the same ties)
    results = []
    for pred, indices in zip(preds, top_indices):  # (the result is a list of tuples of strings)
        result = [tuple(class_index[str(i)]) + (pred[i],) for i in indices]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def _class_index(path):
    if path is None:
        from convkit._keras_files import cached_path

        path = cached_path(_CLASS_INDEX_FILE, "models")
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"decode_predictions needs ImageNet's class index, which convkit does not download (it assumes no "
                f"network) and did not find in Keras's cache ({path}). Download {_CLASS_INDEX_URL} (or let Keras "
                f"do it once: keras.applications.imagenet_utils.decode_predictions(...)) and pass "
                f"`class_index_path=` or put it at that path.")
    if path not in _CLASS_INDEXES:
        with open(path) as f:
            index = json.load(f)
        if not isinstance(index, dict) or any(str(i) not in index for i in range(1000)):
            raise ValueError(f"{path!r} is not ImageNet's class index: expected a JSON object with the keys '0' to "
                             f"'999', each holding [class_id, class_name].")
        _CLASS_INDEXES[path] = index
    return _CLASS_INDEXES[path]
