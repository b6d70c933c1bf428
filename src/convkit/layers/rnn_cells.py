"""Keras 3's cell API: SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells and the generic RNN layer
that runs any of them (or a cell of the user's) over the time axis.

A cell owns its weights, as in Keras: kernel (input_dim, units * gates), recurrent_kernel
(units, units * gates) and bias, with the gate order and bias shapes of convkit's SimpleRNN,
LSTM and GRU layers (GRUCell with reset_after=True: bias (2, 3 * units)). `cell(x, states)`
computes one step on arrays and returns (output, new_states) as Keras's cells do. An RNN's
weights are its cell's, so `RNN(LSTMCell(n))` takes `keras.layers.RNN(keras.layers.LSTMCell(n))`'s
`get_weights()` unchanged.

RNN over a built-in cell runs the whole sequence as convkit's recurrent layers do: one GEMM for
the input projection of every step, then the time loop in C (ops._rnn_sequence) for built-in
activations, so `RNN(LSTMCell(n))` gives exactly convkit's `LSTM(n)`. Stacked cells run one cell
after the other over the whole sequence: the step t of a cell only needs the step t of the cell
below, so this computes what Keras's step-by-step loop does, with each cell's fast loop. A cell of
the user's (an object with `call(inputs, states)` and `state_size`) is called step by step.

Returned states follow Keras: a single cell's states as a flat list after the output; stacked
cells' states one entry per cell, in the structure of the initial states (the built-in cells
start from a list, so [output, [h1, c1], [h2]] for RNN([LSTMCell, GRUCell]); a symbolic call
gives [output, [h1, c1], h2], as Keras's does). Masks skip steps as in the recurrent layers.
Not supported: stateful=True; dropout only in training, which convkit does not run.
"""
import numbers

import numpy as np

from convkit import _args, activations, constraints, initializers, ops, regularizers
from convkit.layers.base import InputSpec, Layer
from convkit.layers.recurrent import (
    GRU, LSTM, BaseRNN, SimpleRNN, _add_recurrent_weights, _check_symbolic_initial_state, _dropout_rate, _last_output,
    _python_time_loop, _set_weight_arguments, _step_mask,
)
from convkit.layers.symbolic import KerasTensor, flatten, is_symbolic, map_structure
from convkit.layers.wrappers import _LayerOfLayers

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN"]


def _units(value):
    if isinstance(value, (bool, np.bool_)) or not _args._is_int(value):
        raise TypeError(f"Invalid value for argument `units`: expected a positive integer. "
                        f"Received: units={value!r} of type {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, got {value}.")
    return int(value)


def _call_cell(cell, inputs, states):
    """One step of any cell, called as Keras calls it (through __call__ where it has one)."""
    return cell(inputs, states) if callable(cell) else cell.call(inputs, states)


def _is_state_list(value):
    """Whether `value` is a list of states ([h]) rather than one state (an array, a tensor, or
    nested lists of numbers, whose items are rows)."""
    if not isinstance(value, (list, tuple)) or not value:
        return False
    try:
        return all(isinstance(v, KerasTensor) or np.ndim(v) == 2 for v in value)
    except ValueError:  # ragged: not a list of (batch, size) states
        return False


def _output_size(cell):
    """The width of a cell's output: `output_size`, else its (first) state size."""
    size = getattr(cell, "output_size", None)
    if size is None:
        size = cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size
    if not _args._is_int(size):
        raise ValueError(f"output_size must be an integer. Received: output_size={size!r} for cell {cell}")
    return int(size)


