"""Models: `Sequential` and the functional `Model(inputs, outputs)`, with Keras 3's API for
inference: predict, __call__, summary, layers / get_layer, get_weights / set_weights (Keras's
order), count_params, get_config / from_config, and Keras's files: save / load_model (`.keras`,
legacy `.h5`), save_weights / load_weights, to_json / model_from_json (convkit.saving).

A model is planned once: the graph of layer calls is walked when the model is made (for
Sequential, when its input shape becomes known), giving the order of the layers (Keras's order,
which fixes the weight order), each node's input/output slots and when each intermediate array
can be dropped. predict and __call__ only run that plan.

Training is not part of convkit: `compile` stores its arguments, `fit` / `evaluate` raise
NotImplementedError.
"""
import sys
import warnings

import numpy as np

from convkit import _args, _masking
from convkit import layers as _layers
from convkit._progress import ProgressBar
from convkit.layers.base import Layer, _refuse_training, standardize_shape, to_snake_case, unique_name, zeros_of_shape
from convkit.layers.core import Input, InputLayer
from convkit.layers.symbolic import KerasTensor, _call_takes, flatten, map_structure

__all__ = ["Model", "Sequential", "Input", "KerasTensor", "clone_model", "load_model", "model_from_json", "save_model"]


# ---- graph planning ---------------------------------------------------------------------------

def _node_of(tensor):
    layer, node_index, _ = tensor._keras_history
    return layer._inbound_nodes[node_index]


def _map_graph(inputs, outputs):
    """Keras's traversal: -> (nodes to run, in dependency order; layers in Keras's order; the
    nodes in the order Keras runs them, which the masks follow: see _Plan.run_with_masks)."""
    input_ids = {id(t) for t in inputs}
    finished, in_progress, post_order, layer_index = set(), set(), [], {}

    def visit(tensor):
        node = _node_of(tensor)
        layer = node.operation
        if id(node) in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(id(node))
            return
        if id(node) in in_progress:
            raise ValueError(f"Tensor {tensor} from layer '{layer.name}' is part of a cycle.")
        layer_index.setdefault(id(layer), len(layer_index))
        in_progress.add(id(node))
        if not node.is_input:
            for parent in node.input_tensors:
                visit(parent)
        finished.add(id(node))
        in_progress.discard(id(node))
        post_order.append(node)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        for t in outputs:
            visit(t)
    finally:
        sys.setrecursionlimit(limit)

    in_graph = {id(n) for n in post_order}
    node_depth, layer_depth, layer_of = {}, {}, {}
    for node in reversed(post_order):
        layer = node.operation
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(layer), 0))
        layer_depth[id(layer)] = depth
        layer_of[id(layer)] = layer
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:  # declared inputs the outputs do not use
        node = _node_of(t)
        layer = node.operation
        if node.is_input and id(layer) not in layer_depth:
            layer_depth[id(layer)], layer_index[id(layer)], layer_of[id(layer)] = 0, -1, layer
            node_depth[id(node)] = 0
            post_order.append(node)

    layers = sorted(layer_of.values(), key=lambda lyr: (-layer_depth[id(lyr)], layer_index[id(lyr)]))
    nodes = sorted(post_order, key=lambda n: -node_depth[id(n)])  # stable: parents before children
    # Keras's own run order: by depth, and within one in the order node_depth first saw the nodes
    node_of = {id(n): n for n in post_order}
    keras_order = sorted((node_of[i] for i in node_depth if i in node_of), key=lambda n: -node_depth[id(n)])

    computable = set(input_ids)
    for node in nodes:
        if node.is_input:
            if node.output_tensors and id(node.output_tensors[0]) not in computable:
                raise ValueError(
                    f"Graph disconnected: cannot find the value of input tensor {node.output_tensors[0]} (layer "
                    f"'{node.operation.name}'). Every Input the outputs depend on must be in `inputs`."
                )
            continue
        for t in node.input_tensors:
            if id(t) not in computable:
                seen = [lyr.name for lyr in layers if layer_depth[id(lyr)] > node_depth[id(node)]]
                raise ValueError(f"Graph disconnected: cannot obtain value for tensor {t} at layer "
                                 f"'{node.operation.name}'. The following previous layers were accessed without "
                                 f"issue: {seen}")
        computable.update(id(t) for t in node.output_tensors)
    return nodes, layers, keras_order


def _skip_pass_through(steps, kept_slots):
    """Steps without the layers that pass their input through at inference (a linear
    Activation, Dropout, Identity, the augmentation layers, ...; see Layer._passes_through):
    the steps after one read its input's array instead of a copy. Only where its output is no
    model output, so no returned array is shared with another or with an input; the arrays are
    only read (no layer modifies its inputs)."""
    alias, kept = {}, []
    for layer, args, outs, kwargs in steps:
        args = [alias.get(s, s) for s in args] if isinstance(args, list) else alias.get(args, args)
        if (not kwargs and not isinstance(args, list) and len(outs) == 1 and outs[0] not in kept_slots
                and isinstance(layer, Layer) and layer._passes_through()):
            alias[outs[0]] = args
            continue
        kept.append((layer, args, outs, kwargs))
    return kept


class _TensorKwargsStep:
    """The plan step of a call with tensors among its keyword arguments (`initial_state=[h, c]`,
    `attention_mask=m`). Its argument slots are the positional inputs' followed by the keyword
    tensors', so the plan keeps, frees, aliases and fuses around them as around any input (a fused
    chain never hides an array a keyword reads); called with those arrays, it calls the layer with
    each one back in its place. Calls without keyword tensors stay plain steps: no extra work."""

    def __init__(self, layer, n_positional, as_list, positions):
        self.layer = layer
        self.name = layer.name
        self._n_positional = n_positional
        self._as_list = as_list
        self._positions = positions  # keyword -> its structure with indices into the argument list

    @classmethod
    def for_node(cls, node, slot):
        """(step, argument slots) for `node`, with `slot(tensor)` the plan's slot numbering."""
        args = [slot(t) for t in flatten(node.inputs)]
        n_positional = len(args)
        positions = {}
        for name, structure in node.tensor_kwargs.items():
            def position(tensor):
                args.append(slot(tensor))
                return len(args) - 1

            positions[name] = map_structure(position, structure)
        return cls(node.operation, n_positional, isinstance(node.inputs, list), positions), args

    def _split(self, values):
        main = list(values[:self._n_positional]) if self._as_list else values[0]
        keywords = {name: map_structure(values.__getitem__, where) for name, where in self._positions.items()}
        return main, keywords

    def __call__(self, values, **kwargs):
        main, keywords = self._split(values)
        return self.layer(main, **kwargs, **keywords)

    def compute_output_shape(self, shapes):
        return self.layer.compute_output_shape(self._split(shapes)[0])


