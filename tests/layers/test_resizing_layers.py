"""Resizing and CenterCrop against slow float64 oracles written from the rules of Keras's torch
backend (torch.nn.functional.interpolate, align_corners=False); Keras itself is compared in
tests/keras_parity/test_keras_resizing.py."""
from fractions import Fraction

import numpy as np
import pytest

import convkit
from convkit import layers as L

SIZE_PAIRS = [  # (in, out) along one axis: up, down, primes, 1, unchanged
    (5, 7), (7, 5), (4, 9), (13, 3), (11, 17), (1, 4), (6, 1), (1, 1), (8, 8), (31, 7), (3, 12),
]


def _matrix_resize(x, rows, cols):
    """x (N, H, W, C) float64 with per-axis weight matrices rows (OH, H) and cols (OW, W)."""
    return np.einsum("oh,nhwc,pw->nopc", rows, x.astype(np.float64), cols)


def _bilinear_matrix(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)  # half-pixel centre, clamped at 0
        i0 = min(int(src), n_in - 1)
        frac = src - i0
        m[o, i0] += 1.0 - frac
        m[o, min(i0 + 1, n_in - 1)] += frac
    return m


def _keys(t, a):
    t = abs(t)
    if t < 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    if t < 2:
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return 0.0


def _bicubic_matrix(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = (o + 0.5) * n_in / n_out - 0.5  # not clamped: the taps are
        base = int(np.floor(src))
        for k in range(-1, 3):
            m[o, min(max(base + k, 0), n_in - 1)] += _keys(src - (base + k), -0.75)
    return m


def _antialias_matrix(n_in, n_out, interpolation):
    """PIL's resampling: the filter stretched by in/out when shrinking, normalised over the
    pixels inside the image."""
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        centre = (o + 0.5) * scale
        for j in range(n_in):
            d = (j + 0.5 - centre) / stretch
            m[o, j] = max(1.0 - abs(d), 0.0) if interpolation == "bilinear" else _keys(d, -0.5)
        m[o] /= m[o].sum()
    return m


def _nearest_index(o, n_in, n_out):
    return min(int(Fraction(2 * o + 1, 2) * Fraction(n_in, n_out)), n_in - 1)  # floor((o + 1/2) * in / out)


def _close(got, want, tol=2e-5):
    assert got.dtype == np.float32 and got.shape == want.shape and got.flags.c_contiguous
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, float(np.abs(want).max())))


@pytest.mark.parametrize("h_pair", SIZE_PAIRS)
@pytest.mark.parametrize("w_pair", [(5, 7), (9, 4), (1, 3), (6, 6)])
def test_bilinear_matches_the_half_pixel_oracle(h_pair, w_pair, rng):
    (h, oh), (w, ow) = h_pair, w_pair
    x = rng.standard_normal((2, h, w, 3)).astype(np.float32)
    want = _matrix_resize(x, _bilinear_matrix(h, oh), _bilinear_matrix(w, ow))
    _close(L.Resizing(oh, ow)(x), want)
    # downscaling samples two cells (no averaging) unless antialias=True; enlarging is the same either way
    if oh >= h and ow >= w:
        _close(L.Resizing(oh, ow, antialias=True)(x), want)


@pytest.mark.parametrize("h_pair", SIZE_PAIRS)
def test_bicubic_matches_keys_oracle_with_clamped_taps(h_pair, rng):
    h, oh = h_pair
    x = rng.standard_normal((2, h, 6, 2)).astype(np.float32)
    want = _matrix_resize(x, _bicubic_matrix(h, oh), _bicubic_matrix(6, 10))
    _close(L.Resizing(oh, 10, interpolation="bicubic")(x), want)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
@pytest.mark.parametrize("h_pair", SIZE_PAIRS)
def test_antialias_matches_the_normalised_filter_oracle(interpolation, h_pair, rng):
    h, oh = h_pair
    x = rng.standard_normal((2, h, 9, 2)).astype(np.float32)
    rows = np.eye(h) if h == oh else _antialias_matrix(h, oh, interpolation)  # an unchanged axis is copied
    want = _matrix_resize(x, rows, _antialias_matrix(9, 4, interpolation))
    _close(L.Resizing(oh, 4, interpolation=interpolation, antialias=True)(x), want)


