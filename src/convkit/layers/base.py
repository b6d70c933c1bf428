"""The Layer base class every convkit layer derives from, its weights and its input checks.

A layer validates its arguments in `__init__`, creates its weights in `build(input_shape)` and
computes in `call(inputs)` through `convkit.ops` or vectorised numpy. `layer(array)` returns a
float32 numpy array; `layer(keras_tensor)` records a node for the functional API and returns a
symbolic tensor. Weight-derived data (e.g. prepared kernels) lives in `self._cache`, built
lazily by `_prepare()` and dropped whenever the weights change.

In a layer class written by a user (Keras's subclassing API), a layer stored on the layer (an
attribute, or inside lists, tuples, dicts and sets stored as attributes) is one of its sublayers,
tracked as Keras 3 tracks them: the layer's weights are its own followed by its sublayers',
`trainable` reaches them, and `set_weights` fills them, so a block made of Conv2D,
BatchNormalization and Dense attributes gets Keras's weight list. (convkit's own layers that hold
inner layers list them themselves: wrappers' `_keras_sublayers`, a model's graph.)
"""
import collections
import functools
import re
import types

import numpy as np

from convkit import _args
from convkit.layers.symbolic import KerasTensor, Node, _dtype_name, flatten, is_symbolic, map_structure

__all__ = ["Layer", "InputSpec", "Weight", "standardize_shape"]

_NAME_COUNTS = {}
_KERAS_ONLY_WHEN_UNSET = ("quantization_config", "lora_rank", "lora_alpha", "lora_enabled")
_ALLOWED_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights", "autocast"}


def to_snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def reset_unique_names():
    """Forget the names handed out, so the next `Dense` is 'dense' again (Keras's clear_session)."""
    _NAME_COUNTS.clear()


def zeros_of_shape(shape, dtype="float32", batch=1, unknown=7):
    """Zeros of a symbolic `shape`: `batch` for an unknown batch size, `unknown` for any other
    unknown dimension (for running a call whose output shape only the call knows)."""
    return np.zeros(tuple((batch if axis == 0 else unknown) if d is None else d for axis, d in enumerate(shape)),
                    dtype)


def _is_dim(d):
    return d is None or _args._is_int(d)


def standardize_shape(shape):
    """A shape (tuple of ints / None) or a list of shapes -> tuple, or list of tuples."""
    if shape is None:
        return None
    if isinstance(shape, KerasTensor):
        return shape.shape
    if isinstance(shape, np.ndarray) and shape.ndim == 1 and shape.dtype.kind in "iu":
        shape = shape.tolist()
    if isinstance(shape, dict):
        raise TypeError(f"`input_shape` must be a tuple of integers (or a list of such tuples). Received: {shape!r}")
    try:
        items = list(shape)
    except TypeError:
        raise TypeError(f"`input_shape` must be a tuple of integers or None (or a list of such tuples). "
                        f"Received: input_shape={shape!r}") from None
    if all(_is_dim(d) for d in items):
        dims = tuple(None if d is None else int(d) for d in items)
        if any(d is not None and d < 0 for d in dims):
            raise ValueError(f"`input_shape` cannot contain negative dimensions. Received: input_shape={dims}")
        return dims
    return [standardize_shape(s) for s in items]


def is_shape_list(shape):
    return isinstance(shape, list) and all(isinstance(s, (tuple, list)) for s in shape) and len(shape) > 0 \
        and not all(_is_dim(d) for d in shape)


class InputSpec:
    """What a layer accepts: ndim / min_ndim / max_ndim and fixed sizes along some axes."""

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})

    def check(self, shape, layer_name, index=0):
        where = f'Input {index} of layer "{layer_name}" is incompatible with the layer'
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(f"{where}: expected ndim={self.ndim}, found ndim={rank}. Full shape received: {shape}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={self.min_ndim}, found ndim={rank}. "
                             f"Full shape received: {shape}")
        if self.max_ndim is not None and rank > self.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={self.max_ndim}, found ndim={rank}. "
                             f"Full shape received: {shape}")
        for axis, value in self.axes.items():
            if value is None:
                continue
            if not -rank <= axis < rank:
                raise ValueError(f"{where}: expected axis {axis} to exist, found ndim={rank}. "
                                 f"Full shape received: {shape}")
            if shape[axis] is not None and shape[axis] != value:
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, "
                                 f"but received input with shape {shape}")


