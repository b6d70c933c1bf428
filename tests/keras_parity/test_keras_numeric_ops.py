"""convkit.ops's keras.ops functions (convkit/keras_ops.py) against keras.ops (torch backend): on arrays, the same
dtypes, shapes and numbers as Keras's eager call; on symbolic tensors, the same operation nodes (classes, options,
constants) as Keras's graph, and the same numbers when the model runs; a model written once for both libraries
gives Keras's outputs and a file Keras loads; inputs are left untouched; bad arguments are errors naming them."""
import inspect
import json

import numpy as np
import pytest

import convkit
from convkit import keras_ops
from convkit import layers as L

# ---- the arrays the cases use ------------------------------------------------------------------

_rng = np.random.default_rng(0)
F = _rng.standard_normal((2, 3, 4)).astype(np.float32)
G = _rng.standard_normal((3, 4)).astype(np.float32)  # broadcasts against F
P = (np.abs(F) + 0.5).astype(np.float32)  # positive
U = np.tanh(F) * np.float32(0.9)  # in (-0.9, 0.9)
W = _rng.standard_normal((4, 5)).astype(np.float32)
I = _rng.integers(-6, 7, (2, 3, 4)).astype(np.int32)  # noqa: E741
J = _rng.integers(1, 5, (3, 4)).astype(np.int32)  # nonzero divisors
B = _rng.random((2, 3, 4)) > 0.5
C = _rng.random((2, 3, 4)) > 0.5
K = _rng.integers(0, 5, (2, 3)).astype(np.int32)  # classes for one_hot
S = np.ascontiguousarray(F[:, :1])  # (2, 1, 4): an axis to squeeze
H = F.astype(np.float16)
U8 = _rng.integers(0, 250, (2, 3, 4)).astype(np.uint8)
IDX = np.argsort(F, axis=-1)[..., :1].astype(np.int32)  # (2, 3, 1) indices along the last axis


def case(name, *args, **kwargs):
    return pytest.param(name, args, kwargs, id=f"{name}({', '.join(_describe(a) for a in args)}"
                                               f"{''.join(f', {k}={v!r}' for k, v in kwargs.items())})")


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype}{list(value.shape)}"
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    return repr(value)