@pytest.mark.parametrize("h_pair", SIZE_PAIRS)
def test_nearest_picks_the_cell_under_each_output_centre(h_pair, rng):
    (h, oh), (w, ow) = h_pair, (5, 12)
    x = rng.standard_normal((2, h, w, 3)).astype(np.float32)
    rows = [_nearest_index(o, h, oh) for o in range(oh)]
    cols = [_nearest_index(o, w, ow) for o in range(ow)]
    got = L.Resizing(oh, ow, interpolation="nearest", antialias=True)(x)  # antialias is ignored for nearest
    np.testing.assert_array_equal(got, x[:, rows][:, :, cols])


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_unchanged_size_is_a_copy(interpolation, rng):
    x = rng.standard_normal((2, 5, 7, 3)).astype(np.float32)
    y = L.Resizing(5, 7, interpolation=interpolation, antialias=True)(x)
    np.testing.assert_array_equal(y, x)
    assert not np.shares_memory(x, y)


@pytest.mark.parametrize("shape, size, window", [
    ((2, 6, 10, 3), (4, 4), (slice(0, 6), slice(2, 8))),   # wide input, square target
    ((2, 9, 4, 2), (3, 5), (slice(3, 5), slice(0, 4))),    # tall input, wide target: 2 rows from row 3
    ((1, 7, 7, 1), (2, 9), (slice(3, 4), slice(0, 7))),    # at least one row
    ((2, 5, 8, 3), (5, 8), (slice(0, 5), slice(0, 8))),    # same aspect ratio: nothing cropped
])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_crop_to_aspect_ratio_resizes_the_centred_window(shape, size, window, interpolation, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    got = L.Resizing(*size, interpolation=interpolation, crop_to_aspect_ratio=True)(x)
    want = L.Resizing(*size, interpolation=interpolation)(x[:, window[0], window[1]])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape, size, bands", [
    ((2, 6, 10, 3), (4, 4), (2, 0)),   # wide input into a square: 2 rows on each side
    ((2, 9, 4, 2), (3, 5), (0, 5)),    # tall input into a wide target: 5 columns on each side
    ((1, 5, 8, 1), (5, 8), (0, 0)),    # same aspect ratio: nothing added
    ((1, 3, 4, 2), (2, 5), (0, 1)),    # int(3 * 5 / 2) - 4 = 3 columns: int(3 / 2) = 1 on each side
])
def test_pad_to_aspect_ratio_adds_equal_bands_of_fill_value(shape, size, bands, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    rows, cols = bands
    padded = np.pad(x, ((0, 0), (rows, rows), (cols, cols), (0, 0)), constant_values=-2.5)
    for interpolation in ("bilinear", "nearest"):
        got = L.Resizing(*size, interpolation=interpolation, pad_to_aspect_ratio=True, fill_value=-2.5)(x)
        np.testing.assert_array_equal(got, L.Resizing(*size, interpolation=interpolation)(padded))


@pytest.mark.parametrize("make", [
    lambda df: L.Resizing(4, 9, data_format=df),
    lambda df: L.Resizing(11, 3, interpolation="nearest", data_format=df),
    lambda df: L.Resizing(3, 5, interpolation="bicubic", antialias=True, crop_to_aspect_ratio=True, data_format=df),
    lambda df: L.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=1.0, data_format=df),
    lambda df: L.CenterCrop(3, 4, data_format=df),
    lambda df: L.CenterCrop(9, 4, data_format=df),
])
def test_channels_first_and_unbatched_inputs_match_channels_last(make, rng):
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    want = make("channels_last")(x)
    channels_first = make("channels_first")
    np.testing.assert_array_equal(channels_first(np.moveaxis(x, -1, 1)), np.moveaxis(want, -1, 1))
    np.testing.assert_array_equal(make("channels_last")(x[1]), want[1])
    got = channels_first(np.ascontiguousarray(np.moveaxis(x[0], -1, 0)))
    np.testing.assert_array_equal(got, np.moveaxis(want[0], -1, 0))
    assert got.flags.c_contiguous and got.dtype == np.float32


