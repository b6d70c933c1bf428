"""Functional models whose code calls keras.ops (and the tensors' operators) against Keras 3 (torch backend):
Keras's `.keras` and `.h5` files load in convkit and give Keras's numbers, dtypes and shapes; convkit saves them
back and Keras loads that file to the same numbers; convkit's own config round trip; the same model code run on
convkit's symbolic tensors builds Keras's graph (same operation classes, options and constants); unsupported
operations and bad options are clear errors; inputs are left untouched."""
import inspect
import json

import numpy as np
import pytest

pytest.importorskip("h5py")

import convkit  # noqa: E402
from convkit import layers as L  # noqa: E402
from convkit.layers.operations import SUPPORTED, KerasOperation  # noqa: E402
from convkit.saving import load_model  # noqa: E402

SHAPE = (4, 6)


# ---- the models: one per group of operations --------------------------------------------------
# `x`, `y` come out of a Dense and a Conv1D (continuous functions of them only: the two libraries' layers differ
# by float rounding); `a`, `b` are the raw inputs, for the functions with jumps (floor, round, comparisons, ...)

def _unary(ops, x, y, a, b):
    positive = ops.abs(x) + 1.0
    unit = ops.tanh(x) * 0.9
    return [ops.exp(x), ops.log(positive), ops.log1p(positive), ops.expm1(x), ops.sin(x), ops.cos(x), ops.tanh(y),
            ops.erf(x), ops.erfc(x), ops.erf(a * 3.0), ops.erfc(a * 3.0), ops.rsqrt(positive),
            ops.reciprocal(positive), ops.sqrt(positive), ops.square(x), ops.negative(x), ops.abs(x), ops.tan(unit),
            ops.sinh(x), ops.cosh(x), ops.arctan(x),
            ops.arcsinh(x), ops.arcsin(unit), ops.arccos(unit), ops.arctanh(unit), ops.arccosh(positive),
            ops.exp2(x), ops.log2(positive), ops.log10(positive), ops.clip(x, -0.5, 0.7),
            ops.sign(a), ops.floor(a * 3.0), ops.ceil(a * 3.0), ops.trunc(a * 3.0), ops.round(a * 3.0),
            ops.round(a, 2), ops.round(a * 50.0, -1)]


def _arithmetic(ops, x, y, a, b):
    return [x + 1.5, 2.0 - x, x * y, x / 3.0, 3.0 / (ops.abs(y) + 1.0), x ** 2, ops.power(ops.abs(x) + 0.5, y),
            ops.maximum(x, y), ops.minimum(x, 0.2), x + np.linspace(-1, 1, 6).astype("float32"),
            ops.floor_divide(a, 0.3), a // b, ops.mod(a, 0.7), a % b, ops.where(a > 0, x, 0.1),
            ops.where(a > b, 1, 2), ops.cast(a * 4.0, "int32"), ops.cast(a * 4.0, "int32") * 2 + 1,
            ops.cast(a * 4.0, "int32") / 3, ops.cast(a, "bool"), a > 0.5, a <= b, ops.equal(a, b), a != 0.25,
            (a > 0) & (b < 0), (a > 0) | (b < 0), ops.logical_xor(a > 0, b > 0), ~(a > 0), ops.logical_not(a > b)]


def _reductions(ops, x, y, a, b):
    return [ops.mean(x, axis=1), ops.mean(x, axis=(1, 2), keepdims=True), ops.sum(x, axis=-1), ops.sum(x),
            ops.max(x, axis=1), ops.min(x, axis=[1, 2]), ops.max(x, axis=-1, keepdims=True, initial=0.0),
            ops.prod(x, axis=-1), ops.var(x, axis=1), ops.std(x, axis=-1, keepdims=True), ops.argmax(a, axis=-1),
            ops.argmin(a, axis=1, keepdims=True), ops.logsumexp(x, axis=-1), ops.logsumexp(x, axis=(1, 2)),
            ops.any(a > 1.0, axis=-1), ops.all(a > -1.0, axis=1, keepdims=True),
            ops.sum(ops.cast(a > 0, "int32"), axis=-1), ops.mean(ops.cast(a > 0, "int32"), axis=-1)]