CASES = [
    # element-wise arithmetic and comparisons: broadcasting, ints, Python numbers (weakly typed) on either side
    case("add", F, G), case("add", I, 2), case("add", I, 1.5), case("add", H, 2.0), case("add", U8, 3),
    case("add", [1, 2, 3], 4), case("add", [1.5, 2.0], [[1], [2]]), case("add", 1, 2.5),
    case("subtract", F, 2.0), case("subtract", 3, I), case("multiply", F, G), case("multiply", I, J),
    case("multiply", H, 0.5), case("divide", F, P), case("divide", I, J), case("true_divide", I, 2),
    case("true_divide", 1.0, P), case("floor_divide", F, 0.3), case("floor_divide", I, J), case("mod", F, 0.7),
    case("mod", I, J), case("mod", -7.5, P), case("power", P, G), case("power", I, 2), case("power", 2.0, F),
    case("maximum", F, G), case("maximum", I, 0), case("minimum", F, 0.2), case("minimum", I, J),
    case("equal", I, J), case("equal", F, F), case("not_equal", F, G), case("not_equal", I, 0),
    case("greater", F, 0.1), case("greater", I, J), case("greater_equal", I, 0), case("greater_equal", F, G),
    case("less", F, G), case("less", I, 2.5), case("less_equal", I, J), case("less_equal", F, 0.0),
    case("logical_and", B, C), case("logical_and", I, B), case("logical_or", B, I), case("logical_or", B, False),
    case("logical_xor", B, C), case("logical_not", B), case("logical_not", I),
    # element-wise functions
    case("exp", F), case("exp", I), case("exp2", F), case("expm1", F), case("log", P), case("log", J),
    case("log2", P), case("log10", P), case("log1p", P), case("sqrt", P), case("sqrt", J), case("rsqrt", P),
    case("square", F), case("square", I), case("square", B), case("reciprocal", P), case("sin", F), case("cos", F),
    case("tan", U), case("sinh", F), case("cosh", F), case("tanh", F), case("tanh", I), case("arcsin", U),
    case("arccos", U), case("arctan", F), case("arcsinh", F), case("arccosh", P + 1.0), case("arctanh", U),
    case("erf", F * 2.0), case("erfc", F), case("abs", F), case("abs", I), case("absolute", F),
    case("negative", F), case("negative", I), case("sign", F), case("sign", I), case("floor", F * 3.0),
    case("ceil", F * 3.0), case("trunc", F * 3.0), case("round", F * 3.0), case("round", F, 2),
    case("round", F * 50.0, -1), case("clip", F, -0.5, 0.7), case("clip", I, -2, 3), case("where", B, F, G),
    case("where", B, 1, 2), case("where", C, I, 0.5), case("where", I, F, -1.0),
    # reductions: every axis, one, several, negative, keepdims
    case("mean", F), case("mean", F, axis=1), case("mean", F, axis=(0, 2), keepdims=True), case("mean", I, axis=-1),
    case("sum", F, axis=-1), case("sum", I), case("sum", B, axis=0), case("sum", U8, axis=[0, 1]),
    case("prod", P, axis=1), case("prod", I, axis=-1), case("prod", I, axis=0, dtype="float32"),
    case("max", F), case("max", F, axis=-1, keepdims=True), case("max", F, axis=1, initial=0.0),
    case("max", I, axis=0), case("min", F, axis=(1, 2)), case("min", I), case("min", F, axis=0, initial=-0.5),
    case("var", F, axis=1), case("var", F), case("std", F, axis=-1, keepdims=True), case("std", I, axis=0),
    case("argmax", F), case("argmax", F, axis=-1), case("argmin", F, axis=1, keepdims=True),
    case("argmin", I, axis=0), case("any", B, axis=-1), case("any", I), case("all", B, axis=(0, 1)),
    case("all", B, axis=-1, keepdims=True), case("logsumexp", F, axis=-1), case("logsumexp", F),
    case("logsumexp", F, axis=(1, 2), keepdims=True),
    # shapes
    case("reshape", F, (-1, 4)), case("reshape", F, (6, 4)), case("reshape", I, 24), case("transpose", F),
    case("transpose", F, (0, 2, 1)), case("transpose", F, axes=(2, 0, 1)), case("expand_dims", F, 1),
    case("expand_dims", F, (-1, 0)), case("squeeze", S), case("squeeze", S, axis=1), case("squeeze", S, -2),
    case("concatenate", [F, P], axis=-1), case("concatenate", [I, I]), case("concatenate", [F, I], axis=1),
    case("stack", [F, P], axis=1), case("stack", [I, I], axis=-1), case("stack", [F]), case("split", F, 2),
    case("split", F, 2, axis=-1), case("split", F, [1, 3], axis=2), case("unstack", F, axis=1), case("unstack", F),
    case("unstack", I, num=4, axis=-1), case("get_item", F, (slice(None), 0)), case("get_item", F, 1),
    case("get_item", F, (Ellipsis, None, slice(1, 3))), case("get_item", F, (slice(None), slice(None, None, 2))),
    case("tile", F, (1, 2, 1)), case("tile", G, 2), case("tile", G, (2, 1, 1)), case("repeat", F, 2, axis=1),
    case("repeat", F, 2), case("repeat", I, 3, axis=-1), case("broadcast_to", G, (2, 3, 4)),
    case("flip", F), case("flip", F, axis=1), case("flip", F, axis=(1, 2)), case("roll", F, 2, axis=-1),
    case("roll", F, 3), case("roll", F, (1, -1), axis=(1, 2)), case("swapaxes", F, 0, 2),
    case("swapaxes", I, -1, 1), case("moveaxis", F, 0, -1), case("moveaxis", F, (0, 1), (2, 0)),
    case("take", F, [0, 2], axis=1), case("take", F, np.array([[3, 0], [1, -1]], np.int32), axis=-1),
    case("take", F, [1, 5, 7]), case("take", I, np.array([1, 0, 1], np.int32), axis=0),
    case("take_along_axis", F, IDX, axis=-1), case("take_along_axis", F, IDX[:1], axis=-1),
    case("take_along_axis", F, np.argsort(F, axis=-1)[..., 1:3].astype(np.int32), axis=-1),  # 2 of 4 along the axis
    case("take_along_axis", F, np.argsort(F, axis=1)[:1].astype(np.int32), axis=1),  # broadcast along axis 0
    case("zeros_like", F), case("zeros_like", I, dtype="float32"), case("ones_like", F),
    case("ones_like", B, dtype="int32"), case("cast", F * 4.0, "int32"), case("cast", I, "float32"),
    case("cast", F, "bool"), case("cast", F * 4.0, int), case("ones_like", F, dtype=np.int32),
    case("cast", I, "float16"), case("cast", B, "float32"), case("convert_to_tensor", F),
    case("convert_to_tensor", I, dtype="float32"),
    # linear algebra
    case("matmul", F, W), case("matmul", F, np.ascontiguousarray(np.swapaxes(F, 1, 2))), case("matmul", G[0], W),
    case("matmul", F, W[:, 0]), case("matmul", I, np.ascontiguousarray(np.swapaxes(I, 1, 2))),
    case("einsum", "bij,jk->bik", F, W), case("einsum", "bij->bji", F), case("einsum", "...j,jk->...k", F, W),
    case("einsum", "bij,bij", F, P), case("einsum", "ij,ij->i", G, G),
    # activations and other keras.ops.nn functions
    case("relu", F), case("relu6", F * 5.0), case("sigmoid", F), case("hard_sigmoid", F * 3.0), case("silu", F),
    case("swish", F), case("hard_silu", F * 3.0), case("hard_swish", F * 3.0), case("softplus", F),
    case("softsign", F), case("selu", F), case("elu", F), case("elu", F, alpha=0.7), case("celu", F),
    case("celu", F, alpha=0.6), case("gelu", F), case("gelu", F, approximate=False), case("leaky_relu", F),
    case("leaky_relu", F, negative_slope=0.1), case("glu", F), case("glu", F, axis=0), case("log_sigmoid", F),
    case("hard_tanh", F * 2.0), case("tanh_shrink", F), case("soft_shrink", F), case("soft_shrink", F, 0.3),
    case("hard_shrink", F), case("hard_shrink", F, threshold=0.3), case("squareplus", F),
    case("squareplus", F, b=2), case("threshold", F, 0.1, -2.0), case("sparse_plus", F * 2.0),
    case("sparse_sigmoid", F * 2.0), case("softmax", F), case("softmax", F, axis=1), case("log_softmax", F),
    case("log_softmax", F, axis=0), case("sparsemax", F), case("sparsemax", F, axis=1), case("normalize", F),
    case("normalize", F, axis=1, order=1), case("normalize", F, order=3), case("one_hot", K, 5),
    case("one_hot", K, 5, axis=1), case("one_hot", K, 5, dtype="int32"),
]


