"""The cell API (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells) and the generic RNN layer:
against Keras (torch backend) for each cell alone and inside RNN, stacked cells with their nested
states, a functional model Keras saved, configs, weights; and against convkit's own SimpleRNN,
LSTM and GRU, which RNN over the matching cell must reproduce bit for bit."""
import numpy as np
import pytest

import convkit
from convkit import layers as L

CELLS = {  # name -> constructor arguments of a case (both libraries take the same)
    "SimpleRNNCell": dict(units=4),
    "SimpleRNNCell-relu": dict(units=3, activation="relu", use_bias=False),
    "SimpleRNNCell-softmax": dict(units=3, activation="softmax"),  # not fusable: the Python step
    "LSTMCell": dict(units=4),
    "LSTMCell-hard": dict(units=3, activation="relu", recurrent_activation="hard_sigmoid", unit_forget_bias=False),
    "LSTMCell-nobias": dict(units=2, use_bias=False),
    "GRUCell": dict(units=4),
    "GRUCell-before": dict(units=3, reset_after=False),
    "GRUCell-nobias": dict(units=3, use_bias=False),
    "GRUCell-softmax": dict(units=3, recurrent_activation="softmax"),  # not fusable: the Python step
}
LAYER_OF_CELL = {"SimpleRNNCell": L.SimpleRNN, "LSTMCell": L.LSTM, "GRUCell": L.GRU}


def _cell_pair(keras, case):
    name = case.split("-")[0]
    return getattr(keras.layers, name)(**CELLS[case]), getattr(L, name)(**CELLS[case])


def _randomize(keras_layer, rng, shape):
    """Builds `keras_layer` for `shape` and gives it random weights (the zeros/ones defaults
    would hide a bias in the wrong place)."""
    keras_layer.build(shape)
    keras_layer.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in keras_layer.get_weights()])


def _structure(value):
    """The nesting of a result: 'a' for an array, lists for lists (tuples count as lists)."""
    if isinstance(value, (list, tuple)):
        return [_structure(v) for v in value]
    return "a"


def _n_states(cell):
    return 2 if isinstance(cell, L.LSTMCell) else 1


# ---- a cell alone ------------------------------------------------------------------------------

# states as a list, and (cells of one state) as one array
STEP_CASES = [(case, True) for case in sorted(CELLS)] + [(case, False) for case in sorted(CELLS) if "LSTM" not in case]


@pytest.mark.parametrize("case, as_list", STEP_CASES)
def test_cell_step_matches_keras(case, as_list, keras, rng, to_numpy, assert_parity):
    k_cell, c_cell = _cell_pair(keras, case)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    _randomize(k_cell, rng, x.shape)
    c_cell.build(x.shape)
    c_cell.set_weights(k_cell.get_weights())
    units = CELLS[case]["units"]
    states = [rng.standard_normal((3, units)).astype(np.float32) for _ in range(_n_states(c_cell))]
    given = states if as_list else states[0]
    k_out = k_cell(x, given)
    c_out = c_cell(x, given)
    assert isinstance(c_out, tuple) and len(c_out) == 2
    assert _structure(c_out) == _structure(k_out)  # one state as an array comes back as an array
    assert_parity(list(c_out), to_numpy(list(k_out)))
    for got in flatten_arrays(c_out):
        assert got.dtype == np.float32 and got.flags.c_contiguous


def flatten_arrays(value):
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in flatten_arrays(v)]
    return [value]


@pytest.mark.parametrize("case", ["SimpleRNNCell", "LSTMCell", "GRUCell", "GRUCell-before"])
def test_cell_weights_match_keras(case, keras):
    """Names, shapes and order of the weights; the default values' layout (LSTM's forget bias
    of ones, GRU's two biases with reset_after)."""
    k_cell, c_cell = _cell_pair(keras, case)
    k_cell.build((None, 5))
    c_cell.build((None, 5))
    names = ["kernel", "recurrent_kernel", "bias"]
    assert [w.name for w in c_cell.weights] == [w.name for w in k_cell.weights] == names
    assert [tuple(w.shape) for w in c_cell.weights] == [tuple(w.shape) for w in k_cell.weights]
    np.testing.assert_array_equal(c_cell.get_weights()[-1], np.asarray(k_cell.get_weights()[-1]))  # zeros/ones
    assert c_cell.state_size == k_cell.state_size and c_cell.output_size == k_cell.output_size


