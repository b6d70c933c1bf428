"""keras.ops's functions with Keras's names, arguments and defaults: `ops.mean(x, axis=1)`, `ops.reshape(x, (-1, 4))`,
`ops.softmax(x)`, `ops.matmul(a, b)`, ... exported by convkit.ops, so that a Keras script written with
`from keras import layers, ops` runs with `from convkit import layers, ops`.

Each function works two ways, as Keras's does:
- on convkit's symbolic tensors (a KerasTensor among its tensor arguments, also inside the list of concatenate /
  stack) it adds the operation node Keras adds (same class, options and constants, convkit/layers/operations.py),
  so a functional model built with it saves what Keras saves;
- on arrays (numpy arrays, lists, Python numbers) it computes at once with that node's own code
  (convkit/layers/operation_tables.py) and returns numpy arrays (a list of them for split and unstack).

Eager dtypes are those of the node, i.e. of Keras's graph: Python numbers are weakly typed (`int32_array * 0.5` is
float32, `float16_array * 2.0` stays float16), Python ints and floats in lists become int32 / float32 as Keras
converts them, and float64 arrays are computed as float32, as a model computes them. (Keras's own eager call keeps
a float64 array's float64, and some int64 results that its graph narrows to int32; on bool, int32, uint8, float16
and float32 arrays the two agree.)

keras.ops's abs, all, any, max, min, round and sum are defined here under their Keras names, so this module's own
code calls Python's builtins through `builtins`."""
import builtins

import numpy as np

__all__ = [
    # element-wise arithmetic and comparisons
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "power", "maximum", "minimum",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    # element-wise functions
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal",
    "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
    "erf", "erfc", "abs", "absolute", "negative", "sign", "floor", "ceil", "trunc", "round", "clip", "where",
    # reductions
    "mean", "sum", "prod", "max", "min", "var", "std", "argmax", "argmin", "any", "all", "logsumexp",
    # shapes
    "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "split", "unstack", "get_item",
    "tile", "repeat", "broadcast_to", "flip", "roll", "swapaxes", "moveaxis", "take", "take_along_axis",
    "zeros_like", "ones_like", "cast", "convert_to_tensor",
    # linear algebra
    "matmul", "einsum",
    # activations and other keras.ops.nn functions
    "relu", "relu6", "sigmoid", "hard_sigmoid", "silu", "swish", "hard_silu", "hard_swish", "softplus", "softsign",
    "selu", "elu", "celu", "gelu", "leaky_relu", "glu", "log_sigmoid", "hard_tanh", "tanh_shrink", "soft_shrink",
    "hard_shrink", "squareplus", "threshold", "sparse_plus", "sparse_sigmoid", "softmax", "log_softmax",
    "sparsemax", "normalize", "one_hot",
]


# ---- the dispatcher -------------------------------------------------------------------------------

def _run(operation, tensors, **options):
    """Keras's operation `operation` (its class name) with `options` (its constructor's arguments) on `tensors`:
    {argument name: value} in the operation's order; for an operation on a list (Concatenate, Stack), one entry
    holding the list. A node of the graph when a symbolic tensor is among the values, the arrays otherwise."""
    # (imported here: convkit.layers imports convkit.ops, which imports this module)
    from convkit.layers import operations
    from convkit.layers.operation_tables import OPERATIONS
    from convkit.layers.symbolic import KerasTensor

    spec = OPERATIONS[operation]
    if spec.takes_list:
        (name, values), = tensors.items()
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"`{name}` must be a list of tensors. Received: {name}={values!r}")
        tensors = {f"{name}[{i}]": value for i, value in enumerate(values)}
    values = list(tensors.values())
    if builtins.any(isinstance(value, KerasTensor) for value in values):
        return operations.apply(operation, *([values] if spec.takes_list else values), **options)
    return _eager(operations, spec, operation, tensors, options)