def _numpy(keras, value):
    if isinstance(value, (list, tuple)):
        return [_numpy(keras, v) for v in value]
    return np.asarray(keras.ops.convert_to_numpy(value))


def _assert_same(got, want, rtol=1e-6):
    """Same structure, dtypes and shapes; floats within rtol (relative to each value, and to the largest magnitude
    near zero), ints and booleans exactly."""
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{type(got).__name__}, keras {len(want)} outputs"
        for g, w in zip(got, want):
            _assert_same(g, w, rtol)
        return
    assert isinstance(got, np.ndarray), type(got).__name__
    assert (got.dtype, got.shape) == (want.dtype, want.shape), f"{got.dtype}{got.shape}, keras {want.dtype}{want.shape}"
    if want.dtype.kind == "f":
        tolerance = rtol if want.dtype != np.float16 else 1e-3
        scale = float(np.max(np.abs(want[np.isfinite(want)]), initial=1.0))
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance * scale)
    else:
        np.testing.assert_array_equal(got, want)


def _copies(args):
    return [[a.copy() for a in v] if isinstance(v, list) and v and isinstance(v[0], np.ndarray)
            else v.copy() if isinstance(v, np.ndarray) else v for v in args]


def _assert_untouched(args, originals):
    for arg, original in zip(args, originals):
        if isinstance(arg, list):
            for a, o in zip(arg, original):
                _assert_untouched([a], [o])
        elif isinstance(arg, np.ndarray):
            np.testing.assert_array_equal(arg, original)
            assert arg.dtype == original.dtype


