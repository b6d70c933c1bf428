"""Small helpers shared by the layer tests (not a test module)."""
import numpy as np

import reference as ref


def random_weights(layer, rng, scale=0.5):
    """Give `layer` (already built) random weights of its own shapes; return them (float32)."""
    weights = [(rng.standard_normal(w.shape) * scale).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def to_last(x, data_format):
    """An array in `data_format` -> channels_last (for the oracles)."""
    return ref.to_channels_last(x) if data_format == "channels_first" else np.asarray(x)


def to_format(y, data_format):
    """A channels_last oracle result -> `data_format`."""
    return ref.to_channels_first(y) if data_format == "channels_first" else y


def input_shape(batch, spatial, channels, data_format):
    if data_format == "channels_first":
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def shapes(arrays):
    return [tuple(a.shape) for a in arrays]