def _eager(operations, spec, operation, tensors, options):
    """The node's computation on arrays: its option checks, shape rules (for Keras's errors) and compute code."""
    values = list(tensors.values())
    # Python numbers beside an array stay constants of the node, weakly typed as Keras's are; alone, they are the
    # tensor (an operation needs one)
    has_array = builtins.any(not _is_python_number(v) for v in values)
    arguments, arrays = [], []
    for i, (name, value) in enumerate(tensors.items()):
        if i in spec.constant_at or (has_array and not spec.takes_list and _is_python_number(value)):
            arguments.append(value)
        else:
            arguments.append(None)
            arrays.append(_to_array(value, name))
    layer = _eager_node(operations, operation, arguments, options)
    inputs = arrays if len(arrays) > 1 else arrays[0]
    layer.compute_output_shape([a.shape for a in arrays] if len(arrays) > 1 else arrays[0].shape)
    return layer.call(inputs)


_EAGER_NODES = {}  # repr of (operation, constants, options) -> its node, for repeated eager calls
_EAGER_NODES_KEPT = 256


def _eager_node(operations, operation, arguments, options):
    """The node an eager call runs, made once per operation, constants and options: making one (its option
    checks) costs several times what a small array's computation does (ops.mean on 32x10: ~50 -> ~15 us). A
    node holds no state between calls but its dtype rules' cache, which is the same for every call."""
    if not _reprs_exactly((arguments, options)):  # (numpy's repr of a large array elides values)
        return operations.KerasOperation(operation, arguments, options, name=operations.to_snake_case(operation))
    key = repr((operation, arguments, sorted(options.items())))
    node = _EAGER_NODES.get(key)
    if node is None:
        node = operations.KerasOperation(operation, arguments, options, name=operations.to_snake_case(operation))
        if len(_EAGER_NODES) >= _EAGER_NODES_KEPT:
            _EAGER_NODES.pop(next(iter(_EAGER_NODES)))  # the oldest first
        _EAGER_NODES[key] = node
    return node


def _reprs_exactly(value):
    """Whether repr(value) tells value apart from any other: Python's scalars, strings, slices and Ellipsis, in
    lists, tuples and dicts."""
    if isinstance(value, (list, tuple)):
        return builtins.all(_reprs_exactly(v) for v in value)
    if isinstance(value, dict):
        return builtins.all(_reprs_exactly(k) and _reprs_exactly(v) for k, v in value.items())
    if isinstance(value, slice):
        return _reprs_exactly((value.start, value.stop, value.step))
    return value is None or value is Ellipsis or type(value) in (bool, int, float, str)


def _is_python_number(value):
    # (numpy's scalars have a dtype, as Keras's tensors do: they are arrays here, whatever their Python bases)
    return isinstance(value, (bool, int, float)) and not isinstance(value, np.generic)


def _to_array(value, name):
    """A tensor argument as the array the node computes on: numpy arrays keep their bool, int, uint, float16 and
    float32 dtypes; Python numbers and lists give bool, int32 or float32 (Keras's conversion of Python values);
    float64 becomes float32."""
    from_python = not isinstance(value, np.ndarray) and not hasattr(value, "dtype")
    try:
        array = np.asarray(value)
    except ValueError as exc:  # ragged lists
        raise ValueError(f"`{name}` must be an array of numbers. Received: {name}={value!r} ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold booleans, ints or floats. Received: {name} of dtype {array.dtype} "
                        f"({type(value).__name__})")
    if array.dtype == np.float64 or (from_python and array.dtype == np.int64):
        array = array.astype(np.float32 if array.dtype.kind == "f" else np.int32)
    return array


def _dtype(dtype, name="dtype"):
    """A dtype as Keras standardizes it (a name, a numpy dtype or type, Python's bool / int / float); the option
    checks of the node say what a bad one should have been."""
    python_types = {bool: "bool", int: "int32", float: "float32", "int": "int32"}
    if isinstance(dtype, (type, str)) and dtype in python_types:
        return python_types[dtype]
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        return np.dtype(dtype).name
    return getattr(dtype, "name", dtype)


