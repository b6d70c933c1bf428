"""KerasOperation without Keras: what the operations compute on numpy arrays (against numpy written out here),
their output shapes with an unknown batch (None) and negative axes, their dtypes under Keras's promotion rules,
erf, GetItem with every kind of key, several outputs in a model, configs (convkit's own and older ones), the
symbolic tensors' operators, errors that name what is wrong, inputs left untouched and outputs of their own.
(tests/keras_parity/test_keras_operations.py checks the numbers against Keras.)"""
import json
import math

import numpy as np
import pytest

import convkit
from convkit import layers as L
from convkit.layers.operation_tables import erf, erfc, result_type
from convkit.layers.operations import KerasOperation as Op


@pytest.fixture
def x(rng):
    return rng.standard_normal((3, 4, 6)).astype(np.float32)


def _symbolic_shape(op, shapes):
    """The output shape(s) of `op` on symbolic inputs of `shapes` (None allowed): through a real symbolic call."""
    tensors = [L.Input(batch_shape=s) for s in shapes]
    out = op(tensors if len(tensors) > 1 else tensors[0])
    return [t.shape for t in out] if isinstance(out, list) else out.shape


def _fits(symbolic, actual):
    return len(symbolic) == len(actual) and all(s is None or s == a for s, a in zip(symbolic, actual))


