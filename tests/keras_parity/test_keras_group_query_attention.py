"""GroupQueryAttention (Keras's class GroupedQueryAttention) against Keras 3 (torch backend):
outputs and scores with Keras's weights (set_weights(keras.get_weights())), masks, weight names
and order, output shapes, configs both ways, argument errors, inputs left untouched, and a
functional model saved by Keras loaded by convkit."""
import numpy as np
import pytest

import convkit
import convkit.layers as ck


def _copy_weights(k_layer, c_layer, rng):
    """Random weights into the Keras layer, the same list into convkit's (checked both ways)."""
    k_layer.set_weights([(rng.standard_normal(w.shape) * 0.5).astype(np.float32) for w in k_layer.get_weights()])
    assert [w.shape for w in c_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    c_layer.set_weights(k_layer.get_weights())
    for got, want in zip(c_layer.get_weights(), k_layer.get_weights(), strict=True):
        np.testing.assert_array_equal(got, np.asarray(want))


def _pair(keras, rng, kwargs, q, v, k=None):
    k_layer, c_layer = keras.layers.GroupQueryAttention(**kwargs), ck.GroupQueryAttention(**kwargs)
    k_layer(q, v, key=k)
    c_layer(q, v, key=k)
    _copy_weights(k_layer, c_layer, rng)
    return k_layer, c_layer


CASES = {
    "grouped": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2), (2, 5, 8), (2, 5, 8), None, {}),
    "multi_query": (dict(head_dim=3, num_query_heads=3, num_key_value_heads=1), (2, 4, 6), (2, 7, 6), None, {}),
    "multi_head": (dict(head_dim=2, num_query_heads=3, num_key_value_heads=3), (2, 4, 6), (2, 4, 6), None, {}),
    "separate_key": (dict(head_dim=3, num_query_heads=4, num_key_value_heads=2), (2, 4, 6), (2, 6, 6), (2, 6, 5),
                     {}),
    "no_bias": (dict(head_dim=4, num_query_heads=6, num_key_value_heads=2, use_bias=False), (1, 5, 8), (1, 5, 8),
                None, {}),
    "causal": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2), (2, 5, 8), (2, 5, 8), None,
               dict(use_causal_mask=True)),
    "causal_cross": (dict(head_dim=4, num_query_heads=2, num_key_value_heads=1), (2, 4, 8), (2, 6, 8), None,
                     dict(use_causal_mask=True)),
    "gate_window": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2, use_gate=True, sliding_window=2),
                    (2, 6, 8), (2, 6, 8), None, {}),
    "window_causal": (dict(head_dim=3, num_query_heads=4, num_key_value_heads=1, sliding_window=3), (2, 6, 8),
                      (2, 6, 8), None, dict(use_causal_mask=True)),
    "dropout_inference": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2, dropout=0.3), (2, 5, 8),
                          (2, 5, 8), None, dict(training=False)),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("scores", [False, True])
def test_group_query_attention_matches_keras(case, scores, keras, rng, to_numpy, assert_parity):
    kwargs, q_shape, v_shape, k_shape, call = CASES[case]
    q, v = (rng.standard_normal(s).astype(np.float32) for s in (q_shape, v_shape))
    k = None if k_shape is None else rng.standard_normal(k_shape).astype(np.float32)
    k_layer, c_layer = _pair(keras, rng, kwargs, q, v, k)
    if scores:
        call = dict(call, return_attention_scores=True)
    want = to_numpy(k_layer(q, v, key=k, **call))
    got = c_layer(q, v, key=k, **call)
    assert_parity(got, want)
    output = got[0] if scores else got
    assert output.flags.c_contiguous
    if scores:
        assert got[1].shape == (q_shape[0], kwargs["num_query_heads"], q_shape[1], v_shape[1])
    shapes = [(None,) + s[1:] for s in (q_shape, v_shape) + ((k_shape,) if k_shape else ())]
    assert c_layer.compute_output_shape(shapes) == tuple(k_layer.compute_output_shape(*shapes)) == (None,) + q_shape[1:]


