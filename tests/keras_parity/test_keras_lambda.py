"""Lambda against Keras 3 (torch backend): outputs of numpy-compatible functions, several inputs and
`arguments`, inferred and given output shapes in functional models, masks, configs both ways
(named functions and lambdas), .keras files written by Keras and loaded by convkit under safe mode
and with unsafe loading allowed, argument errors, inputs left untouched."""
import numpy as np
import pytest

import convkit
import convkit.layers as ck
from convkit.layers import lambda_layer


def double_plus(x, offset=1.0):
    """A named module-level function (written by name in configs)."""
    return x * 2 + offset


def _mixed(xs):
    return xs[0] * xs[1] - xs[0]


FUNCTIONS = {
    "affine": (lambda x: x * 2 + 1, {}),
    "slice": (lambda x: x[:, 1:, :3], {}),  # (torch tensors take no negative steps)
    "arguments": (lambda x, scale, shift: x * scale + shift, {"scale": 0.5, "shift": -3.0}),
    "named": (double_plus, {"offset": 4.0}),
    "square": (lambda x: x ** 2, {}),
}


@pytest.mark.parametrize("case", sorted(FUNCTIONS))
def test_lambda_outputs_match_keras(case, keras, rng, to_numpy, assert_parity):
    fn, arguments = FUNCTIONS[case]
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    expected = to_numpy(keras.layers.Lambda(fn, arguments=arguments)(x))
    got = ck.Lambda(fn, arguments=arguments)(x)
    assert_parity(got, expected)
    assert got.flags.c_contiguous


def test_several_inputs_and_outputs_match_keras(keras, rng, to_numpy, assert_parity):
    a, b = rng.standard_normal((2, 6)), rng.standard_normal((2, 6))
    assert_parity(ck.Lambda(_mixed)([a, b]), to_numpy(keras.layers.Lambda(_mixed)([a, b])))
    split = lambda x: [x[:, :2], x[:, 2:] * 3]  # noqa: E731
    got = ck.Lambda(split)(a)
    assert isinstance(got, list) and len(got) == 2
    assert_parity(got, to_numpy(keras.layers.Lambda(split)(a)))


def test_function_written_with_keras_ops_returns_float32_numpy(keras, rng, to_numpy, assert_parity):
    fn = lambda x: keras.ops.relu(x) - keras.ops.mean(x, axis=-1, keepdims=True)  # noqa: E731
    x = rng.standard_normal((4, 7))
    got = ck.Lambda(fn)(x)
    assert type(got) is np.ndarray and got.dtype == np.float32
    assert_parity(got, to_numpy(keras.layers.Lambda(fn)(x.astype(np.float32))))


def test_any_array_like_is_accepted_and_output_is_float32_contiguous(rng):
    base = rng.standard_normal((4, 6))
    layer = ck.Lambda(lambda x: x + 1)
    for x in (base[0].tolist(), base, base.T.copy().T, base[:, ::2], base.astype(np.int32)):
        got = layer(x)
        assert got.dtype == np.float32 and got.flags.c_contiguous
        np.testing.assert_allclose(got, np.asarray(x, np.float32) + 1, rtol=1e-6)
    assert ck.Lambda(lambda x: x > 0)(np.array([-1.0, 2.0])).tolist() == [0.0, 1.0]
    # a list of lists is several inputs (as a list of tensors is in Keras), each converted
    got = ck.Lambda(lambda xs: xs[0] - xs[1])(base[:2].tolist())
    np.testing.assert_allclose(got, (base[0] - base[1]).astype(np.float32), rtol=1e-6)


SHAPE_CASES = {
    "same": (lambda x: x * 2, None, (None, 3)),
    "drop_first_step": (lambda x: x[:, 1:], None, (None, 3)),
    "sum_time": (lambda x: x.sum(axis=1), None, (None, 3)),
    "first_two_steps": (lambda x: x[:, :2], None, (None, 3)),
    "tuple": (lambda x: x[:, 0], (3,), (None, 3)),
    "callable": (lambda x: x[:, 0], lambda s: (s[0], s[2]), (None, 3)),
    "fixed_input": (lambda x: x.reshape((x.shape[0], -1)), None, (4, 3)),
}


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_functional_output_shapes_match_keras(case, keras, rng, to_numpy, assert_parity):
    fn, output_shape, input_shape = SHAPE_CASES[case]
    k_in = keras.Input(input_shape)
    k_out = keras.layers.Lambda(fn, output_shape=output_shape)(k_in)
    c_in = convkit.Input(input_shape)
    c_out = ck.Lambda(fn, output_shape=output_shape)(c_in)
    assert c_out.shape == tuple(k_out.shape)
    x = rng.standard_normal((2, 5 if input_shape[0] is None else input_shape[0], 3)).astype(np.float32)
    got = convkit.Model(c_in, c_out).predict(x, verbose=0)
    assert_parity(got, to_numpy(keras.Model(k_in, k_out).predict(x, verbose=0)))


