"""Attention layers (Keras 3's `MultiHeadAttention`, `Attention`, `AdditiveAttention`), inference only.

MultiHeadAttention projects query, key and value with EinsumDense sub-layers named `query`, `key`,
`value` (and `gate` with use_gate) and projects the heads back with `attention_output`, as Keras
does, so its weights (query kernel, bias, key..., value..., attention_output...) come in Keras's
order and a `.keras` file's nested groups (`query_dense`, `key_dense`, `value_dense`,
`_gate_dense`, `output_dense`) load through `_keras_sublayers`. The attention itself moves the
batch and head axes to the front and the attention axes next, so that every score block is one
batched matrix product, (query positions, key_dim) @ (key_dim, key positions); the softmax runs
over all attention axes at once on convkit's row softmax.

Masks follow Keras: `attention_mask` (True / non-zero = may attend), `use_causal_mask` (query
position i attends to key positions <= i along axis 1 of the inputs) and `sliding_window` are
combined; masked scores are replaced by -1e9 before the softmax. A query position with nothing
to attend to gets what Keras's path for the call gives: even weights over every key where Keras
runs its fused kernel (inputs of rank 3, no scores returned, dropout 0), zero weights (so the
output is the output projection's bias) everywhere else. `Attention` and `AdditiveAttention` subtract 1e9 from
masked scores instead, as Keras does. Keras's masks of the inputs (convkit/_masking.py) join in
as Keras combines them: MultiHeadAttention's `query_mask`, `value_mask` and `key_mask` become one
(batch, T, S) attention mask and'ed with `attention_mask`, and the output keeps the query's mask;
Attention's `mask=[query_mask, value_mask]` lowers masked value scores and zeroes masked query
rows. In a functional model `attention_mask` may be a tensor of the model (an input, a layer's
output), as query, value and key may be passed by keyword; a constant array works too.

Dropout is the identity at inference; a call with `training=True` on a layer with dropout > 0 is
refused, as in every convkit layer.

Calling MultiHeadAttention with `return_attention_scores=True`, or Attention layers with it,
returns the list [output, scores] (Keras returns a tuple).
"""
import math

import numpy as np

from convkit import _args, activations, constraints, initializers, regularizers
from convkit.layers.base import Layer
from convkit.layers.einsum_dense import EinsumDense
from convkit.layers.symbolic import KerasTensor, is_symbolic
from convkit.layers.wrappers import _LayerOfLayers

__all__ = ["MultiHeadAttention", "Attention", "AdditiveAttention"]

_MASKED_SCORE = np.float32(-1e9)  # Keras's Softmax layer writes this at masked scores (float32)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _check_dropout(value, name="dropout"):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 <= value <= 1:
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a float value between 0 and 1. "
                         f"Received: {name}={value!r}")
    return value


def _causal_mask(q_len, k_len):
    """(1, q_len, k_len): query position i may attend to key positions j <= i."""
    return (np.arange(q_len)[:, None] >= np.arange(k_len)[None, :])[None]


def _bool_mask(mask, name):
    arr = np.asarray(mask)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a boolean or numeric array (True / non-zero where attention is "
                        f"allowed). Received an array of dtype {arr.dtype}")
    return arr != 0


class _ScoresOutput:
    """A symbolic call with `return_attention_scores=True` makes two tensors: output and scores.
    compute_output_shape reads `_scores_wanted`, set for the length of that call."""

    _scores_wanted = False

    def _symbolic_call(self, inputs, args, kwargs):
        self._scores_wanted = bool(kwargs.get("return_attention_scores", False))
        try:
            return super()._symbolic_call(inputs, args, kwargs)
        finally:
            self._scores_wanted = False


