"""The Keras operations a functional model may hold (keras.ops calls and tensor operators written in its code),
one `Operation` entry each: how to compute it on numpy arrays, its output shape (None for an unknown size), its
output dtype under Keras's promotion rules, its options (Keras's constructor arguments, in Keras's order, with
Keras's defaults) and the Keras module it lives in. convkit.layers.operations.KerasOperation drives these tables.

The numbers are those of Keras 3 on its torch backend: float32 computed in float32, ints and booleans where Keras
gives them. A constant argument keeps Python's weak typing, as in Keras: `int32_tensor * 0.5` is float32 and
`float16_tensor * 2.0` stays float16."""
import math

import numpy as np

from convkit import activations


# ---- dtypes ---------------------------------------------------------------------------------

# Keras's promotion lattice (JAX's): each dtype and the dtypes directly above it. "int" and "float" are the weak
# types of Python numbers, which give way to any tensor dtype of their kind.
_LATTICE = {
    "bool": ("int",), "int": ("uint8", "int8"), "uint8": ("uint16", "int16"), "uint16": ("uint32", "int32"),
    "uint32": ("uint64", "int64"), "uint64": ("float",), "int8": ("int16",), "int16": ("int32",),
    "int32": ("int64",), "int64": ("float",), "float": ("bfloat16", "float16"), "bfloat16": ("float32",),
    "float16": ("float32",), "float32": ("float64",), "float64": (),
}


def _upper_sets():
    above = {}
    for dtype in _LATTICE:
        reached, frontier = {dtype}, [dtype]
        while frontier:
            frontier = [up for d in frontier for up in _LATTICE[d] if up not in reached]
            reached.update(frontier)
        above[dtype] = reached
    return above


_ABOVE = _upper_sets()
_WEAK = {"int": "int32", "float": "float32"}
_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32"}  # the torch backend's 32-bit results
_FLOATS = ("float16", "bfloat16", "float32", "float64")


def result_type(*tokens):
    """The dtype Keras gives an operation on arguments of these dtypes: a token is a dtype name, or "int" /
    "float" for a Python number. The least upper bound on the lattice; 64-bit results narrowed to 32 bits."""
    kinds = set(tokens)
    unknown = sorted(kinds - set(_LATTICE))
    if unknown:
        raise ValueError(f"convkit's Keras operations take bool, int, uint and float tensors. Received dtype(s) "
                         f"{unknown}")
    common = set.intersection(*(_ABOVE[k] for k in kinds))
    out = max(common, key=lambda d: len(_ABOVE[d]))  # the lowest common upper bound has the most above it
    out = _WEAK.get(out, out)
    return _NARROWED.get(out, out)