@pytest.mark.parametrize("case", ["SimpleRNNCell", "LSTMCell-hard", "GRUCell", "GRUCell-before"])
def test_cell_config_matches_keras(case, keras):
    k_cell, c_cell = _cell_pair(keras, case)
    k_config, c_config = k_cell.get_config(), c_cell.get_config()
    assert list(c_config) == list(k_config)  # same keys, in Keras's order
    for key in ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "dropout",
                "recurrent_dropout", "reset_after", "seed", "kernel_regularizer", "bias_constraint"):
        assert c_config.get(key) == k_config.get(key), key
    assert c_config["recurrent_initializer"]["class_name"] == k_config["recurrent_initializer"]["class_name"]
    # Keras's config builds the convkit cell, whose config is the same again
    rebuilt = type(c_cell).from_config(k_config)
    assert rebuilt.get_config() == {**c_config, "name": k_config["name"]}
    regularized = getattr(keras.layers, type(c_cell).__name__)(units=2, activity_regularizer="l2")
    assert set(type(c_cell)(units=2, activity_regularizer="l2").get_config()) == set(regularized.get_config())


def test_stacked_cells_step_matches_keras(keras, rng, to_numpy, assert_parity):
    k_stack = keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.GRUCell(3),
                                            keras.layers.SimpleRNNCell(2)])
    c_stack = L.StackedRNNCells([L.LSTMCell(4), L.GRUCell(3), L.SimpleRNNCell(2)])
    x = rng.standard_normal((2, 5)).astype(np.float32)
    _randomize(k_stack, rng, x.shape)
    c_stack.build(x.shape)
    c_stack.set_weights(k_stack.get_weights())
    assert c_stack.state_size == k_stack.state_size == [[4, 4], 3, 2]
    assert c_stack.output_size == k_stack.output_size == 2
    assert [w.name for w in c_stack.weights] == [w.name for w in k_stack.weights]
    states = [[rng.standard_normal((2, 4)).astype(np.float32) for _ in range(2)],
              [rng.standard_normal((2, 3)).astype(np.float32)], rng.standard_normal((2, 2)).astype(np.float32)]
    k_out, c_out = k_stack(x, states), c_stack(x, states)
    assert _structure(c_out) == _structure(k_out) == ["a", [["a", "a"], ["a"], "a"]]
    assert_parity(list(c_out), to_numpy(list(k_out)))
    assert set(c_stack.get_config()) == set(k_stack.get_config())


# ---- RNN over one cell -------------------------------------------------------------------------

OPTIONS = [
    dict(),
    dict(return_sequences=True),
    dict(return_state=True),
    dict(return_sequences=True, return_state=True, go_backwards=True),
    dict(go_backwards=True),
]


@pytest.mark.parametrize("case", sorted(CELLS))
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("with_initial_state", [False, True])
def test_rnn_over_a_cell_matches_keras(case, options, with_initial_state, keras, rng, to_numpy, assert_parity):
    k_cell, c_cell = _cell_pair(keras, case)
    k_rnn, c_rnn = keras.layers.RNN(k_cell, **options), L.RNN(c_cell, **options)
    x = rng.standard_normal((3, 6, 5)).astype(np.float32)
    _randomize(k_rnn, rng, x.shape)
    c_rnn.build(x.shape)
    c_rnn.set_weights(k_rnn.get_weights())
    kwargs = {}
    if with_initial_state:
        units = CELLS[case]["units"]
        kwargs["initial_state"] = [rng.standard_normal((3, units)).astype(np.float32) for _ in range(_n_states(c_cell))]
    k_out, c_out = k_rnn(x, **kwargs), c_rnn(x, **kwargs)
    assert _structure(c_out) == _structure(k_out)
    assert_parity(c_out, to_numpy(k_out))
    assert c_rnn.compute_output_shape(x.shape) == _as_lists(k_rnn.compute_output_shape(x.shape))


