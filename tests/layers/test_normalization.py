"""BatchNormalization at inference: (x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta."""
import numpy as np
import pytest

from layer_helpers import shapes

from convkit.layers import BatchNormalization


def _bn(x, gamma, beta, mean, var, eps, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: np.asarray(v, np.float64).reshape(shape)  # noqa: E731
    return (x.astype(np.float64) - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


def _stats(rng, c):
    gamma = rng.uniform(0.5, 2.0, c).astype(np.float32)
    beta = rng.standard_normal(c).astype(np.float32)
    mean = rng.standard_normal(c).astype(np.float32)
    var = rng.uniform(0.1, 3.0, c).astype(np.float32)
    return gamma, beta, mean, var


@pytest.mark.parametrize("in_shape, axis, eps", [
    ((4, 6), -1, 1e-3),
    ((2, 5, 5, 3), -1, 1e-3),
    ((2, 3, 5, 5), 1, 1e-5),
    ((2, 7, 4), 1, 0.1),
    ((2, 3, 4, 2, 5), -1, 1e-3),
])
def test_batchnorm_inference(in_shape, axis, eps, rng, assert_close):
    c = in_shape[axis]
    layer = BatchNormalization(axis=axis, epsilon=eps)
    layer.build(in_shape)
    assert shapes(layer.get_weights()) == [(c,)] * 4
    assert layer.count_params() == 4 * c
    gamma, beta, mean, var = _stats(rng, c)
    layer.set_weights([gamma, beta, mean, var])
    x = rng.standard_normal(in_shape).astype(np.float32)
    y = layer(x)
    assert_close(y, _bn(x, gamma, beta, mean, var, eps, axis))
    assert tuple(layer.compute_output_shape(in_shape)) == in_shape


def test_batchnorm_fresh_is_near_identity(rng, assert_close):
    """gamma=1, beta=0, moving_mean=0, moving_variance=1 by default; epsilon defaults to 1e-3."""
    layer = BatchNormalization()
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = layer(x)
    g, b, m, v = layer.get_weights()
    assert np.all(g == 1) and np.all(b == 0) and np.all(m == 0) and np.all(v == 1)
    assert_close(y, x / np.sqrt(1.0 + 1e-3))


@pytest.mark.parametrize("center, scale, n", [(False, True, 3), (True, False, 3), (False, False, 2)])
def test_batchnorm_center_scale_flags(center, scale, n, rng, assert_close):
    layer = BatchNormalization(center=center, scale=scale)
    layer.build((None, 4))
    assert len(layer.get_weights()) == n
    gamma, beta, mean, var = _stats(rng, 4)
    weights = ([gamma] if scale else []) + ([beta] if center else []) + [mean, var]
    layer.set_weights(weights)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    expected = _bn(x, gamma if scale else np.ones(4), beta if center else np.zeros(4), mean, var,
                   1e-3, -1)
    assert_close(layer(x), expected)


def test_batchnorm_wrong_weight_shape():
    layer = BatchNormalization()
    layer.build((None, 4))
    with pytest.raises(ValueError):
        layer.set_weights([np.ones(3)] * 4)
    with pytest.raises(ValueError):
        layer.set_weights([np.ones(4)] * 3)


def test_batchnorm_bad_axis():
    with pytest.raises(ValueError, match="axis"):
        BatchNormalization(axis=5)(np.zeros((2, 3), np.float32))


# ---- LayerNormalization ------------------------------------------------------------------------

def _ln(x, axes, eps, gamma, beta, rms):
    x = x.astype(np.float64)
    var = x.var(axis=axes, keepdims=True)
    out = x / np.sqrt(var + eps) if rms else (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(var + eps)
    bshape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
    if gamma is not None:
        out = out * gamma.reshape(bshape)
    if beta is not None:
        out = out + beta.reshape(bshape)
    return out


@pytest.mark.parametrize("in_shape, axis, rms, center, scale", [
    ((4, 6), -1, False, True, True),           # trailing axis: the C rows
    ((2, 5, 7, 67), -1, False, True, True),    # rows longer than the 8 summing lanes, ragged
    ((2, 3, 4, 5), [-2, -1], False, True, False),
    ((2, 3, 4, 5), [1, 3], False, False, True),  # not trailing: the NumPy path
    ((3, 70), -1, True, True, True),           # rms_scaling: gamma only
    ((2, 3, 9), [1, 2], True, False, False),
])
def test_layer_normalization_matches_oracle(in_shape, axis, rms, center, scale, rng, assert_close):
    from convkit.layers import LayerNormalization

    layer = LayerNormalization(axis=axis, epsilon=1e-3, rms_scaling=rms, center=center, scale=scale)
    x = (rng.standard_normal(in_shape) * 3 + 5).astype(np.float32)  # off zero: the variance is centred
    layer(x)
    weights = [(rng.standard_normal(w.shape) + 1).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    assert len(weights) == (1 if rms else int(center) + int(scale))
    axes = tuple(sorted(a % x.ndim for a in (axis if isinstance(axis, list) else [axis])))
    gamma = weights[0] if (scale or rms) else None
    beta = weights[-1] if center and not rms else None
    assert_close(layer(x), _ln(x, axes, 1e-3, gamma, beta, rms), rtol=1e-5)


def test_layer_normalization_rows_are_independent_of_threads_and_nan_stays_in_its_row(rng, same_at_thread_counts):
    from convkit.layers import LayerNormalization

    x = rng.standard_normal((64, 33, 48)).astype(np.float32)
    x[5, 7, 3] = np.nan
    layer = LayerNormalization()
    one = same_at_thread_counts(lambda: layer(x))
    assert np.isnan(one[5, 7]).all() and not np.isnan(np.delete(one.reshape(-1, 48), 5 * 33 + 7, axis=0)).any()