class Weight:
    """A layer's weight: a float32 numpy array with a name and a trainable flag (Keras's
    Variable, minus training). `assign` checks the shape and drops the owner's prepared data."""

    def __init__(self, owner, name, value, trainable=True, regularizer=None, constraint=None):
        self._owner = owner
        self.name = name
        self._value = value
        self.trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def path(self):
        return f"{self._owner.name}/{self.name}"

    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return "float32"

    @property
    def value(self):
        return self._value

    def numpy(self):
        return self._value.copy()

    def __array__(self, dtype=None, copy=None):
        return self._value.copy() if dtype is None else self._value.astype(dtype)

    def assign(self, value):
        arr = _args.as_float32_array(value, self.name)
        if arr.shape != self._value.shape:
            raise ValueError(f"The shape of the target variable and the shape of the value to assign must match. "
                             f"Variable '{self.path}' has shape {self._value.shape}; received value of shape "
                             f"{arr.shape}")
        self._value = arr.copy() if arr is value else arr
        self._owner._weights_changed()

    def __repr__(self):
        return f"<Weight path={self.path}, shape={self.shape}, dtype=float32>"


def _refuse_training(layer, training):
    """A ValueError for `training=True` on a layer (or model) whose training behaviour differs
    from inference; training=False/None, or a layer that behaves the same, pass."""
    if training is None or not bool(training) or not layer._differs_in_training():
        return
    sublayers = layer.layers if hasattr(layer, "layers") else layer._tracked_layers.values()
    inner = [f"'{sub.name}'" for sub in sublayers if sub._differs_in_training()]
    which = f" (its layers {', '.join(inner)})" if inner else ""
    raise ValueError(
        f"convkit runs inference only: {type(layer).__name__} '{layer.name}'{which} computes something else "
        "in training (batch statistics, dropout or noise), which convkit does not do, so `training=True` is "
        f"not supported. Call it with training=False (or without `training`). Received: training={training!r}")