class _Cell(Layer):
    """The built-in cells: arguments, weights, and the run over a sequence. The step math, the
    weight preparation and the choice of the C loop are those of the matching recurrent layer
    (SimpleRNN, LSTM, GRU), borrowed method by method, so the cell and the layer agree bit for bit."""

    _gates = 1
    _n_states = 1
    _c_cell_id = None
    recurrent_activation = None  # SimpleRNNCell has none (read by the borrowed _c_cell); the gated cells set theirs

    def _setup(self, units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
               bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
               recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed):
        self.units = units  # checked by the constructor, before the base class's checks (as Keras)
        self.activation = activations.get(activation)
        if self._gates > 1:  # LSTMCell, GRUCell (None there means linear, as for `activation`)
            self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        _set_weight_arguments(self, kernel_initializer, recurrent_initializer, bias_initializer, kernel_regularizer,
                              recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
                              bias_constraint)
        self.dropout = _dropout_rate(dropout, "dropout")
        self.recurrent_dropout = _dropout_rate(recurrent_dropout, "recurrent_dropout")
        self.seed = seed
        self.input_spec = InputSpec(ndim=2)  # one step: (batch, features)
        self.kernel = self.recurrent_kernel = self.bias = None

    @property
    def state_size(self):
        return self.units if self._n_states == 1 else [self.units] * self._n_states

    @property
    def output_size(self):
        return self.units

    _bias_shape = BaseRNN._bias_shape
    _bias_init = BaseRNN._bias_init

    def build(self, input_shape):
        in_dim = _add_recurrent_weights(self, input_shape, "cell")
        self.input_spec = InputSpec(ndim=2, axes={-1: in_dim})

    _prepare = BaseRNN._prepare
    _c_cell = BaseRNN._c_cell

    def _sequence(self, x, states, sequence=None, step_mask=None, zero_output_for_mask=False):
        """Runs the cell over x (batch, steps, features) from `states` (fresh float32 arrays, which
        the C loop updates in place) and returns the final states; `sequence` (batch, steps,
        units), when given, gets every step's output; step_mask (batch, steps) booleans or None:
        Keras's masked steps. The same calls as BaseRNN.call."""
        prepared = self._prepared()
        projected = ops.dense(x, self.kernel.value, prepared["input_bias"])  # (batch, steps, units * gates)
        cell = self._c_cell()
        if cell is not None:
            ops._rnn_sequence(cell, projected, prepared["recurrent_kernel"], prepared.get("recurrent_bias"),
                              self.activation, self.recurrent_activation, states, sequence,
                              None if step_mask is None else np.ascontiguousarray(step_mask, np.uint8),
                              zero_output_for_mask)
            return states
        return _python_time_loop(self._step, projected, states, prepared, sequence, step_mask, zero_output_for_mask)

    def _checked_states(self, states, n):
        """A step's states as fresh float32 arrays (the inputs are never written to)."""
        given = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(given) != self._n_states:
            raise ValueError(f"Cell '{self.name}' expects {self._n_states} state(s). Received: {len(given)} in states")
        out = []
        for state in given:
            arr = _args.as_float32_array(state, "states")
            if arr.shape != (n, self.units):
                raise ValueError(f"Each state of cell '{self.name}' must have shape ({n}, {self.units}). "
                                 f"Received: states shape {arr.shape}")
            out.append(arr.copy())
        return out

    def call(self, inputs, states):
        new_states = self._sequence(inputs[:, None, :], self._checked_states(states, inputs.shape[0]))
        output = new_states[0]
        if self._n_states == 1 and not isinstance(states, (list, tuple)):
            return output, output  # one state given as an array comes back as an array (Keras)
        return output, new_states

    def get_initial_state(self, batch_size=None):
        return [np.zeros((batch_size, self.units), np.float32) for _ in range(self._n_states)]

    def _differs_in_training(self):
        return self.dropout > 0 or self.recurrent_dropout > 0

    def _config(self, **own):
        """The base config, then the cell's entries in Keras's order (`own` holds the cell-specific
        ones, placed where Keras places them)."""
        config = super().get_config()
        config["units"] = self.units
        config["activation"] = activations.serialize(self.activation)
        if self._gates > 1:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["use_bias"] = self.use_bias
        if "unit_forget_bias" in own:
            config["unit_forget_bias"] = own.pop("unit_forget_bias")
        config.update({
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
        })
        config.update(own)
        config["seed"] = self.seed
        return config

    def get_config(self):
        return self._config()


class SimpleRNNCell(_Cell):
    """One step of SimpleRNN: h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)."""

    _c_cell_id = 0
    _step = SimpleRNN._step

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        units = _units(units)
        super().__init__(**kwargs)
        self._setup(units, activation, None, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                    kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)


class LSTMCell(_Cell):
    """One step of LSTM; gates i, f, c, o in the kernel's columns; states [h, c]."""

    _gates = 4
    _n_states = 2
    _c_cell_id = 1
    _step = LSTM._step
    _bias_init = LSTM._bias_init

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        units = _units(units)
        # Keras's choice between two orders of the same operations (kept, never in the config)
        self.implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.unit_forget_bias = bool(unit_forget_bias)

    def get_config(self):
        return self._config(unit_forget_bias=self.unit_forget_bias)


