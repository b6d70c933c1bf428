"""Layers' fast path: a convolution, depthwise or Dense kernel validated (and packed) once, then
called many times.

`convkit.ops.conv` / `convkit.ops.dense` validate every argument, compute the output geometry and
let the C core pack the weights at every call. A layer knows its kernel, bias and arguments when
it gets its weights, so it builds one of these instead:

    prep = PreparedConv(kernel, bias, strides=1, padding="same", activation="relu")   # once
    y = prep(x)                                                                       # per call

The arguments are checked with convkit.ops's own helpers (same messages), the kernel is packed
for the dispatch path in use (repacked automatically if the path changes, e.g. convkit._set_isa),
and the output geometry is cached per input shape, so a call costs one dictionary lookup, one
output allocation and the C call. Results are bitwise those of the matching convkit.ops call:
the same algorithm choice and the same kernels run on the same packed panels. When the weights
change (set_weights), build a new object or call `set_weights`. PreparedDepthwise does the same
for depthwise convolutions, whose kernel the C core reads as it is (nothing to pack).
"""
import numpy as np

from convkit import _args
from convkit import ops as _ops
from convkit._ext import _core

__all__ = ["PreparedConv", "PreparedConvTranspose", "PreparedDepthwise", "PreparedDense"]


def _fast_input(x):
    """float32 C-contiguous ndarray as is; anything else converted once like convkit.ops does."""
    if type(x) is np.ndarray and x.dtype == np.float32 and x.flags.c_contiguous:
        return x
    return _args.as_float32_array(x, "inputs")


def _kernel_of_rank(kernel, rank, op):
    """The kernel as float32 and its spatial rank (kernel.ndim - 2 unless given), checked as `op` checks it."""
    k = _args.as_float32_array(kernel, "kernel")
    if rank is None:
        rank = k.ndim - 2
    rank = _args.normalize_int(rank, "rank")
    if rank not in (1, 2, 3):
        raise ValueError(f"`rank` must be 1, 2 or 3. Received: rank={rank}")
    return _ops._kernel_array(k, "kernel", rank, op), rank


class _PreparedWindow:
    """What the prepared convolutions share: the output geometry cached per input shape, the
    channels-first moves and the activation that runs after the kernel. A subclass calls
    _init_window (which sets rank, kernel, bias, strides, dilation_rate, padding, data_format,
    in_channels, out_channels, activation, _post and _plans), sets _op and _kind, and defines
    _channels_message(shape) and _run(x5, y, before) (and _geometry when its output sizes follow
    another rule)."""

    def _init_window(self, k, rank, bias, strides, dilation, padding, data_format, in_channels, out_channels,
                     activation):
        """Set what every prepared convolution holds; returns the fused activation's (kind, alpha)."""
        act, kind, alpha = _ops._activation(activation)
        self.rank, self.kernel, self.bias = rank, k, bias
        self.strides, self.dilation_rate, self.padding = strides, dilation, padding
        self.data_format = _args.normalize_data_format(data_format)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.activation = act
        self._post = None if act.fusable else act
        self._kernel5 = np.ascontiguousarray(_ops._kernel5d(k, rank))
        self._strides3, self._dilation3 = _ops._pad3(strides, 1), _ops._pad3(dilation, 1)
        self._plans = {}
        return kind, alpha

    def _plan(self, shape):
        """Geometry for a channels-last input shape, checked as the matching convkit.ops op checks it."""
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"This {self.rank}D {self._kind} expects `inputs` of rank {self.rank + 2} (batch, spatial dims..., "
                f"channels). Received inputs of shape {shape} (channels last)")
        if shape[-1] != self.in_channels:
            raise ValueError(self._channels_message(shape))
        for d in shape[1:-1]:
            if d < 1:
                raise ValueError(f"Every spatial dimension of `inputs` must be >= 1. Received inputs.shape={shape}")
        out, before = self._geometry(shape[1:-1])
        x5 = (shape[0],) + (1,) * (3 - self.rank) + tuple(shape[1:])
        y5 = (shape[0],) + _ops._pad3(out, 1) + (self.out_channels,)
        y_final = (shape[0],) + tuple(out) + (self.out_channels,)
        total = 1
        for d in y5:
            total *= int(d)
        if total > _ops._MAX_ELEMENTS:
            _ops._output_array(y5, self._op)  # raises the ops message
        plan = (x5, y5, y_final, _ops._pad3(before, 0))
        self._plans[shape] = plan
        return plan

    def _geometry(self, spatial):
        """(output sizes, padding before) for the input's spatial sizes."""
        return _ops._conv_geometry(spatial, self.kernel.shape[:self.rank], self.strides, self.dilation_rate,
                                   self.padding, self._op)

    def __call__(self, inputs):
        x = _fast_input(inputs)
        if self.data_format == "channels_first":
            if x.ndim < 3:
                self._plan(x.shape)
            x = _ops._channels_last(x, work=True)
        plan = self._plans.get(x.shape)
        if plan is None:
            plan = self._plan(x.shape)
        x5, y5, y_final, before = plan
        # channels_first: the channels-last result is moved into a new array below, so it can be
        # a scratch block (see _core.scratch_empty)
        y = _core.scratch_empty(y5) if self.data_format == "channels_first" else np.empty(y5, np.float32)
        if y.size:  # an empty output (a zero-length transposed-convolution axis) has nothing to run
            self._run(x.reshape(x5), y, before)
        y = y.reshape(y_final)
        if self.data_format == "channels_first":
            y = _ops._channels_first(y)
        if self._post is not None:
            # after the move back: softmax's last axis is the caller's (see ops._post_activation)
            y = self._post(y)
        return y


