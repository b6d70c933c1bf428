"""EinsumDense (Keras 3's `keras.layers.EinsumDense`): `activation(einsum(equation, x, kernel) + bias)`.

The equation has one of three forms: `ab,bc->ac` (no ellipsis: the first input and output letter
is the batch), `...b,bc->...c` (leading axes elided) or `ab...,bc->ac...` (trailing axes
elided). `output_shape` gives the output's sizes after the batch and the elided axes (None where
the input gives them); the kernel's sizes come from the output for letters it shares with the
output and from the input for the letters it contracts. `bias_axes` names the output letters the
bias varies along: the bias spans the output from the first of them to the end, with size 1 on
the letters not named (so it broadcasts against the output).

When the equation contracts the input's last axis (or last axes) with the kernel's leading axes
and keeps everything else in order (`abc,cde->abde`, `abcd,cde->abe`, `...x,xy->...y`: every
projection of MultiHeadAttention and every Dense-like use), the product is one GEMM on views,
(input rows, contracted size) @ (contracted size, output size), on convkit's packed kernel, with
the bias and the activation fused when the bias only spans the kernel's output axes. Other
equations run through numpy.einsum in float32.

Keras's LoRA arguments are accepted and kept in the config: a `.keras` file stores a LoRA layer's
kernel with the adapters merged in, which is the kernel this layer holds, so such a model loads
and computes Keras's numbers. Separate adapter weights (Keras's get_weights() of a LoRA layer) and
quantized layers (int8, int4, float8, GPTQ, AWQ) are refused.
"""
import math
import re

import numpy as np

from convkit import _args, activations, initializers
from convkit._prepared import PreparedDense
from convkit.layers.base import InputSpec, Layer
from convkit.layers.convolutional import _reg_config, _regularizers_and_constraints

__all__ = ["EinsumDense"]

# (pattern, where the ellipsis is); letters only, as Keras's equations
_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."), "right"),
)


def _parse_equation(equation):
    """-> (input letters, kernel letters, output letters, ellipsis: None / 'left' / 'right')."""
    if isinstance(equation, str):
        for pattern, ellipsis in _FORMS:
            match = pattern.fullmatch(equation)
            if match:
                return match.group(1), match.group(2), match.group(3), ellipsis
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
                     f"...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


class _Layout:
    """Shapes an equation gives for one input shape (batch included): kernel, bias (or None),
    full output, and which kernel axes are input (contracted) and output axes."""

    def __init__(self, equation, bias_axes, input_shape, partial_output_shape):
        in_spec, w_spec, out_spec, ellipsis = _parse_equation(equation)
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        elided = rank - len(in_spec)
        if elided < 0 or (ellipsis is None and elided != 0):
            expected = f"at least {len(in_spec)}" if ellipsis else f"{len(in_spec)}"
            raise ValueError(f"The einsum equation '{equation}' takes inputs of rank {expected}. Received: "
                             f"input_shape={input_shape}")
        # the full output: batch, then the leading elided axes, the given sizes, the trailing elided axes
        lead = list(input_shape[1:elided]) if ellipsis == "left" else []
        tail = list(input_shape[rank - elided:]) if ellipsis == "right" else []
        output_shape = [input_shape[0]] + lead + list(partial_output_shape) + tail
        offset = elided if ellipsis == "left" else 0  # where the letters start, in the input and in the output
        if len(output_shape) != len(out_spec) + elided:
            raise ValueError(f"`output_shape` {tuple(partial_output_shape)} does not fit the einsum equation "
                             f"'{equation}' for inputs of shape {input_shape}: the output has "
                             f"{len(out_spec) + elided} dimensions, {len(out_spec) + elided - 1} of them after the "
                             f"batch{' and the elided axes' if elided else ''}, so `output_shape` needs "
                             f"{len(out_spec) + elided - 1 - len(lead) - len(tail)} entries.")
        in_pos = {c: offset + i for i, c in enumerate(in_spec)}
        out_pos = {c: offset + i for i, c in enumerate(out_spec)}
        for c in in_spec:
            given = output_shape[out_pos[c]] if c in out_pos else None
            if given is not None and input_shape[in_pos[c]] is not None and given != input_shape[in_pos[c]]:
                raise ValueError(f"Input shape and output shape do not match at shared dimension '{c}'. Input shape "
                                 f"is {input_shape[in_pos[c]]}, and output shape is {given}.")
        for c in out_spec:
            if c not in in_spec and c not in w_spec:
                raise ValueError(f"Dimension '{c}' was specified in the output '{out_spec}' but has no corresponding "
                                 f"dim in the input spec '{in_spec}' or weight spec '{w_spec}'")
        kernel_shape, self.input_axes, self.output_axes = [], [], []
        for i, c in enumerate(w_spec):
            if c in out_pos:
                size = output_shape[out_pos[c]]
                self.output_axes.append(i)
            elif c in in_pos:
                size = input_shape[in_pos[c]]
                self.input_axes.append(i)
            else:
                raise ValueError(f"Weight dimension '{c}' did not have a match in either the input spec '{in_spec}' "
                                 f"or the output spec '{out_spec}'. For this layer, the weight must be fully "
                                 f"specified.")
            kernel_shape.append(size)
        self.bias_shape = None
        self.bias_start = None  # the output letter the bias starts at
        if bias_axes is not None:
            for c in bias_axes:
                if c not in out_spec:
                    raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the output spec "
                                     f"'{out_spec}'")
            self.bias_start = min(out_spec.index(c) for c in bias_axes)
            bias_shape = []
            for i, c in enumerate(out_spec[self.bias_start:], start=self.bias_start):
                bias_shape.append(output_shape[offset + i] if c in bias_axes else 1)
            if ellipsis != "left":
                bias_shape += [1] * elided  # trailing elided axes (none without an ellipsis)
            self.bias_shape = tuple(bias_shape)
        self.kernel_shape = tuple(kernel_shape)  # None where neither the input nor output_shape gives a size
        self.output_shape = tuple(output_shape)
        self.equation, self.partial_output_shape, self.input_shape = equation, tuple(partial_output_shape), input_shape
        self.specs = (in_spec, w_spec, out_spec, ellipsis)
        # the input axes the kernel contracts, for the input spec
        self.fixed_input_axes = {in_pos[c]: input_shape[in_pos[c]] for c in w_spec if c in in_pos and c not in out_pos}

    def check_weight_shapes(self):
        """Every kernel and bias size must be known to create the weights."""
        w_spec = self.specs[1]
        for c, size in zip(w_spec, self.kernel_shape):
            if size is None:
                raise ValueError(f"The size of weight dimension '{c}' of the einsum equation '{self.equation}' is "
                                 f"unknown: give it in `output_shape` or in the input shape. Received: input_shape="
                                 f"{self.input_shape}, output_shape={self.partial_output_shape}")
        if self.bias_shape is not None and None in self.bias_shape:
            raise ValueError(f"A size of the bias of the einsum equation '{self.equation}' is unknown: give it in "
                             f"`output_shape`. Received: input_shape={self.input_shape}, "
                             f"output_shape={self.partial_output_shape}")