class _Plan:
    """The prepared computation: slots for every tensor, the steps that fill them, and the step
    after which each slot can be freed."""

    def __init__(self, inputs, outputs, fuse=True):
        self.nodes, self.layers, keras_order = _map_graph(inputs, outputs)
        slots = {}

        def slot(t):
            return slots.setdefault(id(t), len(slots))

        self.input_slots = [slot(t) for t in inputs]
        step_of = {}
        for node in self.nodes:
            if node.is_input:
                continue
            if node.tensor_kwargs:
                operation, args = _TensorKwargsStep.for_node(node, slot)
            elif isinstance(node.inputs, list):
                operation, args = node.operation, [slot(t) for t in node.inputs]
            else:
                operation, args = node.operation, slot(node.inputs)
            outs = [slot(t) for t in node.output_tensors]
            step_of[id(node)] = (operation, args, outs, node.kwargs)
        self.steps = [step_of[id(node)] for node in self.nodes if not node.is_input]
        self.output_slots = [slot(t) for t in outputs]
        self.n_slots = len(slots)
        keep = set(self.output_slots)
        # With masks (convkit/_masking.py) the steps run one layer call each, in Keras's order: a
        # mask follows each layer's own rule, which a fused chain or a skipped layer would hide,
        # and MultiHeadAttention takes the masks off its inputs for the layers that run after it.
        # (worked out on the first run with masks: most models never need them)
        self._plain = None
        self._plain_nodes = [node for node in keras_order if not node.is_input]
        self._plain_step_of, self._keep = step_of, keep
        self.makes_masks = any(_masking.makes_mask(node.operation) for node in self.nodes if not node.is_input)
        if fuse:
            from convkit._fusion import fuse_steps

            self.steps = fuse_steps(self.steps, keep)
        self.steps = _skip_pass_through(self.steps, keep)
        self.free_after = _free_after(self.steps, keep)
        self.node_of_layer = {}
        for node in self.nodes:
            self.node_of_layer.setdefault(id(node.operation), node)

    def run(self, arrays):
        if self.makes_masks:
            return self.run_with_masks(arrays, None)[0]
        values = [None] * self.n_slots
        for s, a in zip(self.input_slots, arrays):
            values[s] = a
        for (layer, args, outs, kwargs), free in zip(self.steps, self.free_after):
            x = [values[s] for s in args] if isinstance(args, list) else values[args]
            y = layer(x, **kwargs)
            ys = flatten(y) if isinstance(y, list) else [y]  # stacked RNN cells' states nest
            for s, v in zip(outs, ys):
                values[s] = v
            for s in free:
                values[s] = None
        return [values[s] for s in self.output_slots]

    def run_with_masks(self, arrays, input_masks):
        """Runs the steps one layer call each, carrying Keras's masks (input_masks: one per
        input or None). Returns (outputs, their masks). Two masks ride along each tensor, as
        in Keras: the one its value carries when the model runs, and the one it had when the
        model was written, which Keras stores as a `mask=` argument of some calls
        (convkit/_masking.py)."""
        values = [None] * self.n_slots
        masks = [None] * self.n_slots
        written = [None] * self.n_slots
        for i, (s, a) in enumerate(zip(self.input_slots, arrays)):
            values[s] = a
            masks[s] = written[s] = None if input_masks is None else input_masks[i]
        if self._plain is None:
            steps = [self._plain_step_of[id(node)] for node in self._plain_nodes]
            self._plain = list(zip(steps, _free_after(steps, self._keep),
                                   _masking.records_written_masks(self._plain_nodes)))
        for (step, args, outs, kwargs), free, records in self._plain:
            layer = step.layer if isinstance(step, _TensorKwargsStep) else step
            if isinstance(args, list):
                x, m, w = [values[s] for s in args], [masks[s] for s in args], [written[s] for s in args]
            else:
                x, m, w = values[args], masks[args], written[args]
            ys, out_masks, written_masks = _masking.run_step(step, layer, x, m, w, records, kwargs)
            if layer._clears_input_masks:
                n = step._n_positional if isinstance(step, _TensorKwargsStep) else None
                for s in (args[:n] if isinstance(args, list) else [args]):
                    masks[s] = None
            for s, v, mk, wk in zip(outs, ys, out_masks, written_masks):
                values[s], masks[s], written[s] = v, mk, wk
            for s in free:
                values[s] = masks[s] = written[s] = None
        return [values[s] for s in self.output_slots], [masks[s] for s in self.output_slots]

    def output_shapes(self, input_shapes):
        shapes = [None] * self.n_slots
        for s, shape in zip(self.input_slots, input_shapes):
            shapes[s] = tuple(shape)
        for layer, args, outs, _ in self.steps:
            x = [shapes[s] for s in args] if isinstance(args, list) else shapes[args]
            y = layer.compute_output_shape(x)
            ys = _flat_shapes(y) if isinstance(y, list) and outs and len(outs) > 1 else [y]
            for s, v in zip(outs, ys):
                shapes[s] = tuple(v)
        return [shapes[s] for s in self.output_slots]


def _flat_shapes(shapes):
    """Output shapes with nested lists of shapes (stacked RNN cells' states) flattened."""
    return [leaf for s in shapes for leaf in (_flat_shapes(s) if isinstance(s, list) else [s])]


def _free_after(steps, keep):
    """For each step, the slots it reads last (not kept): freed once it has run."""
    last = {}
    for i, (_, args, _, _) in enumerate(steps):
        for s in (args if isinstance(args, list) else [args]):
            last[s] = i
    free = [[] for _ in steps]
    for s, i in last.items():
        if s not in keep:
            free[i].append(s)
    return free


def _one_or_list(items):
    return items[0] if len(items) == 1 else list(items)