def _as_lists(shapes):
    """Keras's compute_output_shape gives a tuple (output, *states): convkit a list."""
    if isinstance(shapes, tuple) and shapes and isinstance(shapes[0], (tuple, list)):
        return [_as_lists(s) if isinstance(s, list) else tuple(s) for s in shapes]
    if isinstance(shapes, list):
        return [tuple(s) for s in shapes]
    return tuple(shapes)


@pytest.mark.parametrize("case", ["SimpleRNNCell", "SimpleRNNCell-softmax", "LSTMCell", "LSTMCell-hard",
                                  "GRUCell", "GRUCell-before", "GRUCell-softmax"])
@pytest.mark.parametrize("options", OPTIONS)
def test_rnn_over_a_cell_gives_the_recurrent_layers_numbers(case, options, rng):
    """RNN(LSTMCell(n)) is convkit's LSTM(n) with the same weights: the same bits (the same C loop
    or the same Python step)."""
    name = case.split("-")[0]
    c_rnn = L.RNN(getattr(L, name)(**CELLS[case]), **options)
    layer = LAYER_OF_CELL[name](**CELLS[case], **options)
    x = rng.standard_normal((3, 7, 5)).astype(np.float32)
    layer.build(x.shape)
    c_rnn.build(x.shape)
    layer.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in layer.get_weights()])
    c_rnn.set_weights(layer.get_weights())
    states = [rng.standard_normal((3, CELLS[case]["units"])).astype(np.float32) for _ in range(_n_states(c_rnn.cell))]
    for kwargs in ({}, {"initial_state": states}):
        want, got = layer(x, **kwargs), c_rnn(x, **kwargs)
        assert _structure(got) == _structure(want)
        for g, w in zip(flatten_arrays(got), flatten_arrays(want)):
            np.testing.assert_array_equal(g, w)


# ---- stacked cells -----------------------------------------------------------------------------

STACKS = {
    "lstm-gru": lambda m: [m.LSTMCell(4), m.GRUCell(3)],
    "gru-simple-lstm": lambda m: [m.GRUCell(3, reset_after=False), m.SimpleRNNCell(5, activation="relu"),
                                  m.LSTMCell(2)],
    "one-gru": lambda m: [m.GRUCell(3)],
    "simple-simple": lambda m: [m.SimpleRNNCell(2), m.SimpleRNNCell(3)],
}


def _stack_states(rng, sizes, as_lists):
    """Initial states for a stack: per cell a list, or (as_lists False) an array for one state."""
    out = []
    for size in sizes:
        if isinstance(size, list):
            out.append([rng.standard_normal((2, d)).astype(np.float32) for d in size])
        else:
            state = rng.standard_normal((2, size)).astype(np.float32)
            out.append([state] if as_lists else state)
    return out


@pytest.mark.parametrize("stack", sorted(STACKS))
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("initial", [None, "lists", "arrays"])
def test_stacked_rnn_matches_keras(stack, options, initial, keras, rng, to_numpy, assert_parity):
    """RNN([cells]) as Keras: same numbers, and the states in Keras's nested structure (the
    structure of the initial states; built-in cells start from lists)."""
    k_rnn, c_rnn = keras.layers.RNN(STACKS[stack](keras.layers), **options), L.RNN(STACKS[stack](L), **options)
    assert isinstance(c_rnn.cell, L.StackedRNNCells)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    _randomize(k_rnn, rng, x.shape)
    c_rnn.build(x.shape)
    c_rnn.set_weights(k_rnn.get_weights())
    assert [w.name for w in c_rnn.weights] == [w.name for w in k_rnn.weights]
    kwargs = {} if initial is None else {"initial_state": _stack_states(rng, c_rnn.state_size, initial == "lists")}
    k_out, c_out = k_rnn(x, **kwargs), c_rnn(x, **kwargs)
    assert _structure(c_out) == _structure(k_out)
    assert_parity(c_out, to_numpy(k_out))
    assert c_rnn.compute_output_shape(x.shape) == _as_lists(k_rnn.compute_output_shape(x.shape))


