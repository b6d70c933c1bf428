"""Keras operations inside a functional model: `x + 3.0`, `x[:, 0]`, `keras.ops.mean(x, axis=1)`,
`keras.ops.reshape(x, (-1, 24))`, ... written in a model's code become nodes of their own in its saved config
(module `keras.src.ops.numpy` / `.nn` / `.math` / `.core`), between the layers. Keras's MobileNetV3 builds its
hard-swish that way, and Keras writes the boolean operations of a model's masks into its graph the same way
(NotEqual, Any, LogicalOr, ...; see convkit/_masking.py). `KerasOperation` replays such a node: the operation's
class name, its arguments (the tensors' places and the constants, as the config gives them) and its options
(the operation's constructor arguments). The symbolic tensors' operators (`x + y`, `x[0]`, ...: KerasTensor in
symbolic.py) build the same nodes through `apply`.

What each operation computes, its output shape and dtype live in operation_tables.py; this module checks the
arguments and options once and runs the table's entry. Any other operation is a clear error when a model loads.

`arguments` holds None at each tensor's place (in order) and the constants in their config form, as Keras
serializes them: Python numbers, lists of numbers, `__numpy__` entries for arrays, and GetItem's key (an int, or a
list holding ints, None for a new axis, `__slice__` and `__ellipsis__` entries). Only a None at the top level marks
a tensor, so a key's None (a new axis) is not mistaken for one; a top-level None constant has no use (Keras's
where(condition) alone, whose shape depends on the values, is not supported)."""
import numpy as np

from convkit import _args
from convkit.layers import operation_tables as tables
from convkit.layers.base import Layer, to_snake_case, unique_name
from convkit.layers.operation_tables import OPERATIONS, REQUIRED

# The element-wise arithmetic and activations, and the boolean operations of Keras's masks (the operations of
# convkit's first version, which callers group by)
NUMERIC = sorted({"Add", "Subtract", "Multiply", "Divide", "TrueDivide", "Maximum", "Minimum", "Power", "Negative",
                  "Absolute", "Abs", "Square", "Sqrt", "Relu", "Relu6", "Sigmoid", "HardSigmoid", "Silu", "Swish",
                  "HardSilu", "HardSwish", "Softplus", "Softsign", "Selu", "Tanh"})
MASK_OPERATIONS = sorted({"NotEqual", "Equal", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalOr",
                          "LogicalAnd", "Any", "All", "LogicalNot", "ExpandDims", "Squeeze", "ZerosLike", "OnesLike",
                          "Concatenate", "ConvertToTensor"})
SUPPORTED = sorted(OPERATIONS)
LIST_OPERATIONS = sorted(name for name, spec in OPERATIONS.items() if spec.takes_list)  # called on one list


def option_names(operation):
    """The options of a supported Keras operation (its config's keys besides `name`), in Keras's order."""
    return tuple(OPERATIONS[operation].options)


def _is_tensor_arg(item):
    return isinstance(item, dict) and item.get("class_name") == "__keras_tensor__"


def _encode_constant(value):
    """A constant argument -> its config form (Python numbers, lists of numbers, `__numpy__` entries), or
    ValueError. Numpy scalars become Python numbers, as Keras serializes them."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    elif isinstance(value, tuple):
        value = list(value)
    _decode_constant(value)  # checks it
    return value


def _decode_constant(value):
    """A constant's config form -> the number or array the operation computes with."""
    kind = value.get("class_name") if isinstance(value, dict) else None
    if kind in ("__numpy__", "__tensor__"):
        inner = value.get("config") or {}
        array = np.array(inner.get("value"), dtype=inner.get("dtype"))
    elif isinstance(value, (bool, int, float)):
        return value
    elif isinstance(value, list):
        array = np.array(value)
    else:
        raise ValueError
    if array.dtype.kind not in "biuf":
        raise ValueError
    return array


def _as_array(x):
    """An operation's tensor argument: booleans, ints and float32/float16 stay as they are (the dtypes Keras's
    graph gives them); float64 becomes float32, as Keras converts it; anything else is a TypeError."""
    arr = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if arr.dtype.kind in "biu" or arr.dtype in (np.float32, np.float16):
        return arr
    return _args.as_float32_array(arr, "inputs")


