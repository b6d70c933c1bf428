"""Layers that `keras.applications` defines for its own models (not in `keras.layers`), so
models built from them load: ConvNeXt's LayerScale and StochasticDepth, InceptionResNetV2's
CustomScaleLayer. Same names, arguments,
weights and configs as Keras's; StochasticDepth drops paths only in training, so it is the
identity here and refuses training=True."""
import numpy as np

from convkit import _args, initializers, ops
from convkit.layers.base import Layer
from convkit.layers.preprocessing import _PassThrough


class LayerScale(Layer):
    """x * gamma, gamma a (projection_dim,) weight starting at init_values (ConvNeXt)."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim
        self.gamma = None

    def build(self, input_shape):
        self.gamma = self.add_weight((self.projection_dim,), initializers.Constant(self.init_values), name="variable")

    def call(self, inputs):
        x, gamma = _args.as_float32_array(inputs, "inputs"), self.gamma.value
        c = gamma.shape[0]
        if x.ndim >= 1 and x.shape[-1] == c and c > 0 and x.size >= 1 << 17:
            # In C, one value per channel (ops._channel_scale), the same products bit for bit:
            # 2.0-2.7x NumPy's broadcast multiply on ConvNeXt's 56x56x96 map, 1.2-1.9x on its
            # 28x28x192 one. Below about 128K values the call's fixed cost (some 10 us) loses.
            y = ops._channel_scale(x.reshape(1, x.size // c, c), gamma.reshape(1, 1, c))
            if y is not None:
                return y.reshape(x.shape)
        return np.multiply(x, gamma, dtype=np.float32)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


class StochasticDepth(_PassThrough):
    """Drops the residual path of whole samples in training (rate drop_path_rate); the identity
    at inference."""

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def _differs_in_training(self):
        return bool(self.drop_path_rate)

    def get_config(self):
        config = super().get_config()
        config["drop_path_rate"] = self.drop_path_rate
        return config


class CustomScaleLayer(Layer):
    """[x, r] -> x + r * scale, the residual add of InceptionResNetV2's blocks (float32, the
    product rounded first, as Keras)."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def _takes_list(self):
        return True

    def call(self, inputs):
        if not isinstance(inputs, list) or len(inputs) != 2:
            raise ValueError(f"Layer '{self.name}' expects a list of two tensors [x, residual].")
        x, r = inputs
        return np.add(x, np.multiply(r, np.float32(self.scale)), dtype=np.float32)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' expects a list of two tensors [x, residual]. "
                             f"Received: input_shape={input_shape}")
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config["scale"] = self.scale
        return config
