"""Core layers: InputLayer / Input, Dense, Activation, Dropout (and the other inference-time
identities), Embedding. Activation layers live in activation_layers.py and are re-exported here
so `convkit.layers.core` holds what Keras's core module held."""
import warnings

import numpy as np

from convkit import _args, activations, constraints, initializers, ops, regularizers
from convkit._prepared import PreparedDense
from convkit.layers.base import InputSpec, Layer, standardize_shape
from convkit.layers.symbolic import KerasTensor, Node
from convkit.layers.activation_layers import ELU, LeakyReLU, ReLU, Softmax  # noqa: F401 (module path)
from convkit.layers.preprocessing import _PassThrough

__all__ = [
    "InputLayer", "Input", "Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Embedding", "ActivityRegularization",
    "ReLU", "LeakyReLU", "Softmax", "ELU",
]


class InputLayer(Layer):
    """The entry of a functional graph: holds the input's shape and dtype. Usually made by
    `Input(shape=...)`; `InputLayer(shape=...)` can also start a Sequential model."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if ragged:
            raise ValueError("convkit does not support ragged inputs. Received: ragged=True")
        input_shape = kwargs.pop("input_shape", None)  # Keras 2 spellings
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if batch_shape is None:
            batch_shape = batch_input_shape
        if shape is None:
            shape = input_shape
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("convkit does not support sparse inputs. Received: sparse=True")
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time. "
                             f"Received: shape={shape!r}, batch_shape={batch_shape!r}")
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(f"Argument `input_tensor` must be a KerasTensor. Received: {input_tensor!r}")
            batch_shape = input_tensor.shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument.")
            shape = standardize_shape((shape,) if _args._is_int(shape) else shape)
            if not isinstance(shape, tuple):
                raise ValueError(f"`shape` must be a tuple of integers or None. Received: shape={shape!r}")
            batch_shape = (batch_size,) + shape
        batch_shape = standardize_shape(batch_shape)
        if not isinstance(batch_shape, tuple):
            raise ValueError(f"`batch_shape` must be a tuple of integers or None. Received: {batch_shape!r}")
        self.batch_shape = batch_shape
        self.sparse = False
        self.optional = bool(optional)
        self._batch_input_shape = None
        self.built = True
        tensor = KerasTensor(batch_shape, self.dtype, self.name)
        Node(self, [], [tensor])

    def _convert_inputs(self, inputs):
        if np.dtype(self.dtype).kind in "iu":
            arr = np.asarray(inputs)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"Input '{self.name}' expects a numeric array. Received dtype {arr.dtype}")
            return arr
        return _args.as_float32_array(inputs, self.name)

    def call(self, inputs):
        return inputs

    def _check_input_spec(self, shape):
        if isinstance(shape, list):
            raise ValueError(f"Input '{self.name}' takes one array. Received {len(shape)}.")
        expected = self.batch_shape
        if len(shape) != len(expected) or any(e is not None and e != d for e, d in zip(expected, shape)):
            raise ValueError(f'Input "{self.name}" is incompatible with the data: expected shape={expected}, '
                             f"found shape={tuple(shape)}")

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        # Keras's keys and order; ragged and sparse inputs are refused, so both are always False
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": self.sparse, "ragged": False,
                "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          optional=False):
    """A symbolic input tensor for the functional API: `x = Input(shape=(28, 28, 1))`."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       input_tensor=tensor, optional=optional, name=name)
    return layer.output


def _reject_training_extras(layer, lora_rank, quantization_config):
    """Keras's LoRA and quantization arguments are accepted so signatures match, but only their
    defaults: convkit has no LoRA adapters or quantized kernels."""
    if lora_rank is not None:
        raise ValueError(f"{type(layer).__name__}: convkit does not support LoRA adapters; `lora_rank` must be None. "
                         f"Received: lora_rank={lora_rank!r}")
    if quantization_config is not None:
        raise ValueError(f"{type(layer).__name__}: convkit runs float32 kernels only; `quantization_config` must "
                         f"be None. Received: quantization_config={quantization_config!r}")


class Dense(Layer):
    """`activation(inputs @ kernel + bias)`; weights kernel (in, units), bias (units,). The
    product runs on convkit's GEMM kernel with bias and activation fused. Regularizers and
    constraints are stored and serialised, never applied (inference only)."""

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _reject_training_extras(self, lora_rank, quantization_config)
        if not _args._is_int(units) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. "
                             f"Received: units={units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self.kernel_regularizer = regularizers.get(kernel_regularizer, "kernel_regularizer")
        self.bias_regularizer = regularizers.get(bias_regularizer, "bias_regularizer")
        self.kernel_constraint = constraints.get(kernel_constraint, "kernel_constraint")
        self.bias_constraint = constraints.get(bias_constraint, "bias_constraint")
        self.input_spec = InputSpec(min_ndim=2)
        self.kernel = self.bias = None

    def build(self, input_shape):
        in_dim = tuple(input_shape)[-1]
        if in_dim is None:
            raise ValueError(f"The last dimension of the inputs to a Dense layer should be defined. "
                             f"Received: input_shape={tuple(input_shape)}")
        self.kernel = self.add_weight((in_dim, self.units), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})

    def _prepare(self):
        return PreparedDense(self.kernel.value, self.bias.value if self.use_bias else None, self.activation)

    def call(self, inputs):
        return self._prepared()(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,  # Keras's key; convkit accepts only None (float32 kernels)
        })
        return config


