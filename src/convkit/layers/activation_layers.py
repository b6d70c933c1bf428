"""Activation layers with arguments: ReLU, LeakyReLU, Softmax, ELU, PReLU. Plain ReLU, ReLU(6),
LeakyReLU and ELU run on convkit's fused activation kernel; the general ReLU, Softmax and PReLU
are vectorised numpy."""
import numpy as np

from convkit import _args, activations, constraints, initializers, regularizers
from convkit.layers.base import InputSpec, Layer

__all__ = ["ReLU", "LeakyReLU", "Softmax", "ELU", "PReLU"]


def _non_negative(value, name, layer, allow_none=False):
    if value is None and allow_none:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or value < 0:
        raise ValueError(f"{name} of a {layer} layer cannot be a negative value (or None). Expected a float. "
                         f"Received: {name}={value!r}")
    return float(value)


class ReLU(Layer):
    """max(x, 0) generalised: `x` above `threshold`, `negative_slope * (x - threshold)` below it,
    capped at `max_value`."""

    supports_masking = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(max_value, "max_value", "ReLU", allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "ReLU")
        self.threshold = _non_negative(threshold, "threshold", "ReLU")
        self._fused = None
        if self.threshold == 0:
            if self.negative_slope == 0 and self.max_value is None:
                self._fused = activations.get("relu")
            elif self.negative_slope == 0 and self.max_value == 6.0:
                self._fused = activations.get("relu6")
            elif self.max_value is None:
                self._fused = activations.fused("leaky_relu", self.negative_slope)

    def call(self, inputs):
        if self._fused is not None:
            return self._fused(inputs)
        x = inputs
        y = np.where(x > self.threshold, x, np.float32(0)) if self.threshold else np.maximum(x, np.float32(0))
        if self.max_value is not None:
            y = np.minimum(y, np.float32(self.max_value))
        if self.negative_slope:
            y = y - np.float32(self.negative_slope) * np.maximum(np.float32(self.threshold) - x, np.float32(0))
        return np.ascontiguousarray(y, dtype=np.float32)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(Layer):
    """x for x >= 0, negative_slope * x otherwise (Keras 3 default slope 0.3; `alpha=` accepted)."""

    supports_masking = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or isinstance(negative_slope, bool) or negative_slope < 0:
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope!r}")
        self.negative_slope = float(negative_slope)
        self._act = activations.fused("leaky_relu", self.negative_slope)

    def call(self, inputs):
        return self._act(inputs)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(Layer):
    """alpha * (exp(x) - 1) for x < 0, x otherwise."""

    supports_masking = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        self._act = activations.fused("elu", self.alpha)

    def call(self, inputs):
        return self._act(inputs)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(Layer):
    """Softmax along `axis` (an int or a tuple of ints)."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs, mask=None):
        if mask is None:
            return np.ascontiguousarray(activations.softmax(inputs, self.axis), dtype=np.float32)
        # Keras's: masked entries (False, or <= 0.5) enter the softmax as -1e9 and leave it as 0
        keep = np.asarray(mask)
        if keep.ndim > inputs.ndim or any(m != 1 and m != i for m, i in zip(keep.shape[::-1], inputs.shape[::-1])):
            raise ValueError(f"The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 or match "
                             f"the corresponding input dimension. Received: inputs.shape={inputs.shape}, "
                             f"mask.shape={keep.shape}")
        keep = keep if keep.dtype == bool else keep > 0.5
        shifted = np.where(keep, inputs, np.float32(-1e9)).astype(np.float32)
        out = activations.softmax(np.ascontiguousarray(shifted), self.axis)
        return np.ascontiguousarray(np.where(keep, out, np.float32(0)), dtype=np.float32)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for a in (self.axis if isinstance(self.axis, tuple) else (self.axis,)):
            if not -len(shape) <= a < len(shape):
                raise ValueError(f"Invalid `axis` for Softmax layer '{self.name}': axis={self.axis} for an input of "
                                 f"rank {len(shape)}")
        return shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class PReLU(Layer):
    """x for x >= 0, alpha * x below, with a learned `alpha` per element of a sample
    (input_shape[1:]), shared (size 1) along `shared_axes`. Weight: alpha. The regularizer and
    constraint are stored and serialised, never applied (inference only)."""

    supports_masking = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer, "alpha_initializer")
        self.alpha_regularizer = regularizers.get(alpha_regularizer, "alpha_regularizer")
        self.alpha_constraint = constraints.get(alpha_constraint, "alpha_constraint")
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(_args._is_int(a) for a in axes):
                raise TypeError(f"Expected an int or a list/tuple of ints for the argument `shared_axes`. "
                                f"Received: shared_axes={shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]
        self.alpha = None

    def build(self, input_shape):
        shape = tuple(input_shape)
        rank = len(shape)
        if rank < 2:
            raise ValueError(f"PReLU '{self.name}' expects inputs with a batch axis and at least one more. "
                             f"Received input shape {shape}")
        param_shape = list(shape[1:])
        for axis in self.shared_axes or ():
            # As Keras: axis i of the input is entry i - 1 of input_shape[1:], Python-indexed, so a
            # negative axis marks the entry that many places before the last (-1: the second last).
            # The weight shape must follow that rule for a Keras model's weights to load.
            if not -(rank - 1) <= axis - 1 < rank - 1:
                raise ValueError(f"Invalid `shared_axes` for PReLU '{self.name}': axis {axis} does not exist in an "
                                 f"input of shape {shape}. Received: shared_axes={self.shared_axes}")
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU '{self.name}' needs defined sizes along the axes it does not share. Received "
                             f"input shape {shape} with shared_axes={self.shared_axes}")
        self.alpha = self.add_weight(tuple(param_shape), self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        shared = self.shared_axes or ()
        self.input_spec = InputSpec(ndim=rank, axes={i: shape[i] for i in range(1, rank) if i not in shared})

    def call(self, inputs):
        # max(x, 0) + alpha * min(x, 0): Keras's relu(x) - alpha * relu(-x), term for term
        with np.errstate(invalid="ignore", over="ignore"):  # as torch: 0 * inf is NaN, no warning
            out = np.minimum(inputs, np.float32(0.0)) * self.alpha.value
            out += np.maximum(inputs, np.float32(0.0))
        return out

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config
