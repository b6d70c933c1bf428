"""Symbolic tensors and graph nodes for the functional API.

Calling a layer on a `KerasTensor` does not compute anything: it builds the layer for the
tensor's shape, works out the output shape and records a `Node` (layer, input tensors, output
tensors). `convkit.models.Model` walks these nodes once to plan the computation.
"""
import collections
import inspect

import numpy as np

KerasHistory = collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])
# True while a functional model is rebuilt from a config: Keras's calls then carry the recorded
# keyword arguments, so Keras stores no mask of its own for them (convkit/_masking.py)
_FROM_CONFIG = [False]


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

    def __iter__(self):
        # (without it, __getitem__ would make the tensor iterable, one GetItem node per step, forever)
        raise TypeError("Iterating over a symbolic KerasTensor is not supported.")

    # Keras's operators: each call records the operation node Keras's KerasTensor records (same class, same
    # arguments), so a model built with them saves what Keras saves. As in Keras, `==` is not overloaded (it
    # stays identity, and tensors stay usable as dict keys); `!=` builds NotEqual.
    __hash__ = object.__hash__
    __array_ufunc__ = None  # `array + tensor`: numpy defers to __radd__ instead of reading the tensor as an array

    def reshape(self, newshape):
        return _operation("Reshape", self, newshape=newshape)

    def squeeze(self, axis=None):
        return _operation("Squeeze", self, axis=axis)

    def __add__(self, other):
        return _operation("Add", self, other)

    def __radd__(self, other):
        return _operation("Add", other, self)

    def __sub__(self, other):
        return _operation("Subtract", self, other)

    def __rsub__(self, other):
        return _operation("Subtract", other, self)

    def __mul__(self, other):
        return _operation("Multiply", self, other)

    def __rmul__(self, other):
        return _operation("Multiply", other, self)

    def __matmul__(self, other):
        return _operation("Matmul", self, other)

    def __rmatmul__(self, other):
        return _operation("Matmul", other, self)

    def __truediv__(self, other):
        return _operation("TrueDivide", self, other)

    def __rtruediv__(self, other):
        return _operation("TrueDivide", other, self)

    def __floordiv__(self, other):
        return _operation("FloorDivide", self, other)

    def __rfloordiv__(self, other):
        return _operation("FloorDivide", other, self)

    def __mod__(self, other):
        return _operation("Mod", self, other)

    def __rmod__(self, other):
        return _operation("Mod", other, self)

    def __pow__(self, other):
        return _operation("Power", self, other)

    def __rpow__(self, other):
        return _operation("Power", other, self)

    def __neg__(self):
        return _operation("Negative", self)

    def __abs__(self):
        return _operation("Absolute", self)

    def __round__(self, ndigits=None):
        return _operation("Round", self, decimals=ndigits or 0)

    def __lt__(self, other):
        return _operation("Less", self, other)

    def __le__(self, other):
        return _operation("LessEqual", self, other)

    def __gt__(self, other):
        return _operation("Greater", self, other)

    def __ge__(self, other):
        return _operation("GreaterEqual", self, other)

    def __ne__(self, other):
        return _operation("NotEqual", self, other)

    def __and__(self, other):
        return _operation("LogicalAnd", self, other)

    def __rand__(self, other):
        return _operation("LogicalAnd", other, self)

    def __or__(self, other):
        return _operation("LogicalOr", self, other)

    def __ror__(self, other):
        return _operation("LogicalOr", other, self)

    def __xor__(self, other):
        return _operation("LogicalXor", self, other)

    def __rxor__(self, other):
        return _operation("LogicalXor", other, self)

    def __invert__(self):
        return _operation("LogicalNot", self)

    def __getitem__(self, key):
        return _operation("GetItem", self, key)


def _operation(name, *args, **options):
    from convkit.layers.operations import apply  # (operations.py builds on this module)

    return apply(name, *args, **options)


class Node:
    """One call of `layer` on symbolic inputs. `inputs` keeps the caller's structure (one tensor
    or a list); `kwargs` are the call's constant keyword arguments (replayed by from_config) and
    `tensor_kwargs` its keyword arguments that hold tensors of the graph (initial_state=[h, c],
    attention_mask=m), each with the structure it was given in. `input_tensors` is every tensor
    the call reads, in Keras's order (positional arguments first, then keyword ones by name),
    which fixes the order the model visits its layers in; `output_tensors` a flat list."""

    def __init__(self, layer, inputs, outputs, kwargs=None):
        self.operation = layer
        self.inputs = inputs
        self.output_tensors = list(outputs)
        self.kwargs, self.tensor_kwargs = _split_kwargs(layer, kwargs or {})
        self.input_keywords = None
        self._order_inputs()
        self.is_input = not self.input_tensors
        self.from_config = _FROM_CONFIG[0]
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = KerasHistory(layer, node_index, i)

    def name_inputs(self, keywords):
        """Record that entries of a list input were passed by keyword (MultiHeadAttention's
        `query=`, `value=`, `key=`): one name or None per entry. Only the order the tensors are
        visited in and how the call is written in a config change; the layer still gets the list."""
        if keywords is not None and any(keywords):
            self.input_keywords = tuple(keywords)
            self._order_inputs()

    def _order_inputs(self):
        positional, keyword = self.call_arguments()
        self.positional_tensors = positional
        self.input_tensors = positional + flatten([keyword[name] for name in sorted(keyword)])

    def call_arguments(self):
        """(the tensors passed by position, {keyword: tensor structure}), as the call was written."""
        if self.input_keywords is None:
            return flatten(self.inputs), dict(self.tensor_kwargs)
        positional, keyword = [], {}
        for tensor, name in zip(self.inputs, self.input_keywords):
            if name is None:
                positional.append(tensor)
            else:
                keyword[name] = tensor
        keyword.update(self.tensor_kwargs)
        return positional, keyword

    @property
    def parent_nodes(self):
        parents = []
        for t in self.input_tensors:
            op, node_index, _ = t._keras_history
            parents.append(op._inbound_nodes[node_index])
        return parents


def _split_kwargs(layer, kwargs):
    """A symbolic call's keyword arguments -> (constants, {name: structure of KerasTensors}). A
    keyword holding tensors must hold nothing else and be an argument of the layer's `call`
    (which gets the arrays there when the model runs)."""
    constants, tensors = {}, {}
    for name, value in kwargs.items():
        leaves = flatten(value)
        symbolic = [isinstance(t, KerasTensor) for t in leaves]
        if not any(symbolic):
            constants[name] = value
            continue
        if not all(symbolic) or _holds_dict(value):
            raise ValueError(f"Layer '{layer.name}': the keyword argument `{name}` holds tensors of the model, so it "
                             f"must be one KerasTensor or a list of them (nothing else). Received: {name}={value!r}")
        if not _call_takes(layer, name):
            raise TypeError(f"Layer '{layer.name}' ({type(layer).__name__}) does not take a tensor argument "
                            f"`{name}`: its call() has no such argument. Received: {name}={value!r}")
        tensors[name] = value
    return constants, tensors


def _holds_dict(value):
    if isinstance(value, dict):
        return True
    return isinstance(value, (list, tuple)) and any(_holds_dict(v) for v in value)


def _call_takes(layer, name):
    try:
        parameters = inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return True  # a call without a readable signature: let it say so when it runs
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


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
