"""BatchNormalization (inference with the moving statistics), LayerNormalization,
GroupNormalization, UnitNormalization and RMSNormalization.

BatchNormalization folds its four weights into one scale and one shift per channel when the
weights change (`_prepare`), so a call is a single fused multiply-add pass in numpy.
Regularizers and constraints are stored and serialised, never applied (inference only).
"""
import numpy as np

from convkit import _args, constraints, initializers, ops, regularizers
from convkit.layers.base import InputSpec, Layer

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization"]


def _axis_index(axis, rank, layer):
    if not _args._is_int(axis):
        raise TypeError(f"Expected an int value for the `axis` argument of layer '{layer}'. Received: axis={axis!r}")
    if not -rank <= axis < rank:
        raise ValueError(f"Invalid `axis` argument for layer '{layer}': axis={axis} is out of bounds for an input of "
                         f"rank {rank}.")
    return axis % rank


def _positive_float(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or value <= 0:
        raise ValueError(f"Invalid value for argument `{name}`: expected a positive float. Received: {name}={value!r}")
    return float(value)


# gamma's and beta's initializers, regularizers and constraints: attributes and config entries
# of the normalisation layers, in Keras's order
_AFFINE_OPTIONS = (("beta_initializer", initializers), ("gamma_initializer", initializers),
                   ("beta_regularizer", regularizers), ("gamma_regularizer", regularizers),
                   ("beta_constraint", constraints), ("gamma_constraint", constraints))


def _set_affine_options(layer, **options):
    for name, module in _AFFINE_OPTIONS:
        setattr(layer, name, module.get(options[name], name))


def _affine_options_config(layer):
    return {name: module.serialize(getattr(layer, name)) for name, module in _AFFINE_OPTIONS}

class BatchNormalization(Layer):
    """Inference-time batch normalization along `axis`:
    (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta.
    Weights in Keras's order: gamma (if scale), beta (if center), moving_mean, moving_variance
    (the last two non-trainable)."""

    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if renorm:
            raise ValueError("convkit does not support batch renormalization (a training feature). "
                             "Received: renorm=True")
        self.renorm, self.renorm_clipping, self.renorm_momentum = False, renorm_clipping, renorm_momentum
        if not _args._is_int(axis):
            raise TypeError(f"Expected an int value for the `axis` argument. Received: axis={axis!r}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = _positive_float(epsilon, "epsilon")
        self.center, self.scale = bool(center), bool(scale)
        self.synchronized = bool(synchronized)
        _set_affine_options(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                            beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                            beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer, "moving_mean_initializer")
        self.moving_variance_initializer = initializers.get(moving_variance_initializer,
                                                            "moving_variance_initializer")
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        shape = tuple(input_shape)
        axis = _axis_index(self.axis, len(shape), self.name)
        dim = shape[axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {shape}.")
        if self.scale:
            self.gamma = self.add_weight((dim,), self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight((dim,), self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight((dim,), self.moving_mean_initializer, name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight((dim,), self.moving_variance_initializer, name="moving_variance",
                                               trainable=False)
        self.input_spec = InputSpec(ndim=len(shape), axes={self.axis: dim})

    def _prepare(self):
        inv = 1.0 / np.sqrt(self.moving_variance.value.astype(np.float64) + self.epsilon)
        scale = inv * (self.gamma.value if self.scale else 1.0)
        shift = (self.beta.value if self.center else 0.0) - self.moving_mean.value * scale
        return {"scale": scale.astype(np.float32), "shift": shift.astype(np.float32)}

    def call(self, inputs, mask=None):
        # a mask matters to Keras only for training's batch statistics; its shape is still checked
        if mask is not None and np.ndim(mask) != inputs.ndim - 1:
            raise ValueError(f"The mask provided should be one dimension less than the inputs. Received: "
                             f"mask.shape={np.shape(mask)}, inputs.shape={inputs.shape}")
        prepared = self._prepared()
        axis = _axis_index(self.axis, inputs.ndim, self.name)
        # x * scale + shift per channel, in one pass (the product rounded first, as NumPy's
        # x * scale followed by += shift did)
        return ops._channel_affine(np.ascontiguousarray(inputs, dtype=np.float32), prepared["scale"],
                                   prepared["shift"], axis)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        _axis_index(self.axis, len(shape), self.name)
        return shape

    def _differs_in_training(self):
        return True  # normalises with the batch's statistics and updates the moving ones

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized, "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return config


class LayerNormalization(Layer):
    """Normalise each sample over `axis` (default the last): (x - mean) / sqrt(var + epsilon) *
    gamma + beta. Weights: gamma (if scale), beta (if center)."""

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        for a in axes:
            if not _args._is_int(a):
                raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis'. Received: {axis!r}")
        self.axis = list(axes) if isinstance(axis, (list, tuple)) else int(axis)
        self._axes = tuple(int(a) for a in axes)
        self.epsilon = _positive_float(epsilon, "epsilon")
        self.center, self.scale, self.rms_scaling = bool(center), bool(scale), bool(rms_scaling)
        _set_affine_options(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                            beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                            beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        shape = tuple(input_shape)
        axes = sorted(_axis_index(a, len(shape), self.name) for a in self._axes)
        param_shape = tuple(shape[a] for a in axes)
        if any(d is None for d in param_shape):
            raise ValueError(f"LayerNormalization '{self.name}' needs defined sizes along axis={self.axis}. "
                             f"Received input shape {shape}")
        # Keras: gamma when scale or rms_scaling, beta when center and not rms_scaling
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(param_shape, self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(param_shape, self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.input_spec = InputSpec(ndim=len(shape))
        # as Keras: once built, `axis` is a sorted list (and so in the config)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]

    def call(self, inputs):
        rank = inputs.ndim
        axes = tuple(sorted(_axis_index(a, rank, self.name) for a in self._axes))
        bshape = [inputs.shape[i] if i in axes else 1 for i in range(rank)]
        if axes == tuple(range(rank - len(axes), rank)) and inputs.size > 0:
            # The trailing axes: rows normalised in C, each in one pass while in cache.
            x = np.ascontiguousarray(inputs, dtype=np.float32)
            n = int(np.prod(x.shape[rank - len(axes):], dtype=np.int64))
            gamma = self.gamma.value.reshape(-1) if self.gamma is not None else None
            beta = self.beta.value.reshape(-1) if self.beta is not None else None
            return ops._layer_norm_rows(x, n, gamma, beta, self.epsilon, self.rms_scaling)
        if self.rms_scaling:
            # Keras 3: x * rsqrt(var(x) + epsilon) * gamma (the variance about the mean, x itself
            # not centred)
            out = inputs / np.sqrt(np.var(inputs, axis=axes, keepdims=True) + np.float32(self.epsilon))
        else:
            mean = np.mean(inputs, axis=axes, keepdims=True)
            var = np.mean(np.square(inputs - mean), axis=axes, keepdims=True)
            out = (inputs - mean) / np.sqrt(var + np.float32(self.epsilon))
        if self.gamma is not None:
            out = out * self.gamma.value.reshape(bshape)
        if self.beta is not None:
            out = out + self.beta.value.reshape(bshape)
        return np.ascontiguousarray(out, dtype=np.float32)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **_affine_options_config(self),
        })
        return config


def _non_negative_float(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not value >= 0:
        raise ValueError(f"Invalid value for argument `{name}`: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


def _int_or_int_list(axis):
    """`axis` as Keras keeps it: an int, or a list of ints (from a list or a tuple)."""
    if isinstance(axis, (list, tuple)) and all(_args._is_int(a) for a in axis):
        if not axis:  # (torch would read no axes as every axis, the batch included)
            raise ValueError(f"`axis` needs at least one axis to normalise over. Received: axis={axis}")
        return [int(a) for a in axis]
    if _args._is_int(axis):
        return int(axis)
    raise TypeError("Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                    f"Received: axis={axis}")


def _axis_positions(axis, shape):
    """The non-negative positions of `axis` (an int or a list of ints) in an input of `shape`."""
    axes = axis if isinstance(axis, list) else [axis]
    rank = len(shape)
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"Axis {a} is out of bounds for input shape {tuple(shape)}. Received: axis={axis}")
    positions = tuple(a % rank for a in axes)
    if len(set(positions)) != len(positions):
        raise ValueError(f"Each axis may appear only once in `axis`. Received: axis={axis} for an input of rank "
                         f"{rank}")
    return positions


class GroupNormalization(Layer):
    """Normalise each sample per group of channels: the `axis` channels are split into `groups`
    runs of consecutive channels, each run is normalised over its channels and every other
    non-batch axis, then scaled by gamma and shifted by beta (one value per channel).
    groups=-1 means one group per channel (instance normalization). Weights: gamma (if scale),
    beta (if center)."""

    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if not _args._is_int(groups) or (groups <= 0 and groups != -1):
            raise ValueError("Received an invalid value for argument `groups`, expected a positive integer (or `-1` "
                             f"for instance normalization). Received: groups={groups}")
        super().__init__(**kwargs)
        if not _args._is_int(axis):
            raise TypeError(f"Expected an int value for the `axis` argument of layer '{self.name}'. "
                            f"Received: axis={axis!r}")
        self.groups, self.axis = int(groups), int(axis)
        self.epsilon = _non_negative_float(epsilon, "epsilon")
        self.center, self.scale = bool(center), bool(scale)
        _set_affine_options(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                            beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                            beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        shape = tuple(input_shape)
        if _axis_index(self.axis, len(shape), self.name) == 0:
            raise ValueError(f"GroupNormalization '{self.name}' normalises each sample on its own, so `axis` cannot "
                             f"be the batch axis. Received: axis={self.axis} for an input of shape {shape}")
        dim = shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {shape}.")
        if dim == 0:
            raise ValueError(f"GroupNormalization '{self.name}' needs at least one channel along axis {self.axis}. "
                             f"Received an input with shape {shape}.")
        if self.groups == -1:
            self.groups = dim  # as Keras: the config then reports the channel count
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels ({dim}).")
        if dim % self.groups != 0:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels "
                             f"({dim}).")  # (Keras's words: the channels must be a multiple of the groups)
        self.input_spec = InputSpec(ndim=len(shape), axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight((dim,), self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight((dim,), self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def call(self, inputs):
        x = np.ascontiguousarray(inputs, dtype=np.float32)
        shape = x.shape
        axis = _axis_index(self.axis, x.ndim, self.name)
        if x.size == 0:
            return np.empty(shape, np.float32)
        # viewed as (batch, axes before, channels, axes after): one layout for both formats
        batch, channels = shape[0], shape[axis]
        outer, inner = int(np.prod(shape[1:axis])), int(np.prod(shape[axis + 1:]))
        gamma = None if self.gamma is None else self.gamma.value
        beta = None if self.beta is None else self.beta.value
        y = ops._group_norm(x.reshape(batch, outer, channels, inner), self.groups, gamma, beta, self.epsilon)
        return y.reshape(shape)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        _axis_positions(self.axis, shape)
        return shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale,
            **_affine_options_config(self),
        })
        return config


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over `axis` (an int or a list of ints):
    x * min(rsqrt(sum(x^2)), 1e12), so an all-zero slice stays zero. No weights."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_or_int_list(axis)

    def call(self, inputs):
        axes = _axis_positions(self.axis, inputs.shape)
        # as Keras: the float32 squares summed (here in float64, rounded once), the reciprocal
        # root capped at 1 / epsilon with epsilon 1e-12
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # as torch: inf or NaN, no warning
            square_sum = np.sum(np.square(inputs), axis=axes, keepdims=True, dtype=np.float64).astype(np.float32)
            inv_norm = np.minimum(np.float32(1.0) / np.sqrt(square_sum), np.float32(1e12))
            return inputs * inv_norm

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        _axis_positions(self.axis, shape)
        return shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class RMSNormalization(Layer):
    """x * rsqrt(mean(x^2) + epsilon) * scale over `axis` (an int or a list of ints): the mean
    of the squares, x not centred (unlike LayerNormalization(rms_scaling=True), which divides by
    the root of the variance). Weight: scale, shaped as the input along the sorted axes.

    Keras's torch backend only computes this correctly over trailing axes (it hands the sizes to
    torch's rms_norm, which always normalises the last ones); convkit normalises over the axes
    asked for, wherever they are."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_or_int_list(axis)
        if isinstance(self.axis, list) and min(self.axis) < 0 <= max(self.axis):
            # Keras lays the scale out in the order of the sorted values, which for mixed signs is
            # not the order of the axes in the input
            raise ValueError(f"RMSNormalization's axes must be all negative or all non-negative. "
                             f"Received: axis={axis}")
        self.epsilon = _non_negative_float(epsilon, "epsilon")
        self.scale = None

    def build(self, input_shape):
        shape = tuple(input_shape)
        # as Keras: `axis` becomes a sorted list once built (and so in the config)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        positions = _axis_positions(self.axis, shape)
        param_shape = tuple(shape[a] for a in positions)
        if any(d is None for d in param_shape):
            raise ValueError(f"RMSNormalization '{self.name}' needs defined sizes along axis={self.axis}. "
                             f"Received input shape {shape}")
        self.scale = self.add_weight(param_shape, "ones", name="scale")
        self.input_spec = InputSpec(ndim=len(shape), axes={a: shape[a] for a in positions})

    def call(self, inputs):
        positions = _axis_positions(self.axis, inputs.shape)
        if inputs.size == 0:
            return np.empty(inputs.shape, np.float32)
        param_shape = [inputs.shape[a] if a in positions else 1 for a in range(inputs.ndim)]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # as torch: inf or NaN, no warning
            mean_square = np.mean(np.square(inputs), axis=positions, keepdims=True, dtype=np.float64)
            mean_square = mean_square.astype(np.float32)
            out = inputs * (np.float32(1.0) / np.sqrt(mean_square + np.float32(self.epsilon)))
            out *= self.scale.value.reshape(param_shape)
        return out

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        _axis_positions(self.axis, shape)
        return shape

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
