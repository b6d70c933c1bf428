"""ReversibleEmbedding, SpectralNormalization, CategoryEncoding and Discretization against Keras 3
(torch backend): outputs with Keras's weights, weight lists, configs both ways, argument errors,
inputs left untouched, output dtypes, and functional models saved by Keras loaded by convkit."""
import numpy as np
import pytest

import convkit
import convkit.layers as ck


def _random_keras_weights(k_layer, rng, scale=0.5):
    weights = [(rng.standard_normal(w.shape) * scale).astype(np.float32) for w in k_layer.get_weights()]
    k_layer.set_weights(weights)
    return weights


def _assert_config_keys_and_values(k_config, c_config, skip=()):
    assert set(c_config) == set(k_config)
    for key, value in k_config.items():
        if key in ("dtype",) + tuple(skip):
            continue
        if key.endswith(("_initializer", "_regularizer", "_constraint")):
            assert (c_config[key] or {}).get("class_name") == (value or {}).get("class_name"), key
        else:
            assert c_config[key] == value, key


def _load_keras_model(keras, k_model, rng, tmp_path, suffix=".keras"):
    """Random weights into Keras's model, saved (`.keras` or legacy `.h5`) and loaded by convkit."""
    pytest.importorskip("h5py")
    k_model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in k_model.get_weights()])
    path = tmp_path / f"model{suffix}"
    k_model.save(path)
    c_model = convkit.models.load_model(path)
    assert [layer.name for layer in c_model.layers] == [layer.name for layer in k_model.layers]
    return c_model


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


# ---- ReversibleEmbedding -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(input_dim=11, output_dim=4),
    dict(input_dim=11, output_dim=4, tie_weights=False),
    dict(input_dim=7, output_dim=5, logit_soft_cap=1.5, reverse_dtype="float32"),
    dict(input_dim=7, output_dim=5, tie_weights=False, logit_soft_cap=3),
])
def test_reversible_embedding_matches_keras(kwargs, keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = keras.layers.ReversibleEmbedding(**kwargs), ck.ReversibleEmbedding(**kwargs)
    ids = rng.integers(0, kwargs["input_dim"], (3, 6))
    k_layer(ids)
    c_layer(ids)
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
    weights = _random_keras_weights(k_layer, rng)
    c_layer.set_weights(k_layer.get_weights())
    for got, want in zip(c_layer.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(c_layer(ids), to_numpy(k_layer(ids)))
    hidden = rng.standard_normal((3, 6, kwargs["output_dim"])).astype(np.float32) * 2
    got = c_layer(hidden, reverse=True)
    assert got.dtype == np.float32 and got.shape == (3, 6, kwargs["input_dim"])
    assert_parity(got, to_numpy(k_layer(hidden, reverse=True)))
    assert_parity(c_layer(hidden[0], reverse=True), to_numpy(k_layer(hidden[0], reverse=True)))  # rank 2
    for reverse, shape in ((False, (None, 6)), (True, (None, 6, kwargs["output_dim"]))):
        assert c_layer.compute_output_shape(shape, reverse=reverse) == tuple(
            k_layer.compute_output_shape(shape, reverse=reverse))


def test_reversible_embedding_config_matches_keras_both_ways(keras, rng, to_numpy, assert_parity):
    kwargs = dict(input_dim=9, output_dim=3, tie_weights=False, embeddings_initializer="glorot_uniform",
                  embeddings_regularizer="l2", embeddings_constraint="non_neg", mask_zero=True,
                  reverse_dtype="float32", logit_soft_cap=2.5, name="tokens")
    k_layer, c_layer = keras.layers.ReversibleEmbedding(**kwargs), ck.ReversibleEmbedding(**kwargs)
    _assert_config_keys_and_values(k_layer.get_config(), c_layer.get_config())
    from_keras = ck.ReversibleEmbedding.from_config(k_layer.get_config())
    _assert_config_keys_and_values(k_layer.get_config(), from_keras.get_config())
    _assert_config_keys_and_values(k_layer.get_config(),
                                   keras.layers.ReversibleEmbedding.from_config(c_layer.get_config()).get_config())
    ids = rng.integers(0, 9, (2, 4))
    k_layer(ids)
    from_keras(ids)
    from_keras.set_weights(_random_keras_weights(k_layer, rng))
    hidden = rng.standard_normal((2, 3)).astype(np.float32)
    assert_parity(from_keras(hidden, reverse=True), to_numpy(k_layer(hidden, reverse=True)))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(input_dim=0, output_dim=4), ValueError, "input_dim"),
    (dict(input_dim=5, output_dim=2.5), ValueError, "output_dim"),
    (dict(input_dim=5, output_dim=4, reverse_dtype="bfloat16"), ValueError, "reverse_dtype"),
    (dict(input_dim=5, output_dim=4, logit_soft_cap=0), ValueError, "logit_soft_cap"),
    (dict(input_dim=5, output_dim=4, logit_soft_cap="2"), ValueError, "logit_soft_cap"),
    (dict(input_dim=5, output_dim=4, embeddings_initializer="nope"), ValueError, "embeddings_initializer"),
])
def test_reversible_embedding_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ck.ReversibleEmbedding(**kwargs)


