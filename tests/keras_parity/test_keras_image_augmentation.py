"""The image preprocessing layers of convkit.layers.image_augmentation against Keras 3 (torch
backend) at inference: outputs, configs, argument errors and models Keras saved."""
import json

import numpy as np
import pytest

import convkit
from convkit import layers as L

H, W = 6, 7  # the images' size (RandomCrop's target below: at that size Keras and convkit agree)

CASES = [
    ("RandomCrop", dict(height=H, width=W, seed=3)),
    ("RandomGrayscale", {}),
    ("RandomGrayscale", dict(factor=0.2, seed=5, bounding_box_format="xyxy")),
    ("RandomHue", dict(factor=0.3)),
    ("RandomHue", dict(factor=(0.6, 0.1), value_range=(0, 1), seed=2)),
    ("RandomSaturation", dict(factor=0.5)),
    ("RandomSaturation", dict(factor=(-0.2, 0.4), value_range=(1, 0))),
    ("RandomSharpness", dict(factor=0.5)),
    ("RandomSharpness", dict(factor=(0.2, 0.9), value_range=[0, 1], seed=1)),
    ("RandomShear", {}),
    ("RandomShear", dict(x_factor=0.3, y_factor=(0.4, 0.1), interpolation="nearest", fill_mode="constant",
                         fill_value=2.0, seed=4)),
    ("RandomPerspective", {}),
    ("RandomPerspective", dict(factor=(0.2, 0.5), scale=0.4, interpolation="nearest", fill_value=1.0, seed=4)),
    ("RandomPosterization", dict(factor=4)),
    ("RandomPosterization", dict(factor=(2, 6), value_range=(0, 1))),
    ("RandomInvert", {}),
    ("RandomInvert", dict(factor=0.4, value_range=[0, 1], seed=7)),
    ("RandomGaussianBlur", {}),
    ("RandomGaussianBlur", dict(factor=(0.2, 0.8), kernel_size=(3, 5), sigma=(0.1, 0.7), value_range=(0, 1))),
    ("RandomErasing", {}),
    ("RandomErasing", dict(factor=0.5, scale=0.2, fill_value=3.0, value_range=(0, 1), seed=1)),
    ("RandomElasticTransform", {}),
    ("RandomElasticTransform", dict(factor=0.3, scale=(0.1, 0.2), interpolation="nearest", fill_mode="mirror",
                                    fill_value=1.0, value_range=(0, 1))),
    ("RandomColorJitter", {}),
    ("RandomColorJitter", dict(value_range=(0, 1), brightness_factor=0.2, contrast_factor=(0.1, 0.3),
                               saturation_factor=0.4, hue_factor=0.1, seed=3)),
    ("RandomColorDegeneration", dict(factor=0.3)),
    ("RandomColorDegeneration", dict(factor=(-0.2, 0.5), value_range=(0, 1), bounding_box_format="yxyx")),
    ("RandAugment", {}),
    ("RandAugment", dict(value_range=(0, 1), num_ops=3, factor=0.8, interpolation="nearest", seed=9)),
    ("AugMix", {}),
    ("AugMix", dict(value_range=(0, 1), num_chains=2, chain_depth=4, factor=0.5, alpha=0.5, all_ops=False,
                    interpolation="nearest", seed=1)),
    ("CutMix", {}),
    ("CutMix", dict(factor=(0.2, 0.6), seed=2)),
    ("MixUp", {}),
    ("MixUp", dict(alpha=0.5, seed=8)),
    ("Solarization", {}),
    ("Solarization", dict(addition_factor=0.3, threshold_factor=(0.7, 0.2), value_range=(1, 0), seed=3)),
    ("Equalization", {}),
    ("Equalization", dict(value_range=(0, 1), bins=64)),
    ("MaxNumBoundingBoxes", dict(max_number=5)),
    ("MaxNumBoundingBoxes", dict(max_number=3, fill_value=0, bounding_box_format="xyxy")),
    ("AutoContrast", {}),
    ("AutoContrast", dict(value_range=(0, 1))),
    ("AutoContrast", dict(value_range=(1, -1), bounding_box_format="xyxy")),
    ("ContrastLimitedAdaptiveHistogramEqualization", {}),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(value_range=(0, 1), clip_limit=2.0, tile_grid_size=(2, 3))),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(clip_limit=0.0, tile_grid_size=(4, 4))),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(value_range=(-1, 1), clip_limit=40, tile_grid_size=(1, 1))),
]
COMPUTING = {"AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization"}  # not the identity at inference
SAME_IN_TRAINING = COMPUTING | {"MaxNumBoundingBoxes"}
NAMES = sorted({name for name, _ in CASES})
MINIMAL_ARGS = {"RandomCrop": dict(height=4, width=4), "RandomHue": dict(factor=0.1),
                "RandomSaturation": dict(factor=0.1), "RandomSharpness": dict(factor=0.1),
                "RandomPosterization": dict(factor=4), "RandomColorDegeneration": dict(factor=0.1),
                "MaxNumBoundingBoxes": dict(max_number=4)}