def _gemm_split(in_spec, w_spec, out_spec, ellipsis):
    """How many trailing input axes the equation contracts, when it is one GEMM on views:
    input (free..., contracted...) x kernel (contracted..., units...) -> output (free..., units...).
    None otherwise (numpy.einsum then)."""
    if ellipsis == "right" or any(len(set(s)) != len(s) for s in (in_spec, w_spec, out_spec)):
        return None
    contracted = [c for c in w_spec if c in in_spec and c not in out_spec]
    k = len(contracted)
    if k == 0 or in_spec[-k:] != w_spec[:k]:
        return None
    free, units = in_spec[:-k], w_spec[k:]
    if out_spec != free + units or any(c in in_spec for c in units):
        return None
    return k


def _check_output_shape(output_shape):
    if _args._is_int(output_shape):
        output_shape = (output_shape,)
    try:
        dims = tuple(output_shape)
    except TypeError:
        raise TypeError(f"`output_shape` must be an integer or a tuple of integers (or None for sizes the input "
                        f"gives). Received: output_shape={output_shape!r}") from None
    for d in dims:
        if not (d is None or (_args._is_int(d) and d > 0)):
            raise ValueError(f"`output_shape` must hold positive integers or None. Received: "
                             f"output_shape={output_shape!r}")
    return tuple(None if d is None else int(d) for d in dims)


def _refuse_quantized_dtype(dtype):
    """A quantized dtype policy (Keras's 'int8_from_float32' ...) in a saved config."""
    if isinstance(dtype, dict):
        name = str(dtype.get("config", {}).get("name", ""))
        if "Quantized" in str(dtype.get("class_name", "")) or "_from_" in name:
            raise ValueError(f"convkit runs float32 kernels only and cannot run quantized layers. Received a "
                             f"quantized dtype policy: dtype={dtype!r}")


