"""convkit.ops.dense and every named activation (standalone and fused) vs the NumPy formulas."""
import numpy as np
import pytest

import convkit
import reference as ref

# Every output starts as NaN, so an element a kernel forgets to write fails the comparison.
pytestmark = pytest.mark.usefixtures("nan_filled_outputs")

ALL_NAMES = list(ref.ACTIVATIONS)


@pytest.mark.parametrize("shape_in,units", [((1, 1), 1), ((2, 15), 16), ((5, 17), 15), ((3, 4, 16), 17),
                                            ((7,), 5), ((2, 3, 5, 13), 11)])
@pytest.mark.parametrize("use_bias", [False, True])
def test_dense_matches_oracle(isa, rng, shape_in, units, use_bias, assert_close):
    x = rng.standard_normal(shape_in).astype(np.float32)
    w = rng.standard_normal((shape_in[-1], units)).astype(np.float32)
    b = rng.standard_normal(units).astype(np.float32) if use_bias else None
    assert_close(convkit.ops.dense(x, w, b), ref.dense(x, w, b))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_dense_fused_activation(isa, rng, name, assert_close):
    x = rng.standard_normal((6, 17)).astype(np.float32)
    w = (rng.standard_normal((17, 16)) / 3).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    assert_close(convkit.ops.dense(x, w, b, activation=name), ref.dense(x, w, b, name))


# Values that cover both branches of every piecewise formula and the saturating tails.
GRID = np.concatenate([np.linspace(-12, 12, 97), [-3.0, -1e-3, 0.0, 1e-3, 3.0, 6.0, 20.0, -20.0]])


@pytest.mark.parametrize("name", ALL_NAMES)
def test_activation_by_name(isa, name, assert_close):
    x = np.stack([GRID, GRID[::-1]]).astype(np.float32)  # 2 rows so softmax has an axis to work on
    got = convkit.ops.activation(x, name)
    assert_close(got, ref.activation(x, name))


@pytest.mark.parametrize("name", ["relu", "gelu", "mish", "softmax"])
def test_activation_does_not_modify_input(isa, name):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    before = x.copy()
    out = convkit.ops.activation(x, name)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(out, x)


def test_activation_callable(isa):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = convkit.ops.activation(x, lambda v: v * 2 + 1)
    np.testing.assert_array_equal(got, x * 2 + 1)
    assert got.dtype == np.float32


@pytest.mark.parametrize("name", ["leaky_relu", "hard_sigmoid", "selu", "gelu", "gelu_approximate"])
def test_activation_known_points(isa, name):
    # A few values worked out by hand from the Keras formulas.
    x = np.array([-2.0, 0.0, 1.0, 4.0], np.float32)
    expected = {
        "leaky_relu": [-0.4, 0.0, 1.0, 4.0],
        "hard_sigmoid": [1.0 / 6.0, 0.5, 4.0 / 6.0, 1.0],
        "selu": [1.0507009873554805 * 1.6732632423543772 * (np.exp(-2.0) - 1), 0.0, 1.0507009873554805,
                 4 * 1.0507009873554805],
        "gelu": [-0.04550026389635842, 0.0, 0.8413447460685429, 3.9998733150326675],
        "gelu_approximate": [-0.04540230591222494, 0.0, 0.8411919906082768, 3.9999297540518075],
    }[name]
    np.testing.assert_allclose(convkit.ops.activation(x, name), expected, rtol=1e-5, atol=1e-6)


def test_conv_with_axis_activation(isa, rng, assert_close):
    # softmax is not fusable; it must still apply over the channel axis after the kernel.
    x = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 7)).astype(np.float32)
    for name in ("softmax", "log_softmax"):
        got = convkit.ops.conv(x, w, padding="same", activation=name)
        assert_close(got, ref.activation(ref.conv(x, w, padding="same"), name))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "gelu", "linear"])
def test_activation_copy_and_in_place_agree(isa, rng, name):
    # float32 input: read once into a new array (ck_f32_activation_copy); float64: converted,
    # then activated in place. Several 4096-value chunks and a ragged tail; a read-only input.
    x = rng.standard_normal((3, 5000)).astype(np.float32) * 4
    x.flags.writeable = False
    from_f32 = convkit.ops.activation(x, name)
    from_f64 = convkit.ops.activation(x.astype(np.float64), name)
    np.testing.assert_array_equal(from_f32, from_f64)
    assert not np.shares_memory(from_f32, x)
    np.testing.assert_allclose(from_f32, ref.activation(x, name), rtol=1e-5, atol=1e-6)