# (operation, arguments, options, input shapes, numpy oracle on the inputs)
CASES = [
    ("Mean", [None], {"axis": -1, "keepdims": True}, [(3, 4, 6)], lambda a: a.mean(-1, keepdims=True)),
    ("Sum", [None], {"axis": [0, -1]}, [(3, 4, 6)], lambda a: a.sum((0, 2))),
    ("Max", [None], {}, [(3, 4, 6)], lambda a: a.max()),
    ("Min", [None], {"axis": -2, "initial": -0.5}, [(3, 4, 6)], lambda a: np.minimum(a.min(-2), -0.5)),
    ("Prod", [None], {"axis": 1, "keepdims": True}, [(3, 4, 6)], lambda a: a.prod(1, keepdims=True)),
    ("Var", [None], {"axis": [1, 2]}, [(3, 4, 6)], lambda a: a.var((1, 2))),
    ("Std", [None], {"axis": -1}, [(3, 4, 6)], lambda a: a.std(-1)),
    ("Argmax", [None], {"axis": -1, "keepdims": True}, [(3, 4, 6)], lambda a: a.argmax(-1)[..., None]),
    ("Argmin", [None], {"axis": 1}, [(3, 4, 6)], lambda a: a.argmin(1)),
    ("Logsumexp", [None], {"axis": None, "keepdims": True}, [(3, 4, 6)],
     lambda a: np.log(np.exp(a.astype(np.float64)).sum()).reshape(1, 1, 1)),
    ("Reshape", [None], {"newshape": [-1, 12]}, [(3, 4, 6)], lambda a: a.reshape(-1, 12)),
    ("Reshape", [None], {"newshape": [3, -1, 2]}, [(3, 4, 6)], lambda a: a.reshape(3, -1, 2)),
    ("Transpose", [None], {"axes": [0, -1, 1]}, [(3, 4, 6)], lambda a: a.transpose(0, 2, 1)),
    ("Transpose", [None], {}, [(3, 4, 6)], lambda a: a.T),
    ("ExpandDims", [None], {"axis": [0, -1]}, [(3, 4, 6)], lambda a: a[None, ..., None]),
    ("Squeeze", [None], {"axis": -2}, [(3, 1, 6)], lambda a: a[:, 0]),
    ("Concatenate", [None, None], {"axis": -1}, [(3, 4, 6), (3, 4, 2)], lambda a, b: np.concatenate([a, b], -1)),
    ("Stack", [None, None, None], {"axis": -1}, [(3, 4), (3, 4), (3, 4)], lambda *t: np.stack(t, -1)),
    ("Split", [None], {"indices_or_sections": 3, "axis": -1}, [(3, 4, 6)], lambda a: np.split(a, 3, -1)),
    ("Split", [None], {"indices_or_sections": [1, 3]}, [(3, 4, 6)], lambda a: np.split(a, [1, 3])),
    ("Unstack", [None], {"axis": -2}, [(3, 4, 6)], lambda a: [a[:, i] for i in range(4)]),
    ("Tile", [None], {"repeats": [2, 1, 1, 3]}, [(3, 4, 6)], lambda a: np.tile(a, (2, 1, 1, 3))),
    ("Repeat", [None], {"repeats": [1, 0, 2, 1], "axis": 1}, [(3, 4, 6)], lambda a: np.repeat(a, [1, 0, 2, 1], 1)),
    ("Repeat", [None], {"repeats": 2}, [(3, 4, 6)], lambda a: np.repeat(a, 2)),
    ("BroadcastTo", [None], {"shape": [2, 3, 4, 6]}, [(3, 1, 6)], lambda a: np.broadcast_to(a, (2, 3, 4, 6))),
    ("Flip", [None], {"axis": [-1, 0]}, [(3, 4, 6)], lambda a: a[::-1, :, ::-1]),
    ("Roll", [None], {"shift": -2, "axis": 1}, [(3, 4, 6)], lambda a: np.roll(a, -2, 1)),
    ("Swapaxes", [None], {"axis1": 0, "axis2": -1}, [(3, 4, 6)], lambda a: a.swapaxes(0, 2)),
    ("Moveaxis", [None], {"source": [0, 1], "destination": [-1, 0]}, [(3, 4, 6)],
     lambda a: np.moveaxis(a, [0, 1], [-1, 0])),
    ("Take", [None, [[0, -1], [2, 2]]], {"axis": -1}, [(3, 4, 6)], lambda a: a[..., [[0, 5], [2, 2]]]),
    ("Take", [None, [5, 0]], {}, [(3, 4, 6)], lambda a: a.reshape(-1)[[5, 0]]),
    ("Matmul", [None, None], {}, [(3, 1, 4, 6), (5, 6, 2)], np.matmul),
    ("Matmul", [None, None], {}, [(3, 4, 6), (6,)], np.matmul),
    ("Matmul", [None, None], {}, [(6,), (3, 6, 4)], np.matmul),
    ("Einsum", [None, None], {"subscripts": "bij,bkj->bik"}, [(3, 4, 6), (3, 5, 6)],
     lambda a, b: np.einsum("bij,bkj->bik", a, b)),
    ("Einsum", [None, None], {"subscripts": "...ij,jk"}, [(3, 4, 6), (6, 2)], lambda a, b: a @ b),
    ("Einsum", [None], {"subscripts": "bij->j"}, [(3, 4, 6)], lambda a: a.sum((0, 1))),
    ("Where", [None, None, 0.5], {}, [(3, 4, 6), (4, 1)], lambda c, a: np.where(c != 0, a, 0.5)),
    ("Clip", [None], {"x_min": -0.5, "x_max": 0.25}, [(3, 4, 6)], lambda a: np.clip(a, -0.5, 0.25)),
    ("Round", [None], {"decimals": 1}, [(3, 4, 6)], lambda a: np.round(a, 1)),
    ("Softmax", [None], {"axis": 1}, [(3, 4, 6)], lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    ("Softmax", [None], {"axis": None}, [(3, 4, 6)], lambda a: np.exp(a) / np.exp(a).sum()),
    ("LogSoftmax", [None], {"axis": 0}, [(3, 4, 6)], lambda a: a - np.log(np.exp(a).sum(0, keepdims=True))),
    ("Glu", [None], {"axis": 1}, [(3, 4, 6)], lambda a: a[:, :2] / (1 + np.exp(-a[:, 2:]))),
    ("Normalize", [None], {"axis": 1}, [(3, 4, 6)], lambda a: a / np.sqrt((a * a).sum(1, keepdims=True))),
    ("Normalize", [None], {"order": 1}, [(3, 4, 6)], lambda a: a / np.abs(a).sum(-1, keepdims=True)),
    ("Celu", [None], {"alpha": 0.5}, [(3, 4, 6)], lambda a: np.where(a > 0, a, 0.5 * np.expm1(a / 0.5))),
    ("Erf", [None], {}, [(3, 4, 6)], lambda a: np.vectorize(math.erf)(a.astype(np.float64))),
]


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_operation_values_and_shapes(case, rng):
    name, arguments, options, shapes, oracle = CASES[case]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    copies = [a.copy() for a in arrays]
    op = Op(name, arguments, options)
    got = op(arrays if len(arrays) > 1 else arrays[0])
    want = oracle(*arrays)
    gots, wants = (got, want) if isinstance(want, list) else ([got], [want])
    assert len(gots) == len(wants)
    for g, w in zip(gots, wants):
        assert g.shape == np.shape(w) and g.flags.c_contiguous
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=2e-6)
        assert not any(np.shares_memory(g, a) for a in arrays)  # an array of its own
    for a, c in zip(arrays, copies):
        np.testing.assert_array_equal(a, c)  # inputs untouched
    # shape inference: on the known shapes exactly, and with each first dimension unknown
    known = op.compute_output_shape([a.shape for a in arrays] if len(arrays) > 1 else arrays[0].shape)
    assert (known if isinstance(known, list) else [known]) == [g.shape for g in gots]
    unknown = _symbolic_shape(op.__class__.from_config(op.get_config()), [(None,) + a.shape[1:] for a in arrays])
    assert all(_fits(s, g.shape) for s, g in zip(unknown if isinstance(unknown, list) else [unknown], gots))