def test_reversible_embedding_bad_calls(rng):
    layer = ck.ReversibleEmbedding(5, 4)
    with pytest.raises(ValueError, match="last dimension must be 4"):
        layer(rng.standard_normal((2, 3)), reverse=True)
    with pytest.raises(ValueError, match=r"in \[0, input_dim=5\)"):
        layer(np.array([[1, 5]]))
    with pytest.raises(ValueError, match="integer indices"):
        layer(np.array([[1.5, 2.0]]))
    with pytest.raises(TypeError, match="`reverse` must be a boolean"):
        layer(np.array([[1, 2]]), reverse="yes")
    with pytest.raises(ValueError, match="should be passed as a keyword argument"):  # as Keras
        layer(rng.standard_normal((2, 4)), True)
    with pytest.raises(ValueError, match="last dimension must be 4"):
        layer(convkit.Input((3, 6)), reverse=True)


def test_reversible_embedding_takes_array_likes_and_leaves_inputs_alone(rng):
    layer = ck.ReversibleEmbedding(6, 4, tie_weights=False, logit_soft_cap=2.0)
    ids = rng.integers(0, 6, (3, 5))
    hidden = np.asfortranarray(rng.standard_normal((3, 5, 4)))  # float64, Fortran order
    ids_copy, hidden_copy = ids.copy(), hidden.copy()
    forward, reverse = layer(ids), layer(hidden, reverse=True)
    np.testing.assert_array_equal(ids, ids_copy)
    np.testing.assert_array_equal(hidden, hidden_copy)
    assert forward.dtype == reverse.dtype == np.float32 and reverse.flags.c_contiguous
    np.testing.assert_array_equal(layer(ids.tolist()), forward)
    np.testing.assert_array_equal(layer(ids.astype(np.float64)), forward)  # floats holding integers
    np.testing.assert_allclose(layer(hidden.tolist(), reverse=True), reverse, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(layer(np.repeat(hidden, 2, axis=2)[..., ::2], reverse=True), reverse, rtol=1e-6,
                               atol=1e-6)
    # the logits are capped: |logits| < cap
    assert np.all(np.abs(layer(hidden * 100, reverse=True)) < 2.0 + 1e-6)


def test_keras_model_with_reversible_embedding_loads_in_convkit(keras, rng, tmp_path, to_numpy, assert_parity):
    """One layer called twice (embed, then project back), untied weights and a soft cap."""
    L = keras.layers
    ids = keras.Input((6,), dtype="int32")
    tokens = L.ReversibleEmbedding(12, 4, tie_weights=False, logit_soft_cap=3.0)
    logits = tokens(L.Dense(4, activation="tanh")(tokens(ids)), reverse=True)
    k_model = keras.Model(ids, logits)
    c_model = _load_keras_model(keras, k_model, rng, tmp_path)
    for want, got in zip(k_model.get_weights(), c_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, np.asarray(want, np.float32))
    x = rng.integers(0, 12, (3, 6)).astype(np.int32)
    assert_parity(c_model.predict(x, verbose=0), to_numpy(k_model.predict(x, verbose=0)))


def test_reversible_embedding_mask_zero_masks_forward_outputs_only(keras, rng, tmp_path, to_numpy, assert_parity):
    """mask_zero=True: as Keras, the forward output carries the mask (the LSTM skips padded steps);
    the reverse call's logits carry none (the second LSTM reads every step)."""
    L = keras.layers
    ids = keras.Input((6,), dtype="int32")
    tokens = L.ReversibleEmbedding(12, 4, mask_zero=True)
    hidden = tokens(ids)
    k_model = keras.Model(ids, [L.LSTM(3)(hidden), L.LSTM(2)(tokens(hidden, reverse=True))])
    c_model = _load_keras_model(keras, k_model, rng, tmp_path)
    x = rng.integers(1, 12, (3, 6)).astype(np.int32)
    x[:, 4:] = 0
    x[1, 2:] = 0
    assert_parity(c_model.predict(x, verbose=0), to_numpy(k_model.predict(x, verbose=0)))


# ---- SpectralNormalization ---------------------------------------------------------------------------

SN_CASES = {
    "dense": (lambda L: L.Dense(3), (2, 4)),
    "dense_no_bias_2_iterations": (lambda L: L.Dense(5, use_bias=False), (2, 3, 4)),
    "conv2d": (lambda L: L.Conv2D(3, 3, padding="same", activation="relu"), (2, 6, 6, 2)),
    "conv1d_transpose": (lambda L: L.Conv1DTranspose(2, 3, strides=2), (2, 5, 3)),
    "depthwise": (lambda L: L.DepthwiseConv2D(3, depth_multiplier=2), (1, 5, 5, 2)),
    "einsum": (lambda L: L.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d"), (2, 3, 5)),
}


@pytest.mark.parametrize("case", sorted(SN_CASES))
def test_spectral_normalization_matches_keras(case, keras, rng, to_numpy, assert_parity):
    """At inference the wrapped layer runs with its kernel as stored (Keras normalises it only in
    training calls); weights are [kernel, vector_u, the others], vector_u non-trainable."""
    make, shape = SN_CASES[case]
    iterations = 2 if "2_iterations" in case else 1
    k_layer = keras.layers.SpectralNormalization(make(keras.layers), power_iterations=iterations)
    c_layer = ck.SpectralNormalization(make(ck), power_iterations=iterations)
    x = rng.standard_normal(shape).astype(np.float32)
    k_layer(x)
    c_layer(x)
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
    assert [w.shape for w in c_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.name for w in c_layer.trainable_weights] == [w.name for w in k_layer.trainable_weights]
    assert [w.name for w in c_layer.non_trainable_weights] == [w.name for w in k_layer.non_trainable_weights] == [
        "vector_u"]
    weights = _random_keras_weights(k_layer, rng)
    c_layer.set_weights(k_layer.get_weights())
    for got, want in zip(c_layer.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(c_layer.layer.kernel.value, weights[0])  # the kernel is the wrapped layer's
    assert_parity(c_layer(x), to_numpy(k_layer(x)))
    assert_parity(c_layer(x, training=False), to_numpy(k_layer(x, training=False)))
    assert c_layer.compute_output_shape((None,) + shape[1:]) == tuple(k_layer.compute_output_shape((None,) + shape[1:]))
    assert c_layer.count_params() == k_layer.count_params()


def test_spectral_normalization_of_an_embedding_matches_keras(keras, rng, to_numpy, assert_parity):
    k_layer = keras.layers.SpectralNormalization(keras.layers.Embedding(9, 3))
    c_layer = ck.SpectralNormalization(ck.Embedding(9, 3))
    ids = rng.integers(0, 9, (2, 5)).astype(np.float32)  # floats: Keras casts the output to the inputs' dtype
    k_layer(ids)
    c_layer(ids)
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights] == ["embeddings", "vector_u"]
    c_layer.set_weights(_random_keras_weights(k_layer, rng))
    assert_parity(c_layer(ids), to_numpy(k_layer(ids)))
    with pytest.raises(ValueError, match="integer inputs would truncate"):
        c_layer(ids.astype(np.int32))
    with pytest.raises(ValueError, match="integer inputs would truncate"):
        ck.SpectralNormalization(ck.Embedding(9, 3))(convkit.Input((5,), dtype="int32"))


def test_spectral_normalization_config_matches_keras_both_ways(keras, rng, to_numpy, assert_parity):
    k_layer = keras.layers.SpectralNormalization(keras.layers.Conv2D(2, 3, name="conv"), power_iterations=3,
                                                  name="sn")
    c_layer = ck.SpectralNormalization(ck.Conv2D(2, 3, name="conv"), power_iterations=3, name="sn")
    k_config, c_config = k_layer.get_config(), c_layer.get_config()
    assert set(c_config) == set(k_config)
    assert (c_config["name"], c_config["power_iterations"], c_config["layer"]["class_name"]) == (
        k_config["name"], k_config["power_iterations"], k_config["layer"]["class_name"])
    assert set(c_config["layer"]["config"]) == set(k_config["layer"]["config"])
    from_keras = ck.SpectralNormalization.from_config(k_config)
    assert isinstance(from_keras.layer, ck.Conv2D) and from_keras.power_iterations == 3
    x = rng.standard_normal((2, 5, 5, 4)).astype(np.float32)
    k_layer(x)
    from_keras(x)
    from_keras.set_weights(_random_keras_weights(k_layer, rng))
    assert_parity(from_keras(x), to_numpy(k_layer(x)))


def _call_twice(layer, first_shape, second_shape):
    layer(np.zeros(first_shape, np.float32))
    layer(np.zeros(second_shape, np.float32))


@pytest.mark.parametrize("make", [
    lambda L: L.SpectralNormalization(L.Dense(2), power_iterations=0),
    lambda L: L.SpectralNormalization("dense"),
    lambda L: L.SpectralNormalization(L.BatchNormalization())(np.zeros((2, 3), np.float32)),
    lambda L: L.SpectralNormalization(L.LSTM(2))(np.zeros((2, 3, 4), np.float32)),
    lambda L: L.SpectralNormalization(L.Dense(2), power_iterations=-1),
    lambda L: _call_twice(L.SpectralNormalization(L.Dense(2)), (2, 3, 4), (2, 5)),  # built for 4 features, not 5
])
def test_spectral_normalization_bad_arguments_raise_as_keras(make, keras):
    with pytest.raises((ValueError, TypeError)) as k_error:
        make(keras.layers)
    with pytest.raises((ValueError, TypeError)) as c_error:
        make(ck)
    assert c_error.type is k_error.type, (c_error.value, k_error.value)


def test_spectral_normalization_leaves_inputs_alone_and_takes_array_likes(rng):
    layer = ck.SpectralNormalization(ck.Dense(3))
    x = np.asfortranarray(rng.standard_normal((4, 5)))
    copy = x.copy()
    y = layer(x)
    np.testing.assert_array_equal(x, copy)
    assert y.dtype == np.float32
    np.testing.assert_allclose(layer(x.tolist()), y, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="training=True"):
        layer(x, training=True)  # Keras rewrites the kernel in a training call


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_model_with_spectral_normalization_loads_in_convkit(suffix, keras, rng, tmp_path, to_numpy,
                                                                  assert_parity):
    """Every weight (vector_u too: a `.keras` file keeps it in the wrapper's own group, a legacy
    `.h5` file lists it with the others) and Keras's numbers."""
    L = keras.layers
    x = keras.Input((5, 5, 2))
    y = L.SpectralNormalization(L.Conv2D(3, 3, activation="relu"))(x)
    y = L.SpectralNormalization(L.Dense(2), power_iterations=2)(L.Flatten()(y))
    k_model = keras.Model(x, y)
    c_model = _load_keras_model(keras, k_model, rng, tmp_path, suffix)
    for k_layer, c_layer in zip(k_model.layers, c_model.layers):
        assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
        for k_weight, c_weight in zip(k_layer.weights, c_layer.weights):
            np.testing.assert_array_equal(c_weight.numpy(), np.asarray(k_weight.numpy(), np.float32))
    xs = rng.standard_normal((3, 5, 5, 2)).astype(np.float32)
    assert_parity(c_model.predict(xs, verbose=0), to_numpy(k_model.predict(xs, verbose=0)))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_convkit_models_with_spectral_normalization_and_group_query_attention_load_in_keras(
        suffix, keras, rng, tmp_path, to_numpy, assert_parity):
    L = convkit.layers
    inp, seq = convkit.Input((5,)), convkit.Input((4, 6))
    model = convkit.Model([inp, seq], [L.SpectralNormalization(L.Dense(3))(inp),
                                       L.GroupQueryAttention(4, 2, 1)(seq, seq)])
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()])
    path = str(tmp_path / f"m{suffix}")
    model.save(path)
    k_model = keras.saving.load_model(path)
    for c_weight, k_weight in zip(model.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(c_weight, np.asarray(k_weight, np.float32))  # vector_u included
    xs = [rng.standard_normal((2, 5)).astype(np.float32), rng.standard_normal((2, 4, 6)).astype(np.float32)]
    assert_parity(model.predict(xs, verbose=0), to_numpy(k_model.predict(xs, verbose=0)))
    back = convkit.models.load_model(path)
    for a, b in zip(model.get_weights(), back.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---- CategoryEncoding --------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "binary"])
