"""What inference scripts use from `keras.backend`: the settings (as in convkit.config), the
session reset, and dtype and symbolic-tensor tests, with Keras 3's names.

    convkit.backend.clear_session()            # the next Dense is named 'dense' again
    convkit.backend.standardize_dtype(np.float32)   # 'float32'
"""
import gc

from convkit.config import (
    backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format,
)

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx", "set_image_data_format",
           "clear_session", "is_keras_tensor", "standardize_dtype", "is_float_dtype", "is_int_dtype", "get_uid"]

# Keras's dtype names, and what it maps Python's types to (its torch backend's choices)
_ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
                   "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64", "complex128")
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32", complex: "complex64"}


def clear_session(free_memory=True):
    """Forget the state convkit keeps between models: the automatic layer names (the next Dense
    is 'dense' again) and the objects of open custom_object_scopes, as Keras does. Registered
    objects stay registered. free_memory=True also runs Python's garbage collector."""
    from convkit._registration import _reset_scopes
    from convkit.layers.base import reset_unique_names

    reset_unique_names()
    _reset_scopes()
    if free_memory:
        gc.collect()


def is_keras_tensor(x):
    """Whether `x` is a symbolic tensor (convkit.Input(...) or a layer's output on one)."""
    from convkit.layers.symbolic import KerasTensor

    return isinstance(x, KerasTensor)


def standardize_dtype(dtype):
    """Keras's name for a dtype: a numpy dtype or type, a Python type or a name -> 'float32',
    'int32', ...; None -> floatx(). An unknown dtype raises ValueError."""
    if dtype is None:
        return floatx()
    try:
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # (unhashable)
        pass
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    elif "torch" in str(dtype) or "jax.numpy" in str(dtype):
        dtype = str(dtype).split(".")[-1]
    if dtype not in _ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype):
    """Whether `dtype` (anything standardize_dtype takes) is a float type."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("float") or dtype.startswith("bfloat")


def is_int_dtype(dtype):
    """Whether `dtype` (anything standardize_dtype takes) is a signed or unsigned integer type."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("int") or dtype.startswith("uint")


def get_uid(prefix=""):
    """The next number for `prefix`, counting from 1 (the counter automatic layer names use:
    after get_uid('dense') returned 2, the next Dense is named 'dense_2')."""
    from convkit.layers import base

    base.unique_name(prefix)
    return base._NAME_COUNTS[prefix]