class EinsumDense(Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`; weights kernel, bias (if `bias_axes`).
    Regularizers and constraints are stored and serialised, never applied (inference only)."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, gptq_unpacked_column_size=None,
                 quantization_config=None, **kwargs):
        _refuse_quantized_dtype(kwargs.get("dtype"))
        super().__init__(**kwargs)
        if quantization_config is not None or gptq_unpacked_column_size is not None:
            raise ValueError(f"EinsumDense: convkit runs float32 kernels only and cannot run quantized layers; "
                             f"`quantization_config` and `gptq_unpacked_column_size` must be None. Received: "
                             f"quantization_config={quantization_config!r}, "
                             f"gptq_unpacked_column_size={gptq_unpacked_column_size!r}")
        if lora_rank is not None and (not _args._is_int(lora_rank) or lora_rank <= 0):
            raise ValueError(f"`lora_rank` must be a positive integer or None. Received: lora_rank={lora_rank!r}")
        _parse_equation(equation)
        if bias_axes is not None and (not isinstance(bias_axes, str) or not bias_axes.isalpha()):
            raise ValueError(f"`bias_axes` must be a string of output letters of the equation, or None. Received: "
                             f"bias_axes={bias_axes!r}")
        self.equation = equation
        self.partial_output_shape = _check_output_shape(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        _regularizers_and_constraints(self, {
            "kernel_regularizer": kernel_regularizer, "bias_regularizer": bias_regularizer,
            "kernel_constraint": kernel_constraint, "bias_constraint": bias_constraint})
        # LoRA: kept for the config; the kernel holds the adapters merged in (see the module docstring)
        self.lora_rank = None if lora_rank is None else int(lora_rank)
        self.lora_alpha = lora_alpha if lora_alpha is not None else self.lora_rank
        self.lora_enabled = False
        self.kernel = self.bias = None
        self._layout = None

    def build(self, input_shape):
        layout = _Layout(self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        layout.check_weight_shapes()
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and (init.input_axes is None or init.output_axes is None):
            # as Keras: the fans come from the kernel's input and output axes, not a conv-like layout
            config = dict(init.get_config(), input_axes=layout.input_axes, output_axes=layout.output_axes)
            init = type(init).from_config(config)
        self.kernel = self.add_weight(layout.kernel_shape, init, name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if layout.bias_shape is not None:
            self.bias = self.add_weight(layout.bias_shape, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self._layout = layout
        self.input_spec = InputSpec(ndim=len(input_shape), axes=layout.fixed_input_axes)

    def _prepare(self):
        """The GEMM form of the equation (see _gemm_split) with its packed kernel, or einsum."""
        in_spec, w_spec, out_spec, ellipsis = self._layout.specs
        k = _gemm_split(in_spec, w_spec, out_spec, ellipsis)
        kernel = self.kernel.value
        contracted = math.prod(kernel.shape[:k]) if k else 0
        if not contracted:
            return {"gemm": None}
        units_shape = kernel.shape[k:]
        bias = None if self.bias is None else self.bias.value
        # a bias that only varies along the kernel's output axes is one value per GEMM column: fused
        fuse_bias = bias is None or self._layout.bias_start >= len(out_spec) - len(units_shape)
        # an element-wise activation after a fused bias runs in the GEMM's epilogue too; softmax and
        # the like reduce over the output's last axis, so they run on the reshaped output
        fuse_all = fuse_bias and self.activation.fusable
        fused = {}
        if fuse_bias:
            fused["bias"] = None if bias is None else np.broadcast_to(bias, units_shape).reshape(-1)
        if fuse_all:
            fused["activation"] = self.activation
        gemm = PreparedDense(kernel.reshape(contracted, -1), **fused)
        return {"gemm": gemm, "contracted_axes": k, "units_shape": units_shape, "bias_fused": fuse_bias,
                "all_fused": fuse_all}

    def call(self, inputs):
        prep = self._prepared()
        gemm = prep["gemm"]
        if gemm is not None:
            k = prep["contracted_axes"]
            lead = inputs.shape[:inputs.ndim - k]
            y = gemm(inputs.reshape((-1, gemm.kernel.shape[0]))).reshape(lead + prep["units_shape"])
            if prep["all_fused"]:
                return y
            bias_done = prep["bias_fused"]
        else:
            y = np.einsum(self.equation, inputs, self.kernel.value, optimize=True)
            bias_done = False
        if self.bias is not None and not bias_done:
            y = y + self.bias.value
        if not self.activation.is_linear:
            y = self.activation(y)
        return np.ascontiguousarray(y, dtype=np.float32)

    def compute_output_shape(self, input_shape):
        return _Layout(self.equation, self.bias_axes, input_shape, self.partial_output_shape).output_shape

    def set_weights(self, weights):
        weights = list(weights) if isinstance(weights, (list, tuple)) else weights
        if self.lora_rank and isinstance(weights, list) and len(weights) == len(self.weights) + 2:
            raise ValueError(
                f"EinsumDense '{self.name}' (lora_rank={self.lora_rank}) holds the kernel with the LoRA adapters "
                f"merged in, as Keras saves it in a `.keras` file; it cannot take separate `lora_kernel_a` / "
                f"`lora_kernel_b` weights. Pass [kernel + lora_alpha / lora_rank * lora_kernel_a @ lora_kernel_b, "
                f"bias], or load the model's `.keras` file. Received {len(weights)} weights.")
        super().set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape, "equation": self.equation,
            "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            # Keras writes activity_regularizer always here
            **_reg_config(self, ("kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                 "kernel_constraint", "bias_constraint")),
            "quantization_config": None,  # Keras's key; convkit accepts only None
        })
        if self.lora_rank:
            config.update({"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha})
        return config