def _case_id(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


def _images(rng, kwargs, shape=(3, H, W, 3), data_format="channels_last"):
    """Random images within the case's value range (its default (0, 255) when it has none)."""
    low, high = sorted(kwargs.get("value_range", (0, 255)))
    x = rng.uniform(low, high, shape).astype(np.float32)
    return np.ascontiguousarray(np.moveaxis(x, -1, 1)) if data_format == "channels_first" else x


def _keras_inference(keras, layer, x):
    return keras.ops.convert_to_numpy(layer(x, training=False))


def _pair(keras, name, kwargs):
    return getattr(keras.layers, name)(**kwargs), getattr(L, name)(**kwargs)


def _without_name(config):
    return {k: v for k, v in config.items() if k not in ("name", "dtype")}


def _as_json(config):
    """A config as it comes back from a file (tuples as lists), without the name and dtype."""
    return json.loads(json.dumps(_without_name(config)))


# ---- numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_inference_matches_keras(case, data_format, keras, rng, assert_parity):
    name, kwargs = case
    kwargs = dict(kwargs, data_format=data_format)
    k_layer, c_layer = _pair(keras, name, kwargs)
    x = _images(rng, kwargs, data_format=data_format)
    for images in (x, x[1]):  # a batch, and one image
        want = _keras_inference(keras, k_layer, images)
        got = c_layer(images)
        assert got.dtype == np.float32 and got.flags.c_contiguous and got.shape == images.shape
        if name in COMPUTING:
            assert_parity(got, want)
            assert not np.array_equal(got, images)  # these do change images at inference
        else:
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(got, images)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_integer_images_match_keras(case, keras, rng, assert_parity):
    # Keras returns most of them in the input's type, some as float32; convkit as float32, same values
    name, kwargs = case
    k_layer, c_layer = _pair(keras, name, kwargs)
    high = 2 if sorted(kwargs.get("value_range", (0, 255)))[1] <= 1 else 256
    x = rng.integers(0, high, (2, H, W, 3)).astype(np.uint8)
    want = _keras_inference(keras, k_layer, x).astype(np.float32)
    got = c_layer(x)
    assert got.dtype == np.float32
    assert_parity(got, want, tol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_inputs_are_not_modified_and_any_array_like_is_accepted(case, rng):
    name, kwargs = case
    layer = getattr(L, name)(**kwargs)
    x = _images(rng, kwargs)
    before = x.copy()
    y = layer(x)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(x, y)
    wide = np.asfortranarray(x.astype(np.float64))
    strided = np.ascontiguousarray(np.repeat(x, 2, axis=2))[:, :, ::2]
    assert not strided.flags.c_contiguous
    for same in (x.tolist(), wide, strided):
        np.testing.assert_array_equal(layer(same), y)
    np.testing.assert_array_equal(wide, before)


@pytest.mark.parametrize("name", NAMES)
def test_training_true_is_refused_where_keras_augments(name, keras, rng):
    layer = getattr(L, name)(**MINIMAL_ARGS.get(name, {}))
    x = _images(rng, {})
    if name in SAME_IN_TRAINING:  # Keras computes the same in training: nothing to refuse
        np.testing.assert_array_equal(layer(x, training=True), layer(x))
    else:
        with pytest.raises(ValueError, match="training=True"):
            layer(x, training=True)
        np.testing.assert_array_equal(layer(x, training=False), layer(x))


@pytest.mark.parametrize("name", NAMES)
def test_images_of_another_rank_are_refused(name, keras, rng):
    k_layer, c_layer = _pair(keras, name, MINIMAL_ARGS.get(name, {}))
    for shape in [(4, 5), (2, 2, H, W, 3)]:
        x = rng.uniform(0, 255, shape).astype(np.float32)
        with pytest.raises((ValueError, IndexError)):  # Keras's RandomCrop indexes the shape first
            k_layer(x, training=False)
        with pytest.raises(ValueError, match="rank"):
            c_layer(x)
        with pytest.raises(ValueError, match="rank"):  # and when a model is built
            getattr(L, name)(**MINIMAL_ARGS.get(name, {}))(L.Input(shape[1:]))


def test_color_degeneration_needs_three_channels_in_a_model(keras):
    for data_format, shape in [("channels_last", (5, 5, 4)), ("channels_first", (2, 5, 5))]:
        with pytest.raises(ValueError, match="3 channels"):
            keras.layers.RandomColorDegeneration(0.2, data_format=data_format)(keras.Input(shape))
        with pytest.raises(ValueError, match="3 channels"):
            L.RandomColorDegeneration(0.2, data_format=data_format)(L.Input(shape))
    assert L.RandomColorDegeneration(0.2)(L.Input((5, 5, 3))).shape == (None, 5, 5, 3)


def test_model_plans_skip_the_identity_layers():
    for name in NAMES:
        layer = getattr(L, name)(**MINIMAL_ARGS.get(name, {}))
        assert layer._passes_through() == (name not in COMPUTING | {"RandomCrop"}), name


# ---- the layers that compute at inference ---------------------------------------------------------

def test_auto_contrast_keeps_constant_and_nan_slices_as_keras(keras, rng, assert_parity):
    x = rng.uniform(0, 255, (3, 5, 6, 3)).astype(np.float32)
    x[0, :, :, 1] = 7.0  # a constant channel: 0 / 0, the input is kept
    x[1, 2, 3, 0] = np.nan  # NaN spreads over its channel's minimum: the input is kept there too
    x[2, :, :, 2] = np.linspace(3, 9, 30).reshape(5, 6)
    for kwargs in ({}, dict(value_range=(0, 1)), dict(data_format="channels_first")):
        want = _keras_inference(keras, keras.layers.AutoContrast(**kwargs), x)
        got = L.AutoContrast(**kwargs)(x)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        assert_parity(np.nan_to_num(got), np.nan_to_num(want))
    got = L.AutoContrast()(x)
    np.testing.assert_array_equal(got[0, :, :, 1], 7.0)
    np.testing.assert_allclose(got[2, :, :, 2].min(), 0.0, atol=1e-4)
    np.testing.assert_allclose(got[2, :, :, 2].max(), 255.0, rtol=1e-6)


def test_auto_contrast_reduces_over_axes_1_and_2_for_channels_first_as_keras(keras, rng):
    # Keras's minimum and maximum are over (channels, rows) of channels_first images, per column
    x = rng.uniform(0, 255, (2, 3, 4, 5)).astype(np.float32)
    got = L.AutoContrast(data_format="channels_first")(x)
    np.testing.assert_allclose(got.min(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(got.max(axis=(1, 2)), 255.0, rtol=1e-6)
    want = _keras_inference(keras, keras.layers.AutoContrast(data_format="channels_first"), x)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("grid, clip_limit", [((8, 8), 4.0), ((2, 3), 2.0), ((3, 2), 0.0), ((4, 4), 1.3),
                                              ((5, 1), 500.0), ((1, 1), 0.5)])
@pytest.mark.parametrize("size", [(7, 9), (2, 3), (16, 16), (5, 17), (1, 1)])
def test_clahe_matches_keras_on_tile_grids(size, grid, clip_limit, data_format, keras, rng, assert_parity):
    # sizes that the grid divides and does not (padded by repeating the edge), tiles of one
    # pixel, grids larger than the image, limits that clip everything, some bins or none
    kwargs = dict(tile_grid_size=grid, clip_limit=clip_limit, data_format=data_format)
    x = _images(rng, {}, (2,) + size + (3,), data_format)
    k_layer = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    c_layer = L.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    for images in (x, x[0]):
        assert_parity(c_layer(images), _keras_inference(keras, k_layer, images))


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_clahe_integer_images_are_truncated_as_keras(value_range, keras, rng):
    high = 256 if value_range[1] == 255 else 2
    x = rng.integers(0, high, (2, 9, 10, 3)).astype(np.uint8)
    kwargs = dict(tile_grid_size=(3, 4), value_range=value_range)
    want = _keras_inference(keras, keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs), x)
    assert want.dtype == np.uint8
    got = L.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)(x)
    np.testing.assert_array_equal(got, want.astype(np.float32))
    np.testing.assert_array_equal(got, np.trunc(got))


def test_clahe_refuses_integer_results_outside_the_type():
    x = np.arange(48, dtype=np.uint8).reshape(1, 4, 4, 3) * 5
    with pytest.raises(ValueError, match="outside the type's range"):
        L.ContrastLimitedAdaptiveHistogramEqualization(value_range=(0, 1000), tile_grid_size=(1, 1), clip_limit=0)(x)


# ---- RandomCrop -------------------------------------------------------------------------------------

CROP_SIZES = [((5, 7), (3, 4)), ((7, 5), (13, 11)), ((8, 9), (1, 1)), ((16, 10), (4, 17)), ((6, 6), (6, 6)),
              ((4, 20), (8, 5)), ((10, 12), (4, 5))]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_crop_at_inference_crops_to_the_aspect_ratio_and_resizes(data_format, keras, rng, assert_parity):
    """What Keras documents (and Keras 2 did): Resizing(height, width, crop_to_aspect_ratio=True)."""
    for (h, w), (th, tw) in CROP_SIZES:
        x = _images(rng, {}, (2, h, w, 3), data_format)
        k_crop = keras.layers.RandomCrop(th, tw, data_format=data_format)
        resize = keras.layers.Resizing(th, tw, crop_to_aspect_ratio=True, data_format=data_format)
        layer = L.RandomCrop(th, tw, data_format=data_format)
        for images in (x, x[0]):
            got = layer(images)
            assert got.shape == tuple(k_crop.compute_output_shape(images.shape))
            assert_parity(got, keras.ops.convert_to_numpy(resize(images)), tol=2e-5)
            if (h, w) == (th, tw):
                np.testing.assert_array_equal(got, _keras_inference(keras, k_crop, images))


def test_keras_random_crop_leaves_inference_images_uncropped(keras, rng):
    """Why convkit's RandomCrop does not follow Keras 3.15 at inference: Keras returns the images
    uncropped, of another size than the output shape it declares (keras-team/keras#21868). When
    this fails, Keras has changed: compare convkit's RandomCrop with it again."""
    x = rng.uniform(0, 255, (2, 10, 12, 3)).astype(np.float32)
    k_layer = keras.layers.RandomCrop(4, 5)
    np.testing.assert_array_equal(_keras_inference(keras, k_layer, x), x)
    assert tuple(k_layer.compute_output_shape(x.shape)) == (2, 4, 5, 3) == L.RandomCrop(4, 5)(x).shape


def test_random_crop_draws_a_seed_for_its_config_as_keras():
    seeds = {L.RandomCrop(3, 3).get_config()["seed"] for _ in range(5)}
    assert all(isinstance(s, int) and 1 <= s <= 10 ** 9 for s in seeds) and len(seeds) > 1
    assert L.RandomCrop(3, 3, seed=11).get_config()["seed"] == 11


# ---- configs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_configs_match_keras_and_load_both_ways(case, keras, rng):
    name, kwargs = case
    k_layer, c_layer = _pair(keras, name, kwargs)
    k_config, c_config = k_layer.get_config(), c_layer.get_config()
    assert _without_name(c_config) == _without_name(k_config)
    x = _images(rng, kwargs)
    for config in (k_config, c_config, json.loads(json.dumps(c_config))):
        again = getattr(L, name).from_config(config)
        assert _as_json(again.get_config()) == _as_json(c_config)
        np.testing.assert_array_equal(again(x), c_layer(x))
    if name == "RandomShear" and "x_factor" in kwargs:
        return  # Keras's RandomShear refuses its own config of a number factor (see RandomShear.from_config)
    built_by_keras = getattr(keras.layers, name).from_config(c_config)
    assert _as_json(built_by_keras.get_config()) == _as_json(k_config)


@pytest.mark.parametrize("extra", [{}, dict(activity_regularizer="l2"), dict(bounding_box_format="xyxy")])
@pytest.mark.parametrize("name", NAMES)
def test_config_key_sets_match_keras(name, extra, keras):
    args = {**MINIMAL_ARGS.get(name, {}), **extra}
    assert set(getattr(L, name)(**args).get_config()) == set(getattr(keras.layers, name)(**args).get_config())


# ---- argument errors ------------------------------------------------------------------------------

ERRORS = [  # (layer, arguments, what Keras and convkit raise, a word of the message)
    ("RandomGrayscale", dict(factor=1.5), ValueError, "factor"),
    ("RandomGrayscale", dict(factor="half"), TypeError, "factor"),
    ("RandomHue", dict(factor=1.5), ValueError, "factor"),
    ("RandomHue", dict(factor=(0.1, 0.2, 0.3)), ValueError, "factor"),
    ("RandomHue", dict(factor=0.1, seed="x"), ValueError, "seed"),
    ("RandomSaturation", dict(factor=0.1, value_range=5), ValueError, "value_range"),
    ("RandomSaturation", dict(factor=0.1, value_range=(0, 1, 2)), ValueError, "value_range"),
    ("RandomSharpness", dict(factor=-0.1), ValueError, "factor"),
    ("RandomShear", dict(x_factor=1.5), ValueError, "factor"),
    ("RandomShear", dict(y_factor=(0.1, 2)), ValueError, "factor"),
    ("RandomShear", dict(fill_mode="edge"), NotImplementedError, "fill_mode"),
    ("RandomShear", dict(interpolation="bicubic"), NotImplementedError, "interpolation"),
    ("RandomPerspective", dict(factor=2), ValueError, "factor"),
    ("RandomPerspective", dict(scale=1.5), ValueError, "scale"),
    ("RandomPerspective", dict(interpolation="cubic"), NotImplementedError, "interpolation"),
    ("RandomPosterization", dict(factor=9), ValueError, "factor"),
    ("RandomPosterization", dict(factor=0), ValueError, "factor"),
    ("RandomInvert", dict(factor=-2), ValueError, "factor"),
    ("RandomGaussianBlur", dict(kernel_size=4), ValueError, "kernel_size"),
    ("RandomGaussianBlur", dict(kernel_size=(3, 4)), ValueError, "kernel_size"),
    ("RandomGaussianBlur", dict(kernel_size=(3, 5, 7)), ValueError, "kernel_size"),
    ("RandomGaussianBlur", dict(sigma=1.5), ValueError, "sigma"),
    ("RandomErasing", dict(scale=1.5), ValueError, "scale"),
    ("RandomElasticTransform", dict(scale=2), ValueError, "scale"),
    ("RandomElasticTransform", dict(interpolation="cubic"), NotImplementedError, "interpolation"),
    ("RandomElasticTransform", dict(fill_mode="edge"), NotImplementedError, "fill_mode"),
    ("RandomColorJitter", dict(brightness_factor=2), ValueError, "factor"),
    ("RandomColorJitter", dict(contrast_factor=-0.5), ValueError, "factor"),
    ("RandomColorJitter", dict(hue_factor=1.5), ValueError, "factor"),
    ("RandomColorJitter", dict(brightness_factor=0.1, value_range=5), ValueError, "value_range"),
    ("RandomColorDegeneration", dict(factor=2), ValueError, "factor"),
    ("RandAugment", dict(factor=1.5), ValueError, "factor"),
    ("RandAugment", dict(interpolation="bicubic"), NotImplementedError, "interpolation"),
    ("RandAugment", dict(value_range=(1,)), ValueError, "value_range"),
    ("AugMix", dict(factor=-1), ValueError, "factor"),
    ("AugMix", dict(interpolation="bicubic"), NotImplementedError, "interpolation"),
    ("AugMix", dict(value_range="ab"), ValueError, "value_range"),
    ("CutMix", dict(factor=2), ValueError, "factor"),
    ("Solarization", dict(addition_factor=2), ValueError, "factor"),
    ("Solarization", dict(threshold_factor=(0.2,)), ValueError, "factor"),
    ("Solarization", dict(value_range=None), ValueError, "value_range"),
    ("AutoContrast", dict(value_range=(0,)), ValueError, "value_range"),
    ("MaxNumBoundingBoxes", dict(max_number="many"), ValueError, "max_number"),
    ("MaxNumBoundingBoxes", dict(max_number=None), TypeError, "max_number"),
]


@pytest.mark.parametrize("name, kwargs, error, word", ERRORS, ids=[f"{e[0]}-{e[1]}" for e in ERRORS])
def test_bad_arguments_raise_as_in_keras(name, kwargs, error, word, keras):
    with pytest.raises(error):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(error, match=word):
        getattr(L, name)(**kwargs)


@pytest.mark.parametrize("make, error, word", [
    # where Keras accepts the argument and fails later (or with another error), convkit says so at once
    (lambda: L.Equalization(value_range=5), ValueError, "value_range"),  # Keras: AttributeError
    (lambda: L.RandomCrop(0, 4), ValueError, "height"),
    (lambda: L.RandomCrop(4, 2.5), ValueError, "width"),
    (lambda: L.ContrastLimitedAdaptiveHistogramEqualization(value_range="ab"), ValueError, "value_range"),
    (lambda: L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 2)), ValueError, "tile_grid_size"),
    (lambda: L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=None), TypeError, "clip_limit"),
    (lambda: L.Pipeline(L.AutoContrast()), TypeError, "layers"),
    (lambda: L.Pipeline([L.AutoContrast(), "rescale"]), TypeError, "layers"),
    (lambda: L.Pipeline([], trainable=False), TypeError, "trainable"),  # Keras's takes `name` only
])
def test_bad_arguments_keras_takes_are_refused(make, error, word):
    with pytest.raises(error, match=word):
        make()


