"""Convolution layers: one base per family (BaseConv, BaseConvTranspose, BaseDepthwiseConv,
BaseSeparableConv) and thin rank subclasses with Keras 3's names, arguments, defaults, weight
shapes and weight order. The arithmetic runs in convkit.ops (C kernels, bias and activation fused).

Regularizer and constraint arguments are accepted, stored and serialised; they would act only in
training, which convkit does not do, so they are never applied.
"""
from convkit import _args, activations, constraints, initializers, ops, regularizers
from convkit._prepared import PreparedConv, PreparedConvTranspose, PreparedDepthwise
from convkit.layers.base import InputSpec, Layer

__all__ = [
    "BaseConv", "BaseConvTranspose", "BaseDepthwiseConv", "BaseSeparableConv",
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose", "Convolution2DTranspose",
    "Convolution3DTranspose",
    "SeparableConvolution1D", "SeparableConvolution2D",
]


def positive_int(value, name):
    if not _args._is_int(value):
        raise TypeError(f"Invalid value for argument `{name}`. Expected a strictly positive integer. "
                        f"Received: {name}={value!r} of type {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly positive value. "
                         f"Received {name}={value}.")
    return int(value)


class _SpatialLayer(Layer):
    """Shared by every windowed layer: rank, data format and the channel axis."""

    rank = None

    def _init_spatial(self, kernel_size, strides, padding, data_format, dilation_rate, allow_causal,
                      strides_with_dilation=False):
        """strides_with_dilation: whether a stride and a dilation may both exceed 1 (Keras allows it
        for its depthwise and separable layers, and refuses it for Conv and ConvTranspose)."""
        rank = self.rank
        self.kernel_size = _args.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = _args.normalize_tuple(strides, rank, "strides")
        self.dilation_rate = _args.normalize_tuple(dilation_rate, rank, "dilation_rate")
        allowed = ("valid", "same", "causal") if (allow_causal and rank == 1) else ("valid", "same")
        self.padding = _args.normalize_padding(padding, allowed)
        self.data_format = _args.normalize_data_format(data_format)
        if not strides_with_dilation:
            _args.check_strides_dilation(self.strides, self.dilation_rate)
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _split(self, input_shape):
        """-> (batch, spatial dims, channels) of an input shape in this layer's data format."""
        shape = tuple(input_shape)
        self.input_spec.check(shape, self.name)
        if self.data_format == "channels_last":
            return shape[0], shape[1:-1], shape[-1]
        return shape[0], shape[2:], shape[1]

    def _join(self, batch, spatial, channels):
        if self.data_format == "channels_last":
            return (batch,) + tuple(spatial) + (channels,)
        return (batch, channels) + tuple(spatial)

    def _input_channels(self, input_shape):
        _, _, channels = self._split(input_shape)
        if channels is None:
            raise ValueError(f"The channel dimension of the inputs should be defined. The input_shape received is "
                             f"{tuple(input_shape)}, where axis {self._channel_axis} (0-based) is the channel "
                             f"dimension, which found to be `None`.")
        return channels

    def _conv_spatial(self, input_shape, spatial):
        out = []
        for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            o = _args.conv_output_length(n, k, self.padding, s, d)
            if o is not None and o <= 0:
                raise ValueError(
                    f"Computed output size would be negative. Received `inputs shape={tuple(input_shape)}`, "
                    f"`kernel shape={self.kernel_size}`, `dilation_rate={self.dilation_rate}` "
                    f"(layer '{self.name}', padding={self.padding!r}, strides={self.strides})."
                )
            out.append(o)
        return tuple(out)

    def _causal_prepad(self, x):
        """Zeros in front for padding='causal' (1D depthwise/separable); returns the new input."""
        before = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        return ops.zero_pad(x, ((before, 0),), self.data_format) if before else x


def _regularizers_and_constraints(layer, prefix_map):
    """Store `<prefix>_regularizer` / `<prefix>_constraint` arguments (accepted, never applied)."""
    for attr, value in prefix_map.items():
        module = regularizers if attr.endswith("regularizer") else constraints
        setattr(layer, attr, module.get(value, attr))


def _reg_config(layer, names):
    out = {}
    for attr in names:
        module = regularizers if attr.endswith("regularizer") else constraints
        out[attr] = module.serialize(getattr(layer, attr))
    return out


# ---- regular convolution ------------------------------------------------------------------------

