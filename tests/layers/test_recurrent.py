"""SimpleRNN, LSTM and GRU against NumPy loops written from Keras's equations and weight layout:
LSTM gates (i, f, c, o), GRU gates (z, r, h) with reset_after bias (2, 3*units)."""
import numpy as np
import pytest

from layer_helpers import shapes

from convkit.layers import GRU, LSTM, SimpleRNN


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _simple_rnn(x, W, U, b):
    n, t, _ = x.shape
    h = np.zeros((n, U.shape[0]))
    outs = []
    for s in range(t):
        h = np.tanh(x[:, s] @ W + h @ U + b)
        outs.append(h)
    return np.stack(outs, 1), [h]


def _lstm(x, W, U, b):
    n, t, _ = x.shape
    u = U.shape[0]
    h = np.zeros((n, u))
    c = np.zeros((n, u))
    outs = []
    for s in range(t):
        z = x[:, s] @ W + h @ U + b
        i, f, g, o = _sig(z[:, :u]), _sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), _sig(z[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), [h, c]


def _gru(x, W, U, b, reset_after):
    n, t, _ = x.shape
    u = U.shape[0]
    h = np.zeros((n, u))
    if reset_after:
        b_in, b_rec = b[0], b[1]
    else:
        b_in, b_rec = b, np.zeros(3 * u)
    outs = []
    for s in range(t):
        xz = x[:, s] @ W + b_in
        if reset_after:
            hz = h @ U + b_rec
            z = _sig(xz[:, :u] + hz[:, :u])
            r = _sig(xz[:, u:2 * u] + hz[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + r * hz[:, 2 * u:])
        else:
            z = _sig(xz[:, :u] + h @ U[:, :u])
            r = _sig(xz[:, u:2 * u] + h @ U[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
        h = z * h + (1 - z) * hh
        outs.append(h)
    return np.stack(outs, 1), [h]


def _expected(kind, x, w, reset_after=True, go_backwards=False):
    x = x.astype(np.float64)
    if go_backwards:
        x = x[:, ::-1]
    w = [a.astype(np.float64) for a in w]
    if kind == "simple":
        return _simple_rnn(x, *w)
    if kind == "lstm":
        return _lstm(x, *w)
    return _gru(x, *w, reset_after)


def _make(kind, units, **kw):
    return {"simple": SimpleRNN, "lstm": LSTM, "gru": GRU}[kind](units, **kw)


@pytest.mark.parametrize("kind, units, in_dim, reset_after, expected", [
    ("simple", 3, 5, True, [(5, 3), (3, 3), (3,)]),
    ("lstm", 4, 3, True, [(3, 16), (4, 16), (16,)]),
    ("gru", 4, 3, True, [(3, 12), (4, 12), (2, 12)]),
    ("gru", 4, 3, False, [(3, 12), (4, 12), (12,)]),
])
def test_weight_layout(kind, units, in_dim, reset_after, expected):
    kw = {"reset_after": reset_after} if kind == "gru" else {}
    layer = _make(kind, units, **kw)
    layer.build((None, 6, in_dim))
    assert shapes(layer.get_weights()) == expected
    assert layer.count_params() == sum(int(np.prod(s)) for s in expected)


def test_lstm_forget_bias_is_one_by_default():
    """Keras: unit_forget_bias=True puts ones in the forget-gate slice of the bias."""
    layer = LSTM(3)
    layer.build((None, 4, 2))
    bias = layer.get_weights()[2]
    assert np.array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)].astype(np.float32))


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru", "gru_v1"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_matches_numpy(kind, return_sequences, go_backwards, rng, assert_close):
    reset_after = kind != "gru_v1"
    base = "gru" if kind.startswith("gru") else kind
    kw = {"reset_after": reset_after} if base == "gru" else {}
    layer = _make(base, 4, return_sequences=return_sequences, go_backwards=go_backwards, **kw)
    x = rng.standard_normal((3, 5, 2)).astype(np.float32)
    layer.build(x.shape)
    w = [(rng.standard_normal(a.shape) * 0.6).astype(np.float32) for a in layer.get_weights()]
    layer.set_weights(w)
    y = layer(x)
    seq, _ = _expected(base, x, w, reset_after, go_backwards)
    assert_close(y, seq if return_sequences else seq[:, -1])
    assert tuple(layer.compute_output_shape((None, 5, 2))) == (None,) + y.shape[1:]


@pytest.mark.parametrize("kind, n_states", [("simple", 1), ("lstm", 2), ("gru", 1)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state(kind, n_states, return_sequences, rng, assert_close):
    layer = _make(kind, 3, return_state=True, return_sequences=return_sequences)
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    layer.build(x.shape)
    w = [(rng.standard_normal(a.shape) * 0.6).astype(np.float32) for a in layer.get_weights()]
    layer.set_weights(w)
    out = layer(x)
    assert isinstance(out, (list, tuple)) and len(out) == 1 + n_states
    seq, states = _expected(kind, x, w)
    assert_close(out[0], seq if return_sequences else seq[:, -1])
    for got, want in zip(out[1:], states):
        assert_close(got, want)


def test_recurrent_activation_arguments(rng, assert_close):
    layer = SimpleRNN(3, activation="relu", use_bias=False)
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    layer.build(x.shape)
    W = rng.standard_normal((2, 3)).astype(np.float32) * 0.5
    U = rng.standard_normal((3, 3)).astype(np.float32) * 0.5
    layer.set_weights([W, U])
    h = np.zeros((2, 3))
    for s in range(4):
        h = np.maximum(x[:, s] @ W + h @ U, 0)
    assert_close(layer(x), h)


def test_recurrent_wrong_rank_raises():
    with pytest.raises(ValueError):
        LSTM(3)(np.zeros((2, 4), np.float32))


def test_recurrent_bad_units():
    with pytest.raises(ValueError, match="units"):
        GRU(0)


@pytest.mark.parametrize("make", [
    lambda: SimpleRNN(7, activation="relu", return_sequences=True),
    lambda: SimpleRNN(5, return_state=True),
    lambda: LSTM(6, return_sequences=True, return_state=True),
    lambda: LSTM(9, activation="relu", recurrent_activation="hard_sigmoid", go_backwards=True),
    lambda: GRU(8, return_sequences=True, return_state=True),
    lambda: GRU(4, activation="gelu", recurrent_activation="sigmoid"),
    # vectors of the AVX2 / AVX-512 gate kernels and a tail (37 = 2 x 16 + 5 = 4 x 8 + 5)
    lambda: LSTM(37, return_sequences=True, return_state=True),
    lambda: LSTM(37, activation="linear", recurrent_activation="silu", return_sequences=True),
    lambda: GRU(37, return_sequences=True, return_state=True),
    lambda: GRU(21, activation="selu", recurrent_activation="linear", return_sequences=True),
    lambda: SimpleRNN(37, return_sequences=True),
    lambda: SimpleRNN(16, activation="linear", return_sequences=True),
], ids=["simple-relu", "simple-state", "lstm", "lstm-relu-hard", "gru", "gru-gelu", "lstm-37", "lstm-37-linear-silu",
        "gru-37", "gru-21-selu-linear", "simple-37", "simple-16-linear"])
@pytest.mark.parametrize("batch", [1, 13])
@pytest.mark.parametrize("masked", [False, True])
def test_c_time_loop_gives_the_python_loops_bits(isa, rng, make, batch, masked, monkeypatch):
    # The time loop runs in C (ck_f32_rnn_sequence) for built-in activations; the Python loop is
    # kept for the rest. Both must compute the same numbers, operation for operation. Under a
    # mask the C path projects the live steps only and runs each step's GEMM over the live rows
    # (a lone live row or step with a masked partner); the Python loop does both over everything.
    layer = make()
    x = rng.standard_normal((batch, 11, 3)).astype(np.float32)
    h0 = rng.standard_normal((batch, layer.units)).astype(np.float32)
    init = [h0, h0 * 0.5] if isinstance(layer, LSTM) else h0
    mask = None
    if masked:
        mask = np.arange(11)[None, :] < rng.integers(0, 12, (batch, 1))  # right-padded rows
        mask[:, 4] = False
        mask[0, 4] = True  # a step with one live row
    layer(x)
    assert layer._c_cell() is not None
    fast = layer(x, initial_state=init, mask=mask)
    monkeypatch.setattr(type(layer), "_c_cell", lambda self: None)
    slow = layer(x, initial_state=init, mask=mask)
    fast = fast if isinstance(fast, list) else [fast]
    slow = slow if isinstance(slow, list) else [slow]
    assert len(fast) == len(slow)
    for f, s in zip(fast, slow):
        np.testing.assert_array_equal(f, s)


@pytest.mark.parametrize("units", [16, 37])
def test_one_live_step_in_the_batch_keeps_the_python_loops_bits(isa, rng, units, monkeypatch):
    # One live step in the whole batch: its input projection must not be a one-row GEMM, whose
    # kernel sums in another order than the Python loop's projection of every step.
    layer = LSTM(units, return_sequences=True)
    x = rng.standard_normal((3, 6, 40)).astype(np.float32)
    mask = np.zeros((3, 6), bool)
    mask[1, 2] = True
    fast = layer(x, mask=mask)
    monkeypatch.setattr(type(layer), "_c_cell", lambda self: None)
    slow = layer(x, mask=mask)
    np.testing.assert_array_equal(fast, slow)
    assert np.count_nonzero(fast[1, 2]) == units and not fast[1, :2].any()


def test_gru_reset_before_keeps_the_python_loop():
    assert GRU(3, reset_after=False)._c_cell() is None
    assert SimpleRNN(3, activation=lambda v: v)._c_cell() is None


@pytest.mark.parametrize("make", [
    lambda: SimpleRNN(48, return_sequences=True),
    lambda: LSTM(64, return_sequences=True, return_state=True),
    lambda: GRU(40, return_sequences=True),
], ids=["simple", "lstm", "gru"])
@pytest.mark.parametrize("batch", [17, 5])
def test_c_time_loop_splits_rows_over_threads_with_the_python_loops_bits(isa, rng, make, batch, monkeypatch,
                                                                         same_at_thread_counts):
    # With several threads the C loop gives each thread a block of batch rows for the whole
    # sequence (17 rows at 3 threads: 5, 6 and 6; 5 rows at 2 or more: 2 and 3, never one row).
    # Every block count must give the one-thread bits, which are the Python loop's.
    layer = make()
    x = rng.standard_normal((batch, 30, 8)).astype(np.float32)

    def run():
        out = layer(x)
        return np.concatenate([np.ravel(o) for o in (out if isinstance(out, list) else [out])])

    run()
    assert layer._c_cell() is not None
    fast = same_at_thread_counts(run, (1, 2, 3, 5))
    monkeypatch.setattr(type(layer), "_c_cell", lambda self: None)
    np.testing.assert_array_equal(fast, run())


@pytest.mark.parametrize("cls", [SimpleRNN, GRU, LSTM])
def test_dropout_rates_are_clipped_as_keras_does(cls):
    # Keras 3 clips the rates into [0, 1] (min(1, max(0, rate))) rather than refusing them
    layer = cls(4, dropout=1.5, recurrent_dropout=-0.2)
    assert (layer.dropout, layer.recurrent_dropout) == (1.0, 0.0)
    assert cls.from_config(layer.get_config()).dropout == 1.0
    with pytest.raises(TypeError, match="dropout"):
        cls(4, dropout="0.5")
