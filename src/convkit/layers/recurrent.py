"""Recurrent layers SimpleRNN, LSTM and GRU with Keras 3's arguments and weight layout:
kernel (input_dim, units * gates), recurrent_kernel (units, units * gates), bias; LSTM gates in
the order i, f, c, o; GRU gates z, r, h (reset_after=True: bias (2, 3 * units), input bias then
recurrent bias).

The input projection of every timestep is one GEMM on convkit's kernel (convkit.ops.dense); each
step then does one small GEMM with the recurrent kernel and the gate math in vectorised numpy.
dropout / recurrent_dropout act only in training and are accepted but unused; regularizers and
constraints are stored and serialised, never applied. `initial_state` takes arrays in eager calls
and, in a functional model, tensors of the model (its inputs or other layers' outputs), whose
arrays the model passes in each call. Masks (Keras's, from Embedding(mask_zero=True) or Masking in
a model, or `mask=` in a call) skip the masked steps as Keras does. Not supported: stateful=True.
"""
import numbers

import numpy as np

from convkit import _args, activations, constraints, initializers, ops, regularizers
from convkit.layers.base import InputSpec, Layer
from convkit.layers.convolutional import positive_int
from convkit.layers.symbolic import KerasTensor, is_symbolic

__all__ = ["SimpleRNN", "LSTM", "GRU"]


def _dropout_rate(value, name):
    """Keras clips a dropout rate into [0, 1] rather than refusing it; only a non-number is an error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid value for argument `{name}`: expected a float between 0 and 1. "
                        f"Received: {name}={value!r} of type {type(value).__name__}")
    return min(1.0, max(0.0, float(value)))


def _check_symbolic_initial_state(layer, inputs, initial_state):
    """A functional model's `initial_state` (KerasTensors, made by the model's inputs or layers):
    checked against the states `layer` takes (layer._state_shapes) for a symbolic `inputs`. The
    model's plan then gives the layer their arrays in each call. Numbers are checked in `call`."""
    if initial_state is None:
        return
    states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
    if not any(isinstance(s, KerasTensor) for s in states):
        return
    if not all(isinstance(s, KerasTensor) for s in states):
        raise ValueError(f"Layer '{layer.name}': `initial_state` mixes tensors of the model with other values; pass "
                         f"only KerasTensors there, or only arrays. Received: initial_state={initial_state!r}")
    if not is_symbolic(inputs):
        raise ValueError(f"Layer '{layer.name}': a symbolic `initial_state` (tensors of a functional model) needs "
                         f"symbolic inputs too; call the layer on arrays with arrays as initial states. Received: "
                         f"inputs of type {type(inputs).__name__}")
    sequence = inputs[0] if isinstance(inputs, (list, tuple)) and len(inputs) == 1 else inputs
    if not isinstance(sequence, KerasTensor):
        return  # not one sequence: the layer's own checks report it
    expected = layer._state_shapes(sequence.shape)
    if expected is None:
        return  # a wrapped layer of the user's: its call judges the states
    if len(states) != len(expected):
        raise ValueError(f"Layer '{layer.name}' expects {len(expected)} initial state(s). "
                         f"Received: {len(states)} in initial_state")
    for state, shape in zip(states, expected):
        if len(state.shape) != len(shape) or any(a is not None and b is not None and a != b
                                                 for a, b in zip(state.shape, shape)):
            raise ValueError(f"Each initial state of layer '{layer.name}' must have shape {tuple(shape)}. "
                             f"Received: initial_state shape {state.shape}")


def _set_sequence_options(layer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards,
                          stateful, unroll, seed):
    """The arguments every recurrent layer (and ConvLSTM) takes about the sequence, as attributes."""
    layer.dropout = _dropout_rate(dropout, "dropout")
    layer.recurrent_dropout = _dropout_rate(recurrent_dropout, "recurrent_dropout")
    layer.return_sequences = bool(return_sequences)
    layer.return_state = bool(return_state)
    layer.go_backwards = bool(go_backwards)
    if stateful:
        raise ValueError("convkit does not support stateful recurrent layers yet. Received: stateful=True")
    layer.stateful = False
    layer.unroll = bool(unroll)
    layer.seed = seed


class _LSTMBiasInitializer(initializers.Initializer):
    """Keras's unit_forget_bias: the base initializer everywhere except ones for the forget gate."""

    def __init__(self, base, units):
        super().__init__()
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None):
        u = self.units
        return np.concatenate([self.base((u,)), np.ones(u, np.float32), self.base((2 * u,))]).astype(np.float32)