@pytest.mark.parametrize("shape, size, corner", [
    ((2, 7, 9, 3), (3, 4), (2, 2)),   # odd - odd and odd - even offsets round down
    ((1, 8, 8, 2), (5, 8), (1, 0)),
    ((2, 5, 6, 1), (5, 6), (0, 0)),
    ((1, 4, 9, 3), (1, 1), (1, 4)),
])
def test_center_crop_takes_the_central_window(shape, size, corner, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    y = L.CenterCrop(*size)(x)
    top, left = corner
    np.testing.assert_array_equal(y, x[:, top:top + size[0], left:left + size[1]])
    assert y.flags.c_contiguous and not np.shares_memory(x, y)


@pytest.mark.parametrize("shape, size", [((2, 4, 9, 3), (6, 4)), ((2, 5, 5, 2), (8, 9)), ((1, 3, 10, 1), (5, 2)),
                                         ((1, 1, 1, 2), (2, 3))])
def test_center_crop_smaller_than_target_crops_to_its_aspect_ratio_then_resizes(shape, size, rng):
    # Keras's fallback (keras.utils.smart_resize) when either side is smaller than the target
    x = rng.standard_normal(shape).astype(np.float32)
    want = L.Resizing(*size, crop_to_aspect_ratio=True)(x)
    np.testing.assert_array_equal(L.CenterCrop(*size)(x), want)
    assert want.shape == (shape[0],) + size + (shape[-1],)


def test_integer_images_come_back_rounded_and_clipped(rng):
    x = rng.integers(0, 256, (2, 5, 7, 3)).astype(np.uint8)
    as_float = L.Resizing(4, 9)(x.astype(np.float32))
    got = L.Resizing(4, 9)(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.round(as_float))
    assert not np.array_equal(as_float, np.round(as_float))  # the rounding did something here
    # bicubic overshoots the input's range: uint8 results are clipped to [0, 255]
    edge = np.zeros((1, 4, 4, 1), np.uint8)
    edge[:, :, 2:] = 255
    cubic = L.Resizing(4, 9, interpolation="bicubic")
    assert cubic(edge.astype(np.float32)).max() > 255 and cubic(edge.astype(np.float32)).min() < 0
    clipped = cubic(edge)
    assert clipped.max() == 255 and clipped.min() == 0
    # other integer types: torch wraps the overshoot around, so convkit refuses
    with pytest.raises(ValueError, match="int8"):
        cubic(np.where(edge > 0, 127, -128).astype(np.int8))
    np.testing.assert_array_equal(cubic(edge.astype(np.int16)), np.round(cubic(edge.astype(np.float32))))
    # CenterCrop casts to float32 without rounding, as Keras's does
    np.testing.assert_array_equal(L.CenterCrop(6, 4)(x), L.CenterCrop(6, 4)(x.astype(np.float32)))


@pytest.mark.parametrize("make", [lambda: L.Resizing(4, 9, interpolation="bicubic"), lambda: L.CenterCrop(3, 4),
                                  lambda: L.Resizing(3, 3, pad_to_aspect_ratio=True, antialias=True)])
def test_inputs_are_never_modified_and_any_array_like_is_accepted(make, rng):
    x = rng.standard_normal((2, 6, 7, 3))
    before = x.copy()
    want = make()(x.astype(np.float32))
    for variant in (x, x.tolist(), np.asfortranarray(x)):
        np.testing.assert_array_equal(make()(variant), want)
    strided = np.zeros((2, 12, 7, 3))
    strided[:, ::2] = x
    np.testing.assert_array_equal(make()(strided[:, ::2]), want)
    np.testing.assert_array_equal(x, before)
    ints = rng.integers(0, 255, (1, 6, 7, 3))
    ints_before = ints.copy()
    make()(ints)
    np.testing.assert_array_equal(ints, ints_before)


@pytest.mark.parametrize("make", [lambda: L.Resizing(3, 4, interpolation="bicubic"),
                                  lambda: L.Resizing(3, 4, antialias=True),
                                  lambda: L.Resizing(3, 4, interpolation="bicubic", antialias=True)])
def test_a_nan_reaches_only_the_outputs_whose_taps_read_it(make):
    x = np.ones((1, 12, 16, 1), np.float32)
    x[0, 0, 0, 0] = np.nan
    indicator = np.zeros_like(x)
    indicator[0, 0, 0, 0] = 1.0
    reads = make()(indicator) != 0
    y = make()(x)
    assert reads.any() and not reads.all()
    np.testing.assert_array_equal(np.isnan(y), reads)
    np.testing.assert_allclose(y[~reads], 1.0, rtol=1e-6)


def test_empty_batch_gives_an_empty_result():
    assert L.Resizing(3, 4)(np.zeros((0, 5, 6, 2), np.float32)).shape == (0, 3, 4, 2)
    assert L.Resizing(3, 4, data_format="channels_first")(np.zeros((0, 2, 5, 6))).shape == (0, 2, 3, 4)
    assert L.CenterCrop(8, 4)(np.zeros((0, 5, 6, 2))).shape == (0, 8, 4, 2)


def test_config_round_trip():
    layer = L.Resizing(5, 7, interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=2.5, antialias=1,
                       data_format="channels_first", name="resize")
    config = layer.get_config()
    assert {k: config[k] for k in ("height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
                                   "fill_mode", "fill_value", "antialias", "data_format")} == dict(
        height=5, width=7, interpolation="bicubic", crop_to_aspect_ratio=False, pad_to_aspect_ratio=True,
        fill_mode="constant", fill_value=2.5, antialias=True, data_format="channels_first")
    assert "bounding_box_format" not in config
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 9)).astype(np.float32)
    again = L.Resizing.from_config(config)
    np.testing.assert_array_equal(again(x), layer(x))
    assert again.get_config() == config
    crop = L.CenterCrop(2, 3, bounding_box_format="xyxy")
    crop_config = crop.get_config()
    assert crop_config["bounding_box_format"] == "xyxy" and crop_config["data_format"] == "channels_last"
    assert L.CenterCrop.from_config(crop_config).get_config() == crop_config
    assert L.get("Resizing") is L.Resizing and L.get("CenterCrop") is L.CenterCrop
    restored = L.deserialize(L.serialize(layer))
    np.testing.assert_array_equal(restored(x), layer(x))


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(height=0, width=3), ValueError, "height"),
    (dict(height=3, width=-1), ValueError, "width"),
    (dict(height=2.5, width=3), ValueError, "height"),
    (dict(height=True, width=3), ValueError, "height"),
    (dict(height="4", width=3), ValueError, "height"),
    (dict(height=3, width=3, interpolation="lanczos3"), ValueError, "Lanczos"),
    (dict(height=3, width=3, interpolation="lanczos5"), ValueError, "bicubic"),
    (dict(height=3, width=3, interpolation="area"), ValueError, "interpolation"),
    (dict(height=3, width=3, interpolation="Bilinear"), ValueError, "interpolation"),
    (dict(height=3, width=3, fill_mode="reflect"), ValueError, "fill_mode"),
    (dict(height=3, width=3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ValueError, "pad_to_aspect_ratio"),
    (dict(height=3, width=3, fill_value=None), TypeError, "fill_value"),
    (dict(height=3, width=3, data_format="NHWC"), ValueError, "data_format"),
    (dict(height=3, width=3, factor=0.5), ValueError, "factor"),
])
def test_bad_resizing_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        L.Resizing(**kwargs)


