"""Functional models: branches, skip connections, several inputs and outputs, config round trip.
The oracle is the same layer objects applied eagerly one by one."""
import numpy as np
import pytest

from convkit.layers import (Add, BatchNormalization, Concatenate, Conv2D, Dense, Flatten,
                            GlobalAveragePooling2D, MaxPooling2D, UpSampling2D, add, concatenate)
from convkit.models import Input, Model


def _randomize(model, rng):
    model.set_weights([(rng.standard_normal(w.shape) * 0.3).astype(np.float32)
                       for w in model.get_weights()])


def _positive_bn(model, rng):
    for layer in model.layers:
        if isinstance(layer, BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([g, b, m, rng.uniform(0.5, 2.0, v.shape)])


def _branchy():
    inp = Input(shape=(8, 8, 3), name="image")
    a = Conv2D(4, 3, padding="same", activation="relu", name="stem")(inp)
    b1 = Conv2D(4, 1, name="branch1")(a)
    b2 = Conv2D(4, 3, padding="same", name="branch2")(a)
    s = add([a, b1, b2])
    s = BatchNormalization(name="bn")(s)
    p = MaxPooling2D(name="pool")(s)
    u = UpSampling2D(name="up")(p)
    c = concatenate([u, s], name="cat")
    out = Conv2D(2, 3, name="head")(c)
    return Model(inp, out, name="branchy")


def _eager(model, x):
    g = model.get_layer
    a = g("stem")(x)
    s = a + g("branch1")(a) + g("branch2")(a)
    s = g("bn")(s)
    u = g("up")(g("pool")(s))
    return g("head")(np.concatenate([u, s], axis=-1))


def test_branches_and_skips(rng, assert_close):
    model = _branchy()
    _randomize(model, rng)
    _positive_bn(model, rng)
    assert model.input_shape == (None, 8, 8, 3)
    assert model.output_shape == (None, 6, 6, 2)
    x = rng.standard_normal((3, 8, 8, 3)).astype(np.float32)
    assert_close(model.predict(x, verbose=0), _eager(model, x), rtol=1e-4)
    assert model.get_layer("cat") is not None


def test_functional_weight_order_follows_layers(rng):
    model = _branchy()
    flat = [w for layer in model.layers for w in layer.get_weights()]
    assert [w.shape for w in model.get_weights()] == [w.shape for w in flat]
    assert model.count_params() == sum(w.size for w in flat)


def test_two_inputs_two_outputs(rng, assert_close):
    img = Input(shape=(6, 6, 2), name="img")
    vec = Input(shape=(5,), name="vec")
    f = GlobalAveragePooling2D(name="gap")(Conv2D(3, 3, name="conv")(img))
    v = Dense(3, activation="tanh", name="dv")(vec)
    merged = Concatenate(name="merge")([f, v])
    out1 = Dense(2, activation="softmax", name="cls")(merged)
    out2 = Dense(1, name="reg")(Add(name="sum")([f, v]))
    model = Model(inputs=[img, vec], outputs=[out1, out2])
    _randomize(model, rng)
    assert model.input_shape == [(None, 6, 6, 2), (None, 5)]
    assert model.output_shape == [(None, 2), (None, 1)]
    xi = rng.standard_normal((4, 6, 6, 2)).astype(np.float32)
    xv = rng.standard_normal((4, 5)).astype(np.float32)
    y1, y2 = model.predict([xi, xv], verbose=0)
    g = model.get_layer
    f_ = g("gap")(g("conv")(xi))
    v_ = g("dv")(xv)
    assert_close(y1, g("cls")(np.concatenate([f_, v_], -1)), rtol=1e-4)
    assert_close(y2, g("reg")(f_ + v_), rtol=1e-4)
    # batching splits every input the same way
    z1, z2 = model.predict([xi, xv], batch_size=3, verbose=0)
    assert_close(z1, y1, rtol=1e-5)
    assert_close(z2, y2, rtol=1e-5)


def test_shared_layer(rng, assert_close):
    a = Input(shape=(4,))
    b = Input(shape=(4,))
    shared = Dense(3, name="shared")
    out = add([shared(a), shared(b)])
    model = Model([a, b], out)
    assert len(model.get_weights()) == 2
    xa = rng.standard_normal((2, 4)).astype(np.float32)
    xb = rng.standard_normal((2, 4)).astype(np.float32)
    assert_close(model.predict([xa, xb], verbose=0), shared(xa).astype(np.float64) + shared(xb))


def test_model_from_config(rng):
    model = _branchy()
    _randomize(model, rng)
    _positive_bn(model, rng)
    clone = Model.from_config(model.get_config())
    assert sorted(layer.name for layer in clone.layers) == sorted(layer.name for layer in model.layers)
    assert clone.output_shape == model.output_shape
    clone.set_weights(model.get_weights())
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=0, atol=0)