class Activation(Layer):
    """Apply an activation function (a Keras name or a callable) to the input."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def _passes_through(self):
        return self.activation.name == "linear"

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


def _check_rate(rate):
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating, np.integer)) or not 0 <= rate < 1:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1 "
                         f"(1 excluded). Received: rate={rate!r}")
    return float(rate) if not isinstance(rate, int) else rate


class Dropout(Layer):
    """Dropout: identity at inference (convkit does not train). `rate` must lie in [0, 1)."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs):
        return inputs.copy()

    def _passes_through(self):
        return True

    def _differs_in_training(self):
        return self.rate > 0

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config


class _SpatialDropout(Dropout):
    rank = None

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        return config


class SpatialDropout1D(_SpatialDropout):
    """Identity at inference."""
    rank = 1


class SpatialDropout2D(_SpatialDropout):
    """Identity at inference."""
    rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = _args.normalize_data_format(data_format)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class SpatialDropout3D(SpatialDropout2D):
    """Identity at inference."""
    rank = 3


class GaussianNoise(Layer):
    """Additive noise in training only: identity at inference."""

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(f"Invalid value received for argument `stddev`. Expected a float value between 0 and 1. "
                             f"Received: stddev={stddev!r}")
        self.stddev, self.seed = stddev, seed

    def call(self, inputs):
        return inputs.copy()

    def _passes_through(self):
        return True

    def _differs_in_training(self):
        return self.stddev > 0

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(Layer):
    """Multiplicative noise in training only: identity at inference."""

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = _check_rate(rate), seed

    def call(self, inputs):
        return inputs.copy()

    def _passes_through(self):
        return True

    def _differs_in_training(self):
        return self.rate > 0

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class AlphaDropout(GaussianDropout):
    """Identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.noise_shape = noise_shape

    def get_config(self):
        config = super().get_config()
        config["noise_shape"] = self.noise_shape
        return config


def _penalty_factor(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. Received: {name}={value}")
    return value


class ActivityRegularization(_PassThrough):
    """Adds l1 * sum(|x|) + l2 * sum(x^2) to the training loss in Keras (its activity
    regularizer); the identity at inference, which model plans skip."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        l1, l2 = _penalty_factor(l1, "l1"), _penalty_factor(l2, "l2")
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2  # as given, as Keras's config reports them

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # rebuilt from l1 and l2
        config.update({"l1": self.l1, "l2": self.l2})
        return config


class Masking(Layer):
    """Keras's Masking: a step (the last axis's vector) whose every value equals `mask_value`
    becomes zeros, and in a model the output carries a mask (False at those steps) that the
    layers after it use as in Keras (convkit/_masking.py)."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config"):
            from convkit.layers.preprocessing import _deserialize_number  # a serialised array in a config
            mask_value = _deserialize_number(mask_value, "mask_value")
        self.mask_value = mask_value
        self._compare_to = np.asarray(mask_value, np.float32)  # compared in the inputs' float32, as Keras

    def _makes_mask(self):
        return True

    def compute_mask(self, inputs, mask=None):
        return np.any(np.not_equal(inputs, self._compare_to), axis=-1)

    def call(self, inputs):
        keep = np.any(np.not_equal(inputs, self._compare_to), axis=-1, keepdims=True)
        return np.where(keep, inputs, np.float32(0)).astype(np.float32, copy=False)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


class Embedding(Layer):
    """Integer indices -> rows of `embeddings` (input_dim, output_dim). Indices must be integers
    (floats holding integers are accepted) in [0, input_dim). mask_zero=True: in a model, the
    output carries Keras's mask (index != 0), which the layers after it use as in Keras
    (convkit/_masking.py)."""

    @property
    def supports_masking(self):
        return self.mask_zero

    def _makes_mask(self):
        return self.mask_zero

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return np.not_equal(inputs, 0)

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        _reject_training_extras(self, lora_rank, quantization_config)
        for value, arg in ((input_dim, "input_dim"), (output_dim, "output_dim")):
            if not _args._is_int(value) or value <= 0:
                raise ValueError(f"Both `input_dim` and `output_dim` should be positive, Received {arg}={value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer, "embeddings_initializer")
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer, "embeddings_regularizer")
        self.embeddings_constraint = constraints.get(embeddings_constraint, "embeddings_constraint")
        self.mask_zero = bool(mask_zero)
        self.embeddings = None
        if weights is not None:
            self.build()
            weights = weights if isinstance(weights, (list, tuple)) else [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          name="embeddings", regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def _convert_inputs(self, inputs):
        arr = np.asarray(inputs)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"Embedding layer '{self.name}' expects integer indices. Received an array of dtype "
                            f"{arr.dtype}")
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.floor(arr)):
                raise ValueError(f"Embedding layer '{self.name}' expects integer indices. Received non-integer "
                                 f"values in an array of dtype {arr.dtype}")
        ids = arr.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(f"Embedding layer '{self.name}': every index must lie in [0, input_dim={self.input_dim})"
                             f". Received indices from {int(ids.min())} to {int(ids.max())}")
        return ids

    def call(self, inputs):
        return np.take(self.embeddings.value, inputs, axis=0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,  # as in Dense
        })
        return config