# ---- Pipeline ---------------------------------------------------------------------------------------

def _pipelines(keras):
    def build(module):
        return module.Pipeline([module.AutoContrast(), module.RandomHue(0.2),
                                module.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)),
                                module.Rescaling(1 / 255)], name="steps")

    return build(keras.layers), build(L)


def test_pipeline_matches_keras(keras, rng, assert_parity):
    k_pipe, c_pipe = _pipelines(keras)
    x = rng.uniform(0, 255, (2, 8, 9, 3)).astype(np.float32)
    for images in (x, x[0]):
        want = _keras_inference(keras, k_pipe, images)
        assert_parity(c_pipe(images), want)
        expected = images
        for layer in c_pipe.layers:
            expected = layer(expected)
        np.testing.assert_array_equal(c_pipe(images), expected)
    with pytest.raises(ValueError, match="training=True"):  # it holds a RandomHue
        c_pipe(x, training=True)
    assert not c_pipe._passes_through()
    assert L.Pipeline([L.RandomHue(0.1), L.CutMix()])._passes_through()


def test_pipeline_config_matches_keras_and_loads_both_ways(keras, rng):
    k_pipe, c_pipe = _pipelines(keras)
    k_config, c_config = k_pipe.get_config(), c_pipe.get_config()
    assert set(c_config) == set(k_config) == {"layers", "name"} and c_config["name"] == k_config["name"]
    assert [e["class_name"] for e in c_config["layers"]] == [e["class_name"] for e in k_config["layers"]]
    for c_entry, k_entry in zip(c_config["layers"], k_config["layers"]):
        assert _without_name(c_entry["config"]) == _without_name(k_entry["config"])
    x = rng.uniform(0, 255, (2, 8, 9, 3)).astype(np.float32)
    for config in (k_config, c_config, json.loads(json.dumps(c_config))):
        again = L.Pipeline.from_config(config)
        assert again.name == "steps" and [type(layer) for layer in again.layers] == [type(layer) for layer in
                                                                                    c_pipe.layers]
        np.testing.assert_array_equal(again(x), c_pipe(x))
    with pytest.raises(ValueError, match="layers"):
        keras.layers.Pipeline.from_config({"name": "p"})
    with pytest.raises(ValueError, match="layers"):
        L.Pipeline.from_config({"name": "p"})


