"""Numeric preprocessing for categorical features: Keras 3's `CategoryEncoding` and `Discretization`.

CategoryEncoding turns integer indices in [0, num_tokens) into vectors of length num_tokens:
'one_hot' (one vector per index; a last axis of size 1 is replaced), 'multi_hot' (1 where an index
occurs in the sample) or 'count' (how often it occurs, or the sum of `count_weights`). As in
Keras, 'multi_hot' and 'count' reduce axis 1 of inputs of rank 2 (a sample's indices) and encode
inputs of rank 0 or 1 as one sample. Keras declares another output shape than it computes for
inputs of rank 3 or more in those modes, so convkit refuses them there. Indices must be integers
(floats holding integers are accepted) inside [0, num_tokens): Keras's torch backend fails on
larger ones and writes a zero vector for negative ones; convkit raises a ValueError for both.

Discretization puts each value in a bin: index i where bin_boundaries[i - 1] <= value <
bin_boundaries[i] (compared in float32, as Keras compares them), NaN in the last bin; then
encodes the indices as above with len(bin_boundaries) + 1 tokens ('int' returns them as they are;
'multi_hot' and 'count' reduce axis 1 at every rank, as Keras does). `adapt(data)` computes the
boundaries from `num_bins` quantiles with Keras's own approximate quantile summary (same
steps, same float32 / float64 roundings), so an adapted layer has Keras's boundaries.

Output dtypes are Keras's: 'int' bin indices are int32 arrays, since they are indices (into an
Embedding, a lookup table, numpy indexing) and a user gets from convkit what Keras returns; every
encoding is float32. (Keras gives a 'count' encoding the dtype of `count_weights`; convkit keeps
float32.) Sparse outputs are not supported: `sparse=True` is refused.
"""
import numpy as np

from convkit import _args
from convkit.layers.base import Layer
from convkit.layers.symbolic import KerasTensor

__all__ = ["CategoryEncoding", "Discretization"]

_ENCODINGS = ("one_hot", "multi_hot", "count")


def _refuse_sparse(sparse):
    if sparse:
        raise ValueError(f"convkit computes dense arrays only: `sparse=True` is not supported. Received: "
                         f"sparse={sparse!r}")


def _indices(inputs, depth, layer_name):
    """Integer indices in [0, depth) as an int64 array (a new array)."""
    arr = np.asarray(inputs)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Layer '{layer_name}' expects integer indices. Received an array of dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not (np.all(np.isfinite(arr)) and np.array_equal(arr, np.trunc(arr))):
        raise ValueError(f"Layer '{layer_name}' expects integer indices. Received non-integer values in an array of "
                         f"dtype {arr.dtype}")
    ids = arr.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= depth):
        raise ValueError(f"Layer '{layer_name}': every index must lie in [0, {depth}). Received indices from "
                         f"{int(ids.min())} to {int(ids.max())}")
    return ids


def _encode(ids, output_mode, depth, count_weights=None):
    """Keras's encodings of int indices (see the module docstring) as a float32 array."""
    if ids.ndim == 0:
        ids = ids.reshape(1)
        if count_weights is not None:
            count_weights = count_weights.reshape(1)
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        out = np.zeros(ids.shape + (depth,), np.float32)
        np.put_along_axis(out, ids[..., None], np.float32(1), axis=-1)
        return out
    # multi_hot / count reduce axis 1 (axis 0 of a single sample): move it last, encode rows
    if ids.ndim == 1:
        rows, kept_shape = ids[None], ()
    else:
        rows = np.moveaxis(ids, 1, -1)
        kept_shape = rows.shape[:-1]
        rows = rows.reshape(-1, rows.shape[-1])
    n_rows = rows.shape[0]
    if output_mode == "multi_hot":
        out = np.zeros((n_rows, depth), np.float32)
        out[np.arange(n_rows)[:, None], rows] = 1
    else:
        weights = None
        if count_weights is not None:
            weights = count_weights[None] if ids.ndim == 1 else np.moveaxis(count_weights, 1, -1)
            weights = weights.reshape(rows.shape).ravel()
        # one bincount over (row, index) pairs: row r's counts land in [r * depth, (r + 1) * depth)
        flat = (rows + np.arange(n_rows)[:, None] * depth).ravel()
        out = np.bincount(flat, weights=weights, minlength=n_rows * depth).astype(np.float32)
    return out.reshape(kept_shape + (depth,))


def _one_hot_shape(input_shape, depth):
    if len(input_shape) > 1 and input_shape[-1] == 1:
        return tuple(input_shape[:-1]) + (depth,)
    return tuple(input_shape) + (depth,)


# ---- CategoryEncoding -----------------------------------------------------------------------------