def test_stacked_rnn_is_its_cells_run_one_after_another(rng):
    """Each cell over the whole sequence in turn is what the stack computes step by step."""
    x = rng.standard_normal((2, 6, 3)).astype(np.float32)
    stacked = L.RNN([L.LSTMCell(4), L.GRUCell(5)], return_sequences=True, return_state=True, go_backwards=True)
    stacked.build(x.shape)
    stacked.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in stacked.get_weights()])
    lower = L.LSTM(4, return_sequences=True, return_state=True, go_backwards=True)
    upper = L.GRU(5, return_sequences=True, return_state=True)  # the lower sequence already runs backwards
    lower.build(x.shape)
    upper.build((2, 6, 4))
    weights = stacked.get_weights()
    lower.set_weights(weights[:3])
    upper.set_weights(weights[3:])
    seq, h1, c1 = lower(x)
    top, h2 = upper(seq)
    got = stacked(x)
    for g, w in zip(flatten_arrays(got), [top, h1, c1, h2]):
        np.testing.assert_array_equal(g, w)
    # and StackedRNNCells called step by step gives the same last step
    states = [[np.zeros((2, 4), np.float32)] * 2, [np.zeros((2, 5), np.float32)]]
    for t in range(6):
        out, states = stacked.cell(x[:, 5 - t], states)
    np.testing.assert_allclose(out, top[:, -1], rtol=1e-6, atol=1e-6)


# ---- a cell of the user's ----------------------------------------------------------------------

