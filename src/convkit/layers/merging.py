"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and their
functional helpers (`add([a, b])`, `concatenate([a, b], axis=-1)` ...). Elementwise merges
broadcast size-1 dimensions as Keras does. Inputs of one shape are merged in C (ck_f32_merge:
one threaded pass, the same operations left to right); broadcasting merges use NumPy."""
import numpy as np

from convkit import ops
from convkit.layers.base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"]


class Merge(Layer):
    """Base of the merging layers: the input is a list of tensors."""

    _min_inputs = 1
    _max_inputs = None

    def _takes_list(self):
        return True

    def _check_list(self, shapes):
        if not isinstance(shapes, list):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: input_shape={shapes} "
                             f"(not a list of tensors)")
        if len(shapes) < self._min_inputs or (self._max_inputs is not None and len(shapes) > self._max_inputs):
            expected = (f"exactly {self._min_inputs}" if self._min_inputs == self._max_inputs
                        else f"at least {self._min_inputs}")
            raise ValueError(f"A `{type(self).__name__}` layer should be called on {expected} input(s). "
                             f"Received: {len(shapes)} inputs.")
        return [tuple(s) for s in shapes]

    def _check_input_spec(self, shapes):
        self.compute_output_shape(shapes)

    def _convert_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: inputs={inputs!r} "
                             f"(not a list of tensors)")
        return super()._convert_inputs(list(inputs))

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        out = list(shapes[0])
        for shape in shapes[1:]:
            if len(shape) != len(out):
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {tuple(out)} and {shape}")
            for i, (a, b) in enumerate(zip(out, shape)):
                if a is None or b is None:
                    out[i] = None
                elif a == 1:
                    out[i] = b
                elif b != 1 and a != b:
                    raise ValueError(f"Inputs have incompatible shapes. Received shapes {tuple(out)} and {shape}")
        return tuple(out)

    _c_op = None  # the C core's ck_merge_op, for the element-wise merges

    def _merge_c(self, xs, activation=None):
        """act(merge(xs)) in one C pass for converted inputs of one shape; None otherwise."""
        if self._c_op is None or any(x.shape != xs[0].shape for x in xs):
            return None
        return ops._merge_same_shape(self._c_op, xs, activation)

    def call(self, inputs):
        out = self._merge_c(inputs)
        if out is not None:
            return out
        return np.ascontiguousarray(self._merge(inputs), dtype=np.float32)


class Add(Merge):
    """Elementwise sum of the inputs."""
    _c_op = 0

    def _merge(self, xs):
        out = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
        for x in xs[2:]:
            out += x
        return out


class Subtract(Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""
    _c_op = 1
    _min_inputs = _max_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]


class Multiply(Merge):
    """Elementwise product of the inputs."""
    _c_op = 2

    def call(self, inputs):
        if len(inputs) == 2 and inputs[0].shape != inputs[1].shape:
            # a tensor times one value per channel (squeeze-and-excitation), either order: in C
            a, b = inputs
            out = ops._channel_scale(a, b) if a.ndim and a.size >= b.size else ops._channel_scale(b, a)
            if out is not None:
                return out
        return super().call(inputs)

    def _merge(self, xs):
        out = xs[0] * xs[1] if len(xs) > 1 else xs[0].copy()
        for x in xs[2:]:
            out *= x
        return out


class Average(Add):
    """Elementwise mean of the inputs."""
    _c_op = 3

    def _merge(self, xs):
        out = Add._merge(self, xs)
        out /= np.float32(len(xs))
        return out


class Maximum(Merge):
    """Elementwise maximum of the inputs."""
    _c_op = 4

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = np.maximum(out, x)
        return out.copy() if out is xs[0] else out


class Minimum(Merge):
    """Elementwise minimum of the inputs."""
    _c_op = 5

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = np.minimum(out, x)
        return out.copy() if out is xs[0] else out


class Concatenate(Merge):
    """Concatenate the inputs along `axis` (every other dimension must match)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        rank = len(shapes[0])
        if not -rank <= self.axis < rank or any(len(s) != rank for s in shapes):
            raise ValueError(f"A `Concatenate` layer requires inputs of the same rank with axis={self.axis} inside "
                             f"it. Received: input_shape={shapes}")
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except for the "
                                     f"concatenation axis. Received: input_shape={shapes}")
        return tuple(out)

    def _merge(self, xs):
        return np.concatenate(xs, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def add(inputs, **kwargs):
    """Functional form of `Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
