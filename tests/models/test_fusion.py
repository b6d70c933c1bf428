"""The model plan fuses Conv/Depthwise/Dense -> BatchNormalization -> activation into one kernel
call; the results must equal running the layers one by one, and chains whose intermediate values
are visible (model outputs, several readers) or whose BatchNormalization is on another axis must
not be fused."""
import numpy as np
import pytest

import convkit
from convkit import layers as L
from convkit._fusion import FusedStep, MergeActivationStep


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.get_weights():
        weights.append(rng.uniform(0.5, 1.5, w.shape).astype(np.float32) if w.ndim == 1
                       else rng.standard_normal(w.shape).astype(np.float32) * 0.4)
    model.set_weights(weights)


def _layer_by_layer(model, x):
    """Run a Sequential model's layers one by one, without the plan."""
    out = x
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        out = layer(out)
    return out


def _fused_steps(model):
    return [s[0] for s in model._plan.steps if isinstance(s[0], FusedStep)]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_sequential_chains_fuse_and_match(data_format):
    shape = (10, 10, 3) if data_format == "channels_last" else (3, 10, 10)
    axis = -1 if data_format == "channels_last" else 1
    model = convkit.Sequential([
        L.Input(shape),
        L.Conv2D(8, 3, padding="same", data_format=data_format), L.BatchNormalization(axis=axis), L.ReLU(6.0),
        L.DepthwiseConv2D(3, strides=2, padding="same", data_format=data_format),
        L.BatchNormalization(axis=axis), L.Activation("swish"),
        L.Conv2D(6, 1, data_format=data_format), L.LeakyReLU(0.1),
        L.GlobalAveragePooling2D(data_format=data_format),
        L.Dense(5), L.BatchNormalization(), L.Activation("tanh"),
    ])
    _randomize(model)
    x = np.random.default_rng(1).standard_normal((4,) + shape).astype(np.float32)
    got = model.predict(x, verbose=0)
    assert len(_fused_steps(model)) == 4
    want = _layer_by_layer(model, x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_set_weights_after_predict_refolds():
    model = convkit.Sequential([L.Input((6, 6, 2)), L.Conv2D(3, 3), L.BatchNormalization(), L.ReLU()])
    _randomize(model, 0)
    x = np.random.default_rng(2).standard_normal((2, 6, 6, 2)).astype(np.float32)
    first = model.predict(x, verbose=0)
    _randomize(model, 5)
    second = model.predict(x, verbose=0)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(second, _layer_by_layer(model, x), rtol=1e-5, atol=1e-5)
    bn = model.layers[1]
    g, b, m, v = bn.get_weights()
    bn.set_weights([g * 2, b, m, v])  # one layer of the chain changes
    np.testing.assert_allclose(model.predict(x, verbose=0), _layer_by_layer(model, x), rtol=1e-5, atol=1e-5)


def test_visible_intermediates_are_not_fused():
    inp = L.Input((8, 8, 3))
    conv_layer, bn_layer = L.Conv2D(4, 3, padding="same"), L.BatchNormalization()
    conv = conv_layer(inp)
    act = L.ReLU()(bn_layer(conv))
    side = L.Conv2D(4, 1)(inp)
    two_readers = L.BatchNormalization()(side)
    a = L.ReLU()(two_readers)
    b = L.Activation("sigmoid")(two_readers)
    model = convkit.Model(inp, [act, conv, L.add([a, b])])  # conv's output is a model output
    _randomize(model)
    x = np.random.default_rng(3).standard_normal((2, 8, 8, 3)).astype(np.float32)
    outs = model.predict(x, verbose=0)
    fused = _fused_steps(model)
    # conv -> bn is visible (model output): no chain from conv; side -> bn fuses (bn has two readers,
    # so the activation after it cannot join)
    assert [len(f.layers) for f in fused] == [2]
    ref_conv = conv_layer(x)
    np.testing.assert_allclose(outs[1], ref_conv, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(outs[0], np.maximum(bn_layer(ref_conv), 0), rtol=1e-5, atol=1e-5)


def test_batchnorm_on_another_axis_runs_unfused():
    model = convkit.Sequential([L.Input((5, 5, 5)), L.Conv2D(5, 1), L.BatchNormalization(axis=1), L.ReLU()])
    _randomize(model)
    x = np.random.default_rng(4).standard_normal((2, 5, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), _layer_by_layer(model, x), rtol=1e-6, atol=1e-6)


def _merge_steps(model):
    return [s[0] for s in model._plan.steps if isinstance(s[0], MergeActivationStep)]


def test_residual_add_then_relu_runs_in_place_and_matches():
    """Add -> ReLU (the residual join of a ResNet block) and Concatenate -> swish fuse into one
    step whose activation runs on the merge's own output: the same bits as the layers called in
    turn, and the inputs untouched."""
    conv, add1, relu1 = L.Conv2D(4, 3, padding="same"), L.Add(), L.ReLU()
    cat, swish, add2, relu6 = L.Concatenate(), L.Activation("swish"), L.Add(), L.ReLU(6.0)
    inp = L.Input((6, 6, 4))
    joined = relu1(add1([conv(inp), inp]))
    c = swish(cat([joined, inp]))
    model = convkit.Model(inp, relu6(add2([c, c])))
    _randomize(model)

    def layer_by_layer(x):
        j = relu1(add1([conv(x), x]))
        cc = swish(cat([j, x]))
        return relu6(add2([cc, cc]))

    x = np.random.default_rng(6).standard_normal((3, 6, 6, 4)).astype(np.float32) * 3
    for _ in range(2):  # the first call builds the layers, the second runs the fused steps built
        x_copy = x.copy()
        got = model.predict(x, verbose=0)
        assert len(_merge_steps(model)) == 3
        np.testing.assert_array_equal(x, x_copy)
        np.testing.assert_array_equal(got, layer_by_layer(x))
        x[0, 0, 0, 0] = np.nan  # NaN goes through the in-place activation as through the layer


def test_merge_output_seen_elsewhere_is_not_fused():
    inp = L.Input((4, 4, 2))
    s = L.Add()([inp, inp])
    r = L.ReLU()(s)
    model = convkit.Model(inp, [r, s])  # the sum is a model output: the ReLU must not overwrite it
    x = np.random.default_rng(7).standard_normal((2, 4, 4, 2)).astype(np.float32)
    relu, total = model.predict(x, verbose=0)
    assert not _merge_steps(model)
    np.testing.assert_array_equal(total, x + x)
    np.testing.assert_array_equal(relu, np.maximum(x + x, 0))


def _pass_through_layers():
    return [L.Dropout(0.3), L.Activation("linear"), L.Identity(), L.GaussianNoise(0.1), L.SpatialDropout2D(0.2),
            L.RandomFlip(), L.StochasticDepth(0.1), L.AlphaDropout(0.1)]


def test_pass_through_layers_are_skipped_inside_a_plan(rng):
    # Layers that return their input at inference are no steps of the plan: the next layer reads
    # their input's array. Results equal the model without them.
    inp = convkit.Input((8, 8, 3))
    x = L.Conv2D(4, 3, padding="same")(inp)
    for layer in _pass_through_layers():
        x = layer(x)
    out = L.Conv2D(2, 1)(x)
    model = convkit.Model(inp, out)
    plain_in = convkit.Input((8, 8, 3))
    plain = convkit.Model(plain_in, L.Conv2D(2, 1)(L.Conv2D(4, 3, padding="same")(plain_in)))
    plain.set_weights(model.get_weights())
    data = rng.standard_normal((3, 8, 8, 3)).astype(np.float32)
    before = data.copy()
    np.testing.assert_array_equal(model.predict(data, verbose=0), plain.predict(data, verbose=0))
    np.testing.assert_array_equal(data, before)
    assert len(model._plan.steps) == len(plain._plan.steps)


@pytest.mark.parametrize("make", [lambda: L.Activation("linear"), lambda: L.Dropout(0.5), lambda: L.Identity()])
def test_pass_through_outputs_are_arrays_of_their_own(rng, make):
    # as a model output (or beside the array it passes), the layer still returns a copy: no
    # returned array is the caller's input or another output
    inp = convkit.Input((5, 3))
    hidden = L.Dense(3)(inp)
    model = convkit.Model(inp, [make()(inp), hidden, make()(hidden)])
    data = rng.standard_normal((2, 5, 3)).astype(np.float32)
    a, b, c = model.predict(data, verbose=0)
    np.testing.assert_array_equal(a, data)
    np.testing.assert_array_equal(c, b)
    assert not np.shares_memory(a, data) and not np.shares_memory(b, c)