class Layer:
    """Base class of convkit's layers (Keras 3's `keras.layers.Layer`, inference only)."""

    # Keras's masks (convkit/_masking.py): whether the layer hands its input's mask on to its
    # output (through compute_mask); a layer whose `call` takes `mask` uses it
    supports_masking = False
    _clears_input_masks = False  # Keras's MultiHeadAttention takes the masks off its inputs' tensors

    # Sublayers, in the order Keras's Tracker first saw them ({id: layer}; see _track). A layer
    # gets its own dict when it tracks its first one; until then it reads this empty one.
    _tracked_layers = types.MappingProxyType({})
    # convkit's own bookkeeping attributes: they never hold sublayers, so they are stored as given
    # (a tracked copy of `_weights` or `_inbound_nodes` would only cost time)
    _UNTRACKED_ATTRIBUTES = frozenset({"_weights", "_inbound_nodes", "_cache", "_tracked_layers", "_build_shape",
                                       "_accepted_shape", "_batch_input_shape", "_initial_weights"})

    def _track_sublayer(self, layer):
        if layer is self:
            return  # a layer is not its own sublayer (its weights would list themselves forever)
        tracked = self.__dict__.get("_tracked_layers")
        if tracked is None:
            tracked = {}
            object.__setattr__(self, "_tracked_layers", tracked)
        tracked.setdefault(id(layer), layer)  # seen before (a duplicate, a re-assignment): keeps its place

    def _untrack_sublayer(self, layer):
        self.__dict__.get("_tracked_layers", {}).pop(id(layer), None)

    def _flatten_layers(self, include_self=True, recursive=True):
        """Keras's walk over the tracked layers: each once, each one's own sublayers visited
        before its next sibling (put at the front of the queue, so in reverse, as Keras does)."""
        layers = [self] if include_self else []
        seen = set()
        queue = collections.deque(self._tracked_layers.values())
        while queue:
            layer = queue.popleft()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            layers.append(layer)
            if recursive:
                queue.extendleft(layer._tracked_layers.values())
        return layers

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """As Keras's setter: the layer and every sublayer (which passes it on to its own)."""
        value = bool(value)
        self._trainable = value
        for layer in self._trainable_sublayers():
            layer.trainable = value

    def _trainable_sublayers(self):
        """The layers Keras's `trainable` setter reaches from this one: those Keras tracks as its
        sublayers (the tracked attributes of a user's layer; a wrapper's inner layers; a model's
        layers, see their overrides)."""
        return list(self._tracked_layers.values())

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("convkit.") and "__setattr__" not in cls.__dict__:
            # A class written by a user tracks the layers stored on it, as Keras's layers do.
            # convkit's own layers say which inner layers they have (`_keras_sublayers`, a model's
            # graph): they keep Python's plain attribute assignment, which a __setattr__ written
            # in Python would make some 40 times slower.
            cls.__setattr__ = _tracking_setattr
        original = cls.__dict__.get("build")
        if original is not None and not getattr(original, "_convkit_wrapped", False):
            @functools.wraps(original)
            def build(self, input_shape=None, _original=original):
                outer = not self.__dict__.get("_building", False)
                if outer:
                    self._building = True
                    if self._weights:
                        self._weights = []
                try:
                    _original(self, standardize_shape(input_shape))
                finally:
                    if outer:
                        self._building = False
                if outer:
                    self.built = True
                    self._build_shape = standardize_shape(input_shape)
                    self._weights_changed()
                    if self._initial_weights is not None:
                        initial, self._initial_weights = self._initial_weights, None
                        self.set_weights(initial)

            build._convkit_wrapped = True
            cls.build = build

    def __init__(self, trainable=True, name=None, dtype=None, activity_regularizer=None, **kwargs):
        for key in _KERAS_ONLY_WHEN_UNSET:  # Keras config entries for features convkit lacks
            if key in kwargs:
                value = kwargs.pop(key)
                if value not in (None, False):
                    raise ValueError(f"convkit does not support `{key}` (used for training or quantization in "
                                     f"Keras). Received: {key}={value!r}")
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{ {k: kwargs[k] for k in sorted(unknown)} }")
        if name is None:
            name = unique_name(to_snake_case(type(self).__name__))
        elif not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name!r} (of type {type(name).__name__})")
        self.name = name
        self._trainable = bool(trainable)  # as Keras: not passed on to sublayers already assigned
        if isinstance(dtype, dict):  # a serialised Keras dtype policy
            dtype = dtype.get("config", {}).get("name")
        if isinstance(dtype, str) and dtype.startswith("mixed_"):
            dtype = "float32"  # convkit computes in float32 whatever the policy asks
        self.dtype = _dtype_name(dtype)
        from convkit import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer, "activity_regularizer")
        self.built = False
        self._accepted_shape = None  # last input shape that passed the input spec (see __call__)
        self._weights_version = 0  # counts weight changes, so fused model steps know when to refold
        self.input_spec = None
        self._weights = []
        self._cache = None
        self._inbound_nodes = []
        self._building = False
        self._build_shape = None
        self._initial_weights = kwargs.get("weights")
        self._batch_input_shape = None
        batch_input_shape = kwargs.get("batch_input_shape")
        input_shape = kwargs.get("input_shape")
        if kwargs.get("input_dim") is not None and input_shape is None:
            input_shape = (kwargs["input_dim"],)
        if batch_input_shape is not None:
            self._batch_input_shape = standardize_shape(batch_input_shape)
        elif input_shape is not None:
            shape = standardize_shape(input_shape)
            if not isinstance(shape, tuple):
                raise ValueError(f"`input_shape` must be a tuple of integers. Received: input_shape={input_shape!r}")
            self._batch_input_shape = (kwargs.get("batch_size"),) + shape

    # ---- building and weights -------------------------------------------------------------------

    def build(self, input_shape=None):
        """Create the weights for `input_shape` (batch dimension included). Layers without
        weights inherit this no-op."""
        self.built = True
        self._build_shape = standardize_shape(input_shape)

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, regularizer=None,
                   constraint=None, name=None):
        from convkit import initializers
        shape = tuple(int(d) for d in (shape or ()))
        init = initializers.get("zeros" if initializer is None else initializer)
        value = np.asarray(init(shape, "float32"), dtype=np.float32)
        if value.shape != shape:
            raise ValueError(f"Initializer for weight '{name}' returned shape {value.shape}; expected {shape}")
        value = np.ascontiguousarray(value).reshape(shape)  # (ascontiguousarray makes a scalar 1-d)
        weight = Weight(self, name or f"variable_{len(self._weights)}", value, trainable, regularizer, constraint)
        self._weights.append(weight)
        self._weights_changed()
        return weight

    def _weights_changed(self):
        """Called whenever a weight changes: prepared data is rebuilt on the next call."""
        self._cache = None
        self._weights_version += 1  # read by convkit._fusion

    def _prepared(self):
        if self._cache is None:
            self._cache = self._prepare()
        return self._cache

    def _prepare(self):
        """Weight-derived data used by `call` (override); computed once per weight change."""
        return {}

    @property
    def weights(self):
        """The layer's own weights (trainable ones first while it is trainable), then each tracked
        sublayer's, each weight once (Keras's `weights`)."""
        own = self._weights
        if self.trainable:
            weights = [w for w in own if w.trainable] + [w for w in own if not w.trainable]
        else:
            weights = list(own)
        if self._tracked_layers:
            seen = {id(w) for w in weights}
            for layer in self._tracked_layers.values():
                for w in layer.weights:
                    if id(w) not in seen:
                        seen.add(id(w))
                        weights.append(w)
        return weights

    @property
    def trainable_weights(self):
        """Keras's: `weights` filtered by trainability (none while the layer is frozen)."""
        if not self.trainable:
            return []
        if not self._tracked_layers:
            return [w for w in self._weights if w.trainable]
        marked = {id(w) for w in self._weights_marked_trainable_by_flags()}
        return [w for w in self.weights if id(w) in marked]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        if not self._tracked_layers:
            return [w for w in self._weights if not w.trainable]
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def _weights_marked_trainable(self):
        """The weights of this layer that Keras's variables would mark trainable. Keras keeps the
        mark on each variable: a layer's `trainable` setter sets it on the variables the layer
        created (and, through its sublayers' setters, on theirs), so a sublayer's weights follow
        the sublayer, not the parent (a block made with trainable=False keeps trainable sublayers).
        A layer with its own rule for trainable_weights (a wrapper, a functional model) gives that."""
        if type(self).trainable_weights is not Layer.trainable_weights:
            return self.trainable_weights
        return self._weights_marked_trainable_by_flags()

    def _weights_marked_trainable_by_flags(self):
        marked = [w for w in self._weights if w.trainable] if self.trainable else []
        for layer in self._tracked_layers.values():
            marked.extend(layer._weights_marked_trainable())
        return marked

    @property
    def variables(self):
        return self.weights

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Replace every weight at once, in `get_weights()` order. Counts and shapes are checked
        before anything changes; values are converted to float32."""
        targets = self.weights
        try:
            weights = list(weights)
        except TypeError:
            raise TypeError(f"`weights` must be a list of arrays. Received: weights={weights!r}") from None
        if len(weights) != len(targets):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                f"{len(weights)}, but the layer was expecting {len(targets)} weights."
            )
        arrays = []
        for target, value in zip(targets, weights):
            arr = _args.as_float32_array(value, "weights")
            if arr.shape != target.shape:
                raise ValueError(
                    f"Layer {self.name} weight shape {target.shape} is not compatible with provided weight "
                    f"shape {arr.shape} (weight '{target.name}')."
                )
            arrays.append(arr.copy() if arr is value else arr)
        for target, arr in zip(targets, arrays):
            target._value = arr
        # every layer whose data may derive from these weights: their owners, and this layer and its
        # tracked sublayers (a block's prepared data may come from its sublayers' weights)
        changed = {id(t._owner): t._owner for t in targets}
        changed.update((id(layer), layer) for layer in self._flatten_layers())
        for layer in changed.values():
            layer._weights_changed()

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                f"You can build it manually via: `{self.name}.build(batch_input_shape)`."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ---- calling -----------------------------------------------------------------------------

    def __call__(self, inputs, *args, **kwargs):
        # Fast path for the common inference call: a float32 C-contiguous array of a shape this
        # built layer has already accepted. Nothing to convert and nothing left to check.
        if (not args and not kwargs and type(inputs) is np.ndarray and inputs.shape == self._accepted_shape
                and inputs.dtype == np.float32 and inputs.flags.c_contiguous):
            return self.call(inputs)
        _refuse_training(self, kwargs.pop("training", None))
        if kwargs.get("mask", 0) is None:
            del kwargs["mask"]
        elif "mask" in kwargs and not self._call_takes_mask():
            raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) does not use a mask: its call() takes no "
                            f"`mask` argument. Received: mask={kwargs['mask']!r}")
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, args, kwargs)
        x = self._convert_inputs(inputs)
        shapes = map_structure(lambda a: a.shape, x) if isinstance(x, list) else x.shape
        self._check_input_spec(shapes)
        if not self.built:
            self.build(shapes)
            self._check_input_spec(shapes)
        if not isinstance(x, list) and type(self)._convert_inputs is Layer._convert_inputs:
            self._accepted_shape = shapes  # layers that convert their own way never take the fast path
        return self.call(x, *args, **kwargs)

    def compute_mask(self, inputs, mask=None):
        """Keras's: the mask of the output, from the input's (asked only where supports_masking)."""
        return mask

    @classmethod
    def _call_takes_mask(cls):
        """Whether `call` has a `mask` argument (Keras then passes it the input's mask)."""
        takes = cls.__dict__.get("_call_takes_mask_cached")
        if takes is None:
            import inspect

            takes = "mask" in inspect.signature(cls.call).parameters
            cls._call_takes_mask_cached = takes
        return takes

    def _mask_arguments(self, mask, one_tensor_argument):
        """Keras's rule for the mask keywords a call gets from its inputs' masks: `mask` (the
        input's mask, or the list's masks) where the call has one tensor argument and takes
        `mask`; nothing otherwise (MultiHeadAttention takes one per input)."""
        if one_tensor_argument and self._call_takes_mask():
            return {"mask": mask}
        if self._is_users_composite() and not self._call_takes_mask():
            self._refuse_unseen_mask()
        return {}

    def _refuse_unseen_mask(self):
        """A mask reaching a layer written from sublayers whose call takes no `mask`: Keras hands it
        to the layers inside through its tensors, which convkit's arrays cannot carry, so they
        would compute without it. Refused rather than answered with other numbers."""
        raise ValueError(f"A mask reaches '{self.name}' ({type(self).__name__}), whose call() takes no `mask` "
                         f"argument. Keras passes masks to the layers inside such a call through its tensors, which "
                         f"convkit's arrays cannot carry, so its layers would compute without the mask. Give its "
                         f"call() a `mask=None` argument and pass the mask on to the layers that use it.")

    def _passes_through(self):
        """Whether the layer's inference output is its input's values (returned as a copy): a
        model plan then lets the next layers read the input (models._skip_pass_through)."""
        return False

    def _differs_in_training(self):
        """Whether Keras computes something else for this layer when it is called with
        training=True (batch statistics, dropout, noise). convkit runs inference only, so such a
        call is refused (_refuse_training) rather than answered as inference. A layer made of
        sublayers differs where one of them does."""
        return any(layer._differs_in_training() for layer in self._tracked_layers.values())

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)) and self._takes_list():
            return [_args.as_float32_array(x, "inputs") for x in inputs]
        return _args.as_float32_array(inputs, "inputs")

    def _takes_list(self):
        """True for layers whose input is a list of tensors (merging layers), and for a layer a user
        writes from sublayers, whose call gets a list as it is given (as Keras's does)."""
        return self._is_users_composite()

    def _is_users_composite(self):
        """Whether this is a layer written by a user (not a convkit class) holding sublayers."""
        return bool(self._tracked_layers) and not type(self).__module__.startswith("convkit.")

    def _check_input_spec(self, shapes):
        if self.input_spec is None:
            return
        if isinstance(shapes, list):
            for i, s in enumerate(shapes):
                self.input_spec.check(tuple(s), self.name, i)
        else:
            self.input_spec.check(tuple(shapes), self.name)

    def _symbolic_call(self, inputs, args, kwargs):
        if args:
            raise ValueError(f"Layer '{self.name}': extra positional arguments are not supported in a "
                             f"symbolic call. Received {len(args)} of them.")
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        if isinstance(inputs, list) and not self._takes_list():
            if len(inputs) != 1:
                raise ValueError(f"Layer '{self.name}' expects one input tensor. Received {len(inputs)} tensors.")
            inputs = inputs[0]
        for t in flatten(inputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Layer '{self.name}': every input of a symbolic call must be a KerasTensor "
                                f"(from convkit.Input or another layer). Received: {t!r}")
        shapes = [t.shape for t in inputs] if isinstance(inputs, list) else inputs.shape
        self._check_input_spec(shapes)
        if not self.built:
            self.build(shapes)
            self._check_input_spec(shapes)
        if self._runs_for_output_shape():
            out_shapes = self._output_shape_by_running(shapes, [t.dtype for t in flatten(inputs)])
        else:
            out_shapes = self.compute_output_shape(shapes)
        dtype = self._output_dtype(inputs)
        many = is_shape_list(out_shapes)
        outputs = [KerasTensor(s, dtype, self.name) for s in (out_shapes if many else [out_shapes])]
        Node(self, inputs, outputs, kwargs)
        return outputs if many else outputs[0]

    def _output_dtype(self, inputs):
        return "float32"

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        if self._runs_for_output_shape():
            return self._output_shape_by_running(input_shape)
        return standardize_shape(input_shape)

    def _runs_for_output_shape(self):
        """Whether only `call` knows the output shape: a layer a user writes from sublayers, without
        a compute_output_shape of its own (Keras traces its call)."""
        return self._is_users_composite() and type(self).compute_output_shape is Layer.compute_output_shape

    def _run_on_zeros(self, input_shape, dtypes=None, batch=1, unknown=7):
        """`call` on zeros of `input_shape` (a shape or a list of shapes; `dtypes`, one per input,
        default float32), with `batch` for an unknown batch size and `unknown` for other unknown
        dimensions."""
        shapes = standardize_shape(input_shape)
        many = isinstance(shapes, list)
        shapes = shapes if many else [shapes]
        arrays = []
        for shape, dtype in zip(shapes, dtypes or ["float32"] * len(shapes)):
            arrays.append(zeros_of_shape(shape, dtype, batch, unknown))
        with np.errstate(all="ignore"):  # zeros may divide by zero in a call that works on real data
            return self.call(arrays if many else arrays[0])

    def _output_shape_by_running(self, input_shape, dtypes=None):
        """`call`'s output shape (or list of shapes) for `input_shape` (a shape or a list of
        shapes), found by running it on zeros twice: each unknown dimension is 1 then 2 for the
        batch, 7 then 11 for the others, and an output dimension that differs between the two runs
        depends on an unknown one, so it is unknown (None). Keras traces `call` symbolically
        instead; running it builds the sublayers as that does."""
        first = self._run_on_zeros(input_shape, dtypes, batch=1, unknown=7)
        second = self._run_on_zeros(input_shape, dtypes, batch=2, unknown=11)
        one = not isinstance(first, (list, tuple))
        if one:
            first, second = [first], [second]
        out_shapes = []
        for a, b in zip(first, second):
            if not hasattr(a, "shape") or not hasattr(b, "shape") or len(a.shape) != len(b.shape):
                raise TypeError(f"Layer '{self.name}' ({type(self).__name__}): to be called on symbolic tensors, its "
                                f"call must return one array or a list of arrays (their shapes give the output "
                                f"tensors'). Received: {type(a).__name__}")
            out_shapes.append(tuple(int(x) if x == y else None for x, y in zip(a.shape, b.shape)))
        return out_shapes[0] if one else out_shapes

    # ---- graph info (Keras 2 style conveniences) --------------------------------------------

    def _node_attr(self, attr):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a symbolic tensor and thus has "
                                 f"no defined {attr}.")
        node = self._inbound_nodes[0]
        tensors = node.input_tensors if attr.startswith("input") else node.output_tensors
        if attr.endswith("shape"):
            shapes = [t.shape for t in tensors]
            return shapes[0] if len(shapes) == 1 else shapes
        return tensors[0] if len(tensors) == 1 else list(tensors)

    @property
    def input(self):
        return self._node_attr("input")

    @property
    def output(self):
        return self._node_attr("output")

    @property
    def input_shape(self):
        return self._node_attr("input_shape")

    @property
    def output_shape(self):
        return self._node_attr("output_shape")

    # ---- config -------------------------------------------------------------------------------

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        if not cls.__module__.startswith("convkit."):
            # a user's class: the constructor's arguments, for the config Keras writes by itself
            # when the class has no get_config (object.__setattr__: a plain value, never tracked)
            object.__setattr__(layer, "_auto_config", _auto_config(cls, args, kwargs))
        return layer

    def get_config(self):
        """The layer's config. A user's class that does not define get_config gets Keras's automatic
        one: its constructor's arguments (see _auto_config); where they cannot make a config,
        NotImplementedError says to write a get_config, as Keras does."""
        auto = self.__dict__.get("_auto_config")
        if auto is not None and getattr(type(self).get_config, "_keras_default", False):
            config = _auto_config_of(self, auto)
        else:
            config = {"name": self.name}
        config.update(trainable=self.trainable, dtype=self.dtype)
        if self.activity_regularizer is not None:  # as Keras: the key only when one is set
            from convkit import regularizers
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    get_config._keras_default = True  # (Keras's @default: a class that does not override it gets the auto-config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# ---- Keras's tracking of sublayers -------------------------------------------------------------
#
# What Keras's Tracker does when a value is stored on a layer: a layer becomes a sublayer (once, in
# the order first seen; re-assigning the attribute leaves the old one tracked); a tuple is looked
# through (rebuilt only where something inside had to be wrapped); a list, dict or set is stored as
# a tracked copy, which goes on tracking what is added to it and untracks what is removed from it,
# with the same methods as Keras's TrackedList / TrackedDict / TrackedSet (so, as there, a list's
# item assignment and a dict's setdefault are not seen).

