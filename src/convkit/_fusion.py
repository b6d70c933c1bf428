"""Fusion of a model's plan: Conv / DepthwiseConv / Dense -> BatchNormalization -> activation
run as one kernel call, and a merging layer (Add, ...) -> activation run in place on the merge's
output.

At inference, BatchNormalization is an affine map per channel (y = x * scale + shift), so it
folds into the producer's weights (w' = w * scale per output channel, b' = b * scale + shift);
an elementwise activation that the C core can fuse then runs in the producer's epilogue while the
output tile is still in registers. A chain is fused only when nothing else can see the
intermediate results: each one feeds only the next step and is no output of the model, and no
step carries call keyword arguments. Whether the BatchNormalization normalises the producer's
channel axis depends on the input's rank, so that is checked at the first call; a chain that
does not qualify runs its layers one by one, unchanged.

The folded weights are rebuilt whenever any layer of the chain gets new weights (each layer counts
its weight changes in `_weights_version`). Folding changes float rounding slightly (one multiply
moves from the output to the weights), well inside the tolerance the Keras parity tests use.
"""
import numpy as np

from convkit._prepared import PreparedConv, PreparedDense, PreparedDepthwise
from convkit.layers.activation_layers import ELU, LeakyReLU, ReLU
from convkit.layers.convolutional import BaseConv, BaseDepthwiseConv
from convkit.layers.core import Activation, Dense
from convkit.layers.merging import Merge
from convkit.layers.normalization import BatchNormalization


def _fusable_activation(layer):
    """The activation a layer applies, if it is a standalone activation layer the C core can fuse."""
    if isinstance(layer, ReLU):
        return layer._fused
    if isinstance(layer, (LeakyReLU, ELU)):
        return layer._act
    if type(layer) is Activation and layer.activation.fusable:
        return layer.activation
    return None


def _is_producer(layer):
    if isinstance(layer, BaseDepthwiseConv):
        return layer.padding in ("valid", "same") and layer.activation.is_linear
    return isinstance(layer, (BaseConv, Dense)) and layer.activation.is_linear


