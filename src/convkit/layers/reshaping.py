"""Reshaping layers: ZeroPadding / Cropping / UpSampling (1D-3D, through convkit.ops), Flatten,
Reshape, Permute and RepeatVector (numpy views copied once, so outputs never alias inputs)."""
import math

import numpy as np

from convkit import _args, ops
from convkit.layers.base import InputSpec, Layer

__all__ = [
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "Flatten", "Reshape", "Permute", "RepeatVector",
]


class _SpatialReshape(Layer):
    rank = None

    def _init_format(self, data_format):
        self.data_format = _args.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return range(first, first + self.rank)


# ---- zero padding and cropping -------------------------------------------------------------------

class _BasePadCrop(_SpatialReshape):
    _arg = "padding"

    def __init__(self, value, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_format(data_format)
        self._pairs = ops._pairs(value, self.rank, self._arg)
        setattr(self, self._arg, self._pairs[0] if self.rank == 1 else self._pairs)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        self.input_spec.check(tuple(shape), self.name)
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs):
            if shape[axis] is None:
                continue
            if self._arg == "padding":
                shape[axis] += before + after
            else:
                if before + after >= shape[axis]:
                    raise ValueError(
                        f"`cropping` parameter of `{type(self).__name__}` layer must be smaller than the input "
                        f"length. Received: input_shape={tuple(input_shape)}, cropping={getattr(self, 'cropping')}"
                    )
                shape[axis] -= before + after
        return tuple(shape)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        if self._arg == "padding":
            return ops.zero_pad(inputs, self._pairs, self.data_format)
        return ops.crop(inputs, self._pairs, self.data_format)

    def get_config(self):
        config = super().get_config()
        config[self._arg] = getattr(self, self._arg)
        if self.rank > 1 or self._arg == "padding":
            config["data_format"] = self.data_format
        return config


class ZeroPadding1D(_BasePadCrop):
    """Zeros before/after the steps of a 1D input; padding int or (before, after)."""
    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_BasePadCrop):
    """Zeros around images: int, (h, w) or ((top, bottom), (left, right))."""
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_BasePadCrop):
    """Zeros around volumes: int, (d1, d2, d3) or three (before, after) pairs."""
    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class Cropping1D(_BasePadCrop):
    """Remove steps from the start/end of a 1D input; cropping int or (start, end)."""
    rank = 1
    _arg = "cropping"

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)


class Cropping2D(_BasePadCrop):
    """Remove rows/columns: int, (h, w) or ((top, bottom), (left, right))."""
    rank = 2
    _arg = "cropping"

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_BasePadCrop):
    """Remove cells from the three spatial dims of a volume."""
    rank = 3
    _arg = "cropping"

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


# ---- upsampling ------------------------------------------------------------------------------------

class _BaseUpSampling(_SpatialReshape):
    def _init_up(self, size, data_format, interpolation):
        self._init_format(data_format)
        self.size = _args.normalize_tuple(size, self.rank, "size")
        if not isinstance(interpolation, str) or interpolation.lower() not in ("nearest", "bilinear"):
            raise ValueError(f"`interpolation` argument should be one of: ['nearest', 'bilinear'] (convkit "
                             f"implements these two). Received: interpolation={interpolation!r}")
        if interpolation.lower() == "bilinear" and self.rank != 2:
            raise ValueError(f"interpolation='bilinear' is only available for UpSampling2D. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation.lower()

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        self.input_spec.check(tuple(shape), self.name)
        for axis, s in zip(self._spatial_axes(), self.size):
            if shape[axis] is not None:
                shape[axis] *= s
        return tuple(shape)

    def call(self, inputs):
        return ops.upsample(inputs, self.size, self.interpolation, self.data_format)


class UpSampling1D(_BaseUpSampling):
    """Repeat each step `size` times."""
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not _args._is_int(size):
            raise TypeError(f"Expected an integer value for `size`. Received: size={size!r}")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self._init_up(int(size), None, "nearest")
        self.size = int(size)
        self._size_tuple = (self.size,)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        self.input_spec.check(tuple(shape), self.name)
        if shape[1] is not None:
            shape[1] *= self.size
        return tuple(shape)

    def call(self, inputs):
        return ops.upsample(inputs, self._size_tuple, "nearest", "channels_last")

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling2D(_BaseUpSampling):
    """Upsample images by (rows, cols) with 'nearest' or 'bilinear' interpolation."""
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self._init_up(size, data_format, interpolation)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation})
        return config


class UpSampling3D(_BaseUpSampling):
    """Upsample volumes by repeating cells."""
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_up(size, data_format, "nearest")

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config


# ---- flatten / reshape / permute / repeat --------------------------------------------------------

class Flatten(Layer):
    """Flatten every non-batch dimension. With data_format='channels_first' the channels are
    moved last first (Keras's rule); the default flattens in the array's own order."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _args.normalize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if inputs.ndim == 1:
            return inputs.reshape(-1, 1).copy()
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = np.moveaxis(inputs, 1, -1)
        return np.array(inputs.reshape(inputs.shape[0], -1), dtype=np.float32, copy=True)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) == 1:
            return (shape[0], 1)
        rest = shape[1:]
        return (shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


def _check_target_shape(target_shape):
    try:
        dims = tuple(target_shape)
    except TypeError:
        dims = (target_shape,)
    for d in dims:
        if not _args._is_int(d) or (d < 1 and d != -1):
            raise ValueError(f"Invalid value for argument `target_shape`: every dimension must be a positive "
                             f"integer or -1. Received: target_shape={target_shape!r}")
    if sum(1 for d in dims if d == -1) > 1:
        raise ValueError(f"There must be at most one unknown dimension (-1) in `target_shape`. "
                         f"Received: target_shape={target_shape!r}")
    return tuple(int(d) for d in dims)


class Reshape(Layer):
    """Reshape the non-batch dimensions to `target_shape` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = _check_target_shape(target_shape)

    def _resolve(self, input_shape):
        rest = tuple(input_shape)[1:]
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(rest)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or total % known != 0:
                raise ValueError(f"The total size of the tensor must be unchanged by Reshape (layer '{self.name}'). "
                                 f"Received: input_shape={tuple(input_shape)}, target_shape={self.target_shape}")
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total:
            raise ValueError(f"The total size of the tensor must be unchanged by Reshape (layer '{self.name}'): "
                             f"the input has {total} values per sample but target_shape={self.target_shape} "
                             f"holds {known}. Received: input_shape={tuple(input_shape)}")
        return self.target_shape

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape)[0],) + self._resolve(input_shape)

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self._resolve(inputs.shape)).copy()

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permute the non-batch dimensions; `dims` is 1-based as in Keras, e.g. (2, 1)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims}")
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        self.input_spec.check(shape, self.name)
        return (shape[0],) + tuple(shape[d] for d in self.dims)

    def call(self, inputs):
        return np.ascontiguousarray(np.transpose(inputs, (0,) + self.dims))

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not _args._is_int(n) or n < 1:
            raise ValueError(f"Expected an integer value for `n` >= 1. Received: n={n!r}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return np.repeat(inputs[:, None, :], self.n, axis=1)

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
