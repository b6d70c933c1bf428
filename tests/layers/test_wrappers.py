"""TimeDistributed, Bidirectional and Wrapper: outputs against per-slice / per-direction references,
weights, shapes, configs, argument checks and input handling (no Keras needed; the parity with
Keras is in tests/keras_parity/test_keras_wrappers.py)."""
import numpy as np
import pytest

import convkit
from convkit import layers
from convkit.layers import (
    GRU, LSTM, Bidirectional, Conv2D, Dense, Dropout, MaxPooling2D, SimpleRNN, TimeDistributed, Wrapper,
)
from layer_helpers import random_weights


def _simple_rnn(x, kernel, recurrent_kernel, bias):
    """NumPy SimpleRNN over the time axis (float64): the sequence of hidden states."""
    h = np.zeros((x.shape[0], kernel.shape[1]))
    seq = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        seq.append(h)
    return np.stack(seq, 1)


# ---- TimeDistributed -------------------------------------------------------------------------

def test_time_distributed_dense_is_dense_on_every_step(rng, assert_close):
    layer = TimeDistributed(Dense(3, activation="tanh"))
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert_close(y, np.tanh(x.astype(np.float64) @ kernel + bias))
    assert y.shape == (2, 5, 3) and y.flags.c_contiguous


@pytest.mark.parametrize("inner, shape", [
    (lambda: Conv2D(3, 3, padding="same", activation="relu"), (2, 4, 6, 5, 2)),
    (lambda: Conv2D(2, 2, strides=2, data_format="channels_first"), (1, 3, 2, 6, 4)),
    (lambda: MaxPooling2D(2), (3, 2, 6, 6, 3)),
])
def test_time_distributed_matches_the_inner_layer_slice_by_slice(inner, shape, rng, assert_close):
    layer = TimeDistributed(inner())
    x = rng.standard_normal(shape).astype(np.float32)
    y = layer(x)
    if layer.weights:
        random_weights(layer, rng)
        y = layer(x)
    per_step = np.stack([layer.layer(x[:, t]) for t in range(shape[1])], axis=1)
    assert_close(y, per_step)
    assert tuple(layer.compute_output_shape((None,) + shape[1:])) == (None,) + y.shape[1:]