def dtype_token(value):
    """What an argument brings to the promotion: a tensor's (array's) dtype, or a Python number's weak type."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    dtype = getattr(value, "dtype", None)
    return np.dtype(dtype).name if dtype is not None else np.asarray(value).dtype.name


def _concrete(token):
    return _WEAK.get(token, token)


def _same(tokens, opt):
    return _concrete(tokens[0])


def _to_float(tokens, opt):  # exp, log, sin, mean, ...: booleans and ints give float32, floats keep theirs
    dtype = _concrete(tokens[0])
    return dtype if dtype in _FLOATS else "float32"


def _promoted(tokens, opt):
    return result_type(*tokens)


def _promoted_float(tokens, opt):  # true division
    return result_type(*tokens, "float")


def _promoted_int_bool(tokens, opt):  # mod: booleans are divided as int32
    dtype = result_type(*tokens)
    return "int32" if dtype == "bool" else dtype


def _boolean(tokens, opt):
    return "bool"


def _int32(tokens, opt):
    return "int32"


def _float32(tokens, opt):
    return "float32"


def _bool_as_int32(tokens, opt):  # clip, square
    dtype = _concrete(tokens[0])
    return "int32" if dtype == "bool" else dtype


def _summed(tokens, opt):  # sum, prod: small ints and booleans accumulate in int32
    dtype = _concrete(tokens[0])
    return "int32" if dtype in ("bool", "int8", "int16", "uint8", "uint16", "uint32") else dtype


def _prod_dtype(tokens, opt):
    return opt["dtype"] or _summed(tokens, opt)


def _option_dtype_or_input(tokens, opt):  # zeros_like, ones_like, convert_to_tensor
    return opt["dtype"] or _concrete(tokens[0])


def _option_dtype_or_float32(tokens, opt):  # one_hot
    return opt["dtype"] or "float32"


def _where_dtype(tokens, opt):
    return result_type(tokens[1], tokens[2])


def _products_dtype(tokens, opt):  # matmul, einsum: int8 operands give int32
    if set(tokens) == {"int8"}:
        return "int32"
    return result_type(*tokens)


# ---- shapes ---------------------------------------------------------------------------------

def broadcast_shapes(*shapes):
    """NumPy's broadcast of shapes that may hold None (an unknown size): None against 1 stays None, None against
    a known size takes that size."""
    rank = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (rank - len(s)) + tuple(s) for s in shapes]):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"shapes {[tuple(s) for s in shapes]} cannot be broadcast together")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


def _axis(axis, rank, key="axis"):
    if not -rank <= axis < rank:
        raise ValueError(f"`{key}`={axis} is out of range for a tensor of rank {rank}")
    return axis % rank


def _axes(axis, rank, key="axis"):
    """None (every axis), an int or a list of ints -> the sorted non-negative axes."""
    if axis is None:
        return list(range(rank))
    axes = [_axis(a, rank, key) for a in (axis if isinstance(axis, list) else [axis])]
    if len(set(axes)) != len(axes):
        raise ValueError(f"`{key}` repeats an axis: {key}={axis}")
    return sorted(axes)


def _numpy_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _same_shape(shapes, opt, constants):
    return tuple(shapes[0])


def _broadcast_shape(shapes, opt, constants):
    return broadcast_shapes(*shapes)


def _reduced_shape(shapes, opt, constants):
    shape = tuple(shapes[0])
    axes = _axes(opt["axis"], len(shape))
    if opt["keepdims"]:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _check_axis_shape(shapes, opt, constants):  # softmax & co.: the shape is kept, the axis must exist
    if opt["axis"] is not None:
        _axes(opt["axis"], len(shapes[0]))
    return tuple(shapes[0])


def _reshape_shape(shapes, opt, constants):
    shape, new = tuple(shapes[0]), opt["newshape"]
    new = [new] if isinstance(new, int) else list(new)
    if new.count(-1) > 1 or any(d < -1 for d in new):
        raise ValueError(f"`newshape` may hold one -1 and sizes >= 0. Received: newshape={opt['newshape']}")
    if None in shape:
        return tuple(None if d == -1 else d for d in new)
    size, known = math.prod(shape), math.prod(d for d in new if d != -1)
    if -1 not in new:
        if size != known:
            raise ValueError(f"cannot reshape a tensor of shape {shape} ({size} values) to newshape={new}")
        return tuple(new)
    if known == 0 or size % known:
        raise ValueError(f"cannot reshape a tensor of shape {shape} ({size} values) to newshape={new}")
    return tuple(size // known if d == -1 else d for d in new)


def _transpose_shape(shapes, opt, constants):
    shape, axes = tuple(shapes[0]), opt["axes"]
    if axes is None:
        return shape[::-1]
    in_range = all(-len(shape) <= a < len(shape) for a in axes)
    if len(axes) != len(shape) or not in_range or sorted(a % len(shape) for a in axes) != list(range(len(shape))):
        raise ValueError(f"`axes` must be a permutation of the {len(shape)} axes of a tensor of shape {shape}. "
                         f"Received: axes={axes}")
    return tuple(shape[a] for a in axes)


def _expand_dims_shape(shapes, opt, constants):
    shape = list(shapes[0])
    axis = opt["axis"] if isinstance(opt["axis"], list) else [opt["axis"]]
    axes = _axes(axis, len(shape) + len(axis))
    dims = iter(shape)
    return tuple(1 if i in axes else next(dims) for i in range(len(shape) + len(axes)))


def _squeeze_shape(shapes, opt, constants):
    shape = tuple(shapes[0])
    if opt["axis"] is None:
        return tuple(d for d in shape if d != 1)
    axes = _axes(opt["axis"], len(shape))
    wrong = [a for a in axes if shape[a] not in (1, None)]
    if wrong:
        raise ValueError(f"cannot squeeze axis {wrong[0]} of a tensor of shape {shape}: its size is not 1")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _joined_shape(shapes, opt, constants, new_axis):
    """concatenate (new_axis False) / stack (True): every shape must match the first but on the joined axis."""
    first = tuple(shapes[0])
    axis = _axis(opt["axis"], len(first) + new_axis)
    for shape in shapes[1:]:
        same = len(shape) == len(first) and all(
            a is None or b is None or a == b for i, (a, b) in enumerate(zip(shape, first)) if new_axis or i != axis)
        if not same:
            raise ValueError(f"every tensor must have the shape of the first, {first}, "
                             f"{'' if new_axis else 'but on the axis joined, '}Received shapes {list(shapes)}")
    if new_axis:
        return first[:axis] + (len(shapes),) + first[axis:]
    sizes = [s[axis] for s in shapes]
    return first[:axis] + (None if None in sizes else sum(sizes),) + first[axis + 1:]


def _split_shapes(shapes, opt, constants):
    shape = list(shapes[0])
    axis = _axis(opt["axis"], len(shape))
    size, parts = shape[axis], opt["indices_or_sections"]
    if isinstance(parts, int):
        if parts < 1 or (size is not None and size % parts):
            raise ValueError(f"the size {size} of axis {opt['axis']} cannot be split into {parts} equal sections")
        sizes = [None if size is None else size // parts] * parts
    else:
        bounds = [0] + list(parts) + [size]
        outside = size is not None and any(b < 0 or b > size for b in parts)
        if outside or any(b < 0 for b in parts) or parts != sorted(parts):
            raise ValueError(f"`indices_or_sections` must be increasing indices within the size {size} of axis "
                             f"{opt['axis']}. Received: indices_or_sections={parts}")
        sizes = [None if b is None else b - a for a, b in zip(bounds[:-1], bounds[1:])]
    return [tuple(shape[:axis] + [s] + shape[axis + 1:]) for s in sizes]


def _unstack_shapes(shapes, opt, constants):
    shape = tuple(shapes[0])
    axis = _axis(opt["axis"], len(shape))
    num = opt["num"] if opt["num"] is not None else shape[axis]
    if num is not None and num < 1:
        raise ValueError(f"unstacking axis {opt['axis']} of shape {shape} gives no tensor (num={num})")
    if num is None:
        raise ValueError(f"the number of tensors is unknown: axis {opt['axis']} of shape {shape} has no fixed size, "
                         f"so give `num`")
    if shape[axis] is not None and num != shape[axis]:
        raise ValueError(f"`num`={num} differs from the size {shape[axis]} of axis {opt['axis']}")
    return [shape[:axis] + shape[axis + 1:]] * num


def _tile_shape(shapes, opt, constants):
    shape, repeats = list(shapes[0]), opt["repeats"]
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    rank = max(len(shape), len(repeats))
    shape, repeats = [1] * (rank - len(shape)) + shape, [1] * (rank - len(repeats)) + repeats
    return tuple(None if d is None else d * r for d, r in zip(shape, repeats))


def _repeat_shape(shapes, opt, constants):
    shape, repeats, axis = list(shapes[0]), opt["repeats"], opt["axis"]
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    if axis is None:
        shape, axis = [None if None in shape else math.prod(shape)], 0
    axis = _axis(axis, len(shape))
    if shape[axis] is not None:
        if len(repeats) not in (1, shape[axis]):
            raise ValueError(f"`repeats` holds {len(repeats)} counts for an axis of size {shape[axis]}")
        shape[axis] = shape[axis] * repeats[0] if len(repeats) == 1 else sum(repeats)
    return tuple(shape)


def _broadcast_to_shape(shapes, opt, constants):
    broadcast_shapes(shapes[0], opt["shape"])
    if len(opt["shape"]) < len(shapes[0]):
        raise ValueError(f"cannot broadcast a tensor of shape {tuple(shapes[0])} to the smaller rank of "
                         f"shape={opt['shape']}")
    return tuple(opt["shape"])


def _swapaxes_shape(shapes, opt, constants):
    shape = list(shapes[0])
    a, b = _axis(opt["axis1"], len(shape), "axis1"), _axis(opt["axis2"], len(shape), "axis2")
    shape[a], shape[b] = shape[b], shape[a]
    return tuple(shape)


def _moveaxis_shape(shapes, opt, constants):
    shape = tuple(shapes[0])
    source = [opt["source"]] if isinstance(opt["source"], int) else opt["source"]
    destination = [opt["destination"]] if isinstance(opt["destination"], int) else opt["destination"]
    if len(source) != len(destination):
        raise ValueError(f"`source` and `destination` must hold as many axes. Received: source={opt['source']}, "
                         f"destination={opt['destination']}")
    source = [_axis(a, len(shape), "source") for a in source]
    destination = [_axis(a, len(shape), "destination") for a in destination]
    rest = iter(d for i, d in enumerate(shape) if i not in source)
    placed = dict(zip(destination, (shape[a] for a in source)))
    return tuple(placed[i] if i in placed else next(rest) for i in range(len(shape)))


def _take_shape(shapes, opt, constants):
    shape, indices = tuple(shapes[0]), tuple(shapes[1])
    if opt["axis"] is None:
        return indices
    axis = _axis(opt["axis"], len(shape))
    return shape[:axis] + indices + shape[axis + 1:]


def _take_along_axis_shape(shapes, opt, constants):
    shape, indices = list(shapes[0]), tuple(shapes[1])
    axis = opt["axis"]
    if axis is None:
        shape, axis = [None if None in shape else math.prod(shape)], 0
    if len(shape) != len(indices):
        raise ValueError(f"`x` and `indices` must have the same rank. Received shapes {tuple(shapes[0])} and "
                         f"{indices}")
    axis = _axis(axis, len(shape))
    shape[axis] = indices[axis]
    return broadcast_shapes(shape, indices)


def _matmul_shape(shapes, opt, constants):
    a, b = tuple(shapes[0]), tuple(shapes[1])
    if not a or not b:
        raise ValueError(f"matmul takes tensors of rank >= 1. Received shapes {a} and {b}")
    a2, b2 = ((1,) + a if len(a) == 1 else a), (b + (1,) if len(b) == 1 else b)
    if a2[-1] is not None and b2[-2] is not None and a2[-1] != b2[-2]:
        raise ValueError(f"the inner sizes of shapes {a} and {b} differ")
    out = broadcast_shapes(a2[:-2], b2[:-2]) + (a2[-2], b2[-1])
    if len(b) == 1:
        out = out[:-1]
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    return out


def _einsum_parts(subscripts, n_operands):
    """'ij,jk->ik' -> (['ij', 'jk'], 'ik' or None when implicit); '...' becomes '.'."""
    text = subscripts.replace(" ", "").replace("...", ".")
    inputs, arrow, output = text.partition("->")
    specs = inputs.split(",")
    if len(specs) != n_operands:
        raise ValueError(f"`subscripts`={subscripts!r} names {len(specs)} operand(s); the call gives {n_operands}")
    for spec in specs + [output]:
        if spec.count(".") > 1 or any(not (c.isalpha() or c == ".") for c in spec):
            raise ValueError(f"`subscripts`={subscripts!r} is not an einsum expression")
    return specs, (output if arrow else None)


def _einsum_shape(shapes, opt, constants):
    specs, output = _einsum_parts(opt["subscripts"], len(shapes))
    sizes, ellipses, counts = {}, [], {}
    for spec, shape in zip(specs, shapes):
        shape = tuple(shape)
        n_ellipsis = len(shape) - len(spec.replace(".", ""))
        if n_ellipsis < 0 or (n_ellipsis and "." not in spec):
            raise ValueError(f"the subscripts {spec.replace('.', '...')!r} do not fit an operand of shape {shape}")
        dims = iter(shape)
        for c in spec:
            if c == ".":
                ellipses.append(tuple(next(dims) for _ in range(n_ellipsis)))
                continue
            d = next(dims)
            counts[c] = counts.get(c, 0) + 1
            sizes[c] = broadcast_shapes((sizes.get(c, 1),), (d,))[0]
    if output is None:  # implicit output: the ellipsis, then the labels used once, in order
        output = ("." if ellipses else "") + "".join(sorted(c for c, n in counts.items() if n == 1))
    unknown = [c for c in output if c != "." and c not in sizes]
    if unknown:
        raise ValueError(f"`subscripts`={opt['subscripts']!r} outputs labels {unknown} no operand has")
    ellipsis = broadcast_shapes(*ellipses) if ellipses else ()
    out = []
    for c in output:
        out.extend(ellipsis if c == "." else (sizes[c],))
    return tuple(out)


def _glu_shape(shapes, opt, constants):
    shape = list(shapes[0])
    axis = _axis(opt["axis"], len(shape))
    if shape[axis] is not None:
        if shape[axis] % 2:
            raise ValueError(f"the size {shape[axis]} of axis {opt['axis']} is odd; glu halves it")
        shape[axis] //= 2
    return tuple(shape)


def _one_hot_shape(shapes, opt, constants):
    shape = list(shapes[0])
    if opt["axis"] == -1:
        return tuple(shape + [opt["num_classes"]])
    if not 0 <= opt["axis"] < len(shape):
        raise ValueError(f"`axis` must be -1 or in [0, {len(shape)}). Received: axis={opt['axis']}")
    return tuple(shape[:opt["axis"]] + [opt["num_classes"]] + shape[opt["axis"]:])


# ---- GetItem keys -----------------------------------------------------------------------------

def encode_key(key):
    """A key of `tensor[key]` -> its config form, as Keras serializes it: an int, or a list of ints, None (a new
    axis), `__slice__` and `__ellipsis__` entries (items already in that form stay). Keras takes an int or a
    tuple; convkit also takes a list, and a lone slice, None or Ellipsis as that one-element tuple."""
    if _is_int(key):
        return int(key)
    items = list(key) if isinstance(key, (tuple, list)) else [key]
    out = []
    for item in items:
        if isinstance(item, dict):  # already in config form
            decode_key([item])
            out.append(item)
        elif item is None or _is_int(item):
            out.append(None if item is None else int(item))
        elif item is Ellipsis:
            out.append({"class_name": "__ellipsis__", "config": {}})
        elif isinstance(item, slice):
            bounds = {"start": item.start, "stop": item.stop, "step": item.step}
            for name, value in bounds.items():
                if value is not None and not _is_int(value):
                    raise TypeError(f"A tensor's slice takes ints or None. Received: {name}={value!r} in key {key!r}")
            out.append({"class_name": "__slice__", "config": {k: None if v is None else int(v)
                                                               for k, v in bounds.items()}})
        else:
            raise TypeError(f"convkit indexes a symbolic tensor with ints, slices, None (a new axis) and Ellipsis. "
                            f"Received: {item!r} in key {key!r}")
    return out


def decode_key(key):
    """A GetItem key's config form -> the tuple numpy indexes with; ValueError for anything else."""
    if _is_int(key):
        return (int(key),)
    if not isinstance(key, (list, tuple)):
        raise ValueError(f"A GetItem key must be an int or a list of ints, None, slices and Ellipsis. "
                         f"Received: {key!r}")
    out = []
    for item in key:
        kind = item.get("class_name") if isinstance(item, dict) else None
        if item is None or _is_int(item):
            out.append(None if item is None else int(item))
        elif kind == "__ellipsis__":
            out.append(Ellipsis)
        elif kind == "__slice__":
            bounds = item.get("config") or {}
            values = [bounds.get(k) for k in ("start", "stop", "step")]
            if not all(v is None or _is_int(v) for v in values) or values[2] == 0:
                raise ValueError(f"A GetItem slice takes ints or None (and a nonzero step). Received: {item!r}")
            out.append(slice(*values))
        else:
            raise ValueError(f"A GetItem key holds ints, None, slices and Ellipsis. Received: {item!r} in {key!r}")
    if out.count(Ellipsis) > 1:
        raise ValueError(f"A GetItem key may hold one Ellipsis. Received: {key!r}")
    return tuple(out)