def _tracking_setattr(self, name, value):
    """`__setattr__` of the layers users write (see Layer.__init_subclass__). The type test comes
    first: any other value (numbers, strings, arrays, None) is stored after one isinstance call."""
    if isinstance(value, _TRACKABLE) and name not in self._UNTRACKED_ATTRIBUTES:
        value = _track(self, value)
    object.__setattr__(self, name, value)


def _track(owner, value):
    if isinstance(value, Layer):
        owner._track_sublayer(value)
        return value
    if isinstance(value, tuple):
        items = [_track(owner, item) if isinstance(item, _TRACKABLE) else item for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value  # (nothing inside was wrapped: a tuple of numbers, or of layers)
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, list):
        return _TrackedList(value, owner)
    if isinstance(value, collections.OrderedDict):
        return _TrackedOrderedDict(value, owner)
    if isinstance(value, dict):
        return _TrackedDict(value, owner)
    if isinstance(value, set):
        return _TrackedSet(value, owner)
    return value


class _Tracking:
    """What the tracked containers share: the layer they report to (None: track nothing)."""

    __slots__ = ()

    def _track(self, value):
        owner = getattr(self, "_owner", None)  # (unset in a copy made without __init__)
        return _track(owner, value) if owner is not None and isinstance(value, _TRACKABLE) else value

    def _untrack(self, value):
        owner = getattr(self, "_owner", None)
        if owner is not None and isinstance(value, Layer):
            owner._untrack_sublayer(value)

    def __reduce_ex__(self, protocol):
        # A copy (copy, deepcopy, pickle: a config holding this list) is a plain container: it is
        # no attribute of the layer, so it tracks nothing (and a deep copy does not copy the layer).
        plain = next(base for base in type(self).__mro__ if base.__module__ in ("builtins", "collections"))
        return plain, (list(self.items()) if isinstance(self, dict) else list(self),)