class MinimalRNNCell(L.Layer):
    """Keras's documented example of a cell, written on convkit's Layer."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), "uniform", name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), "uniform", name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel.value + states[0] @ self.recurrent_kernel.value
        return output, [output]


class PlainCell:
    """Not a layer: just `call` and `state_size` (two states: a running sum and a count)."""

    state_size = [3, 1]
    output_size = 3

    def call(self, inputs, states):
        total, count = states
        return np.tanh(total + inputs), [total + inputs, count + 1.0]


def _minimal_loop(x, kernel, recurrent_kernel):
    h = np.zeros((x.shape[0], kernel.shape[1]), np.float64)
    outputs = []
    for t in range(x.shape[1]):
        h = x[:, t] @ kernel + h @ recurrent_kernel
        outputs.append(h)
    return np.stack(outputs, 1), h


def test_custom_cells_run_step_by_step(rng):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    rnn = L.RNN(MinimalRNNCell(5), return_sequences=True, return_state=True)
    seq, h = rnn(x)
    kernel, recurrent = (w.astype(np.float64) for w in rnn.get_weights())
    want_seq, want_h = _minimal_loop(x.astype(np.float64), kernel, recurrent)
    np.testing.assert_allclose(seq, want_seq, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, want_h, rtol=1e-5, atol=1e-6)
    assert [w.name for w in rnn.weights] == ["kernel", "recurrent_kernel"]

    plain = L.RNN(PlainCell(), return_state=True)
    out, total, count = plain(x)
    np.testing.assert_allclose(total, x.sum(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(count, np.full((2, 1), 4.0, np.float32))
    np.testing.assert_allclose(out, np.tanh(x.sum(axis=1)), rtol=1e-5, atol=1e-6)
    assert plain.weights == [] and plain.compute_output_shape((2, 4, 3)) == [(2, 3), (2, 3), (2, 1)]

    # in a stack, between built-in cells (which start from lists of states, as Keras's)
    stacked = L.RNN([L.SimpleRNNCell(3), PlainCell(), L.GRUCell(2)], return_state=True)
    out, [h1], (total, count), [h3] = stacked(x)
    assert out.shape == (2, 2) and total.shape == (2, 3) and count.shape == (2, 1) and h1.shape == (2, 3)
    np.testing.assert_array_equal(count, np.full((2, 1), 4.0, np.float32))
    np.testing.assert_array_equal(out, h3)


# ---- functional models and files ---------------------------------------------------------------

def _keras_model(keras):
    K = keras.layers
    inp, h0, c0 = keras.Input((5, 3)), keras.Input((4,)), keras.Input((4,))
    x = K.RNN(K.LSTMCell(4), return_sequences=True)(inp, initial_state=[h0, c0])
    y = K.RNN([K.GRUCell(3, reset_after=False), K.LSTMCell(2)], go_backwards=True)(x)
    z, state = K.RNN(K.SimpleRNNCell(3, activation="relu"), return_state=True)(x)
    return keras.Model([inp, h0, c0], [y, z, state])


def test_keras_functional_model_loads_and_saves(keras, rng, tmp_path, to_numpy, assert_parity):
    """A Keras model of RNN layers over cells (a symbolic initial state, stacked cells), saved
    by Keras: convkit loads it with its weights and predicts Keras's numbers; saved again by
    convkit, Keras loads it to the same numbers and the same weights layout."""
    h5py = pytest.importorskip("h5py")
    import io
    import zipfile

    k_model = _keras_model(keras)
    k_model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in k_model.get_weights()])
    k_model.save(tmp_path / "keras.keras")
    c_model = convkit.models.load_model(tmp_path / "keras.keras")
    assert [type(layer).__name__ for layer in c_model.layers[3:]] == ["RNN", "RNN", "RNN"]
    assert type(c_model.layers[4].cell).__name__ == "StackedRNNCells"
    for got, want in zip(c_model.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(got, np.asarray(want))
    xs = [rng.standard_normal((3, 5, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32),
          rng.standard_normal((3, 4)).astype(np.float32)]
    want = to_numpy(k_model.predict(xs, verbose=0))
    assert_parity(c_model.predict(xs), want)

    c_model.save(tmp_path / "convkit.keras")
    again = keras.saving.load_model(tmp_path / "convkit.keras")
    assert_parity(c_model.predict(xs), to_numpy(again.predict(xs, verbose=0)))

    def layout(path):
        with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
            found = {}
            f.visititems(lambda name, obj: found.setdefault(name, getattr(obj, "shape", dict(obj.attrs))))
            return {k: (tuple(v) if isinstance(v, tuple) else {a: str(b) for a, b in v.items()})
                    for k, v in found.items()}

    assert layout(tmp_path / "convkit.keras") == layout(tmp_path / "keras.keras")


def test_convkit_functional_model_matches_keras(keras, rng, to_numpy, assert_parity):
    """The same model built with convkit's API (symbolic initial states, states as outputs)."""
    inp, h0, c0 = L.Input((5, 3)), L.Input((4,)), L.Input((4,))
    seq, h, c = L.RNN(L.LSTMCell(4), return_sequences=True, return_state=True)(inp, initial_state=[h0, c0])
    top = L.RNN([L.GRUCell(3), L.SimpleRNNCell(2)])(seq)
    c_model = convkit.Model([inp, h0, c0], [top, h, c])
    k_model = _keras_twin(keras)
    k_model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in k_model.get_weights()])
    c_model.set_weights(k_model.get_weights())
    xs = [rng.standard_normal((3, 5, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32),
          rng.standard_normal((3, 4)).astype(np.float32)]
    assert_parity(c_model.predict(xs), to_numpy(k_model.predict(xs, verbose=0)))


def _keras_twin(keras):
    K = keras.layers
    inp, h0, c0 = keras.Input((5, 3)), keras.Input((4,)), keras.Input((4,))
    seq, h, c = K.RNN(K.LSTMCell(4), return_sequences=True, return_state=True)(inp, initial_state=[h0, c0])
    top = K.RNN([K.GRUCell(3), K.SimpleRNNCell(2)])(seq)
    return keras.Model([inp, h0, c0], [top, h, c])


def test_symbolic_outputs_nest_as_keras(keras):
    """A symbolic call returns Keras's structure: stacked cells' states nested per cell where a
    cell has several (its single states as one tensor)."""
    c_out = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_state=True)(L.Input((5, 2)))
    k_out = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)], return_state=True)(
        keras.Input((5, 2)))
    assert _structure(c_out) == _structure(k_out) == ["a", ["a", "a"], "a"]
    assert [t.shape for t in flatten_arrays(c_out)] == [tuple(t.shape) for t in flatten_arrays(k_out)]
    single = L.RNN(L.LSTMCell(4), return_state=True, return_sequences=True)(L.Input((5, 2)))
    assert [t.shape for t in single] == [(None, 5, 4), (None, 4), (None, 4)]