# ---- on arrays ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_eager_call_gives_keras_dtype_shape_and_numbers(name, args, kwargs, keras):
    originals = _copies(args)
    got = getattr(convkit.ops, name)(*args, **kwargs)
    _assert_untouched(args, originals)  # inputs untouched
    want = _numpy(keras, getattr(keras.ops, name)(*_tensors(keras, args), **kwargs))
    _assert_same(got, want)


def _tensors(keras, args):
    """The arrays as Keras's tensors (of the same dtypes): some of Keras's eager functions take only those."""
    return [[keras.ops.convert_to_tensor(a) for a in v] if isinstance(v, list) and v and isinstance(v[0], np.ndarray)
            else keras.ops.convert_to_tensor(v) if isinstance(v, np.ndarray) else v for v in args]


def test_the_cases_cover_every_function():
    covered = {c.values[0] for c in CASES}
    assert covered == set(keras_ops.__all__), sorted(set(keras_ops.__all__) ^ covered)


def test_functions_have_keras_signatures(keras):
    for name in keras_ops.__all__:
        ours, theirs = inspect.signature(getattr(keras_ops, name)), inspect.signature(getattr(keras.ops, name))
        if name == "einsum":  # Keras's takes **kwargs for its backends' einsum options, which convkit has none of
            theirs = theirs.replace(parameters=[p for p in theirs.parameters.values() if p.kind != p.VAR_KEYWORD])
        assert ours == theirs, name
        assert getattr(keras_ops, name).__doc__.strip(), name


def test_the_import_promise():
    from convkit import layers, ops  # as a Keras script writes `from keras import layers, ops`

    assert callable(ops.mean) and callable(layers.Dense)
    assert ops.mean is keras_ops.mean and ops.sum is keras_ops.sum and "mean" in dir(ops)
    assert set(keras_ops.__all__) <= set(ops.__all__)
    assert ops.conv.__module__ == "convkit.ops"  # the conv and pool functions are ops.py's own
    namespace = {}
    exec("from convkit.ops import *", namespace)
    exec("from convkit.ops import mean, max as ops_max", namespace)
    assert namespace["mean"] is keras_ops.mean and namespace["ops_max"] is keras_ops.max
    assert namespace["max"] is keras_ops.max and namespace["conv"] is ops.conv
    with pytest.raises(AttributeError, match="no attribute 'not_an_op'"):
        ops.not_an_op


def test_keras_ops_leaves_ops_py_names_alone():
    import convkit.ops as ops_module

    own = {name for name, value in vars(ops_module).items() if getattr(value, "__module__", None) == "convkit.ops"}
    assert not own & set(keras_ops.__all__), own & set(keras_ops.__all__)
    assert {"conv", "depthwise_conv", "separable_conv", "conv_transpose", "max_pool", "average_pool"} <= own
    # ops.py's own code still calls Python's all / any / max (not keras.ops's)
    assert ops_module.zero_pad(np.ones((1, 2, 2, 1), np.float32), 1).shape == (1, 4, 4, 1)


def test_eager_calls_convert_python_values_and_float64_as_a_model_does():
    assert convkit.ops.add([1, 2], 3).dtype == np.int32  # Python ints: int32, as Keras converts them
    assert convkit.ops.multiply([0.5, 2.0], 2).dtype == np.float32
    assert convkit.ops.logical_not([True, False]).dtype == np.bool_
    total = convkit.ops.sum(1.5)
    assert isinstance(total, np.ndarray) and (total.dtype, total.shape, float(total)) == (np.float32, (), 1.5)
    # float64 arrays are computed as float32 (a model's inputs are), ints keep their dtype
    x64 = F.astype(np.float64)
    np.testing.assert_array_equal(convkit.ops.softmax(x64), convkit.ops.softmax(F))
    assert convkit.ops.exp(x64).dtype == np.float32 and convkit.ops.reshape(I.astype(np.int64), -1).dtype == np.int64
    np.testing.assert_array_equal(x64, F)  # (untouched)