class _TrackedList(_Tracking, list):
    __slots__ = ("_owner",)

    def __init__(self, values=(), owner=None):
        self._owner = owner
        super().__init__(self._track(v) for v in values)

    def append(self, value):
        self._track(value)
        super().append(value)

    def insert(self, index, value):
        self._track(value)
        super().insert(index, value)

    def extend(self, values):
        super().extend([self._track(v) for v in values])

    def remove(self, value):
        self._untrack(value)
        try:
            super().remove(value)
        except ValueError:  # not found by `==` (or `==` had no single truth value, as for arrays)
            index = next((i for i, item in enumerate(self) if item is value), None)
            if index is None:
                raise
            super().__delitem__(index)

    def pop(self, index=-1):
        self._untrack(self[index])
        return super().pop(index)

    def clear(self):
        for value in self:
            self._untrack(value)
        super().clear()

    def __delitem__(self, index):
        value = self[index]
        super().__delitem__(index)
        self._untrack(value)


class _TrackedDictMethods(_Tracking):
    __slots__ = ()

    def __init__(self, values=(), owner=None):
        self._owner = owner
        items = values.items() if hasattr(values, "items") else values
        super().__init__((key, self._track(value)) for key, value in items)

    def __setitem__(self, key, value):
        self._track(value)
        super().__setitem__(key, value)

    def update(self, values=(), **kwargs):
        items = dict(values, **kwargs)
        super().update({key: self._track(value) for key, value in items.items()})

    def pop(self, key, *default):
        if key not in self:
            return super().pop(key, *default)
        value = super().pop(key)
        self._untrack(value)
        return value

    def popitem(self, *args):
        key, value = super().popitem(*args)
        self._untrack(value)
        return key, value

    def clear(self):
        for value in self.values():
            self._untrack(value)
        super().clear()