class GRUCell(_Cell):
    """One step of GRU; gates z, r, h in the kernel's columns. reset_after=True (the default)
    applies the reset gate after the recurrent product and keeps two biases: bias (2, 3 * units)."""

    _gates = 3
    _c_cell_id = GRU._c_cell_id  # the C loop only for reset_after=True
    _bias_shape = GRU._bias_shape
    _prepare = GRU._prepare
    _step = GRU._step

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        units = _units(units)
        self.implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.reset_after = bool(reset_after)

    def get_config(self):
        return self._config(reset_after=self.reset_after)


def _serialize_cell(cell):
    if not isinstance(cell, Layer):
        raise TypeError(f"Only a cell that is a convkit Layer can be serialized (it needs `get_config`). "
                        f"Received: cell={cell!r} of type {type(cell).__name__}")
    from convkit import layers

    return layers.serialize(cell)


def _deserialize_cell(entry, custom_objects=None):
    """A cell from its config entry; stacked cells pass `custom_objects` on to their cells."""
    from convkit.models import _layer_from_entry  # models imports layers: import when used

    if entry.get("class_name") == "StackedRNNCells" and not (custom_objects and "StackedRNNCells" in custom_objects):
        return StackedRNNCells.from_config(entry["config"], custom_objects)
    return _layer_from_entry(entry, custom_objects)


class StackedRNNCells(_LayerOfLayers):
    """Cells run one after the other at each step: a cell's output is the input of the next; the
    output is the last cell's. Its states are one entry per cell."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"Argument `cells` must be a non-empty list of RNN cells. Received: cells={cells!r}")
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: {cell}")
            if "state_size" not in dir(cell):
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell without a "
                                 f"`state_size`: {cell}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def _keras_sublayers(self):
        # Keras saves a list of layers under `cells/<snake-cased class name>[_1, _2...]`
        from convkit.saving import _saving_keys  # saving imports the layers: import when used

        cells = [cell for cell in self.cells if isinstance(cell, Layer)]
        return [(f"cells/{key}", cell) for key, cell in zip(_saving_keys(cells), cells)]

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            if getattr(cell, "get_initial_state", None) is not None:
                states.append(cell.get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, (list, tuple)):
                states.append([np.zeros((batch_size, d), np.float32) for d in cell.state_size])
            else:
                states.append(np.zeros((batch_size, cell.state_size), np.float32))
        return states

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
            shape = (shape[0], _output_size(cell))

    def _check_input_spec(self, shapes):
        first = self.cells[0]
        if isinstance(first, Layer):
            first._check_input_spec(shapes)

    def call(self, inputs, states):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            as_list = isinstance(cell_states, (list, tuple))
            inputs, cell_states = _call_cell(cell, inputs, list(cell_states) if as_list else [cell_states])
            if not as_list and isinstance(cell_states, (list, tuple)) and len(cell_states) == 1:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        return inputs, new_states[0] if len(new_states) == 1 else new_states

    def get_config(self):
        config = super().get_config()
        config["cells"] = [_serialize_cell(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_deserialize_cell(entry, custom_objects) for entry in config.pop("cells")]
        return cls(cells, **config)


def _run(cell, x, states, keep_sequence, step_mask=None, zero_output_for_mask=False):
    """`cell` over the sequence x (batch, steps, ...) from `states` (a list, one entry per entry of
    its state_size): (the last output, every step's output (batch, steps, ...) when keep_sequence
    else None, the final states in the structure of `states`). step_mask: Keras's mask (batch,
    steps) in the order the steps run, or None."""
    if isinstance(cell, StackedRNNCells):
        # Each cell in turn over the whole sequence, every one under the mask: a masked step keeps
        # every cell's state, so what a lower cell hands up there is never used; only the top
        # cell's outputs are the layer's (zero_output_for_mask applies to them).
        final, last = [], None
        for i, (sub, sub_states) in enumerate(zip(cell.cells, states)):
            as_list = isinstance(sub_states, list)
            top = i == len(cell.cells) - 1
            last, x, new = _run(sub, x, sub_states if as_list else [sub_states], keep_sequence or not top, step_mask,
                                zero_output_for_mask and top)
            final.append(new if as_list else new[0])
        return last, x, final
    if isinstance(cell, _Cell):
        n, steps = x.shape[:2]
        sequence = np.empty((n, steps, cell.units), np.float32) if keep_sequence else None
        states = cell._sequence(x, states, sequence, step_mask, zero_output_for_mask)
        return _last_output(states[0], step_mask, zero_output_for_mask), sequence, states
    return _run_stepwise(cell, x, states, keep_sequence, step_mask, zero_output_for_mask)


def _run_stepwise(cell, x, states, keep_sequence, step_mask=None, zero_output_for_mask=False):
    """A cell of the user's, called at each step with the step's inputs (batch, ...) and states;
    Keras's masked steps keep the states and repeat the previous output (or zeros)."""
    if x.shape[1] == 0:
        raise ValueError(f"An RNN needs at least one timestep to run cell {cell}. Received inputs of shape {x.shape}")
    outputs, previous = [], None
    for t in range(x.shape[1]):
        output, new_states = _call_cell(cell, x[:, t], states)
        output = _args.as_float32_array(output, "output")
        new_leaves = flatten(new_states if isinstance(new_states, (list, tuple)) else [new_states])
        old_leaves = flatten(states)
        if len(new_leaves) != len(old_leaves):
            raise ValueError(f"Cell {cell} returned {len(new_leaves)} state(s) from a step given {len(old_leaves)}.")
        new_leaves = [_args.as_float32_array(s, "states") for s in new_leaves]
        if step_mask is not None:
            def kept(new, old):
                return np.where(step_mask[:, t].reshape((-1,) + (1,) * (new.ndim - 1)), new, old)

            new_leaves = [kept(new, old) for new, old in zip(new_leaves, old_leaves)]
            fallback = (previous if previous is not None and not zero_output_for_mask
                        else np.zeros_like(output))
            output = kept(output, fallback)
        leaves = iter(new_leaves)
        states = map_structure(lambda _: next(leaves), states)  # the structure the states came in
        previous = output
        if keep_sequence:
            outputs.append(output)
    return output, (np.stack(outputs, axis=1) if keep_sequence else None), states