def _step_mask(layer, mask, n, steps):
    """A Keras mask for a sequence as booleans (n, steps): non-zero / True marks a step to use."""
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.shape != (n, steps):
        raise ValueError(f"Layer '{layer.name}': the mask must have shape (batch, timesteps) = ({n}, {steps}). "
                         f"Received: mask of shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Layer '{layer.name}': the mask must hold booleans or numbers. Received: dtype {arr.dtype}")
    return arr.astype(bool, copy=False)


def _set_weight_arguments(layer, kernel_initializer, recurrent_initializer, bias_initializer, kernel_regularizer,
                          recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
                          bias_constraint):
    """The initializers, regularizers and constraints of a recurrent layer's or cell's kernel,
    recurrent kernel and bias, checked and set as attributes."""
    for kind, module, values in (("initializer", initializers, (kernel_initializer, recurrent_initializer,
                                                                bias_initializer)),
                                 ("regularizer", regularizers, (kernel_regularizer, recurrent_regularizer,
                                                                bias_regularizer)),
                                 ("constraint", constraints, (kernel_constraint, recurrent_constraint,
                                                              bias_constraint))):
        for weight, value in zip(("kernel", "recurrent", "bias"), values):
            name = f"{weight}_{kind}"
            setattr(layer, name, module.get(value, name))


def _add_recurrent_weights(layer, input_shape, what):
    """kernel (in, units * gates), recurrent_kernel (units, units * gates) and bias of a recurrent
    layer or cell (`what` names which in the error), in Keras's order; returns the input size."""
    in_dim = tuple(input_shape)[-1]
    if in_dim is None:
        raise ValueError(f"The last dimension of the inputs to {what} '{layer.name}' should be defined. "
                         f"Received: input_shape={tuple(input_shape)}")
    width = layer.units * layer._gates
    layer.kernel = layer.add_weight((in_dim, width), layer.kernel_initializer, name="kernel",
                                    regularizer=layer.kernel_regularizer, constraint=layer.kernel_constraint)
    layer.recurrent_kernel = layer.add_weight((layer.units, width), layer.recurrent_initializer,
                                              name="recurrent_kernel", regularizer=layer.recurrent_regularizer,
                                              constraint=layer.recurrent_constraint)
    if layer.use_bias:
        layer.bias = layer.add_weight(layer._bias_shape(), layer._bias_init(), name="bias",
                                      regularizer=layer.bias_regularizer, constraint=layer.bias_constraint)
    return in_dim


def _input_projection(x, kernel, bias, step_mask=None):
    """x @ kernel + bias for every step, as one GEMM; with the C loop's `step_mask`, for the live
    steps only, since that loop never reads a masked step's projection (its rows stay unset).
    Right-padded text batches skip their padding's share of this GEMM. The live rows keep their
    bits: a GEMM gives a row the same bits whatever its other rows, unless it has one row only
    (the one-row kernel sums in another order), so a lone live step takes a masked one along."""
    if step_mask is None or step_mask.all():
        return ops.dense(x, kernel, bias)
    n, steps, _ = x.shape
    live = step_mask.reshape(-1).copy()
    if np.count_nonzero(live) == 1 and live.size > 1:
        live[1 if live[0] else 0] = True
    projected = np.empty((n * steps, kernel.shape[1]), np.float32)
    projected[live] = ops.dense(x.reshape(n * steps, -1)[live], kernel, bias)
    return projected.reshape(n, steps, -1)


def _python_time_loop(step, projected, states, prepared, seq, step_mask, zero_output_for_mask):
    """The time loop in Python, for cells the C loop cannot run: step(x_t, states, prepared) ->
    new states, with Keras's masked steps (the old state where masked; the output zeros or the
    previous step's output there, zeros before the first). seq, when given, gets every step's
    output. Returns the final states."""
    for t in range(projected.shape[1]):
        new_states = step(projected[:, t], states, prepared)
        if step_mask is None:
            states = new_states
            if seq is not None:
                seq[:, t] = states[0]
            continue
        keep = step_mask[:, t, None]
        states = [np.where(keep, new, old) for new, old in zip(new_states, states)]
        if seq is not None:
            previous = seq[:, t - 1] if t > 0 and not zero_output_for_mask else np.float32(0)
            seq[:, t] = np.where(keep, states[0], previous)
    return states


