"""ConvLSTM1D/2D/3D against a NumPy loop written from Keras's cell: per gate (i, f, c, o) a
convolution of the step's input with its slice of the kernel (strides, padding, dilation, plus its
slice of the bias) and a 'same', stride-1 convolution of h with its slice of the recurrent kernel."""
import numpy as np
import pytest

import reference as ref
from layer_helpers import shapes, to_format

from convkit.layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from convkit.models import Input, Model, Sequential

LAYERS = {1: ConvLSTM1D, 2: ConvLSTM2D, 3: ConvLSTM3D}


def _conv_lstm(x, W, U, b, strides=1, padding="valid", dilation_rate=1, activation="tanh",
               recurrent_activation="sigmoid", go_backwards=False, initial_state=None):
    """Channels-last oracle in float64: x (N, T, spatial..., C) -> (every step's h, [h, c])."""
    x = np.asarray(x, np.float64)
    if go_backwards:
        x = x[:, ::-1]
    f = U.shape[-2]
    act = lambda v: ref.activation(v, activation)  # noqa: E731
    rec = lambda v: ref.activation(v, recurrent_activation)  # noqa: E731

    def gate(xt, h, k):
        part = slice(k * f, (k + 1) * f)
        bias = None if b is None else b[part]
        return (ref.conv(xt, W[..., part], strides, padding, dilation_rate, bias=bias)
                + ref.conv(h, U[..., part], 1, "same"))

    h = c = None
    if initial_state is not None:
        h, c = (np.asarray(s, np.float64) for s in initial_state)
    outs = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        if h is None:
            out_shape = ref.conv(xt, W[..., :f], strides, padding, dilation_rate).shape
            h, c = np.zeros(out_shape), np.zeros(out_shape)
        i, fg, g, o = rec(gate(xt, h, 0)), rec(gate(xt, h, 1)), act(gate(xt, h, 2)), rec(gate(xt, h, 3))
        c = fg * c + i * g
        h = o * act(c)
        outs.append(h)
    return np.stack(outs, 1), [h, c]


def _seq_to_format(y, data_format):
    """(N, T, spatial..., C) -> (N, T, C, spatial...) when channels_first."""
    return np.moveaxis(y, -1, 2) if data_format == "channels_first" else y


