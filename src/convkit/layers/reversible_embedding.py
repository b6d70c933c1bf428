"""ReversibleEmbedding (Keras 3's `keras.layers.ReversibleEmbedding`): an Embedding that can also
project hidden states back to the vocabulary, `layer(hidden, reverse=True)`.

Forward, it is convkit's Embedding (integer indices -> rows of `embeddings`). In reverse, the
inputs (..., output_dim) are multiplied by `embeddings` transposed (tie_weights=True) or by a
separate `reverse_embeddings` weight (output_dim, input_dim) (tie_weights=False), on convkit's
GEMM kernel, giving logits (..., input_dim); with `logit_soft_cap` they become
`tanh(logits / cap) * cap`. There is no bias.

convkit computes in float32: `reverse_dtype` may be None or 'float32' (another dtype would give
Keras's numbers rounded to that dtype). With mask_zero=True a forward call's output carries
Keras's mask (index != 0) in a model, as Embedding's does (see convkit._masking); reverse calls'
outputs carry none, as in Keras.
"""
import numpy as np

from convkit import _args
from convkit._prepared import PreparedDense
from convkit.layers.core import Embedding

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """Embedding with a reverse projection; weights embeddings (input_dim, output_dim), then
    reverse_embeddings (output_dim, input_dim) when tie_weights=False."""

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        if reverse_dtype not in (None, "float32"):
            raise ValueError(f"convkit computes the reverse projection in float32: `reverse_dtype` must be None or "
                             f"'float32'. Received: reverse_dtype={reverse_dtype!r}")
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool) or not isinstance(
                logit_soft_cap, (int, float, np.integer, np.floating)) or not 0 < logit_soft_cap < np.inf):
            raise ValueError(f"`logit_soft_cap` must be None or a positive number. Received: "
                             f"logit_soft_cap={logit_soft_cap!r}")
        # set before Embedding's constructor, which builds the layer when given `weights`
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings = None
        self._reverse = False  # True for the length of a call with reverse=True
        self._last_call_reverse = False
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight((self.output_dim, self.input_dim), self.embeddings_initializer,
                                                      name="reverse_embeddings")

    def _prepare(self):
        kernel = self.embeddings.value.T if self.tie_weights else self.reverse_embeddings.value
        return {"reverse": PreparedDense(kernel)}

    # ---- calling: layer(ids) or layer(hidden, reverse=True) -------------------------------------

    def __call__(self, inputs, *args, **kwargs):
        if args:  # as Keras: only the inputs go by position
            raise ValueError(f"Only input tensors may be passed as positional arguments. The following argument "
                             f"value should be passed as a keyword argument: {args[0]!r} (of type {type(args[0])})")
        reverse = kwargs.get("reverse", False)
        if not isinstance(reverse, (bool, np.bool_)):
            raise TypeError(f"`reverse` must be a boolean. Received: reverse={reverse!r}")
        self._reverse = self._last_call_reverse = bool(reverse)
        try:
            return super().__call__(inputs, **kwargs)
        finally:
            self._reverse = False

    def compute_mask(self, inputs, mask=None):
        """Keras's: a forward call's output is masked where the index is 0 (mask_zero=True); a
        reverse call's logits carry no mask. (Asked by a model right after the call.)"""
        return None if self._last_call_reverse else super().compute_mask(inputs, mask)

    def _convert_inputs(self, inputs):
        if not self._reverse:
            return super()._convert_inputs(inputs)
        x = _args.as_float32_array(inputs, "inputs")
        self._check_hidden_shape(x.shape)
        return x

    def _check_hidden_shape(self, shape):
        if len(shape) < 1 or shape[-1] not in (None, self.output_dim):
            raise ValueError(f"Layer '{self.name}' (ReversibleEmbedding) called with reverse=True projects hidden "
                             f"states of size output_dim={self.output_dim} back to the vocabulary: the inputs' last "
                             f"dimension must be {self.output_dim}. Received: inputs.shape={tuple(shape)}")

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        logits = self._prepared()["reverse"](inputs)
        if self.logit_soft_cap is not None:
            cap = np.float32(self.logit_soft_cap)
            logits = np.tanh(logits / cap) * cap
        return logits

    def compute_output_shape(self, input_shape, reverse=None):
        reverse = self._reverse if reverse is None else reverse
        if not reverse:
            return super().compute_output_shape(input_shape)
        self._check_hidden_shape(tuple(input_shape))
        return tuple(input_shape[:-1]) + (self.input_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                       "logit_soft_cap": self.logit_soft_cap})
        return config