def _map_nested(fn, value):
    """fn applied to every leaf of nested dicts, lists and tuples (kept as they are); None stays None."""
    if isinstance(value, dict):
        return {key: _map_nested(fn, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_map_nested(fn, item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    return None if value is None else fn(value)


def _as_input_array(value):
    """An input of a subclassed model's call, as Keras converts one: floating ones as float32,
    integers and booleans as they are (token ids for an Embedding)."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        arr = None  # (as_float32_array says what is wrong with it)
    if arr is not None and arr.dtype.kind in "biu":
        return arr
    return _args.as_float32_array(value, "inputs")


def _as_output_array(value, copy=False):
    """An output of a subclassed model's call: an array, floating ones as float32 (a copy where it
    is one of the inputs, which are never handed back)."""
    arr = np.asarray(value)
    if arr.dtype.kind == "f" and arr.dtype != np.float32:
        return arr.astype(np.float32)
    return arr.copy() if copy else arr


def _predict_batches(arrays, batch_size, steps):
    """How many batches predict runs over `arrays` (one sample count for all, not 0)."""
    sizes = {a.shape[0] if a.ndim else None for a in arrays}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"All inputs of predict must have the same number of samples (first dimension). "
                         f"Received shapes {[a.shape for a in arrays]}")
    n = sizes.pop()
    if n == 0:
        raise ValueError("predict received an input with 0 samples; there is nothing to predict.")
    n_batches = -(-n // batch_size)
    return n_batches if steps is None else min(n_batches, steps)


def _readable_size(n_bytes):
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.2f} {unit}"
        size /= 1024


# ---- Model --------------------------------------------------------------------------------

class Model(Layer):
    """A functional model: `Model(inputs, outputs)` over any acyclic graph of layer calls
    (branches, skip connections, several inputs and outputs). Also the base of Sequential.

    A subclass that defines `call` and calls `super().__init__()` without inputs and outputs is a
    subclassed model, as in Keras: its layers are the layers stored on it (tracked as a layer's
    sublayers), `model(x)` and `predict` run its `call`, and its weights come in Keras's order.
    A subclass may also pass inputs and outputs to `super().__init__` (Keras's functional
    subclass): it is then a functional model."""

    # the graph's and the stack's bookkeeping: not sublayers of the model as an object (the
    # functional graph and Sequential's stack say which layers a model has)
    _UNTRACKED_ATTRIBUTES = Layer._UNTRACKED_ATTRIBUTES | {"_plan", "_inputs", "_outputs", "_input_structure",
                                                           "_stack", "_input_layer", "_tensors", "_compile_config"}

    def __new__(cls, *args, **kwargs):
        # Keras's Model.__new__ passes no constructor arguments on, so the automatic config of a
        # subclassed model without get_config holds its constructor's defaults, not the values given
        return super().__new__(cls)

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if name is None:
            name = unique_name("functional" if type(self) is Model else to_snake_case(type(self).__name__))
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._plan = None
        self._inputs = self._outputs = None
        self._input_structure = None
        self._output_is_list = False
        self.compiled = False
        if inputs is None and outputs is None:
            return
        if inputs is None or outputs is None:
            raise ValueError("A functional Model needs both `inputs` and `outputs`. "
                             f"Received: inputs={inputs!r}, outputs={outputs!r}")
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        if isinstance(inputs, dict):
            self._input_structure = list(inputs.keys())
            flat_inputs = [inputs[k] for k in self._input_structure]
        else:
            self._input_structure = None
            flat_inputs = flatten(inputs)
        flat_outputs = flatten(outputs)
        for name, tensors in (("inputs", flat_inputs), ("outputs", flat_outputs)):
            if not tensors:
                raise ValueError(f"`{name}` of a Model cannot be empty.")
            for t in tensors:
                if not isinstance(t, KerasTensor) or t._keras_history is None:
                    raise TypeError(f"All `{name}` of a functional Model must be KerasTensors made by "
                                    f"convkit.Input or by calling layers on them. Received: {t!r}")
        self._inputs, self._outputs = flat_inputs, flat_outputs
        self._output_is_list = isinstance(outputs, (list, tuple))
        plan = _Plan(flat_inputs, flat_outputs)
        names = [layer.name for layer in plan.layers]
        for name in set(names):
            if names.count(name) > 1:
                raise ValueError(f'The name "{name}" is used {names.count(name)} times in the model. All layer names '
                                 f"should be unique.")
        self._plan = plan
        self.built = True

    # ---- structure ----

    def _is_subclassed(self):
        """Whether this is a subclassed model (no functional graph; its `call` says what it does)."""
        return self._plan is None and not isinstance(self, Sequential)

    @property
    def layers(self):
        if self._plan is not None:
            return list(self._plan.layers)
        return list(self._tracked_layers.values()) if self._is_subclassed() else []

    @layers.setter
    def layers(self, _):
        raise AttributeError("`Model.layers` is reserved and cannot be set.")

    def _differs_in_training(self):
        return any(layer._differs_in_training() for layer in self.layers)

    def _require_plan(self, what):
        if self._plan is None:
            raise ValueError(f"Model '{self.name}' has not been built yet, so it has no {what}. Give the first "
                             f"layer an `input_shape`, start with an Input, call `build(input_shape)` or call "
                             f"the model on data first.")
        return self._plan

    @property
    def inputs(self):
        self._require_plan("inputs")
        return list(self._inputs)

    @property
    def outputs(self):
        self._require_plan("outputs")
        return list(self._outputs)

    @property
    def input(self):
        return _one_or_list(self.inputs)

    @property
    def output(self):
        return _one_or_list(self.outputs)

    @property
    def input_shape(self):
        return _one_or_list([t.shape for t in self.inputs])

    @property
    def output_shape(self):
        return _one_or_list([t.shape for t in self.outputs])

    @property
    def input_names(self):
        return [t._keras_history.operation.name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history.operation.name for t in self.outputs]

    def get_layer(self, name=None, index=None):
        if name is not None and index is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            layers = self.layers
            if not _args._is_int(index) or not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(layers)} "
                                 f"layers.")
            return layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {[lyr.name for lyr in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    # ---- weights ----

    def _weight_layers(self):
        """The layers whose weights the model owns, in Keras's weight order: the graph's, then any
        other layer stored on the model (a functional subclass's extra attribute)."""
        layers = self.layers
        return layers + [layer for layer in self._tracked_layers.values() if all(layer is not x for x in layers)]

    def _all_weights(self, pick):
        out, seen = [], set()  # a shared layer's weights count once
        for layer in self._weight_layers():
            for w in pick(layer):
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    # a subclassed model's weights are a layer's: its own, then its tracked layers' (Layer's rules)

    @property
    def weights(self):
        if self._is_subclassed():
            return Layer.weights.fget(self)
        return self._all_weights(lambda layer: layer.weights)

    @property
    def trainable_weights(self):
        if self._is_subclassed():
            return Layer.trainable_weights.fget(self)
        if not self.trainable:
            return []
        return self._all_weights(lambda layer: layer.trainable_weights)

    @property
    def non_trainable_weights(self):
        if self._is_subclassed():
            return Layer.non_trainable_weights.fget(self)
        if not self.trainable:
            return self.weights
        return self._all_weights(lambda layer: layer.non_trainable_weights)

    def _trainable_sublayers(self):
        return self._weight_layers()  # Keras's Functional and Sequential track their layers

    def _weights_marked_trainable(self):
        if self._is_subclassed():
            return self._weights_marked_trainable_by_flags()
        return self.trainable_weights

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on model '{self.name}', but the model isn't built. "
                             f"You can build it manually via: `{self.name}.build(batch_input_shape)`.")
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ---- running ----

    def _standardize_inputs(self, x):
        plan = self._require_plan("inputs")
        n = len(plan.input_slots)
        if isinstance(x, dict):
            names = self.input_names
            missing = [k for k in names if k not in x]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs named {names}. Missing: {missing}")
            xs = [x[k] for k in names]
        elif n == 1:
            if isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], np.ndarray):
                x = x[0]
            xs = [x]
        else:
            if not isinstance(x, (list, tuple)) or len(x) != n:
                got = len(x) if isinstance(x, (list, tuple)) else 1
                raise ValueError(f"Model '{self.name}' expects {n} input arrays ({self.input_names}). "
                                 f"Received: {got} input(s)")
            xs = list(x)
        arrays = []
        for t, value in zip(self._inputs, xs):
            layer = t._keras_history.operation
            if isinstance(layer, InputLayer) and t._keras_history.node_index == 0:
                arr = layer._convert_inputs(value)
                layer._check_input_spec(arr.shape)
            else:
                arr = _args.as_float32_array(value, "inputs")
            arrays.append(arr)
        return arrays

    def _prepare_for(self, x):
        """Hook for Sequential's deferred build (the functional graph is known already)."""

    def _run(self, arrays, masks=None):
        if masks is None:
            outs = self._plan.run(arrays)
        else:
            outs = self._plan.run_with_masks(arrays, masks)[0]
        return outs if (self._output_is_list or len(outs) > 1) else outs[0]

    def _makes_mask(self):
        return self._plan is not None and self._plan.makes_masks

    def _run_with_masks(self, inputs, masks):
        """As a layer of another model's plan: (outputs as a list, their masks)."""
        if self._is_subclassed():
            # its call gets the masks as `mask` (one input's, or the list of them; a call without
            # `mask` is refused, see _refuse_unseen_mask); its outputs carry none (as in Keras, where
            # a subclassed model without compute_mask does not support masking)
            if masks is not None and not self._call_takes_mask():
                self._refuse_unseen_mask()
            if masks is not None and len(masks) == 1 and not isinstance(inputs, (list, tuple)):
                masks = masks[0]
            outputs = self(inputs, mask=masks)
            outputs = flatten(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
            return outputs, [None] * len(outputs)
        self._prepare_for(inputs)
        return self._plan.run_with_masks(self._standardize_inputs(inputs), masks)

    def _input_masks(self, mask):
        """`mask=` of a call: one per input (None where an input has none), or None."""
        if mask is None:
            return None
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
        n = len(self._plan.input_slots)
        if len(masks) != n:
            raise ValueError(f"Model '{self.name}' takes one mask per input ({n}). Received: {len(masks)} mask(s)")
        return None if all(m is None for m in masks) else masks

    def __call__(self, inputs, *args, **kwargs):
        if self._is_subclassed() and type(self).call is Model.call:
            raise NotImplementedError(f"Model {type(self).__name__} does not have a `call()` method implemented: "
                                      f"define `call` in the subclass, or pass `inputs` and `outputs` to build a "
                                      f"functional model.")
        if any(isinstance(t, KerasTensor) for t in flatten(inputs)):
            if self._is_subclassed() and isinstance(inputs, dict):
                raise TypeError(f"Model '{self.name}' ({type(self).__name__}): a subclassed model called on symbolic "
                                f"tensors takes one tensor or a list of them, not a dict. Received: {inputs!r}")
            return super().__call__(inputs, *args, **kwargs)
        if self._is_subclassed():
            return self._call_subclassed(inputs, args, kwargs)
        _refuse_training(self, kwargs.pop("training", None))
        mask = kwargs.pop("mask", None)
        if args or kwargs:
            raise TypeError(f"Model '{self.name}' takes only its inputs. Received extra arguments: "
                            f"{list(kwargs) or len(args)}")
        self._prepare_for(inputs)
        return self._run(self._standardize_inputs(inputs), self._input_masks(mask))

    def call(self, inputs, mask=None):
        return self._run(self._standardize_inputs(inputs), self._input_masks(mask))

    def _call_subclassed(self, inputs, args, kwargs):
        """A subclassed model's call on data: Keras's conventions for a layer's call (floating
        inputs as float32, integer and boolean ones as they are, in the structure given; `training`
        and `mask` passed where `call` takes them), building it on its first call (its sublayers
        build as they are called). Floating outputs come back as float32 arrays, in call's
        structure."""
        training = kwargs.pop("training", None)
        _refuse_training(self, training)
        if training is not None and _call_takes(self, "training"):
            kwargs["training"] = training
        if kwargs.get("mask", 0) is None and not _call_takes(self, "mask"):
            del kwargs["mask"]
        elif "mask" in kwargs and not _call_takes(self, "mask"):
            raise TypeError(f"Model '{self.name}' ({type(self).__name__}) does not use a mask: its call() takes no "
                            f"`mask` argument. Received: mask={kwargs['mask']!r}")
        arrays = _map_nested(_as_input_array, inputs)
        if not self.built and type(self).build is not Model.build:
            self.build(_map_nested(lambda a: a.shape, arrays))  # the subclass's own build
        outputs = self.call(arrays, *args, **kwargs)
        if not self.built:
            self.built = True
            self._build_shape = _map_nested(lambda a: a.shape, arrays)
        leaves = {id(a) for a in flatten(arrays)}
        return _map_nested(lambda out: _as_output_array(out, copy=id(out) in leaves), outputs)

    def _takes_list(self):
        if self._is_subclassed():
            return True  # its call takes the structure it is given
        return self._plan is not None and len(self._plan.input_slots) > 1

    def build(self, input_shape=None):
        """A functional model is built when it is made. A subclassed model without a build of its
        own builds its layers by running `call` on zeros of `input_shape` (Keras traces `call`
        symbolically when it rebuilds a model), unless they are all built already."""
        input_shape = standardize_shape(input_shape)
        if self._is_subclassed():
            if input_shape is None:
                raise ValueError(f"You must provide an `input_shape` argument to build the subclassed model "
                                 f"'{self.name}'. Received: input_shape=None")
            if any(not layer.built for layer in self._flatten_layers(include_self=False)):
                self._run_on_zeros(input_shape)
        self.built = True
        self._build_shape = input_shape

    build._convkit_wrapped = True  # not Layer's build wrapper: it would drop weights made in __init__

    def build_from_config(self, config):
        """Keras's rebuild of a model from its file's `build_config` ({"input_shape": shapes} or
        {"shapes_dict": {"<argument>_shape": shape}}), so that its weights exist before they are
        read: a subclassed model runs its own build, if it has one, and its call on zeros of those
        shapes (an unknown batch size as 1, other unknown sizes as 7) unless that build built every
        layer. Where this fails, a warning says so and the model stays unbuilt, as in Keras
        (reading weights into it then fails, saying why)."""
        if not config or self.built:
            return
        own_build = type(self).build is not Model.build
        try:
            if "input_shape" in config:
                shape = _shapes_from_config(config["input_shape"])
                args, kwargs = (shape,), {}
            else:
                kwargs = {key: _shapes_from_config(value) for key, value in config["shapes_dict"].items()}
                args, shape = (), next(iter(kwargs.values()), None)
            if own_build:
                self.build(*args, **kwargs)
            if not own_build or any(not layer.built for layer in self._flatten_layers(include_self=False)):
                with np.errstate(all="ignore"):  # zeros may divide by zero in a call that works on real data
                    # (a keyword argument's shape is recorded as `<argument>_shape`)
                    self.call(*[_map_shapes(zeros_of_shape, a) for a in args],
                              **{key[:-len("_shape")]: _map_shapes(zeros_of_shape, v) for key, v in kwargs.items()})
        except Exception as exc:  # (Keras too goes on with the model unbuilt)
            warnings.warn(f"Model '{self.name}' had a build config, but the model cannot be built automatically in "
                          f"`build_from_config(config)`: {type(exc).__name__}: {exc}. Define "
                          f"`build_from_config(self, config)` (and `get_build_config(self)` for what it needs) in "
                          f"{type(self).__name__} to make its weights from the config.", stacklevel=2)
            return
        self.built = True
        self._build_shape = shape

    def compute_output_shape(self, input_shape):
        if self._is_subclassed():
            return self._output_shape_by_running(input_shape)
        plan = self._require_plan("output shape")
        shapes = input_shape if len(plan.input_slots) > 1 else [input_shape]
        outs = plan.output_shapes(shapes)
        return list(outs) if (self._output_is_list or len(outs) > 1) else outs[0]

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Run the model on `x` in batches of `batch_size` (default 32); returns float32 arrays
        (one per output). A progress bar goes to stderr when there is more than one batch,
        stderr is a terminal and verbose is not 0."""
        if batch_size is None:
            batch_size = 32
        if isinstance(batch_size, bool) or not _args._is_int(batch_size) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
        if steps is not None and (not _args._is_int(steps) or steps < 1):
            raise ValueError(f"`steps` must be a positive integer or None. Received: steps={steps!r}")
        if self._is_subclassed():
            return self._predict_subclassed(x, batch_size, steps, verbose)
        self._prepare_for(x)
        arrays = self._standardize_inputs(x)
        n_batches = _predict_batches(arrays, batch_size, steps)
        bar = ProgressBar(n_batches, verbose)
        results = None
        for b in range(n_batches):
            start = b * batch_size
            outs = self._plan.run([a[start:start + batch_size] for a in arrays])
            if results is None:
                results = [[] for _ in outs]
            for acc, o in zip(results, outs):
                acc.append(o)
            bar.update(b + 1)
        merged = [r[0] if len(r) == 1 else np.concatenate(r, axis=0) for r in results]
        return merged if (self._output_is_list or len(merged) > 1) else merged[0]

    def _predict_subclassed(self, x, batch_size, steps, verbose):
        """predict for a subclassed model: `call` on each batch of `x` (any structure of arrays,
        cut along the first axis), the batches' outputs joined in call's structure."""
        inputs = _map_nested(_as_input_array, x)
        arrays = [a for a in flatten(inputs) if a is not None]
        n_batches = _predict_batches(arrays, batch_size, steps)
        bar = ProgressBar(n_batches, verbose)
        batches = []
        for b in range(n_batches):
            start = b * batch_size
            batches.append(self(_map_nested(lambda a: a[start:start + batch_size], inputs)))
            bar.update(b + 1)
        if len(batches) == 1:
            return batches[0]
        leaves = [flatten(out) for out in batches]  # (one structure for every batch: call's)
        joined = iter([np.concatenate(parts, axis=0) for parts in zip(*leaves)])
        return _map_nested(lambda _: next(joined), batches[0])

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=max(1, len(x) if hasattr(x, "__len__") else 1), verbose=0)

    def load_weights(self, filepath):
        """Weights from a Keras `.weights.h5`, `.keras` or legacy `.h5` file (needs h5py)."""
        from convkit.saving import load_weights

        if self._is_subclassed() and not self.built:
            raise ValueError(f"The subclassed model '{self.name}' has not been built yet, so it has no weights to "
                             f"load into: call it on data or call `build(input_shape)` first.")
        load_weights(self, filepath)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model as Keras 3 does: a `.keras` archive (the config Keras rebuilds the model
        from, and the weights), an unzipped directory (zipped=False) or a legacy `.h5` file. Keras
        loads it with `keras.saving.load_model`, convkit with `convkit.models.load_model` (needs h5py).
        overwrite=False raises FileExistsError for an existing file. A subclassed model is saved as
        Keras saves one, in `.keras` only: its class, its config (get_config), the input shape it
        was built for and its weights; loading it takes the class (`custom_objects`)."""
        from convkit.saving import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights in Keras 3's `.weights.h5` layout (the name must end in `.weights.h5`);
        `load_weights` (convkit's or Keras's) reads them into a model of the same architecture."""
        from convkit.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def to_json(self, **kwargs):
        """The model's config as JSON, in Keras's format (`model_from_json`, convkit's or Keras's,
        rebuilds the model from it); `kwargs` go to `json.dumps`."""
        from convkit.saving import model_to_json

        return model_to_json(self, **kwargs)

    # ---- training is out of scope ----

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Accepted so Keras scripts run unchanged; stored, not used (convkit does inference only)."""
        self.compiled = True
        self._compile_config = {"optimizer": optimizer, "loss": loss, "metrics": metrics, **kwargs}

    def fit(self, *args, **kwargs):
        raise NotImplementedError("convkit runs inference only: train in Keras and copy the weights with "
                                  "`model.set_weights(keras_model.get_weights())`.")

    evaluate = train_on_batch = test_on_batch = fit

    # ---- summary ----

    def _subclassed_layer_rows(self):
        """A subclassed model's rows, as Keras lists its tracked layers: the output shape where the
        layer was built for a known input shape and computes output shapes ('?' otherwise: a layer
        Keras builds when it is made, a subclassed layer without compute_output_shape), and
        '0 (unbuilt)' for a layer not built yet."""
        from convkit.saving import _KERAS_BUILT_AT_INIT, _convkit_class_name

        rows = []
        for layer in self.layers:
            shape = "?"
            computes = type(layer).compute_output_shape is not Layer.compute_output_shape or \
                type(layer).__module__.startswith("convkit.")
            if isinstance(layer, Model):
                if layer._plan is not None:
                    shape = str(layer.output_shape)
            elif (layer.built and layer._build_shape is not None and computes
                    and _convkit_class_name(layer) not in _KERAS_BUILT_AT_INIT):
                try:
                    out = layer.compute_output_shape(layer._build_shape)
                    shape = str(tuple(out) if isinstance(out, tuple) else [tuple(s) for s in out])
                except NotImplementedError:  # (as Keras: a layer that cannot say shows '?')
                    pass
            if layer.built:
                params = f"{layer.count_params():,}"
            else:  # (Keras builds some layers when it makes them)
                params = "0" if _convkit_class_name(layer) in _KERAS_BUILT_AT_INIT else "0 (unbuilt)"
            rows.append([f"{layer.name} ({type(layer).__name__})", shape, params])
        return rows, False

    def _layer_rows(self):
        if self._is_subclassed():
            return self._subclassed_layer_rows()
        plan = self._require_plan("summary")
        rows = []
        show_connections = not isinstance(self, Sequential)
        for layer in self.layers:
            if isinstance(self, Sequential) and isinstance(layer, InputLayer):
                continue
            node = plan.node_of_layer.get(id(layer))
            shapes = [t.shape for t in node.output_tensors] if node is not None else []
            shape = str(_one_or_list(shapes)) if shapes else "?"
            params = layer.count_params() if layer.built else 0
            # an operation node shows its Keras class (Mean, GetItem, Add), as Keras's summary does
            kind = layer.operation if isinstance(layer, _layers.KerasOperation) else type(layer).__name__
            row = [f"{layer.name} ({kind})", shape, f"{params:,}"]
            if show_connections:
                links = []
                for n in plan.nodes:
                    if n.operation is layer:
                        for t in n.input_tensors:
                            op, ni, ti = t._keras_history
                            links.append(f"{op.name}[{ni}][{ti}]")
                row.append(", ".join(links) if links else "-")
            rows.append(row)
        return rows, show_connections

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print a Keras-like table: Layer (type) | Output Shape | Param # (| Connected to), then
        total, trainable and non-trainable parameter counts."""
        print_fn = print_fn or print
        rows, connections = self._layer_rows()
        header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connections else [])
        widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
                  for i in range(len(header))]
        if line_length:
            widths[0] = max(widths[0], line_length - sum(widths[1:]) - 3 * len(widths) - 1)
        align = ["<", "<", ">", "<"]

        def line(cells):
            return "| " + " | ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)) + " |"

        sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        thick = "+" + "+".join("=" * (w + 2) for w in widths) + "+"
        out = [f'Model: "{self.name}"', sep, line(header), thick]
        for r in rows:
            out.append(line(r))
        out.append(sep)
        total = sum(int(np.prod(w.shape)) for w in self.weights)
        trainable = sum(int(np.prod(w.shape)) for w in self.trainable_weights)
        non_trainable = total - trainable
        out.append(f" Total params: {total:,} ({_readable_size(4 * total)})")
        out.append(f" Trainable params: {trainable:,} ({_readable_size(4 * trainable)})")
        out.append(f" Non-trainable params: {non_trainable:,} ({_readable_size(4 * non_trainable)})")
        for text in out:
            print_fn(text)

    # ---- config ----

    def get_config(self):
        """A functional model's graph config; a subclassed model's is a layer's: {name, trainable,
        dtype} under a get_config of the class's own, or Keras's automatic config (its constructor's
        defaults, see Model.__new__) where the class has none."""
        if self._is_subclassed():
            return super().get_config()
        plan = self._require_plan("config")
        local = {}  # id(node) -> index among the layer's nodes that belong to this model
        for layer in plan.layers:
            count = 0
            for node in layer._inbound_nodes:
                if node in plan.nodes:
                    local[id(node)] = count
                    count += 1

        def spec(t):
            op, ni, ti = t._keras_history
            return [op.name, local.get(id(op._inbound_nodes[ni]), 0), ti]

        layer_configs = []
        for layer in plan.layers:
            nodes = []
            for node in layer._inbound_nodes:
                if id(node) in local and not node.is_input:
                    positional, keyword = node.call_arguments()
                    # a list input is passed as one list, unless some of it went by keyword
                    is_list = isinstance(node.inputs, list) and node.input_keywords is None
                    entry = {"args": [spec(t) for t in positional], "list": is_list, "kwargs": dict(node.kwargs)}
                    if keyword:
                        entry["tensor_kwargs"] = {k: map_structure(spec, v) for k, v in keyword.items()}
                    nodes.append(entry)
            entry = _layers.serialize(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = nodes
            layer_configs.append(entry)
        return {
            "name": self.name, "trainable": self.trainable, "layers": layer_configs,
            "input_layers": [spec(t) for t in self._inputs] if self._input_structure is None
            else {k: spec(t) for k, t in zip(self._input_structure, self._inputs)},
            "output_layers": [spec(t) for t in self._outputs],
        }

    get_config._keras_default = True  # (see Layer.get_config)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config: a functional config makes a functional model (of `cls` where its
        constructor takes a functional model's arguments); any other config, or a class with a
        constructor of its own, is passed to the constructor, `cls(**config)`, as Keras does (the
        model is then built, for a model file, from the file's build_config: build_from_config)."""
        functional = "layers" in config and "input_layers" in config
        if not functional or not _revivable_as_functional(cls):
            try:
                return cls(**config)
            except TypeError as exc:
                raise TypeError(
                    f"Unable to revive model from config: {cls.__name__}(**config) failed. The config that "
                    f"get_config() returns must hold every argument of the constructor of {cls.__name__} (or the "
                    f"class must define `from_config(cls, config)` to make itself from its config). "
                    f"Received config={config}. Error encountered: {exc}") from exc
        from convkit.layers import symbolic

        outer, symbolic._FROM_CONFIG[0] = symbolic._FROM_CONFIG[0], True
        try:
            return cls._from_layer_entries(config, custom_objects)
        finally:
            symbolic._FROM_CONFIG[0] = outer

    @classmethod
    def _from_layer_entries(cls, config, custom_objects):
        created, outputs_of, pending = {}, {}, []
        for entry in config["layers"]:
            layer = _layer_from_entry(entry, custom_objects)
            created[entry["name"]] = layer
            if isinstance(layer, InputLayer):
                outputs_of[(layer.name, 0)] = layer._inbound_nodes[0].output_tensors
            pending.append([layer, list(entry.get("inbound_nodes", [])), 0])
        for item in pending:
            item[1] = [_standard_node(node, item[0]) for node in item[1]]
        progress = True
        while progress:
            progress = False
            for item in pending:
                layer, nodes, done = item
                while done < len(nodes):
                    node = nodes[done]
                    tensor_kwargs = node.get("tensor_kwargs", {})
                    keys = [(name, idx) for name, idx, _ in node["args"] + _spec_leaves(list(tensor_kwargs.values()))]
                    if not all(k in outputs_of for k in keys):
                        break
                    args = [outputs_of[(name, idx)][ti] for name, idx, ti in node["args"]]
                    kwargs = dict(node.get("kwargs", {}))
                    for key, specs in tensor_kwargs.items():
                        kwargs[key] = _map_specs(lambda s: outputs_of[(s[0], s[1])][s[2]], specs)
                    y = layer(args, **kwargs) if node.get("list") else layer(*args, **kwargs)
                    outputs_of[(layer.name, done)] = flatten(y) if isinstance(y, list) else [y]
                    done += 1
                    progress = True
                item[2] = done
        unresolved = [item[0].name for item in pending if item[2] < len(item[1])]
        if unresolved:
            raise ValueError(f"Could not rebuild the model graph from the config: layers {unresolved} have inputs "
                             f"that are never produced.")

        # Keras's configs (node arguments as `__keras_tensor__` dicts, no "list" key) count a
        # functional model's calls from 1 in input_layers / output_layers (from 0 elsewhere), and
        # write a single output as one triple, a list of outputs (even of one) as a list of triples
        keras_format = any("list" not in node for entry in config["layers"] for node in entry.get("inbound_nodes", []))
        written = config["output_layers"]
        output_list = keras_format and isinstance(written, list) and bool(written) and not isinstance(written[0], str)

        def tensor(spec):
            name, idx, ti = spec
            if keras_format and isinstance(created.get(name), Model) and not isinstance(created[name], Sequential):
                idx -= 1
            return outputs_of[(name, idx)][ti]

        for key in ("input_layers", "output_layers"):
            specs = config[key]
            if isinstance(specs, (list, tuple)) and specs and isinstance(specs[0], str):
                config = {**config, key: [specs]}  # Keras writes a single tensor as one triple

        if isinstance(config["input_layers"], dict):
            inputs = {k: tensor(s) for k, s in config["input_layers"].items()}
        else:
            inputs = [tensor(s) for s in config["input_layers"]]
        outputs = [tensor(s) for s in config["output_layers"]]
        if len(outputs) == 1 and not output_list:
            outputs = outputs[0]
        if isinstance(inputs, list) and len(inputs) == 1:
            inputs = inputs[0]
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _revivable_as_functional(cls):
    """Keras's test of whether a functional config can make a `cls`: Model itself, or a subclass
    whose constructor takes a functional model's arguments (inputs, outputs, name[, trainable]) or
    only (*args, **kwargs)."""
    import inspect

    if cls is Model:
        return True
    spec = inspect.getfullargspec(cls.__init__)
    return (spec.args[1:] in (["inputs", "outputs", "name"], ["inputs", "outputs", "name", "trainable"])
            or (spec.varargs == "args" and spec.varkw == "kwargs"))


