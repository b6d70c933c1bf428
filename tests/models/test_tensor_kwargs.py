"""Tensors passed to a layer by keyword in a functional model: the recurrent layers' and
Bidirectional's `initial_state=[...]`, MultiHeadAttention's `query=`, `value=`, `key=` and
`attention_mask=`. The model's plan gives the layer the arrays in each call (the same numbers as
calling the layers eagerly), the configs keep them (convkit's form and Keras's), the plan's
fusion and pass-through aliasing never hide an array a keyword reads, and calls without tensor
keywords run as plain steps, as before."""
import json

import numpy as np
import pytest

from convkit import layers as L
from convkit._fusion import FusedStep
from convkit.models import Model, _TensorKwargsStep, clone_model, model_from_json


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _inputs(model, seed=1, n=3):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, (n,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _assert_same(got, want):
    got, want = _as_list(got), _as_list(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray) and g.dtype == np.float32
        np.testing.assert_array_equal(g, w)


# ---- models: each returns (model, eager(xs) computing the same outputs by calling the layers) ----

def _lstm():
    x, h, c = L.Input((5, 3), name="x"), L.Input((4,), name="h"), L.Input((4,), name="c")
    dense, lstm = L.Dense(4, name="state_dense"), L.LSTM(4, return_sequences=True, name="lstm")
    model = Model([x, h, c], lstm(x, initial_state=[dense(h), c]))
    return model, lambda xs: lstm(xs[0], initial_state=[dense(xs[1]), xs[2]])


def _gru_then_simple_rnn():
    # GRU's state as one tensor (not a list); SimpleRNN starting from the GRU's output
    x, h = L.Input((5, 3), name="x"), L.Input((4,), name="h")
    gru = L.GRU(4, go_backwards=True, name="gru")
    rnn = L.SimpleRNN(4, return_state=True, name="rnn")
    first = gru(x, initial_state=h)
    model = Model([x, h], rnn(x, initial_state=[first]))

    def eager(xs):
        return rnn(xs[0], initial_state=[gru(xs[0], initial_state=xs[1])])

    return model, eager


def _bidirectional():
    x, h, c = L.Input((5, 3), name="x"), L.Input((4,), name="h"), L.Input((4,), name="c")
    bi = L.Bidirectional(L.LSTM(4, return_sequences=True, return_state=True), merge_mode=None, name="bi")
    model = Model([x, h, c], bi(x, initial_state=[h, c, c, h]))
    return model, lambda xs: bi(xs[0], initial_state=[xs[1], xs[2], xs[2], xs[1]])


def _conv_lstm(data_format="channels_last"):
    last = data_format == "channels_last"
    x = L.Input((3, 6, 6, 2) if last else (3, 2, 6, 6), name="x")
    h, c = (L.Input((4, 4, 3) if last else (3, 4, 4), name=n) for n in ("h", "c"))
    layer = L.ConvLSTM2D(3, 3, data_format=data_format, return_sequences=True, name="conv_lstm")
    model = Model([x, h, c], layer(x, initial_state=[h, c]))
    return model, lambda xs: layer(xs[0], initial_state=xs[1:])


def _mha_by_keyword():
    q, v, m = L.Input((5, 8), name="q"), L.Input((6, 8), name="v"), L.Input((5, 6), name="m")
    mha = L.MultiHeadAttention(2, 4, name="mha")
    model = Model([q, v, m], mha(query=q, value=v, attention_mask=m))
    return model, lambda xs: mha(xs[0], xs[1], attention_mask=xs[2])


def _mha_key_and_mask():
    q, v, k = L.Input((5, 8), name="q"), L.Input((6, 8), name="v"), L.Input((6, 4), name="k")
    m = L.Input((1, 6), name="m")  # broadcast over the query positions
    mha = L.MultiHeadAttention(2, 4, value_dim=3, name="mha")
    model = Model([q, v, k, m], mha(q, v, key=k, attention_mask=m, use_causal_mask=True))
    return model, lambda xs: mha(xs[0], xs[1], key=xs[2], attention_mask=xs[3], use_causal_mask=True)


def _mha_all_keywords_with_scores():
    q, v, k, m = (L.Input(s, name=n) for s, n in (((5, 8), "q"), ((6, 8), "v"), ((6, 8), "k"), ((5, 6), "m")))
    mha = L.MultiHeadAttention(2, 4, name="mha")
    out = mha(key=k, attention_mask=m, value=v, query=q, return_attention_scores=True)
    return Model([q, v, k, m], out), lambda xs: mha(xs[0], xs[1], xs[2], attention_mask=xs[3],
                                                   return_attention_scores=True)


MODELS = {"lstm": _lstm, "gru_then_simple_rnn": _gru_then_simple_rnn, "bidirectional": _bidirectional,
          "conv_lstm": _conv_lstm, "conv_lstm_channels_first": lambda: _conv_lstm("channels_first"),
          "mha_by_keyword": _mha_by_keyword, "mha_key_and_mask": _mha_key_and_mask,
          "mha_all_keywords_with_scores": _mha_all_keywords_with_scores}


def _model_inputs(name, model):
    xs = _inputs(model)
    if name.startswith("mha"):
        xs[-1] = (xs[-1] > -0.4).astype(np.float32)  # the mask: 1 where attention is allowed
    return xs


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_runs_the_keyword_tensors_as_eager_calls(name):
    model, eager = MODELS[name]()
    _randomize(model)
    xs = _model_inputs(name, model)
    want = eager(xs)
    _assert_same(model.predict(xs, verbose=0), want)
    _assert_same(model(xs), want)
    for got, expected in zip(_as_list(model.predict(xs, batch_size=2, verbose=0)), _as_list(want)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # batches of 2 and 1 round otherwise
    assert any(isinstance(step[0], _TensorKwargsStep) for step in model._plan.steps)
    assert model.compute_output_shape([(None,) + tuple(t.shape[1:]) for t in model.inputs]) is not None


@pytest.mark.parametrize("name", ["lstm", "bidirectional", "conv_lstm", "mha_by_keyword"])
def test_the_keyword_tensors_change_the_result(name):
    """Not ignored: other states / another mask give other outputs."""
    model, _ = MODELS[name]()
    _randomize(model)
    xs = _model_inputs(name, model)
    other = list(xs)
    other[-1] = 1.0 - xs[-1] if name.startswith("mha") else xs[-1] + 0.5
    a, b = _as_list(model.predict(xs, verbose=0))[0], _as_list(model.predict(other, verbose=0))[0]
    assert np.max(np.abs(a - b)) > 1e-3


@pytest.mark.parametrize("name", sorted(MODELS))
def test_config_round_trips(name):
    model, _ = MODELS[name]()
    _randomize(model)
    xs = _model_inputs(name, model)
    want = model.predict(xs, verbose=0)
    config = model.get_config()
    json.dumps(config)  # plain values only
    assert any("tensor_kwargs" in node for entry in config["layers"] for node in entry["inbound_nodes"])
    again = Model.from_config(json.loads(json.dumps(config)))
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    assert again.get_config() == config
    again.set_weights(model.get_weights())
    _assert_same(again.predict(xs, verbose=0), want)
    # Keras's format (`__keras_tensor__` keyword arguments) read back by convkit
    from_json = model_from_json(model.to_json())
    from_json.set_weights(model.get_weights())
    assert [layer.name for layer in from_json.layers] == [layer.name for layer in model.layers]
    _assert_same(from_json.predict(xs, verbose=0), want)
    cloned = clone_model(model)
    cloned.set_weights(model.get_weights())
    _assert_same(cloned.predict(xs, verbose=0), want)


def test_convkit_config_of_keyword_tensors():
    model, _ = _mha_key_and_mask()
    node = model.get_config()["layers"][-1]["inbound_nodes"][0]
    assert node == {"args": [["q", 0, 0], ["v", 0, 0]], "list": False, "kwargs": {"use_causal_mask": True},
                    "tensor_kwargs": {"key": ["k", 0, 0], "attention_mask": ["m", 0, 0]}}
    model, _ = _lstm()
    node = model.get_config()["layers"][-1]["inbound_nodes"][0]
    assert node == {"args": [["x", 0, 0]], "list": False, "kwargs": {},
                    "tensor_kwargs": {"initial_state": [["state_dense", 0, 0], ["c", 0, 0]]}}


def test_keras_form_of_keyword_tensors():
    keras_config = json.loads(_mha_key_and_mask()[0].to_json())["config"]
    node = keras_config["layers"][-1]["inbound_nodes"][0]
    assert [a["config"]["keras_history"] for a in node["args"]] == [["q", 0, 0], ["v", 0, 0]]  # separate
    assert node["kwargs"]["use_causal_mask"] is True
    assert node["kwargs"]["key"]["config"] == {"shape": [None, 6, 4], "dtype": "float32", "keras_history": ["k", 0, 0]}
    assert node["kwargs"]["attention_mask"]["config"]["keras_history"] == ["m", 0, 0]
    assert keras_config["layers"][-1]["build_config"] == {
        "shapes_dict": {"query_shape": [None, 5, 8], "value_shape": [None, 6, 8], "key_shape": [None, 6, 4]}}
    lstm = json.loads(_lstm()[0].to_json())["config"]["layers"][-1]
    assert set(lstm["inbound_nodes"][0]["kwargs"]) == {"initial_state"}  # as Keras: no implicit training / mask
    assert lstm["build_config"] == {"shapes_dict": {"sequences_shape": [None, 5, 3],
                                                    "initial_state_shape": [[None, 4], [None, 4]]}}
    gru = json.loads(_gru_then_simple_rnn()[0].to_json())["config"]["layers"]
    gru = next(entry for entry in gru if entry["name"] == "gru")
    assert gru["build_config"]["shapes_dict"]["initial_state_shape"] == [None, 4]  # one tensor, not a list


def test_layers_in_keras_order():
    """Keras visits a call's tensors in its arguments' order: positional ones, then keyword ones
    by name; that order fixes the model's layer order and weight order."""
    q, v, m = L.Input((5, 8), name="q"), L.Input((6, 8), name="v"), L.Input((5, 6), name="m")
    dq, dv, dm = L.Dense(8, name="dq"), L.Dense(8, name="dv"), L.Dense(6, name="dm")
    model = Model([q, v, m], L.MultiHeadAttention(2, 4, name="mha")(query=dq(q), value=dv(v), attention_mask=dm(m)))
    assert [layer.name for layer in model.layers] == ["m", "q", "v", "dm", "dq", "dv", "mha"]
    positional = Model([q, v, m], L.MultiHeadAttention(2, 4, name="mha2")(dq(q), dv(v), attention_mask=dm(m)))
    assert [layer.name for layer in positional.layers] == ["q", "v", "m", "dq", "dv", "dm", "mha2"]
    assert model.get_weights()[0].shape == dm.kernel.shape


def test_models_without_keyword_tensors_keep_plain_steps():
    x, q = L.Input((5, 3)), L.Input((4, 6))
    lstm, mha = L.LSTM(2), L.MultiHeadAttention(2, 3)
    model = Model([x, q], [lstm(x), mha(q, q)])
    assert [step[0] for step in model._plan.steps] == [lstm, mha]  # the layers themselves, no wrapper
    config = model.get_config()
    assert not any("tensor_kwargs" in node for entry in config["layers"] for node in entry["inbound_nodes"])
    assert config["layers"][-1]["inbound_nodes"][0]["list"] is True


def test_fusion_keeps_an_array_a_keyword_reads():
    """Dense -> BatchNormalization -> ReLU, where the BatchNormalization's output is also an
    LSTM's initial state: only Dense + BatchNormalization fuse (their output stays visible);
    a Dense -> ReLU whose output only starts an LSTM fuses whole."""
    x, h = L.Input((4, 3), name="x"), L.Input((5,), name="h")
    dense, bn, relu = L.Dense(3, name="dense"), L.BatchNormalization(name="bn"), L.ReLU(name="relu")
    dense2, relu2 = L.Dense(3, name="dense2"), L.ReLU(name="relu2")
    lstm_a, lstm_b = L.LSTM(3, name="lstm_a"), L.LSTM(3, name="lstm_b")
    normed = bn(dense(h))
    c = relu2(dense2(h))
    model = Model([x, h], [lstm_a(x, initial_state=[normed, c]), lstm_b(x, initial_state=[relu(normed), c])])
    _randomize(model)
    g, b, mean, var = bn.get_weights()
    bn.set_weights([g, b, mean, np.abs(var) + 0.5])
    assert sorted(step.name for step in (s[0] for s in model._plan.steps) if isinstance(step, FusedStep)) == [
        "dense+bn", "dense2+relu2"]
    xs = _inputs(model)
    normed_v = bn(dense(xs[1]))
    c_v = relu2(dense2(xs[1]))
    want = [lstm_a(xs[0], initial_state=[normed_v, c_v]), lstm_b(xs[0], initial_state=[relu(normed_v), c_v])]
    for got, expected in zip(model.predict(xs, verbose=0), want):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # folding moves one multiply


def test_pass_through_layer_before_a_keyword():
    x, h = L.Input((4, 3)), L.Input((3,))
    dropout, lstm = L.Dropout(0.5), L.LSTM(3)
    model = Model([x, h], lstm(x, initial_state=[dropout(h), h]))
    _randomize(model)
    assert dropout not in [step[0] for step in model._plan.steps]  # its input is read directly
    xs = _inputs(model)
    _assert_same(model.predict(xs, verbose=0), lstm(xs[0], initial_state=[xs[1], xs[1]]))


def test_shared_layer_with_two_initial_states_and_freed_arrays():
    x, h1, h2 = L.Input((4, 3)), L.Input((3,)), L.Input((3,))
    rnn = L.SimpleRNN(3, return_sequences=True)
    first = rnn(x, initial_state=h1)
    model = Model([x, h1, h2], rnn(first, initial_state=[h2]))
    _randomize(model)
    xs = _inputs(model)
    _assert_same(model.predict(xs, verbose=0), rnn(rnn(xs[0], initial_state=xs[1]), initial_state=[xs[2]]))
    plan = model._plan
    freed = sorted(s for slots in plan.free_after for s in slots)
    assert freed == sorted(set(range(plan.n_slots)) - set(plan.output_slots))  # every array is dropped once read


def test_array_likes_in_and_inputs_untouched():
    model, eager = _lstm()
    _randomize(model)
    xs = _inputs(model)
    copies = [x.copy() for x in xs]
    want = eager(xs)
    variants = [xs[0].tolist(), np.asfortranarray(xs[1].astype(np.float64)), np.repeat(xs[2], 2, axis=1)[:, ::2]]
    got = model.predict(variants, verbose=0)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    model.predict(xs, verbose=0)
    for x, c in zip(xs, copies):
        np.testing.assert_array_equal(x, c)


def test_summary_lists_the_keyword_tensors():
    model, _ = _lstm()
    lines = []
    model.summary(print_fn=lines.append)
    row = next(line for line in lines if line.startswith("| lstm (LSTM)"))
    assert "x[0][0]" in row and "state_dense[0][0]" in row and "c[0][0]" in row


# ---- refused calls -----------------------------------------------------------------------------

def test_recurrent_initial_state_checks():
    x, h = L.Input((5, 3)), L.Input((4,))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        L.LSTM(4)(x, initial_state=[h])
    with pytest.raises(ValueError, match=r"must have shape \(None, 4\).*\(None, 3\)"):
        L.GRU(4)(x, initial_state=L.Input((3,)))
    with pytest.raises(ValueError, match="expects 4 initial state"):
        L.Bidirectional(L.LSTM(4))(x, initial_state=[h, h])
    with pytest.raises(ValueError, match=r"must have shape \(None, 4, 4, 2\)"):
        L.ConvLSTM2D(2, 3)(L.Input((3, 6, 6, 2)), initial_state=[L.Input((6, 6, 2))] * 2)
    with pytest.raises(ValueError, match="symbolic inputs"):
        L.SimpleRNN(4)(np.zeros((2, 5, 3), np.float32), initial_state=[h])
    with pytest.raises(ValueError, match="mixes"):
        L.LSTM(4)(x, initial_state=[h, np.zeros((1, 4), np.float32)])


def test_keyword_tensors_a_call_does_not_take_are_refused():
    x, t = L.Input((4,)), L.Input((4,))
    dense = L.Dense(2)
    with pytest.raises(TypeError, match="does not take a tensor argument `scale`"):
        dense(x, scale=t)
    assert dense._inbound_nodes == []  # nothing recorded
    q = L.Input((4, 6))
    with pytest.raises(TypeError, match="does not use a mask"):
        dense(x, mask=L.Input((4,)))
    with pytest.raises(TypeError, match="attention_mask"):
        L.Attention()([q, q], attention_mask=L.Input((4, 4)))


def test_multi_head_attention_keyword_checks():
    q, v = L.Input((5, 8)), L.Input((6, 8))
    mha = L.MultiHeadAttention(2, 4)
    with pytest.raises(ValueError, match="broadcastable"):
        mha(q, v, attention_mask=L.Input((5, 5)))
    with pytest.raises(ValueError, match="symbolic query and value"):
        mha(np.zeros((1, 5, 8), np.float32), np.zeros((1, 6, 8), np.float32), attention_mask=L.Input((5, 6)))
    with pytest.raises(TypeError, match="multiple values for argument `query`"):
        mha(q, query=q, value=v)
    with pytest.raises(ValueError, match=r"Missing: \['value'\]"):
        mha(query=q, key=v)
    with pytest.raises(ValueError, match="query_mask"):
        mha(q, v, query_mask=L.Input((5,)))
    assert mha(q, v, attention_mask=L.Input((1, 6))).shape == (None, 5, 8)  # size 1 broadcasts
    assert mha(q, v, attention_mask=L.Input((6,))).shape == (None, 5, 8)


def test_a_mask_tensor_in_a_keras_config_is_given_to_the_layer():
    """A Keras config whose node passes a mask tensor (mask=, as Keras writes the masks of
    Embedding(mask_zero=True) and Masking) loads, and the layer uses that mask."""
    x, m = L.Input((5, 3), name="x"), L.Input((5,), name="m")
    lstm = L.LSTM(4, return_sequences=True, name="lstm")
    model = Model([x, m], lstm(x, mask=m))
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 5, 3)).astype(np.float32), np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], np.float32)]
    loaded = model_from_json(model.to_json())
    loaded.set_weights(model.get_weights())
    want = lstm(xs[0], mask=xs[1].astype(bool))
    np.testing.assert_array_equal(model.predict(xs, verbose=0), want)
    np.testing.assert_array_equal(loaded.predict(xs, verbose=0), want)
    assert not np.allclose(want, lstm(xs[0]))