class RNN(_LayerOfLayers):
    """Runs a cell (or a list of cells, stacked) over the time axis of (batch, timesteps, ...),
    skipping the steps Keras's mask hides (as SimpleRNN / LSTM / GRU)."""

    supports_masking = True

    _flat_output_shapes = False  # set while the base class makes the symbolic outputs (see _symbolic_call)

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        if "call" not in dir(cell):  # Keras's test of what a cell is
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if "state_size" not in dir(cell):
            raise ValueError(f"The RNN cell should have a `state_size` attribute (single integer or list of integers, "
                             f"one integer per RNN state). Received: cell={cell}")
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not isinstance(state_size, (list, tuple, numbers.Integral)):
            raise ValueError(f"state_size must be an integer, or a list/tuple of integers (one for each state "
                             f"tensor). Received: state_size={state_size!r}")
        if stateful:
            raise ValueError("convkit does not support stateful recurrent layers yet. Received: stateful=True")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)  # the same numbers either way
        # where a mask hides a step: zeros in the sequence output instead of the previous output
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.single_state = isinstance(state_size, numbers.Integral)
        self.state_size = [int(state_size)] if self.single_state else list(state_size)
        self.input_spec = InputSpec(min_ndim=3)

    def _keras_sublayers(self):
        return [("cell", self.cell)] if isinstance(self.cell, Layer) else []

    def build(self, sequences_shape):
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)

    def _check_input_spec(self, shapes):
        super()._check_input_spec(shapes)
        if isinstance(self.cell, Layer) and isinstance(shapes, tuple) and len(shapes) >= 3:
            self.cell._check_input_spec((shapes[0],) + tuple(shapes[2:]))  # the cell's own message

    # ---- states ------------------------------------------------------------------------------

    def get_initial_state(self, batch_size):
        """Zeros in Keras's structure (the cell's own `get_initial_state` where it has one)."""
        make = getattr(self.cell, "get_initial_state", None)
        if make is None:
            return [np.zeros((batch_size, d), np.float32) for d in self.state_size]
        states = make(batch_size=batch_size)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        # fresh float32 arrays (the C loop writes into them), nested tuples as lists
        return [[_args.as_float32_array(s, "initial_state").copy() for s in entry]
                if isinstance(entry, (list, tuple)) else _args.as_float32_array(entry, "initial_state").copy()
                for entry in states]

    def _structured_states(self, states, batch, leaf):
        """The given initial states (a list) matched to the state sizes: per entry of state_size,
        an int takes one state (alone, or in a list of one) and a list takes a list of as many.
        Each state goes through leaf(state, expected shape); the result keeps the given structure."""
        if len(states) != len(self.state_size):
            raise ValueError(f"Layer '{self.name}' expects {len(self.state_size)} initial state(s). "
                             f"Received: {len(states)} in initial_state")
        out = []
        for entry, size in zip(states, self.state_size):
            several = isinstance(size, (list, tuple))
            as_list = _is_state_list(entry) if not several else isinstance(entry, (list, tuple))
            sizes, given = (list(size) if several else [size]), (list(entry) if as_list else [entry])
            if len(given) != len(sizes):
                raise ValueError(f"Layer '{self.name}': an entry of `initial_state` must hold {len(sizes)} state(s), "
                                 f"one per state of its cell (state_size {size}). Received: {entry!r}")
            checked = [leaf(s, (batch, d)) for s, d in zip(given, sizes)]
            out.append(checked if as_list else checked[0])
        return out

    def _state_shapes(self, input_shape):
        """Every initial state's shape, in order (the states of stacked cells one after another)."""
        return [(tuple(input_shape)[0], d) for d in flatten(self.state_size)]

    def _initial_states(self, n, initial_state):
        if initial_state is None:
            return self.get_initial_state(n)

        def leaf(state, shape):
            arr = _args.as_float32_array(state, "initial_state")
            if arr.shape != shape:
                raise ValueError(f"Each initial state of layer '{self.name}' must have shape {shape}. "
                                 f"Received: initial_state shape {arr.shape}")
            return arr.copy()  # the C loop updates the states in place

        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        return self._structured_states(given, n, leaf)

    # ---- calling -----------------------------------------------------------------------------

    def __call__(self, inputs, *args, **kwargs):
        initial_state = kwargs.get("initial_state")
        if initial_state is not None and is_symbolic(initial_state):
            given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            self._structured_states(given, None, lambda state, shape: state)  # how the states nest
            _check_symbolic_initial_state(self, inputs, flatten(initial_state))  # what they are, their shapes
        return super().__call__(inputs, *args, **kwargs)

    def _nested_states(self):
        return self.return_state and any(isinstance(s, (list, tuple)) for s in self.state_size)

    def _symbolic_call(self, inputs, args, kwargs):
        if not self._nested_states():
            return super()._symbolic_call(inputs, args, kwargs)
        # The graph's node holds its outputs flat (as Keras's does); the caller gets them nested
        # as Keras's symbolic call returns them: [output, [h1, c1], h2].
        self._flat_output_shapes = True
        try:
            flat = iter(super()._symbolic_call(inputs, args, kwargs))
        finally:
            self._flat_output_shapes = False
        return [next(flat)] + [[next(flat) for _ in s] if isinstance(s, (list, tuple)) else next(flat)
                               for s in self.state_size]

    def call(self, inputs, initial_state=None, mask=None):
        x = inputs[:, ::-1] if self.go_backwards else inputs
        step_mask = None if mask is None else _step_mask(self, mask, x.shape[0], x.shape[1])
        if step_mask is not None and self.go_backwards:
            step_mask = step_mask[:, ::-1]
        states = self._initial_states(x.shape[0], initial_state)
        last, sequence, states = _run(self.cell, x, states, self.return_sequences, step_mask,
                                      self.zero_output_for_mask)
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output] + states
        return output

    def compute_mask(self, inputs, mask=None):
        """Keras's: the sequence output keeps the input's mask, the last output and states none."""
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def compute_output_shape(self, sequences_shape):
        shape = tuple(sequences_shape)
        n, steps = shape[0], shape[1]
        size = _output_size(self.cell)
        output = (n, steps, size) if self.return_sequences else (n, size)
        if not self.return_state:
            return output
        states = [[(n, d) for d in s] if isinstance(s, (list, tuple)) else (n, s) for s in self.state_size]
        if self._flat_output_shapes:
            return [output] + [s for entry in states for s in (entry if isinstance(entry, list) else [entry])]
        return [output] + states

    # ---- config ------------------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update({
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask, "cell": _serialize_cell(self.cell),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = _deserialize_cell(config.pop("cell"), custom_objects)
        return cls(cell, **config)
