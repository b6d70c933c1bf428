"""Functional API: NumPy arrays in, float32 NumPy arrays out.

The convolution and pooling functions take the same positional and keyword arguments as their
namesakes in `keras.ops` (inputs, kernel, strides, padding, data_format, dilation_rate ...), with
convkit's extras (bias, groups, activation, algorithm) after them. The rank is taken from the
input: a 3-D input is a 1D op, 4-D is 2D, 5-D is 3D.

This floor validates, computes shapes and lays the arrays out as the C core wants them
(channels-last, three spatial dimensions); it never loops over pixels.
"""
import sys

import numpy as np

from convkit import _args
from convkit import activations as _activations
from convkit._ext import _core

__all__ = [
    "conv", "depthwise_conv", "separable_conv", "conv_transpose", "max_pool", "average_pool",
    "global_max_pool", "global_average_pool", "adaptive_max_pool", "adaptive_average_pool", "zero_pad", "crop",
    "upsample", "dense", "activation",
]

_ALGORITHMS = {"auto": 0, "direct": 1, "gemm": 2, "winograd": 3}
_MAX_ELEMENTS = sys.maxsize // 8  # bytes of any buffer must fit the address space comfortably


# ---- layout helpers ---------------------------------------------------------------------------

def _channels_last(x, work=False):
    """(N, C, spatial...) -> a new contiguous (N, spatial..., C) float32 array. C-contiguous
    float32 input goes through the C core's tiled transpose (threads, GIL released): 2.5-3.3x
    NumPy's strided copy on a channels_first ResNet stem's input and output. work=True: the array
    is a scratch block (_core.scratch_empty) that must not outlive the call."""
    if x.dtype != np.float32 or not x.flags.c_contiguous:
        return np.ascontiguousarray(np.moveaxis(x, 1, -1), dtype=np.float32)
    n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
    shape = (n,) + spatial + (c,)
    y = _core.scratch_empty(shape) if work else np.empty(shape, np.float32)
    if y.size:
        s = y.size // (n * c)
        _core.transpose_batched(x.reshape(n, c, s), y.reshape(n, s, c))
    return y


def _channels_first(y):
    """(N, spatial..., C) -> a new contiguous (N, C, spatial...) float32 array (as above)."""
    if y.dtype != np.float32 or not y.flags.c_contiguous:
        return np.ascontiguousarray(np.moveaxis(y, -1, 1), dtype=np.float32)
    n, c, spatial = y.shape[0], y.shape[-1], y.shape[1:-1]
    x = np.empty((n, c) + spatial, np.float32)
    if x.size:
        s = x.size // (n * c)
        _core.transpose_batched(y.reshape(n, s, c), x.reshape(n, c, s))
    return x


def _spatial_input(inputs, data_format, op):
    """inputs -> (float32 channels-last contiguous array, spatial rank, data_format)."""
    data_format = _args.normalize_data_format(data_format)
    x = _args.as_float32_array(inputs, "inputs")
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"`{op}` expects `inputs` of rank 3, 4 or 5 (batch, spatial dims..., channels) for a 1D, 2D or 3D "
            f"operation. Received inputs.shape={x.shape}"
        )
    if data_format == "channels_first":
        x = _channels_last(x, work=True)  # read by the op's kernel only
    if x.shape[-1] < 1:
        raise ValueError(f"`inputs` must have at least one channel. Received inputs.shape={x.shape} "
                         f"with data_format={data_format!r}")
    for d in x.shape[1:-1]:
        if d < 1:
            raise ValueError(f"Every spatial dimension of `inputs` must be >= 1. Received inputs.shape={x.shape}")
    return x, x.ndim - 2, data_format


def _to5d(x, rank):
    """(N, spatial..., C) -> (N, 1.., spatial..., C) with 3 spatial dims (a view)."""
    return x.reshape((x.shape[0],) + (1,) * (3 - rank) + x.shape[1:])


def _kernel5d(k, rank):
    """(k..., a, b) -> (1.., k..., a, b) with 3 spatial dims."""
    return k.reshape((1,) * (3 - rank) + k.shape)