@pytest.mark.parametrize("mask_shape", [(2, 5, 6), (5, 6), (2, 1, 6), (2, 4, 5, 6)])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scores", [False, True])
def test_group_query_attention_attention_mask_matches_keras(mask_shape, causal, scores, keras, rng, to_numpy,
                                                            assert_parity):
    q = rng.standard_normal((2, 5, 8)).astype(np.float32)
    v = rng.standard_normal((2, 6, 8)).astype(np.float32)
    k_layer, c_layer = _pair(keras, rng, dict(head_dim=3, num_query_heads=4, num_key_value_heads=2), q, v)
    mask = rng.random(mask_shape) < 0.6
    mask[..., 0] = True  # every query position may attend somewhere
    call = dict(attention_mask=mask, use_causal_mask=causal, return_attention_scores=scores)
    want = to_numpy(k_layer(q, v, **call))
    assert_parity(c_layer(q, v, **call), want)
    assert_parity(c_layer(q, v, **dict(call, attention_mask=mask.astype(np.int64))), want)  # non-zero = True


def test_group_query_attention_fully_masked_rows_match_keras(keras, rng, to_numpy, assert_parity):
    """A query position with nothing to attend to: Keras's fused kernel (no scores, no dropout)
    spreads its weight evenly over every key, its other path gives it zero weights."""
    q = rng.standard_normal((2, 4, 6)).astype(np.float32)
    for dropout in (0.0, 0.2):
        kwargs = dict(head_dim=3, num_query_heads=2, num_key_value_heads=1, dropout=dropout)
        k_layer, c_layer = _pair(keras, rng, kwargs, q, q)
        mask = np.ones((2, 4, 4), bool)
        mask[0, 1, :] = False
        mask[1, :, 2] = False
        for scores in (False, True):
            want = to_numpy(k_layer(q, q, attention_mask=mask, return_attention_scores=scores))
            assert_parity(c_layer(q, q, attention_mask=mask, return_attention_scores=scores), want)


def test_group_query_attention_input_masks_match_keras(keras, rng, to_numpy, assert_parity):
    """query_mask / value_mask / key_mask (what a model's masks give the layer), with and
    without an attention mask."""
    q = rng.standard_normal((2, 5, 8)).astype(np.float32)
    v = rng.standard_normal((2, 6, 8)).astype(np.float32)
    k_layer, c_layer = _pair(keras, rng, dict(head_dim=4, num_query_heads=4, num_key_value_heads=2), q, v, v)
    query_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    value_mask = np.array([[1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 1, 0]], bool)
    attention = rng.random((2, 5, 6)) < 0.7
    for call in (dict(query_mask=query_mask), dict(value_mask=value_mask, key_mask=value_mask),
                 dict(query_mask=query_mask, value_mask=value_mask, attention_mask=attention),
                 dict(value_mask=value_mask, use_causal_mask=True, return_attention_scores=True)):
        want = to_numpy(k_layer(q, v, v, **call))
        assert_parity(c_layer(q, v, v, **call), want)


def test_group_query_attention_weight_names_and_order(keras):
    kwargs = dict(head_dim=4, num_query_heads=6, num_key_value_heads=2, use_gate=True)
    k_layer, c_layer = keras.layers.GroupQueryAttention(**kwargs), ck.GroupQueryAttention(**kwargs)
    k_layer.build((None, 5, 7), (None, 6, 7), (None, 6, 9))
    c_layer.build((None, 5, 7), (None, 6, 7), (None, 6, 9))  # Keras's build(query_shape, value_shape, key_shape)
    assert [w.path.split("/", 1)[1] for w in k_layer.weights] == [f"{w._owner.name}/{w.name}" for w in c_layer.weights]
    assert [tuple(w.shape) for w in k_layer.weights] == [w.shape for w in c_layer.weights]
    assert c_layer.count_params() == k_layer.count_params()
    assert (c_layer.num_repeats, c_layer.head_dim, c_layer.num_query_heads, c_layer.num_key_value_heads) == (
        k_layer.num_repeats, k_layer.head_dim, k_layer.num_query_heads, k_layer.num_key_value_heads)


