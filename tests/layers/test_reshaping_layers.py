"""ZeroPadding, Cropping, UpSampling, Flatten and Reshape against NumPy."""
import numpy as np
import pytest

import reference as ref
from layer_helpers import input_shape, to_format, to_last

from convkit.layers import (Cropping1D, Cropping2D, Cropping3D, Flatten, Reshape, UpSampling1D,
                            UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                            ZeroPadding3D)

SPATIAL = {1: (7,), 2: (6, 5), 3: (4, 5, 3)}


def _check(layer, x, expected, assert_close):
    y = layer(x)
    assert_close(y, expected)
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + y.shape[1:]
    assert layer.get_weights() == [] and layer.count_params() == 0


# ---------------------------------------------------------------- zero padding

@pytest.mark.parametrize("rank, padding, fmt", [
    (1, 1, "channels_last"),
    (1, (2, 0), "channels_last"),
    (1, (0, 3), "channels_first"),
    (2, 1, "channels_last"),
    (2, (1, 2), "channels_first"),
    (2, ((0, 2), (3, 1)), "channels_last"),
    (2, ((2, 1), (0, 0)), "channels_first"),
    (3, 1, "channels_last"),
    (3, (1, 0, 2), "channels_first"),
    (3, ((1, 0), (0, 2), (1, 1)), "channels_last"),
])
def test_zero_padding(rank, padding, fmt, rng, assert_close):
    cls = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}[rank]
    layer = cls(padding, data_format=fmt)
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    _check(layer, x, to_format(ref.zero_pad(to_last(x, fmt), padding), fmt), assert_close)


def test_zero_padding_defaults(rng, assert_close):
    x = rng.standard_normal((1, 4, 5, 2)).astype(np.float32)
    assert_close(ZeroPadding2D()(x), ref.zero_pad(x, 1))
    x1 = rng.standard_normal((1, 4, 2)).astype(np.float32)
    assert_close(ZeroPadding1D()(x1), ref.zero_pad(x1, 1))


# ---------------------------------------------------------------- cropping

@pytest.mark.parametrize("rank, cropping, fmt", [
    (1, (1, 1), None),
    (1, (0, 3), None),
    (1, 2, None),
    (2, ((1, 0), (2, 1)), "channels_last"),
    (2, (1, 2), "channels_first"),
    (2, 1, "channels_last"),
    (3, ((1, 0), (0, 2), (1, 1)), "channels_last"),
    (3, (1, 1, 0), "channels_first"),
])
def test_cropping(rank, cropping, fmt, rng, assert_close):
    cls = {1: Cropping1D, 2: Cropping2D, 3: Cropping3D}[rank]
    layer = cls(cropping) if rank == 1 else cls(cropping, data_format=fmt)
    fmt = fmt or "channels_last"
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    _check(layer, x, to_format(ref.crop(to_last(x, fmt), cropping), fmt), assert_close)


def test_cropping_everything_raises():
    with pytest.raises(ValueError, match="cropping"):
        Cropping1D((3, 4))(np.zeros((1, 7, 2), np.float32))
    with pytest.raises(ValueError, match="cropping"):
        Cropping2D(((2, 2), (0, 0)))(np.zeros((1, 4, 4, 2), np.float32))


# ---------------------------------------------------------------- upsampling

@pytest.mark.parametrize("rank, size, fmt, interpolation", [
    (1, 2, None, "nearest"),
    (1, 3, None, "nearest"),
    (2, 2, "channels_last", "nearest"),
    (2, (2, 3), "channels_first", "nearest"),
    (2, 2, "channels_last", "bilinear"),
    (2, (3, 2), "channels_first", "bilinear"),
    (2, (1, 4), "channels_last", "bilinear"),
    (3, 2, "channels_last", "nearest"),
    (3, (1, 2, 3), "channels_first", "nearest"),
])
def test_upsampling(rank, size, fmt, interpolation, rng, assert_close):
    if rank == 1:
        layer = UpSampling1D(size)
    elif rank == 2:
        layer = UpSampling2D(size, data_format=fmt, interpolation=interpolation)
    else:
        layer = UpSampling3D(size, data_format=fmt)
    fmt = fmt or "channels_last"
    x = rng.standard_normal(input_shape(2, SPATIAL[rank], 3, fmt)).astype(np.float32)
    expected = ref.upsample(to_last(x, fmt), size, interpolation)
    _check(layer, x, to_format(expected, fmt), assert_close)


def test_upsampling_defaults(rng, assert_close):
    x = rng.standard_normal((1, 3, 4, 2)).astype(np.float32)
    assert_close(UpSampling2D()(x), ref.upsample_nearest(x, 2))
    x3 = rng.standard_normal((1, 2, 3, 2, 1)).astype(np.float32)
    assert_close(UpSampling3D()(x3), ref.upsample_nearest(x3, 2))


def test_upsampling_bad_interpolation():
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="cubic_spline_of_doom")(np.zeros((1, 2, 2, 1), np.float32))


def test_upsampling_bad_size():
    with pytest.raises((ValueError, TypeError), match="size"):
        UpSampling1D(0)
    with pytest.raises((ValueError, TypeError), match="size"):
        UpSampling2D((2, 0))


# ---------------------------------------------------------------- flatten / reshape

def test_flatten(rng, assert_close):
    x = rng.standard_normal((3, 4, 5, 2)).astype(np.float32)
    _check(Flatten(), x, x.reshape(3, -1), assert_close)
    x2 = rng.standard_normal((3, 7)).astype(np.float32)
    assert_close(Flatten()(x2), x2)
    x1 = rng.standard_normal((4,)).astype(np.float32)
    assert_close(Flatten()(x1), x1.reshape(4, 1))


def test_flatten_channels_first_orders_like_channels_last(rng, assert_close):
    """Keras: Flatten(data_format='channels_first') moves channels last before flattening."""
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    assert_close(Flatten(data_format="channels_first")(x), np.moveaxis(x, 1, -1).reshape(2, -1))


def test_flatten_output_shape():
    assert tuple(Flatten().compute_output_shape((None, 64, 32, 32))) == (None, 65536)


@pytest.mark.parametrize("target", [(6, 4), (-1, 4), (2, 3, 4), (24,), (4, -1, 2)])
def test_reshape(target, rng, assert_close):
    x = rng.standard_normal((3, 2, 12)).astype(np.float32)
    layer = Reshape(target)
    expected = x.reshape((3,) + tuple(target))
    _check(layer, x, expected, assert_close)


def test_reshape_output_shape_infers_minus_one():
    assert tuple(Reshape((-1, 4)).compute_output_shape((None, 3, 8))) == (None, 6, 4)


def test_reshape_incompatible_raises():
    with pytest.raises(ValueError, match="(?i)target_shape|reshape|size"):
        Reshape((5, 5))(np.zeros((2, 3, 8), np.float32))
    with pytest.raises(ValueError):
        Reshape((-1, 5))(np.zeros((2, 3, 8), np.float32))
    with pytest.raises(ValueError):
        Reshape((-1, 5)).compute_output_shape((None, 3, 8))