def _pad3(values, fill):
    return (fill,) * (3 - len(values)) + tuple(values)


def _output_array(shape, op, data_format=None):
    """A new float32 array for an op's channels-last result; with data_format='channels_first'
    (a result _finish moves into a new array) a scratch block (_core.scratch_empty)."""
    total = 1
    for d in shape:
        total *= int(d)
    if total > _MAX_ELEMENTS:
        raise ValueError(f"`{op}` would produce an output of shape {tuple(shape)} ({total} elements), which does "
                         "not fit in memory on this machine")
    if data_format == "channels_first":
        return _core.scratch_empty(tuple(shape))
    return np.empty(shape, dtype=np.float32)


def _finish(y, rank, data_format):
    """(N, 1.., spatial..., C) result -> the caller's layout."""
    y = y.reshape((y.shape[0],) + y.shape[4 - rank:])
    if data_format == "channels_first":
        y = _channels_first(y)
    return y


def _post_activation(y, act):
    """The activation the kernel could not fuse, on the result in the caller's layout: softmax and
    log_softmax reduce over the last axis, which with channels_first is the last spatial axis, as in
    Keras (activations.softmax(x, axis=-1) on the layer's output)."""
    return y if act.fusable else act(y)


def _kernel_array(kernel, name, rank, op):
    k = _args.as_float32_array(kernel, name)
    if k.ndim != rank + 2:
        raise ValueError(
            f"`{op}` on an input of spatial rank {rank} expects `{name}` of rank {rank + 2} "
            f"(kernel dims..., in, out). Received {name}.shape={k.shape}"
        )
    for d in k.shape:
        if d < 1:
            raise ValueError(f"Every dimension of `{name}` must be >= 1. Received {name}.shape={k.shape}")
    return k


def _bias_array(bias, length, op):
    if bias is None:
        return None
    b = _args.as_float32_array(bias, "bias")
    if b.shape != (length,):
        raise ValueError(f"`{op}` expects `bias` of shape ({length},) (one value per output channel). "
                         f"Received bias.shape={b.shape}")
    return b


def _activation(activation):
    act = _activations.get(activation)
    # Fusable activations run inside the kernel; the rest after it.
    return act, (act.kind if act.fusable else 0), act.alpha


def _window_args(rank, strides, padding, dilation_rate, allow_causal):
    strides = _args.normalize_tuple(strides, rank, "strides")
    dilation = _args.normalize_tuple(dilation_rate, rank, "dilation_rate")
    allowed = ("valid", "same", "causal") if (allow_causal and rank == 1) else ("valid", "same")
    padding = _args.normalize_padding(padding, allowed)
    # A stride and a dilation both above 1 are fine here, as in keras.ops on the torch and JAX
    # backends; the Conv and ConvTranspose layers refuse them as Keras's layers do.
    return strides, dilation, padding


def _check_winograd(rank, ksize, strides, dilation):
    """algorithm='winograd' (F(4x4, 3x3), csrc/winograd/) covers 2D 3x3 convolutions with stride 1
    and dilation 1 (any padding, groups, bias, activation), and 3D ones whose kernel is 1x3x3
    with stride 1 along depth; anything else is refused here, never silently sent elsewhere."""
    ksize, strides, dilation = tuple(ksize), tuple(strides), tuple(dilation)
    ok = rank in (2, 3) and ksize[-2:] == (3, 3) and strides[-2:] == (1, 1) and dilation[-2:] == (1, 1)
    if ok and rank == 3:
        ok = ksize[0] == 1 and strides[0] == 1
    if not ok:
        raise ValueError(
            "algorithm='winograd' supports 2D convolutions with a 3x3 kernel, strides=1 and dilation_rate=1 "
            "(or 3D with a (1, 3, 3) kernel and strides=1); use algorithm='auto' or 'gemm' otherwise. "
            f"Received: rank={rank}, kernel size={ksize}, strides={strides}, dilation_rate={dilation}")