class KerasOperation(Layer):
    """One Keras operation node of a functional model. `operation` is the operation's class name in Keras (e.g.
    'Add', 'Mean', 'GetItem'); `arguments` its positional arguments, with None where a tensor goes (in order) and
    the constants as given; `options` its constructor arguments (e.g. {"axis": 1, "keepdims": True})."""

    def __init__(self, operation, arguments=(None,), options=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(operation, str) or operation not in OPERATIONS:
            raise ValueError(f"convkit does not support the Keras operation '{operation}' in a model. Supported "
                             f"operations: {SUPPORTED}")
        if not isinstance(arguments, (list, tuple)):
            raise TypeError(f"`arguments` of the Keras operation '{operation}' must be a list (None where a tensor "
                            f"goes). Received: arguments={arguments!r}")
        spec = OPERATIONS[operation]
        self.operation, self._spec = operation, spec
        arguments = list(arguments)
        self._n_tensors = sum(1 for a in arguments if a is None)
        least, most = spec.arity
        if not least <= len(arguments) <= (most or len(arguments)) or self._n_tensors < 1:
            count = str(least) if least == most else f"at least {least}"
            raise ValueError(f"The Keras operation '{operation}' takes {count} argument(s), at least one of them a "
                             f"tensor (None marks a tensor's place). Received: arguments={arguments}")
        if spec.takes_list and self._n_tensors != len(arguments):
            raise ValueError(f"The Keras operation '{operation}' takes a list of tensors (all None). Received: "
                             f"arguments={arguments}")
        for i in spec.constant_at:
            if arguments[i] is None:
                raise ValueError(f"Argument {i} of the Keras operation '{operation}' is a constant, not a tensor. "
                                 f"Received: arguments={arguments}")
        self.arguments = [None if a is None else self._constant(i, a) for i, a in enumerate(arguments)]
        self._constants = [None if a is None else tables.decode_key(a) if i in spec.constant_at
                           else _decode_constant(a) for i, a in enumerate(self.arguments)]
        # what the constants bring to the shape and dtype rules, worked out once
        self._constant_shapes = [None if c is None or i in spec.constant_at else np.shape(c)
                                 for i, c in enumerate(self._constants)]
        self._constant_tokens = [None if c is None else "key" if i in spec.constant_at else tables.dtype_token(c)
                                 for i, c in enumerate(self._constants)]
        self.options = self._checked_options(options)
        self._dtype_plans = {}  # the tensors' dtypes -> (output dtype, each argument's cast), see call

    def _constant(self, position, value):
        key = position in self._spec.constant_at
        try:
            return tables.encode_key(value) if key else _encode_constant(value)
        except (TypeError, ValueError) as exc:
            what = "a key of ints, slices, None (a new axis) and Ellipsis" if key else "a number or an array of numbers"
            detail = f" ({exc})" if str(exc) else ""
            raise ValueError(f"Argument {position} of the Keras operation '{self.operation}' must be {what} (constant "
                             f"arguments are numbers). Received: {value!r}{detail}") from None

    def _checked_options(self, options):
        if options is not None and not isinstance(options, dict):
            raise TypeError(f"`options` of the Keras operation '{self.operation}' must be a dict. Received: "
                            f"options={options!r}")
        given = dict(options or {})
        unknown = sorted(set(given) - set(self._spec.options))
        if unknown:
            raise ValueError(f"The Keras operation '{self.operation}' takes the options {list(self._spec.options)}. "
                             f"Received: {unknown}")
        checked = {}
        for key, (default, kind) in self._spec.options.items():
            if key not in given:
                if default is REQUIRED:
                    raise ValueError(f"The Keras operation '{self.operation}' needs the option `{key}`. Received "
                                     f"options: {given}")
                checked[key] = default
                continue
            what, check = tables.OPTION_KINDS[kind]
            try:
                checked[key] = check(given[key])
            except tables._Bad:
                raise ValueError(f"The Keras operation '{self.operation}' takes `{key}` as {what}. Received: "
                                 f"{key}={given[key]!r}") from None
        return checked

    @classmethod
    def from_keras_entry(cls, entry):
        """From a layer entry of a Keras config whose module is keras.src.ops.*."""
        operation = entry["class_name"]
        nodes = entry.get("inbound_nodes") or [{}]
        args = list(nodes[0].get("args", []))
        if nodes[0].get("kwargs"):
            raise ValueError(f"The Keras operation '{operation}' ({entry.get('name')}) was called with keyword "
                             f"arguments {sorted(nodes[0]['kwargs'])}, which convkit does not replay.")
        spec = OPERATIONS.get(operation)
        if spec is not None and spec.takes_list and len(args) == 1 and isinstance(args[0], list):
            args = args[0]  # ops.concatenate([a, b]): one list of tensors
        if any(a is None for a in args):
            raise ValueError(f"The Keras operation '{operation}' ({entry.get('name')}) has an argument None, which "
                             f"convkit does not support (e.g. where(condition) alone: its output's shape depends on "
                             f"the values). Received arguments: {args}")
        arguments = [None if _is_tensor_arg(a) else a for a in args]
        config = dict(entry.get("config") or {})
        name = config.pop("name", entry.get("name"))
        return cls(operation, arguments, options=config, name=name)

    # ---- running ----

    def _takes_list(self):
        return self._n_tensors > 1

    def _convert_inputs(self, inputs):
        if self._n_tensors == 1:
            return _as_array(inputs)
        if not isinstance(inputs, (list, tuple)) or len(inputs) != self._n_tensors:
            got = len(inputs) if isinstance(inputs, (list, tuple)) else 1
            raise ValueError(f"Operation '{self.name}' ({self.operation}) takes {self._n_tensors} tensors. "
                             f"Received: {got}")
        return [_as_array(x) for x in inputs]

    def _arguments_with(self, tensors, constants):
        tensors = iter(tensors if self._n_tensors > 1 else [tensors])
        return [next(tensors) if c is None else given for c, given in zip(self._constants, constants)]

    def _tokens(self, values):
        """What each argument brings to the dtype rules: a tensor's dtype, a constant's (a Python number's weak)."""
        return [tables.dtype_token(v) if token is None else token for v, token in zip(values, self._constant_tokens)]

    def _output_dtype(self, inputs):
        return self._spec.dtype(self._tokens(self._arguments_with(inputs, self._constants)), self.options)

    def call(self, inputs):
        spec = self._spec
        values = self._arguments_with(inputs, self._constants)
        # The dtype rules depend only on the tensors' dtypes (the constants are the layer's own):
        # worked out once per dtype combination, since they cost more than a small map's arithmetic
        # (MobileNetV3's hard-swish runs three such operations per block).
        key = tuple(x.dtype for x in (inputs if self._n_tensors > 1 else [inputs]))
        plan = self._dtype_plans.get(key)
        if plan is None:
            tokens = self._tokens(values)
            dtype = spec.dtype(tokens, self.options)
            plan = self._dtype_plans[key] = (dtype, self._cast_to(tokens, dtype))
        dtype, casts = plan
        operands = [v if d is None else np.asarray(v, dtype=d) for v, d in zip(values, casts)]
        with np.errstate(all="ignore"):  # torch computes inf / nan without a word
            out = spec.compute(operands, self.options)
        given = values + operands
        if isinstance(out, list):
            return [_fresh(o, dtype, given) for o in out]
        return _fresh(out, dtype, given)

    def _cast_to(self, tokens, dtype):
        """The dtype each argument takes before the computation (None: as it is)."""
        rule, n = self._spec.cast, len(tokens)
        if rule == "out":
            target = [dtype] * n
        elif rule == "common":
            target = [tables.result_type(*tokens)] * n
        elif rule == "where":
            target = [None] + [dtype] * (n - 1)
        else:
            target = [None] * n
        return [None if i in self._spec.constant_at else t for i, t in enumerate(target)]

    def compute_output_shape(self, input_shape):
        shapes = self._arguments_with(input_shape, self._constant_shapes)
        shapes = [tuple(s) if s is not None else () for s in shapes]
        try:
            return self._spec.shape(shapes, self.options, self._constants)
        except ValueError as exc:
            raise ValueError(f"Operation '{self.name}' ({self.operation}): {exc}. Input shape(s): "
                             f"{input_shape}") from None

    def get_config(self):
        config = super().get_config()
        config.update({"operation": self.operation, "arguments": self.arguments})
        defaults = self._spec.defaults
        options = {k: v for k, v in self.options.items() if defaults[k] is REQUIRED or v != defaults[k]}
        if options:
            config["options"] = options
        return config


def _fresh(array, dtype, given):
    """An operation's result as a C-contiguous array of its own in `dtype`: never one of its arguments or a view
    of one (reshape, transpose and slicing give views), so a caller writing to it changes nothing else."""
    array = np.asarray(array)
    if (array.dtype != dtype or not array.flags.c_contiguous or not array.flags.owndata
            or any(array is g for g in given)):
        return np.array(array, dtype=dtype, order="C")
    return array


def apply(operation, *args, **options):
    """Keras's `Operation(**options).symbolic_call(*args)` on convkit's symbolic tensors: a KerasOperation named
    as Keras names its operations ('add', 'get_item_1', ...) called on the KerasTensors among `args`, the other
    arguments its constants. An operation on a list of tensors (Concatenate, Stack) takes the list as `args[0]`."""
    from convkit.layers.symbolic import KerasTensor

    spec = OPERATIONS[operation]
    if spec.takes_list:
        args = list(args[0])
    # a key in its config form already: `x[None]` (a new axis) must not read as a tensor's place
    arguments = [None if isinstance(a, KerasTensor) else tables.encode_key(a) if i in spec.constant_at else a
                 for i, a in enumerate(args)]
    tensors = [a for a in args if isinstance(a, KerasTensor)]
    if not tensors:
        raise TypeError(f"The operation '{operation}' needs a symbolic tensor among its arguments. Received: {args}")
    layer = KerasOperation(operation, arguments, options, name=unique_name(to_snake_case(operation)))
    return layer(tensors if len(tensors) > 1 else tensors[0])