def test_get_weights_round_trip(rng):
    model = _branchy()
    new = [rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(new)
    for a, b in zip(model.get_weights(), new, strict=True):
        np.testing.assert_array_equal(a, b)


def test_summary(capsys):
    model = _branchy()
    returned = model.summary()
    text = capsys.readouterr().out + (returned if isinstance(returned, str) else "")
    for name in ("stem", "branch1", "branch2", "bn", "pool", "up", "head", "Total params"):
        assert name in text, name
    assert str(model.count_params()) in text.replace(",", "")


def test_summary_names_operation_nodes_by_their_keras_class(capsys):
    # as Keras's summary: "mean (Mean)", "get_item (GetItem)", not the replaying layer's class
    from convkit import ops

    inp = Input(shape=(6, 8))
    h = Dense(8, name="proj")(inp)
    model = Model(inp, ops.mean(h, axis=1) + h[:, 0])
    model.summary()
    text = capsys.readouterr().out
    for kind in ("(Mean)", "(GetItem)", "(Add)"):
        assert kind in text, kind
    assert "KerasOperation" not in text


def test_disconnected_graph_raises():
    a = Input(shape=(4,))
    b = Input(shape=(4,))
    out = Dense(2)(b)
    with pytest.raises(ValueError):
        Model(a, out)


def test_flatten_dense_tail(rng, assert_close):
    inp = Input(shape=(4, 4, 2))
    out = Dense(3)(Flatten()(inp))
    model = Model(inp, out)
    x = rng.standard_normal((2, 4, 4, 2)).astype(np.float32)
    k, b = model.get_weights()
    assert_close(model.predict(x, verbose=0), x.reshape(2, -1).astype(np.float64) @ k + b)


def test_predict_input_checks_and_dict_inputs(rng, assert_close):
    a = Input(shape=(4,), name="a")
    b = Input(shape=(4,), name="b")
    model = Model([a, b], add([a, b]))
    xa = rng.standard_normal((3, 4)).astype(np.float32)
    xb = rng.standard_normal((3, 4)).astype(np.float32)
    assert_close(model.predict({"a": xa, "b": xb}, verbose=0), xa.astype(np.float64) + xb)
    with pytest.raises(ValueError):
        model.predict(xa, verbose=0)  # one array for two inputs
    with pytest.raises(ValueError):
        model.predict([xa, xb[:2]], verbose=0)  # different sample counts


def test_nested_sequential_and_multi_output_config(rng, assert_close):
    from convkit.models import Sequential
    inp = Input(shape=(4,))
    inner = Sequential([Dense(3, activation="relu", input_shape=(4,))])
    model = Model(inp, [Dense(2)(inner(inp)), Dense(1)(inp)])
    assert len(model.get_weights()) == 6
    x = rng.standard_normal((5, 4)).astype(np.float32)
    y1, y2 = model.predict(x, verbose=0)
    k0, b0, k1, b1, k2, b2 = model.get_weights()
    h = np.maximum(x.astype(np.float64) @ k0 + b0, 0)
    assert_close(y1, h @ k1 + b1)
    assert_close(y2, x.astype(np.float64) @ k2 + b2)
    clone = Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    for a, b in zip(clone.predict(x, verbose=0), (y1, y2), strict=True):
        np.testing.assert_array_equal(a, b)
