"""What inference scripts use from `keras.utils`, with Keras 3's names, arguments and numbers.

    x = convkit.utils.pad_sequences(token_ids, maxlen=200)      # a (samples, 200) int32 array
    y = convkit.utils.to_categorical(labels, num_classes=10)     # one float64 row per label
    image = convkit.utils.img_to_array(convkit.utils.load_img("cat.jpg", target_size=(224, 224)))

The image functions need Pillow (`pip install pillow`), imported when one is first called. The
registry of custom objects (register_keras_serializable, custom_object_scope, ...) is the one
loading and saving use (convkit/_registration.py). Nothing here downloads: `get_file` only finds
files already in Keras's cache.
"""
import random

import numpy as np

from convkit import _args
from convkit._image_utils import array_to_img, img_to_array, load_img, save_img
from convkit._keras_files import get_file
from convkit._registration import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name, get_registered_object,
    register_keras_serializable,
)
from convkit.backend import clear_session, is_keras_tensor, standardize_dtype

__all__ = [
    "pad_sequences", "to_categorical", "normalize", "set_random_seed", "get_file", "load_img", "img_to_array",
    "array_to_img", "save_img", "register_keras_serializable", "get_custom_objects", "custom_object_scope",
    "CustomObjectScope", "get_registered_name", "get_registered_object", "clear_session", "is_keras_tensor",
    "standardize_dtype",
]

_PAD_SIDES = ("pre", "post")


# ---- sequences -----------------------------------------------------------------------------------

def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """A (num_samples, maxlen, ...) array of `dtype` holding each sequence, cut to its last
    (truncating='pre') or first ('post') `maxlen` items and padded with `value` before
    (padding='pre') or after ('post') them. maxlen=None: the longest sequence's length. Items may
    themselves be arrays of one shape (the first non-empty sequence's); strings need dtype=object
    (or a string dtype)."""
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be iterable. Received: sequences={sequences!r}")
    if padding not in _PAD_SIDES:
        raise ValueError(f'Padding type "{padding}" not understood: `padding` must be one of {list(_PAD_SIDES)}.')
    if truncating not in _PAD_SIDES:
        raise ValueError(f'Truncating type "{truncating}" not understood: `truncating` must be one of '
                         f'{list(_PAD_SIDES)}.')
    try:
        out_dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"`dtype` must be a numpy dtype or its name. Received: dtype={dtype!r}") from None
    if isinstance(value, str) and out_dtype.kind not in "OUS":
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\nYou should set "
                         f"`dtype=object` for variable length strings.")
    if maxlen is not None:
        maxlen = _args.normalize_int(maxlen, "maxlen", minimum=0)
    if isinstance(sequences, np.ndarray) and sequences.ndim >= 2:
        return _pad_array(sequences, maxlen, out_dtype, padding, truncating, value)

    lengths = []
    for seq in sequences:  # (one step per sequence: a ragged list has no array form)
        try:
            lengths.append(len(seq))
        except TypeError:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {seq}") from None
    if maxlen is None:
        if not lengths:
            raise ValueError("`sequences` is empty, so the padded length cannot be inferred: pass `maxlen`.")
        maxlen = max(lengths)
    kept = np.minimum(np.asarray(lengths, dtype=np.int64), maxlen)
    pieces, sample_shape = [], None
    for index, (seq, length, count) in enumerate(zip(sequences, lengths, kept)):
        if count == 0:
            continue
        piece = np.asarray(seq[length - count:] if truncating == "pre" else seq[:count], dtype=out_dtype)
        if piece.ndim == 0 or len(piece) != count:
            raise ValueError(f"The sequence at position {index} of `sequences` is not a sequence of items (a list "
                             f"or an array). Received: {seq!r}")
        if sample_shape is None:
            sample_shape = piece.shape[1:]
        elif piece.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {piece.shape[1:]} of sequence at position {index} is different from "
                             f"expected shape {sample_shape}")
        pieces.append(piece)
    out = np.full((len(lengths), maxlen) + (sample_shape or ()), value, dtype=out_dtype)
    if pieces:
        # every kept item goes to (its row, its column) in one assignment
        rows = np.repeat(np.arange(len(lengths)), kept)
        first = np.cumsum(kept) - kept  # where each row's items start in the concatenation
        cols = np.arange(rows.size) - np.repeat(first, kept)
        if padding == "pre":
            cols += np.repeat(maxlen - kept, kept)
        out[rows, cols] = np.concatenate(pieces)
    return out


def _pad_array(sequences, maxlen, dtype, padding, truncating, value):
    """pad_sequences of an array (num_samples, length, ...): every sequence has the same length."""
    length = sequences.shape[1]
    maxlen = length if maxlen is None else maxlen
    count = min(length, maxlen)
    out = np.full((sequences.shape[0], maxlen) + sequences.shape[2:], value, dtype=dtype)
    if count:
        kept = sequences[:, length - count:] if truncating == "pre" else sequences[:, :count]
        if padding == "pre":
            out[:, maxlen - count:] = kept.astype(dtype, copy=False)
        else:
            out[:, :count] = kept.astype(dtype, copy=False)
    return out


# ---- numbers --------------------------------------------------------------------------------------

def to_categorical(x, num_classes=None):
    """One-hot rows (float64, as Keras gives them) for the class indices in `x`, the class axis
    last; a trailing axis of size 1 is dropped first. num_classes=None: max(x) + 1. As in Keras,
    an index -k counts from the end (the class num_classes - k)."""
    try:
        x = np.array(x, dtype="int64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`x` must hold integer class indices. Received: x={x!r} ({exc})") from None
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if not num_classes:
        if x.size == 0:
            raise ValueError("`x` is empty, so `num_classes` cannot be inferred from it: pass `num_classes`.")
        num_classes = int(x.max()) + 1
    else:
        num_classes = _args.normalize_int(num_classes, "num_classes", minimum=1)
    if x.size and (x.max() >= num_classes or x.min() < -num_classes):
        raise ValueError(f"Every class index in `x` must be in [0, {num_classes}) for num_classes={num_classes}. "
                         f"Received indices from {x.min()} to {x.max()}.")
    categorical = np.zeros((x.shape[0], num_classes))
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (a zero norm leaves the values as they are).

    A numpy array is computed as Keras computes one, in its own float type (integers give
    float64), with its shapes: a 1-D array comes back as (1, n). One difference: Keras divides
    by the norms placed along the last axis when axis=0 (its `axis or -1` meant None), which is
    wrong or fails for 2-D arrays and more; convkit places them along axis 0. Anything else
    (lists, ...) is computed as keras.ops.normalize computes a tensor (float32)."""
    if not isinstance(x, np.ndarray):
        from convkit.ops import normalize as ops_normalize

        return ops_normalize(x, axis=axis, order=order)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, -1 if axis is None else axis)


def set_random_seed(seed):
    """Seed every random generator convkit draws from: Python's `random`, numpy's global
    generator (np.random.seed) and the one convkit's initializers use when they have no seed."""
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    if not 0 <= seed < 2 ** 32:
        raise ValueError(f"`seed` must be between 0 and 2**32 - 1 (numpy's limits). Received: seed={seed}")
    random.seed(seed)
    np.random.seed(seed)
    from convkit import initializers

    # (reseeded in place: every module holding that generator sees the new stream)
    initializers._global_rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
