"""Keras's masks at inference, as a model's plan carries them.

In Keras a mask is a boolean array riding along a tensor: Embedding(mask_zero=True) makes one
(ids != 0), Masking makes one (any feature != mask_value). A layer whose `supports_masking` is
True hands it on through `compute_mask` (most keep it; merges combine the inputs' masks; a
recurrent layer keeps it only for its sequence output); any other layer drops it. A layer whose
`call` takes `mask` uses the mask it is given (recurrent layers skip masked steps,
GlobalAveragePooling1D and Softmax leave masked entries out, the attention layers do not attend
to them); Keras passes it only where the call has one tensor argument (an RNN given
`initial_state` gets none), and MultiHeadAttention takes one per input.

A model's plan (convkit.models._Plan) runs with masks where a layer of the model can make one or
where the caller passes some: `run_step` below is then one step, Keras's rules around the call.
Keras's saved functional models also write the masks into the graph, as operations
(NotEqual, Any, LogicalOr, ...; convkit.layers.operations) and `mask=` arguments: those come
back as tensors of the graph and win over the carried mask, as in Keras.

Eager calls on arrays carry no mask (an array has nowhere to hold one): `lstm(embedding(x))` runs
unmasked; pass `mask=` yourself, or build a model."""
from convkit.layers.symbolic import flatten


def makes_mask(layer):
    """Whether `layer` may give its output a mask that its input did not have."""
    return bool(getattr(layer, "_makes_mask", lambda: False)())


def _all_none(structure):
    if isinstance(structure, (list, tuple)):
        return all(_all_none(m) for m in structure)
    return structure is None


def records_written_masks(plan_nodes):
    """For each of `plan_nodes`: whether Keras stores the mask its input had when the model was
    written as the call's `mask=` argument. Keras does so for a call `layer(x)` on one tensor with
    no other argument, of a layer whose call takes a mask (it keeps the keyword arguments it
    filled in); a model rebuilt from a config passes the recorded keyword arguments, so its calls
    store none. The masks as written follow every layer's compute_mask; MultiHeadAttention takes
    the masks off its inputs only when it runs (Keras works out its symbolic outputs without
    running its call)."""
    from convkit.layers.symbolic import KerasTensor
    from convkit.models import Model

    records = []
    for node in plan_nodes:
        layer = node.operation
        takes_mask = isinstance(layer, Model) or layer._call_takes_mask()
        records.append(takes_mask and not node.kwargs and not node.tensor_kwargs
                       and isinstance(node.inputs, KerasTensor) and not node.from_config)
    return records


def run_step(step, layer, x, masks, written, records, kwargs):
    """One plan step with masks. step: the plan's operation (the layer, or a _TensorKwargsStep
    around it); x, masks, written: its argument arrays, the masks they carry now and the masks
    they had when the model was written, in the plan's structure; records: whether the call
    takes the written mask as `mask=` (records_written_masks). Returns (outputs, their masks
    now, their masks as written), each a list."""
    from convkit.models import Model

    if step is not layer:
        main, keywords = step._split(x)
        main_masks, _ = step._split(masks)
        main_written, _ = step._split(written)
    else:
        main, keywords, main_masks, main_written = x, {}, masks, written
    recorded = main_written if records and not _all_none(main_written) else None
    if isinstance(layer, Model):
        # a nested model takes its inputs' masks (Keras's Functional.call(inputs, mask=...)) and
        # gives back the masks its own layers leave on its outputs
        given = recorded if recorded is not None else main_masks
        ys, out_masks = layer._run_with_masks(main, None if _all_none(given) else flatten(given))
        return ys, out_masks, out_masks
    explicit = keywords.get("mask")
    mask_kwargs = {}
    if explicit is None and recorded is not None:
        explicit = recorded
        mask_kwargs = {"mask": recorded}
    elif explicit is None and not _all_none(main_masks):
        mask_kwargs = {k: v for k, v in layer._mask_arguments(main_masks, not keywords).items()
                       if not _all_none(v)}
    if hasattr(layer, "_call_with_input_masks") and not _all_none(main_masks):
        # Multiply, Maximum, Minimum: Keras reads the masks their input tensors carry
        y = layer._call_with_input_masks(main, main_masks)
    else:
        y = layer(main, **kwargs, **keywords, **mask_kwargs)
    ys = flatten(y) if isinstance(y, list) else [y]
    if not layer.supports_masking:
        return ys, [None] * len(ys), [None] * len(ys)
    previous = explicit if explicit is not None else main_masks
    out_masks = _output_masks(layer, main, previous, len(ys))
    as_written = explicit if explicit is not None else main_written
    written_masks = out_masks if as_written is previous else _output_masks(layer, main, as_written, len(ys))
    return ys, out_masks, written_masks


def _output_masks(layer, inputs, mask, n_outputs):
    out = layer.compute_mask(inputs, None if _all_none(mask) else mask)
    out_masks = flatten(out) if isinstance(out, (list, tuple)) else [out]
    return (out_masks + [None] * n_outputs)[:n_outputs]