def test_bidirectional_rnn_over_a_cell_matches_keras(keras, rng, to_numpy, assert_parity):
    k_layer = keras.layers.Bidirectional(keras.layers.RNN(keras.layers.GRUCell(3), return_sequences=True))
    c_layer = L.Bidirectional(L.RNN(L.GRUCell(3), return_sequences=True))
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    _randomize(k_layer, rng, x.shape)
    c_layer.build(x.shape)
    c_layer.set_weights(k_layer.get_weights())
    assert_parity(c_layer(x), to_numpy(k_layer(x)))


# ---- configs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("stacked", [False, True])
def test_rnn_config_matches_keras_and_round_trips(stacked, keras, rng):
    options = dict(return_sequences=True, go_backwards=True, unroll=True, zero_output_for_mask=True)
    if stacked:
        k_rnn = keras.layers.RNN([keras.layers.LSTMCell(3), keras.layers.GRUCell(2, reset_after=False)], **options)
        c_rnn = L.RNN([L.LSTMCell(3), L.GRUCell(2, reset_after=False)], **options)
    else:
        k_rnn, c_rnn = keras.layers.RNN(keras.layers.LSTMCell(3), **options), L.RNN(L.LSTMCell(3), **options)
    k_config, c_config = k_rnn.get_config(), c_rnn.get_config()
    assert list(c_config) == list(k_config)
    for key in ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask"):
        assert c_config[key] == k_config[key], key
    assert c_config["cell"]["class_name"] == k_config["cell"]["class_name"]
    assert set(c_config["cell"]["config"]) == set(k_config["cell"]["config"])
    if stacked:
        for c_cell, k_cell in zip(c_config["cell"]["config"]["cells"], k_config["cell"]["config"]["cells"]):
            assert set(c_cell["config"]) == set(k_cell["config"])
    # Keras's config builds convkit's layer; convkit's config builds an equal layer with the same numbers
    from_keras = L.RNN.from_config(k_config)
    assert type(from_keras.cell) is type(c_rnn.cell)
    copy = L.RNN.from_config(c_config)
    assert copy.get_config() == c_config
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    expected = c_rnn(x)
    copy.build(x.shape)
    copy.set_weights(c_rnn.get_weights())
    np.testing.assert_array_equal(copy(x), expected)
    assert L.deserialize(L.serialize(c_rnn)).get_config() == c_config


def test_registered_by_class_name():
    for name in ("RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"):
        assert L.get(name) is getattr(L, name)


# ---- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [L.SimpleRNNCell, L.LSTMCell, L.GRUCell])
def test_cell_argument_errors(cls):
    with pytest.raises(ValueError, match=r"argument `units`, expected a positive integer, got 0"):
        cls(0)
    with pytest.raises(ValueError, match=r"got -3"):
        cls(-3)
    with pytest.raises(TypeError, match=r"`units`.*Received: units='4'"):
        cls("4")
    with pytest.raises(ValueError, match=r"activation"):
        cls(2, activation="no_such_activation")
    with pytest.raises(ValueError, match=r"kernel_initializer"):
        cls(2, kernel_initializer="no_such_initializer")
    with pytest.raises(TypeError, match=r"dropout"):
        cls(2, dropout="0.5")
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments"):
        cls(2, return_sequences=True)  # an RNN's argument, not a cell's
    assert cls(2, dropout=1.7).dropout == 1.0  # Keras clips the rate