class _TrackedDict(_TrackedDictMethods, dict):
    __slots__ = ("_owner",)


class _TrackedOrderedDict(_TrackedDictMethods, collections.OrderedDict):
    pass  # (an OrderedDict has a __dict__ for _owner)


class _TrackedSet(_Tracking, set):
    __slots__ = ("_owner",)

    def __init__(self, values=(), owner=None):
        self._owner = owner
        super().__init__(self._track(v) for v in values)

    def add(self, value):
        self._track(value)
        super().add(value)

    def update(self, *values):
        super().update([self._track(v) for group in values for v in group])

    def remove(self, value):
        self._untrack(value)
        super().remove(value)

    def pop(self):
        value = super().pop()
        self._untrack(value)
        return value

    def clear(self):
        for value in self:
            self._untrack(value)
        super().clear()


_TRACKABLE = (Layer, list, tuple, dict, set)


# ---- Keras's automatic config of a user's class ------------------------------------------------

_PLAIN_CONFIG_TYPES = (str, int, float, bool, type(None))


def _plain_values(value):
    """Whether every leaf of nested lists, tuples and dicts is a str, int, float, bool or None."""
    if isinstance(value, (list, tuple)):
        return all(_plain_values(item) for item in value)
    if isinstance(value, dict):
        return all(_plain_values(item) for item in value.values())
    return isinstance(value, _PLAIN_CONFIG_TYPES)