def test_eager_calls_leave_the_names_of_graph_nodes_alone():
    from convkit.layers import base

    counts = dict(base._NAME_COUNTS)
    convkit.ops.add(F, 1.0), convkit.ops.mean(F, axis=1), convkit.ops.split(F, 2, axis=-1)
    assert base._NAME_COUNTS == counts  # as in Keras, where an eager call makes no operation


def test_outputs_are_arrays_of_their_own():
    x = F.copy()
    for out in (convkit.ops.reshape(x, (-1,)), convkit.ops.transpose(x), convkit.ops.get_item(x, 0),
                convkit.ops.squeeze(x), convkit.ops.convert_to_tensor(x), *convkit.ops.split(x, 2, axis=-1)):
        out[...] = 7.0
    np.testing.assert_array_equal(x, F)


# ---- on symbolic tensors: each case as a graph --------------------------------------------------

def _symbolic(args, make_input):
    """The case's arrays (also inside a list) replaced by inputs of their shape and dtype; None without any."""
    inputs = []

    def swap(value):
        if isinstance(value, np.ndarray):
            inputs.append(make_input(value))
            return inputs[-1]
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            return [swap(v) for v in value]
        return value

    symbolic = [swap(a) for a in args]
    return (symbolic, inputs) if inputs else (None, None)


def _operation_entries(config):
    """The operation nodes of a Keras-format functional config: class, module, options, arguments (tensors 'T')."""
    def argument(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return "T"
        if isinstance(value, dict) and value.get("class_name") == "__tensor__":
            # a constant computed eagerly: a torch tensor in Keras, a numpy array in convkit
            return dict(value, class_name="__numpy__")
        return [argument(v) for v in value] if isinstance(value, (list, tuple)) else value

    return [(entry["class_name"], entry["module"], {k: v for k, v in entry["config"].items() if k != "name"},
             [argument(a) for a in entry["inbound_nodes"][0]["args"]])
            for entry in config["layers"] if entry["module"].startswith("keras.src.ops.")]


def _arrays(args):
    return [a for v in args for a in (v if isinstance(v, list) else [v]) if isinstance(a, np.ndarray)]


@pytest.mark.parametrize("name, args, kwargs", [c for c in CASES if _arrays(c.values[1])])
def test_symbolic_call_builds_keras_node(name, args, kwargs, keras):
    c_args, c_inputs = _symbolic(args, lambda a: L.Input(batch_shape=a.shape, dtype=a.dtype.name))
    k_args, k_inputs = _symbolic(args, lambda a: keras.Input(batch_shape=a.shape, dtype=a.dtype.name))
    c_out = getattr(convkit.ops, name)(*c_args, **kwargs)
    k_out = getattr(keras.ops, name)(*k_args, **kwargs)
    outputs = c_out if isinstance(c_out, list) else [c_out]
    assert [(t.shape, t.dtype) for t in outputs] == [(tuple(t.shape), t.dtype)
                                                     for t in (k_out if isinstance(k_out, list) else [k_out])]
    c_model, k_model = convkit.Model(c_inputs, c_out), keras.Model(k_inputs, k_out)
    k_entries = _operation_entries(json.loads(k_model.to_json())["config"])
    assert _operation_entries(json.loads(c_model.to_json())["config"]) == k_entries
    # and the models compute the same numbers (where convkit's Inputs keep the arrays' dtypes: float32 and ints)
    arrays = _arrays(args)
    if all(a.dtype in (np.float32, np.int32) for a in arrays):
        got, want = c_model(arrays), _numpy(keras, k_model(arrays))
        _assert_same(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want])


