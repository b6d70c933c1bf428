"""NaN and Inf reach exactly the outputs whose windows touch them: no kernel path (direct, GEMM,
padding rows, edge tiles) may spread a non-finite value to other outputs or swallow it."""
import numpy as np
import pytest

from convkit import ops


def _touched(shape, pos, k, strides, padding, dilation, op):
    """Which outputs read input cell `pos`: run the op on an indicator image with a kernel of ones."""
    ind = np.zeros(shape, np.float32)
    ind[pos] = 1.0
    if op == "conv":
        ones = np.ones(k + (shape[-1], 3), np.float32)
        return ops.conv(ind, ones, strides, padding, dilation_rate=dilation, algorithm="direct") > 0
    if op == "depthwise":
        ones = np.ones(k + (shape[-1], 2), np.float32)
        return ops.depthwise_conv(ind, ones, strides, padding, dilation_rate=dilation) > 0
    return ops.max_pool(ind, k, strides, padding) > 0


CASES = [  # shape, bad position, kernel, strides, padding, dilation
    ((1, 9, 9, 4), (0, 0, 0, 1), (3, 3), 1, "same", 1),
    ((1, 9, 9, 4), (0, 4, 8, 2), (3, 3), 2, "same", 1),
    ((2, 13, 7, 5), (1, 6, 3, 0), (3, 3), 1, "valid", 2),
    ((1, 17, 17, 16), (0, 16, 0, 15), (5, 5), 1, "same", 1),
    ((1, 7, 7, 3), (0, 3, 3, 2), (1, 1), 1, "valid", 1),
    ((1, 20, 20, 16), (0, 9, 10, 4), (3, 3), 1, "same", 1),  # 'auto' would pick Winograd here
    ((2, 13, 11, 24), (1, 0, 10, 23), (3, 3), 1, "valid", 1),
]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("algorithm", ["auto", "direct", "gemm"])
def test_conv_nonfinite_reach_exactly_touched_outputs(isa, case, bad, algorithm):
    shape, pos, k, s, padding, d = case
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.0, shape).astype(np.float32)
    x[pos] = bad
    w = rng.uniform(0.5, 1.0, k + (shape[-1], 3)).astype(np.float32)  # positive: Inf stays Inf
    y = ops.conv(x, w, s, padding, dilation_rate=d, algorithm=algorithm)
    touched = _touched(shape, pos, k, s, padding, d, "conv")
    assert touched.any()
    np.testing.assert_array_equal(~np.isfinite(y), touched)
    if bad == np.inf:
        assert np.isposinf(y[touched]).all()


@pytest.mark.parametrize("case", CASES)
def test_depthwise_and_pool_nonfinite(isa, case):
    shape, pos, k, s, padding, d = case
    x = np.ones(shape, np.float32)
    x[pos] = np.nan
    w = np.ones(k + (shape[-1], 2), np.float32)
    y = ops.depthwise_conv(x, w, s, padding, dilation_rate=d)
    np.testing.assert_array_equal(np.isnan(y), _touched(shape, pos, k, s, padding, d, "depthwise"))
    if d == 1:
        p = ops.max_pool(x, k, s, padding)
        np.testing.assert_array_equal(np.isnan(p), _touched(shape, pos, k, s, padding, d, "pool"))


def test_dense_nonfinite_row_stays_in_its_row(isa):
    x = np.ones((7, 33), np.float32)
    x[3, 5] = np.nan
    y = ops.dense(x, np.ones((33, 17), np.float32))
    expected = np.zeros_like(y, dtype=bool)
    expected[3] = True
    np.testing.assert_array_equal(np.isnan(y), expected)


def test_nonfinite_weights_touch_only_their_filter(isa):
    x = np.ones((1, 6, 6, 4), np.float32)
    w = np.ones((3, 3, 4, 5), np.float32)
    w[1, 1, 2, 3] = np.nan  # filter 3 only
    y = ops.conv(x, w, padding="same")
    assert np.isnan(y[..., 3]).all()
    assert np.isfinite(np.delete(y, 3, axis=-1)).all()


def test_layer_winograd_shape_keeps_nonfinite_local(isa):
    """Through a layer (filters packed and Winograd-transformed once, their finiteness recorded at
    pack time): a NaN input cell or a NaN filter weight stays where it belongs, also after
    set_weights swaps finite filters for non-finite ones and back."""
    import convkit

    rng = np.random.default_rng(1)
    shape = (1, 20, 20, 16)  # 'auto' would pick Winograd for finite data
    x = rng.uniform(0.5, 1.0, shape).astype(np.float32)
    w = rng.uniform(0.5, 1.0, (3, 3, 16, 16)).astype(np.float32)
    layer = convkit.layers.Conv2D(16, 3, padding="same", use_bias=False)
    layer.build(shape)
    layer.set_weights([w])
    assert np.isfinite(layer(x)).all()

    x_bad = x.copy()
    x_bad[0, 9, 10, 4] = np.nan
    touched = _touched(shape, (0, 9, 10, 4), (3, 3), 1, "same", 1, "conv")[..., :1]
    np.testing.assert_array_equal(np.isnan(np.asarray(layer(x_bad))), np.broadcast_to(touched, (1, 20, 20, 16)))

    w_bad = w.copy()
    w_bad[1, 1, 2, 3] = np.nan  # filter 3 only
    layer.set_weights([w_bad])
    y = np.asarray(layer(x))
    assert np.isnan(y[..., 3]).all()
    assert np.isfinite(np.delete(y, 3, axis=-1)).all()

    layer.set_weights([w])
    np.testing.assert_array_equal(np.asarray(layer(x)), ops.conv(x, w, padding="same"))