def _auto_config(cls, args, kwargs):
    """Keras's automatic config of a user's class, made when an object is created: the arguments
    its constructor gets (defaults filled in, `**kwargs` spread out, `name` left out: get_config
    adds it), if every value is plain (_plain_values). Otherwise the reason there is none:
    "positional" (a positional-only parameter, or values passed to `*args`: `cls(**config)`
    cannot give them back) or "values" (arguments the signature does not take, or values that
    are not plain). A model gets no arguments here (Model.__new__), as in Keras."""
    import inspect

    signature = inspect.signature(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return "values"
    parameters = list(signature.parameters.values())
    if any(p.kind is p.POSITIONAL_ONLY for p in parameters[1:]):
        return "positional"
    bound.apply_defaults()
    config = dict(bound.arguments)
    for p in parameters:
        if p.kind is p.VAR_KEYWORD:
            config.update(config.pop(p.name, {}))
    config.pop(parameters[0].name, None)  # self
    config.pop("name", None)
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL and config.pop(p.name, ()):
            return "positional"
    return config if _plain_values(config) else "values"


def _auto_config_of(layer, auto):
    """The automatic config's entries for `layer` (without its name where its constructor could
    not take it back), or Keras's NotImplementedError where there is none."""
    import inspect

    if isinstance(auto, str):
        cls = type(layer).__name__
        why = ("takes positional-only arguments or was given `*args`, which a config (passed back as "
               "`cls(**config)`) cannot hold" if auto == "positional" else
               "was created with argument values that are not plain (str, int, float, bool, None, or lists, "
               "tuples and dicts of them), or that its constructor's signature does not take")
        raise NotImplementedError(
            f"Object {cls} (layer '{layer.name}') {why}, so Keras's automatic config cannot describe it. Define "
            f"`get_config()` in {cls} (returning `{{**super().get_config(), 'arg1': self.arg1, ...}}` with its "
            f"constructor's arguments), and `from_config()` if `{cls}(**config)` cannot rebuild it.")
    config = {"name": layer.name, **auto}
    parameters = inspect.signature(type(layer).__init__).parameters
    takes_kwargs = "kwargs" in parameters and parameters["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    if "name" not in parameters and not takes_kwargs:
        del config["name"]  # (as Keras: its constructor could not take it back)
    return config


def config_with(layer, **extra):
    """Base config plus the layer's own entries (helper for get_config)."""
    config = Layer.get_config(layer)
    config.update(extra)
    return config