class PreparedConv(_PreparedWindow):
    """A convolution (1D/2D/3D) with its kernel packed once; `__call__(x)` equals
    `convkit.ops.conv(x, kernel, strides, padding, data_format, dilation_rate, bias, groups,
    activation, algorithm)`.

    kernel: (kernel dims..., in_channels // groups, filters); rank defaults to kernel.ndim - 2;
    groups defaults to 1 (Keras's Conv layers); the input's channels must be
    kernel.shape[-2] * groups.
    """

    _op, _kind = "conv", "convolution"

    def __init__(self, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1,
                 activation=None, data_format=None, rank=None, algorithm="auto"):
        k, rank = _kernel_of_rank(kernel, rank, "conv")
        strides, dilation, padding = _ops._window_args(rank, strides, padding, dilation_rate, allow_causal=True)
        _args.normalize_data_format(data_format)
        groups = _args.normalize_int(groups, "groups")
        filters = k.shape[-1]
        if filters % groups != 0:
            raise ValueError(f"The number of filters (kernel.shape[-1]={filters}) must be divisible by `groups`. "
                             f"Received: groups={groups}")
        if not isinstance(algorithm, str) or algorithm.lower() not in _ops._ALGORITHMS:
            raise ValueError(f"The `algorithm` argument must be one of {list(_ops._ALGORITHMS)}. "
                             f"Received: algorithm={algorithm!r}")
        if algorithm.lower() == "winograd":
            _ops._check_winograd(rank, k.shape[:rank], strides, dilation)
        b = _ops._bias_array(bias, filters, "conv")
        kind, alpha = self._init_window(k, rank, b, strides, dilation, padding, data_format, k.shape[-2] * groups,
                                        filters, activation)
        self.groups = groups
        self.filters = filters
        self.algorithm = algorithm.lower()
        self._packed = _core.PackedConv(self._kernel5, b, self._strides3, self._dilation3, groups, kind, alpha,
                                        _ops._ALGORITHMS[self.algorithm])

    @property
    def packed_nbytes(self):
        return self._packed.nbytes

    def _channels_message(self, shape):
        return (f"The input's channels ({shape[-1]}) must equal kernel.shape[-2] * groups = {self.in_channels}. "
                f"Received inputs.shape={shape} (channels last)")

    def _run(self, x5, y, before):
        self._packed.run(x5, y, before)

    def repack(self):
        """Pack the kernel again for the dispatch path in use (done automatically per call)."""
        self._packed.repack()