@pytest.mark.parametrize("kwargs, words", [(dict(height=0, width=3), "height"), (dict(height=3, width=None), "width"),
                                           (dict(height=3, width=3, data_format="NCHW"), "data_format")])
def test_bad_center_crop_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        L.CenterCrop(**kwargs)


@pytest.mark.parametrize("make", [lambda: L.Resizing(3, 3), lambda: L.CenterCrop(2, 2)])
def test_inputs_must_be_one_image_or_a_batch(make):
    for shape in [(4, 4), (1, 2, 4, 4, 3)]:
        with pytest.raises(ValueError, match="rank 3"):
            make()(np.zeros(shape, np.float32))
        with pytest.raises(ValueError, match="size 3"):
            make().compute_output_shape(shape)
    with pytest.raises(TypeError, match="numeric"):
        make()(np.array([["a"]]))
    with pytest.raises(ValueError, match="empty spatial"):
        L.Resizing(3, 3)(np.zeros((1, 0, 4, 2), np.float32))


def test_output_shapes_in_a_model(rng):
    assert L.Resizing(5, 6).compute_output_shape((None, 9, 9, 3)) == (None, 5, 6, 3)
    assert L.Resizing(5, 6, data_format="channels_first").compute_output_shape((3, 9, 9)) == (3, 5, 6)
    assert L.CenterCrop(5, 6).compute_output_shape((9, None, 2)) == (5, 6, 2)
    model = convkit.Sequential([convkit.Input((10, 12, 3)), L.CenterCrop(8, 8), L.Resizing(5, 4),
                                L.Resizing(7, 9, interpolation="nearest")])
    assert model.output_shape == (None, 7, 9, 3)
    x = rng.standard_normal((2, 10, 12, 3)).astype(np.float32)
    want = L.Resizing(7, 9, interpolation="nearest")(L.Resizing(5, 4)(L.CenterCrop(8, 8)(x)))
    np.testing.assert_array_equal(model.predict(x, verbose=0), want)
