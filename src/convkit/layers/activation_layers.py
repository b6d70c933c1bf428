"""Activation layers with arguments: ReLU, LeakyReLU, Softmax, ELU. Plain ReLU, ReLU(6), LeakyReLU
and ELU run on convkit's fused activation kernel; the general ReLU and Softmax are vectorised numpy."""
import numpy as np

from convkit import activations
from convkit.layers.base import Layer

__all__ = ["ReLU", "LeakyReLU", "Softmax", "ELU"]


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
                self._fused = activations.leaky_relu(self.negative_slope)

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

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or isinstance(negative_slope, bool) or negative_slope < 0:
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope!r}")
        self.negative_slope = float(negative_slope)
        self._act = activations.leaky_relu(self.negative_slope)

    def call(self, inputs):
        return self._act(inputs)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(Layer):
    """alpha * (exp(x) - 1) for x < 0, x otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        self._act = activations.elu(self.alpha)

    def call(self, inputs):
        return self._act(inputs)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(Layer):
    """Softmax along `axis` (an int or a tuple of ints)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs):
        return np.ascontiguousarray(activations.softmax(inputs, self.axis), dtype=np.float32)

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
