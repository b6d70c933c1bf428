"""Grouped-query attention (Keras 3's `keras.layers.GroupQueryAttention`, class GroupedQueryAttention),
inference only.

The query is projected to `num_query_heads` heads, key and value to `num_key_value_heads` heads
(EinsumDense sub-layers `query`, `key`, `value`, `gate` with use_gate, and `attention_output`, in
Keras's weight order). Each key / value head serves `num_query_heads // num_key_value_heads`
consecutive query heads: they are repeated along the heads axis as Keras repeats them
(`[k0, k0, k1, k1]`), and the attention is then MultiHeadAttention's over axis 1, so masks
(`attention_mask`, `use_causal_mask`, `sliding_window`, the query / value / key masks a model
carries), fully masked rows, scores and the functional graph (query / value / key /
attention_mask by keyword or by position) behave as there; see convkit.layers.attention. Inputs
are (batch, positions, features), rank 3, as in Keras.

Calling with `return_attention_scores=True` returns the list [output, scores], the scores of shape
(batch, num_query_heads, query positions, key positions) (Keras returns a tuple).
"""
import numpy as np

from convkit import _args, constraints, initializers, regularizers
from convkit.layers.attention import MultiHeadAttention, _build_with_keras_arguments
from convkit.layers.base import Layer
from convkit.layers.einsum_dense import EinsumDense

__all__ = ["GroupedQueryAttention", "GroupQueryAttention"]


def _positive_int(value, name):
    if not _args._is_int(value) or value <= 0:
        raise ValueError(f"Received an invalid value for argument `{name}`, expected a positive integer. "
                         f"Received: {name}={value!r}")
    return int(value)


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention: `layer(query, value, key=None, ...)`; `num_key_value_heads=1` is
    multi-query attention, `num_key_value_heads == num_query_heads` multi-head attention."""

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        head_dim = _positive_int(head_dim, "head_dim")
        num_query_heads = _positive_int(num_query_heads, "num_query_heads")
        num_key_value_heads = _positive_int(num_key_value_heads, "num_key_value_heads")
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(f"`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                             f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}")
        # MultiHeadAttention over one attention axis with every query head: its masks, softmax
        # and score layout are this layer's once the key / value heads are repeated
        super().__init__(num_heads=num_query_heads, key_dim=head_dim, dropout=dropout, use_bias=use_bias,
                         attention_axes=(1,), sliding_window=sliding_window, flash_attention=flash_attention,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, use_gate=use_gate, seed=seed, **kwargs)
        self._num_key_value_heads = num_key_value_heads

    head_dim = property(lambda self: self._key_dim)
    num_query_heads = property(lambda self: self._num_heads)
    num_key_value_heads = property(lambda self: self._num_key_value_heads)
    num_repeats = property(lambda self: self._num_heads // self._num_key_value_heads)
    use_gate = property(lambda self: self._use_gate)
    sliding_window = property(lambda self: self._sliding_window)

    _SUBLAYER_NAMES = {"query": "_query_dense", "key": "_key_dense", "value": "_value_dense",
                       "output": "_output_dense"}  # Keras saves GroupQueryAttention's under its attribute names

    def _shapes(self, input_shape):
        """[query, value(, key)] shapes -> (query, value, key), each (batch, positions, features)."""
        if not isinstance(input_shape, (list, tuple)) or not 2 <= len(input_shape) <= 3 \
                or not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' (GroupedQueryAttention) takes query, value and optionally key "
                             f"tensors. Received input shape(s): {input_shape}")
        input_shape = [tuple(s) for s in input_shape]
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        if any(len(s) != 3 for s in (query, value, key)):
            raise ValueError(f"Layer '{self.name}' (GroupedQueryAttention) takes query, value and key of rank 3 "
                             f"(batch, positions, features). Received: query_shape={query}, value_shape={value}, "
                             f"key_shape={key}")
        if value[1:-1] != key[1:-1]:
            raise ValueError(f"All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value} and key_shape={key}")
        return query, value, key

    def build(self, input_shape):
        self._check_input_spec(input_shape)
        query, value, key = self._shapes(input_shape)
        heads, kv_heads, head_dim = self._num_heads, self._num_key_value_heads, self._key_dim

        def projection(name, equation, n_heads, bias_axes, activation=None):
            return EinsumDense(equation, (None, n_heads, head_dim), bias_axes=bias_axes if self._use_bias else None,
                               activation=activation, name=name, **self._sublayer_kwargs())

        # Keras's equations (b batch, q/k positions, m features, u query heads, v key/value heads,
        # h head_dim): the kernels' shapes and their initializers' fans follow from them
        self._query_dense = projection("query", "bqm,muh->bquh", heads, "uh")
        self._query_dense.build(query)
        self._key_dense = projection("key", "bkm,mvh->bkvh", kv_heads, "vh")
        self._key_dense.build(key)
        self._gate_dense = None
        if self._use_gate:
            self._gate_dense = projection("gate", "bqm,muh->bquh", heads, "uh", activation="sigmoid")
            self._gate_dense.build(query)
        self._value_dense = projection("value", "bkm,mvh->bkvh", kv_heads, "vh")
        self._value_dense.build(value)
        self._output_dense = EinsumDense("bquh,uhm->bqm", (None, query[-1]), bias_axes="m" if self._use_bias else None,
                                         name="attention_output", **self._sublayer_kwargs())
        self._output_dense.build((None, None, heads, head_dim))

    def compute_output_shape(self, input_shape):
        query, value, _ = self._shapes(input_shape)
        if None not in (query[-1], value[-1]) and query[-1] != value[-1]:
            raise ValueError(f"The last dimension of `query_shape` and `value_shape` must be equal, but are "
                             f"{query[-1]}, {value[-1]}. Received: query_shape={query}, value_shape={value}")
        return super().compute_output_shape(input_shape)

    def _key_value_heads(self, key, value):
        # (batch, positions, kv heads, head_dim) -> every kv head once per query head it serves
        return (np.repeat(self._key_dense(key), self.num_repeats, axis=2),
                np.repeat(self._value_dense(value), self.num_repeats, axis=2))

    def _runs_fused_kernel(self, projected_query, return_attention_scores):
        return self._dropout == 0 and not return_attention_scores  # inputs are always rank 3 here

    def get_config(self):
        config = Layer.get_config(self)
        config.update({
            "head_dim": self._key_dim, "num_query_heads": self._num_heads,
            "num_key_value_heads": self._num_key_value_heads, "use_bias": self._use_bias,
            "use_gate": self._use_gate, "sliding_window": self._sliding_window, "dropout": self._dropout,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        })
        return config


# set after the class body: Layer wraps a `build` defined in a class body to take one argument
GroupedQueryAttention.build = _build_with_keras_arguments(GroupedQueryAttention.build)

GroupQueryAttention = GroupedQueryAttention  # the name keras.layers exports it under