# ---- element-wise arithmetic and comparisons --------------------------------------------------------------

def add(x1, x2):
    """x1 + x2, element-wise with broadcasting."""
    return _run("Add", {"x1": x1, "x2": x2})


def subtract(x1, x2):
    """x1 - x2, element-wise with broadcasting."""
    return _run("Subtract", {"x1": x1, "x2": x2})


def multiply(x1, x2):
    """x1 * x2, element-wise with broadcasting."""
    return _run("Multiply", {"x1": x1, "x2": x2})


def divide(x1, x2):
    """x1 / x2 (true division: ints give floats), element-wise with broadcasting."""
    return _run("Divide", {"x1": x1, "x2": x2})


def true_divide(x1, x2):
    """x1 / x2 (true division: ints give floats), element-wise with broadcasting."""
    return _run("TrueDivide", {"x1": x1, "x2": x2})


def floor_divide(x1, x2):
    """x1 // x2, rounded towards minus infinity, element-wise with broadcasting."""
    return _run("FloorDivide", {"x1": x1, "x2": x2})


def mod(x1, x2):
    """x1 % x2 with the sign of x2, element-wise with broadcasting."""
    return _run("Mod", {"x1": x1, "x2": x2})


def power(x1, x2):
    """x1 ** x2, element-wise with broadcasting."""
    return _run("Power", {"x1": x1, "x2": x2})


def maximum(x1, x2):
    """The larger of x1 and x2, element-wise with broadcasting."""
    return _run("Maximum", {"x1": x1, "x2": x2})


def minimum(x1, x2):
    """The smaller of x1 and x2, element-wise with broadcasting."""
    return _run("Minimum", {"x1": x1, "x2": x2})


def equal(x1, x2):
    """x1 == x2 as booleans, element-wise with broadcasting."""
    return _run("Equal", {"x1": x1, "x2": x2})


def not_equal(x1, x2):
    """x1 != x2 as booleans, element-wise with broadcasting."""
    return _run("NotEqual", {"x1": x1, "x2": x2})


def greater(x1, x2):
    """x1 > x2 as booleans, element-wise with broadcasting."""
    return _run("Greater", {"x1": x1, "x2": x2})


def greater_equal(x1, x2):
    """x1 >= x2 as booleans, element-wise with broadcasting."""
    return _run("GreaterEqual", {"x1": x1, "x2": x2})


def less(x1, x2):
    """x1 < x2 as booleans, element-wise with broadcasting."""
    return _run("Less", {"x1": x1, "x2": x2})


def less_equal(x1, x2):
    """x1 <= x2 as booleans, element-wise with broadcasting."""
    return _run("LessEqual", {"x1": x1, "x2": x2})


def logical_and(x1, x2):
    """x1 and x2 (nonzero is true) as booleans, element-wise with broadcasting."""
    return _run("LogicalAnd", {"x1": x1, "x2": x2})


def logical_or(x1, x2):
    """x1 or x2 (nonzero is true) as booleans, element-wise with broadcasting."""
    return _run("LogicalOr", {"x1": x1, "x2": x2})


def logical_xor(x1, x2):
    """Exactly one of x1 and x2 true (nonzero), as booleans, element-wise with broadcasting."""
    return _run("LogicalXor", {"x1": x1, "x2": x2})


def logical_not(x):
    """not x (nonzero is true) as booleans, element-wise."""
    return _run("LogicalNot", {"x": x})


# ---- element-wise functions ---------------------------------------------------------------------

def exp(x):
    """e ** x, element-wise."""
    return _run("Exp", {"x": x})


def exp2(x):
    """2 ** x, element-wise."""
    return _run("Exp2", {"x": x})


def expm1(x):
    """e ** x - 1, accurate near 0, element-wise."""
    return _run("Expm1", {"x": x})


def log(x):
    """The natural logarithm, element-wise."""
    return _run("Log", {"x": x})