@pytest.mark.parametrize("kwargs", [
    dict(head_dim=4, num_query_heads=4, num_key_value_heads=2),
    dict(head_dim=2, num_query_heads=6, num_key_value_heads=3, dropout=0.25, use_bias=False, use_gate=True,
         sliding_window=4, kernel_initializer="he_uniform", bias_initializer="ones", kernel_regularizer="l2",
         bias_regularizer="l1", activity_regularizer="l1", kernel_constraint="non_neg", bias_constraint="unit_norm",
         seed=3, name="gqa", trainable=False),
])
def test_group_query_attention_config_matches_keras_both_ways(kwargs, keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = keras.layers.GroupQueryAttention(**kwargs), ck.GroupQueryAttention(**kwargs)
    k_config, c_config = k_layer.get_config(), c_layer.get_config()
    assert set(c_config) == set(k_config)
    for key, value in k_config.items():
        if key.endswith(("_initializer", "_regularizer", "_constraint")):
            assert (c_config[key] or {}).get("class_name") == (value or {}).get("class_name"), key
        elif key != "dtype":
            assert c_config[key] == value, key
    assert ck.GroupQueryAttention is ck.GroupedQueryAttention  # one class under Keras's two names
    assert ck.get("GroupQueryAttention") is ck.get("GroupedQueryAttention") is ck.GroupedQueryAttention
    # a Keras config builds the convkit layer, which computes Keras's numbers; convkit's builds Keras's
    from_keras = ck.GroupQueryAttention.from_config(k_config)
    assert set(from_keras.get_config()) == set(k_config)
    assert set(keras.layers.GroupQueryAttention.from_config(c_config).get_config()) == set(k_config)
    q = rng.standard_normal((2, 5, 8)).astype(np.float32)
    k_layer(q, q)
    from_keras(q, q)
    _copy_weights(k_layer, from_keras, rng)
    assert_parity(from_keras(q, q), to_numpy(k_layer(q, q)))


@pytest.mark.parametrize("kwargs, match", [
    (dict(head_dim=2, num_query_heads=3, num_key_value_heads=2), "divisible"),
    (dict(head_dim=2, num_query_heads=4, num_key_value_heads=2, sliding_window=0), "sliding_window"),
    (dict(head_dim=2, num_query_heads=4, num_key_value_heads=2, flash_attention=True, dropout=0.1),
     "Dropout is not supported"),
])
def test_group_query_attention_bad_arguments_fail_as_in_keras(kwargs, match, keras):
    with pytest.raises(ValueError, match=match):
        keras.layers.GroupQueryAttention(**kwargs)
    with pytest.raises(ValueError, match=match):
        ck.GroupQueryAttention(**kwargs)


@pytest.mark.parametrize("kwargs, named", [
    (dict(head_dim=0, num_query_heads=2, num_key_value_heads=1), "head_dim"),  # Keras: ZeroDivisionError
    (dict(head_dim=2.5, num_query_heads=2, num_key_value_heads=1), "head_dim"),
    (dict(head_dim=2, num_query_heads=-2, num_key_value_heads=1), "num_query_heads"),
    (dict(head_dim=2, num_query_heads=2, num_key_value_heads=0), "num_key_value_heads"),
    (dict(head_dim=2, num_query_heads=2, num_key_value_heads=1, dropout=1.5), "dropout"),
    (dict(head_dim=2, num_query_heads=2, num_key_value_heads=1, kernel_initializer="nope"), "kernel_initializer"),
])
def test_group_query_attention_bad_arguments_name_the_argument(kwargs, named):
    with pytest.raises(ValueError, match=named):
        ck.GroupQueryAttention(**kwargs)


def test_group_query_attention_bad_calls(keras, rng):
    layer = ck.GroupQueryAttention(2, 2, 1)
    x4 = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    with pytest.raises(ValueError, match="rank 3"):
        layer(x4, x4)
    q, v = convkit.Input((5, 8)), convkit.Input((6, 4))
    with pytest.raises(ValueError, match="last dimension of `query_shape` and `value_shape` must be equal"):
        keras.layers.GroupQueryAttention(2, 2, 1)(keras.Input((5, 8)), keras.Input((6, 4)))
    with pytest.raises(ValueError, match="last dimension of `query_shape` and `value_shape` must be equal"):
        ck.GroupQueryAttention(2, 2, 1)(q, v)
    x = rng.standard_normal((2, 4, 6)).astype(np.float32)
    flash = ck.GroupQueryAttention(2, 2, 1, flash_attention=True)
    with pytest.raises(ValueError, match="flash attention"):
        flash(x, x, return_attention_scores=True)
    with pytest.raises(ValueError, match="training=True"):
        ck.GroupQueryAttention(2, 2, 1, dropout=0.1)(x, x, training=True)
    with pytest.raises(ValueError, match="except the last one"):
        ck.GroupQueryAttention(2, 2, 1).build((None, 4, 6), (None, 5, 6), (None, 3, 6))


def test_group_query_attention_takes_array_likes_and_leaves_inputs_alone(rng):
    layer = ck.GroupQueryAttention(3, 4, 2, use_gate=True)
    q = rng.standard_normal((2, 5, 8))  # float64
    v = np.asfortranarray(rng.standard_normal((2, 6, 8)))
    mask = rng.random((2, 5, 6)) < 0.7
    mask[..., 0] = True
    copies = [a.copy() for a in (q, v, mask)]
    got = layer(q, v, attention_mask=mask, use_causal_mask=True)
    for original, copy in zip((q, v, mask), copies):
        np.testing.assert_array_equal(original, copy)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    same = layer(q.astype(np.float32).tolist(), np.ascontiguousarray(v, np.float32), attention_mask=mask.tolist(),
                 use_causal_mask=True)
    np.testing.assert_allclose(same, got, rtol=1e-6, atol=1e-6)
    strided = layer(np.repeat(q, 2, axis=1)[:, ::2], v, attention_mask=mask, use_causal_mask=True)
    np.testing.assert_allclose(strided, got, rtol=1e-6, atol=1e-6)


def test_group_query_attention_symbolic_scores_shape(keras):
    q, v = convkit.Input((5, 8)), convkit.Input((7, 8))
    out, scores = ck.GroupQueryAttention(2, 6, 3)(q, v, return_attention_scores=True)
    k_out, k_scores = keras.layers.GroupQueryAttention(2, 6, 3)(keras.Input((5, 8)), keras.Input((7, 8)),
                                                                return_attention_scores=True)
    assert (out.shape, scores.shape) == (tuple(k_out.shape), tuple(k_scores.shape)) == ((None, 5, 8), (None, 6, 5, 7))


def test_keras_functional_model_with_group_query_attention_loads_in_convkit(keras, rng, tmp_path, to_numpy,
                                                                           assert_parity):
    """Query, value by keyword, a model input as attention_mask, two layers (one gated): convkit's
    loader reads Keras's `.keras` file into Keras's layers, weights and numbers."""
    pytest.importorskip("h5py")
    L = keras.layers
    q, v, m = keras.Input((5, 8), name="q"), keras.Input((6, 8), name="v"), keras.Input((5, 6), name="m")
    a = L.GroupQueryAttention(4, 4, 2, name="gqa")(q, value=L.Dense(8, name="dv")(v), attention_mask=m,
                                                    use_causal_mask=True)
    b = L.GroupQueryAttention(3, 2, 1, use_gate=True, sliding_window=2, name="gqa_2")(a, v)
    k_model = keras.Model([q, v, m], [a, b])
    k_model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in k_model.get_weights()])
    path = tmp_path / "gqa.keras"
    k_model.save(path)
    c_model = convkit.models.load_model(path)
    assert [layer.name for layer in c_model.layers] == [layer.name for layer in k_model.layers]
    assert isinstance(c_model.get_layer("gqa"), ck.GroupedQueryAttention)
    for want, got in zip(k_model.get_weights(), c_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, np.asarray(want, np.float32))
    xs = [rng.standard_normal((3, 5, 8)).astype(np.float32), rng.standard_normal((3, 6, 8)).astype(np.float32),
          (rng.random((3, 5, 6)) < 0.7).astype(np.float32)]
    assert_parity(c_model.predict(xs, verbose=0), to_numpy(k_model.predict(xs, verbose=0)))