def _get_item_shape(shapes, opt, constants):
    shape, key = tuple(shapes[0]), constants[1]
    items = list(key) if Ellipsis in key else list(key) + [Ellipsis]
    n_indexed = sum(1 for k in items if k is not None and k is not Ellipsis)
    if n_indexed > len(shape):
        raise ValueError(f"the key {key} indexes {n_indexed} axes of a tensor of shape {shape}")
    dims, out = iter(shape), []
    for k in items:
        if k is None:
            out.append(1)
        elif k is Ellipsis:
            out.extend(next(dims) for _ in range(len(shape) - n_indexed))
        elif isinstance(k, slice):
            d = next(dims)
            out.append(None if d is None else len(range(*k.indices(d))))
        else:
            d = next(dims)
            if d is not None and not -d <= k < d:
                raise ValueError(f"index {k} is out of range for an axis of size {d} (shape {shape})")
    return tuple(out)


def _get_item(values, opt):
    try:
        return values[0][values[1]]
    except IndexError as exc:
        raise ValueError(f"GetItem: the key {values[1]} does not fit the tensor of shape {values[0].shape}: "
                         f"{exc}") from None


# ---- options ----------------------------------------------------------------------------------

class _Bad(Exception):
    """An option value of the wrong kind (the driver words the error)."""


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _int(value):
    if not _is_int(value):
        raise _Bad
    return int(value)