def test_implementation_is_accepted_by_the_gated_cells_only():
    assert L.LSTMCell(2, implementation=1).implementation == 1
    assert "implementation" not in L.GRUCell(2, implementation=1).get_config()
    with pytest.raises(ValueError, match=r"implementation"):
        L.SimpleRNNCell(2, implementation=1)


def test_rnn_argument_errors():
    class NoCall:
        state_size = 2

    class NoStateSize:
        def call(self, inputs, states):
            return inputs, states

    class BadStateSize(NoStateSize):
        state_size = "2"

    class NoneStateSize(NoStateSize):
        state_size = None

    with pytest.raises(ValueError, match=r"Argument `cell` should have a `call` method"):
        L.RNN(NoCall())
    with pytest.raises(ValueError, match=r"should have a `state_size` attribute"):
        L.RNN(NoStateSize())
    with pytest.raises(ValueError, match=r"state_size must be an integer, or a list/tuple of integers"):
        L.RNN(BadStateSize())
    with pytest.raises(ValueError, match=r"state_size must be specified"):
        L.RNN(NoneStateSize())
    with pytest.raises(ValueError, match=r"stateful.*Received: stateful=True"):
        L.RNN(L.LSTMCell(2), stateful=True)
    with pytest.raises(ValueError, match=r"All cells must have a `call` method"):
        L.RNN([L.LSTMCell(2), NoCall()])
    with pytest.raises(ValueError, match=r"All cells must have a `state_size`"):
        L.StackedRNNCells([NoStateSize()])
    with pytest.raises(ValueError, match=r"non-empty list of RNN cells"):
        L.RNN([])
    with pytest.raises(TypeError, match=r"Only a cell that is a convkit Layer can be serialized"):
        L.RNN(PlainCell()).get_config()


def test_call_errors(rng):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    rnn = L.RNN(L.LSTMCell(5))
    with pytest.raises(ValueError, match=r"expected min_ndim=3, found ndim=2"):
        rnn(x[:, 0])
    with pytest.raises(ValueError, match=r'layer "lstm_cell.*expected ndim=2, found ndim=3'):
        L.RNN(L.LSTMCell(5, name="lstm_cell_x"))(x[..., None])
    rnn(x)
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        rnn(x[..., :2])
    with pytest.raises(ValueError, match=r"expects 2 initial state\(s\). Received: 1"):
        rnn(x, initial_state=[np.zeros((2, 5))])
    with pytest.raises(ValueError, match=r"must have shape \(2, 5\). Received: initial_state shape \(2, 4\)"):
        rnn(x, initial_state=[np.zeros((2, 5)), np.zeros((2, 4))])
    stacked = L.RNN([L.LSTMCell(3), L.GRUCell(2)])
    with pytest.raises(ValueError, match=r"must hold 2 state\(s\)"):
        stacked(x, initial_state=[np.zeros((2, 3)), np.zeros((2, 2))])  # the LSTM cell's states must be a list
    with pytest.raises(ValueError, match=r"expects 2 initial state\(s\). Received: 3"):
        stacked(x, initial_state=[np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 2))])
    cell = L.GRUCell(5)
    with pytest.raises(ValueError, match=r"expects 1 state\(s\). Received: 2"):
        cell(x[:, 0], [np.zeros((2, 5))] * 2)
    with pytest.raises(ValueError, match=r"must have shape \(2, 5\). Received: states shape \(3, 5\)"):
        cell(x[:, 0], [np.zeros((3, 5))])
    with pytest.raises(ValueError, match=r"training=True"):
        L.RNN(L.GRUCell(2, dropout=0.5))(x, training=True)
    np.testing.assert_array_equal(L.RNN(L.GRUCell(2, dropout=0.5))(x, training=False).shape, (2, 2))