def test_pipeline_weights_are_its_layers_weights(rng):
    conv, dense = L.Conv2D(2, 3), L.Dense(4)
    pipe = L.Pipeline([L.AutoContrast(), conv, L.RandomHue(0.1), dense])
    assert pipe(L.Input((6, 6, 3))).shape == (None, 4, 4, 4)
    assert [w.shape for w in pipe.weights] == [(3, 3, 3, 2), (2,), (2, 4), (4,)]
    values = [rng.standard_normal(w.shape).astype(np.float32) for w in pipe.weights]
    pipe.set_weights(values)
    for got, want in zip(conv.get_weights() + dense.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    x = rng.uniform(0, 255, (2, 6, 6, 3)).astype(np.float32)
    np.testing.assert_array_equal(pipe(x), dense(conv(L.AutoContrast()(x))))


def test_empty_pipeline_returns_its_input(rng):
    x = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    y = L.Pipeline([])(x)
    np.testing.assert_array_equal(y, x)
    assert not np.shares_memory(x, y)


# ---- models Keras saved ---------------------------------------------------------------------------

def _deterministic_functional(keras):
    # layers that compute at inference, and those images pass through in training too: Keras's
    # functional configs record training=True for these calls, which these layers accept
    kl = keras.layers
    inp = keras.Input((16, 16, 3))
    x = kl.AutoContrast(name="stretch")(inp)
    x = kl.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(4, 4), clip_limit=2.0)(x)
    x = kl.MaxNumBoundingBoxes(4)(x)
    x = kl.Pipeline([kl.Conv2D(4, 3, activation="relu"), kl.AutoContrast(value_range=(0, 1))])(x)
    return keras.Model(inp, kl.Dense(2)(kl.GlobalAveragePooling2D()(x)))