def log2(x):
    """The base-2 logarithm, element-wise."""
    return _run("Log2", {"x": x})


def log10(x):
    """The base-10 logarithm, element-wise."""
    return _run("Log10", {"x": x})


def log1p(x):
    """log(1 + x), accurate near 0, element-wise."""
    return _run("Log1p", {"x": x})


def sqrt(x):
    """The square root, element-wise."""
    return _run("Sqrt", {"x": x})


def rsqrt(x):
    """1 / sqrt(x), element-wise."""
    return _run("Rsqrt", {"x": x})


def square(x):
    """x * x, element-wise."""
    return _run("Square", {"x": x})


def reciprocal(x):
    """1 / x, element-wise."""
    return _run("Reciprocal", {"x": x})


def sin(x):
    """The sine, element-wise."""
    return _run("Sin", {"x": x})


def cos(x):
    """The cosine, element-wise."""
    return _run("Cos", {"x": x})


def tan(x):
    """The tangent, element-wise."""
    return _run("Tan", {"x": x})


def sinh(x):
    """The hyperbolic sine, element-wise."""
    return _run("Sinh", {"x": x})


def cosh(x):
    """The hyperbolic cosine, element-wise."""
    return _run("Cosh", {"x": x})


def tanh(x):
    """The hyperbolic tangent, element-wise."""
    return _run("Tanh", {"x": x})


def arcsin(x):
    """The inverse sine, element-wise."""
    return _run("Arcsin", {"x": x})


def arccos(x):
    """The inverse cosine, element-wise."""
    return _run("Arccos", {"x": x})


def arctan(x):
    """The inverse tangent, element-wise."""
    return _run("Arctan", {"x": x})


def arcsinh(x):
    """The inverse hyperbolic sine, element-wise."""
    return _run("Arcsinh", {"x": x})


def arccosh(x):
    """The inverse hyperbolic cosine, element-wise."""
    return _run("Arccosh", {"x": x})


def arctanh(x):
    """The inverse hyperbolic tangent, element-wise."""
    return _run("Arctanh", {"x": x})


def erf(x):
    """The Gauss error function, element-wise."""
    return _run("Erf", {"x": x})


def erfc(x):
    """1 - erf(x), accurate where erf(x) is near 1, element-wise."""
    return _run("Erfc", {"x": x})


def absolute(x):
    """|x|, element-wise."""
    return _run("Absolute", {"x": x})


def abs(x):
    """|x|, element-wise (keras.ops.absolute's other name: the same Absolute node)."""
    return _run("Absolute", {"x": x})


def negative(x):
    """-x, element-wise."""
    return _run("Negative", {"x": x})


def sign(x):
    """-1, 0 or 1 as x is negative, zero or positive, element-wise."""
    return _run("Sign", {"x": x})


def floor(x):
    """x rounded down to a whole number, element-wise."""
    return _run("Floor", {"x": x})


def ceil(x):
    """x rounded up to a whole number, element-wise."""
    return _run("Ceil", {"x": x})


def trunc(x):
    """x rounded towards 0 to a whole number, element-wise."""
    return _run("Trunc", {"x": x})


def round(x, decimals=0):
    """x rounded to `decimals` decimal places (halves to even), element-wise."""
    return _run("Round", {"x": x}, decimals=decimals)


def clip(x, x_min, x_max):
    """x limited to [x_min, x_max], element-wise."""
    return _run("Clip", {"x": x}, x_min=x_min, x_max=x_max)


def where(condition, x1=None, x2=None):
    """x1 where `condition` is true (nonzero), x2 elsewhere, with broadcasting."""
    if (x1 is None) != (x2 is None):
        raise ValueError(f"`x1` and `x2` must be given together (or neither). Received: x1={x1!r}, x2={x2!r}")
    if x1 is None:
        raise ValueError("convkit's `where` needs `x1` and `x2`: where(condition) alone gives the indices of the "
                         "true values, whose count depends on the values. Received: x1=None, x2=None")
    return _run("Where", {"condition": condition, "x1": x1, "x2": x2})


