"""SpectralNormalization (Keras 3's `keras.layers.SpectralNormalization`), inference only.

In Keras the wrapper divides the wrapped layer's kernel by its largest singular value (estimated
by power iteration from `vector_u`) and writes the result back into the kernel, but only in a call
with training=True. At inference (training=False, the default) it calls the wrapped layer with
the kernel as stored, which is what convkit does; training=True is refused, as everywhere in
convkit.

Weights, as Keras lists them: the wrapper tracks the wrapped layer's kernel (`kernel`, or an
Embedding's `embeddings`) as its own variable, so `weights` is [kernel, vector_u, the wrapped
layer's other weights]; vector_u (1, kernel's last size) is non-trainable. A `.keras` file keeps
the kernel and vector_u in the wrapper's own `vars` group and the wrapped layer's weights under
`layer` (`_keras_own_weights` names the former, which convkit.saving reads and writes there); a
legacy `.h5` file lists them with the others, in `weights` order.

Keras casts the output to the inputs' dtype: integer inputs (an Embedding's indices) would get
truncated integer embeddings, so convkit refuses integer inputs; pass the indices as floats.
"""
import numpy as np

from convkit import initializers
from convkit.layers.base import InputSpec, Weight
from convkit.layers.symbolic import flatten
from convkit.layers.wrappers import Wrapper

__all__ = ["SpectralNormalization"]


class SpectralNormalization(Wrapper):
    """Wraps a layer with a `kernel` (Dense, convolutions, EinsumDense) or `embeddings`
    (Embedding); at inference its output is the wrapped layer's."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, (int, np.integer)) \
                or power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations!r}`")
        self.power_iterations = int(power_iterations)
        self.kernel = self.vector_u = None

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        # convkit's recurrent layers hold their kernel themselves; Keras's hold it in their cell
        if not isinstance(kernel, Weight) or hasattr(self.layer, "recurrent_kernel"):
            kernel = getattr(self.layer, "embeddings", None)
        if not isinstance(kernel, Weight):
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'")
        self.kernel = kernel
        self.vector_u = self.add_weight((1, kernel.shape[-1]), initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False, name="vector_u")

    # ---- weights: [kernel, vector_u, the wrapped layer's others], as Keras lists them -----------

    def _keras_own_weights(self):
        """The variables Keras saves in this wrapper's own `vars` group (the tracked kernel, then
        vector_u); the wrapped layer's are saved under its `layer` group."""
        return [] if self.kernel is None else [self.kernel, self.vector_u]

    @property
    def weights(self):
        own = self._keras_own_weights()
        return own + [w for w in self.layer.weights if all(w is not o for o in own)]

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        inner = self.layer.trainable_weights
        return [w for w in self.weights if any(w is t for t in inner)]

    @property
    def non_trainable_weights(self):
        trainable = self.trainable_weights
        return [w for w in self.weights if all(w is not t for t in trainable)]

    def _differs_in_training(self):
        return True  # a training call rewrites the kernel (and vector_u)

    # ---- calling ---------------------------------------------------------------------------------

    def _refuse_integer_inputs(self, dtype):
        if np.dtype(dtype).kind in "biu":
            raise ValueError(f"Layer '{self.name}' (SpectralNormalization) casts its output to the inputs' dtype, as "
                             f"Keras does: integer inputs would truncate the output to integers. Pass the inputs as "
                             f"floats. Received inputs of dtype {np.dtype(dtype).name}")

    def _convert_inputs(self, inputs):
        arr = inputs if isinstance(inputs, np.ndarray) else np.asarray(inputs)
        self._refuse_integer_inputs(arr.dtype)
        return super()._convert_inputs(inputs)

    def _symbolic_call(self, inputs, args, kwargs):
        for tensor in flatten(inputs):
            self._refuse_integer_inputs(tensor.dtype)
        return super()._symbolic_call(inputs, args, kwargs)

    def call(self, inputs):
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