class BaseConv(_SpatialLayer):
    """N-D convolution (rank from the subclass). Weights: kernel (k..., in // groups, filters),
    bias (filters,).

    `algorithm` (a convkit extra, not a Keras argument): 'auto' (default), 'direct' or 'gemm',
    as in convkit.ops.conv. The kernel is packed once when the layer gets its weights and again
    after set_weights."""

    _REGS = ("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
             "bias_constraint")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, algorithm="auto",
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters")
        self.groups = positive_int(groups, "groups")
        if not isinstance(algorithm, str) or algorithm.lower() not in ops._ALGORITHMS:
            raise ValueError(f"The `algorithm` argument must be one of {list(ops._ALGORITHMS)}. "
                             f"Received: algorithm={algorithm!r}")
        self.algorithm = algorithm.lower()
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate, allow_causal=True)
        if self.filters % self.groups != 0:
            raise ValueError(f"The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={self.groups}, filters={self.filters}.")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        _regularizers_and_constraints(self, {
            "kernel_regularizer": kernel_regularizer, "bias_regularizer": bias_regularizer,
            "kernel_constraint": kernel_constraint, "bias_constraint": bias_constraint})
        self.kernel = self.bias = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups != 0:
            raise ValueError(
                f"The number of input channels must be evenly divisible by the number of groups. Received "
                f"groups={self.groups}, but the input has {channels} channels (full input shape is "
                f"{tuple(input_shape)})."
            )
        self.kernel = self.add_weight(self.kernel_size + (channels // self.groups, self.filters),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _prepare(self):
        return PreparedConv(self.kernel.value, self.bias.value if self.use_bias else None, self.strides,
                            self.padding, self.dilation_rate, self.groups, self.activation, self.data_format,
                            rank=self.rank, algorithm=self.algorithm)

    def call(self, inputs):
        return self._prepared()(inputs)

    def compute_output_shape(self, input_shape):
        batch, spatial, _ = self._split(input_shape)
        return self._join(batch, self._conv_spatial(input_shape, spatial), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "groups": self.groups, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        })
        config.update(_reg_config(self, self._REGS))
        if self.algorithm != "auto":  # keep Keras's keys unless the convkit extra is used
            config["algorithm"] = self.algorithm
        return config


class Conv1D(BaseConv):
    """1D convolution (temporal); padding 'valid', 'same' or 'causal'."""
    rank = 1


class Conv2D(BaseConv):
    """2D convolution (spatial over images)."""
    rank = 2


class Conv3D(BaseConv):
    """3D convolution (spatial over volumes)."""
    rank = 3


# ---- transposed convolution ---------------------------------------------------------------------

class BaseConvTranspose(_SpatialLayer):
    """N-D transposed convolution. Weights: kernel (k..., filters, in_channels), bias (filters,)."""

    _REGS = BaseConv._REGS

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters")
        self.kernel_size = _args.normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = _args.normalize_tuple(strides, self.rank, "strides")
        self.dilation_rate = _args.normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = _args.normalize_padding(padding)
        self.data_format = _args.normalize_data_format(data_format)
        _args.check_strides_dilation(self.strides, self.dilation_rate)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = _args.normalize_tuple(output_padding, self.rank, "output_padding",
                                                        allow_zero=True)
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(f"Strides must be greater than output padding. Received strides={self.strides}, "
                                     f"output_padding={self.output_padding}.")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        _regularizers_and_constraints(self, {
            "kernel_regularizer": kernel_regularizer, "bias_regularizer": bias_regularizer,
            "kernel_constraint": kernel_constraint, "bias_constraint": bias_constraint})
        self.kernel = self.bias = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self.filters, channels), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _prepare(self):
        return PreparedConvTranspose(self.kernel.value, self.bias.value if self.use_bias else None, self.strides,
                                     self.padding, self.output_padding, self.dilation_rate, self.activation,
                                     self.data_format, rank=self.rank)

    def call(self, inputs):
        return self._prepared()(inputs)

    def compute_output_shape(self, input_shape):
        batch, spatial, _ = self._split(input_shape)
        out = []
        for i, (n, k, s, d) in enumerate(zip(spatial, self.kernel_size, self.strides, self.dilation_rate)):
            op = None if self.output_padding is None else self.output_padding[i]
            out.append(_args.conv_transpose_output_length(n, k, self.padding, op, s, d))
        return self._join(batch, out, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "output_padding": self.output_padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        })
        config.update(_reg_config(self, self._REGS))
        return config


