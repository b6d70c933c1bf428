"""Convolutional LSTM layers ConvLSTM1D, ConvLSTM2D and ConvLSTM3D with Keras 3's arguments and
weight layout: kernel (k..., in_channels, 4 * filters), recurrent_kernel (k..., filters,
4 * filters), bias (4 * filters,); gates in the order i, f, c, o along the last axis.

Inputs are (batch, time, spatial..., channels) or, with data_format='channels_first',
(batch, time, channels, spatial...). The input-to-state convolution (strides, padding, dilation,
bias fused) runs once over every time step, with time folded into the batch; the time loop then
does one 'same', stride-1 convolution of h with the recurrent kernel per step and the gate math
on whole arrays. channels_first is transposed once on the way in and once on the way out; the
loop itself works channels-last.

Inference only, as convkit's LSTM: dropout / recurrent_dropout act only in training (a call with
training=True that would drop is refused); regularizers and constraints are stored and
serialised, never applied. `initial_state=[h, c]` takes arrays in eager calls and, in a functional
model, tensors of the model. Masks (Keras's, (batch, steps)) skip the masked steps as the
recurrent layers do. Not supported: stateful=True.
"""
import numpy as np

from convkit import _args, activations, initializers, ops, regularizers
from convkit._prepared import PreparedConv
from convkit.layers.base import InputSpec
from convkit.layers.convolutional import _reg_config, _regularizers_and_constraints, _SpatialLayer, positive_int
from convkit.layers.recurrent import (
    _check_symbolic_initial_state, _last_output, _LSTMBiasInitializer, _set_sequence_options, _step_mask,
)