def test_several_inputs_and_list_output_shapes_match_keras(keras):
    split = lambda xs: [xs[0] * xs[1], xs[0][:, :1]]  # noqa: E731
    k_out = keras.layers.Lambda(split)([keras.Input((None, 4)), keras.Input((None, 4))])
    c_out = ck.Lambda(split)([convkit.Input((None, 4)), convkit.Input((None, 4))])
    assert [t.shape for t in c_out] == [tuple(t.shape) for t in k_out]
    k_given = keras.layers.Lambda(split, output_shape=[(5, 4), (1, 4)])([keras.Input((5, 4)), keras.Input((5, 4))])
    c_given = ck.Lambda(split, output_shape=[(5, 4), (1, 4)])([convkit.Input((5, 4)), convkit.Input((5, 4))])
    assert [t.shape for t in c_given] == [tuple(t.shape) for t in k_given]


def test_masks_match_keras(keras, to_numpy, assert_parity):
    ids = np.array([[3, 1, 0, 0], [2, 5, 4, 0]])
    for mask in (None, lambda inputs, mask: mask):
        k_layer, c_layer = keras.layers.Lambda(lambda x: x * 2, mask=mask), ck.Lambda(lambda x: x * 2, mask=mask)
        assert c_layer.supports_masking == k_layer.supports_masking == (mask is not None)
        models = []
        for lib, layer in ((keras, k_layer), (convkit, c_layer)):
            inp = lib.Input((4,))
            emb = lib.layers.Embedding(6, 3, mask_zero=True, name="emb")
            models.append((lib.Model(inp, lib.layers.GlobalAveragePooling1D()(layer(emb(inp)))), emb))
        (k_model, k_emb), (c_model, c_emb) = models
        c_emb.set_weights(k_emb.get_weights())
        assert_parity(c_model.predict(ids, verbose=0), to_numpy(k_model.predict(ids, verbose=0)))
    fixed = np.array([[True, False, True]])
    k_layer, c_layer = keras.layers.Lambda(lambda x: x, mask=fixed), ck.Lambda(lambda x: x, mask=fixed)
    x = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(c_layer.compute_mask(x), to_numpy(k_layer.compute_mask(x)))
    given = np.array([[False, True, True]])
    swap = lambda inputs, mask: ~mask  # noqa: E731
    np.testing.assert_array_equal(ck.Lambda(lambda x: x, mask=swap).compute_mask(x, given), ~given)


def _keras_config(keras, layer):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns about serializing lambdas
        return layer.get_config()


def test_configs_match_keras_for_named_functions_and_lambdas(keras):
    fn = lambda x, k: x * k  # noqa: E731
    shape_fn = lambda s: s  # noqa: E731
    mask_fn = lambda inputs, mask: mask  # noqa: E731
    cases = [
        dict(function=double_plus),
        dict(function=double_plus, output_shape=(4, 2), arguments={"offset": np.float32(2.5)}),
        dict(function=fn, arguments={"k": np.array([1.5, 2.0])}, mask=mask_fn),
        dict(function=fn, output_shape=shape_fn, arguments={"k": 3}, mask=np.array([True, False])),
    ]
    for kwargs in cases:
        k_config = _keras_config(keras, keras.layers.Lambda(name="lam", **kwargs))
        c_config = ck.Lambda(name="lam", **kwargs).get_config()
        assert list(c_config) == list(k_config)
        for key in k_config:
            if key != "dtype":  # Keras writes a dtype policy, convkit the dtype's name
                assert c_config[key] == k_config[key], key
    assert ck.Lambda(double_plus).get_config()["function"] == {
        "module": "builtins", "class_name": "function", "config": "double_plus", "registered_name": "function"}


def test_keras_configs_load_with_safe_mode_rules(keras, rng, to_numpy, assert_parity):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    scale = np.float32(1.5)
    k_layer = keras.layers.Lambda(lambda x, k: x * k + scale, arguments={"k": np.array([1.0, 2.0, 3.0])},
                                  output_shape=(3,))
    expected = to_numpy(k_layer(x))
    config = _keras_config(keras, k_layer)
    before = repr(config)
    with pytest.raises(ValueError, match="safe_mode=False"):
        ck.Lambda.from_config(config)
    with pytest.raises(ValueError, match="lambda"):
        ck.Lambda.from_config(config, safe_mode=True)
    with lambda_layer.SafeModeScope(False):
        with pytest.raises(ValueError, match="lambda"):
            ck.Lambda.from_config(config, safe_mode=True)  # an explicit safe_mode wins over the scope
        scoped = ck.Lambda.from_config(config)
    assert lambda_layer.in_safe_mode() is None
    unsafe = ck.Lambda.from_config(config, safe_mode=False)
    for layer in (scoped, unsafe):
        assert_parity(layer(x), expected)
        assert layer._output_shape == (3,)
    assert repr(config) == before  # from_config leaves the config as it was
    named = _keras_config(keras, keras.layers.Lambda(double_plus, arguments={"offset": 0.5}))
    with pytest.raises(TypeError, match="double_plus"):
        ck.Lambda.from_config(named)
    loaded = ck.Lambda.from_config(named, custom_objects={"double_plus": double_plus})  # no lambda: safe is fine
    assert_parity(loaded(x), x * 2 + 0.5)
    relu = ck.Lambda.from_config(_keras_config(keras, keras.layers.Lambda(keras.activations.relu)))
    assert_parity(relu(x), np.maximum(x, 0))