def test_symbolic_cases_reach_every_operation_keras_ops_builds():
    from convkit.layers.operation_tables import OPERATIONS

    built = set()
    for param in CASES:
        name, args, kwargs = param.values
        symbolic, _ = _symbolic(args, lambda a: L.Input(batch_shape=a.shape, dtype=a.dtype.name))
        if symbolic is not None:
            out = getattr(convkit.ops, name)(*symbolic, **kwargs)
            built.add((out[0] if isinstance(out, list) else out)._keras_history.operation.operation)
    # Abs, Swish and HardSwish: Keras's classes that keras.ops.abs / swish / hard_swish do not build (they build
    # Absolute, Silu and HardSilu, as convkit's do)
    assert built == set(OPERATIONS) - {"Abs", "Swish", "HardSwish"}, sorted(set(OPERATIONS) ^ built)


# ---- one model's code for both libraries --------------------------------------------------------

def _model(layers, ops, Input, Model):
    """A small functional model written once with `from keras import layers, ops` in mind."""
    a = Input((5, 8))
    ids = Input((5,), dtype="int32")
    x = layers.Dense(8)(a)
    x = ops.relu(x) + ops.mean(x, axis=1, keepdims=True)
    x = ops.reshape(x, (-1, 5, 2, 4))
    x = ops.transpose(x, (0, 1, 3, 2))
    x = ops.reshape(x, (-1, 5, 8))
    h = ops.concatenate([x, ops.one_hot(ids, 8)], axis=-1)
    h = layers.Dense(6)(h)
    gate, value = ops.split(h, 2, axis=-1)
    h = ops.sigmoid(gate) * ops.tanh(value)
    scores = ops.softmax(ops.matmul(h, ops.swapaxes(h, 1, 2)) / ops.sqrt(3.0), axis=-1)
    h = ops.einsum("bij,bjk->bik", scores, h)
    h = ops.where(ops.expand_dims(ids > 2, -1), h, ops.zeros_like(h))
    pooled = ops.max(h, axis=1) - ops.logsumexp(h, axis=1)
    stacked = ops.stack([ops.sum(h, axis=1), ops.std(h, axis=1)], axis=1)
    out = layers.Dense(4)(ops.concatenate([pooled, ops.squeeze(ops.take(h, [0], axis=1), 1)], axis=-1))
    out = ops.log_softmax(ops.clip(out, -3.0, 3.0))
    return Model([a, ids], [out, ops.argmax(out, axis=-1), stacked, ops.normalize(ops.gelu(pooled))])


def _model_inputs(seed=7):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 5, 8)).astype(np.float32), rng.integers(0, 8, (3, 5)).astype(np.int32)]


def test_same_model_code_gives_keras_model(keras, tmp_path):
    k_model = _model(keras.layers, keras.ops, keras.Input, keras.Model)
    c_model = _model(L, convkit.ops, L.Input, convkit.Model)
    rng = np.random.default_rng(3)
    k_model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in k_model.get_weights()])
    c_model.set_weights(k_model.get_weights())
    inputs = _model_inputs()
    originals = _copies(inputs)
    want = _numpy(keras, k_model(inputs))
    _assert_same(c_model.predict(inputs, verbose=0), want, rtol=1e-5)
    _assert_untouched(inputs, originals)
    k_entries = _operation_entries(json.loads(k_model.to_json())["config"])
    c_entries = _operation_entries(json.loads(c_model.to_json())["config"])
    assert len(k_entries) >= 25
    assert [e[0] for e in c_entries] == [e[0] for e in k_entries]  # the same operations, in the same order
    assert c_entries == k_entries  # with the same options and constants
    c_model.save(tmp_path / "convkit.keras")
    again = keras.saving.load_model(tmp_path / "convkit.keras")
    _assert_same(_numpy(keras, again(inputs)), want, rtol=0)


# ---- errors --------------------------------------------------------------------------------------