def test_keras_model_with_masked_inputs_to_group_query_attention_loads_in_convkit(keras, rng, tmp_path, to_numpy,
                                                                                  assert_parity):
    """Embedding(mask_zero=True) before the layer: as in Keras, query and value bring their masks
    (padded keys are not attended to, padded queries attend to nothing), and the output keeps the
    query's mask for the LSTM after it."""
    pytest.importorskip("h5py")
    L = keras.layers
    ids = keras.Input((6,), dtype="int32")
    tokens = L.Embedding(12, 8, mask_zero=True)(ids)
    out, scores = L.GroupQueryAttention(4, 4, 2)(tokens, tokens, return_attention_scores=True)
    k_model = keras.Model(ids, [out, scores, L.LSTM(3)(out)])
    k_model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in k_model.get_weights()])
    k_model.save(tmp_path / "masked.keras")
    c_model = convkit.models.load_model(tmp_path / "masked.keras")
    x = rng.integers(1, 12, (3, 6)).astype(np.int32)
    x[:, 4:] = 0
    x[1, 1:] = 0
    got, want = c_model.predict(x, verbose=0), to_numpy(k_model.predict(x, verbose=0))
    assert_parity(got, want)
    assert np.all(got[1][1, :, :, 1:] == 0)  # the second sample's padded keys get no weight