GET_ITEM_KEYS = [
    0, -1, (slice(None), 0), (slice(None), -1, slice(None, None, 2)), (Ellipsis, None, slice(1, 3)),
    (None, slice(None), 1), (slice(None), slice(None, None, -1)), (slice(None), slice(-3, None)), (Ellipsis, 0),
    [slice(1, None)], (slice(None), Ellipsis, slice(4, 1, -2), None), slice(None, 2), None, Ellipsis,
    (0, 1, 2), (slice(None), np.int64(2)),
]


@pytest.mark.parametrize("key", GET_ITEM_KEYS, ids=[repr(k) for k in GET_ITEM_KEYS])
def test_get_item_with_every_kind_of_key(key, x):
    symbolic = L.Input((4, 6))
    out = symbolic[key]
    layer = out._keras_history.operation
    assert layer.operation == "GetItem" and json.loads(json.dumps(layer.arguments)) == layer.arguments
    numpy_key = tuple(key) if isinstance(key, list) else key
    want = x[numpy_key]
    got = layer(x)
    np.testing.assert_array_equal(got, want)
    assert _fits(out.shape, want.shape)
    # a batch-free key keeps the batch unknown; the rest of the shape is known
    assert sum(d is None for d in out.shape) <= 1
    again = Op.from_config(json.loads(json.dumps(layer.get_config())))
    np.testing.assert_array_equal(again(x), want)


def test_get_item_errors():
    symbolic = L.Input((4, 6))
    with pytest.raises(ValueError, match="index 4 is out of range for an axis of size 4"):
        symbolic[:, 4]
    with pytest.raises(ValueError, match="indexes 4 axes of a tensor of shape"):
        symbolic[0, 0, 0, 0]
    with pytest.raises(ValueError, match="one Ellipsis"):
        symbolic[..., 0, ...]
    for bad in (1.5, (slice(None), [0, 1]), symbolic, (slice(0.5, None),)):
        with pytest.raises((TypeError, ValueError), match="GetItem|slice|key"):
            symbolic[bad]
    with pytest.raises(ValueError, match="does not fit the tensor"):
        Op("GetItem", [None, [3]])(np.zeros((2, 4), np.float32))  # the batch is only known when it runs
    with pytest.raises(ValueError, match="is a constant, not a tensor"):
        Op("GetItem", [None, None])


def test_dtype_promotion_follows_keras():
    assert result_type("int32", "float") == "float32"
    assert result_type("int32", "int") == "int32"
    assert result_type("bool", "bool") == "bool"
    assert result_type("bool", "int") == "int32"
    assert result_type("float16", "float") == "float16"
    assert result_type("float16", "int32") == "float16"
    assert result_type("int8", "uint8") == "int16"
    assert result_type("uint32", "int32") == "int32"  # int64, narrowed to 32 bits as on the torch backend
    assert result_type("float32", "float64") == "float32"
    assert result_type("int", "float") == "float32"
    with pytest.raises(ValueError, match="complex64"):
        result_type("complex64", "float32")