def test_convkit_config_round_trip_keeps_defaults_and_closures(rng):
    offset = np.float32(0.25)
    layer = ck.Lambda(lambda x, p=3.0: x * p + offset, output_shape=(2,), mask=lambda i, m: m)
    config = layer.get_config()
    with pytest.raises(ValueError, match="lambda"):
        ck.Lambda.from_config(config)
    again = ck.Lambda.from_config(config, safe_mode=False)
    x = rng.standard_normal((3, 2))
    np.testing.assert_allclose(again(x), (x * 3.0 + 0.25).astype(np.float32), rtol=1e-6)
    assert again.supports_masking and again.get_config()["output_shape"] == (2,)


def _save_keras_model(keras, k_model, tmp_path):
    import warnings

    pytest.importorskip("h5py")
    path = tmp_path / "lambda_model.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k_model.save(path)
    return path


def test_keras_model_with_lambda_loads_only_when_unsafe_loading_is_allowed(keras, rng, tmp_path, to_numpy,
                                                                           assert_parity):
    k_in = keras.Input((None, 4))
    h = keras.layers.Dense(5, name="dense")(k_in)
    h = keras.layers.Lambda(lambda t: t[:, 1:] * 0.5 + 1.0, name="flip")(h)
    k_out = keras.layers.Lambda(keras.activations.relu, name="relu_fn")(h)
    k_model = keras.Model(k_in, k_out)
    k_model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in k_model.get_weights()])
    path = _save_keras_model(keras, k_model, tmp_path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        convkit.models.load_model(path)
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    want = to_numpy(k_model.predict(x, verbose=0))
    c_model = convkit.models.load_model(path, safe_mode=False)  # as keras.saving.load_model
    assert lambda_layer.in_safe_mode() is None  # only for that call
    assert [layer.name for layer in c_model.layers] == [layer.name for layer in k_model.layers]
    assert_parity(c_model.predict(x, verbose=0), want)
    with lambda_layer.deserialization_scope(False):  # an outer scope wins over the loader's default
        assert_parity(convkit.models.load_model(path).predict(x, verbose=0), want)
    with lambda_layer.SafeModeScope(True), pytest.raises(ValueError, match="safe_mode=False"):
        convkit.models.load_model(path, safe_mode=False)  # ... either way, as in Keras


def test_keras_model_with_named_lambda_function_loads_in_safe_mode(keras, rng, tmp_path, to_numpy, assert_parity):
    k_in = keras.Input((3,))
    k_model = keras.Model(k_in, keras.layers.Lambda(keras.activations.tanh, output_shape=(3,))(k_in))
    c_model = convkit.models.load_model(_save_keras_model(keras, k_model, tmp_path))
    x = rng.standard_normal((4, 3)).astype(np.float32)
    assert_parity(c_model.predict(x, verbose=0), to_numpy(k_model.predict(x, verbose=0)))


def test_argument_errors():
    with pytest.raises(TypeError, match="`function` must be callable"):
        ck.Lambda(3)
    with pytest.raises(TypeError, match="`arguments`"):
        ck.Lambda(abs, arguments=[1, 2])
    with pytest.raises(TypeError, match="`output_shape`"):
        ck.Lambda(abs, output_shape="3")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        ck.Lambda(abs, function_type="lambda")
    with pytest.raises(TypeError, match="must return"):
        ck.Lambda(lambda x: "text")(np.ones(3))
    with pytest.raises(NotImplementedError, match="`output_shape`"):
        ck.Lambda(lambda x: x.reshape(-1, 5))(convkit.Input((None, 3)))
    with pytest.raises(ValueError, match="training"):
        ck.Lambda(lambda x, training=None: x)(np.ones(3), training=True)
    np.testing.assert_array_equal(ck.Lambda(lambda x, training=None: x + (training is False))(np.ones(2)), [2, 2])


def test_inference_failure_matches_keras(keras):
    with pytest.raises(NotImplementedError):
        keras.layers.Lambda(lambda x: x.reshape(-1, 5))(keras.Input((None, 3)))


def test_inputs_are_never_modified(rng):
    def in_place(x, mask=None):
        x *= 2
        return x

    x = rng.standard_normal((3, 4)).astype(np.float32)
    keep = x.copy()
    out = ck.Lambda(in_place)(x)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_array_equal(out, keep * 2)

    def both_in_place(xs):
        xs[0] += 1
        xs[1][...] = 0
        return xs[0] + xs[1]

    a, b = x.copy(), x.T.copy().T  # C and Fortran order
    ck.Lambda(both_in_place)([a, b])
    np.testing.assert_array_equal(a, keep)
    np.testing.assert_array_equal(b, keep)
    ident = ck.Lambda(lambda t: t)
    assert not np.shares_memory(ident(x), x)
