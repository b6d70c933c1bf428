"""Rescaling, Identity and the image augmentation layers (the identity at inference)."""
import numpy as np
import pytest

from convkit import Sequential
from convkit import layers as L

AUGMENTATIONS = [
    lambda: L.RandomFlip(),
    lambda: L.RandomFlip("vertical", seed=3),
    lambda: L.RandomRotation(0.2, fill_mode="constant", fill_value=1.0),
    lambda: L.RandomZoom((-0.3, 0.2), width_factor=0.1, interpolation="nearest"),
    lambda: L.RandomTranslation(0.1, (-0.2, 0.3), fill_mode="wrap"),
    lambda: L.RandomContrast(0.5),
    lambda: L.RandomBrightness((-0.2, 0.1), value_range=(0, 1)),
]


@pytest.mark.parametrize("scale, offset", [(1 / 255, 0.0), (1 / 127.5, -1.0), (2, 3), ([0.5, 0.25, 2.0], [1.0, 0.0, -1.0]),
                                           (np.asarray([3.0, 1.0, 0.5], np.float64), 0.5)])
def test_rescaling_is_a_float32_multiply_then_add(scale, offset, rng):
    x = (rng.uniform(0, 255, (2, 5, 4, 3))).astype(np.float32)
    x_before = x.copy()
    y = L.Rescaling(scale, offset)(x)
    want = x * np.asarray(scale, np.float32) + np.asarray(offset, np.float32)  # each step rounded to float32
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(x, x_before)
    ints = L.Rescaling(scale, offset)(x.astype(np.int32))
    np.testing.assert_array_equal(ints, x.astype(np.int32).astype(np.float32) * np.asarray(scale, np.float32)
                                  + np.asarray(offset, np.float32))


def test_rescaling_config_round_trip_and_bad_scale():
    layer = L.Rescaling(np.asarray([0.5, 2.0], np.float32), offset=1)
    config = layer.get_config()
    assert config["scale"]["class_name"] == "__numpy__" and config["offset"] == 1
    again = L.Rescaling.from_config(config)
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(again(x), layer(x))
    with pytest.raises(TypeError, match="scale"):
        L.Rescaling("half")
    with pytest.raises(TypeError, match="offset"):
        L.Rescaling(1.0, offset=None)


def test_identity_returns_a_copy(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    y = L.Identity()(x)
    np.testing.assert_array_equal(y, x)
    assert not np.shares_memory(x, y)


@pytest.mark.parametrize("make", AUGMENTATIONS)
def test_augmentation_is_the_identity_at_inference(make, rng):
    layer = make()
    x = rng.uniform(0, 255, (2, 9, 7, 3)).astype(np.float32)
    for out in (layer(x), layer(x, training=False)):
        np.testing.assert_array_equal(out, x)
        assert not np.shares_memory(out, x)
    with pytest.raises(ValueError, match="training"):
        layer(x, training=True)
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


def test_augmentation_factors_are_normalised_as_keras_does():
    assert L.RandomRotation(0.1).factor == (-0.1, 0.1)
    assert L.RandomRotation([0.3, -0.2]).factor == (-0.2, 0.3)
    assert L.RandomContrast(0.2).factor == (0, 0.2)  # bounds (0, 1): max(-0.2, 0)
    assert L.RandomBrightness(0.3).factor == (-0.3, 0.3)
    assert L.RandomBrightness(0.3, value_range=(255, 0)).value_range == [0, 255]
    assert L.RandomZoom(0.1).height_factor == 0.1 and L.RandomZoom(0.1).width_factor is None


@pytest.mark.parametrize("make, match", [
    (lambda: L.RandomFlip("diagonal"), "mode"),
    (lambda: L.RandomRotation(1.5), "factor"),
    (lambda: L.RandomRotation((0.1, 0.2, 0.3)), "factor"),
    (lambda: L.RandomRotation("a lot"), "factor"),
    (lambda: L.RandomContrast(-0.5), "factor"),
    (lambda: L.RandomZoom(-1.0), "height_factor"),
    (lambda: L.RandomZoom(0.1, width_factor=1.5), "width_factor"),
    (lambda: L.RandomTranslation(0.1, None), "width_factor"),
    (lambda: L.RandomTranslation(1.01, 0.1), "height_factor"),
    (lambda: L.RandomBrightness(0.1, value_range=(0, 1, 2)), "value_range"),
])
def test_augmentation_arguments_are_checked(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: L.RandomRotation(0.1, fill_mode="mirror"), "fill_mode"),
    (lambda: L.RandomZoom(0.1, interpolation="bicubic"), "interpolation"),
])
def test_unknown_modes_are_not_implemented_as_in_keras(make, match):
    with pytest.raises(NotImplementedError, match=match):
        make()


def test_augmentation_block_in_a_model(rng):
    model = Sequential([L.Input((8, 8, 3)), L.RandomFlip("horizontal"), L.RandomRotation(0.1),
                        L.Rescaling(1 / 255), L.Conv2D(4, 3, padding="same"), L.Identity(),
                        L.GlobalAveragePooling2D()])
    plain = Sequential([L.Input((8, 8, 3)), L.Rescaling(1 / 255), L.Conv2D(4, 3, padding="same"),
                        L.GlobalAveragePooling2D()])
    plain.set_weights(model.get_weights())
    x = rng.uniform(0, 255, (5, 8, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), plain.predict(x, verbose=0))
    assert model.count_params() == plain.count_params() == 3 * 3 * 3 * 4 + 4