def _shapes(ops, x, y, a, b):
    first, second = ops.split(x, 2, axis=-1)
    rows = ops.unstack(x, axis=1)
    pieces = ops.split(y, [1, 4], axis=-1)
    return [ops.reshape(x, (-1, 24)), ops.reshape(x, (-1, 3, 2, 4)), ops.transpose(x, (0, 2, 1)),
            ops.transpose(ops.mean(x, axis=0)), ops.expand_dims(x, 1), ops.expand_dims(x, (-1, 1)),
            ops.squeeze(ops.expand_dims(x, -1), -1), ops.concatenate([x, y], axis=-1),
            first, second, rows[0], rows[3], pieces[0], pieces[1], pieces[2],
            x[:, 0], x[:, -1, ::2], x[..., None, 1:3], x[:, 1:3, ...], x[None, :, 1], x[0],
            ops.tile(x, (1, 2, 1)), ops.repeat(x, 2, axis=1), ops.repeat(x[0], 2),
            ops.broadcast_to(x[0], (3, 4, 6)), ops.flip(x, axis=1), ops.flip(x, axis=(1, 2)), ops.roll(x, 2, axis=-1),
            ops.roll(x, (1, -1), axis=(1, 2)), ops.swapaxes(x, 1, 2), ops.moveaxis(x, 1, -1),
            ops.take(x, [0, 2], axis=1), ops.take(x, np.array([[5, 0], [1, -1]]), axis=-1),
            ops.take(x, ops.argmax(a, axis=-1), axis=2), ops.take_along_axis(x, ops.argmax(a, axis=-1, keepdims=True),
                                                                            axis=-1),
            ops.zeros_like(x), ops.ones_like(a, dtype="int32")]


def _linear_algebra(ops, x, y, a, b):
    columns = ops.transpose(y[0])  # (6, 4)
    return [ops.matmul(x, ops.transpose(y, (0, 2, 1))), x @ np.ones((6, 3), "float32"), ops.matmul(x[:, 0], columns),
            ops.einsum("bij,bkj->bik", x, y), ops.einsum("bij->bji", x), ops.einsum("...j,jk->...k", x, columns[:, :2]),
            ops.einsum("bij,bij", x, y)]


def _nn(ops, x, y, a, b):
    return [ops.softmax(x), ops.softmax(x, axis=1), ops.log_softmax(x), ops.log_softmax(x, axis=1), ops.gelu(x),
            ops.gelu(x, approximate=False), ops.elu(x, alpha=0.7), ops.leaky_relu(x, negative_slope=0.1),
            ops.celu(x, alpha=0.6), ops.glu(x), ops.glu(x, axis=1), ops.normalize(x), ops.normalize(x, axis=1, order=1),
            ops.normalize(x, order=3), ops.one_hot(ops.argmax(a, axis=-1), 6), ops.one_hot(ops.argmax(a, axis=-1), 6,
                                                                                            axis=1),
            ops.sparsemax(x), ops.log_sigmoid(x), ops.hard_tanh(x), ops.tanh_shrink(x), ops.soft_shrink(x),
            ops.hard_shrink(x, threshold=0.3), ops.squareplus(x), ops.threshold(x, 0.1, -2.0), ops.sparse_plus(x),
            ops.sparse_sigmoid(x), ops.relu(x), ops.relu6(x), ops.sigmoid(x), ops.silu(x), ops.hard_sigmoid(x),
            ops.selu(x), ops.softplus(x), ops.softsign(x)]


def _stack(ops, x, y, a, b):
    return [ops.stack([x, y], axis=1), ops.stack([x, y, a], axis=-1), ops.stack([x])]


GROUPS = {"unary": _unary, "arithmetic": _arithmetic, "reductions": _reductions, "shapes": _shapes,
          "linear_algebra": _linear_algebra, "nn": _nn, "stack": _stack}


def _keras_model(keras, group, seed=0):
    a, b = keras.Input(SHAPE), keras.Input(SHAPE)
    x = keras.layers.Dense(6)(a)
    y = keras.layers.Conv1D(6, 3, padding="same")(b)
    model = keras.Model([a, b], GROUPS[group](keras.ops, x, y, a, b))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.4 for w in model.get_weights()])
    return model


def _inputs(seed=1, batch=3):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((batch,) + SHAPE).astype(np.float32) for _ in range(2)]


def _numpy(keras, outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in outputs]