def _conv_geometry(spatial, ksize, strides, dilation, padding, op):
    out, before = [], []
    for n, k, s, d in zip(spatial, ksize, strides, dilation):
        o = _args.conv_output_length(n, k, padding, s, d)
        if o <= 0:
            raise ValueError(
                f"`{op}`: the computed output size would be {o} (<= 0) for input spatial size {tuple(spatial)}, "
                f"kernel_size={tuple(ksize)}, strides={tuple(strides)}, dilation_rate={tuple(dilation)} and "
                f"padding={padding!r}. Use a smaller kernel or padding='same'"
            )
        out.append(o)
        before.append(_args.conv_pads(n, k, padding, s, d)[0])
    return tuple(out), tuple(before)


# ---- convolution ------------------------------------------------------------------------------

def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None,
         groups=None, activation=None, algorithm="auto"):
    """N-d convolution (1D/2D/3D by the input's rank), as keras.ops.conv.

    kernel: (kernel dims..., in_channels // groups, filters). groups=None infers it from the kernel
    like keras.ops.conv; bias: (filters,); activation: a Keras activation name or callable, fused
    into the kernel's output pass where possible. algorithm: 'auto', 'direct', 'gemm' or 'winograd'.
    """
    x, rank, data_format = _spatial_input(inputs, data_format, "conv")
    k = _kernel_array(kernel, "kernel", rank, "conv")
    strides, dilation, padding = _window_args(rank, strides, padding, dilation_rate, allow_causal=True)
    in_ch, k_in, filters = x.shape[-1], k.shape[-2], k.shape[-1]
    if groups is None:
        if in_ch % k_in != 0:
            raise ValueError(
                f"The number of input channels ({in_ch}) must be a multiple of the kernel's input channels "
                f"(kernel.shape[-2]={k_in}). Received inputs.shape={x.shape} (channels last) and kernel.shape={k.shape}"
            )
        groups = in_ch // k_in
    else:
        groups = _args.normalize_int(groups, "groups")
        if in_ch % groups != 0:
            raise ValueError(f"The number of input channels ({in_ch}) must be divisible by `groups`. "
                             f"Received: groups={groups}")
        if k_in * groups != in_ch:
            raise ValueError(
                f"The kernel's input channels (kernel.shape[-2]={k_in}) times `groups` ({groups}) must equal the "
                f"input's channels ({in_ch}). Received kernel.shape={k.shape}"
            )
    if filters % groups != 0:
        raise ValueError(f"The number of filters (kernel.shape[-1]={filters}) must be divisible by `groups`. "
                         f"Received: groups={groups}")
    if not isinstance(algorithm, str) or algorithm.lower() not in _ALGORITHMS:
        raise ValueError(f"The `algorithm` argument must be one of {list(_ALGORITHMS)}. Received: algorithm={algorithm!r}")
    if algorithm.lower() == "winograd":
        _check_winograd(rank, k.shape[:rank], strides, dilation)
    b = _bias_array(bias, filters, "conv")
    act, kind, alpha = _activation(activation)
    out, before = _conv_geometry(x.shape[1:-1], k.shape[:rank], strides, dilation, padding, "conv")
    y = _output_array((x.shape[0],) + _pad3(out, 1) + (filters,), "conv", data_format)
    _core.conv_nd(_to5d(x, rank), _kernel5d(k, rank), b, y, _pad3(strides, 1), _pad3(dilation, 1),
                  _pad3(before, 0), groups, kind, alpha, _ALGORITHMS[algorithm.lower()])
    return _post_activation(_finish(y, rank, data_format), act)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None,
                   activation=None):
    """Depthwise convolution, as keras.ops.depthwise_conv. kernel: (kernel dims..., in_channels,
    depth_multiplier); output channel c * depth_multiplier + m reads input channel c."""
    x, rank, data_format = _spatial_input(inputs, data_format, "depthwise_conv")
    k = _kernel_array(kernel, "kernel", rank, "depthwise_conv")
    strides, dilation, padding = _window_args(rank, strides, padding, dilation_rate, allow_causal=False)
    in_ch = x.shape[-1]
    if k.shape[-2] != in_ch:
        raise ValueError(
            f"`depthwise_conv` expects kernel.shape[-2] to equal the input's channels ({in_ch}). "
            f"Received kernel.shape={k.shape}"
        )
    out_ch = in_ch * k.shape[-1]
    b = _bias_array(bias, out_ch, "depthwise_conv")
    act, kind, alpha = _activation(activation)
    out, before = _conv_geometry(x.shape[1:-1], k.shape[:rank], strides, dilation, padding, "depthwise_conv")
    y = _output_array((x.shape[0],) + _pad3(out, 1) + (out_ch,), "depthwise_conv", data_format)
    _core.depthwise_conv_nd(_to5d(x, rank), _kernel5d(k, rank), b, y, _pad3(strides, 1), _pad3(dilation, 1),
                            _pad3(before, 0), kind, alpha)
    return _post_activation(_finish(y, rank, data_format), act)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1, bias=None, activation=None):
    """Depthwise then pointwise (1x1) convolution, as keras.ops.separable_conv. bias and activation
    apply after the pointwise step."""
    data_format = _args.normalize_data_format(data_format)
    mid = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    rank = mid.ndim - 2
    pk = _kernel_array(pointwise_kernel, "pointwise_kernel", rank, "separable_conv")
    mid_ch = mid.shape[1] if data_format == "channels_first" else mid.shape[-1]
    if pk.shape[:rank] != (1,) * rank or pk.shape[-2] != mid_ch:
        raise ValueError(
            f"`separable_conv` expects pointwise_kernel of shape {(1,) * rank + (mid_ch, 'filters')} "
            f"(in_channels * depth_multiplier = {mid_ch}). Received pointwise_kernel.shape={pk.shape}"
        )
    return conv(mid, pk, 1, "valid", data_format, 1, bias=bias, groups=1, activation=activation)


