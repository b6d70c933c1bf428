"""Layers that wrap other layers: Keras 3's `Wrapper` base, `TimeDistributed` and `Bidirectional`.

A wrapper owns no weights of its own: its weights are its inner layers', in Keras's order (for
Bidirectional, the forward layer's then the backward layer's), so `set_weights` with Keras's
`get_weights()` works as for any layer. The config nests the inner layers' configs
(`{'module', 'class_name', 'config', 'registered_name'}`), as Keras writes them.

TimeDistributed folds the time axis into the batch: (N, T, ...) -> (N * T, ...), one call of the
inner layer, then back to (N, T, ...). Every time slice goes through the same weights, so this
gives Keras's per-slice results with one kernel call instead of T.

Bidirectional runs a forward copy of a recurrent layer and a backward copy (go_backwards
flipped), puts the backward sequence back in time order and merges the two ('concat', 'sum',
'mul', 'ave', or None for both as separate outputs); with return_state the forward layer's
states then the backward layer's follow the outputs. A mask goes to both layers (Keras makes
their zero_output_for_mask follow return_sequences); TimeDistributed folds one into the inner
layer's batch as its input. Not supported: stateful layers (convkit's recurrent layers refuse
them). `initial_state` (the forward layer's states, then the
backward layer's) takes arrays, or in a functional model tensors of the model.
"""
import copy

import numpy as np

from convkit.layers.base import Layer
from convkit.layers.recurrent import _check_symbolic_initial_state

