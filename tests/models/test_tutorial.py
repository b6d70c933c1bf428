"""The tutorial examples of issue 3, exactly as stated there."""
import numpy as np

import convkit
from convkit.layers import Conv1D, Conv2D, Flatten
from convkit.models import Sequential


def test_conv1d_tutorial():
    model = Sequential()
    model.add(Conv1D(1, 3, input_shape=(8, 1)))
    model.set_weights([np.asarray([[[0]], [[1]], [[0]]]), np.asarray([0.0])])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 1, 1), (1,)]
    assert all(w.dtype == np.float32 for w in weights)
    np.testing.assert_array_equal(weights[0].ravel(), [0, 1, 0])
    y = model.predict(np.asarray([0, 0, 0, 1, 1, 0, 0, 0]).reshape(1, 8, 1), verbose=0)
    assert y.dtype == np.float32 and y.shape == (1, 6, 1)
    np.testing.assert_array_equal(y, [[[0], [0], [1], [1], [0], [0]]])


def test_conv2d_tutorial():
    model = Sequential()
    model.add(Conv2D(1, (3, 3), input_shape=(8, 8, 1)))
    detector = [[[[0]], [[1]], [[0]]],
                [[[0]], [[1]], [[0]]],
                [[[0]], [[1]], [[0]]]]
    model.set_weights([np.asarray(detector), np.asarray([0.0])])
    assert [w.shape for w in model.get_weights()] == [(3, 3, 1, 1), (1,)]
    image = np.zeros((8, 8))
    image[:, 3:5] = 1
    y = model.predict(image.reshape(1, 8, 8, 1), verbose=0)
    assert y.shape == (1, 6, 6, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], [[0, 0, 3, 3, 0, 0]] * 6)


def test_channels_first_conv_flatten_shapes():
    model = Sequential()
    model.add(Conv2D(64, (3, 3), input_shape=(3, 32, 32), padding="same",
                     data_format="channels_first"))
    assert model.output_shape == (None, 64, 32, 32)
    model.add(Flatten())
    assert model.output_shape == (None, 65536)
    assert model.input_shape == (None, 3, 32, 32)
    assert tuple(model.layers[0].compute_output_shape((None, 3, 32, 32))) == (None, 64, 32, 32)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (2, 65536)


def test_896_parameters():
    model = Sequential()
    model.add(Conv2D(filters=32, kernel_size=(3, 3), padding="same", activation="relu",
                     input_shape=(28, 28, 3)))
    assert model.count_params() == 896
    assert model.output_shape == (None, 28, 28, 32)


def test_top_level_names():
    assert convkit.Sequential is Sequential
    from convkit.models import Input, Model
    assert convkit.Model is Model and convkit.Input is Input