class PreparedDepthwise(_PreparedWindow):
    """A depthwise convolution (1D/2D/3D) with its arguments checked once; `__call__(x)` equals
    `convkit.ops.depthwise_conv(x, kernel, strides, padding, data_format, dilation_rate, bias,
    activation)`: the same C call on the same kernel, without validating every argument and
    computing the geometry at each call (most of a small layer's time: MobileNetV2's 14x14x576
    stride-2 DepthwiseConv2D, 1 thread, median 45-55 -> 20 us a call; a 3x3x8 one 23 -> 6 us).

    kernel: (kernel dims..., in_channels, depth_multiplier); rank defaults to kernel.ndim - 2.
    """

    _op, _kind = "depthwise_conv", "depthwise convolution"

    def __init__(self, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, activation=None,
                 data_format=None, rank=None):
        k, rank = _kernel_of_rank(kernel, rank, "depthwise_conv")
        strides, dilation, padding = _ops._window_args(rank, strides, padding, dilation_rate, allow_causal=False)
        out_ch = k.shape[-2] * k.shape[-1]
        b = _ops._bias_array(bias, out_ch, "depthwise_conv")
        self._kind_alpha = self._init_window(k, rank, b, strides, dilation, padding, data_format, k.shape[-2],
                                             out_ch, activation)

    def _channels_message(self, shape):
        return (f"`depthwise_conv` expects kernel.shape[-2] to equal the input's channels ({shape[-1]}). "
                f"Received kernel.shape={self.kernel.shape}")

    def _run(self, x5, y, before):
        kind, alpha = self._kind_alpha
        _core.depthwise_conv_nd(x5, self._kernel5, self.bias, y, self._strides3, self._dilation3, before, kind, alpha)


class PreparedConvTranspose(_PreparedWindow):
    """A transposed convolution (1D/2D/3D) with its arguments checked once; `__call__(x)` equals
    `convkit.ops.conv_transpose(x, kernel, strides, padding, output_padding, data_format,
    dilation_rate, bias, activation, groups)`: the same C call, the geometry cached per input
    shape (a small Conv2DTranspose layer call, 1 thread: 32 -> 12 us).

    kernel: (kernel dims..., filters // groups, in_channels), Keras's ConvTranspose layout.
    """

    _op, _kind = "conv_transpose", "transposed convolution"

    def __init__(self, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                 activation=None, data_format=None, groups=1, rank=None):
        k, rank = _kernel_of_rank(kernel, rank, "conv_transpose")
        strides, dilation, padding, output_padding, groups = _ops._transpose_args(
            rank, strides, padding, output_padding, dilation_rate, groups)
        in_ch = k.shape[-1]
        if in_ch % groups != 0:
            raise ValueError(f"The number of input channels ({in_ch}) must be divisible by `groups`. "
                             f"Received: groups={groups}")
        filters = k.shape[-2] * groups
        b = _ops._bias_array(bias, filters, "conv_transpose")
        self._kind_alpha = self._init_window(k, rank, b, strides, dilation, padding, data_format, in_ch, filters,
                                             activation)
        self.output_padding = output_padding
        self.groups = groups

    def _geometry(self, spatial):
        return _ops._transpose_geometry(spatial, self.kernel.shape, self.strides, self.dilation_rate, self.padding,
                                        self.output_padding)

    def _channels_message(self, shape):
        return _ops._transpose_channels_message(shape[-1], self.kernel.shape)

    def _run(self, x5, y, crop):
        kind, alpha = self._kind_alpha
        _core.conv_transpose_nd(x5, self._kernel5, self.bias, y, self._strides3, self._dilation3, crop,
                                self.groups, kind, alpha)


class PreparedDense:
    """A Dense kernel (in_features, units) packed once; `__call__(x)` equals
    `convkit.ops.dense(x, kernel, bias, activation)`."""

    def __init__(self, kernel, bias=None, activation=None):
        k = _args.as_float32_array(kernel, "kernel")
        if k.ndim != 2:
            raise ValueError(f"`dense` expects `kernel` of rank 2 (in_features, units). Received kernel.shape={k.shape}")
        if k.shape[1] < 1:
            raise ValueError(f"`dense` expects at least one unit. Received kernel.shape={k.shape}")
        units = k.shape[1]
        b = _ops._bias_array(bias, units, "dense")
        act, kind, alpha = _ops._activation(activation)
        self.kernel = k
        self.bias = b
        self.units = units
        self.activation = act
        self._post = None if act.fusable else act
        self._packed = _core.PackedDense(k, b, kind, alpha)

    @property
    def packed_nbytes(self):
        return self._packed.nbytes

    def __call__(self, inputs):
        x = _fast_input(inputs)
        K = self.kernel.shape[0]
        if x.ndim < 1 or x.shape[-1] != K:
            raise ValueError(
                f"`dense`: the last dimension of `inputs` must equal kernel.shape[0]={K}. "
                f"Received inputs.shape={x.shape}")
        lead = x.shape[:-1]
        a = x.reshape(-1, K)
        y = np.empty((a.shape[0], self.units), np.float32)
        self._packed.run(a, y)
        if self._post is not None:
            y = self._post(y)  # (glu halves the last axis, as in Keras)
        return y.reshape(lead + y.shape[1:])

    def repack(self):
        self._packed.repack()