def _random_layer(layer, shape, rng, scale=0.5):
    layer.build(shape)
    weights = [(rng.standard_normal(w.shape) * scale).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


CASES = [
    # rank, layer arguments, input shape (channels last, time second)
    (1, dict(filters=3, kernel_size=3), (2, 4, 9, 2)),
    (1, dict(filters=2, kernel_size=4, padding="same"), (2, 3, 7, 3)),
    (1, dict(filters=2, kernel_size=3, strides=2, padding="same"), (1, 3, 9, 2)),
    (1, dict(filters=2, kernel_size=3, dilation_rate=2), (2, 3, 10, 2)),
    (2, dict(filters=3, kernel_size=3), (2, 4, 6, 7, 2)),
    (2, dict(filters=2, kernel_size=(2, 3), strides=(2, 1), padding="same"), (2, 3, 7, 6, 3)),
    (2, dict(filters=4, kernel_size=3, dilation_rate=(2, 1), padding="same", use_bias=False), (1, 3, 7, 5, 2)),
    (2, dict(filters=2, kernel_size=1), (3, 2, 4, 4, 5)),
    (3, dict(filters=2, kernel_size=2, padding="same"), (1, 3, 3, 4, 5, 2)),
    (3, dict(filters=2, kernel_size=(3, 2, 2), strides=2), (2, 2, 5, 4, 5, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{'-'.join(f'{k}{v}' for k, v in c[1].items())}")
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("return_sequences, go_backwards", [(False, False), (True, False), (True, True)])
def test_conv_lstm_matches_numpy(case, data_format, return_sequences, go_backwards, rng, assert_close):
    rank, kwargs, shape = case
    x_last = rng.standard_normal(shape).astype(np.float32)
    x = _seq_to_format(x_last, data_format)
    layer = LAYERS[rank](data_format=data_format, return_sequences=return_sequences, go_backwards=go_backwards,
                         **kwargs)
    weights = _random_layer(layer, x.shape, rng)
    W, U = weights[0], weights[1]
    b = weights[2] if len(weights) == 3 else None
    seq, _ = _conv_lstm(x_last, W, U, b, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                        kwargs.get("dilation_rate", 1), go_backwards=go_backwards)
    y = layer(x)
    if return_sequences:
        assert_close(y, _seq_to_format(seq, data_format))
    else:
        assert_close(y, to_format(seq[:, -1], data_format))
    assert y.flags.c_contiguous
    assert tuple(layer.compute_output_shape((None, None) + x.shape[2:])) == (None,) * (1 + return_sequences) + \
        y.shape[1 + return_sequences:]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state_and_initial_state(data_format, return_sequences, rng, assert_close):
    x_last = rng.standard_normal((2, 3, 6, 5, 2)).astype(np.float32)
    x = _seq_to_format(x_last, data_format)
    layer = ConvLSTM2D(3, 3, padding="same", strides=(2, 1), data_format=data_format, return_state=True,
                       return_sequences=return_sequences)
    W, U, b = _random_layer(layer, x.shape, rng)
    h0 = rng.standard_normal((2, 3, 5, 3)).astype(np.float32)
    c0 = rng.standard_normal((2, 3, 5, 3)).astype(np.float32)
    seq, (h, c) = _conv_lstm(x_last, W, U, b, (2, 1), "same", initial_state=[h0, c0])
    out = layer(x, initial_state=[to_format(h0, data_format), to_format(c0, data_format)])
    assert isinstance(out, list) and len(out) == 3
    assert_close(out[0], _seq_to_format(seq, data_format) if return_sequences else to_format(h, data_format))
    assert_close(out[1], to_format(h, data_format))
    assert_close(out[2], to_format(c, data_format))
    assert [tuple(s) for s in layer.compute_output_shape(x.shape)] == [o.shape for o in out]
    # the states may also come as the second positional argument, as Keras's call takes them
    positional = layer(x, [to_format(h0, data_format), to_format(c0, data_format)])
    for a, e in zip(positional, out):
        np.testing.assert_array_equal(a, e)
    # and zero initial states equal no initial state
    zeros = [np.zeros_like(to_format(h0, data_format))] * 2
    for a, e in zip(layer(x, initial_state=zeros), layer(x)):
        np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("activation, recurrent_activation", [("relu", "hard_sigmoid"), ("linear", "tanh"),
                                                              ("gelu", "softsign")])
def test_activation_arguments(activation, recurrent_activation, rng, assert_close):
    layer = ConvLSTM1D(2, 3, activation=activation, recurrent_activation=recurrent_activation,
                       return_sequences=True)
    x = rng.standard_normal((2, 4, 8, 3)).astype(np.float32)
    W, U, b = _random_layer(layer, x.shape, rng)
    seq, _ = _conv_lstm(x, W, U, b, activation=activation, recurrent_activation=recurrent_activation)
    assert_close(layer(x), seq)


def test_callable_activation(rng, assert_close):
    layer = ConvLSTM1D(2, 2, activation=lambda v: np.maximum(v, 0) * 0.5)
    x = rng.standard_normal((2, 3, 5, 2)).astype(np.float32)
    W, U, b = _random_layer(layer, x.shape, rng)
    h = c = np.zeros((2, 4, 2))
    for t in range(3):  # the gates, written out again with the user's function in place of tanh
        z = ref.conv(x[:, t], W, bias=b) + ref.conv(h, U, padding="same")
        i, f, g, o = (ref.activation(z[..., k * 2:(k + 1) * 2], "sigmoid") for k in range(4))
        c = f * c + i * np.maximum(z[..., 4:6], 0) * 0.5
        h = o * np.maximum(c, 0) * 0.5
    assert_close(layer(x), h)


@pytest.mark.parametrize("rank, shape", [(1, (None, 5, 9, 3)), (2, (None, 5, 6, 7, 3)), (3, (None, 5, 4, 6, 7, 3))])
def test_weight_layout(rank, shape):
    layer = LAYERS[rank](4, 3)
    layer.build(shape)
    k = (3,) * rank
    assert shapes(layer.get_weights()) == [k + (3, 16), k + (4, 16), (16,)]
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert layer.count_params() == 3 ** rank * (3 + 4) * 16 + 16
    no_bias = LAYERS[rank](4, 3, use_bias=False)
    no_bias.build(shape)
    assert shapes(no_bias.get_weights()) == [k + (3, 16), k + (4, 16)]


@pytest.mark.parametrize("unit_forget_bias, expected", [(True, [0, 0, 1, 1, 0, 0, 0, 0]), (False, [0] * 8)])
def test_unit_forget_bias(unit_forget_bias, expected):
    layer = ConvLSTM2D(2, 3, unit_forget_bias=unit_forget_bias)
    layer.build((None, 2, 5, 5, 1))
    np.testing.assert_array_equal(layer.get_weights()[2], np.array(expected, np.float32))


def test_channels_first_build_uses_axis_2_for_channels():
    layer = ConvLSTM2D(3, 2, data_format="channels_first")
    layer.build((None, 4, 5, 6, 7))
    assert shapes(layer.get_weights())[:2] == [(2, 2, 5, 12), (2, 2, 3, 12)]
    assert layer.compute_output_shape((None, 4, 5, 6, 7)) == (None, 3, 5, 6)


def test_input_conv_runs_once_and_the_loop_once_per_step(rng, monkeypatch):
    layer = ConvLSTM2D(2, 3, return_sequences=True)
    x = rng.standard_normal((2, 7, 6, 6, 3)).astype(np.float32)
    layer(x)
    prepared = layer._prepared()
    calls = {"input": [], "recurrent": []}
    for key in calls:
        conv = prepared[key]
        prepared[key] = lambda v, conv=conv, key=key: calls[key].append(v.shape) or conv(v)
    layer(x)
    assert calls["input"] == [(14, 6, 6, 3)]  # time folded into the batch
    assert calls["recurrent"] == [(2, 4, 4, 2)] * 6  # not at the first step, where h is zero
    layer(x, initial_state=[np.ones((2, 4, 4, 2))] * 2)
    assert len(calls["recurrent"]) == 6 + 7


def test_array_likes_and_inputs_not_modified(rng, assert_close):
    layer = ConvLSTM1D(2, 3, data_format="channels_first", return_sequences=True, return_state=True)
    x = rng.standard_normal((2, 3, 2, 6))
    h0 = rng.standard_normal((2, 2, 4)).astype(np.float32)
    c0 = rng.standard_normal((2, 2, 4)).astype(np.float32)
    layer.build(x.shape)
    copies = [a.copy() for a in (x, h0, c0)]
    want = layer(x.astype(np.float32), initial_state=[h0, c0])
    for a, b in zip((x, h0, c0), copies):
        np.testing.assert_array_equal(a, b)
    for variant in (x.tolist(), np.asfortranarray(x), np.repeat(x, 2, axis=3)[..., ::2]):
        got = layer(variant, initial_state=[h0.tolist(), c0])
        for g, w in zip(got, want):
            assert g.dtype == np.float32 and g.flags.c_contiguous
            np.testing.assert_array_equal(g, w)
    # channels_last: the input's time-folded view is read, never written
    layer = ConvLSTM2D(2, 3, go_backwards=True)
    x = rng.standard_normal((2, 3, 5, 5, 2)).astype(np.float32)
    before = x.copy()
    layer(x)
    np.testing.assert_array_equal(x, before)


def test_states_are_new_arrays(rng):
    layer = ConvLSTM1D(2, 1, return_state=True)
    x = rng.standard_normal((1, 2, 3, 1)).astype(np.float32)
    h0 = np.ones((1, 3, 2), np.float32)
    c0 = np.ones((1, 3, 2), np.float32)
    _, h, c = layer(x, initial_state=[h0, c0])
    assert not np.shares_memory(h, h0) and not np.shares_memory(c, c0)
    np.testing.assert_array_equal(h0, 1.0)


def test_symbolic_model_and_config_round_trip(rng):
    inp = Input(shape=(4, 6, 6, 2))
    seq = ConvLSTM2D(3, 3, padding="same", return_sequences=True, name="a")(inp)
    out, h, c = ConvLSTM2D(2, 3, return_state=True, name="b")(seq)
    model = Model(inp, [out, c])
    assert model.output_shape == [(None, 4, 4, 2), (None, 4, 4, 2)]
    model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype(np.float32) for w in model.get_weights()])
    x = rng.standard_normal((2, 4, 6, 6, 2)).astype(np.float32)
    eager = model.get_layer("b")(model.get_layer("a")(x))
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got[0], eager[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got[1], eager[2], rtol=1e-6, atol=1e-6)
    again = Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    for a, e in zip(again.predict(x, verbose=0), got):
        np.testing.assert_array_equal(a, e)
    seq_model = Sequential([Input((3, 2, 8)), ConvLSTM1D(2, 3, data_format="channels_first")])
    assert seq_model.output_shape == (None, 2, 6)


@pytest.mark.parametrize("cls", [ConvLSTM1D, ConvLSTM2D, ConvLSTM3D])
def test_config_round_trip(cls):
    layer = cls(5, 2, strides=1, padding="SAME", data_format="channels_first", dilation_rate=2, activation="relu",
                recurrent_activation="hard_sigmoid", use_bias=False, unit_forget_bias=False, dropout=0.25,
                recurrent_dropout=0.5, seed=3, return_sequences=True, return_state=True, go_backwards=True,
                unroll=True, kernel_regularizer="l2", recurrent_constraint="non_neg", name="clstm")
    config = layer.get_config()
    assert config["padding"] == "same" and config["kernel_size"] == (2,) * cls.rank
    assert config["dilation_rate"] == (2,) * cls.rank and config["activity_regularizer"] is None
    again = cls.from_config(config)
    assert again.get_config() == config


def test_dropout_is_clipped_as_keras_does():
    layer = ConvLSTM2D(2, 3, dropout=1.5, recurrent_dropout=-0.2)
    assert (layer.dropout, layer.recurrent_dropout) == (1.0, 0.0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(filters=0, kernel_size=3), ValueError, "filters"),
    (dict(filters=2.5, kernel_size=3), TypeError, "filters"),
    (dict(filters=None, kernel_size=3), TypeError, "filters"),
    (dict(filters=2, kernel_size=0), ValueError, "kernel_size"),
    (dict(filters=2, kernel_size=(3, 3, 3)), ValueError, "kernel_size"),
    (dict(filters=2, kernel_size=3, strides=0), ValueError, "strides"),
    (dict(filters=2, kernel_size=3, padding="causal"), ValueError, "padding"),
    (dict(filters=2, kernel_size=3, padding="full"), ValueError, "padding"),
    (dict(filters=2, kernel_size=3, data_format="nhwc"), ValueError, "data_format"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), ValueError, "dilation_rate"),
    (dict(filters=2, kernel_size=3, activation="nope"), ValueError, "activation"),
    (dict(filters=2, kernel_size=3, dropout="half"), TypeError, "dropout"),
    (dict(filters=2, kernel_size=3, stateful=True), ValueError, "stateful"),
    (dict(filters=2, kernel_size=3, foo=1), ValueError, "foo"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ConvLSTM2D(**kwargs)


def test_bad_inputs_and_states(rng):
    layer = ConvLSTM2D(2, 3)
    x = rng.standard_normal((2, 3, 6, 6, 2)).astype(np.float32)
    with pytest.raises(ValueError, match="ndim=5"):
        layer(x[:, 0])
    layer(x)
    with pytest.raises(ValueError, match="incompatible"):
        layer(rng.standard_normal((2, 3, 7, 6, 2)))  # spatial sizes are fixed once built, as in Keras
    with pytest.raises(ValueError, match="incompatible"):
        layer(rng.standard_normal((2, 3, 6, 6, 3)))
    assert layer(rng.standard_normal((1, 5, 6, 6, 2))).shape == (1, 4, 4, 2)  # batch and time are free
    with pytest.raises(ValueError, match="time step"):
        layer(np.zeros((2, 0, 6, 6, 2)))
    with pytest.raises(ValueError, match="2 initial states"):
        layer(x, initial_state=np.zeros((2, 4, 4, 2)))
    with pytest.raises(ValueError, match=r"\(2, 4, 4, 2\)"):
        layer(x, initial_state=[np.zeros((2, 6, 6, 2))] * 2)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\)"):
        layer(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="negative"):
        ConvLSTM2D(2, 7)(x)
    with pytest.raises(ValueError, match="static"):
        ConvLSTM2D(2, 3).build((None, 3, None, 6, 2))
    with pytest.raises(ValueError, match="channel"):
        ConvLSTM2D(2, 3).build((None, 3, 6, 6, None))
    with pytest.raises(ValueError, match=r"must have shape \(None, 4, 4, 2\)"):
        ConvLSTM2D(2, 3)(Input((3, 6, 6, 2)), initial_state=[Input((6, 6, 2))] * 2)


def test_training_refused_only_when_it_would_drop(rng):
    x = rng.standard_normal((1, 2, 5, 5, 1)).astype(np.float32)
    plain = ConvLSTM2D(2, 3)
    np.testing.assert_array_equal(plain(x, training=True), plain(x))
    dropping = ConvLSTM2D(2, 3, recurrent_dropout=0.3)
    with pytest.raises(ValueError, match="training"):
        dropping(x, training=True)
    assert dropping(x, training=False).shape == (1, 3, 3, 2)
    # Keras drops only for 0 < rate < 1: a rate clipped to 1 does nothing in training either
    ConvLSTM2D(2, 3, dropout=2.0)(x, training=True)