def _assert_same(got, want, rtol=1e-5):
    """Same count, dtypes and shapes; floats within rtol (relative to the output's largest magnitude, at least
    1), ints and booleans exactly."""
    got = got if isinstance(got, list) else [got]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert isinstance(g, np.ndarray), f"output {i}: {type(g).__name__}"
        assert (g.dtype, g.shape) == (w.dtype, w.shape), f"output {i}: {g.dtype}{g.shape}, keras {w.dtype}{w.shape}"
        if w.dtype.kind == "f":
            scale = max(1.0, float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0)))
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"output {i}")


# ---- Keras's files -> convkit -> Keras ----------------------------------------------------------

@pytest.mark.parametrize("group", sorted(GROUPS))
def test_keras_files_load_and_predict_keras_numbers(group, keras, tmp_path):
    k_model = _keras_model(keras, group)
    inputs = _inputs()
    copies = [x.copy() for x in inputs]
    want = _numpy(keras, k_model(inputs))
    for suffix in (".keras", ".h5"):
        k_model.save(tmp_path / f"keras{suffix}")
        c_model = load_model(tmp_path / f"keras{suffix}")
        _assert_same(c_model.predict(inputs, verbose=0), want)  # (one batch: some outputs have no batch axis)
    for x, copy in zip(inputs, copies):
        np.testing.assert_array_equal(x, copy)  # inputs untouched
    # the graph's symbolic shapes and dtypes are Keras's too
    assert [(t.shape, t.dtype) for t in c_model.outputs] == [(tuple(t.shape), t.dtype) for t in k_model.outputs]


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_convkit_saves_the_model_back_for_keras(group, keras, tmp_path):
    k_model = _keras_model(keras, group)
    k_model.save(tmp_path / "keras.keras")
    c_model = load_model(tmp_path / "keras.keras")
    inputs = _inputs(seed=2)
    c_model.save(tmp_path / "convkit.keras")
    again = keras.saving.load_model(tmp_path / "convkit.keras")
    _assert_same(_numpy(keras, again(inputs)), _numpy(keras, k_model(inputs)), rtol=0)
    # and convkit's own config (through JSON) rebuilds the same model
    rebuilt = convkit.Model.from_config(json.loads(json.dumps(c_model.get_config())))
    rebuilt.set_weights(c_model.get_weights())
    _assert_same(rebuilt(inputs), c_model(inputs), rtol=0)


# ---- the same model code on both libraries' symbolic tensors ------------------------------------

def _operator_model(Input, Dense, Model):
    """Model code written only with the tensors' operators (and methods), run on Keras's or convkit's tensors."""
    a, b = Input(SHAPE), Input(SHAPE)
    x, y = Dense(6)(a), Dense(6)(b)
    z = (x + 1.5) * y - 2.0 / (abs(y) + 1.0) + (-x) ** 2 + 2 ** (x * 0.5) - 1 * x
    return Model([a, b], [
        z, x[:, 0], x[..., None, 1:3], x[:, 1:3, ...], x[None, :, 1], x[:, :1].squeeze(1), x.reshape((-1, 24)),
        x @ y.reshape((-1, 6, 4)), x @ np.ones((6, 2), "float32"), round(a, 1), round(a), a // 0.3, a % 0.7,
        3.0 // (abs(a) + 1.0), 1.0 % (abs(b) + 0.5), (a > 0) & (b <= 0) | ~(a < b), (a != b) ^ (a >= 0.5),
        (a > 0) & True, False | (b < 0),
    ])


def _operation_entries(config):
    """The operation nodes of a Keras-format functional config: class, options and arguments (tensors as 'T')."""
    def argument(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return "T"
        return [argument(v) for v in value] if isinstance(value, (list, tuple)) else value

    return [(entry["class_name"], entry["module"], {k: v for k, v in entry["config"].items() if k != "name"},
             [argument(a) for a in entry["inbound_nodes"][0]["args"]])
            for entry in config["layers"] if entry["module"].startswith("keras.src.ops.")]


def test_tensor_operators_build_keras_graph(keras, tmp_path):
    k_model = _operator_model(keras.Input, keras.layers.Dense, keras.Model)
    c_model = _operator_model(L.Input, L.Dense, convkit.Model)
    rng = np.random.default_rng(5)
    k_model.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in k_model.get_weights()])
    c_model.set_weights(k_model.get_weights())
    inputs = _inputs(seed=3)
    _assert_same(c_model(inputs), _numpy(keras, k_model(inputs)))
    k_entries = _operation_entries(json.loads(k_model.to_json())["config"])
    c_entries = _operation_entries(json.loads(c_model.to_json())["config"])
    assert len(k_entries) > 40
    assert c_entries == k_entries  # same operations, options and constants, in the same order
    # convkit's file of that model loads in Keras, to the same numbers
    c_model.save(tmp_path / "operators.keras")
    again = keras.saving.load_model(tmp_path / "operators.keras")
    _assert_same(_numpy(keras, again(inputs)), _numpy(keras, k_model(inputs)), rtol=0)