# ---- reductions --------------------------------------------------------------------------------

def mean(x, axis=None, keepdims=False):
    """The mean over `axis` (an int, a list of ints, or None: every axis)."""
    return _run("Mean", {"x": x}, axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):
    """The sum over `axis` (an int, a list of ints, or None: every axis)."""
    return _run("Sum", {"x": x}, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over `axis` (an int, a list of ints, or None: every axis), in `dtype` if given."""
    return _run("Prod", {"x": x}, axis=axis, keepdims=keepdims, dtype=None if dtype is None else _dtype(dtype))


def max(x, axis=None, keepdims=False, initial=None):
    """The largest value over `axis` (None: every axis), at least `initial` if given."""
    return _run("Max", {"x": x}, axis=axis, keepdims=keepdims, initial=initial)


def min(x, axis=None, keepdims=False, initial=None):
    """The smallest value over `axis` (None: every axis), at most `initial` if given."""
    return _run("Min", {"x": x}, axis=axis, keepdims=keepdims, initial=initial)


def var(x, axis=None, keepdims=False):
    """The (population) variance over `axis` (None: every axis)."""
    return _run("Var", {"x": x}, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """The (population) standard deviation over `axis` (None: every axis)."""
    return _run("Std", {"x": x}, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    """The index of the first largest value along `axis` (None: of the flattened tensor), as int32."""
    return _run("Argmax", {"x": x}, axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """The index of the first smallest value along `axis` (None: of the flattened tensor), as int32."""
    return _run("Argmin", {"x": x}, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    """Whether any value over `axis` (None: every axis) is true (nonzero)."""
    return _run("Any", {"x": x}, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    """Whether every value over `axis` (None: every axis) is true (nonzero)."""
    return _run("All", {"x": x}, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis` (None: every axis), computed without overflow."""
    return _run("Logsumexp", {"x": x}, axis=axis, keepdims=keepdims)


# ---- shapes --------------------------------------------------------------------------------------

def reshape(x, newshape):
    """The values of `x` in the shape `newshape` (one size may be -1: whatever is left)."""
    try:
        newshape = tuple(newshape)
    except TypeError:
        newshape = (newshape,)  # as Keras: a lone size is a shape of one axis
    return _run("Reshape", {"x": x}, newshape=newshape)


def transpose(x, axes=None):
    """`x` with its axes in the order `axes` (None: reversed)."""
    return _run("Transpose", {"x": x}, axes=axes)


def expand_dims(x, axis):
    """`x` with a new axis of size 1 at `axis` (or at each of a list of axes)."""
    return _run("ExpandDims", {"x": x}, axis=axis)


def squeeze(x, axis=None):
    """`x` without its axes of size 1 (only those of `axis` if given)."""
    return _run("Squeeze", {"x": x}, axis=axis)


def concatenate(xs, axis=0):
    """The tensors of the list `xs` joined along the existing axis `axis`."""
    return _run("Concatenate", {"xs": xs}, axis=axis)


def stack(x, axis=0):
    """The tensors of the list `x` (all of one shape) joined along a new axis `axis`."""
    return _run("Stack", {"x": x}, axis=axis)


def split(x, indices_or_sections, axis=0):
    """A list of pieces of `x` along `axis`: that many equal ones (an int), or cut before each listed index."""
    return _run("Split", {"x": x}, indices_or_sections=indices_or_sections, axis=axis)


def unstack(x, num=None, axis=0):
    """A list of the slices of `x` along `axis` (that axis removed); `num`, if given, must be their count."""
    return _run("Unstack", {"x": x}, num=num, axis=axis)


def get_item(x, key):
    """x[key], for a key of ints, slices, None (a new axis) and Ellipsis."""
    return _run("GetItem", {"x": x, "key": key})


def tile(x, repeats):
    """`x` repeated `repeats` times along each axis (an int or one count per axis, aligned on the last)."""
    return _run("Tile", {"x": x}, repeats=repeats)


def repeat(x, repeats, axis=None):
    """Each element of `x` repeated `repeats` times along `axis` (None: of the flattened tensor)."""
    return _run("Repeat", {"x": x}, repeats=repeats, axis=axis)


def broadcast_to(x, shape):
    """`x` broadcast to `shape`."""
    return _run("BroadcastTo", {"x": x}, shape=shape)


def flip(x, axis=None):
    """`x` with the order of its elements reversed along `axis` (None: every axis)."""
    return _run("Flip", {"x": x}, axis=axis)


def roll(x, shift, axis=None):
    """`x` shifted by `shift` places along `axis` (None: the flattened tensor), wrapping around."""
    return _run("Roll", {"x": x}, shift=shift, axis=axis)


def swapaxes(x, axis1, axis2):
    """`x` with its axes `axis1` and `axis2` swapped."""
    return _run("Swapaxes", {"x": x}, axis1=axis1, axis2=axis2)


def moveaxis(x, source, destination):
    """`x` with its axes `source` moved to the places `destination`, the others kept in order."""
    return _run("Moveaxis", {"x": x}, source=source, destination=destination)


def take(x, indices, axis=None):
    """The slices of `x` at `indices` along `axis` (None: elements of the flattened tensor)."""
    return _run("Take", {"x": x, "indices": indices}, axis=axis)


def take_along_axis(x, indices, axis=None):
    """The elements of `x` at `indices` along `axis`, `indices` broadcast against `x` on the other axes."""
    return _run("TakeAlongAxis", {"x": x, "indices": indices}, axis=axis)


def zeros_like(x, dtype=None):
    """Zeros of the shape of `x`, in `dtype` (default: that of `x`)."""
    return _run("ZerosLike", {"x": x}, dtype=None if dtype is None else _dtype(dtype))


def ones_like(x, dtype=None):
    """Ones of the shape of `x`, in `dtype` (default: that of `x`)."""
    return _run("OnesLike", {"x": x}, dtype=None if dtype is None else _dtype(dtype))


def cast(x, dtype):
    """`x` converted to `dtype`."""
    return _run("Cast", {"x": x}, dtype="float32" if dtype is None else _dtype(dtype))


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` as a tensor (a numpy array on arrays), in `dtype` if given."""
    return _run("ConvertToTensor", {"x": x}, dtype=None if dtype is None else _dtype(dtype), sparse=sparse,
                ragged=ragged)


# ---- linear algebra -----------------------------------------------------------------------------

def matmul(x1, x2):
    """The matrix product of x1 and x2 (batched over leading axes, broadcast)."""
    return _run("Matmul", {"x1": x1, "x2": x2})


def einsum(subscripts, *operands):
    """The Einstein summation `subscripts` (e.g. 'bij,bjk->bik') over `operands`."""
    return _run("Einsum", {f"operands[{i}]": operand for i, operand in enumerate(operands)}, subscripts=subscripts)


# ---- activations and other keras.ops.nn functions -----------------------------------------------------

def relu(x):
    """max(x, 0), element-wise."""
    return _run("Relu", {"x": x})


def relu6(x):
    """min(max(x, 0), 6), element-wise."""
    return _run("Relu6", {"x": x})


def sigmoid(x):
    """1 / (1 + exp(-x)), element-wise."""
    return _run("Sigmoid", {"x": x})


def hard_sigmoid(x):
    """The piecewise-linear sigmoid clip(x / 6 + 1/2, 0, 1), element-wise."""
    return _run("HardSigmoid", {"x": x})


def silu(x):
    """x * sigmoid(x), element-wise."""
    return _run("Silu", {"x": x})


def swish(x):
    """x * sigmoid(x), element-wise (keras.ops.silu's other name: the same Silu node)."""
    return _run("Silu", {"x": x})


def hard_silu(x):
    """x * hard_sigmoid(x), element-wise."""
    return _run("HardSilu", {"x": x})


def hard_swish(x):
    """x * hard_sigmoid(x), element-wise (keras.ops.hard_silu's other name: the same HardSilu node)."""
    return _run("HardSilu", {"x": x})


def softplus(x):
    """log(1 + exp(x)), element-wise."""
    return _run("Softplus", {"x": x})


def softsign(x):
    """x / (1 + |x|), element-wise."""
    return _run("Softsign", {"x": x})


def selu(x):
    """The scaled exponential linear unit (Klambauer et al.'s constants), element-wise."""
    return _run("Selu", {"x": x})


def elu(x, alpha=1.0):
    """x where positive, alpha * (exp(x) - 1) elsewhere, element-wise."""
    return _run("Elu", {"x": x}, alpha=alpha)


def celu(x, alpha=1.0):
    """x where positive, alpha * (exp(x / alpha) - 1) elsewhere, element-wise."""
    return _run("Celu", {"x": x}, alpha=alpha)


def gelu(x, approximate=True):
    """The Gaussian error linear unit x * P(X <= x), X standard normal (tanh approximation by default)."""
    return _run("Gelu", {"x": x}, approximate=approximate)


def leaky_relu(x, negative_slope=0.2):
    """x where positive, negative_slope * x elsewhere, element-wise."""
    return _run("LeakyRelu", {"x": x}, negative_slope=negative_slope)


def glu(x, axis=-1):
    """The gated linear unit: the first half of `x` along `axis` times the sigmoid of the second half."""
    return _run("Glu", {"x": x}, axis=axis)


def log_sigmoid(x):
    """log(sigmoid(x)), computed without overflow, element-wise."""
    return _run("LogSigmoid", {"x": x})


def hard_tanh(x):
    """x limited to [-1, 1], element-wise."""
    return _run("HardTanh", {"x": x})


def tanh_shrink(x):
    """x - tanh(x), element-wise."""
    return _run("TanhShrink", {"x": x})


def soft_shrink(x, threshold=0.5):
    """x moved `threshold` towards 0, and 0 within [-threshold, threshold], element-wise."""
    return _run("SoftShrink", {"x": x}, threshold=threshold)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, 0 elsewhere, element-wise."""
    return _run("HardShrink", {"x": x}, threshold=threshold)


def squareplus(x, b=4):
    """(x + sqrt(x ** 2 + b)) / 2, a smooth relu, element-wise."""
    return _run("Squareplus", {"x": x}, b=b)


def threshold(x, threshold, default_value):
    """x where x > threshold, default_value elsewhere, element-wise."""
    return _run("Threshold", {"x": x}, threshold=threshold, default_value=default_value)


def sparse_plus(x):
    """0 below -1, (x + 1) ** 2 / 4 up to 1, x above: a smooth relu, element-wise."""
    return _run("SparsePlus", {"x": x})


def sparse_sigmoid(x):
    """0 below -1, (x + 1) / 2 up to 1, 1 above: a piecewise-linear sigmoid, element-wise."""
    return _run("SparseSigmoid", {"x": x})


def softmax(x, axis=-1):
    """exp(x) normalized to sum 1 along `axis` (None: over every element)."""
    return _run("Softmax", {"x": x}, axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis` (None: over every element), computed without overflow."""
    return _run("LogSoftmax", {"x": x}, axis=axis)


def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along `axis`: a softmax with exact zeros."""
    return _run("Sparsemax", {"x": x}, axis=axis)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (the norm kept at least `epsilon`)."""
    return _run("Normalize", {"x": x}, axis=axis, order=order, epsilon=epsilon)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Each integer class of `x` as a vector of `num_classes` zeros with a one at that class, on a new `axis`."""
    # as Keras: the dtype is standardized before the node is made, None becoming float32
    return _run("OneHot", {"x": x}, num_classes=num_classes, axis=axis,
                dtype="float32" if dtype is None else _dtype(dtype), sparse=sparse)