def _augmenting_sequential(keras):
    # (no Equalization: Keras cannot build a model holding one, its symbolic output being its input)
    kl = keras.layers
    return keras.Sequential([
        keras.Input((8, 9, 3)), kl.RandomCrop(8, 9, seed=1), kl.RandomGrayscale(), kl.RandomHue(0.2),
        kl.RandomSaturation(0.3), kl.RandomSharpness(0.3), kl.RandomShear((0.1, 0.2)), kl.RandomPerspective(),
        kl.RandomPosterization(4), kl.RandomInvert(), kl.RandomGaussianBlur(), kl.RandomErasing(),
        kl.RandomElasticTransform(), kl.RandomColorJitter(brightness_factor=0.1), kl.RandomColorDegeneration(0.2),
        kl.RandAugment(), kl.AugMix(), kl.CutMix(), kl.MixUp(), kl.Solarization(0.2),
        kl.Pipeline([kl.RandomHue(0.1), kl.Conv2D(3, 3)]), kl.AutoContrast(), kl.Flatten(), kl.Dense(3),
    ])


def _channels_first_sequential(keras):
    kl = keras.layers
    return keras.Sequential([
        keras.Input((3, 8, 8)), kl.RandomCrop(8, 8, data_format="channels_first"),
        kl.AutoContrast(data_format="channels_first"),
        kl.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 3), data_format="channels_first"),
        kl.RandomHue(0.2, data_format="channels_first"), kl.Conv2D(2, 3, data_format="channels_first"),
    ])