def test_tensor_comparisons_keep_identity_like_keras(keras):
    for Input in (keras.Input, L.Input):
        x, y = Input((3,)), Input((3,))
        assert (x == x) is True and (x == y) is False  # == is not an operation, in Keras as in convkit
        assert {x: 1, y: 2}[y] == 2 and x in [y, x]
        assert type(x != y).__name__ == "KerasTensor" and (x != y).dtype == "bool"
        with pytest.raises(TypeError):
            bool(x > 0)
    with pytest.raises(TypeError, match="Iterating"):
        list(L.Input((3,)))


# ---- errors -------------------------------------------------------------------------------------

def test_unsupported_operation_in_a_keras_file_is_a_clear_error(keras, tmp_path):
    a = keras.Input(SHAPE)
    k_model = keras.Model(a, keras.ops.sort(keras.layers.Dense(6)(a), axis=-1))
    k_model.save(tmp_path / "sort.keras")
    with pytest.raises(ValueError, match="does not support the Keras operation 'Sort'"):
        load_model(tmp_path / "sort.keras")


def test_bad_options_in_a_keras_config_name_the_option(keras):
    a = keras.Input(SHAPE)
    config = json.loads(keras.Model(a, keras.ops.mean(a, axis=1)).to_json())
    entry = next(e for e in config["config"]["layers"] if e["class_name"] == "Mean")
    entry["config"]["axis"] = "rows"
    with pytest.raises(ValueError, match=r"`axis` as None, an int or a list of ints\. Received: axis='rows'"):
        convkit.models.model_from_json(json.dumps(config))
    entry["config"]["axis"] = 5
    with pytest.raises(ValueError, match=r"Mean.*`axis`=5 is out of range for a tensor of rank 3"):
        convkit.models.model_from_json(json.dumps(config))


def test_every_supported_operation_is_a_keras_operation_class(keras):
    import importlib

    from convkit.layers.operation_tables import OPERATIONS, REQUIRED

    for name in SUPPORTED:
        if name in ("Swish", "HardSwish"):
            continue  # (convkit's names of Keras's Silu and HardSilu)
        cls = getattr(importlib.import_module(OPERATIONS[name].module), name)
        # the options are Keras's constructor arguments, in Keras's order, with Keras's defaults
        params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name not in ("self", "name")]
        assert list(OPERATIONS[name].options) == [p.name for p in params], name
        for p in params:
            default = OPERATIONS[name].options[p.name][0]
            assert (default is REQUIRED) == (p.default is p.empty), (name, p.name)
            if p.default is not p.empty:
                assert default == (list(p.default) if isinstance(p.default, tuple) else p.default), (name, p.name)


def test_operation_node_from_keras_entry_directly(keras):
    """A KerasOperation made from a Keras entry keeps Keras's arguments as written (a key, numpy constants)."""
    a = keras.Input(SHAPE)
    config = json.loads(keras.Model(a, [a[:, 1:3, None], a + np.arange(6, dtype="float32")]).to_json())
    entries = {e["class_name"]: e for e in config["config"]["layers"]}
    get_item = KerasOperation.from_keras_entry(entries["GetItem"])
    add = KerasOperation.from_keras_entry(entries["Add"])
    assert get_item.arguments[1] == entries["GetItem"]["inbound_nodes"][0]["args"][1]
    assert add.arguments[1] == entries["Add"]["inbound_nodes"][0]["args"][1]
    x = _inputs()[0]
    np.testing.assert_array_equal(get_item(x), x[:, 1:3, None])
    np.testing.assert_array_equal(add(x), x + np.arange(6, dtype=np.float32))
