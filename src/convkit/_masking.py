"""Keras's masks, which convkit does not carry: a model that would need one is refused.

In Keras, Embedding(mask_zero=True) attaches a mask to its output. Layers that support masking
pass it on (Dense, activations, normalisations, dropout, merges), other layers drop it, and some
use it: the recurrent layers skip masked steps, GlobalAveragePooling1D and Softmax leave masked
entries out, the attention layers attend past them. convkit's layers take and return plain
arrays, so where a mask would reach a layer that uses it the model would give other numbers than
Keras; `refuse_masks` says so with an error when the model is built. Eager calls cannot be
checked: `lstm(embedding(x))` on arrays runs without the mask."""

# Keras 3 layers whose supports_masking is True and which, at inference, pass the mask on
# unchanged (or merged) without using it (tests/keras_parity checks the lists against Keras)
PASSES_MASK = frozenset({
    "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average", "BatchNormalization",
    "Concatenate", "Dense", "Dot", "Dropout", "ELU", "GaussianDropout", "GaussianNoise", "GroupNormalization",
    "Identity", "LayerNormalization", "LeakyReLU", "Maximum", "Minimum", "Multiply", "Normalization", "PReLU",
    "ReLU", "Rescaling", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Subtract",
    "UnitNormalization",
})
# Keras 3 layers whose results depend on a mask they receive
USES_MASK = frozenset({
    "AdditiveAttention", "Attention", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GRU",
    "GlobalAveragePooling1D", "LSTM", "MultiHeadAttention", "SimpleRNN", "Softmax", "TimeDistributed",
})


def _makes_mask(layer):
    return type(layer).__name__ == "Embedding" and getattr(layer, "mask_zero", False)


def refuse_masks(nodes, model_name):
    """nodes: a model's nodes in dependency order. Raises ValueError where a mask Keras would
    compute reaches a layer that uses it; returns the ids of the tensors that carry one."""
    from convkit.models import Model

    masked, source = set(), {}
    for node in nodes:
        layer = node.operation
        carrying = [t for t in node.input_tensors if id(t) in masked]
        name = type(layer).__name__
        if carrying:
            if name in USES_MASK or isinstance(layer, Model):
                origin = source[id(carrying[0])]
                raise ValueError(
                    f"Model '{model_name}': layer '{origin}' (Embedding with mask_zero=True) masks its output, and "
                    f"layer '{layer.name}' ({name}) would use that mask in Keras. convkit does not support masks, "
                    f"so it would give other numbers; use mask_zero=False, or mask the inputs yourself.")
            if name in PASSES_MASK:
                for t in node.output_tensors:
                    masked.add(id(t))
                    source[id(t)] = source[id(carrying[0])]
        if _makes_mask(layer):
            for t in node.output_tensors:
                masked.add(id(t))
                source[id(t)] = layer.name
        if isinstance(layer, Model) and getattr(layer, "_masked_outputs", None):
            for i, t in enumerate(node.output_tensors):
                if i in layer._masked_outputs:
                    masked.add(id(t))
                    source[id(t)] = layer._masked_outputs[i]
    return masked, source
