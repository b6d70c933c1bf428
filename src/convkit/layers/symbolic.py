"""Symbolic tensors and graph nodes for the functional API.

Calling a layer on a `KerasTensor` does not compute anything: it builds the layer for the
tensor's shape, works out the output shape and records a `Node` (layer, input tensors, output
tensors). `convkit.models.Model` walks these nodes once to plan the computation.
"""
import collections

import numpy as np

KerasHistory = collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])


def _dtype_name(dtype):
    if dtype is None:
        return "float32"
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"`dtype` must be a numpy dtype or its name. Received: dtype={dtype!r}") from None


class KerasTensor:
    """A placeholder with a shape (None for the batch and any unknown dimension) and a dtype."""

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = _dtype_name(dtype)
        self.name = name
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic KerasTensor cannot be converted to a numpy array: it has no values. Build a "
            "Model(inputs, outputs) from it and call model.predict(x) on real data instead."
        )

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value.")

    __hash__ = object.__hash__


class Node:
    """One call of `layer` on symbolic inputs. `inputs` keeps the caller's structure (one tensor
    or a list); `input_tensors` / `output_tensors` are flat lists; `kwargs` are the non-tensor
    keyword arguments of the call (replayed by from_config)."""

    def __init__(self, layer, inputs, outputs, kwargs=None):
        self.operation = layer
        self.inputs = inputs
        self.input_tensors = flatten(inputs)
        self.output_tensors = list(outputs)
        self.kwargs = dict(kwargs or {})
        self.is_input = not self.input_tensors
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = KerasHistory(layer, node_index, i)

    @property
    def parent_nodes(self):
        parents = []
        for t in self.input_tensors:
            op, node_index, _ = t._keras_history
            parents.append(op._inbound_nodes[node_index])
        return parents


def is_symbolic(x):
    return any(isinstance(t, KerasTensor) for t in flatten(x))


def flatten(x):
    if isinstance(x, (list, tuple)):
        out = []
        for item in x:
            out.extend(flatten(item))
        return out
    if isinstance(x, dict):
        out = []
        for key in x:
            out.extend(flatten(x[key]))
        return out
    return [x]


def map_structure(fn, x):
    if isinstance(x, list):
        return [map_structure(fn, item) for item in x]
    if isinstance(x, tuple):
        return tuple(map_structure(fn, item) for item in x)
    return fn(x)