BAD = [
    ("mean", (F,), {"axis": 3}, ValueError, r"`axis`=3 is out of range for a tensor of rank 3"),
    ("mean", (F,), {"axis": "rows"}, ValueError, r"`axis` as None, an int or a list of ints\. Received: axis='rows'"),
    ("reshape", (F,), {"newshape": (5, -1)}, ValueError, r"cannot reshape a tensor of shape \(2, 3, 4\)"),
    ("reshape", (F,), {"newshape": (-1, -1)}, ValueError, r"`newshape` may hold one -1"),
    ("transpose", (F,), {"axes": (0, 1)}, ValueError, r"`axes` must be a permutation"),
    ("split", (F, 5), {"axis": -1}, ValueError, r"cannot be split into 5 equal sections"),
    ("unstack", (F,), {"num": 3}, ValueError, r"`num`=3 differs from the size 2"),
    ("cast", (F, "text"), {}, ValueError, r"`dtype` as the name of a bool, int, uint or float dtype"),
    ("clip", (F, "low", 1.0), {}, ValueError, r"`x_min` as a number\. Received: x_min='low'"),
    ("one_hot", (K, 0), {}, ValueError, r"`num_classes` as an int >= 1\. Received: num_classes=0"),
    ("take", (F, [0, 9]), {"axis": 1}, ValueError, r"`indices` must be in \[-3, 3\)"),
    ("add", (F, np.ones((5,), np.float32)), {}, ValueError, r"cannot be broadcast"),
    ("matmul", (F, G), {}, ValueError, r"inner sizes"),
    ("exp", (np.array(["a", "b"]),), {}, TypeError, r"`x` must hold booleans, ints or floats"),
    ("concatenate", (F,), {}, TypeError, r"`xs` must be a list of tensors"),
    ("stack", ([F, "x"],), {}, TypeError, r"`x\[1\]` must hold booleans, ints or floats"),
    ("where", (B, F), {}, ValueError, r"`x1` and `x2` must be given together"),
    ("softmax", (F,), {"axis": 3}, ValueError, r"`axis`=3 is out of range"),
    ("einsum", ("ij,jk->ik", F), {}, ValueError, r"names 2 operand\(s\); the call gives 1"),
]


@pytest.mark.parametrize("name, args, kwargs, error, message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_are_errors_naming_them(name, args, kwargs, error, message, keras):
    with pytest.raises(error, match=message):
        getattr(convkit.ops, name)(*args, **kwargs)
    with pytest.raises(Exception):  # Keras refuses them too
        getattr(keras.ops, name)(*args, **kwargs)


def test_values_keras_takes_and_convkit_refuses_are_errors_naming_them():
    with pytest.raises(ValueError, match=r"`keepdims` as a bool\. Received: keepdims='yes'"):
        convkit.ops.sum(F, keepdims="yes")  # (Keras reads any value as true or false)
    with pytest.raises(TypeError, match=r"`x2` must hold booleans, ints or floats"):
        convkit.ops.add(F, np.array([1 + 2j]))  # convkit has no complex numbers


def test_bad_arguments_on_symbolic_tensors_name_them():
    x = L.Input((3, 4))
    with pytest.raises(ValueError, match=r"`axis`=3 is out of range for a tensor of rank 3"):
        convkit.ops.mean(x, axis=3)
    with pytest.raises(ValueError, match=r"`x1` and `x2` must be given together"):
        convkit.ops.where(x > 0, x)
    with pytest.raises(ValueError, match=r"where\(condition\) alone"):
        convkit.ops.where(x > 0)
    with pytest.raises(ValueError, match=r"takes a list of tensors"):
        convkit.ops.concatenate([x, np.ones((1, 3, 4), np.float32)])


def test_eager_calls_with_other_constants_never_share_a_node():
    # eager calls reuse one node per (operation, constants, options): a node made for other
    # constants (numbers, keys) or options must never run instead
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for value in (1.0, 2.0, 1, True):
        np.testing.assert_array_equal(convkit.ops.add(x, value), x + np.float32(value))
    for key in ((0, slice(None), 1), (1, slice(None), 1), (Ellipsis, 2), (slice(0, 1), None), np.int64(1), 1):
        np.testing.assert_array_equal(convkit.ops.get_item(x, key), x[key])
    for axis in (0, 1, -1, (0, 2)):
        np.testing.assert_array_equal(convkit.ops.sum(x, axis=axis), x.sum(axis=axis))