def _last_output(h, step_mask, zero_output_for_mask):
    """The output of the last step (h, the final state, without a mask). With a mask (in the
    order the steps ran): zeros if that step is masked and zero_output_for_mask, or if no step
    was unmasked at all, else h."""
    if step_mask is None or step_mask.shape[1] == 0:
        return h
    has_output = step_mask[:, -1] if zero_output_for_mask else step_mask.any(axis=1)
    return np.where(has_output.reshape((-1,) + (1,) * (h.ndim - 1)), h, np.float32(0))


class BaseRNN(Layer):
    """Shared argument handling, weights, time loop and output structure."""

    _gates = 1
    supports_masking = True

    def __init__(self, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        # where a mask hides a step: zeros in the sequence output instead of the previous output
        self.zero_output_for_mask = bool(zero_output_for_mask)

    def _setup(self, units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
               bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
               recurrent_constraint, bias_constraint, dropout, recurrent_dropout, return_sequences, return_state,
               go_backwards, stateful, unroll, seed):
        self.units = positive_int(units, "units")
        self.activation = activations.get(activation)
        self.recurrent_activation = None if recurrent_activation is None else activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        _set_weight_arguments(self, kernel_initializer, recurrent_initializer, bias_initializer, kernel_regularizer,
                              recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
                              bias_constraint)
        _set_sequence_options(self, dropout, recurrent_dropout, return_sequences, return_state, go_backwards,
                              stateful, unroll, seed)
        self.input_spec = InputSpec(ndim=3)
        self.kernel = self.recurrent_kernel = self.bias = None

    @property
    def state_size(self):
        return [self.units] * self._n_states

    _n_states = 1

    def _bias_shape(self):
        return (self.units * self._gates,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        in_dim = _add_recurrent_weights(self, input_shape, "layer")
        self.input_spec = InputSpec(ndim=3, axes={-1: in_dim})

    def _prepare(self):
        return {"input_bias": self.bias.value if self.use_bias else None,
                "recurrent_kernel": self.recurrent_kernel.value}

    def _initial_states(self, n, initial_state):
        if initial_state is None:
            return [np.zeros((n, self.units), np.float32) for _ in range(self._n_states)]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != self._n_states:
            raise ValueError(f"Layer '{self.name}' expects {self._n_states} initial state(s). "
                             f"Received: {len(states)} in initial_state")
        out = []
        for s in states:
            arr = _args.as_float32_array(s, "initial_state")
            if arr.shape != (n, self.units):
                raise ValueError(f"Each initial state of layer '{self.name}' must have shape ({n}, {self.units}). "
                                 f"Received: initial_state shape {arr.shape}")
            out.append(arr.copy())
        return out

    def __call__(self, inputs, *args, **kwargs):
        _check_symbolic_initial_state(self, inputs, kwargs.get("initial_state"))
        return super().__call__(inputs, *args, **kwargs)

    def _state_shapes(self, input_shape):
        """The shapes of the initial states this layer takes for inputs of `input_shape`."""
        return [(tuple(input_shape)[0], self.units)] * self._n_states

    def call(self, inputs, initial_state=None, mask=None):
        prepared = self._prepared()
        x = inputs[:, ::-1] if self.go_backwards else inputs
        n, steps, _ = x.shape
        step_mask = None if mask is None else _step_mask(self, mask, n, steps)
        if step_mask is not None and self.go_backwards:
            step_mask = step_mask[:, ::-1]
        cell = self._c_cell()
        projected = _input_projection(x, self.kernel.value, prepared["input_bias"],
                                      step_mask if cell is not None else None)  # (n, steps, units * gates)
        states = self._initial_states(n, initial_state)
        seq = np.empty((n, steps, self.units), np.float32) if self.return_sequences else None
        if cell is not None:
            # The whole time loop in C (same operations, same bits as the loop below).
            ops._rnn_sequence(cell, projected, prepared["recurrent_kernel"], prepared.get("recurrent_bias"),
                              self.activation, self.recurrent_activation, states, seq,
                              None if step_mask is None else np.ascontiguousarray(step_mask, np.uint8),
                              self.zero_output_for_mask)
        else:
            states = _python_time_loop(self._step, projected, states, prepared, seq, step_mask,
                                       self.zero_output_for_mask)
        output = seq if seq is not None else _last_output(states[0], step_mask, self.zero_output_for_mask)
        if self.return_state:
            return [output] + states
        return output

    def compute_mask(self, inputs, mask=None):
        """Keras's: the sequence output keeps the input's mask, the last output and states none."""
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self._n_states
        return output_mask

    _c_cell_id = None  # the cell's ck_rnn_cell when the C loop can run it

    def _c_cell(self):
        """The C core's cell id when its loop computes this layer (built-in activations), else None."""
        if self._c_cell_id is None or not self.activation.fusable:
            return None
        if self.recurrent_activation is not None and not self.recurrent_activation.fusable:
            return None
        return self._c_cell_id

    def compute_output_shape(self, input_shape):
        n, steps, _ = tuple(input_shape)
        out = (n, steps, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [out] + [(n, self.units)] * self._n_states
        return out

    def _base_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        })
        if not isinstance(self, SimpleRNN):
            config["seed"] = self.seed
        if self.recurrent_activation is not None:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config

    def _differs_in_training(self):
        return self.dropout > 0 or self.recurrent_dropout > 0

    def get_config(self):
        return self._base_config()


class SimpleRNN(BaseRNN):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)."""

    _c_cell_id = 0

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(units, activation, None, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                    kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, return_sequences,
                    return_state, go_backwards, stateful, unroll, seed)

    def _step(self, xt, states, prepared):
        z = ops.dense(states[0], prepared["recurrent_kernel"])
        z += xt
        return [self.activation(z)]


class LSTM(BaseRNN):
    """Long short-term memory; gates i, f, c, o in the kernel's columns (Keras's order)."""

    _gates = 4
    _n_states = 2
    _c_cell_id = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, return_sequences,
                    return_state, go_backwards, stateful, unroll, seed)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.use_cudnn = use_cudnn

    def _bias_init(self):
        if self.unit_forget_bias:
            return _LSTMBiasInitializer(self.bias_initializer, self.units)
        return self.bias_initializer

    def _step(self, xt, states, prepared):
        h, c = states
        u = self.units
        z = ops.dense(h, prepared["recurrent_kernel"])
        z += xt
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * g
        h = o * self.activation(c)
        return [h, c]

    def get_config(self):
        config = self._base_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRU(BaseRNN):
    """Gated recurrent unit; gates z, r, h in the kernel's columns. reset_after=True (Keras 3's
    default) applies the reset gate after the recurrent product and keeps two biases."""

    _gates = 3

    @property
    def _c_cell_id(self):
        return 2 if self.reset_after else None  # reset before the product: the Python loop

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, return_sequences,
                    return_state, go_backwards, stateful, unroll, seed)
        self.reset_after = bool(reset_after)
        self.use_cudnn = use_cudnn

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _prepare(self):
        u = self.units
        rk = self.recurrent_kernel.value
        bias = self.bias.value if self.use_bias else None
        if self.reset_after:
            return {"input_bias": None if bias is None else np.ascontiguousarray(bias[0]),
                    "recurrent_bias": None if bias is None else np.ascontiguousarray(bias[1]),
                    "recurrent_kernel": rk}
        return {"input_bias": bias, "recurrent_kernel_zr": np.ascontiguousarray(rk[:, :2 * u]),
                "recurrent_kernel_h": np.ascontiguousarray(rk[:, 2 * u:])}

    def _step(self, xt, states, prepared):
        h = states[0]
        u = self.units
        if self.reset_after:
            hu = ops.dense(h, prepared["recurrent_kernel"], prepared["recurrent_bias"])
            z = self.recurrent_activation(xt[:, :u] + hu[:, :u])
            r = self.recurrent_activation(xt[:, u:2 * u] + hu[:, u:2 * u])
            hh = self.activation(xt[:, 2 * u:] + r * hu[:, 2 * u:])
        else:
            zr = ops.dense(h, prepared["recurrent_kernel_zr"])
            z = self.recurrent_activation(xt[:, :u] + zr[:, :u])
            r = self.recurrent_activation(xt[:, u:2 * u] + zr[:, u:])
            hh = self.activation(xt[:, 2 * u:] + ops.dense(r * h, prepared["recurrent_kernel_h"]))
        return [z * h + (1.0 - z) * hh]

    def get_config(self):
        config = self._base_config()
        config["reset_after"] = self.reset_after
        return config