def test_dtypes_of_results():
    ints = np.array([[1, -2, 3]], np.int32)
    flags = np.array([[True, False, True]])
    checks = [
        (Op("Add", [None, 1])(ints), np.int32, [[2, -1, 4]]),
        (Op("Add", [None, 0.5])(ints), np.float32, [[1.5, -1.5, 3.5]]),
        (Op("TrueDivide", [None, 2])(ints), np.float32, [[0.5, -1.0, 1.5]]),
        (Op("FloorDivide", [None, 2])(ints), np.int32, [[0, -1, 1]]),
        (Op("Mod", [None, None])([flags, flags]), np.int32, [[0, 0, 0]]),
        (Op("Mean", [None])(ints), np.float32, 2 / 3),
        (Op("Sum", [None], {"axis": -1})(flags), np.int32, [2]),
        (Op("Square", [None])(flags), np.int32, [[1, 0, 1]]),
        (Op("Clip", [None], {"x_min": 0, "x_max": 1})(flags), np.int32, [[1, 0, 1]]),
        (Op("Exp", [None])(np.zeros((1, 2), np.int32)), np.float32, [[1, 1]]),
        (Op("Round", [None], {"decimals": -1})(np.array([15, 25, -14], np.int32)), np.int32, [20, 20, -10]),
        (Op("Argmax", [None], {"axis": -1})(ints), np.int32, [2]),
        (Op("Where", [None, 1, 2.5])(flags), np.float32, [[1, 2.5, 1]]),
        (Op("Where", [None, 1, 2])(flags), np.int32, [[1, 2, 1]]),
        (Op("Multiply", [None, 2.0])(np.ones(2, np.float16)), np.float16, [2, 2]),
        (Op("Cast", [None], {"dtype": "int32"})(np.array([1.7, -1.7], np.float32)), np.int32, [1, -1]),
        (Op("Cast", [None], {"dtype": "bool"})(np.array([0.0, 0.5], np.float32)), np.bool_, [False, True]),
        (Op("OneHot", [None], {"num_classes": 3})(np.array([2, -1, 0])), np.float32, [[0, 0, 1], [0, 0, 0], [1, 0, 0]]),
        (Op("OneHot", [None], {"num_classes": 2, "axis": 0, "dtype": "int32"})(np.array([1.9])), np.int32,
         [[0], [1]]),
        (Op("Matmul", [None, None])([flags, flags.T]), np.bool_, [[True]]),
        (Op("ZerosLike", [None], {"dtype": "bool"})(ints), np.bool_, [[False] * 3]),
        (Op("LogicalXor", [None, None])([flags, ~flags]), np.bool_, [[True] * 3]),
        (Op("Greater", [None, 0.5])(ints), np.bool_, [[True, False, True]]),
    ]
    for got, dtype, want in checks:
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.asarray(want, dtype))


def test_symbolic_dtypes_match_the_computed_ones():
    a = L.Input((3,), dtype="int32")
    outs = [a + 1, a * 0.5, a / 2, a > 1, L.KerasOperation("Mean", options={"axis": -1})(a),
            L.KerasOperation("Sum", options={"axis": -1})(a > 0), L.KerasOperation("Argmax", options={"axis": -1})(a)]
    model = convkit.Model(a, outs)
    got = model(np.array([[1, 2, 3]], np.int32))
    assert [t.dtype for t in outs] == [g.dtype.name for g in got] == ["int32", "float32", "float32", "bool",
                                                                      "float32", "int32", "int32"]


def test_erf_and_erfc_to_float32_precision():
    points = np.concatenate([np.linspace(-6, 6, 241), np.geomspace(1e-20, 9.0, 60), [0.0, np.inf, -np.inf]])
    points = points.astype(np.float32)
    want = np.vectorize(math.erf)(points.astype(np.float64))  # (the oracle, on a few hundred points)
    got = erf(points).astype(np.float32)
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=0)
    want_c = np.vectorize(math.erfc)(points.astype(np.float64))
    got_c = erfc(points).astype(np.float32)
    np.testing.assert_allclose(got_c, want_c, rtol=3e-7, atol=1e-37)
    assert np.isnan(erf(np.array([np.nan]))).all()


