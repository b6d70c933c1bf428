"""Pooling layers (max / average; local, global and adaptive; 1D-3D) with Keras 3's names and arguments;
the windows run in convkit.ops (C kernels)."""
import numpy as np

from convkit import _args, ops
from convkit.layers.base import InputSpec, Layer

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
    "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]


class BasePooling(Layer):
    """Local pooling; strides=None means strides=pool_size."""

    rank = None
    _is_max = True

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = _args.normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else _args.normalize_tuple(strides, self.rank, "strides")
        self.padding = _args.normalize_padding(padding)
        self.data_format = _args.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        fn = ops.max_pool if self._is_max else ops.average_pool
        return fn(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        self.input_spec.check(shape, self.name)
        first = 1 if self.data_format == "channels_last" else 2
        out = list(shape)
        for i, (p, s) in enumerate(zip(self.pool_size, self.strides)):
            o = _args.pool_output_length(shape[first + i], p, self.padding, s)
            if o is not None and o <= 0:
                raise ValueError(
                    f"Computed output size would be negative for layer '{self.name}'. Received `inputs shape="
                    f"{shape}`, `pool_size={self.pool_size}`, `strides={self.strides}`, `padding={self.padding!r}`."
                )
            out[first + i] = o
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                       "data_format": self.data_format})
        return config


def _local(name, rank, is_max, default):
    doc = f"{rank}D {'max' if is_max else 'average'} pooling (Keras's `{name}`)."

    def __init__(self, pool_size=default, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        BasePooling.__init__(self, pool_size, strides, padding, data_format, name=name, **kwargs)

    return type(name, (BasePooling,), {"rank": rank, "_is_max": is_max, "__init__": __init__,
                                       "__doc__": doc, "__module__": __name__})


MaxPooling1D = _local("MaxPooling1D", 1, True, 2)
MaxPooling2D = _local("MaxPooling2D", 2, True, (2, 2))
MaxPooling3D = _local("MaxPooling3D", 3, True, (2, 2, 2))
AveragePooling1D = _local("AveragePooling1D", 1, False, 2)
AveragePooling2D = _local("AveragePooling2D", 2, False, (2, 2))
AveragePooling3D = _local("AveragePooling3D", 3, False, (2, 2, 2))


class BaseGlobalPooling(Layer):
    """Global pooling over every spatial dimension; keepdims keeps them as size 1."""

    rank = None
    _is_max = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _args.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        fn = ops.global_max_pool if self._is_max else ops.global_average_pool
        return fn(inputs, self.data_format, self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        self.input_spec.check(shape, self.name)
        if self.data_format == "channels_last":
            channels = shape[-1]
            return (shape[0],) + (1,) * self.rank + (channels,) if self.keepdims else (shape[0], channels)
        channels = shape[1]
        return (shape[0], channels) + (1,) * self.rank if self.keepdims else (shape[0], channels)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


def _global(name, rank, is_max):
    doc = f"Global {'max' if is_max else 'average'} pooling over {rank}D inputs (Keras's `{name}`)."
    return type(name, (BaseGlobalPooling,), {"rank": rank, "_is_max": is_max, "__doc__": doc,
                                             "__module__": __name__})


GlobalMaxPooling1D = _global("GlobalMaxPooling1D", 1, True)
GlobalMaxPooling2D = _global("GlobalMaxPooling2D", 2, True)
GlobalMaxPooling3D = _global("GlobalMaxPooling3D", 3, True)


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Global average pooling over 1D inputs (Keras's `GlobalAveragePooling1D`). With a mask
    (Keras's: a model's Embedding(mask_zero=True) or Masking, or `mask=`), the mean of the
    unmasked steps only, as Keras: 0/0 (NaN) for a sample with every step masked."""

    rank = 1
    _is_max = False
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = 1 if self.data_format == "channels_last" else 2
        keep = np.asarray(mask)
        if keep.shape != (inputs.shape[0], inputs.shape[steps_axis]):
            raise ValueError(f"Layer '{self.name}': the mask must have shape (batch, steps) = "
                             f"({inputs.shape[0]}, {inputs.shape[steps_axis]}). Received: mask of shape {keep.shape}")
        keep = np.expand_dims(keep.astype(bool, copy=False), 2 if steps_axis == 1 else 1)
        total = np.where(keep, inputs, np.float32(0)).sum(axis=steps_axis, keepdims=self.keepdims, dtype=np.float32)
        count = keep.sum(axis=steps_axis, keepdims=self.keepdims, dtype=np.float32)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.ascontiguousarray(total / count, dtype=np.float32)

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are gone


GlobalAveragePooling2D = _global("GlobalAveragePooling2D", 2, False)
GlobalAveragePooling3D = _global("GlobalAveragePooling3D", 3, False)


class BaseAdaptivePooling(Layer):
    """Pooling to a fixed output size whatever the input's (PyTorch's AdaptiveAvgPool rule, as
    Keras 3): along a dim of length n pooled to m cells, cell i covers [floor(i*n/m), ceil((i+1)*n/m))."""

    rank = None
    _is_max = True

    def __init__(self, output_size, data_format=None, **kwargs):
        sequence = isinstance(output_size, (tuple, list))
        if self.rank == 1 and sequence and len(output_size) != 1:  # Keras's 1D layers say ValueError here
            raise ValueError(f"For 1D input, `output_size` must be an integer or a tuple of length 1. "
                             f"Received: output_size={output_size!r}")
        if isinstance(output_size, bool) or not (_args._is_int(output_size) or (
                sequence and len(output_size) == self.rank)):
            what = "an integer" if self.rank == 1 else f"an integer or a tuple of {self.rank} integers"
            raise TypeError(f"`output_size` must be {what}. Received: output_size={output_size!r} of type "
                            f"{type(output_size).__name__}")
        super().__init__(**kwargs)
        self.output_size = _args.normalize_tuple(output_size, self.rank, "output_size")
        self.data_format = _args.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        fn = ops.adaptive_max_pool if self._is_max else ops.adaptive_average_pool
        return fn(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        self.input_spec.check(shape, self.name)
        if self.data_format == "channels_last":
            return (shape[0],) + self.output_size + (shape[-1],)
        return (shape[0], shape[1]) + self.output_size

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


def _adaptive(name, rank, is_max):
    doc = (f"{rank}D adaptive {'max' if is_max else 'average'} pooling to `output_size` "
           f"(Keras's `{name}`).")
    return type(name, (BaseAdaptivePooling,), {"rank": rank, "_is_max": is_max, "__doc__": doc,
                                               "__module__": __name__})


AdaptiveAveragePooling1D = _adaptive("AdaptiveAveragePooling1D", 1, False)
AdaptiveAveragePooling2D = _adaptive("AdaptiveAveragePooling2D", 2, False)
AdaptiveAveragePooling3D = _adaptive("AdaptiveAveragePooling3D", 3, False)
AdaptiveMaxPooling1D = _adaptive("AdaptiveMaxPooling1D", 1, True)
AdaptiveMaxPooling2D = _adaptive("AdaptiveMaxPooling2D", 2, True)
AdaptiveMaxPooling3D = _adaptive("AdaptiveMaxPooling3D", 3, True)

# Aliases used by Keras.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
