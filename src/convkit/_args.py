"""Argument standardisation shared by ops, layers and models.

Every helper raises ValueError/TypeError whose message names the argument, what was expected and
what was received. Output-length formulas are plain integer arithmetic (Keras 3's rules).
"""
import numbers
import operator

import numpy as np

_DATA_FORMATS = ("channels_last", "channels_first")


def _is_int(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def normalize_tuple(value, n, name, allow_zero=False):
    """An int or an iterable of `n` ints -> tuple of `n` ints, each >= 1 (>= 0 with allow_zero)."""
    if _is_int(value):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise TypeError(
                f"The `{name}` argument must be an int or a tuple of {n} ints. Received: {name}={value!r}"
            ) from None
        if len(values) != n:
            raise ValueError(
                f"The `{name}` argument must be a tuple of {n} integers. Received: {name}={value!r} "
                f"(length {len(values)})"
            )
        for v in values:
            if not _is_int(v):
                raise TypeError(
                    f"The `{name}` argument must be a tuple of {n} integers. Received: {name}={value!r} "
                    f"including element {v!r} of type {type(v).__name__}"
                )
        values = tuple(int(v) for v in values)
    bound = 0 if allow_zero else 1
    bad = [v for v in values if v < bound]
    if bad:
        req = "`>= 0`" if allow_zero else "`> 0`"
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value!r} including "
            f"values {set(bad)} that do not satisfy {req}"
        )
    return values


def normalize_padding(value, allowed=("valid", "same")):
    if not isinstance(value, str):
        raise TypeError(f"The `padding` argument must be a string, one of {list(allowed)}. Received: padding={value!r}")
    padding = value.lower()
    if padding not in allowed:
        extra = " ('causal' is only supported for 1D convolutions)" if padding == "causal" else ""
        raise ValueError(
            f"The `padding` argument must be one of {list(allowed)}{extra}. Received: padding={value!r}"
        )
    return padding


def normalize_data_format(value):
    if value is None:
        # as Keras: None is the process-wide default, read when a layer is made or an op is called
        from convkit.config import image_data_format

        return image_data_format()
    if not isinstance(value, str) or value.lower() not in _DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {list(_DATA_FORMATS)} or None. Received: data_format={value!r}"
        )
    return value.lower()


def normalize_int(value, name, minimum=1):
    if not _is_int(value):
        raise TypeError(f"The `{name}` argument must be an integer. Received: {name}={value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"The `{name}` argument must be an integer >= {minimum}. Received: {name}={value}")
    return value


def check_strides_dilation(strides, dilation_rate):
    """Keras's Conv and ConvTranspose layers refuse a stride and a dilation both above 1 (its
    depthwise and separable layers and keras.ops allow them)."""
    if any(s > 1 for s in strides) and any(d > 1 for d in dilation_rate):
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}"
        )


def effective_kernel_size(kernel_size, dilation):
    return (kernel_size - 1) * dilation + 1


def conv_output_length(length, kernel_size, padding, stride, dilation=1):
    """Keras's conv output length; None passes through (unknown dimension)."""
    if length is None:
        return None
    k = effective_kernel_size(kernel_size, dilation)
    if padding == "valid":
        return (length - k + stride) // stride  # <= 0 when the kernel does not fit
    # 'same' and 'causal' keep ceil(length / stride) positions
    return -(-length // stride)


def conv_pads(length, kernel_size, padding, stride, dilation=1):
    """Zeros (before, after) for one spatial dim. 'same' puts an odd extra pad at the end (TF/Keras);
    'causal' pads dilation*(k-1) at the start."""
    k = effective_kernel_size(kernel_size, dilation)
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return k - 1, 0
    out = -(-length // stride)
    total = max((out - 1) * stride + k - length, 0)
    return total // 2, total - total // 2


def conv_transpose_output_length(length, kernel_size, padding, output_padding, stride, dilation=1):
    """Keras 3's deconv output length."""
    if length is None:
        return None
    k = effective_kernel_size(kernel_size, dilation)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(k - stride, 0)
        return length * stride
    pad = k // 2 if padding == "same" else 0
    return (length - 1) * stride + k - 2 * pad + output_padding


def conv_transpose_crop(kernel_size, padding, output_padding, stride, dilation=1):
    """Leading positions of the full transposed output (length (n-1)*s + k_eff) that Keras drops.

    Keras expresses transposed convolution as a stride-dilated input convolved with padding
    (left, right); the full scatter output starts k_eff - 1 - left positions earlier."""
    k = effective_kernel_size(kernel_size, dilation)
    if padding == "valid":
        return 0
    if output_padding is None:
        pad_len = stride + k - 2
    else:
        pad_len = k + k % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, k - 1)
    return k - 1 - left


def pool_output_length(length, pool_size, padding, stride):
    if length is None:
        return None
    if padding == "valid":
        return (length - pool_size) // stride + 1  # <= 0 when the window does not fit
    return -(-length // stride)


def pool_pads(length, pool_size, padding, stride):
    if padding == "valid":
        return 0
    out = -(-length // stride)
    total = max((out - 1) * stride + pool_size - length, 0)
    return total // 2


def as_float32_array(x, name="inputs"):
    """Any numeric array-like -> float32 C-contiguous ndarray (a new array; the input is never
    modified). Object, string, complex and structured inputs are rejected with a TypeError."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"`{name}` must be a numeric array-like. Received an object that numpy could not "
                            f"convert: {exc}") from None
    kind = arr.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"`{name}` must be a numeric array (bool, int or float). Received an array of dtype {arr.dtype}"
        )
    out = np.ascontiguousarray(arr, dtype=np.float32)
    return out.reshape(()) if arr.ndim == 0 else out  # (ascontiguousarray makes a scalar 1-d)


def check_positive_dims(shape, name):
    for d in shape:
        if d <= 0:
            raise ValueError(f"`{name}` has a dimension of size {d}; expected every dimension to be >= 1. "
                             f"Received {name}.shape={tuple(shape)}")


def index_or_none(value, name):
    if value is None:
        return None
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}` must be an integer or None. Received: {name}={value!r}") from None
