"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot and their
functional helpers (`add([a, b])`, `concatenate([a, b], axis=-1)` ...). Elementwise merges
broadcast size-1 dimensions as Keras does. Inputs of one shape are merged in C (ck_f32_merge:
one threaded pass, the same operations left to right); broadcasting merges use NumPy."""
import numpy as np

from convkit import ops
from convkit.layers.base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


class Merge(Layer):
    """Base of the merging layers: the input is a list of tensors."""

    supports_masking = True

    _min_inputs = 1
    _max_inputs = None

    def _takes_list(self):
        return True

    def compute_mask(self, inputs, mask=None):
        """Keras's: the element-wise merges keep a step any input keeps (a logical or), and no
        mask as soon as one input has none."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"`mask` should be a list of one mask per input. Received: mask={mask!r}")
        if any(m is None for m in mask):
            return None
        out = np.asarray(mask[0], bool)
        for m in mask[1:]:
            out = np.logical_or(out, m)
        return out

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

    def _call_with_input_masks(self, inputs, masks):
        """Keras's Multiply reads its inputs' masks: a masked step counts as 1 in the product,
        and where every input has a mask, the steps all of them mask come out as 0."""
        xs = self._convert_inputs(inputs)
        every = all(m is not None for m in masks)
        out = kept = None
        for x, m in zip(xs, masks):
            if m is not None:
                m = np.broadcast_to(np.expand_dims(np.asarray(m, bool), -1), x.shape)
                x = np.where(m, x, np.float32(1))
                if every:
                    kept = m if kept is None else np.logical_or(kept, m)
            out = x if out is None else out * x
        if every:
            out = np.where(kept, out, np.float32(0))
        return np.ascontiguousarray(out, dtype=np.float32)

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


class _MergeOrMask(Merge):
    """Maximum and Minimum have no neutral value: Keras takes a masked step of an input from
    the result so far, and the result so far at its own masked steps from the input."""

    def _call_with_input_masks(self, inputs, masks):
        xs = self._convert_inputs(inputs)
        op = np.maximum if isinstance(self, Maximum) else np.minimum
        out = kept = None
        for x, m in zip(xs, masks):
            if m is not None:
                m = np.broadcast_to(np.expand_dims(np.asarray(m, bool), -1), x.shape)
            if out is None:
                out, kept = x, m
                continue
            if m is not None:
                x = np.where(m, x, out)
            if kept is not None:
                out = np.where(kept, out, x)
            kept = np.logical_or(kept, m) if m is not None and kept is not None else None
            out = op(out, x)
        return np.array(out, dtype=np.float32)


class Maximum(_MergeOrMask):
    """Elementwise maximum of the inputs."""
    _c_op = 4

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = np.maximum(out, x)
        return out.copy() if out is xs[0] else out


class Minimum(_MergeOrMask):
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

    def compute_mask(self, inputs, mask=None):
        """Keras's: each input's mask spread over its shape (all True where it has none),
        concatenated along `axis`, then any() over the last axis."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"`mask` should be a list of one mask per input. Received: mask={mask!r}")
        if all(m is None for m in mask):
            return None
        spread = []
        for x, m in zip(inputs, mask):
            x = np.asarray(x)
            if m is None:
                spread.append(np.ones(x.shape, bool))
            else:
                m = np.asarray(m, bool)
                spread.append(np.broadcast_to(m[..., None], x.shape) if m.ndim < x.ndim else m)
        return np.any(np.concatenate(spread, axis=self.axis), axis=-1)

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


# ---- Dot -----------------------------------------------------------------------------------------

class Dot(Merge):
    """Batched dot product of two inputs along one axis of each (`axes`: an int for both, or a
    pair), as Keras's batch_dot: output (batch, x's other axes..., y's other axes...), (batch, 1)
    when both inputs are 2-D. With normalize=True both inputs are L2-normalised along their axis
    first (the output is then the cosine similarity)."""

    _min_inputs = _max_inputs = 2

    def compute_mask(self, inputs, mask=None):
        return None  # as Keras: the product has no steps of its own to mask

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: "
                                f"axes={axes!r}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. Received: "
                                 f"axes={axes!r}")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. Received: "
                                 f"axes={axes!r}")
        self.axes = axes
        self.normalize = normalize

    def _axes_for(self, shapes):
        """The two contracted axes, non-negative, checked against the input shapes."""
        x, y = shapes
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        axes = []
        for axis, shape in zip(pair, (x, y)):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"Invalid `axes` for a `Dot` layer: axis {axis} does not exist in an input of shape "
                                 f"{shape}. Received: axes={self.axes}")
            axes.append(axis % len(shape))
        if 0 in axes:
            raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy batch "
                             "dimension to your inputs using keras.ops.expand_dims(x, 0)")
        return axes

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2 or \
                not all(isinstance(s, (tuple, list)) for s in input_shape):
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        x, y = (tuple(s) for s in input_shape)
        if len(x) < 2 or len(y) < 2:
            raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {x} and {y}.")
        if None not in (x[0], y[0]) and x[0] != y[0]:
            raise ValueError(f"Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes "
                             f"{x} and {y}.")
        a0, a1 = self._axes_for((x, y))
        if None not in (x[a0], y[a1]) and x[a0] != y[a1]:
            raise ValueError(f"Incompatible input shapes: axis values {x[a0]} (at axis {a0}) != {y[a1]} (at axis "
                             f"{a1}). Full input shapes: {x}, {y}")
        out = x[:a0] + x[a0 + 1:] + y[1:a1] + y[a1 + 1:]
        return out + (1,) if len(out) == 1 else out

    @staticmethod
    def _l2_normalize(x, axis):
        # as Keras: x * min(1 / sqrt(sum of squares), 1 / epsilon) with epsilon 1e-7; the squares
        # summed in float64 and rounded once
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            square_sum = np.sum(np.square(x), axis=axis, keepdims=True, dtype=np.float64).astype(np.float32)
            return x * np.minimum(np.float32(1.0) / np.sqrt(square_sum), np.float32(1e7))

    def call(self, inputs):
        x, y = inputs
        out_shape = self.compute_output_shape([x.shape, y.shape])
        a0, a1 = self._axes_for((x.shape, y.shape))
        if self.normalize:
            x, y = self._l2_normalize(x, a0), self._l2_normalize(y, a1)
        # (batch, rows, k) @ (batch, k, cols): x's contracted axis last, y's first after the batch
        xm = np.moveaxis(x, a0, -1)
        ym = np.moveaxis(y, a1, 1)
        rows, cols = int(np.prod(xm.shape[1:-1], dtype=np.int64)), int(np.prod(ym.shape[2:], dtype=np.int64))
        k = x.shape[a0]
        product = np.matmul(xm.reshape(x.shape[0], rows, k), ym.reshape(y.shape[0], k, cols))
        return np.ascontiguousarray(product.reshape(out_shape), dtype=np.float32)

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`."""
    return Dot(axes=axes, **kwargs)(inputs)