def _ints(value):
    if not isinstance(value, (list, tuple)):
        raise _Bad
    return [_int(v) for v in value]


def _int_or_ints(value):
    return _int(value) if _is_int(value) else _ints(value)


def _none_or(check):
    return lambda value: None if value is None else check(value)


def _bool(value):
    if not isinstance(value, (bool, np.bool_)):
        raise _Bad
    return bool(value)


def _number(value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise _Bad
    return value.item() if isinstance(value, np.generic) else value


def _positive_int(value):
    if _int(value) < 1:
        raise _Bad
    return int(value)


def _dtype(value):
    if not isinstance(value, str):
        raise _Bad
    try:
        name = np.dtype(value).name
    except TypeError:
        raise _Bad from None
    if name not in _LATTICE:
        raise _Bad
    return name


def _text(value):
    if not isinstance(value, str):
        raise _Bad
    return value


def _off(value):  # sparse / ragged flags: convkit has neither
    if value not in (None, False):
        raise _Bad
    return value


# kind -> (what it must be, for the error message; check returning the value as the config holds it)
OPTION_KINDS = {
    "int": ("an int", _int),
    "int_or_none": ("an int or None", _none_or(_int)),
    "positive_int": ("an int >= 1", _positive_int),
    "ints": ("a list of ints", _ints),
    "ints_or_none": ("a list of ints or None", _none_or(_ints)),
    "int_or_ints": ("an int or a list of ints", _int_or_ints),
    "axes": ("None, an int or a list of ints", _none_or(_int_or_ints)),
    "bool": ("a bool", _bool),
    "number": ("a number", _number),
    "number_or_none": ("a number or None", _none_or(_number)),
    "dtype": ("the name of a bool, int, uint or float dtype", _dtype),
    "dtype_or_none": ("None or the name of a bool, int, uint or float dtype", _none_or(_dtype)),
    "text": ("a string", _text),
    "off": ("None or False (convkit has no sparse or ragged tensors)", _off),
}


class _Required:
    """The default of an option Keras's constructor has no default for."""

    def __repr__(self):
        return "<required>"


REQUIRED = _Required()


# ---- the compute functions --------------------------------------------------------------------

def _erf_series_coefficients(n_terms=40):
    # erf(x) = 2/sqrt(pi) * x * sum_n (-x^2)^n / (n! (2n + 1)): the coefficients of the sum, highest power first
    return [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(n_terms)][::-1]


_ERF_SERIES = np.array(_erf_series_coefficients())
_ERF_SERIES_LIMIT = 2.5  # the series below it, the continued fraction above it: both far below float32's ulp


def _erfc_fraction(a, n_terms=40):
    """erfc(a) for a >= 2.5 from Laplace's continued fraction, exp(-a^2) / (sqrt(pi) (a + 1/2 / (a + 1 / (a +
    3/2 / (a + ...))))), evaluated from its 40th term back (relative error ~1e-13 there)."""
    denominator = a
    for n in range(n_terms, 0, -1):
        denominator = a + (n / 2.0) / denominator
    return np.exp(-a * a) / (math.sqrt(math.pi) * denominator)


def _erf_parts(x):
    """(erf(|x|), erfc(|x|)) in float64: the power series below 2.5 (where the cancellation of its terms costs
    ~1e-14 at most), the continued fraction above it. Matches torch's float32 erf / erfc to 1 ulp."""
    a = np.abs(np.asarray(x, np.float64))
    near = np.minimum(a, _ERF_SERIES_LIMIT)
    series = 2.0 / math.sqrt(math.pi) * near * np.polyval(_ERF_SERIES, near * near)
    tail = _erfc_fraction(np.maximum(a, _ERF_SERIES_LIMIT))
    small = a < _ERF_SERIES_LIMIT
    return np.where(small, series, 1.0 - tail), np.where(small, 1.0 - series, tail)


def erf(x):
    return np.sign(x) * _erf_parts(x)[0]


def erfc(x):
    complement = _erf_parts(x)[1]
    return np.where(np.asarray(x) < 0, 2.0 - complement, complement)


def _activation(name):
    fn = activations.get(name)
    return lambda values, opt: fn(values[0])


def _elementwise(fn):
    return lambda values, opt: fn(*values)


def _reduction(fn):
    return lambda values, opt: fn(values[0], axis=_numpy_axis(opt["axis"]), keepdims=opt["keepdims"])


def _extreme(fn, combine):  # max / min with Keras's `initial`
    def compute(values, opt):
        if values[0].size == 0:
            raise ValueError("the max / min of an empty tensor is undefined")
        out = fn(values[0], axis=_numpy_axis(opt["axis"]), keepdims=opt["keepdims"])
        return out if opt["initial"] is None else combine(out, np.asarray(opt["initial"], out.dtype))
    return compute


def _arg_extreme(fn):
    return lambda values, opt: fn(values[0], axis=opt["axis"], keepdims=opt["keepdims"])


def _logsumexp(values, opt):
    x, axis = values[0], _numpy_axis(opt["axis"])
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0).astype(x.dtype)  # as torch: no shift by an infinite max
    out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    if opt["keepdims"]:
        return out
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