def test_several_outputs_in_a_model_and_its_config(x):
    inp = L.Input((4, 6))
    first, second, third = Op("Split", options={"indices_or_sections": 3, "axis": -1})(inp)
    rows = Op("Unstack", options={"axis": 1})(inp)
    total = first * 2.0 + third - rows[0][:, None, :2]
    model = convkit.Model(inp, [total, second, rows[3]])
    got = model.predict(x, verbose=0)
    want = [x[..., :2] * 2 + x[..., 4:] - x[:, :1, :2], x[..., 2:4], x[:, 3]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    config = json.loads(json.dumps(model.get_config()))
    again = convkit.Model.from_config(config)
    for g, w in zip(again(x), got):
        np.testing.assert_array_equal(g, w)
    assert [t.shape for t in again.outputs] == [(None, 4, 2), (None, 4, 2), (None, 6)]
    lines = []
    model.summary(print_fn=lines.append)
    kinds = ("(Split)", "(Unstack)", "(Multiply)", "(Add)", "(GetItem)", "(Subtract)")  # as Keras's summary names them
    assert sum(any(kind in line for kind in kinds) for line in lines) == 6


def test_operators_on_symbolic_tensors(x):
    a, b = L.Input((4, 6)), L.Input((4, 6))
    cases = {
        "add": (a + b, x + x[::-1]), "radd": (1.5 + a, 1.5 + x), "sub": (a - 2, x - 2), "rsub": (2 - a, 2 - x),
        "mul": (a * b, x * x[::-1]), "rmul": (np.float32(3) * a, 3 * x), "truediv": (a / 4, x / 4),
        "rtruediv": (1 / (abs(a) + 1), 1 / (np.abs(x) + 1)), "pow": (a ** 2, x ** 2), "rpow": (2 ** a, 2 ** x),
        "neg": (-a, -x), "abs": (abs(a), np.abs(x)), "floordiv": (a // 0.5, x // np.float32(0.5)),
        "mod": (a % 0.5, x % np.float32(0.5)), "round": (round(a, 1), np.round(x, 1)),
        "matmul": (a @ np.ones((6, 2), np.float32), x @ np.ones((6, 2), np.float32)),
        "lt": (a < b, x < x[::-1]), "le": (a <= 0, x <= 0), "gt": (a > 0, x > 0), "ge": (0 >= a, 0 >= x),
        "ne": (a != b, x != x[::-1]), "and": ((a > 0) & (b > 0), (x > 0) & (x[::-1] > 0)),
        "or": ((a > 0) | (b > 0), (x > 0) | (x[::-1] > 0)), "xor": ((a > 0) ^ (b > 0), (x > 0) ^ (x[::-1] > 0)),
        "invert": (~(a > 0), ~(x > 0)), "getitem": (a[:, 1:, None], x[:, 1:, None]),
        "reshape": (a.reshape((-1, 24)), x.reshape(-1, 24)), "squeeze": (a[:, :1].squeeze(1), x[:, 0]),
        "numpy_left": (np.ones(6, np.float32) + a, 1 + x),
    }
    model = convkit.Model([a, b], [out for out, _ in cases.values()])
    got = model([x, x[::-1].copy()])
    for (name, (out, want)), g in zip(cases.items(), got):
        assert out.shape[1:] == g.shape[1:] and out.dtype == g.dtype.name, name
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-6, err_msg=name)
    names = [out._keras_history.operation.name for out, _ in cases.values()]
    assert names[0].startswith("add") and "get_item" in names[25] and "logical_not" in names[24]
    with pytest.raises(ValueError, match="'Add' must be a number or an array of numbers"):
        a + "three"
    with pytest.raises(TypeError, match="no truth value"):
        bool(a > 0)


def test_options_in_configs_and_older_configs(x):
    op = Op("Mean", [None], {"axis": [1, 2], "keepdims": True}, name="mean_op")
    assert op.options == {"axis": [1, 2], "keepdims": True}
    config = op.get_config()
    assert config["options"] == {"axis": [1, 2], "keepdims": True} and config["arguments"] == [None]
    assert Op("Mean", [None]).get_config().get("options") is None  # defaults are not written
    assert Op.from_config(json.loads(json.dumps(config))).options == op.options
    # a numpy constant is kept in its config form (Keras's `__numpy__`), JSON-ready
    add = Op("Add", [None, np.arange(6, dtype=np.float32)])
    assert add.arguments[1] == {"class_name": "__numpy__", "config": {"value": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
                                                                       "dtype": "float32"}}
    np.testing.assert_array_equal(Op.from_config(json.loads(json.dumps(add.get_config())))(x),
                                  x + np.arange(6, dtype=np.float32))
    # configs written by convkit's first version of operations still load
    older = {"name": "keras_operation_7", "trainable": True, "dtype": "float32", "operation": "ExpandDims",
             "arguments": [None], "options": {"axis": -1}}
    np.testing.assert_array_equal(Op.from_config(older)(x), x[..., None])


@pytest.mark.parametrize("make, error, message", [
    (lambda: Op("Cumsum"), ValueError, "does not support the Keras operation 'Cumsum'"),
    (lambda: Op("Mean", options={"axes": 1}), ValueError, r"'Mean' takes the options \['axis', 'keepdims'\]"),
    (lambda: Op("Reshape"), ValueError, "'Reshape' needs the option `newshape`"),
    (lambda: Op("Mean", options={"keepdims": "yes"}), ValueError, "`keepdims` as a bool. Received: keepdims='yes'"),
    (lambda: Op("Cast", options={"dtype": "float128x"}), ValueError, "`dtype` as the name of a"),
    (lambda: Op("OneHot", options={"num_classes": 0}), ValueError, "`num_classes` as an int >= 1"),
    (lambda: Op("Add", [None]), ValueError, "takes 2 argument"),
    (lambda: Op("Add", [1.0, 2.0]), ValueError, "at least one of them a tensor"),
    (lambda: Op("Add", [None, "three"]), ValueError, "numbers"),
    (lambda: Op("Add", "None"), TypeError, "must be a list"),
    (lambda: Op("Mean", options=[("axis", 1)]), TypeError, "must be a dict"),
    (lambda: Op("Stack", [None, 2.0]), ValueError, "a list of tensors"),
    (lambda: Op("Where", [None, None]), ValueError, "takes 3 argument"),
    (lambda: Op.from_keras_entry({"class_name": "Where", "config": {"name": "where"}, "inbound_nodes": [
        {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["c", 0, 0]}}, None, None],
         "kwargs": {}}]}), ValueError, "where\\(condition\\) alone"),
])
def test_bad_operations_and_options(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("operation, arguments, options, shapes, message", [
    ("Reshape", [None], {"newshape": [5, -1]}, [(2, 3)], "cannot reshape a tensor of shape"),
    ("Transpose", [None], {"axes": [0, 0, 1]}, [(None, 2, 3)], "must be a permutation"),
    ("Matmul", [None, None], {}, [(None, 2, 3), (4, 5)], "inner sizes"),
    ("Split", [None], {"indices_or_sections": 4, "axis": -1}, [(None, 6)], "cannot be split into 4"),
    ("Unstack", [None], {}, [(None, 6)], "give `num`"),
    ("Einsum", [None], {"subscripts": "ij,jk->ik"}, [(None, 6)], "names 2 operand"),
    ("Einsum", [None, None], {"subscripts": "ij,jk->iz"}, [(None, 6), (6, 2)], "labels \\['z'\\]"),
    ("Squeeze", [None], {"axis": 1}, [(None, 6)], "cannot squeeze axis 1"),
    ("OneHot", [None], {"num_classes": 3, "axis": 2}, [(None, 6)], "must be -1 or in"),
    ("Concatenate", [None, None], {"axis": 1}, [(None, 6), (None, 5, 2)], "shape of the first"),
    ("Mean", [None], {"axis": 2}, [(None, 6)], "`axis`=2 is out of range for a tensor of rank 2"),
    ("Glu", [None], {}, [(None, 5)], "is odd"),
    ("Add", [None, None], {}, [(None, 6), (None, 5)], "cannot be broadcast"),
])
def test_shape_errors_name_the_operation(operation, arguments, options, shapes, message):
    with pytest.raises(ValueError, match=f"\\({operation}\\): .*{message}"):
        _symbolic_shape(Op(operation, arguments, options), shapes)


def test_errors_when_running(x):
    with pytest.raises(ValueError, match="Take: `indices` must be in \\[-6, 6\\)"):
        Op("Take", [None, [6]], {"axis": -1})(x)
    with pytest.raises(ValueError, match="takes 2 tensors. Received: 1"):
        Op("Add", [None, None])(x)
    with pytest.raises(TypeError, match="numeric"):
        Op("Exp")(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="Split: the size 3 of axis 0 cannot be split into 2"):
        Op("Split", options={"indices_or_sections": 2})(x)
    with pytest.raises(ValueError, match="Unstack: `num`=2 differs from the size 3"):
        Op("Unstack", options={"num": 2})(x)


def test_values_with_edges(x):
    # torch's rules where numpy would differ: squeeze leaves an axis whose size is not 1, logsumexp of -inf
    np.testing.assert_array_equal(Op("Squeeze", options={"axis": 0})(x), x)
    row = np.array([[-np.inf, -np.inf], [0.0, -np.inf]], np.float32)
    np.testing.assert_array_equal(Op("Logsumexp", options={"axis": -1})(row), [-np.inf, 0.0])
    np.testing.assert_array_equal(Op("Normalize")(np.zeros((1, 3), np.float32)), np.zeros((1, 3)))
    np.testing.assert_array_equal(Op("Sign")(np.array([-2.0, 0.0, 3.0], np.float32)), [-1, 0, 1])
    # Keras's threshold rule of sparsemax on torch (kept: convkit gives Keras's numbers)
    np.testing.assert_allclose(Op("Sparsemax")(np.array([[1.0, 0.5]], np.float32)), [[0.25, 0.0]])
    assert Op("Log")(np.array([0.0, -1.0], np.float32)).tolist()[0] == -np.inf  # no warning, as torch