__all__ = ["Wrapper", "TimeDistributed", "Bidirectional"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _deserialize_layer(entry, custom_objects=None):
    """A layer from its nested config entry. Nested models (Sequential, Functional), custom
    classes and layers are resolved as in a model config."""
    from convkit.models import _layer_from_entry  # models imports layers: import when used

    return _layer_from_entry(entry, custom_objects)


def _serialize_layer(layer):
    from convkit import layers

    return layers.serialize(layer)


def _copy_layer(layer, **overrides):
    """A fresh layer made from `layer`'s config with some entries replaced (no weights shared)."""
    config = copy.deepcopy(layer.get_config())
    config.update(overrides)
    return type(layer).from_config(config)


def _remove_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class _LayerOfLayers(Layer):
    """A layer whose weights all belong to inner layers (Keras's tracking of sub-layers): the
    weight lists are the inner layers' lists, in order."""

    def _keras_sublayers(self):
        """(attribute name, layer) for each inner layer, in Keras's weight order. The attribute
        names are the groups Keras 3 saves the inner layers' variables under in a `.keras` file
        (convkit.saving reads them)."""
        raise NotImplementedError

    def _trainable_sublayers(self):
        return [layer for _, layer in self._keras_sublayers()]

    def _collect(self, pick):
        out, seen = [], set()
        for _, layer in self._keras_sublayers():
            for w in pick(layer):
                if id(w) not in seen:  # one layer passed as two inner layers counts once
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def weights(self):
        return self._collect(lambda layer: layer.weights)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return self._collect(lambda layer: layer.trainable_weights)

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return self._collect(lambda layer: layer.non_trainable_weights)

    def _differs_in_training(self):
        return any(layer._differs_in_training() for _, layer in self._keras_sublayers())


class Wrapper(_LayerOfLayers):
    """Base of the layers that wrap one layer (`self.layer`); Keras's abstract `Wrapper`."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure "
                             f"wrapped layer is a valid convkit layer (a `convkit.layers.Layer` instance).")
        super().__init__(**kwargs)
        self.layer = layer

    def _keras_sublayers(self):
        return [("layer", self.layer)]

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)

    def call(self, inputs):
        raise NotImplementedError(f"`Wrapper` is an abstract base class: layer '{self.name}' cannot be called. "
                                  f"Use `TimeDistributed` or `Bidirectional`, or subclass `Wrapper` and define "
                                  f"`call`.")

    def compute_output_shape(self, input_shape):
        raise NotImplementedError(f"`Wrapper` is an abstract base class: layer '{self.name}' has no output shape.")

    def get_config(self):
        config = super().get_config()
        config["layer"] = _serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies `layer` to every time slice (axis 1) of an input of rank >= 3, with the same weights."""

    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `convkit.layers.Layer` instance. "
                             f"Received: {layer}")
        super().__init__(layer, **kwargs)

    @staticmethod
    def _child_input_shape(input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                             f"dimensions, received: {input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child_shape = self._child_input_shape(input_shape)
        if not self.layer.built:
            self.layer._check_input_spec(child_shape)  # the inner layer's own message, before it builds
        super().build(child_shape)

    def _refuse_many_outputs(self, count):
        raise ValueError(f"`TimeDistributed` needs a layer with a single output. Layer '{self.layer.name}' "
                         f"returns {count} outputs.")

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        child_out = self.layer.compute_output_shape(self._child_input_shape(input_shape))
        if isinstance(child_out, list):
            self._refuse_many_outputs(len(child_out))
        return (child_out[0], input_shape[1], *child_out[1:])

    def call(self, inputs, mask=None):
        n, steps = self._child_input_shape(inputs.shape)[0], inputs.shape[1]
        kwargs = {}
        if mask is not None:
            mask = np.asarray(mask)
            if mask.ndim < 2 or mask.shape[:2] != (n, steps):
                raise ValueError(f"The `mask` passed to the `TimeDistributed` layer must have at least 2 dimensions "
                                 f"matching the input's batch size and timesteps ({n}, {steps}). Received: mask of "
                                 f"shape {mask.shape}")
            if self.layer._call_takes_mask():
                # Keras gives the inner layer each step's slice of the mask; folded as the input is
                kwargs["mask"] = mask.reshape((n * steps,) + mask.shape[2:])
        # (N, T, ...) -> (N * T, ...): a view of the C-contiguous input, which the inner layer only reads
        y = self.layer(inputs.reshape((n * steps,) + inputs.shape[2:]), **kwargs)
        if isinstance(y, list):
            self._refuse_many_outputs(len(y))
        return y.reshape((n, steps) + y.shape[1:])


class Bidirectional(_LayerOfLayers):
    """Runs a recurrent layer forwards and backwards over the sequence and merges the outputs."""

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `convkit.layers.Layer` instance. "
                             f"Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `convkit.layers.Layer` instance. "
                             f"Received: {backward_layer}")
        if not (merge_mode is None or (isinstance(merge_mode, str) and merge_mode in _MERGE_MODES)):
            raise ValueError(f'Invalid merge mode. Received: {merge_mode}. Merge mode should be one of '
                             f'{{"sum", "mul", "ave", "concat", None}}')
        for wrapped in (layer, backward_layer):
            if wrapped is not None and not all(hasattr(wrapped, a)
                                               for a in ("go_backwards", "return_sequences", "return_state")):
                raise TypeError(f"`Bidirectional` wraps a recurrent layer (LSTM, GRU, SimpleRNN, or a layer with "
                                f"`go_backwards`, `return_sequences` and `return_state`). Received: "
                                f"{type(wrapped).__name__} '{wrapped.name}'")
        if weights is not None and len(weights) == 0:
            weights = None
        # `weights` (the forward layer's then the backward layer's) are set once the layer is built,
        # as every convkit layer does with `weights=`; Keras 3 stores them and never uses them.
        super().__init__(weights=weights, **kwargs)
        # fresh copies, so the wrapped instance's state is not shared (as Keras)
        self.forward_layer = _copy_layer(layer, name=f"forward_{_remove_prefix(layer.name, 'forward_')}")
        if backward_layer is None:
            self.backward_layer = _copy_layer(layer, go_backwards=True,
                                              name=f"backward_{_remove_prefix(layer.name, 'backward_')}")
        else:
            self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):  # not in the config; kept as Keras does
            self.forward_layer.use_cudnn = self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_pair()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences  # what Keras forces (masks only)
        self.merge_mode = merge_mode
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec

    def _verify_pair(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(f"Forward layer and backward layer should have different `go_backwards` value. "
                             f"Received: forward_layer.go_backwards {forward.go_backwards}, "
                             f"backward_layer.go_backwards={backward.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            f_value, b_value = getattr(forward, attr, False), getattr(backward, attr, False)
            if f_value != b_value:
                raise ValueError(f'Forward layer and backward layer are expected to have the same value for '
                                 f'attribute "{attr}", got "{f_value}" for forward layer and "{b_value}" for '
                                 f'backward layer')

    def _keras_sublayers(self):
        return [("forward_layer", self.forward_layer), ("backward_layer", self.backward_layer)]

    def __call__(self, inputs, *args, **kwargs):
        _check_symbolic_initial_state(self, inputs, kwargs.get("initial_state"))
        return super().__call__(inputs, *args, **kwargs)

    def _state_shapes(self, input_shape):
        """The forward layer's initial states, then the backward layer's (None where a wrapped
        layer does not say which states it takes)."""
        if not all(hasattr(sub, "_state_shapes") for sub in (self.forward_layer, self.backward_layer)):
            return None
        return self.forward_layer._state_shapes(input_shape) + self.backward_layer._state_shapes(input_shape)

    def build(self, input_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(input_shape)

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, states = tuple(out[0]), [tuple(s) for s in out[1:]]
        if self.merge_mode == "concat":
            out = out[:-1] + (None if out[-1] is None else 2 * out[-1],)
        outputs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outputs + states + states
        return outputs if self.merge_mode is None else out

    def call(self, inputs, initial_state=None, mask=None):
        forward_kwargs, backward_kwargs = {}, {}
        if mask is not None and self.forward_layer._call_takes_mask():
            forward_kwargs["mask"] = backward_kwargs["mask"] = mask
        if initial_state is not None:
            # the first half of the states starts the forward layer, the second half the backward one
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            half = len(states) // 2
            forward_kwargs["initial_state"], backward_kwargs["initial_state"] = states[:half], states[half:]
        y = self.forward_layer(inputs, **forward_kwargs)
        y_rev = self.backward_layer(inputs, **backward_kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]  # the backward layer's sequence runs from the last step: back to time order
        if self.merge_mode == "concat":
            output = [np.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            output = [y + y_rev]
        elif self.merge_mode == "ave":
            output = [(y + y_rev) / np.float32(2)]
        elif self.merge_mode == "mul":
            output = [y * y_rev]
        else:
            output = [y, np.ascontiguousarray(y_rev)]
            if not self.return_sequences:
                # a recurrent layer returns its last output and its h state as one array; outputs
                # of this layer share no memory with one another
                states = [s.copy() for s in states]
        if self.return_state or self.merge_mode is None:
            return output + states
        return output[0]

    def compute_mask(self, inputs, mask=None):
        """Keras's: the sequence outputs keep the input's mask; a last output and states have none."""
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        if not self.return_sequences:
            return None
        return [mask, mask] if self.merge_mode is None else mask

    def get_config(self):
        config = super().get_config()
        config.update({"merge_mode": self.merge_mode, "layer": _serialize_layer(self.forward_layer),
                       "backward_layer": _serialize_layer(self.backward_layer)})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = _deserialize_layer(config["layer"], custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = _deserialize_layer(backward, custom_objects)
        return cls(**config)
