"""Resizing and CenterCrop against Keras 3 (torch backend): numbers, configs and saved models."""
import itertools

import numpy as np
import pytest

import convkit
from convkit import layers as L
from convkit.layers import preprocessing

SIZES = [  # (H, W) -> (height, width): up, down, mixed, primes, size 1, unchanged
    ((5, 7), (3, 4)), ((7, 5), (13, 11)), ((1, 1), (3, 2)), ((8, 9), (1, 1)), ((16, 10), (4, 17)),
    ((2, 6), (41, 100)), ((31, 29), (7, 5)), ((6, 6), (6, 6)), ((1, 9), (5, 1)),
]
MODES = {"stretch": {}, "crop": dict(crop_to_aspect_ratio=True), "pad": dict(pad_to_aspect_ratio=True, fill_value=0.5)}


def _images(rng, shape, data_format):
    """A batch (N, H, W, C) in the given data format."""
    x = rng.standard_normal(shape).astype(np.float32)
    return np.ascontiguousarray(np.moveaxis(x, -1, 1)) if data_format == "channels_first" else x


def _keras_call(keras, layer, x):
    return keras.ops.convert_to_numpy(layer(x))


@pytest.mark.parametrize("interpolation, antialias", [("bilinear", False), ("bilinear", True), ("nearest", False),
                                                      ("bicubic", False), ("bicubic", True)])
@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resizing_matches_keras(keras, assert_parity, rng, interpolation, antialias, mode, data_format):
    for ((h, w), size), channels in itertools.product(SIZES, (1, 4)):
        kwargs = dict(interpolation=interpolation, antialias=antialias, data_format=data_format, **MODES[mode])
        x = _images(rng, (2, h, w, channels), data_format)
        for images in (x, x[1]):  # a batch, and one image
            want = _keras_call(keras, keras.layers.Resizing(*size, **kwargs), images)
            try:
                got = L.Resizing(*size, **kwargs)(images)
            except NotImplementedError:  # see test_antialias_to_width_1_is_refused
                assert antialias and size[1] == 1 and size[0] > 1
                continue
            assert_parity(got, want, tol=2e-5)
            if interpolation == "nearest":  # a copy of input cells: exactly Keras's
                np.testing.assert_array_equal(got, want)


# Sizes where an output centre falls exactly on a boundary between two input cells (2 -> 41:
# centre 20.5 * 2 / 41 = 1): torch's two nearest kernels round it to different cells, and which
# kernel runs depends on the output size, the channel count and the tensor's memory layout.
TIES = [((2, 2), (41, 100)), ((4, 2), (82, 47)), ((2, 2), (41, 41)), ((2, 12), (41, 246)), ((6, 2), (123, 10))]