def _transpose_args(rank, strides, padding, output_padding, dilation_rate, groups):
    """conv_transpose's window arguments, normalised and checked."""
    strides = _args.normalize_tuple(strides, rank, "strides")
    dilation = _args.normalize_tuple(dilation_rate, rank, "dilation_rate")
    padding = _args.normalize_padding(padding)
    groups = _args.normalize_int(groups, "groups")
    if output_padding is not None:
        output_padding = _args.normalize_tuple(output_padding, rank, "output_padding", allow_zero=True)
        for p, s in zip(output_padding, strides):
            if p >= s:
                raise ValueError(
                    f"Each value of `output_padding` must be smaller than the matching stride. "
                    f"Received: strides={strides}, output_padding={output_padding}"
                )
    return strides, dilation, padding, output_padding, groups


def _transpose_channels_message(in_ch, kshape):
    return (f"`conv_transpose` expects kernel.shape[-1] to equal the input's channels ({in_ch}). "
            f"Received kernel.shape={kshape}")


def _transpose_geometry(spatial, kshape, strides, dilation, padding, output_padding):
    """(output sizes, crops) of a transposed convolution, by Keras's rule."""
    out, crop = [], []
    for i, (n, ks, s, d) in enumerate(zip(spatial, kshape[:len(spatial)], strides, dilation)):
        op = None if output_padding is None else output_padding[i]
        o = _args.conv_transpose_output_length(n, ks, padding, op, s, d)
        # 0 is a valid (empty) size: Keras's rule gives it with 'same', an explicit
        # output_padding and a kernel longer than the input, and Keras returns an empty tensor
        if o < 0:
            raise ValueError(f"`conv_transpose`: the computed output size would be {o} (< 0) for input spatial "
                             f"size {tuple(spatial)}, kernel.shape={kshape}, padding={padding!r}")
        out.append(o)
        crop.append(_args.conv_transpose_crop(ks, padding, op, s, d))
    return tuple(out), tuple(crop)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1, bias=None, activation=None, groups=1):
    """Transposed convolution, as keras.ops.conv_transpose. kernel: (kernel dims..., filters // groups,
    in_channels), Keras's ConvTranspose layout; output sizes follow Keras's rule."""
    x, rank, data_format = _spatial_input(inputs, data_format, "conv_transpose")
    k = _kernel_array(kernel, "kernel", rank, "conv_transpose")
    strides, dilation, padding, output_padding, groups = _transpose_args(rank, strides, padding, output_padding,
                                                                         dilation_rate, groups)
    in_ch = x.shape[-1]
    if k.shape[-1] != in_ch:
        raise ValueError(_transpose_channels_message(in_ch, k.shape))
    if in_ch % groups != 0:
        raise ValueError(f"The number of input channels ({in_ch}) must be divisible by `groups`. Received: groups={groups}")
    filters = k.shape[-2] * groups
    b = _bias_array(bias, filters, "conv_transpose")
    act, kind, alpha = _activation(activation)
    out, crop = _transpose_geometry(x.shape[1:-1], k.shape, strides, dilation, padding, output_padding)
    y = _output_array((x.shape[0],) + _pad3(out, 1) + (filters,), "conv_transpose", data_format)
    if y.size:  # an empty output (a zero-length axis, see _transpose_geometry) has nothing to run
        _core.conv_transpose_nd(_to5d(x, rank), _kernel5d(k, rank), b, y, _pad3(strides, 1), _pad3(dilation, 1),
                                _pad3(crop, 0), groups, kind, alpha)
    return _post_activation(_finish(y, rank, data_format), act)