def _round(values, opt):
    x, decimals = values[0], opt["decimals"]
    if x.dtype.kind in "iu":  # torch rounds ints as float32
        return _round([x.astype(np.float32)], opt)
    if decimals == 0:
        return np.rint(x)
    scale = x.dtype.type(10.0 ** abs(decimals))
    return np.rint(x * scale) / scale if decimals > 0 else np.rint(x / scale) * scale


def _clip(values, opt):
    x = values[0]
    return np.minimum(np.maximum(x, np.asarray(opt["x_min"], x.dtype)), np.asarray(opt["x_max"], x.dtype))


def _squeeze(values, opt):
    x, axis = values[0], opt["axis"]
    if axis is None:
        return np.squeeze(x)
    # as torch: a listed axis whose size is not 1 (a batch of several) stays
    axes = [a for a in _axes(axis, x.ndim) if x.shape[a] == 1]
    return np.squeeze(x, axis=tuple(axes))


def _split(values, opt):
    parts = opt["indices_or_sections"]
    x, axis = values[0], opt["axis"]
    if isinstance(parts, int) and x.shape[axis] % parts:
        raise ValueError(f"Split: the size {x.shape[axis]} of axis {axis} cannot be split into {parts} equal "
                         f"sections")
    return np.split(x, parts, axis=axis)


def _unstack(values, opt):
    x = values[0]
    count = x.shape[opt["axis"]]
    if opt["num"] is not None and opt["num"] != count:
        raise ValueError(f"Unstack: `num`={opt['num']} differs from the size {count} of axis {opt['axis']}")
    return list(np.moveaxis(x, opt["axis"], 0))


def _indices(indices, size, what):
    """Indices as int64, the negative ones counted from the end (once, as Keras); out of range: ValueError."""
    indices = np.asarray(indices)
    if indices.dtype.kind not in "biuf":
        raise TypeError(f"{what}: `indices` must be numbers. Received dtype {indices.dtype}")
    indices = indices.astype(np.int64)
    indices = np.where(indices < 0, indices + size, indices)
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise ValueError(f"{what}: `indices` must be in [-{size}, {size}). Received values from "
                         f"{int(np.min(indices))} to {int(np.max(indices))} (after adding {size} to the negative ones)")
    return indices


def _take(values, opt):
    x, axis = values[0], opt["axis"]
    if axis is None:
        x, axis = x.reshape(-1), 0
    return np.take(x, _indices(values[1], x.shape[axis], "Take"), axis=axis)


def _take_along_axis(values, opt):
    x, axis = values[0], opt["axis"]
    if axis is None:
        x, axis = x.reshape(-1), 0
    indices = _indices(values[1], x.shape[axis], "TakeAlongAxis")
    if x.ndim != indices.ndim:
        raise ValueError(f"`x` and `indices` must have the same rank. Received shapes {x.shape} and {indices.shape}")
    axis = axis % x.ndim
    # the other axes broadcast; along `axis`, the indices pick as many as they hold
    common = list(broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1:],
                                   indices.shape[:axis] + (1,) + indices.shape[axis + 1:]))
    shape, target = list(common), list(common)
    shape[axis], target[axis] = indices.shape[axis], x.shape[axis]
    return np.take_along_axis(np.broadcast_to(x, target), np.broadcast_to(indices, shape), axis=axis)


def _where(values, opt):
    return np.where(values[0].astype(bool), values[1], values[2])


def _softmax(values, opt):
    x = values[0]
    if opt["axis"] is None:  # over every element
        return activations.softmax(x.reshape(-1)).reshape(x.shape)
    return activations.softmax(x, axis=opt["axis"])


def _log_softmax(values, opt):
    x = values[0]
    if opt["axis"] is None:
        return activations._log_softmax(x.reshape(-1)).reshape(x.shape)
    return activations._log_softmax(x, axis=opt["axis"])


def _celu(values, opt):
    x, alpha = values[0], opt["alpha"]
    return np.where(x > 0, x, np.float32(alpha) * np.expm1(x / np.float32(alpha)))


def _glu(values, opt):
    first, second = np.split(values[0], 2, axis=opt["axis"])
    return first * activations.get("sigmoid")(second)


