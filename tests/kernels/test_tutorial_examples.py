"""The two worked examples of the tutorial convkit started from; they must hold exactly."""
import numpy as np

import convkit


def test_tutorial_1d_edge_detector(isa):
    x = np.array([0, 0, 0, 1, 1, 0, 0, 0], np.float32).reshape(1, 8, 1)
    kernel = np.array([0, 1, 0], np.float32).reshape(3, 1, 1)
    y = convkit.ops.conv(x, kernel, padding="valid")
    assert y.shape == (1, 6, 1)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.ravel(), [0, 0, 1, 1, 0, 0])


def test_tutorial_2d_vertical_line(isa):
    image = np.zeros((1, 8, 8, 1), np.float32)
    image[0, :, 3:5, 0] = 1.0
    kernel = np.zeros((3, 3, 1, 1), np.float32)
    kernel[:, 1, 0, 0] = 1.0
    y = convkit.ops.conv(image, kernel)
    assert y.shape == (1, 6, 6, 1)
    assert y.dtype == np.float32
    expected = np.tile(np.array([0, 0, 3, 3, 0, 0], np.float32), (6, 1))
    np.testing.assert_array_equal(y[0, :, :, 0], expected)


def test_tutorial_examples_from_plain_lists(isa):
    # The tutorial writes its data as Python lists; those work unchanged.
    y = convkit.ops.conv([[[0], [0], [0], [1], [1], [0], [0], [0]]], [[[0]], [[1]], [[0]]])
    np.testing.assert_array_equal(y.ravel(), [0, 0, 1, 1, 0, 0])