# ---- pooling ----------------------------------------------------------------------------------

def _pool(inputs, pool_size, strides, padding, data_format, is_max):
    op = "max_pool" if is_max else "average_pool"
    x, rank, data_format = _spatial_input(inputs, data_format, op)
    pool_size = _args.normalize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else _args.normalize_tuple(strides, rank, "strides")
    padding = _args.normalize_padding(padding)
    out, before = [], []
    for n, p, s in zip(x.shape[1:-1], pool_size, strides):
        o = _args.pool_output_length(n, p, padding, s)
        if o <= 0:
            raise ValueError(f"`{op}`: the computed output size would be {o} (<= 0) for input spatial size "
                             f"{tuple(x.shape[1:-1])}, pool_size={pool_size}, strides={strides}, padding={padding!r}")
        out.append(o)
        before.append(_args.pool_pads(n, p, padding, s))
    y = _output_array((x.shape[0],) + _pad3(out, 1) + (x.shape[-1],), op, data_format)
    _core.pool_nd(_to5d(x, rank), y, _pad3(pool_size, 1), _pad3(strides, 1), _pad3(before, 0), is_max)
    return _finish(y, rank, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling, as keras.ops.max_pool; strides=None means strides=pool_size."""
    return _pool(inputs, pool_size, strides, padding, data_format, True)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling, as keras.ops.average_pool; with 'same', a window's mean counts only the
    cells inside the input."""
    return _pool(inputs, pool_size, strides, padding, data_format, False)


def _global_pool(inputs, data_format, keepdims, is_max):
    op = "global_max_pool" if is_max else "global_average_pool"
    x, rank, data_format = _spatial_input(inputs, data_format, op)
    n, c = x.shape[0], x.shape[-1]
    y = _output_array((n, c), op)
    spatial = int(np.prod(x.shape[1:-1]))  # written out: reshape cannot infer -1 for an empty batch
    _core.global_pool(x.reshape(n, spatial, c), y, is_max)
    if keepdims:
        y = y.reshape((n,) + (1,) * rank + (c,))
        if data_format == "channels_first":
            y = _channels_first(y)
    return y


def global_max_pool(inputs, data_format=None, keepdims=False):
    return _global_pool(inputs, data_format, keepdims, True)


def global_average_pool(inputs, data_format=None, keepdims=False):
    return _global_pool(inputs, data_format, keepdims, False)



def _adaptive_pool(inputs, output_size, data_format, is_max):
    op = "adaptive_max_pool" if is_max else "adaptive_average_pool"
    x, rank, data_format = _spatial_input(inputs, data_format, op)
    output_size = _args.normalize_tuple(output_size, rank, "output_size")
    y = _output_array((x.shape[0],) + _pad3(output_size, 1) + (x.shape[-1],), op, data_format)
    _core.adaptive_pool_nd(_to5d(x, rank), y, is_max)
    return _finish(y, rank, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed output size, as keras.ops.adaptive_max_pool: along a dim of length
    n pooled to m cells, cell i takes the max over [floor(i*n/m), ceil((i+1)*n/m))."""
    return _adaptive_pool(inputs, output_size, data_format, True)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed output size, as keras.ops.adaptive_average_pool (windows as in
    adaptive_max_pool)."""
    return _adaptive_pool(inputs, output_size, data_format, False)

# ---- reshaping --------------------------------------------------------------------------------

def _pairs(value, rank, name):
    """Keras ZeroPadding/Cropping forms -> ((before, after),) * rank, every value >= 0."""
    def bad(extra=""):
        return ValueError(
            f"`{name}` must be an int, a tuple of {rank} ints or a tuple of {rank} tuples of 2 ints"
            f"{' (or one tuple of 2 ints for 1D)' if rank == 1 else ''}{extra}. Received: {name}={value!r}"
        )

    if _args._is_int(value):
        pairs = ((int(value), int(value)),) * rank
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise TypeError(f"`{name}` must be an int or a tuple. Received: {name}={value!r}") from None
        if rank == 1 and len(items) == 2 and all(_args._is_int(v) for v in items):
            pairs = ((int(items[0]), int(items[1])),)
        elif len(items) == rank and all(_args._is_int(v) for v in items):
            pairs = tuple((int(v), int(v)) for v in items)
        elif len(items) == rank:
            pairs = []
            for item in items:
                try:
                    pair = tuple(item)
                except TypeError:
                    raise bad() from None
                if len(pair) != 2 or not all(_args._is_int(v) for v in pair):
                    raise bad()
                pairs.append((int(pair[0]), int(pair[1])))
            pairs = tuple(pairs)
        else:
            raise bad()
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"Every value of `{name}` must be >= 0. Received: {name}={value!r}")
    return pairs


def zero_pad(inputs, padding, data_format=None):
    """Zeros around the spatial dims, as keras.layers.ZeroPadding1D/2D/3D."""
    x, rank, data_format = _spatial_input(inputs, data_format, "zero_pad")
    pairs = _pairs(padding, rank, "padding")
    before = tuple(p[0] for p in pairs)
    after = tuple(p[1] for p in pairs)
    out = tuple(n + b + a for n, b, a in zip(x.shape[1:-1], before, after))
    y = _output_array((x.shape[0],) + _pad3(out, 1) + (x.shape[-1],), "zero_pad", data_format)
    _core.zero_pad_nd(_to5d(x, rank), y, _pad3(before, 0), _pad3(after, 0))
    return _finish(y, rank, data_format)


def crop(inputs, cropping, data_format=None):
    """Remove cells from the spatial dims' ends, as keras.layers.Cropping1D/2D/3D."""
    x, rank, data_format = _spatial_input(inputs, data_format, "crop")
    pairs = _pairs(cropping, rank, "cropping")
    out = []
    for n, (b, a) in zip(x.shape[1:-1], pairs):
        if b + a >= n:
            raise ValueError(
                f"`cropping` removes {b + a} of {n} cells along a spatial dimension, leaving nothing. "
                f"Received: cropping={cropping!r} for inputs of spatial shape {tuple(x.shape[1:-1])}"
            )
        out.append(n - b - a)
    y = _output_array((x.shape[0],) + _pad3(out, 1) + (x.shape[-1],), "crop", data_format)
    _core.crop_nd(_to5d(x, rank), y, _pad3(tuple(p[0] for p in pairs), 0))
    return _finish(y, rank, data_format)


def upsample(inputs, size, interpolation="nearest", data_format=None):
    """Upsampling by `size` per spatial dim: 'nearest' repeats cells (any rank); 'bilinear' (2D)
    interpolates with the half-pixel rule, as keras.layers.UpSampling2D."""
    x, rank, data_format = _spatial_input(inputs, data_format, "upsample")
    size = _args.normalize_tuple(size, rank, "size")
    if not isinstance(interpolation, str) or interpolation.lower() not in ("nearest", "bilinear"):
        raise ValueError(f"The `interpolation` argument must be 'nearest' or 'bilinear'. "
                         f"Received: interpolation={interpolation!r}")
    interpolation = interpolation.lower()
    out = tuple(n * s for n, s in zip(x.shape[1:-1], size))
    if interpolation == "bilinear":
        if rank != 2:
            raise ValueError(f"interpolation='bilinear' needs 2D inputs (rank 4). Received inputs of rank {rank + 2}")
        y = _output_array((x.shape[0],) + out + (x.shape[-1],), "upsample", data_format)
        _core.resize_bilinear_2d(x, y)
        y = y.reshape((y.shape[0], 1) + y.shape[1:])
    else:
        y = _output_array((x.shape[0],) + _pad3(out, 1) + (x.shape[-1],), "upsample", data_format)
        _core.upsample_nearest_nd(_to5d(x, rank), y, _pad3(size, 1))
    return _finish(y, rank, data_format)


def _resize_bilinear(x, size):
    """x (N, H, W, C) float32 resized to size (height, width) with the half-pixel bilinear rule
    (torch's and Keras's, up and down; no antialiasing), in C."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = _output_array((x.shape[0],) + tuple(size) + (x.shape[3],), "resize")
    _core.resize_bilinear_2d(x, y)
    return y

# ---- dense and activations ----------------------------------------------------------------------

def dense(inputs, kernel, bias=None, activation=None):
    """inputs (..., in) @ kernel (in, units) + bias, then activation (fused where possible)."""
    x = _args.as_float32_array(inputs, "inputs")
    k = _args.as_float32_array(kernel, "kernel")
    if k.ndim != 2:
        raise ValueError(f"`dense` expects `kernel` of rank 2 (in_features, units). Received kernel.shape={k.shape}")
    if x.ndim < 1 or x.shape[-1] != k.shape[0]:
        raise ValueError(
            f"`dense`: the last dimension of `inputs` must equal kernel.shape[0]={k.shape[0]}. "
            f"Received inputs.shape={x.shape}"
        )
    units = k.shape[1]
    b = _bias_array(bias, units, "dense")
    act, kind, alpha = _activation(activation)
    lead = x.shape[:-1]
    a = x.reshape(-1, k.shape[0])
    y = _output_array((a.shape[0], units), "dense")
    _core.gemm(a, k, b, y, kind, alpha)
    return _post_activation(y, act).reshape(lead + (units,))


def activation(inputs, activation):
    """Apply a Keras activation (name or callable) to an array; returns a new float32 array."""
    return _activations.get(activation)(inputs)


# ---- helpers for layers (same floor rule: layers call ops, ops call _core) ---------------------

def _channel_affine(x, scale, shift, axis):
    """x * scale + shift along `axis` (BatchNormalization at inference), one pass in C; x is a
    float32 C-contiguous array, scale and shift float32 vectors of its axis's length."""
    out = np.empty_like(x)
    if out.size == 0:
        return out
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    view = (outer, x.shape[axis], inner)
    _core.channel_affine(x.reshape(view), scale, shift, out.reshape(view))
    return out


def _channel_scale(x, s):
    """x * s for x (N, spatial..., C) and s (N or 1, 1, ..., 1, C), both float32 C-contiguous: one
    value per channel and sample (the squeeze-and-excitation scaling), in C; the products are
    NumPy's x * s, bit for bit. None when the shapes are not of that form."""
    if (x.ndim < 3 or s.ndim != x.ndim or s.shape[-1] != x.shape[-1] or s.shape[0] not in (1, x.shape[0])
            or any(d != 1 for d in s.shape[1:-1]) or x.shape[-1] < 1):
        return None
    out = np.empty_like(x)
    if out.size == 0:
        return out
    n, c = x.shape[0], x.shape[-1]
    if s.shape[0] == 1:
        _core.channel_affine(x.reshape(-1, c, 1), s.reshape(c), None, out.reshape(-1, c, 1))
        return out
    rows = x.size // (n * c)
    xv, ov, sv = x.reshape(n, rows, c, 1), out.reshape(n, rows, c, 1), s.reshape(n, c)
    for i in range(n):
        _core.channel_affine(xv[i], sv[i], None, ov[i])
    return out


def _layer_norm_rows(x, n, gamma, beta, epsilon, rms):
    """LayerNormalization of x (float32, C-contiguous) over its last n values per row."""
    out = np.empty_like(x)
    if out.size:
        _core.layer_norm(x.reshape(-1, n), gamma, beta, epsilon, rms, out.reshape(-1, n))
    return out


def _group_norm(x, groups, gamma, beta, epsilon):
    """GroupNormalization of x (float32, C-contiguous, viewed as (batch, outer, channels, inner)):
    each sample's channels in `groups` runs of consecutive channels, each normalised over its
    channels and every outer and inner position, then x * gamma + beta per channel (either None).
    The sums per sample and channel are one pass in C (in double); the rest is per channel."""
    batch, outer, channels, inner = x.shape
    per_group = channels // groups
    sums = np.empty((2, batch, channels), np.float64)
    _core.channel_moments(x, sums[0], sums[1])
    count = outer * inner * per_group
    mean, mean_square = (sums.reshape(2, batch, groups, per_group).sum(axis=3) / count).astype(np.float32)
    # Keras's torch backend takes the variance as E[x^2] - E[x]^2 in float32 (not the two-pass
    # form), then folds everything into one multiply-add per element:
    # x * (rsqrt(var + eps) * gamma) + (beta - mean * rsqrt(var + eps) * gamma). Same here.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # as torch: inf or NaN, no warning
        variance = mean_square - np.square(mean)
        scale = np.repeat(np.float32(1.0) / np.sqrt(variance + np.float32(epsilon)), per_group, axis=1)
        if gamma is not None:
            scale = scale * gamma
        shift = -np.repeat(mean, per_group, axis=1) * scale
        if beta is not None:
            shift = shift + beta
    out = np.empty_like(x)
    for n in range(batch):  # per sample, in C: x * scale[c] + shift[c]
        _core.channel_affine(x[n], scale[n], shift[n], out[n])
    return out

def _merge_same_shape(op, xs, activation=None):
    """act(x0 op x1 op ...) for float32 C-contiguous arrays of one shape (ck_merge_op `op`)."""
    out = np.empty(xs[0].shape, np.float32)
    kind, alpha = (activation.kind, activation.alpha) if activation is not None else (0, 0.0)
    _core.merge(op, [x.reshape(-1) for x in xs], kind, alpha, out.reshape(-1))
    return out


def _rnn_sequence(cell, projected, recurrent_kernel, recurrent_bias, activation, recurrent_activation, states,
                  sequence, mask=None, zero_masked_output=False):
    """A recurrent layer's time loop in C (cell: 0 SimpleRNN, 1 LSTM, 2 GRU reset_after); states
    (h[, c]) are updated in place, sequence (or None) gets every step's output. mask: uint8
    (n, steps) or None, 0 where Keras's mask hides a step (see ck_f32_rnn_sequence)."""
    rec = recurrent_activation
    _core.rnn_sequence(cell, np.ascontiguousarray(projected), recurrent_kernel, recurrent_bias, activation.kind,
                       activation.alpha, rec.kind if rec is not None else 0, rec.alpha if rec is not None else 0.0,
                       states[0], states[1] if len(states) > 1 else None, sequence, mask, zero_masked_output)


# ---- keras.ops's functions (mean, reshape, softmax, matmul, ...: convkit/keras_ops.py) ----------------
# Served by the module's __getattr__ rather than imported as globals: keras.ops's all, any, max, min, sum, abs and
# round would replace the builtins this module's own code calls. This module's own names come first.
from convkit import keras_ops as _keras_ops  # noqa: E402

_KERAS_OPS_NAMES = frozenset(_keras_ops.__all__)
__all__ += [name for name in _keras_ops.__all__ if name not in __all__]


def __getattr__(name):
    if name in _KERAS_OPS_NAMES:
        return getattr(_keras_ops, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _KERAS_OPS_NAMES)