def _projection_equation(free_dims, bound_dims, output_dims):
    """(equation, bias axes, output rank) of a projection that keeps `free_dims` leading axes,
    contracts the next `bound_dims` with the kernel and adds `output_dims` axes."""
    free = _LETTERS[:free_dims]
    bound = _LETTERS[free_dims:free_dims + bound_dims]
    out = _LETTERS[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def _unknown_leading(rank, known_last):
    return [None] * (rank - len(known_last)) + list(known_last)


# ---- MultiHeadAttention ------------------------------------------------------------------------

class MultiHeadAttention(_ScoresOutput, _LayerOfLayers):
    """Multi-head (scaled dot-product) attention: `layer(query, value, key=None, ...)`."""

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        for value, name in ((num_heads, "num_heads"), (key_dim, "key_dim")):
            if not _args._is_int(value) or value <= 0:
                raise ValueError(f"Received an invalid value for argument `{name}`, expected a positive integer. "
                                 f"Received: {name}={value!r}")
        if value_dim is not None and (not _args._is_int(value_dim) or value_dim <= 0):
            raise ValueError(f"Received an invalid value for argument `value_dim`, expected a positive integer or "
                             f"`None`. Received: value_dim={value_dim!r}")
        super().__init__(**kwargs)
        self._num_heads, self._key_dim = int(num_heads), int(key_dim)
        self._value_dim = int(value_dim) if value_dim else self._key_dim
        self._dropout = _check_dropout(dropout)
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:  # as Keras: a falsy value (None, 0, ()) means "the query's last size"
            if _args._is_int(output_shape):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape!r}. When specified, the `output_shape` "
                                 f"should be of type tuple, list, or int.") from None
            if not all(_args._is_int(d) and d > 0 for d in output_shape):
                raise ValueError(f"Invalid `output_shape`: {output_shape!r}. Every entry must be a positive integer.")
        self._output_shape = output_shape
        self._flash_attention = flash_attention  # a kernel choice in Keras; the same numbers here
        for init_name, init in (("kernel_initializer", kernel_initializer), ("bias_initializer", bias_initializer)):
            setattr(self, "_" + init_name, initializers.get(init, init_name))
        self._kernel_regularizer = regularizers.get(kernel_regularizer, "kernel_regularizer")
        self._bias_regularizer = regularizers.get(bias_regularizer, "bias_regularizer")
        self._activity_regularizer = regularizers.get(activity_regularizer, "activity_regularizer")
        self._kernel_constraint = constraints.get(kernel_constraint, "kernel_constraint")
        self._bias_constraint = constraints.get(bias_constraint, "bias_constraint")
        if _args._is_int(attention_axes):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: "
                             f"attention_axes={attention_axes!r}")
        if attention_axes and not all(_args._is_int(a) for a in attention_axes):
            raise ValueError(f"`attention_axes` must hold integers. Received: attention_axes={attention_axes!r}")
        self._attention_axes = attention_axes  # as given until built, then the axes in use (as Keras)
        if sliding_window is not None and (not _args._is_int(sliding_window) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window!r}")
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 to "
                             "use flash attention.")
        self._query_dense = self._key_dense = self._value_dense = self._output_dense = self._gate_dense = None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # the names Keras saves the projections under (GroupQueryAttention's start with "_")
    _SUBLAYER_NAMES = {"query": "query_dense", "key": "key_dense", "value": "value_dense", "output": "output_dense"}

    def _keras_sublayers(self):
        """The projections in Keras's weight order, under the names Keras saves them with."""
        if self._query_dense is None:
            return []
        names = self._SUBLAYER_NAMES
        pairs = [(names["query"], self._query_dense), (names["key"], self._key_dense)]
        if self._use_gate:
            pairs.append(("_gate_dense", self._gate_dense))
        return pairs + [(names["value"], self._value_dense), (names["output"], self._output_dense)]

    def _differs_in_training(self):
        return self._dropout > 0

    def _takes_list(self):
        return True

    # ---- calling: layer(query, value, key=None, ...) --------------------------------------------

    _INPUT_NAMES = ("query", "value", "key")
    _input_keywords = None  # during a call: which inputs came by keyword (see _symbolic_call)

    def __call__(self, *args, **kwargs):
        keywords = None
        if "query" in kwargs or "value" in kwargs or "key" in kwargs:
            args, keywords = self._take_keyword_inputs(args, kwargs)
        if len(args) > 3:
            raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) takes at most 3 positional arguments (query, "
                            f"value, key). Received {len(args)}")
        query, value, key = tuple(args) + (None,) * (3 - len(args))
        if value is None and isinstance(query, (list, tuple)):
            if key is not None:
                raise ValueError(f"Layer '{self.name}': pass `key` either in the list [query, value, key] or as "
                                 f"`key=`, not both.")
            inputs, keywords = list(query), None  # [query, value(, key)]: how a model's plan passes the tensors
        elif value is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs `query` and `value`: call it as "
                             f"layer(query, value) or layer(query, value, key).")
        else:
            inputs = [query, value] + ([] if key is None else [key])
        for name in ("query_mask", "value_mask", "key_mask"):
            if isinstance(kwargs.get(name), KerasTensor):
                raise ValueError(f"Layer '{self.name}': `{name}` takes an array in a call on arrays; in a functional "
                                 f"model the masks of query, value and key come with them (Embedding(mask_zero=True),"
                                 f" Masking) or through `attention_mask`.")
            if name in kwargs and kwargs[name] is None:
                del kwargs[name]
        if isinstance(kwargs.get("attention_mask"), KerasTensor) and not is_symbolic(inputs):
            raise ValueError(f"Layer '{self.name}': a symbolic `attention_mask` (a tensor of a functional model) needs "
                             f"symbolic query and value too; call the layer on arrays with an array as the mask.")
        if keywords is None:
            return super().__call__(inputs, **kwargs)
        # a functional model records which inputs came by keyword: Keras visits (and saves) them so
        self._input_keywords = keywords[:len(inputs)]
        try:
            return super().__call__(inputs, **kwargs)
        finally:
            self._input_keywords = None

    def _take_keyword_inputs(self, args, kwargs):
        """query=, value=, key= moved from `kwargs` to their places -> (positional inputs, the
        keyword each place came by or None)."""
        given = dict(zip(self._INPUT_NAMES, args))
        for name in self._INPUT_NAMES:
            if name in kwargs:
                if name in given:
                    raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) got multiple values for argument "
                                    f"`{name}`.")
                given[name] = kwargs.pop(name)
        if len(args) > 3:
            return args, None  # refused by the caller
        if isinstance(given.get("query"), (list, tuple)) and given.get("value") is None:
            return [given.get(name) for name in self._INPUT_NAMES], None  # the list form: the caller judges
        places = [name for name in self._INPUT_NAMES if given.get(name) is not None]
        if places != list(self._INPUT_NAMES[:len(places)]):
            missing = [name for name in self._INPUT_NAMES[:len(places)] if given.get(name) is None]
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs `query` and `value` (and optionally "
                             f"`key`). Missing: {missing}")
        keywords = tuple(None if i < len(args) else name for i, name in enumerate(places))
        return [given[name] for name in places], keywords

    def _symbolic_call(self, inputs, args, kwargs):
        mask = kwargs.get("attention_mask")
        if isinstance(mask, KerasTensor):
            self._check_symbolic_mask(mask.shape, [t.shape for t in inputs])
        outputs = super()._symbolic_call(inputs, args, kwargs)
        self._inbound_nodes[-1].name_inputs(self._input_keywords)
        return outputs

    def _check_symbolic_mask(self, mask_shape, input_shapes):
        """A model tensor as `attention_mask`: it must broadcast against the scores as an array
        must (see _expand_mask); unknown sizes pass."""
        query, _, key = self._shapes(input_shapes)
        axes = self._axes_for(len(query))
        scores = (tuple(query[i] for i in range(len(query) - 1) if i not in axes) + (self._num_heads,)
                  + tuple(query[a] for a in axes) + tuple(key[a] for a in axes))
        mask = list(mask_shape)
        while 2 * len(axes) <= len(mask) < len(scores):
            mask.insert(len(mask) - 2 * len(axes), 1)
        if len(mask) != len(scores) or any(m not in (1, None) and s is not None and m != s
                                          for m, s in zip(mask, scores)):
            raise ValueError(f"The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 or match "
                             f"the corresponding input dimension. Received: inputs.shape={scores}, "
                             f"mask.shape={tuple(mask_shape)}")

    def _shapes(self, input_shape):
        """[query, value(, key)] shapes -> (query, value, key), checked."""
        if not isinstance(input_shape, (list, tuple)) or not 2 <= len(input_shape) <= 3 \
                or not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) takes query, value and optionally key "
                             f"tensors. Received input shape(s): {input_shape}")
        input_shape = [tuple(s) for s in input_shape]
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        if value[1:-1] != key[1:-1]:
            raise ValueError(f"All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value} and key_shape={key}")
        if len(query) < 3 or len(query) != len(value):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs `query` and `value` of one rank, 3 or "
                             f"more (batch, positions..., features). Received: query_shape={query}, "
                             f"value_shape={value}")
        return query, value, key

    def _check_input_spec(self, shapes):
        query, value, _ = self._shapes(shapes)
        axes = self._axes_for(len(query))
        for i in range(len(query) - 1):  # batch and non-attention axes must match between query and value
            if i not in axes and None not in (query[i], value[i]) and query[i] != value[i]:
                raise ValueError(f"Layer '{self.name}': `query` and `value` must have the same size on every axis "
                                 f"but the attention axes {axes} and the last one. Received: query_shape={query}, "
                                 f"value_shape={value}")

    def _axes_for(self, rank):
        """The attention axes for inputs of `rank`, as non-negative axes of the inputs."""
        given = self._attention_axes
        if given is None:
            return tuple(range(1, rank - 1))
        axes = tuple(a if a >= 0 else rank + a for a in given)
        if any(not 1 <= a <= rank - 2 for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(f"Invalid `attention_axes` for inputs of rank {rank}: they must be distinct axes "
                             f"between the batch axis and the last (features) axis, 1 to {rank - 2} (or "
                             f"{1 - rank} to -2). Received: attention_axes={given}")
        return axes

    def build(self, input_shape):
        self._check_input_spec(input_shape)
        query, value, key = self._shapes(input_shape)
        rank = len(query)
        axes = self._axes_for(rank)
        equation, bias_axes, out_rank = _projection_equation(rank - 1, 1, 2)

        def projection(name, width, activation=None):
            return EinsumDense(equation, _unknown_leading(out_rank - 1, [self._num_heads, width]),
                               bias_axes=bias_axes if self._use_bias else None, activation=activation, name=name,
                               **self._sublayer_kwargs())

        self._query_dense = projection("query", self._key_dim)
        self._query_dense.build(query)
        self._key_dense = projection("key", self._key_dim)
        self._key_dense.build(key)
        self._gate_dense = None
        if self._use_gate:
            self._gate_dense = projection("gate", self._value_dim, activation="sigmoid")
            self._gate_dense.build(query)
        self._value_dense = projection("value", self._value_dim)
        self._value_dense.build(value)
        self._attention_axes = axes
        out_shape = list(self._output_shape) if self._output_shape else [query[-1]]
        out_equation, out_bias_axes, out_rank = _projection_equation(rank - 1, 2, len(out_shape))
        self._output_dense = EinsumDense(out_equation, _unknown_leading(out_rank - 1, out_shape),
                                         bias_axes=out_bias_axes if self._use_bias else None, name="attention_output",
                                         **self._sublayer_kwargs())
        self._output_dense.build(tuple(query[:-1]) + (self._num_heads, self._value_dim))

    def _sublayer_kwargs(self):
        # fresh initializer objects per sub-layer, as Keras (one object would repeat its values)
        return dict(kernel_initializer=type(self._kernel_initializer).from_config(self._kernel_initializer.get_config()),
                    bias_initializer=type(self._bias_initializer).from_config(self._bias_initializer.get_config()),
                    kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype)

    def compute_output_shape(self, input_shape):
        query, value, key = self._shapes(input_shape)
        out = tuple(query[:-1]) + tuple(self._output_shape) if self._output_shape else tuple(query)
        if not self._scores_wanted:
            return out
        axes = self._axes_for(len(query))
        batch = [query[i] for i in range(len(query) - 1) if i not in axes]
        scores = tuple(batch) + (self._num_heads,) + tuple(query[a] for a in axes) + tuple(key[a] for a in axes)
        return [out, scores]

    def call(self, inputs, attention_mask=None, return_attention_scores=False, use_causal_mask=False,
             query_mask=None, value_mask=None, key_mask=None):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash attention is enabled. Please "
                             "disable flash attention to access attention scores.")
        attention_mask = self._with_input_masks(attention_mask, query_mask, value_mask, key_mask)
        mask = self._combined_mask(query, value, attention_mask, use_causal_mask)
        q = self._query_dense(query)
        k, v = self._key_value_heads(key, value)
        # Keras's fused kernel (ops.dot_product_attention) leaves fully masked rows evenly spread;
        # its explicit path zeroes masked weights after the softmax
        fused = self._runs_fused_kernel(q, return_attention_scores)
        heads, scores = self._attend(q, k, v, mask, zero_masked=not fused)
        if self._use_gate:
            heads = heads * self._gate_dense(query)
        output = self._output_dense(heads)
        return [output, scores] if return_attention_scores else output

    def _key_value_heads(self, key, value):
        """The projected keys and values, one head per query head."""
        return self._key_dense(key), self._value_dense(value)

    def _runs_fused_kernel(self, projected_query, return_attention_scores):
        """Whether Keras computes this call with its fused kernel: no dropout, no scores, one
        attention axis (projected query of rank 4)."""
        return self._dropout == 0 and not return_attention_scores and projected_query.ndim == 4

    # Keras's call removes the masks from its query, value and key tensors: a layer that runs
    # after it on one of them sees none (a residual Add after it then carries no mask)
    _clears_input_masks = True

    def _mask_arguments(self, mask, one_tensor_argument):
        """Keras's: query, value and key are separate arguments, so each gets its own mask."""
        return {name: m for name, m in zip(("query_mask", "value_mask", "key_mask"), mask) if m is not None}

    def compute_mask(self, inputs, mask=None):
        """Keras's: the output keeps the query's mask."""
        return mask[0] if isinstance(mask, (list, tuple)) else mask

    @staticmethod
    def _with_input_masks(attention_mask, query_mask, value_mask, key_mask):
        """Keras's masks of query (batch, T), value and key (batch, S) as one (batch, T, S)
        attention mask: query positions and value / key positions both kept, and'ed with
        `attention_mask` if given."""
        auto = None
        for m, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)):
            if m is not None:
                m = np.expand_dims(np.asarray(m).astype(bool, copy=False), axis)
                auto = m if auto is None else auto & m
        if auto is None:
            return attention_mask
        if attention_mask is None:
            return auto
        return _bool_mask(attention_mask, "attention_mask") & auto

    def _combined_mask(self, query, value, attention_mask, use_causal_mask):
        """attention_mask & causal mask & sliding window, as booleans broadcastable to (B, T, S)."""
        mask = None if attention_mask is None else _bool_mask(attention_mask, "attention_mask")
        q_len, k_len = query.shape[1], value.shape[1]
        extra = []
        if use_causal_mask:
            extra.append(_causal_mask(q_len, k_len))
        if self._sliding_window is not None:
            distance = np.abs(np.arange(q_len)[:, None] - np.arange(k_len)[None, :])
            extra.append((distance < self._sliding_window)[None])
        for m in extra:
            if mask is None:
                mask = m
                continue
            try:
                mask = mask & m
            except ValueError:
                raise ValueError(f"Layer '{self.name}': `attention_mask` of shape {mask.shape} does not broadcast "
                                 f"against the causal / sliding-window mask of shape {m.shape} (batch, query "
                                 f"positions, key positions).") from None
        return mask

    def _attend(self, q, k, v, mask, zero_masked):
        """softmax(q k^T / sqrt(key_dim)) v over the attention axes; q, k, v (B, ..., heads, dim).
        -> (attention output laid out like q with value_dim features, the softmax scores)."""
        rank = q.ndim
        axes = list(self._attention_axes)
        batch = [i for i in range(rank - 1) if i not in axes]  # includes the heads axis
        order = batch + axes + [rank - 1]
        qt, kt, vt = (t.transpose(order) for t in (q, k, v))
        nb = len(batch)
        if qt.shape[:nb] != kt.shape[:nb]:
            raise ValueError(f"Layer '{self.name}': `query` and `value` must have the same size on every axis but the "
                             f"attention axes {tuple(axes)} and the last one. Received projected shapes {q.shape} "
                             f"and {k.shape}")
        batch_shape, q_pos, k_pos = qt.shape[:nb], qt.shape[nb:-1], kt.shape[nb:-1]
        rows, q_len, k_len = math.prod(batch_shape), math.prod(q_pos), math.prod(k_pos)
        q3 = qt.reshape(rows, q_len, q.shape[-1]) * np.float32(self._inverse_sqrt_key_dim)
        k3 = kt.reshape(rows, k_len, k.shape[-1])
        scores = np.matmul(q3, k3.transpose(0, 2, 1)).reshape(batch_shape + q_pos + k_pos)
        if mask is not None:
            mask = self._expand_mask(mask, scores.shape, len(axes))
            scores = np.where(mask, scores, _MASKED_SCORE)
        # one softmax over all key positions of every (batch, head, query position) row
        probs = activations.softmax(scores.reshape(rows * q_len, k_len))
        if mask is not None and zero_masked:
            probs = np.where(mask, probs.reshape(scores.shape), np.float32(0)).reshape(rows * q_len, k_len)
        out = np.matmul(probs.reshape(rows, q_len, k_len), vt.reshape(rows, k_len, v.shape[-1]))
        out = out.reshape(batch_shape + q_pos + (v.shape[-1],)).transpose(np.argsort(order))
        return np.ascontiguousarray(out), probs.reshape(scores.shape)

    def _expand_mask(self, mask, scores_shape, n_axes):
        """Keras's broadcast of a (B, T, S) mask against the scores (B, heads, T, S): size-1 axes
        inserted before the query attention axes until the ranks match."""
        if mask.ndim > len(scores_shape):
            raise ValueError(f"The `mask` must be broadcastable to `inputs` and must not have more dimensions. "
                             f"Received: inputs.shape={scores_shape}, mask.shape={mask.shape}")
        while mask.ndim < len(scores_shape):
            mask = np.expand_dims(mask, axis=-2 * n_axes - 1)
        if any(m != 1 and m != s for m, s in zip(mask.shape, scores_shape)):
            raise ValueError(f"The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 or match "
                             f"the corresponding input dimension. Received: inputs.shape={scores_shape}, "
                             f"mask.shape={mask.shape}")
        return mask

    def get_config(self):
        config = Layer.get_config(self)
        config.pop("activity_regularizer", None)  # the sub-layers' regularizer, written below
        config.update({
            "num_heads": self._num_heads, "key_dim": self._key_dim, "value_dim": self._value_dim,
            "dropout": self._dropout, "use_bias": self._use_bias, "use_gate": self._use_gate,
            "output_shape": self._output_shape, "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
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


def _build_with_keras_arguments(wrapped_build):
    """MultiHeadAttention.build also takes Keras's arguments: build(query_shape, value_shape,
    key_shape=None), as well as convkit's one list of shapes."""
    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            return wrapped_build(self, query_shape)
        return wrapped_build(self, [query_shape, value_shape] + ([] if key_shape is None else [key_shape]))

    build.__doc__ = wrapped_build.__doc__
    return build


# set after the class body: Layer wraps a `build` defined in a class body to take one argument
MultiHeadAttention.build = _build_with_keras_arguments(MultiHeadAttention.build)


# ---- Attention, AdditiveAttention -------------------------------------------------------------

class Attention(_ScoresOutput, Layer):
    """Dot-product (Luong-style) attention: `layer([query, value])` or `layer([query, value, key])`.
    Scores are query . key (times `scale` with use_scale) or, with score_mode='concat',
    concat_score_weight * sum(tanh(scale * (query + key))). Weights: scale (scalar, with
    use_scale), concat_score_weight (scalar, with score_mode='concat')."""

    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = _check_dropout(dropout)
        self.seed = seed
        if self.score_mode not in ("dot", "concat"):
            raise ValueError(f"Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. "
                             f"Received: score_mode={score_mode!r}")
        self.scale = self.concat_score_weight = None

    def _takes_list(self):
        return True

    def _differs_in_training(self):
        return self.dropout > 0

    def _check_input_spec(self, shapes):
        name = type(self).__name__
        if not isinstance(shapes, list):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or [query, "
                             f"value, key]. Received: inputs of shape {shapes}.")
        if not 2 <= len(shapes) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, "
                             f"value, key]. Received length: {len(shapes)}.")
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        if len(query) < 3 or len(value) != len(query) or len(key) != len(query):
            raise ValueError(f"{name} layer needs query, value and key of one rank, 3 or more (batch, positions, "
                             f"features). Received shapes: query {query}, value {value}, key {key}")

        def differ(a, b):
            return None not in (a, b) and a != b

        if differ(query[-1], key[-1]):
            raise ValueError(f"{name} layer needs query and key with the same last dimension. Received shapes: query "
                             f"{query}, key {key}")
        if any(differ(a, b) for a, b in zip(key[:-1], value[:-1])):
            raise ValueError(f"{name} layer needs key and value of the same shape but the last dimension. Received "
                             f"shapes: value {value}, key {key}")
        if any(differ(a, b) for a, b in zip(query[:-2], key[:-2])):
            raise ValueError(f"{name} layer needs query and key with the same batch dimensions (all but the last two). "
                             f"Received shapes: query {query}, key {key}")

    def build(self, input_shape):
        self._check_input_spec(input_shape)
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        query, value = tuple(input_shape[0]), tuple(input_shape[1])
        key = tuple(input_shape[2]) if len(input_shape) > 2 else value
        out = query[:-1] + (value[-1],)
        return [out, query[:-1] + (key[-2],)] if self._scores_wanted else out

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = np.matmul(query, np.swapaxes(key, -1, -2))
            return scores * self.scale.value if self.scale is not None else scores
        pairs = np.expand_dims(query, -2) + np.expand_dims(key, -3)  # (..., Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale.value
        return self.concat_score_weight.value * np.sum(np.tanh(pairs), axis=-1)

    def call(self, inputs, mask=None, return_attention_scores=False, use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = value_mask = None
        if mask is not None:
            name = type(self).__name__
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: mask={mask!r}.")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. Received: mask of length "
                                 f"{len(mask)}.")
            query_mask = None if mask[0] is None else np.asarray(mask[0], bool)
            value_mask = None if mask[1] is None else np.asarray(mask[1], bool)
        scores = self._scores(query, key)
        allowed = None if value_mask is None else np.expand_dims(value_mask, -2)  # (batch, 1, Tv)
        if use_causal_mask:
            causal = _causal_mask(scores.shape[-2], scores.shape[-1])
            allowed = causal if allowed is None else allowed & causal
        if allowed is not None:
            # as Keras: masked scores lowered by 1e9 (not replaced)
            scores = np.where(allowed, scores, scores - np.float32(1e9))
        weights = activations.softmax(np.ascontiguousarray(scores, dtype=np.float32))
        output = np.matmul(weights, value)
        if query_mask is not None:
            output = np.where(query_mask[..., None], output, np.float32(0))
        return [output, weights] if return_attention_scores else output

    def compute_mask(self, inputs, mask=None):
        """Keras's: the output keeps the query's mask."""
        if mask is None or mask[0] is None:
            return None
        return np.asarray(mask[0])

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode, "dropout": self.dropout,
                       "seed": self.seed})
        return config


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: scores sum(scale * tanh(query + key)) over the
    features. Weight: scale (dim,) with use_scale."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check_input_spec(input_shape)
        dim = tuple(input_shape[0])[-1]
        if self.use_scale:
            if dim is None:
                raise ValueError(f"AdditiveAttention '{self.name}' needs the query's last dimension to create its "
                                 f"`scale`. Received: input_shape={input_shape}")
            self.scale = self.add_weight((dim,), "glorot_uniform", name="scale")

    def _scores(self, query, key):
        features = np.tanh(np.expand_dims(query, -2) + np.expand_dims(key, -3))  # (..., Tq, Tv, dim)
        if self.scale is None:
            return np.sum(features, axis=-1)
        return np.sum(features * self.scale.value, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