def _normalize(values, opt):
    x, axis, order = values[0], _numpy_axis(opt["axis"]), opt["order"]
    if opt["epsilon"] is None:
        from convkit import config  # (imported when used: convkit.config is above the layers)
        epsilon = config.epsilon()  # Keras's backend.epsilon(), which set_epsilon changes
    else:
        epsilon = opt["epsilon"]
    if x.ndim == 0:
        x = x.reshape(1)
    if order == 2:  # Keras: x * min(rsqrt(sum(x^2)), 1 / epsilon)
        inverse = 1.0 / np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
        return x * np.minimum(inverse, x.dtype.type(1.0 / epsilon))
    if isinstance(axis, tuple) and len(axis) != 1:
        raise ValueError(f"Normalize: order={order} over several axes is a matrix norm, which convkit does not "
                         f"compute. Received: axis={opt['axis']}")
    magnitude = np.abs(x)
    norm = np.sum(magnitude if order == 1 else magnitude ** order, axis=axis, keepdims=True)
    if order != 1:
        norm = norm ** x.dtype.type(1.0 / order)
    return x / np.maximum(norm, x.dtype.type(epsilon))


def _one_hot(values, opt):
    x = np.asarray(values[0])
    if x.dtype.kind == "f":
        x = np.trunc(x)  # as torch's conversion to int64
    classes = np.arange(opt["num_classes"])
    out = x[..., None].astype(np.int64) == classes  # a negative class is a row of zeros
    return out if opt["axis"] == -1 else np.moveaxis(out, -1, opt["axis"])


