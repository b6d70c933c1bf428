"""The layout moves behind data_format='channels_first': the C core's batched transpose
(ck_f32_transpose_batched, through ops._channels_last / ops._channels_first) and the scratch
blocks a channels_first layer works in (_core.scratch_empty)."""
import threading

import numpy as np
import pytest

from convkit import layers as L
from convkit import ops
from convkit._ext import _core

# rows x cols of each matrix: vectors, 3 channels (RGB), primes, the 32-float tile and 4-float
# block each side, and a layer-sized pair
SHAPES = [(1, 1), (1, 7), (7, 1), (3, 50), (50, 3), (2, 2), (5, 4), (4, 5), (13, 17), (31, 33), (32, 32),
          (33, 31), (64, 196), (196, 64), (129, 67)]


@pytest.mark.parametrize("rows, cols", SHAPES)
@pytest.mark.parametrize("batch", [1, 3])
def test_transpose_batched_moves_every_value(rows, cols, batch, rng, same_at_thread_counts):
    x = rng.standard_normal((batch, rows, cols)).astype(np.float32)
    x_before = x.copy()

    def run():
        y = np.full((batch, cols, rows), np.nan, np.float32)
        _core.transpose_batched(x, y)
        return y

    y = same_at_thread_counts(run)
    np.testing.assert_array_equal(y, x.transpose(0, 2, 1))
    np.testing.assert_array_equal(x, x_before)


def test_transpose_batched_keeps_special_values_and_rejects_bad_shapes():
    x = np.array([[[np.nan, np.inf], [-0.0, -np.inf], [1e-45, 3.0]]], np.float32)
    y = np.empty((1, 2, 3), np.float32)
    _core.transpose_batched(x, y)
    assert np.array_equal(y.view(np.uint32), x.transpose(0, 2, 1).view(np.uint32))  # bit for bit
    with pytest.raises(ValueError, match="inconsistent"):
        _core.transpose_batched(x, np.empty((1, 3, 2), np.float32))
    _core.transpose_batched(np.empty((0, 3, 2), np.float32), np.empty((0, 2, 3), np.float32))  # nothing to do


@pytest.mark.parametrize("shape", [(2, 3, 5), (1, 4, 7, 9), (2, 1, 3, 4, 5), (0, 3, 4, 4), (1, 64, 14, 14)])
def test_channels_last_and_back(shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    last = ops._channels_last(x)
    np.testing.assert_array_equal(last, np.moveaxis(x, 1, -1))
    assert last.flags.c_contiguous and last.dtype == np.float32
    back = ops._channels_first(last)
    np.testing.assert_array_equal(back, x)
    assert back.flags.c_contiguous
    # non-contiguous or other dtypes take NumPy's copy, with the same values
    strided = np.asarray(x[..., ::-1], dtype=np.float64)
    np.testing.assert_array_equal(ops._channels_last(strided), np.moveaxis(strided, 1, -1).astype(np.float32))


def test_scratch_arrays_are_writable_float32_of_the_shape():
    a = _core.scratch_empty((2, 3, 4))
    assert a.shape == (2, 3, 4) and a.dtype == np.float32 and a.flags.writeable and a.flags.c_contiguous
    a[...] = 7.0
    assert float(a.sum()) == 7.0 * 24
    assert _core.scratch_empty((0, 5)).shape == (0, 5)


@pytest.mark.parametrize("make", [
    lambda: L.Conv2D(8, 3, padding="same", data_format="channels_first"),
    lambda: L.Conv2D(16, 7, strides=2, padding="same", data_format="channels_first"),
    lambda: L.DepthwiseConv2D(3, data_format="channels_first"),
    lambda: L.Conv2DTranspose(4, 3, strides=2, data_format="channels_first"),
    lambda: L.Conv1D(5, 3, data_format="channels_first", activation="relu"),
    lambda: L.MaxPooling2D(2, data_format="channels_first"),
], ids=["conv", "stem", "depthwise", "transpose", "conv1d-relu", "maxpool"])
def test_channels_first_layers_return_arrays_of_their_own(make, rng):
    # The layer works in scratch blocks that later calls reuse: what it returns must not be one
    # of them (an output must not change when the layer runs again), and must match the
    # channels-last layer on the moved input.
    layer = make()
    rank = 1 if isinstance(layer, L.Conv1D) else 2
    size = (64, 64) if rank == 2 else (40,)
    x1 = rng.standard_normal((2, 3) + size).astype(np.float32)
    x2 = rng.standard_normal((2, 3) + size).astype(np.float32)
    y1 = layer(x1)
    kept = y1.copy()
    for _ in range(3):
        y2 = layer(x2)
    np.testing.assert_array_equal(y1, kept)
    assert y1.flags.owndata or isinstance(y1.base, np.ndarray) and y1.base.flags.owndata
    config = layer.get_config()
    config.update(data_format="channels_last", name=None)
    twin = type(layer).from_config(config)
    twin.build(np.moveaxis(x1, 1, -1).shape)
    if layer.get_weights():
        twin.set_weights(layer.get_weights())
    np.testing.assert_allclose(y2, np.moveaxis(twin(np.moveaxis(x2, 1, -1)), -1, 1), rtol=1e-5, atol=1e-5)


def test_channels_first_layer_from_threads(rng):
    # Python threads calling one channels_first layer at once (the GIL is released in the
    # kernels) each get their own scratch blocks and their own right answer.
    layer = L.Conv2D(8, 3, padding="same", data_format="channels_first")
    xs = [rng.standard_normal((1, 4, 48, 48)).astype(np.float32) for _ in range(4)]
    layer(xs[0])
    expected = [layer(x) for x in xs]
    got = [None] * len(xs)

    def work(i):
        for _ in range(20):
            got[i] = layer(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(e, g)


@pytest.mark.parametrize("op", [
    lambda x: ops.conv(x, np.ones((3, 3, 3, 4), np.float32), padding="same", data_format="channels_first"),
    lambda x: ops.depthwise_conv(x, np.ones((3, 3, 3, 2), np.float32), data_format="channels_first"),
    lambda x: ops.conv_transpose(x, np.ones((2, 2, 5, 3), np.float32), strides=2, data_format="channels_first"),
    lambda x: ops.max_pool(x, 2, data_format="channels_first"),
    lambda x: ops.zero_pad(x, 1, data_format="channels_first"),
    lambda x: ops.crop(x, 1, data_format="channels_first"),
    lambda x: ops.upsample(x, 2, data_format="channels_first"),
    lambda x: ops.upsample(x, 2, interpolation="bilinear", data_format="channels_first"),
    lambda x: ops.global_average_pool(x, data_format="channels_first", keepdims=True),
], ids=["conv", "depthwise", "transpose", "max_pool", "zero_pad", "crop", "upsample", "bilinear", "gap"])
def test_channels_first_ops_return_arrays_of_their_own(op, rng):
    # the ops work in scratch blocks too (the channels-last copy of the input and the result
    # before the move back): what they return must not change when they run again
    x1 = rng.standard_normal((2, 3, 40, 40)).astype(np.float32)
    x2 = rng.standard_normal((2, 3, 40, 40)).astype(np.float32)
    x1_before = x1.copy()
    y1 = op(x1)
    kept = y1.copy()
    for _ in range(3):
        op(x2)
    np.testing.assert_array_equal(y1, kept)
    np.testing.assert_array_equal(x1, x1_before)
    np.testing.assert_array_equal(op(x1), kept)