def test_time_distributed_weights_are_the_inner_layers():
    inner = Dense(4)
    layer = TimeDistributed(inner)
    layer.build((None, 3, 2))
    assert inner.built and layer.weights == inner.weights
    assert [w.shape for w in layer.weights] == [(2, 4), (4,)]
    assert layer.count_params() == 12
    new = [np.full((2, 4), 0.5, np.float32), np.arange(4, dtype=np.float32)]
    layer.set_weights(new)
    for got, want in zip(inner.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    y = layer(np.ones((1, 3, 2), np.float32))
    np.testing.assert_allclose(y, np.broadcast_to(1.0 + np.arange(4), (1, 3, 4)))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_time_distributed_in_a_model(rng, assert_close):
    inp = convkit.Input((4, 8, 8, 2))
    x = TimeDistributed(Conv2D(3, 3, padding="same"))(inp)
    x = TimeDistributed(MaxPooling2D(2))(x)
    x = layers.Reshape((4, 48))(x)
    out = TimeDistributed(Dense(2))(x)
    model = convkit.Model(inp, out)
    assert out.shape == (None, 4, 2)
    random_weights(model, rng)
    data = rng.standard_normal((3, 4, 8, 8, 2)).astype(np.float32)
    y = model.predict(data)
    conv, pool, dense = (model.layers[i].layer for i in (1, 2, 4))
    want = np.stack([dense(pool(conv(data[:, t])).reshape(3, 48)) for t in range(4)], axis=1)
    assert_close(y, want)


def test_time_distributed_bad_arguments():
    with pytest.raises(ValueError, match="Please initialize `TimeDistributed` layer with a"):
        TimeDistributed("dense")
    with pytest.raises(ValueError, match="Please initialize `TimeDistributed` layer with a"):
        TimeDistributed(Dense)  # the class, not an instance
    with pytest.raises(ValueError, match="at least 3 dimensions, received: \\(2, 3\\)"):
        TimeDistributed(Dense(2))(np.zeros((2, 3), np.float32))
    built = TimeDistributed(Dense(2))
    built(np.zeros((1, 2, 3), np.float32))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        built(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        built.compute_output_shape((None, 3))
    with pytest.raises(ValueError, match="single output"):
        TimeDistributed(LSTM(2, return_state=True))(np.zeros((1, 2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="single output"):
        TimeDistributed(LSTM(2, return_state=True)).compute_output_shape((None, 2, 3, 4))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        built(np.zeros((1, 2, 4), np.float32))


def test_time_distributed_refuses_training_only_where_the_inner_layer_differs():
    x = np.ones((1, 2, 3), np.float32)
    np.testing.assert_array_equal(TimeDistributed(Dropout(0.0))(x, training=True), x)
    with pytest.raises(ValueError, match="training=True"):
        TimeDistributed(Dropout(0.5))(x, training=True)


def test_time_distributed_config_round_trip(rng):
    layer = TimeDistributed(Conv2D(2, 3, padding="same", name="conv"), name="td")
    config = layer.get_config()
    assert list(config) == ["name", "trainable", "dtype", "layer"]
    assert config["layer"]["class_name"] == "Conv2D"
    assert set(config["layer"]) == {"module", "class_name", "config", "registered_name"}
    assert config["layer"]["config"]["name"] == "conv"
    clone = TimeDistributed.from_config(config)
    assert clone.name == "td" and clone.layer is not layer.layer and clone.get_config() == config
    x = rng.standard_normal((2, 3, 5, 5, 1)).astype(np.float32)
    layer(x)
    clone(x)
    random_weights(layer, rng)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), layer(x))
    assert type(layers.deserialize(layers.serialize(layer))) is TimeDistributed


# ---- Bidirectional ---------------------------------------------------------------------------

def _directions(layer, x):
    """The forward and backward layers' outputs, the backward sequence put back in time order."""
    y, y_rev = layer.forward_layer(x), layer.backward_layer(x)
    states = []
    if layer.return_state:
        states = y[1:] + y_rev[1:]
        y, y_rev = y[0], y_rev[0]
    if layer.return_sequences:
        y_rev = y_rev[:, ::-1]
    return y.astype(np.float64), y_rev.astype(np.float64), states


@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_simple_rnn_matches_numpy(return_sequences, rng, assert_close):
    layer = Bidirectional(SimpleRNN(3, return_sequences=return_sequences))
    x = rng.standard_normal((2, 6, 4)).astype(np.float32)
    layer.build(x.shape)
    w = random_weights(layer, rng)
    forward = _simple_rnn(x.astype(np.float64), *w[:3])
    backward = _simple_rnn(x[:, ::-1].astype(np.float64), *w[3:])
    if return_sequences:
        want = np.concatenate([forward, backward[:, ::-1]], axis=-1)
    else:
        want = np.concatenate([forward[:, -1], backward[:, -1]], axis=-1)
    assert_close(layer(x), want)


@pytest.mark.parametrize("kind", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_bidirectional_merges_the_two_directions(kind, merge_mode, return_sequences, return_state, rng,
                                                 assert_close):
    layer = Bidirectional(kind(3, return_sequences=return_sequences, return_state=return_state),
                          merge_mode=merge_mode)
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    layer.build(x.shape)
    random_weights(layer, rng)
    out = layer(x)
    y, y_rev, states = _directions(layer, x)
    merged = {"concat": lambda: [np.concatenate([y, y_rev], -1)], "sum": lambda: [y + y_rev],
              "mul": lambda: [y * y_rev], "ave": lambda: [(y + y_rev) / 2], None: lambda: [y, y_rev]}[merge_mode]()
    want = merged + states
    if len(want) == 1:
        assert isinstance(out, np.ndarray)
        out = [out]
    assert isinstance(out, list) and len(out) == len(want)
    for got, expected in zip(out, want):
        assert_close(got, expected)
        assert got.flags.c_contiguous
    for i, a in enumerate(out):  # no returned array shares memory with another
        assert not any(np.shares_memory(a, b) for b in out[i + 1:])
    shapes = layer.compute_output_shape((None, 5, 4))
    shapes = shapes if isinstance(shapes, list) else [shapes]
    assert [tuple(s) for s in shapes] == [(None,) + a.shape[1:] for a in out]


def test_bidirectional_sublayers_names_and_weight_order():
    layer = Bidirectional(LSTM(4, name="enc"))
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_enc", "backward_enc")
    assert not layer.forward_layer.go_backwards and layer.backward_layer.go_backwards
    assert layer.name.startswith("bidirectional")
    renamed = Bidirectional(GRU(2, name="forward_gru"))
    assert (renamed.forward_layer.name, renamed.backward_layer.name) == ("forward_gru", "backward_forward_gru")
    original = LSTM(4)
    wrapped = Bidirectional(original)
    assert wrapped.forward_layer is not original and not original.built
    wrapped.build((None, 7, 3))
    assert [w.shape for w in wrapped.weights] == [(3, 16), (4, 16), (16,)] * 2
    assert wrapped.weights == wrapped.forward_layer.weights + wrapped.backward_layer.weights
    assert wrapped.count_params() == 2 * (48 + 64 + 16)


def test_bidirectional_set_weights_goes_forward_then_backward(rng):
    layer = Bidirectional(SimpleRNN(2))
    layer.build((None, 3, 2))
    w = [(rng.standard_normal(a.shape)).astype(np.float32) for a in layer.get_weights()]
    layer.set_weights(w)
    for got, want in zip(layer.forward_layer.get_weights() + layer.backward_layer.get_weights(), w):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="was expecting 6 weights"):
        layer.set_weights(w[:3])


def test_bidirectional_weights_argument(rng):
    source = Bidirectional(GRU(2))
    source.build((None, 4, 3))
    w = random_weights(source, rng)
    layer = Bidirectional(GRU(2), weights=w)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(layer(x), source(x))


def test_bidirectional_backward_layer(rng, assert_close):
    forward = SimpleRNN(3, return_sequences=True)
    backward = SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True, name="back")
    layer = Bidirectional(forward, backward_layer=backward, merge_mode="sum")
    assert layer.backward_layer is backward and layer.backward_layer.name == "back"
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    layer.build(x.shape)
    random_weights(layer, rng)
    y, y_rev, _ = _directions(layer, x)
    assert_close(layer(x), y + y_rev)
    kb, rb, bb = backward.get_weights()
    h = np.zeros((2, 3))
    for t in range(4, -1, -1):  # the relu layer, by hand, from the last step
        h = np.maximum(x[:, t] @ kb + h @ rb + bb, 0)
    assert_close(y_rev[:, 0].astype(np.float32), h)


def test_bidirectional_initial_state_is_split_between_the_directions(rng, assert_close):
    layer = Bidirectional(LSTM(2), merge_mode=None)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    layer.build(x.shape)
    random_weights(layer, rng)
    states = [rng.standard_normal((2, 2)).astype(np.float32) for _ in range(4)]
    y, y_rev = layer(x, initial_state=states)
    assert_close(y, layer.forward_layer(x, initial_state=states[:2]))
    assert_close(y_rev, layer.backward_layer(x, initial_state=states[2:]))
    with pytest.raises(ValueError, match="expects 4 initial state"):
        layer(convkit.Input((3, 4)), initial_state=[convkit.Input((2,))] * 2)


def test_bidirectional_in_a_model(rng, assert_close):
    inp = convkit.Input((6, 3))
    outs = Bidirectional(GRU(2, return_sequences=True, return_state=True), merge_mode="ave")(inp)
    assert [t.shape for t in outs] == [(None, 6, 2), (None, 2), (None, 2)]
    model = convkit.Model(inp, outs)
    random_weights(model, rng)
    x = rng.standard_normal((3, 6, 3)).astype(np.float32)
    got = model.predict(x)
    want = model.layers[1](x)
    for a, b in zip(got, want):
        assert_close(a, b)


def test_bidirectional_bad_arguments():
    with pytest.raises(ValueError, match="Please initialize `Bidirectional` layer with a"):
        Bidirectional("lstm")
    with pytest.raises(ValueError, match="`backward_layer` need to be a"):
        Bidirectional(LSTM(2), backward_layer="lstm")
    for mode in ("max", "", "CONCAT", 1, ["concat"]):
        with pytest.raises(ValueError, match="Invalid merge mode"):
            Bidirectional(LSTM(2), merge_mode=mode)
    with pytest.raises(TypeError, match="recurrent layer.*Dense"):
        Bidirectional(Dense(2))
    with pytest.raises(TypeError, match="recurrent layer.*Conv2D"):
        Bidirectional(LSTM(2), backward_layer=Conv2D(2, 3))
    with pytest.raises(ValueError, match="different `go_backwards` value"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="different `go_backwards` value"):
        Bidirectional(LSTM(2, go_backwards=True))  # Keras's backward copy runs backwards too
    with pytest.raises(ValueError, match='same value for attribute "return_sequences"'):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match='same value for attribute "return_state"'):
        Bidirectional(GRU(2), backward_layer=GRU(2, go_backwards=True, return_state=True))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        Bidirectional(LSTM(2))(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        Bidirectional(LSTM(2), go_backwards=True)
    with pytest.raises(ValueError, match="training=True"):
        Bidirectional(LSTM(2, dropout=0.5))(np.zeros((1, 2, 3), np.float32), training=True)


def test_bidirectional_config_round_trip(rng):
    layer = Bidirectional(GRU(3, reset_after=False, return_sequences=True, name="g"), merge_mode="mul",
                          backward_layer=GRU(3, reset_after=False, return_sequences=True, go_backwards=True,
                                             activation="relu", name="rev"), name="bi")
    config = layer.get_config()
    assert list(config) == ["name", "trainable", "dtype", "merge_mode", "layer", "backward_layer"]
    assert config["layer"]["config"]["name"] == "forward_g"
    assert config["backward_layer"]["config"]["name"] == "rev"
    assert config["backward_layer"]["config"]["activation"] == "relu"
    assert all(set(config[k]) == {"module", "class_name", "config", "registered_name"}
               for k in ("layer", "backward_layer"))
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == config
    assert (clone.forward_layer.name, clone.backward_layer.name) == ("forward_g", "rev")
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    layer.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(random_weights(layer, rng))
    np.testing.assert_array_equal(clone(x), layer(x))
    assert type(layers.deserialize(layers.serialize(layer))) is Bidirectional


# ---- both: input handling, Wrapper ----------------------------------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda: TimeDistributed(Dense(3)), (2, 4, 5)),
    (lambda: TimeDistributed(Conv2D(2, 3)), (2, 3, 5, 5, 2)),
    (lambda: Bidirectional(LSTM(3, return_sequences=True)), (2, 4, 5)),
    (lambda: Bidirectional(GRU(3), merge_mode=None), (2, 4, 5)),
])
def test_any_array_like_input_and_inputs_left_unchanged(make, shape, rng):
    layer = make()
    x64 = rng.standard_normal(shape)
    layer.build(shape)
    random_weights(layer, rng)
    want = layer(x64.astype(np.float32))
    want = want if isinstance(want, list) else [want]
    before = x64.copy()
    fortran = np.asfortranarray(x64)
    strided = np.repeat(x64, 2, axis=-1)[..., ::2]
    for x in (x64, x64.tolist(), fortran, strided, x64.astype(np.float32)):
        got = layer(x)
        got = got if isinstance(got, list) else [got]
        for g, w in zip(got, want):
            assert g.dtype == np.float32 and g.flags.c_contiguous
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x64, before)
    np.testing.assert_array_equal(fortran, before)
    x32 = before.astype(np.float32)
    copy32 = x32.copy()
    out = layer(x32)
    np.testing.assert_array_equal(x32, copy32)
    assert not any(np.shares_memory(o, x32) for o in (out if isinstance(out, list) else [out]))


def test_wrapper_base():
    with pytest.raises(ValueError, match="isn't a supported layer type"):
        Wrapper(3)
    wrapper = Wrapper(Dense(2), name="w")
    assert list(wrapper.get_config()) == ["name", "trainable", "dtype", "layer"]
    wrapper.build((None, 3))
    assert wrapper.layer.built and len(wrapper.weights) == 2
    with pytest.raises(NotImplementedError, match="abstract"):
        wrapper(np.zeros((1, 3), np.float32))
    clone = Wrapper.from_config(wrapper.get_config())
    assert isinstance(clone.layer, Dense) and clone.layer.units == 2
    assert not isinstance(Bidirectional(LSTM(2)), Wrapper)  # as in Keras
    assert isinstance(TimeDistributed(Dense(2)), Wrapper)