def _sparsemax(values, opt):
    # as Keras on torch: threshold tau from the sorted values' running sums over the support
    x, axis = values[0], opt["axis"]
    ordered = -np.sort(-x, axis=axis)
    running = np.cumsum(ordered, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    rank = np.arange(1, x.shape[axis] + 1, dtype=x.dtype).reshape(shape)
    support = ordered - (running - 1) / rank > 0
    k = np.sum(support, axis=axis, keepdims=True).astype(x.dtype)
    tau = (np.sum(np.where(support, running, 0), axis=axis, keepdims=True) - 1) / k
    return np.maximum(x - tau, 0)


def _log_sigmoid(values, opt):
    x = values[0]
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _scalar(x, value):
    return x.dtype.type(value)


def _soft_shrink(values, opt):
    x, t = values[0], _scalar(values[0], opt["threshold"])
    return np.where(x > t, x - t, np.where(x < -t, x + t, _scalar(x, 0)))


def _hard_shrink(values, opt):
    x = values[0]
    return np.where(np.abs(x) > _scalar(x, opt["threshold"]), x, _scalar(x, 0))


def _threshold(values, opt):
    x = values[0]
    return np.where(x > _scalar(x, opt["threshold"]), x, _scalar(x, opt["default_value"]))


def _squareplus(values, opt):
    x = values[0]
    return (x + np.sqrt(np.square(x) + _scalar(x, opt["b"]))) / _scalar(x, 2)


def _sparse_plus(values, opt):
    x = values[0]
    return np.where(x <= -1, _scalar(x, 0), np.where(x < 1, _scalar(x, 0.25) * np.square(x + 1), x))


def _sparse_sigmoid(values, opt):
    x = values[0]
    return np.where(x <= -1, _scalar(x, 0), np.where(x >= 1, _scalar(x, 1), _scalar(x, 0.5) * (x + 1)))


def _like(fill):
    return lambda values, opt: np.full(values[0].shape, fill, dtype=opt["dtype"] or values[0].dtype)


def _convert_to_tensor(values, opt):
    if opt["sparse"] or opt["ragged"]:
        raise ValueError("ConvertToTensor: convkit has no sparse or ragged tensors.")
    return values[0]


# ---- the table ------------------------------------------------------------------------------

NUMPY, NN, MATH, CORE = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.math", "keras.src.ops.core"


class Operation:
    """One Keras operation class. compute(values, options) -> array (or a list: several outputs); shape(shapes,
    options, constants) -> the output shape (or a list of them), the constants' shapes among `shapes` and the
    constants themselves (None at a tensor's place) in `constants`; dtype(tokens, options) -> the output dtype
    (tokens: see dtype_token). `cast`: what the arguments become before compute: None (as they are), "out" (the
    output dtype), "common" (their promoted dtype: comparisons), "where" (a boolean condition, the values in the
    output dtype). `arity`: (least, most) arguments; `takes_list`: called on one list of tensors;
    `constant_at`: the positions that must hold constants (GetItem's key)."""

    __slots__ = ("module", "compute", "shape", "dtype", "cast", "options", "arity", "takes_list", "constant_at")

    def __init__(self, module, compute, shape=_same_shape, dtype=_same, cast="out", options=(), arity=1,
                 takes_list=False, constant_at=()):
        self.module = module
        self.compute = compute
        self.shape = shape
        self.dtype = dtype
        self.cast = cast
        self.options = {name: (default, kind) for name, default, kind in options}
        self.arity = (arity, arity) if isinstance(arity, int) else arity
        self.takes_list = takes_list
        self.constant_at = constant_at

    @property
    def defaults(self):
        return {name: default for name, (default, _) in self.options.items()}


def _unary(fn, module=NUMPY, dtype=_to_float, **kwargs):
    return Operation(module, _elementwise(fn), dtype=dtype, **kwargs)


def _binary(fn, dtype=_promoted, cast="out"):
    return Operation(NUMPY, _elementwise(fn), shape=_broadcast_shape, dtype=dtype, cast=cast, arity=2)


_AXIS_KEEPDIMS = (("axis", None, "axes"), ("keepdims", False, "bool"))
_ONE_AXIS = (("axis", -1, "int"),)


def _table():
    ops = {}
    # element-wise arithmetic: the operands promoted together (Python numbers weakly)
    for name, fn in (("Add", np.add), ("Subtract", np.subtract), ("Multiply", np.multiply),
                     ("Maximum", np.maximum), ("Minimum", np.minimum), ("Power", np.power),
                     ("FloorDivide", np.floor_divide)):
        ops[name] = _binary(fn)
    ops["Divide"] = ops["TrueDivide"] = _binary(np.true_divide, dtype=_promoted_float)
    ops["Mod"] = _binary(np.remainder, dtype=_promoted_int_bool)
    for name, fn in (("Equal", np.equal), ("NotEqual", np.not_equal), ("Greater", np.greater),
                     ("GreaterEqual", np.greater_equal), ("Less", np.less), ("LessEqual", np.less_equal)):
        ops[name] = _binary(fn, dtype=_boolean, cast="common")
    for name, fn in (("LogicalAnd", np.logical_and), ("LogicalOr", np.logical_or), ("LogicalXor", np.logical_xor)):
        ops[name] = _binary(fn, dtype=_boolean, cast=None)
    ops["LogicalNot"] = _unary(np.logical_not, dtype=_boolean, cast=None)

    # element-wise functions: booleans and ints computed as float32
    for name, fn in (("Exp", np.exp), ("Exp2", np.exp2), ("Expm1", np.expm1), ("Log", np.log), ("Log2", np.log2),
                     ("Log10", np.log10), ("Log1p", np.log1p), ("Sqrt", np.sqrt), ("Sin", np.sin), ("Cos", np.cos),
                     ("Tan", np.tan), ("Sinh", np.sinh), ("Cosh", np.cosh), ("Arcsin", np.arcsin),
                     ("Arccos", np.arccos), ("Arctan", np.arctan), ("Arcsinh", np.arcsinh), ("Arccosh", np.arccosh),
                     ("Arctanh", np.arctanh), ("Floor", np.floor), ("Ceil", np.ceil)):
        ops[name] = _unary(fn)
    ops["Rsqrt"] = _unary(lambda x: 1 / np.sqrt(x), MATH)
    ops["Erf"] = _unary(erf, MATH)
    ops["Erfc"] = _unary(erfc, MATH)
    ops["Reciprocal"] = _unary(np.reciprocal, dtype=_float32)
    ops["Negative"] = _unary(np.negative, dtype=_same)
    ops["Absolute"] = ops["Abs"] = _unary(np.absolute, dtype=_same)
    ops["Sign"] = _unary(np.sign, dtype=_same)
    ops["Trunc"] = _unary(np.trunc, dtype=_same)
    ops["Square"] = _unary(np.square, dtype=_bool_as_int32)
    ops["Round"] = Operation(NUMPY, _round, options=(("decimals", 0, "int"),))
    ops["Clip"] = Operation(NUMPY, _clip, dtype=_bool_as_int32,
                            options=(("x_min", REQUIRED, "number"), ("x_max", REQUIRED, "number")))
    ops["Where"] = Operation(NUMPY, _where, shape=_broadcast_shape, dtype=_where_dtype, cast="where", arity=3)

    # reductions
    ops["Mean"] = Operation(NUMPY, _reduction(np.mean), shape=_reduced_shape, dtype=_to_float,
                            options=_AXIS_KEEPDIMS)
    ops["Sum"] = Operation(NUMPY, _reduction(np.sum), shape=_reduced_shape, dtype=_summed, options=_AXIS_KEEPDIMS)
    ops["Prod"] = Operation(NUMPY, _reduction(np.prod), shape=_reduced_shape, dtype=_prod_dtype,
                            options=_AXIS_KEEPDIMS + (("dtype", None, "dtype_or_none"),))
    for name, fn, combine in (("Max", np.max, np.maximum), ("Min", np.min, np.minimum)):
        ops[name] = Operation(NUMPY, _extreme(fn, combine), shape=_reduced_shape, cast=None,
                              options=_AXIS_KEEPDIMS + (("initial", None, "number_or_none"),))
    ops["Var"] = Operation(NUMPY, _reduction(np.var), shape=_reduced_shape, dtype=_to_float, options=_AXIS_KEEPDIMS)
    ops["Std"] = Operation(NUMPY, _reduction(np.std), shape=_reduced_shape, dtype=_to_float, options=_AXIS_KEEPDIMS)
    for name, fn in (("Argmax", np.argmax), ("Argmin", np.argmin)):
        ops[name] = Operation(NUMPY, _arg_extreme(fn), shape=_reduced_shape, dtype=_int32, cast=None,
                              options=(("axis", None, "int_or_none"), ("keepdims", False, "bool")))
    for name, fn in (("Any", np.any), ("All", np.all)):
        ops[name] = Operation(NUMPY, _reduction(fn), shape=_reduced_shape, dtype=_boolean, cast=None,
                              options=_AXIS_KEEPDIMS)
    ops["Logsumexp"] = Operation(MATH, _logsumexp, shape=_reduced_shape, dtype=_float32, options=_AXIS_KEEPDIMS)

    # shapes: the values move, their dtype stays
    def moving(compute, shape, options, **kwargs):
        return Operation(NUMPY, compute, shape=shape, cast=None, options=options, **kwargs)

    ops["Reshape"] = moving(lambda v, o: np.reshape(v[0], o["newshape"]), _reshape_shape,
                            (("newshape", REQUIRED, "int_or_ints"),))
    ops["Transpose"] = moving(lambda v, o: np.transpose(v[0], o["axes"]), _transpose_shape,
                              (("axes", None, "ints_or_none"),))
    ops["ExpandDims"] = moving(lambda v, o: np.expand_dims(v[0], _numpy_axis(o["axis"])), _expand_dims_shape,
                               (("axis", REQUIRED, "int_or_ints"),))
    ops["Squeeze"] = moving(_squeeze, _squeeze_shape, (("axis", None, "axes"),))
    ops["Concatenate"] = Operation(NUMPY, lambda v, o: np.concatenate(v, axis=o["axis"]),
                                   shape=lambda s, o, c: _joined_shape(s, o, c, False), dtype=_promoted,
                                   options=(("axis", 0, "int"),), arity=(1, None), takes_list=True)
    ops["Stack"] = Operation(NUMPY, lambda v, o: np.stack(v, axis=o["axis"]),
                             shape=lambda s, o, c: _joined_shape(s, o, c, True), dtype=_promoted,
                             options=(("axis", 0, "int"),), arity=(1, None), takes_list=True)
    ops["Split"] = moving(_split, _split_shapes, (("indices_or_sections", REQUIRED, "int_or_ints"),
                                                  ("axis", 0, "int")))
    ops["Unstack"] = Operation(CORE, _unstack, shape=_unstack_shapes, cast=None,
                               options=(("num", None, "int_or_none"), ("axis", 0, "int")))
    ops["GetItem"] = moving(_get_item, _get_item_shape, (), arity=2, constant_at=(1,))
    ops["Tile"] = moving(lambda v, o: np.tile(v[0], o["repeats"]), _tile_shape, (("repeats", REQUIRED, "int_or_ints"),))
    ops["Repeat"] = moving(lambda v, o: np.repeat(v[0], o["repeats"], axis=o["axis"]), _repeat_shape,
                           (("repeats", REQUIRED, "int_or_ints"), ("axis", None, "int_or_none")))
    ops["BroadcastTo"] = moving(lambda v, o: np.broadcast_to(v[0], o["shape"]), _broadcast_to_shape,
                                (("shape", REQUIRED, "ints"),))
    ops["Flip"] = moving(lambda v, o: np.flip(v[0], _numpy_axis(o["axis"])), _check_axis_shape,
                         (("axis", None, "axes"),))
    ops["Roll"] = moving(lambda v, o: np.roll(v[0], o["shift"], _numpy_axis(o["axis"])), _check_axis_shape,
                         (("shift", REQUIRED, "int_or_ints"), ("axis", None, "axes")))
    ops["Swapaxes"] = moving(lambda v, o: np.swapaxes(v[0], o["axis1"], o["axis2"]), _swapaxes_shape,
                             (("axis1", REQUIRED, "int"), ("axis2", REQUIRED, "int")))
    ops["Moveaxis"] = moving(lambda v, o: np.moveaxis(v[0], o["source"], o["destination"]), _moveaxis_shape,
                             (("source", REQUIRED, "int_or_ints"), ("destination", REQUIRED, "int_or_ints")))
    ops["Take"] = moving(_take, _take_shape, (("axis", None, "int_or_none"),), arity=2)
    ops["TakeAlongAxis"] = moving(_take_along_axis, _take_along_axis_shape, (("axis", None, "int_or_none"),),
                                  arity=2)
    ops["ZerosLike"] = Operation(NUMPY, _like(0), dtype=_option_dtype_or_input, cast=None,
                                 options=(("dtype", None, "dtype_or_none"),))
    ops["OnesLike"] = Operation(NUMPY, _like(1), dtype=_option_dtype_or_input, cast=None,
                                options=(("dtype", None, "dtype_or_none"),))
    ops["Cast"] = Operation(CORE, _elementwise(lambda x: x), dtype=lambda t, o: o["dtype"],
                            options=(("dtype", REQUIRED, "dtype"),))
    ops["ConvertToTensor"] = Operation(CORE, _convert_to_tensor, dtype=_option_dtype_or_input,
                                       options=(("dtype", None, "dtype_or_none"), ("sparse", None, "off"),
                                                ("ragged", None, "off")))

    # linear algebra, in float32 through numpy's BLAS
    ops["Matmul"] = Operation(NUMPY, _elementwise(np.matmul), shape=_matmul_shape, dtype=_products_dtype, arity=2)
    ops["Einsum"] = Operation(NUMPY, lambda v, o: np.einsum(o["subscripts"], *v, optimize=True),
                              shape=_einsum_shape, dtype=_products_dtype, options=(("subscripts", REQUIRED, "text"),),
                              arity=(1, None))

    # keras.ops.nn: convkit's activation kernels where it has them (the Activation layer's numbers)
    for name, activation in (("Relu", "relu"), ("Relu6", "relu6"), ("Sigmoid", "sigmoid"),
                             ("HardSigmoid", "hard_sigmoid"), ("Silu", "silu"), ("Swish", "silu"),
                             ("HardSilu", "hard_silu"), ("HardSwish", "hard_silu"), ("Softplus", "softplus"),
                             ("Softsign", "softsign"), ("Selu", "selu")):
        ops[name] = Operation(NN, _activation(activation), dtype=_to_float)
    ops["Tanh"] = Operation(NUMPY, _activation("tanh"), dtype=_to_float)
    nn_float = {"dtype": _to_float}
    ops["Softmax"] = Operation(NN, _softmax, shape=_check_axis_shape, options=(("axis", -1, "int_or_none"),),
                               **nn_float)
    ops["LogSoftmax"] = Operation(NN, _log_softmax, shape=_check_axis_shape, options=(("axis", -1, "int_or_none"),),
                                  **nn_float)
    ops["Gelu"] = Operation(NN, lambda v, o: activations.get("gelu_approximate" if o["approximate"] else "gelu")(v[0]),
                            options=(("approximate", True, "bool"),), **nn_float)
    ops["Elu"] = Operation(NN, lambda v, o: activations.fused("elu", o["alpha"])(v[0]),
                           options=(("alpha", 1.0, "number"),), **nn_float)
    ops["LeakyRelu"] = Operation(NN, lambda v, o: activations.fused("leaky_relu", o["negative_slope"])(v[0]),
                                 options=(("negative_slope", 0.2, "number"),), **nn_float)
    ops["Celu"] = Operation(NN, _celu, options=(("alpha", 1.0, "number"),), **nn_float)
    ops["Glu"] = Operation(NN, _glu, shape=_glu_shape, options=_ONE_AXIS, **nn_float)
    ops["Normalize"] = Operation(NN, _normalize, shape=_check_axis_shape, dtype=_float32,
                                 options=(("axis", -1, "axes"), ("order", 2, "positive_int"),
                                          ("epsilon", None, "number_or_none")))
    ops["OneHot"] = Operation(NN, _one_hot, shape=_one_hot_shape, dtype=_option_dtype_or_float32, cast=None,
                              options=(("num_classes", REQUIRED, "positive_int"), ("axis", -1, "int"),
                                       ("dtype", None, "dtype_or_none"), ("sparse", False, "off")))
    ops["Sparsemax"] = Operation(NN, _sparsemax, shape=_check_axis_shape, options=_ONE_AXIS, **nn_float)
    ops["LogSigmoid"] = Operation(NN, _log_sigmoid, **nn_float)
    ops["HardTanh"] = Operation(NN, _elementwise(lambda x: np.clip(x, _scalar(x, -1), _scalar(x, 1))), **nn_float)
    ops["TanhShrink"] = Operation(NN, _elementwise(lambda x: x - np.tanh(x)), **nn_float)
    ops["SoftShrink"] = Operation(NN, _soft_shrink, options=(("threshold", 0.5, "number"),), **nn_float)
    ops["HardShrink"] = Operation(NN, _hard_shrink, options=(("threshold", 0.5, "number"),), **nn_float)
    ops["Squareplus"] = Operation(NN, _squareplus, options=(("b", 4, "number"),), **nn_float)
    ops["Threshold"] = Operation(NN, _threshold, options=(("threshold", REQUIRED, "number"),
                                                          ("default_value", REQUIRED, "number")), **nn_float)
    ops["SparsePlus"] = Operation(NN, _sparse_plus, **nn_float)
    ops["SparseSigmoid"] = Operation(NN, _sparse_sigmoid, **nn_float)
    return ops


OPERATIONS = _table()