def test_the_tie_sizes_are_ties():
    for (h, w), (oh, ow) in TIES:
        assert (preprocessing._nearest_indices(h, oh, True) != preprocessing._nearest_indices(h, oh, False)).any()


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_nearest_breaks_ties_as_torchs_kernel_for_the_case(keras, rng, mode, data_format):
    for ((h, w), size), channels, batch in itertools.product(TIES, (1, 3, 4, 5), (1, 2)):
        kwargs = dict(interpolation="nearest", data_format=data_format, **MODES[mode])
        x = _images(rng, (batch, h, w, channels), data_format)
        for images in (x, x[0]):
            want = _keras_call(keras, keras.layers.Resizing(*size, **kwargs), images)
            np.testing.assert_array_equal(L.Resizing(*size, **kwargs)(images), want)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_antialias_to_width_1_is_refused(keras, rng, interpolation):
    # torch's antialiased kernel writes the first output row into every row here (channels_first,
    # one channel, or padded images), so Keras's numbers are not a resize: convkit refuses the case.
    x = _images(rng, (2, 9, 6, 3), "channels_first")
    kwargs = dict(interpolation=interpolation, antialias=True, data_format="channels_first")
    want = _keras_call(keras, keras.layers.Resizing(5, 1, **kwargs), x)
    np.testing.assert_array_equal(want, np.broadcast_to(want[:, :, :1], want.shape))
    with pytest.raises(NotImplementedError, match="antialias=False"):
        L.Resizing(5, 1, **kwargs)(x)
    # one output row, or one input row, or an unchanged height: nothing to get wrong
    for height, shape in [(1, (2, 3, 9, 6)), (5, (2, 3, 1, 6)), (9, (2, 3, 9, 6))]:
        images = _images(rng, shape, "channels_last").reshape(shape)
        want = _keras_call(keras, keras.layers.Resizing(height, 1, **kwargs), images)
        np.testing.assert_allclose(L.Resizing(height, 1, **kwargs)(images), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_center_crop_matches_keras(keras, assert_parity, rng, data_format):
    cases = [((7, 9), (3, 4)), ((8, 8), (5, 8)), ((7, 9), (7, 9)), ((4, 9), (6, 4)), ((5, 5), (8, 9)),
             ((3, 10), (5, 2)), ((1, 1), (2, 3)), ((6, 13), (1, 1)), ((11, 4), (11, 5))]
    for (h, w), size in cases:
        x = _images(rng, (2, h, w, 3), data_format)
        for images in (x, x[0]):
            want = _keras_call(keras, keras.layers.CenterCrop(*size, data_format=data_format), images)
            assert_parity(L.CenterCrop(*size, data_format=data_format)(images), want, tol=2e-5)


@pytest.mark.parametrize("dtype, low, high", [("uint8", 0, 255), ("int8", -60, 60), ("int16", -9000, 9000),
                                              ("int32", -10 ** 6, 10 ** 6), ("uint16", 0, 65535)])
@pytest.mark.parametrize("interpolation, antialias", [("bilinear", False), ("bilinear", True), ("nearest", False),
                                                      ("bicubic", False), ("bicubic", True)])
def test_integer_images_match_keras(keras, assert_parity, rng, dtype, low, high, interpolation, antialias):
    # values well inside the type (but for uint8, whose bicubic results torch clips) and uint16's
    # full range (torch resizes uint16 as int32, so its bicubic results may leave [0, 65535])
    x = rng.integers(low, high + 1, (2, 7, 9, 3)).astype(dtype)
    layer_args = dict(interpolation=interpolation, antialias=antialias)
    want = _keras_call(keras, keras.layers.Resizing(5, 13, **layer_args), x)
    assert want.dtype.kind in "iu"
    got = L.Resizing(5, 13, **layer_args)(x)
    # float32 results agree to a few ulps: exact after rounding for small values, within 1 for large ones
    np.testing.assert_allclose(got, want, rtol=0, atol=0 if high <= 9000 else 1)
    crop_want = _keras_call(keras, keras.layers.CenterCrop(9, 4), x)  # float32, not rounded
    assert crop_want.dtype == np.float32
    assert_parity(L.CenterCrop(9, 4)(x), crop_want, tol=1e-6)


def test_bool_images(keras, rng):
    x = rng.random((2, 5, 7, 2)) < 0.3
    want = _keras_call(keras, keras.layers.Resizing(9, 4, interpolation="nearest"), x)
    assert want.dtype == np.bool_
    np.testing.assert_array_equal(L.Resizing(9, 4, interpolation="nearest")(x), want.astype(np.float32))
    with pytest.raises(ValueError, match="nearest"):
        L.Resizing(9, 4)(x)
    np.testing.assert_allclose(L.CenterCrop(9, 4)(x), _keras_call(keras, keras.layers.CenterCrop(9, 4), x),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_integer_overflow_that_torch_wraps_around_is_refused(keras, dtype):
    info = np.iinfo(dtype)
    edge = np.full((1, 4, 4, 1), info.min, dtype)
    edge[:, :, 2:] = info.max  # bicubic overshoots both ends of this step
    want = _keras_call(keras, keras.layers.Resizing(4, 9, interpolation="bicubic"), edge)
    overshoot = _keras_call(keras, keras.layers.Resizing(4, 9, interpolation="bicubic"), edge.astype(np.float32))
    wrapped = np.round(overshoot).astype(np.int64)
    wrapped = (wrapped - info.min) % (int(info.max) - info.min + 1) + info.min
    np.testing.assert_array_equal(want, wrapped)  # what Keras returns: not a resize
    with pytest.raises(ValueError, match="wraps them around"):
        L.Resizing(4, 9, interpolation="bicubic")(edge)


@pytest.mark.parametrize("name, kwargs", [
    ("Resizing", dict(height=4, width=5)),
    ("Resizing", dict(height=4, width=5, interpolation="bicubic", crop_to_aspect_ratio=True, antialias=True,
                      data_format="channels_first", bounding_box_format="xyxy")),
    ("Resizing", dict(height=4, width=5, pad_to_aspect_ratio=True, fill_value=1.5, activity_regularizer="l2")),
    ("CenterCrop", dict(height=4, width=5)),
    ("CenterCrop", dict(height=4, width=5, data_format="channels_first", bounding_box_format="yxyx")),
])
def test_configs_match_keras_and_load_both_ways(keras, name, kwargs):
    keras_layer = getattr(keras.layers, name)(**kwargs)
    layer = getattr(L, name)(**kwargs)
    keras_config, config = keras_layer.get_config(), layer.get_config()
    assert set(config) == set(keras_config)
    for key in set(config) - {"name", "dtype", "activity_regularizer"}:
        assert config[key] == keras_config[key], key
    x = np.random.default_rng(1).standard_normal((2, 6, 7, 3)).astype(np.float32)
    from_keras = getattr(L, name).from_config(keras_config)
    np.testing.assert_array_equal(from_keras(x), layer(x))
    getattr(keras.layers, name).from_config(config)  # and convkit's config builds in Keras


def _resize_then_convolve(keras):
    return keras.Sequential([
        keras.Input((20, 14, 3)),
        keras.layers.Resizing(12, 16),
        keras.layers.Rescaling(1.0 / 255),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
    ])


def _crop_then_resize(keras):
    return keras.Sequential([
        keras.Input((3, 11, 9)),
        keras.layers.CenterCrop(8, 8, data_format="channels_first"),
        keras.layers.Resizing(5, 7, interpolation="bicubic", antialias=True, pad_to_aspect_ratio=True,
                              data_format="channels_first"),
        keras.layers.Rescaling(1.0 / 127.5, offset=-1.0),
        keras.layers.Conv2D(2, 3, data_format="channels_first"),
    ])


@pytest.mark.parametrize("build", [_resize_then_convolve, _crop_then_resize])
def test_saved_keras_model_loads_and_predicts_kerass_numbers(keras, tmp_path, build):
    pytest.importorskip("h5py")
    kmodel = build(keras)
    rng = np.random.default_rng(3)
    kmodel.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.3 for w in kmodel.get_weights()])
    path = tmp_path / "model.keras"
    kmodel.save(path)
    model = convkit.models.load_model(path)
    x = rng.uniform(0, 255, (3,) + tuple(kmodel.inputs[0].shape[1:])).astype(np.float32)
    want = keras.ops.convert_to_numpy(kmodel(x))
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(want).max())))
    assert [type(layer).__name__ for layer in model.layers] == [type(layer).__name__ for layer in kmodel.layers]