@pytest.mark.parametrize("shape", [(), (5,), (4, 3), (4, 1), (2, 3, 2)])
def test_category_encoding_matches_keras(mode, shape, keras, rng, to_numpy):
    k_layer, c_layer = (m.CategoryEncoding(6, output_mode=mode) for m in (keras.layers, ck))
    ids = rng.integers(0, 6, shape)
    if len(shape) > 2 and mode != "one_hot":
        with pytest.raises(ValueError, match="rank 0, 1 or 2"):
            c_layer(ids)
        return
    got = c_layer(ids)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, to_numpy(k_layer(ids)))
    if shape:
        batch = (None,) + shape[1:]
        assert c_layer.compute_output_shape(batch) == tuple(k_layer.compute_output_shape(batch))


def test_category_encoding_count_weights_match_keras(keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = (m.CategoryEncoding(5, output_mode="count") for m in (keras.layers, ck))
    for shape in ((6,), (3, 4)):
        ids = rng.integers(0, 5, shape)
        weights = rng.uniform(0, 2, shape).astype(np.float32)
        assert_parity(c_layer(ids, count_weights=weights), to_numpy(k_layer(ids, count_weights=weights)))
    with pytest.raises(ValueError, match="`count_weights` is not used"):
        keras.layers.CategoryEncoding(5)(ids, count_weights=weights)
    with pytest.raises(ValueError, match="`count_weights` is not used"):
        ck.CategoryEncoding(5)(ids, count_weights=weights)
    with pytest.raises(ValueError, match="count_weights"):
        c_layer(ids, count_weights=np.ones((2, 2)))


def test_category_encoding_config_matches_keras_both_ways(keras):
    for kwargs in (dict(num_tokens=4), dict(num_tokens=7, output_mode="count", name="counts"),
                   dict(num_tokens=3, output_mode="binary")):
        k_layer, c_layer = keras.layers.CategoryEncoding(**kwargs), ck.CategoryEncoding(**kwargs)
        _assert_config_keys_and_values(k_layer.get_config(), c_layer.get_config(), skip=("name",))
        _assert_config_keys_and_values(k_layer.get_config(),
                                       ck.CategoryEncoding.from_config(k_layer.get_config()).get_config())
        _assert_config_keys_and_values(
            k_layer.get_config(), keras.layers.CategoryEncoding.from_config(c_layer.get_config()).get_config(),
            skip=("name",))


@pytest.mark.parametrize("kwargs", [dict(), dict(num_tokens=0), dict(num_tokens=3, output_mode="int"),
                                    dict(num_tokens=3, output_mode="tf_idf")])
def test_category_encoding_bad_arguments_fail_as_in_keras(kwargs, keras):
    with pytest.raises(ValueError) as k_error:
        keras.layers.CategoryEncoding(**kwargs)
    with pytest.raises(ValueError) as c_error:
        ck.CategoryEncoding(**kwargs)
    assert str(c_error.value).split(".")[0].split(":")[0] == str(k_error.value).split(".")[0].split(":")[0]


def test_category_encoding_refuses_what_it_cannot_encode():
    with pytest.raises(ValueError, match="sparse"):
        ck.CategoryEncoding(3, sparse=True)
    with pytest.raises(ValueError, match="num_tokens"):
        ck.CategoryEncoding(2.5)
    layer = ck.CategoryEncoding(4, output_mode="one_hot")
    for bad, match in (([[4]], r"in \[0, 4\)"), ([[-1]], r"in \[0, 4\)"), ([[1.5]], "integer indices"),
                       ([[np.nan]], "integer indices"), ([[np.inf]], "integer indices")):
        with pytest.raises(ValueError, match=match):
            layer(np.array(bad))
    with pytest.raises(TypeError, match="integer indices"):
        layer(np.array([["a"]]))
    with pytest.raises(ValueError, match="tensor of the model"):
        ck.CategoryEncoding(4, output_mode="count")(convkit.Input((3,)), count_weights=np.ones((1, 3)))


def test_category_encoding_takes_array_likes_and_leaves_inputs_alone(rng):
    layer = ck.CategoryEncoding(5, output_mode="count")
    ids = rng.integers(0, 5, (3, 6))
    weights = np.asfortranarray(rng.uniform(0, 1, (3, 6)))
    copies = ids.copy(), weights.copy()
    got = layer(ids, count_weights=weights)
    np.testing.assert_array_equal(ids, copies[0])
    np.testing.assert_array_equal(weights, copies[1])
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_allclose(layer(ids.tolist(), count_weights=weights.tolist()), got, rtol=1e-6)
    np.testing.assert_array_equal(layer(ids.astype(np.float64)[:, ::-1]), layer(ids))  # order within a sample
    np.testing.assert_array_equal(layer(ids).sum(axis=1), np.full(3, 6.0))


def test_keras_model_with_category_encoding_loads_in_convkit(keras, rng, tmp_path, to_numpy, assert_parity):
    L = keras.layers
    ids, weights = keras.Input((4,), dtype="int32"), keras.Input((4,))
    counts = L.CategoryEncoding(7, output_mode="count")(ids, count_weights=weights)
    one_hot = L.Flatten()(L.CategoryEncoding(7, output_mode="one_hot")(ids))
    k_model = keras.Model([ids, weights], [L.Dense(3)(counts), L.CategoryEncoding(7)(ids), one_hot])
    c_model = _load_keras_model(keras, k_model, rng, tmp_path)
    xs = [rng.integers(0, 7, (3, 4)).astype(np.int32), rng.uniform(0, 1, (3, 4)).astype(np.float32)]
    assert_parity(c_model.predict(xs, verbose=0), to_numpy(k_model.predict(xs, verbose=0)))


# ---- Discretization ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (3, 1), (2, 3, 4)])
def test_discretization_matches_keras(mode, shape, keras, rng, to_numpy):
    boundaries = [-1.0, -0.25, 0.0, 0.1, 1.5]
    k_layer, c_layer = (m.Discretization(bin_boundaries=boundaries, output_mode=mode) for m in (keras.layers, ck))
    x = rng.standard_normal(shape).astype(np.float32)
    x.flat[0], x.flat[-1] = 0.1, np.float32(-0.25)  # values on boundaries go to the bin they start
    got, want = c_layer(x), to_numpy(k_layer(x))
    assert got.dtype == (np.int32 if mode == "int" else np.float32) == want.dtype
    np.testing.assert_array_equal(got, want)
    batch = (None,) + shape[1:]
    assert c_layer.compute_output_shape(batch) == tuple(k_layer.compute_output_shape(batch))


def test_discretization_special_values_and_dtypes_match_keras(keras, to_numpy):
    k_layer, c_layer = (m.Discretization(bin_boundaries=[0.1, 1.0, 1e30]) for m in (keras.layers, ck))
    x = np.array([[np.nan, -np.inf, np.inf, 0.1, 1e30, 0.99999994, 1.0]], np.float64)
    np.testing.assert_array_equal(c_layer(x), to_numpy(k_layer(x)))
    ints = np.array([[0, 1, 2]])
    np.testing.assert_array_equal(c_layer(ints), to_numpy(k_layer(ints)))
    # a boundary just above float32(0.1) that rounds to it: compared in float32, 0.1 is on it (bin 1)
    k_near, c_near = (m.Discretization(bin_boundaries=[0.1000000015]) for m in (keras.layers, ck))
    point = np.array([np.float32(0.1)])
    np.testing.assert_array_equal(c_near(point), to_numpy(k_near(point)))
    assert c_near(point)[0] == 1
    empty = ck.Discretization(bin_boundaries=[], output_mode="one_hot")
    np.testing.assert_array_equal(empty(np.array([1.0, -3.0])), to_numpy(
        keras.layers.Discretization(bin_boundaries=[], output_mode="one_hot")(np.array([1.0, -3.0]))))


def _keras_adapt(layer, batches):
    """Keras's adapt without its tf.data check (TensorFlow is not installed): the same steps."""
    layer.reset_state()
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()


@pytest.mark.parametrize("num_bins, epsilon, sizes", [
    (4, 0.01, [1000]),
    (5, 0.3, [37, 50]),  # 1 / epsilon is not a whole number
    (3, 0.01, [10]),  # fewer values than 1 / epsilon: the summary keeps them all
    (7, 0.05, [200, 200, 3, 200]),
    (10, 0.001, [5000, 20]),
])
def test_discretization_adapt_matches_keras(num_bins, epsilon, sizes, keras, rng, to_numpy):
    batches = [(rng.standard_normal(n) * (i + 1)).astype(np.float32) for i, n in enumerate(sizes)]
    batches[0][:5] = batches[0][0]  # ties
    k_layer = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    _keras_adapt(k_layer, batches)
    c_layer = ck.Discretization(num_bins=num_bins, epsilon=epsilon)
    c_layer.adapt(batches if len(batches) > 1 else batches[0])
    assert c_layer.bin_boundaries == k_layer.bin_boundaries
    x = rng.standard_normal((4, 6)).astype(np.float32)
    np.testing.assert_array_equal(c_layer(x), to_numpy(k_layer(x)))
    # the adapted config (num_bins and bin_boundaries) goes both ways
    assert c_layer.get_config() == {**k_layer.get_config(), "dtype": c_layer.dtype, "name": c_layer.name}
    again = ck.Discretization.from_config(k_layer.get_config())
    assert again.bin_boundaries == k_layer.bin_boundaries and again.num_bins == num_bins
    assert keras.layers.Discretization.from_config(c_layer.get_config()).bin_boundaries == c_layer.bin_boundaries


def test_discretization_adapt_data_forms(rng):
    data = rng.standard_normal((40, 3))
    one = ck.Discretization(num_bins=4)
    one.adapt(data)
    batches = ck.Discretization(num_bins=4)
    batches.adapt(iter([data[:20], data[20:], data[:5]]), steps=2)  # a generator, stopped after 2 batches
    listed = ck.Discretization(num_bins=4)
    listed.adapt([data[:20], data[20:]])  # a list holds batches
    assert batches.bin_boundaries == listed.bin_boundaries
    assert len(one.bin_boundaries) == 3 and one.bin_boundaries == sorted(one.bin_boundaries)
    copy = data.copy()
    one.adapt(data)
    np.testing.assert_array_equal(data, copy)


def test_discretization_config_matches_keras_both_ways(keras):
    for kwargs in (dict(bin_boundaries=[0.0, 1.0]), dict(num_bins=3, epsilon=0.05, output_mode="count", name="d")):
        k_layer, c_layer = keras.layers.Discretization(**kwargs), ck.Discretization(**kwargs)
        k_config, c_config = k_layer.get_config(), c_layer.get_config()
        assert "trainable" not in c_config  # Keras's Discretization has no such argument
        _assert_config_keys_and_values(k_config, c_config, skip=("name",) if "name" not in kwargs else ())
        assert ck.Discretization.from_config(k_config).get_config() == {**k_config, "dtype": "float32"}
        _assert_config_keys_and_values(k_config, keras.layers.Discretization.from_config(c_config).get_config(),
                                       skip=("name",) if "name" not in kwargs else ())


@pytest.mark.parametrize("kwargs", [
    dict(), dict(num_bins=-1), dict(num_bins=2, bin_boundaries=[0.0]), dict(bin_boundaries=[0.0], output_mode="x"),
    dict(bin_boundaries=[0.0], output_mode="one_hot", sparse=True),
])
def test_discretization_bad_arguments_fail_as_in_keras(kwargs, keras):
    with pytest.raises(ValueError):
        keras.layers.Discretization(**kwargs)
    with pytest.raises(ValueError, match="sparse" if "sparse" in kwargs else "num_bins|output_mode"):
        ck.Discretization(**kwargs)


def test_discretization_takes_only_kerass_constructor_arguments(keras):
    for extra in (dict(trainable=False), dict(input_shape=(3,))):
        with pytest.raises(TypeError):
            keras.layers.Discretization(bin_boundaries=[0.0], **extra)
        with pytest.raises(TypeError):
            ck.Discretization(bin_boundaries=[0.0], **extra)


def test_discretization_refuses_what_it_cannot_do(keras):
    for bad in ([1.0, 0.0], [[0.0, 1.0]], ["a"], [0.0, np.nan]):
        with pytest.raises(ValueError, match="bin_boundaries"):
            ck.Discretization(bin_boundaries=bad)
    with pytest.raises(ValueError, match="epsilon"):
        ck.Discretization(num_bins=2, epsilon=0)
    with pytest.raises(ValueError, match="Cannot adapt"):
        keras.layers.Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
    with pytest.raises(ValueError, match="Cannot adapt"):
        ck.Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
    with pytest.raises(ValueError, match="call `adapt"):
        keras.layers.Discretization(num_bins=2)(np.zeros(3))
    with pytest.raises(ValueError, match="call `adapt"):
        ck.Discretization(num_bins=2)(np.zeros(3))
    with pytest.raises(TypeError, match="numeric"):
        ck.Discretization(bin_boundaries=[0.0])(np.array(["a"]))


def test_discretization_leaves_inputs_alone(rng):
    layer = ck.Discretization(bin_boundaries=[-0.5, 0.5], output_mode="multi_hot")
    x = np.asfortranarray(rng.standard_normal((3, 4)))
    copy = x.copy()
    got = layer(x)
    np.testing.assert_array_equal(x, copy)
    np.testing.assert_array_equal(layer(x.tolist()), got)
    np.testing.assert_array_equal(layer(np.repeat(x, 2, axis=1)[:, ::2]), got)


def test_keras_model_with_discretization_loads_in_convkit(keras, rng, tmp_path, to_numpy, assert_parity):
    """Bin indices (int32) into an Embedding, and a one-hot encoding into a Dense layer; an
    adapted layer (num_bins and its boundaries in the config)."""
    L = keras.layers
    x = keras.Input((4,))
    adapted = L.Discretization(num_bins=3, name="adapted")
    _keras_adapt(adapted, [rng.standard_normal(100).astype(np.float32)])
    bins = L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5], name="bins")(x)
    one_hot = L.Flatten()(L.Discretization(bin_boundaries=[0.0], output_mode="one_hot")(x))
    k_model = keras.Model(x, [bins, L.Flatten()(L.Embedding(4, 2)(bins)), L.Dense(2)(one_hot), adapted(x)])
    c_model = _load_keras_model(keras, k_model, rng, tmp_path)
    assert c_model.get_layer("adapted").bin_boundaries == adapted.bin_boundaries
    xs = rng.standard_normal((3, 4)).astype(np.float32)
    got, want = c_model.predict(xs, verbose=0), to_numpy(k_model.predict(xs, verbose=0))
    assert [g.dtype for g in got] == [np.int32, np.float32, np.float32, np.int32]
    assert_parity([g.astype(np.float32) for g in got], want)