def test_symbolic_initial_state_errors():
    inp = L.Input((4, 3))
    with pytest.raises(ValueError, match=r"expects 2 initial state\(s\). Received: 1"):
        L.RNN(L.LSTMCell(5))(inp, initial_state=[L.Input((5,))])
    with pytest.raises(ValueError, match=r"must have shape \(None, 5\)"):
        L.RNN(L.LSTMCell(5))(inp, initial_state=[L.Input((5,)), L.Input((6,))])
    with pytest.raises(ValueError, match=r"mixes tensors of the model with other values"):
        L.RNN(L.LSTMCell(5))(inp, initial_state=[L.Input((5,)), np.zeros((1, 5))])
    with pytest.raises(ValueError, match=r"expects 2 initial state\(s\). Received: 3"):
        L.RNN([L.LSTMCell(3), L.GRUCell(2)])(inp, initial_state=[L.Input((3,)), L.Input((3,)), L.Input((2,))])
    with pytest.raises(ValueError, match=r"must hold 2 state\(s\)"):  # the LSTM cell's states must be a list
        L.RNN([L.LSTMCell(3), L.GRUCell(2)])(inp, initial_state=[L.Input((3,)), L.Input((2,))])
    h, c, h2 = L.Input((3,)), L.Input((3,)), L.Input((2,))
    out = L.RNN([L.LSTMCell(3), L.GRUCell(2)])(inp, initial_state=[[h, c], h2])
    assert out.shape == (None, 2)


# ---- inputs ------------------------------------------------------------------------------------

def test_inputs_are_never_modified_and_any_array_like_works(rng):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    states = [rng.standard_normal((2, 5)).astype(np.float32) for _ in range(2)]
    stacked_states = [[s.copy() for s in states], rng.standard_normal((2, 2)).astype(np.float32)]
    kept = [a.copy() for a in [x] + states + flatten_arrays(stacked_states)]

    rnn = L.RNN(L.LSTMCell(5), return_sequences=True, return_state=True)
    want = rnn(x, initial_state=states)
    stacked = L.RNN([L.LSTMCell(5), L.GRUCell(2)], return_state=True)
    stacked(x, initial_state=stacked_states)
    cell = rnn.cell
    cell(x[:, 0], states)
    stacked.cell(x[:, 0], stacked_states)
    for before, after in zip(kept, [x] + states + flatten_arrays(stacked_states)):
        np.testing.assert_array_equal(before, after)

    # lists, float64, Fortran order and strided views give the same numbers
    wide = np.zeros((2, 4, 6), np.float32)
    wide[..., ::2] = x
    for given in (x.tolist(), x.astype(np.float64), np.asfortranarray(x), wide[..., ::2]):
        got = rnn(given, initial_state=[s.tolist() for s in states])
        for g, w in zip(got, want):
            assert g.dtype == np.float32 and g.flags.c_contiguous
            np.testing.assert_array_equal(g, w)


def test_stacked_states_as_model_outputs(keras, rng, to_numpy, assert_parity, tmp_path):
    """Stacked cells' nested states as outputs of a functional model (flat in the graph)."""
    inp = L.Input((5, 3))
    out, (h1, c1), h2 = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_state=True)(inp)
    c_model = convkit.Model(inp, [out, c1, h2])
    assert c_model.compute_output_shape((2, 5, 3)) == [(2, 3), (2, 4), (2, 3)]
    K = keras.layers
    k_in = keras.Input((5, 3))
    k_out, (k_h1, k_c1), k_h2 = K.RNN([K.LSTMCell(4), K.GRUCell(3)], return_state=True)(k_in)
    k_model = keras.Model(k_in, [k_out, k_c1, k_h2])
    k_model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in k_model.get_weights()])
    c_model.set_weights(k_model.get_weights())
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    assert_parity(c_model.predict(x), to_numpy(k_model.predict(x, verbose=0)))
    k_model.save(tmp_path / "k.keras")
    loaded = convkit.models.load_model(tmp_path / "k.keras")
    assert_parity(loaded.predict(x), to_numpy(k_model.predict(x, verbose=0)))