class CategoryEncoding(Layer):
    """Integer indices -> one-hot, multi-hot or count vectors of length `num_tokens` (float32)."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":  # Keras's older name
            output_mode = "multi_hot"
        if not isinstance(output_mode, str) or output_mode not in _ENCODINGS:
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is not known "
                             "beforehand, use the IntegerLookup layer instead.")
        if not _args._is_int(num_tokens) or num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens!r}.")
        _refuse_sparse(sparse)
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def _convert_inputs(self, inputs):
        return _indices(inputs, self.num_tokens, self.name)

    def _check_rank(self, rank):
        if self.output_mode != "one_hot" and rank > 2:
            raise ValueError(f"Layer '{self.name}' (CategoryEncoding) with output_mode='{self.output_mode}' encodes "
                             f"inputs of rank 0, 1 or 2 (batch, indices): Keras declares another output shape than "
                             f"it computes for more axes. Received inputs of rank {rank}")

    def _symbolic_call(self, inputs, args, kwargs):
        weights = kwargs.get("count_weights")
        if weights is not None and not isinstance(weights, KerasTensor):
            raise ValueError(f"Layer '{self.name}': in a functional model `count_weights` must be a tensor of the "
                             f"model (an input or a layer's output). Received: {type(weights).__name__}")
        return super()._symbolic_call(inputs, args, kwargs)

    def call(self, inputs, count_weights=None):
        self._check_rank(inputs.ndim)
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"`count_weights` is not used when `output_mode` is not `'count'`. Received "
                                 f"`count_weights={count_weights}`.")
            weights = _args.as_float32_array(count_weights, "count_weights")
            try:
                count_weights = np.broadcast_to(weights, inputs.shape)
            except ValueError:
                raise ValueError(f"`count_weights` must have the shape of the inputs (or broadcast to it). Received: "
                                 f"count_weights.shape={weights.shape}, inputs.shape={inputs.shape}") from None
        return _encode(inputs, self.output_mode, self.num_tokens, count_weights)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_rank(len(input_shape))
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            return _one_hot_shape(input_shape, self.num_tokens)
        return input_shape[:-1] + (self.num_tokens,)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config


# ---- Discretization -------------------------------------------------------------------------------

def _summarize(values, epsilon):
    """Keras's summary of one batch: about 1 / epsilon evenly spaced values of the sorted batch
    (every value when there are fewer), each weighted by the count it stands for. (2, n) float32."""
    values = np.sort(values.reshape(-1))
    # values per kept value; size / (1 / epsilon) rounds as Keras's (size * epsilon can differ, and
    # int(step) with it)
    step = max(values.size / (1.0 / epsilon), 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.ones_like(kept) * step])


def _compress(summary, epsilon):
    """Re-bin a summary at cumulative-weight fractions epsilon, 2 epsilon, ..., 1 by linear
    interpolation (only when it holds at least 1 / epsilon values), as Keras does."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    at = cumulative / cumulative[-1]
    new_cumulative = np.interp(fractions, at, cumulative)
    new_weights = new_cumulative - np.concatenate((np.array([0]), new_cumulative[:-1]))
    return np.stack((np.interp(fractions, at, summary[0]), new_weights)).astype("float32")


def _merge(summary, other, epsilon):
    merged = np.concatenate((summary, other), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


class Discretization(Layer):
    """Values -> bin indices (int32), or their one-hot / multi-hot / count encoding (float32)."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, dtype=None,
                 name=None):
        super().__init__(name=name, dtype=dtype)
        _refuse_sparse(sparse)
        allowed = ("int",) + _ENCODINGS
        if not isinstance(output_mode, str) or output_mode not in allowed:
            raise ValueError(f"Unknown value for `output_mode` argument of Discretization. Allowed values are: "
                             f"{allowed}. Received: output_mode={output_mode}")
        if num_bins is not None and (not _args._is_int(num_bins) or num_bins < 0):
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. Received: `num_bins={num_bins}` "
                             f"and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.integer, np.floating)) \
                or not 0 < epsilon <= 1:
            raise ValueError(f"`epsilon` must be a number in (0, 1]. Received: epsilon={epsilon!r}")
        self.bin_boundaries = None if bin_boundaries is None else self._check_boundaries(bin_boundaries)
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self._summary = None

    @staticmethod
    def _check_boundaries(bin_boundaries):
        try:
            values = np.asarray(bin_boundaries, dtype=np.float64)
        except (TypeError, ValueError):
            values = None
        if values is None or values.ndim != 1:
            raise ValueError(f"`bin_boundaries` must be a list of numbers. Received: bin_boundaries={bin_boundaries!r}")
        if np.any(np.isnan(values)) or np.any(np.diff(values) < 0):
            raise ValueError(f"`bin_boundaries` must be sorted in increasing order. Received: "
                             f"bin_boundaries={bin_boundaries!r}")
        return values.tolist()

    # ---- adapt: bin boundaries from quantiles of the data ------------------------------------------

    def adapt(self, data, steps=None):
        """Set `bin_boundaries` to `num_bins` quantiles of `data`: an array (one batch), or an
        iterable of batches (a list, a generator, a dataset; at most `steps` of them)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             "use `num_bins` instead.")
        if self.num_bins == 0:
            raise ValueError("Cannot adapt a Discretization layer with `num_bins=0`: give at least one bin.")
        if steps is not None and (not _args._is_int(steps) or steps < 1):
            raise ValueError(f"`steps` must be a positive integer or None. Received: steps={steps!r}")
        self.reset_state()
        # arrays and array-likes (anything numpy converts itself) are one batch, as in Keras
        if hasattr(data, "__iter__") and not hasattr(data, "__array__"):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def update_state(self, data):
        values = _args.as_float32_array(data, "data")
        self._summary = _merge(_summarize(values, self.epsilon), self._summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self._summary = np.zeros((2, 0), np.float32)

    # ---- calling -----------------------------------------------------------------------------------

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        ids = np.digitize(inputs, np.asarray(self.bin_boundaries, np.float32))
        if self.output_mode == "int":
            return ids.astype(np.int32)
        return _encode(ids, self.output_mode, self._depth())

    def _output_dtype(self, inputs):
        return "int32" if self.output_mode == "int" else "float32"

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if self.output_mode == "one_hot":
            return _one_hot_shape(input_shape, self._depth())
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (self._depth(),)
        return (self._depth(),)

    def get_config(self):
        # Keras's keys: no `trainable` (its constructor takes none)
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # an adapted layer's config holds both; the constructor takes one
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = layer._check_boundaries(boundaries)
            return layer
        return cls(**config)