def _shapes_from_config(value):
    """A build_config's shape structure (JSON lists) with each shape as a tuple: a list of
    integers and None is one shape; other lists, and dicts, hold shapes."""
    if isinstance(value, dict):
        return {key: _shapes_from_config(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if all(d is None or _args._is_int(d) for d in value):
            return tuple(value)
        return [_shapes_from_config(item) for item in value]
    return value


def _map_shapes(fn, shapes):
    """fn applied to every shape (a tuple) of nested lists and dicts (_shapes_from_config's form)."""
    if isinstance(shapes, dict):
        return {key: _map_shapes(fn, item) for key, item in shapes.items()}
    if isinstance(shapes, list):
        return [_map_shapes(fn, item) for item in shapes]
    return fn(shapes)


def _is_spec(value):
    """Whether a config value is one tensor's [layer name, node index, tensor index]."""
    return isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str)


def _map_specs(fn, specs):
    """fn applied to every tensor spec of a keyword argument's structure (one spec or nested lists)."""
    if specs is None:
        return None
    if _is_spec(specs):
        return fn(specs)
    return [_map_specs(fn, item) for item in specs]


def _spec_leaves(specs):
    leaves = []
    _map_specs(leaves.append, specs)
    return leaves


def _standard_node(node, layer):
    """A node entry of `layer` in convkit's form, or in Keras 3's (`__keras_tensor__` dicts) ->
    convkit's: `args` (tensor specs, passed as one list when `list`, else one by one), constant
    `kwargs`, and `tensor_kwargs` ({keyword: spec or nested lists of specs}) for the tensors
    passed by keyword. An operation's node takes every tensor among its arguments, in order; its
    constants are the KerasOperation's own. The keyword arguments Keras records by itself (its
    call signature's `training` default, mask=None) are dropped: convkit runs inference. A mask
    tensor Keras wrote (`mask=` from its graph's mask operations) is kept: the layer uses it."""
    from convkit.saving import _KERAS_SEQUENCE_CALLS, _convkit_class_name, _keras_implicit_kwargs

    if "list" in node:
        return node
    operation = isinstance(layer, _layers.KerasOperation)
    args = list(node.get("args", []))
    kwargs = dict(node.get("kwargs") or {})
    if len(args) == 2 and _convkit_class_name(layer) in _KERAS_SEQUENCE_CALLS and "initial_state" not in kwargs:
        kwargs["initial_state"] = args.pop()  # Keras's RNN(sequences, initial_state) called positionally

    def spec(item):
        if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
            return list(item["config"]["keras_history"])
        raise ValueError(f"Unsupported node argument in the model config: {item!r}")

    if operation:
        if len(args) == 1 and isinstance(args[0], list):
            args = args[0]  # ops.concatenate([a, b]): one list of tensors
        specs = [spec(item) for item in args if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__"]
        return {"args": specs, "list": len(specs) > 1, "kwargs": {}}

    is_list = bool(args) and isinstance(args[0], (list, tuple))
    if is_list:
        specs = [spec(item) for item in args[0]]
    else:
        # none, one, or several positional tensors (MultiHeadAttention(query, value[, key])), passed as written
        specs = [spec(item) for item in args]
    given, kwargs, tensor_kwargs = kwargs, {}, {}
    for k, v in given.items():
        if _holds_keras_tensor(v):
            # a tensor of the model by keyword (initial_state=[h, c], attention_mask=m, query=q)
            tensor_kwargs[k] = _map_keras_tensors(spec, v)
        elif not isinstance(v, dict):
            kwargs[k] = v
    if all(m is None for m in flatten(kwargs.get("mask"))):
        kwargs.pop("mask", None)
    if "training" in kwargs and kwargs["training"] == _keras_implicit_kwargs(layer).get("training"):
        kwargs.pop("training")
    entry = {"args": specs, "list": is_list, "kwargs": kwargs}
    if tensor_kwargs:
        entry["tensor_kwargs"] = tensor_kwargs
    return entry


def _is_keras_tensor(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _holds_keras_tensor(value):
    if isinstance(value, (list, tuple)):
        return any(_holds_keras_tensor(v) for v in value)
    return _is_keras_tensor(value)


def _map_keras_tensors(fn, value):
    """fn applied to every `__keras_tensor__` of a keyword argument's structure (lists of them)."""
    if isinstance(value, (list, tuple)):
        return [_map_keras_tensors(fn, v) for v in value]
    return None if value is None else fn(value)  # (a None beside tensors: the layer's call judges it)


def _is_operation_entry(entry):
    """Whether a Keras config entry is an operation node (keras.src.ops.*) rather than a layer:
    by its module, or, in legacy .h5 configs that drop the module, by a config holding only a
    name and the operation's options (a layer's also holds trainable and dtype)."""
    module = entry.get("module")
    if module is not None:
        return str(module).startswith("keras.src.ops.")
    config = entry.get("config")
    name = entry.get("class_name")
    return (name in _layers.operations.SUPPORTED and isinstance(config, dict)
            and set(config) <= {"name", *_layers.operations.option_names(name)})


def _layer_from_entry(entry, custom_objects=None):
    from convkit._registration import CustomObjectScope, lookup_table

    # a user's class, as Keras finds one: by the entry's registered name ("package>Name"; a
    # legacy .h5 entry writes it as its class name) among the objects passed in custom_objects,
    # those of a custom_object_scope and the registered ones; then (convkit also) by class name,
    # and by the one registered name "<any package>>Name" (a legacy file convkit wrote)
    custom_objects = lookup_table(custom_objects)
    class_name = entry["class_name"]
    if class_name in ("Sequential", "Model", "Functional"):
        cls = Sequential if class_name == "Sequential" else Model
        return cls.from_config(entry["config"], custom_objects)
    registered_name = entry.get("registered_name", class_name)
    custom = custom_objects.get(registered_name) if registered_name else None
    if custom is None:
        custom = custom_objects.get(class_name)
    if custom is None and ">" not in class_name:
        suffix = f">{class_name}"
        matches = [obj for key, obj in custom_objects.items() if isinstance(key, str) and key.endswith(suffix)]
        if len(matches) == 1 and class_name not in _layers._registry() and not _is_operation_entry(entry):
            custom = matches[0]
    if custom is not None:
        with CustomObjectScope(custom_objects):  # (for a from_config that looks objects up itself)
            return custom.from_config(entry["config"])
    if _is_operation_entry(entry):
        # an operation written in the model's code (x + 3.0, keras.ops.relu6(x)), not a layer
        return _layers.KerasOperation.from_keras_entry(entry)
    cls = _layers.get(class_name)
    if issubclass(cls, (_layers.Wrapper, _layers.Bidirectional, _layers.RNN, _layers.StackedRNNCells,
                        _layers.Lambda)):
        return cls.from_config(entry["config"], custom_objects)  # a custom wrapped layer, cell or function
    return cls.from_config(entry["config"])


# ---- Sequential -----------------------------------------------------------------------------

class Sequential(Model):
    """A linear stack of layers: `Sequential([Conv2D(...), Flatten(), Dense(...)])` or `.add()`.
    The input shape comes from the first layer's `input_shape`, an `Input`/`InputLayer`, an
    explicit `build(input_shape)` or the first data the model sees."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._input_layer = None
        self._tensors = []
        for layer in layers or []:
            self.add(layer)

    # the graph grows with the stack: each added layer is called once on the previous output

    def add(self, layer, rebuild=True):
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history.operation, InputLayer):
            layer = layer._keras_history.operation
        if not isinstance(layer, Layer):
            raise TypeError(f"Only instances of `convkit.layers.Layer` can be added to a Sequential model. "
                            f"Received: {layer!r} (of type {type(layer).__name__})")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError("An InputLayer can only be added as the first layer of a Sequential model "
                                 "(and only once).")
            self._set_input(layer)
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                             f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                             f"argument to pass a unique name.")
        if self._input_layer is None and not self._stack and layer._batch_input_shape is not None:
            self._set_input(InputLayer(batch_shape=layer._batch_input_shape, dtype=None))
        self._stack.append(layer)
        if self._input_layer is not None:
            try:
                self._extend()
            except Exception:
                self._stack.pop()
                raise

    def pop(self, rebuild=True):
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        if len(self._tensors) > len(self._stack):
            self._tensors = self._tensors[:len(self._stack)]
            self._refresh_plan()
        return layer

    def _set_input(self, input_layer):
        self._input_layer = input_layer
        self._tensors = []
        self._extend()

    def _extend(self):
        x = self._tensors[-1] if self._tensors else self._input_layer.output
        for layer in self._stack[len(self._tensors):]:
            y = layer(x)
            if isinstance(y, list):
                raise ValueError(f"All layers in a Sequential model should have a single output tensor. Layer "
                                 f"'{layer.name}' returns {len(y)} tensors; use the functional API instead.")
            self._tensors.append(y)
            x = y
        self._refresh_plan()

    def _refresh_plan(self):
        if self._input_layer is None:
            return
        out = self._tensors[-1] if self._tensors else self._input_layer.output
        self._init_graph(self._input_layer.output, out)
        self._output_is_list = False

    def build(self, input_shape=None):
        if self._input_layer is None:
            if input_shape is None:
                raise ValueError("You must provide an `input_shape` argument to build a Sequential model.")
            shape = tuple(input_shape)
            self._set_input(InputLayer(batch_shape=(None,) + shape[1:]))
        self.built = True

    def _prepare_for(self, x):
        if self._input_layer is None:
            arr = np.asarray(x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x)
            if arr.ndim < 1:
                raise ValueError(f"Sequential model '{self.name}' needs inputs with a batch dimension. "
                                 f"Received an array of shape {arr.shape}")
            self.build((None,) + arr.shape[1:])

    @property
    def layers(self):
        return list(self._stack)

    @layers.setter
    def layers(self, _):
        raise AttributeError("`Model.layers` is reserved and cannot be set.")

    def _weight_layers(self):
        return self._stack  # also before the model is built

    @property
    def built(self):
        return self._input_layer is not None if hasattr(self, "_stack") else False

    @built.setter
    def built(self, value):
        pass

    def get_config(self):
        entries = []
        if self._input_layer is not None:
            entries.append(_layers.serialize(self._input_layer))
        entries.extend(_layers.serialize(layer) for layer in self._stack)
        return {"name": self.name, "trainable": self.trainable, "layers": entries}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config.get("layers", []):
            model.add(_layer_from_entry(entry, custom_objects))
        return model


def clone_model(model):
    """A new model with the same architecture (fresh weights), from the config."""
    return type(model).from_config(model.get_config())


from convkit.saving import load_model, model_from_json, save_model  # noqa: E402  (re-exported, as keras.models)