__all__ = ["ConvLSTM", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


class ConvLSTM(_SpatialLayer):
    """N-D convolutional LSTM (rank from the subclass)."""

    supports_masking = True

    _REGS = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
             "recurrent_constraint", "bias_constraint")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters")
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate, allow_causal=False)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.recurrent_initializer = initializers.get(recurrent_initializer, "recurrent_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self.unit_forget_bias = bool(unit_forget_bias)
        _regularizers_and_constraints(self, {
            "kernel_regularizer": kernel_regularizer, "recurrent_regularizer": recurrent_regularizer,
            "bias_regularizer": bias_regularizer, "kernel_constraint": kernel_constraint,
            "recurrent_constraint": recurrent_constraint, "bias_constraint": bias_constraint})
        _set_sequence_options(self, dropout, recurrent_dropout, return_sequences, return_state, go_backwards,
                              stateful, unroll, seed)
        # where a mask hides a step: zeros in the sequence output instead of the previous output
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=self.rank + 3)
        self.kernel = self.recurrent_kernel = self.bias = None

    # ---- shapes ---------------------------------------------------------------------------------

    def _split_sequence(self, input_shape):
        """(batch, time, spatial dims, channels) of a sequence shape in this layer's data format."""
        shape = tuple(input_shape)
        self.input_spec.check(shape, self.name)
        if self.data_format == "channels_last":
            return shape[0], shape[1], shape[2:-1], shape[-1]
        return shape[0], shape[1], shape[3:], shape[2]

    def _state_shape(self, batch, spatial):
        """A state's shape (h or c) in this layer's data format, for output spatial sizes `spatial`."""
        if self.data_format == "channels_last":
            return (batch,) + tuple(spatial) + (self.filters,)
        return (batch, self.filters) + tuple(spatial)

    def build(self, input_shape):
        _, _, spatial, channels = self._split_sequence(input_shape)
        if None in spatial:
            raise ValueError(f"ConvLSTM layers only support static input shapes for the spatial dimension. "
                             f"Received invalid input shape: input_shape={tuple(input_shape)}")
        channel_axis = 2 if self.data_format == "channels_first" else -1
        if channels is None:
            raise ValueError(f"The channel dimension of the inputs (axis {channel_axis}) should be defined. "
                             f"Found None. Full input shape received: input_shape={tuple(input_shape)}")
        self._conv_spatial(input_shape, spatial)  # refuses a kernel that does not fit
        width = 4 * self.filters
        self.kernel = self.add_weight(self.kernel_size + (channels, width), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(self.kernel_size + (self.filters, width), self.recurrent_initializer,
                                                name="recurrent_kernel", regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            bias_init = (_LSTMBiasInitializer(self.bias_initializer, self.filters) if self.unit_forget_bias
                         else self.bias_initializer)
            self.bias = self.add_weight((width,), bias_init, name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        # As Keras: the spatial sizes and the channels are fixed once built (the state's shape
        # depends on them); the batch and the number of time steps are free.
        first = 3 if self.data_format == "channels_first" else 2
        axes = {first + i: d for i, d in enumerate(spatial)}
        axes[channel_axis] = channels
        self.input_spec = InputSpec(ndim=self.rank + 3, axes=axes)

    def compute_output_shape(self, input_shape):
        batch, steps, spatial, _ = self._split_sequence(input_shape)
        state = self._state_shape(batch, self._conv_spatial(input_shape, spatial))
        out = (batch, steps) + state[1:] if self.return_sequences else state
        if self.return_state:
            return [out, state, state]
        return out

    # ---- compute --------------------------------------------------------------------------------

    def _prepare(self):
        # Both convolutions work channels-last; the layer moves channels_first data itself.
        return {
            "input": PreparedConv(self.kernel.value, self.bias.value if self.use_bias else None, self.strides,
                                  self.padding, self.dilation_rate, data_format="channels_last", rank=self.rank),
            "recurrent": PreparedConv(self.recurrent_kernel.value, None, 1, "same", 1, data_format="channels_last",
                                      rank=self.rank),
        }

    def _initial_states(self, n, spatial, initial_state):
        """[h, c] channels-last: zeros, or the caller's states (in the layer's data format) moved once."""
        last = (n,) + tuple(spatial) + (self.filters,)
        if initial_state is None:
            return [np.zeros(last, np.float32), np.zeros(last, np.float32)]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != 2:
            raise ValueError(f"Layer '{self.name}' expects 2 initial states (h and c). "
                             f"Received: {len(states)} in initial_state")
        expected = self._state_shape(n, spatial)
        out = []
        for s in states:
            arr = _args.as_float32_array(s, "initial_state")
            if arr.shape != expected:
                raise ValueError(f"Each initial state of layer '{self.name}' must have shape {expected}. "
                                 f"Received: initial_state shape {arr.shape}")
            # read, never written: each step makes new h and c arrays
            out.append(ops._channels_last(arr) if self.data_format == "channels_first" else arr)
        return out

    def __call__(self, inputs, *args, **kwargs):
        _check_symbolic_initial_state(self, inputs, kwargs.get("initial_state", args[0] if args else None))
        return super().__call__(inputs, *args, **kwargs)

    def _state_shapes(self, input_shape):
        """The shapes of h and c for inputs of `input_shape` (what `initial_state` must hold)."""
        batch, _, spatial, _ = self._split_sequence(input_shape)
        state = self._state_shape(batch, self._conv_spatial(input_shape, spatial))
        return [state, state]

    def call(self, inputs, initial_state=None, mask=None):
        n, steps = inputs.shape[:2]
        if steps == 0:
            raise ValueError(f"Layer '{self.name}' needs at least one time step. "
                             f"Received: inputs.shape={inputs.shape}")
        step_mask = None if mask is None else _step_mask(self, mask, n, steps)
        prepared = self._prepared()
        # Every step's input convolution at once: time folded into the batch (a view when
        # channels-last), channels moved last once for channels_first.
        frames = inputs.reshape((n * steps,) + inputs.shape[2:])
        if self.data_format == "channels_first":
            frames = ops._channels_last(frames)
        projected = prepared["input"](frames)  # (n * steps, out spatial..., 4 * filters), bias added
        spatial = projected.shape[1:-1]
        projected = projected.reshape((n, steps) + projected.shape[1:])
        h, c = self._initial_states(n, spatial, initial_state)
        seq = np.empty((n, steps) + h.shape[1:], np.float32) if self.return_sequences else None
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        f = self.filters
        for t, step in enumerate(order):
            if t == 0 and initial_state is None:
                z = projected[:, step].copy()  # h starts at zero: its convolution would add zeros
            else:
                z = prepared["recurrent"](h)
                z += projected[:, step]
            i = self.recurrent_activation(z[..., :f])
            forget = self.recurrent_activation(z[..., f:2 * f])
            g = self.activation(z[..., 2 * f:3 * f])
            o = self.recurrent_activation(z[..., 3 * f:])
            c_new = forget * c + i * g
            h_new = o * self.activation(c_new)
            if step_mask is None:
                h, c = h_new, c_new
                if seq is not None:
                    seq[:, t] = h  # in processing order, as Keras returns it with go_backwards
                continue
            # Keras's masked step: the old state where masked; the output zeros or the previous
            # step's output there (zeros before the first)
            keep = step_mask[:, step].reshape((n,) + (1,) * (h.ndim - 1))
            h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
            if seq is not None:
                previous = seq[:, t - 1] if t > 0 and not self.zero_output_for_mask else np.float32(0)
                seq[:, t] = np.where(keep, h, previous)
        last = h
        if seq is None and step_mask is not None:
            last = _last_output(h, step_mask[:, ::-1] if self.go_backwards else step_mask, self.zero_output_for_mask)
        if self.data_format == "channels_first":
            h, c, last = ops._channels_first(h), ops._channels_first(c), ops._channels_first(last)
            if seq is not None:
                seq = ops._channels_first(seq.reshape((n * steps,) + seq.shape[2:]))
                seq = seq.reshape((n, steps) + seq.shape[1:])
        output = seq if seq is not None else last
        if self.return_state:
            return [output, h, c]
        return output

    def compute_mask(self, inputs, mask=None):
        """Keras's: the sequence output keeps the input's mask, the last output and states none."""
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        output_mask = mask if self.return_sequences else None
        return [output_mask, None, None] if self.return_state else output_mask

    def _differs_in_training(self):
        # Keras drops only for a rate strictly between 0 and 1 (a rate of 1 is clipped and ignored).
        return 0.0 < self.dropout < 1.0 or 0.0 < self.recurrent_dropout < 1.0

    # ---- config -----------------------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update({
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),  # always, as Keras
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
        })
        config.update(_reg_config(self, self._REGS))
        return config


class ConvLSTM1D(ConvLSTM):
    """1D convolutional LSTM: inputs (batch, time, steps, channels)."""
    rank = 1


class ConvLSTM2D(ConvLSTM):
    """2D convolutional LSTM: inputs (batch, time, rows, cols, channels)."""
    rank = 2


class ConvLSTM3D(ConvLSTM):
    """3D convolutional LSTM: inputs (batch, time, dim1, dim2, dim3, channels)."""
    rank = 3