class FusedStep:
    """One plan step standing for a producer, an optional BatchNormalization and an optional
    activation layer. Called like a layer; falls back to calling the layers in turn."""

    def __init__(self, layers, activation):
        self.layers = layers
        self.producer = layers[0]
        self.bn = layers[1] if len(layers) > 1 and isinstance(layers[1], BatchNormalization) else None
        self.activation = activation
        self.name = "+".join(layer.name for layer in layers)
        self._key = None
        self._run = None
        self._qualifies = {}

    def compute_output_shape(self, shape):
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def _channel_axis_ok(self, ndim):
        if self.bn is None:
            return True
        ok = self._qualifies.get(ndim)
        if ok is None:
            producer = self.producer
            channels_first = getattr(producer, "data_format", "channels_last") == "channels_first"
            ok = self.bn.axis % ndim == (1 if channels_first and not isinstance(producer, Dense) else ndim - 1)
            self._qualifies[ndim] = ok
        return ok

    def _build(self):
        p = self.producer
        kernel = p.kernel.value
        bias = p.bias.value if p.use_bias else None
        if self.bn is not None:
            folded = self.bn._prepared()
            scale, shift = folded["scale"], folded["shift"]
            if isinstance(p, BaseDepthwiseConv):
                kernel = kernel * scale.reshape(kernel.shape[-2:])
            else:
                kernel = kernel * scale
            bias = shift if bias is None else bias * scale + shift
        kernel = np.ascontiguousarray(kernel, dtype=np.float32)
        bias = None if bias is None else np.ascontiguousarray(bias, dtype=np.float32)
        act = self.activation
        if isinstance(p, Dense):
            return PreparedDense(kernel, bias, act)
        if isinstance(p, BaseDepthwiseConv):
            return PreparedDepthwise(kernel, bias, p.strides, p.padding, p.dilation_rate, act, p.data_format,
                                     rank=p.rank)
        return PreparedConv(kernel, bias, p.strides, p.padding, p.dilation_rate, p.groups, act, p.data_format,
                            rank=p.rank, algorithm=p.algorithm)

    def _unfused(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __call__(self, x):
        if not self.producer.built or (self.bn is not None and not self.bn.built):
            return self._unfused(x)  # the first call builds the layers from the real shapes
        x = np.asarray(x)
        if not self._channel_axis_ok(x.ndim):
            return self._unfused(x)
        key = tuple(layer._weights_version for layer in self.layers)
        if key != self._key:
            self._run, self._key = self._build(), key
        if type(x) is not np.ndarray or x.dtype != np.float32:
            x = self.producer._convert_inputs(x)
        self.producer._check_input_spec(x.shape)
        return self._run(x)


class MergeActivationStep:
    """One plan step standing for a merging layer (Add after a residual block, Concatenate, ...)
    and the activation layer that alone reads its result: the activation runs in place on the
    merge's fresh output instead of on a copy of it (one pass over the tensor instead of two, and
    no second allocation). The same values as calling the two layers in turn."""

    def __init__(self, merge, act_layer, activation):
        self.layers = [merge, act_layer]
        self.merge, self.act_layer, self.activation = merge, act_layer, activation
        self.name = f"{merge.name}+{act_layer.name}"

    def compute_output_shape(self, shapes):
        return self.act_layer.compute_output_shape(self.merge.compute_output_shape(shapes))

    def __call__(self, xs):
        if self.merge.built and self.act_layer.built and self.activation.fusable and self.merge._c_op is not None:
            # merge and activation in one C pass over the inputs
            conv = self.merge._convert_inputs(xs)
            self.merge._check_input_spec([x.shape for x in conv])
            y = self.merge._merge_c(conv, self.activation)
            if y is not None:
                return y
        y = self.merge(xs)
        if not self.act_layer.built:
            return self.act_layer(y)  # the first call builds the activation layer
        fresh = (type(y) is np.ndarray and y.dtype == np.float32 and y.flags.c_contiguous and y.flags.owndata
                 and not any(isinstance(x, np.ndarray) and np.shares_memory(y, x) for x in xs))
        if not fresh:
            return self.act_layer(y)
        return self.activation.apply_inplace(y)


def fuse_steps(steps, kept_slots):
    """Plan steps (layer, args, outs, kwargs) -> steps with qualifying chains replaced by FusedStep."""
    readers = {}
    for i, (_, args, _, _) in enumerate(steps):
        for s in (args if isinstance(args, list) else [args]):
            readers.setdefault(s, []).append(i)

    def sole_reader(step):
        """The index of the one step reading this step's single output, or None."""
        _, _, outs, _ = step
        if len(outs) != 1 or outs[0] in kept_slots:
            return None
        r = readers.get(outs[0], [])
        return r[0] if len(r) == 1 else None

    def activation_reader(j):
        """The fusable activation of step j (None when there is no step j, it has call keyword
        arguments, or it is no fusable activation layer)."""
        return _fusable_activation(steps[j][0]) if j is not None and not steps[j][3] else None

    fused, consumed = [], set()
    for i, step in enumerate(steps):
        if i in consumed:
            continue
        layer, args, outs, kwargs = step
        if not kwargs and isinstance(args, list) and isinstance(layer, Merge):
            j = sole_reader(step)
            act = activation_reader(j)
            if act is not None:
                consumed.add(j)
                fused.append((MergeActivationStep(layer, steps[j][0], act), args, steps[j][2], {}))
                continue
        if kwargs or isinstance(args, list) or not _is_producer(layer):
            fused.append(step)
            continue
        chain, taken = [layer], []
        j = sole_reader(step)
        if j is not None and isinstance(steps[j][0], BatchNormalization) and not steps[j][3]:
            chain.append(steps[j][0])
            taken.append(j)
            j = sole_reader(steps[j])
        act = activation_reader(j)
        if act is not None:
            chain.append(steps[j][0])
            taken.append(j)
        if not taken:
            fused.append(step)
            continue
        consumed.update(taken)
        fused.append((FusedStep(chain, act), args, steps[taken[-1]][2], {}))
    return fused