@pytest.mark.parametrize("build", [_deterministic_functional, _augmenting_sequential, _channels_first_sequential])
def test_models_saved_by_keras_load_and_predict_kerass_numbers(build, keras, tmp_path, assert_parity):
    pytest.importorskip("h5py")
    k_model = build(keras)
    rng = np.random.default_rng(5)
    k_model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.3 for w in k_model.get_weights()])
    k_model.save(tmp_path / "model.keras")
    model = convkit.models.load_model(tmp_path / "model.keras")
    assert [type(layer).__name__ for layer in model.layers] == [
        {"Functional": "Model"}.get(type(layer).__name__, type(layer).__name__) for layer in k_model.layers]
    for got, want in zip(model.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(got, want)
    shape = tuple(k_model.inputs[0].shape[1:])
    x = rng.uniform(0, 255, (3,) + shape).astype(np.float32)
    assert_parity(model.predict(x, verbose=0), keras.ops.convert_to_numpy(k_model.predict(x, verbose=0)))
    # and Keras loads convkit's file back, to the same numbers
    model.save(tmp_path / "convkit.keras")
    again = keras.saving.load_model(tmp_path / "convkit.keras")
    assert_parity(model.predict(x, verbose=0), keras.ops.convert_to_numpy(again.predict(x, verbose=0)))