class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution."""
    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution."""
    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution."""
    rank = 3

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, output_padding=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        # Keras's Conv3DTranspose takes data_format before output_padding (1D and 2D take it after),
        # so positional calls written for Keras need this order.
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


# ---- depthwise convolution ----------------------------------------------------------------------

class BaseDepthwiseConv(_SpatialLayer):
    """Depthwise convolution. Weights: kernel (k..., in, depth_multiplier), bias
    (in * depth_multiplier,), named as Keras 3 names them (Keras 2's `depthwise_kernel` attribute
    stays as an alias). 1D also accepts padding='causal' (as Keras 2 did)."""

    _REGS = ("depthwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint",
             "bias_constraint")

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate, allow_causal=True,
                           strides_with_dilation=True)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer, "depthwise_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        _regularizers_and_constraints(self, {
            "depthwise_regularizer": depthwise_regularizer, "bias_regularizer": bias_regularizer,
            "depthwise_constraint": depthwise_constraint, "bias_constraint": bias_constraint})
        self.kernel = self.bias = None

    @property
    def depthwise_kernel(self):
        return self.kernel

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer,
            name="kernel", regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight((channels * self.depth_multiplier,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _prepare(self):
        # 'causal' pads explicitly in call (as before), then runs as 'valid'
        padding = "valid" if self.padding == "causal" else self.padding
        return PreparedDepthwise(self.kernel.value, self.bias.value if self.use_bias else None,
                                 self.strides, padding, self.dilation_rate, self.activation, self.data_format,
                                 rank=self.rank)

    def call(self, inputs):
        if self.padding == "causal":
            inputs = self._causal_prepad(inputs)
        return self._prepared()(inputs)

    def compute_output_shape(self, input_shape):
        batch, spatial, channels = self._split(input_shape)
        out_ch = None if channels is None else channels * self.depth_multiplier
        return self._join(batch, self._conv_spatial(input_shape, spatial), out_ch)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        })
        config.update(_reg_config(self, self._REGS))
        return config


class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution."""
    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution."""
    rank = 2


# ---- separable convolution ----------------------------------------------------------------------

class BaseSeparableConv(_SpatialLayer):
    """Depthwise then pointwise convolution. Weights: depthwise_kernel (k..., in, depth_multiplier),
    pointwise_kernel (1..., in * depth_multiplier, filters), bias (filters,)."""

    _REGS = ("depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer",
             "depthwise_constraint", "pointwise_constraint", "bias_constraint")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters")
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate, allow_causal=True,
                           strides_with_dilation=True)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer, "depthwise_initializer")
        self.pointwise_initializer = initializers.get(pointwise_initializer, "pointwise_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        _regularizers_and_constraints(self, {
            "depthwise_regularizer": depthwise_regularizer, "pointwise_regularizer": pointwise_regularizer,
            "bias_regularizer": bias_regularizer, "depthwise_constraint": depthwise_constraint,
            "pointwise_constraint": pointwise_constraint, "bias_constraint": bias_constraint})
        self.depthwise_kernel = self.pointwise_kernel = self.bias = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer,
            name="depthwise_kernel", regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters), self.pointwise_initializer,
            name="pointwise_kernel", regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _prepare(self):
        # the two steps of ops.separable_conv, each prepared: the depthwise one without bias or
        # activation, then the pointwise 1x1 convolution with them ('causal' pads in call)
        padding = "valid" if self.padding == "causal" else self.padding
        depthwise = PreparedDepthwise(self.depthwise_kernel.value, None, self.strides, padding, self.dilation_rate,
                                      None, self.data_format, rank=self.rank)
        pointwise = PreparedConv(self.pointwise_kernel.value, self.bias.value if self.use_bias else None, 1,
                                 "valid", 1, 1, self.activation, self.data_format, rank=self.rank)
        return depthwise, pointwise

    def call(self, inputs):
        if self.padding == "causal":
            inputs = self._causal_prepad(inputs)
        depthwise, pointwise = self._prepared()
        return pointwise(depthwise(inputs))

    def compute_output_shape(self, input_shape):
        batch, spatial, _ = self._split(input_shape)
        return self._join(batch, self._conv_spatial(input_shape, spatial), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier, "filters": self.filters, "kernel_size": self.kernel_size,
            "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        })
        config.update(_reg_config(self, self._REGS))
        return config


class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution."""
    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution."""
    rank = 2


# Names used by older Keras documentation.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
