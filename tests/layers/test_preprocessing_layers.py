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


# ---- Normalization --------------------------------------------------------------------------

def test_normalization_from_arguments_in_float32(rng):
    x = rng.uniform(0, 255, (2, 4, 5, 3)).astype(np.float32)
    mean, var = [123.675, 116.28, 103.53], [3409.976, 3262.694, 1e-20]
    y = L.Normalization(mean=mean, variance=var)(x)
    std = np.maximum(np.sqrt(np.asarray(var, np.float32)), np.float32(1e-7))  # Keras's floor
    np.testing.assert_array_equal(y, (x - np.asarray(mean, np.float32)) / std)
    back = L.Normalization(mean=mean, variance=var, invert=True)(y)
    np.testing.assert_array_equal(back, np.asarray(mean, np.float32) + y * std)
    scalar = L.Normalization(mean=2.0, variance=4.0)(x)
    np.testing.assert_array_equal(scalar, (x - np.float32(2)) / np.float32(2))


def test_normalization_weights_adapt_and_axes(rng):
    x = rng.standard_normal((50, 3, 4)).astype(np.float32) * 3 + 1
    layer = L.Normalization(axis=(1, 2))
    layer.adapt(x)
    mean, var, count = layer.get_weights()
    assert mean.shape == var.shape == (3, 4) and count.shape == () and float(count) == 50
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(0), rtol=1e-6, atol=1e-6)
    y = layer(x)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-4)
    last = L.Normalization()  # axis -1: one mean per channel
    last.build((None, 7, 3))
    assert [w.shape for w in last.get_weights()] == [(3,), (3,), ()]
    whole = L.Normalization(axis=None)
    whole.adapt(x)
    assert whole.get_weights()[0].shape == ()


@pytest.mark.parametrize("make, match", [
    (lambda: L.Normalization(mean=1.0), "both `mean` and `variance`"),
    (lambda: L.Normalization(mean=[1.0, 2.0], variance=[1.0]), "same shape"),
    (lambda: L.Normalization(axis=-1, mean=np.ones((2, 2)), variance=np.ones((2, 2))), "rank of `mean`"),
])
def test_normalization_arguments_are_checked(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_normalization_axis_out_of_range():
    with pytest.raises(ValueError, match="axis"):
        L.Normalization(axis=3)(np.zeros((2, 3), np.float32))


# ---- operations in a graph and the Keras applications' layers ----------------------------------

def test_keras_operation_nodes(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    add = L.KerasOperation("Add", [None, 3.0])
    np.testing.assert_array_equal(add(x), x + np.float32(3))
    rsub = L.KerasOperation("Subtract", [1.0, None])
    np.testing.assert_array_equal(rsub(x), np.float32(1) - x)
    both = L.KerasOperation("Multiply", [None, None])
    np.testing.assert_array_equal(both([x, x[:1]]), x * x[:1])
    assert both.compute_output_shape([(None, 3), (1, 3)]) == (None, 3)
    np.testing.assert_array_equal(L.KerasOperation("Relu6", [None])(x * 10), np.clip(x * 10, 0, 6))
    again = L.KerasOperation.from_config(rsub.get_config())
    np.testing.assert_array_equal(again(x), rsub(x))
    with pytest.raises(ValueError, match="Einsum"):
        L.KerasOperation("Einsum", ["ij->ji", None])
    with pytest.raises(ValueError, match="takes 2"):
        L.KerasOperation("Add", [None])
    with pytest.raises(ValueError, match="numbers"):
        L.KerasOperation("Add", [None, "three"])


def test_layer_scale_and_stochastic_depth(rng):
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    scale = L.LayerScale(1e-6, 4)
    np.testing.assert_array_equal(scale(x), x * np.float32(1e-6))
    assert [w.shape for w in scale.get_weights()] == [(4,)]
    depth = L.StochasticDepth(0.1)
    np.testing.assert_array_equal(depth(x), x)
    with pytest.raises(ValueError, match="training"):
        depth(x, training=True)
    assert L.StochasticDepth.from_config(depth.get_config()).drop_path_rate == 0.1


@pytest.mark.parametrize("shape", [(2, 37, 19, 96), (2, 7, 9, 96), (3, 768), (1, 1, 5), (0, 4, 96)])
def test_layer_scale_gives_numpy_products_bit_for_bit(rng, shape):
    c = shape[-1]
    x = rng.standard_normal(shape)  # float64 and a non-contiguous view: converted, never modified
    layer = L.LayerScale(0.5, c)
    layer.build(shape)
    gamma = rng.standard_normal(c).astype(np.float32)
    gamma[0] = -0.0
    layer.set_weights([gamma])
    xin = x[..., ::-1]
    before = xin.copy()
    got = layer(xin)
    assert got.dtype == np.float32 and got.shape == shape and got.flags.c_contiguous
    want = np.ascontiguousarray(xin, dtype=np.float32) * gamma
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    np.testing.assert_array_equal(xin, before)


def test_custom_scale_layer(rng):
    x, r = (rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(2))
    layer = L.CustomScaleLayer(0.17)
    np.testing.assert_array_equal(layer([x, r]), x + r * np.float32(0.17))
    assert layer.compute_output_shape([(None, 3, 4), (None, 3, 4)]) == (None, 3, 4)
    with pytest.raises(ValueError, match="two tensors"):
        layer.compute_output_shape((None, 3, 4))
    assert L.CustomScaleLayer.from_config(layer.get_config()).scale == 0.17
