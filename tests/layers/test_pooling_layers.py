"""Pooling layers against the NumPy oracles, in both data formats."""
import numpy as np
import pytest

import reference as ref
from layer_helpers import input_shape, to_format, to_last

from convkit import layers
from convkit.layers import (AveragePooling1D, AveragePooling2D, AveragePooling3D,
                            GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                            GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
                            MaxPooling1D, MaxPooling2D, MaxPooling3D)

MAX = {1: MaxPooling1D, 2: MaxPooling2D, 3: MaxPooling3D}
AVG = {1: AveragePooling1D, 2: AveragePooling2D, 3: AveragePooling3D}
GMAX = {1: GlobalMaxPooling1D, 2: GlobalMaxPooling2D, 3: GlobalMaxPooling3D}
GAVG = {1: GlobalAveragePooling1D, 2: GlobalAveragePooling2D, 3: GlobalAveragePooling3D}
SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("rank, fmt, pool, strides, padding", [
    (1, "channels_last", 2, None, "valid"),
    (1, "channels_first", 3, 2, "same"),
    (1, "channels_last", 4, 1, "same"),
    (2, "channels_last", 2, None, "valid"),
    (2, "channels_last", 3, 2, "same"),
    (2, "channels_first", (2, 3), (1, 2), "valid"),
    (2, "channels_first", 3, 1, "same"),
    (2, "channels_last", 2, 2, "same"),
    (3, "channels_last", 2, None, "valid"),
    (3, "channels_first", (2, 3, 2), (2, 1, 2), "same"),
])
def test_pool_matches_oracle(kind, rank, fmt, pool, strides, padding, rng, assert_close):
    cls = (MAX if kind == "max" else AVG)[rank]
    layer = cls(pool_size=pool, strides=strides, padding=padding, data_format=fmt)
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    y = layer(x)
    oracle = ref.max_pool if kind == "max" else ref.average_pool
    assert_close(y, to_format(oracle(to_last(x, fmt), pool, strides, padding), fmt))
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + y.shape[1:]
    assert layer.get_weights() == [] and layer.count_params() == 0


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_pool_defaults(rank, rng, assert_close):
    """Keras defaults: MaxPooling pool_size 2 per dim; strides = pool_size, 'valid'."""
    x = rng.standard_normal((1,) + SPATIAL[rank] + (2,)).astype(np.float32)
    assert_close(MAX[rank]()(x), ref.max_pool(x, 2))
    assert_close(AVG[rank](2)(x), ref.average_pool(x, 2))


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pool_matches_oracle(kind, rank, fmt, keepdims, rng, assert_close):
    cls = (GMAX if kind == "max" else GAVG)[rank]
    layer = cls(data_format=fmt, keepdims=keepdims)
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    oracle = ref.global_max_pool if kind == "max" else ref.global_average_pool
    expected = oracle(to_last(x, fmt), keepdims=keepdims)
    if keepdims:
        expected = to_format(expected, fmt)
    y = layer(x)
    assert_close(y, expected)
    assert tuple(layer.compute_output_shape(x.shape)) == y.shape


def test_aliases_and_module():
    assert layers.MaxPool1D is MaxPooling1D and layers.MaxPool2D is MaxPooling2D
    assert layers.MaxPool3D is MaxPooling3D
    assert layers.AvgPool1D is AveragePooling1D and layers.AvgPool2D is AveragePooling2D
    assert layers.AvgPool3D is AveragePooling3D
    from convkit.layers import pooling
    assert pooling.MaxPooling2D is MaxPooling2D
    assert pooling.GlobalAveragePooling2D is GlobalAveragePooling2D


def test_pool_output_shapes():
    assert tuple(MaxPooling2D((2, 2)).compute_output_shape((None, 7, 9, 3))) == (None, 3, 4, 3)
    assert tuple(MaxPooling2D(3, 2, "same").compute_output_shape((None, 7, 9, 3))) == (None, 4, 5, 3)
    assert tuple(AveragePooling1D(3, 1).compute_output_shape((5, 10, 2))) == (5, 8, 2)
    assert tuple(GlobalMaxPooling2D().compute_output_shape((None, 7, 9, 3))) == (None, 3)
    assert tuple(GlobalMaxPooling2D(data_format="channels_first", keepdims=True)
                 .compute_output_shape((None, 3, 7, 9))) == (None, 3, 1, 1)


@pytest.mark.parametrize("make, argument", [
    (lambda: MaxPooling2D(pool_size=0), "pool_size"),
    (lambda: MaxPooling2D(pool_size=(2, 2, 2)), "pool_size"),
    (lambda: AveragePooling2D(2, strides=0), "strides"),
    (lambda: MaxPooling2D(2, padding="full"), "padding"),
    (lambda: MaxPooling2D(2, data_format="channels_middle"), "data_format"),
])
def test_bad_pool_arguments(make, argument):
    """Rejected in the constructor, or at the latest on the first call."""
    with pytest.raises((ValueError, TypeError), match=argument):
        make()(np.zeros((1, 6, 6, 2), np.float32))


def test_pool_bigger_than_input_raises():
    with pytest.raises(ValueError):
        MaxPooling2D(5)(np.zeros((1, 3, 3, 1), np.float32))


def test_pool_wrong_rank_raises():
    with pytest.raises(ValueError):
        MaxPooling2D(2)(np.zeros((1, 4, 4), np.float32))


ADAPTIVE = {("max", 1): layers.AdaptiveMaxPooling1D, ("max", 2): layers.AdaptiveMaxPooling2D,
            ("max", 3): layers.AdaptiveMaxPooling3D, ("avg", 1): layers.AdaptiveAveragePooling1D,
            ("avg", 2): layers.AdaptiveAveragePooling2D, ("avg", 3): layers.AdaptiveAveragePooling3D}


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("rank, fmt, output_size", [
    (1, "channels_last", 4), (1, "channels_first", [11]),
    (2, "channels_last", 3), (2, "channels_first", (2, 5)), (2, "channels_last", (7, 6)),
    (3, "channels_last", (2, 3, 2)), (3, "channels_first", 1),
])
def test_adaptive_pool_layers_match_oracle(kind, rank, fmt, output_size, rng, assert_close):
    layer = ADAPTIVE[kind, rank](output_size, data_format=fmt)
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    y = layer(x)
    expected = ref.adaptive_pool(to_last(x, fmt), output_size, "max" if kind == "max" else "mean")
    assert_close(y, to_format(expected, fmt))
    assert y.shape == layer.compute_output_shape(x.shape)
    sizes = (output_size,) * rank if isinstance(output_size, int) else tuple(output_size)
    assert layer.get_config()["output_size"] == sizes
    again = type(layer).from_config(layer.get_config())
    np.testing.assert_array_equal(again(x), y)


def test_adaptive_pool_layer_arguments():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveMaxPooling3D(None)
    with pytest.raises(ValueError, match="output_size"):
        layers.AdaptiveMaxPooling1D((2, 3))
    with pytest.raises(ValueError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 0))
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveAveragePooling2D(2, data_format="NHWC")
    with pytest.raises(ValueError, match="ndim|rank"):
        layers.AdaptiveAveragePooling2D(2)(np.zeros((1, 4, 4), np.float32))
