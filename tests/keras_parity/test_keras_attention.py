"""EinsumDense, MultiHeadAttention, Attention, AdditiveAttention and Dot against Keras 3 (torch
backend): outputs with Keras's weights, weight shapes and order (set_weights(keras.get_weights())),
output shapes, configs both ways and the errors for bad arguments."""
import numpy as np
import pytest

import convkit
import convkit.layers as ck


def _random_keras_weights(k_layer, rng, scale=0.5):
    weights = [(rng.standard_normal(w.shape) * scale).astype(np.float32) for w in k_layer.get_weights()]
    k_layer.set_weights(weights)
    return weights


def _copy_weights(k_layer, c_layer, rng):
    """Random weights into the Keras layer, the same list into convkit's; checks the round trip."""
    weights = _random_keras_weights(k_layer, rng)
    assert [w.shape for w in c_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    c_layer.set_weights(k_layer.get_weights())
    for got, want in zip(c_layer.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    return weights


def _plain(config):
    # Keras writes a regularizer's factor rounded to float32: compare its class; dtype policies differ in form
    return {k: (v["class_name"] if k.endswith("_regularizer") and v else v) for k, v in config.items()
            if k not in ("dtype", "name")}


def _assert_configs_move_both_ways(keras, name, kwargs, build_shape=None):
    k_layer = getattr(keras.layers, name)(**kwargs)
    c_layer = getattr(ck, name)(**kwargs)
    if build_shape is not None:
        k_layer.build(*build_shape) if name == "MultiHeadAttention" else k_layer.build(build_shape)
        c_layer.build(*build_shape) if name == "MultiHeadAttention" else c_layer.build(build_shape)
    k_cfg, c_cfg = k_layer.get_config(), c_layer.get_config()
    assert set(c_cfg) == set(k_cfg)
    for key in k_cfg:
        if key.endswith(("_initializer", "_regularizer", "_constraint")) or key == "dtype" or \
                (key == "name" and "name" not in kwargs):
            continue
        kv, cv = k_cfg[key], c_cfg[key]
        assert (tuple(cv) if isinstance(cv, (list, tuple)) else cv) == \
            (tuple(kv) if isinstance(kv, (list, tuple)) else kv), key
    assert _plain(getattr(ck, name).from_config(k_cfg).get_config()) == _plain(
        getattr(ck, name).from_config(c_cfg).get_config())
    assert _plain(getattr(keras.layers, name).from_config(c_cfg).get_config()) == _plain(
        getattr(keras.layers, name).from_config(k_cfg).get_config())


# ---- EinsumDense -----------------------------------------------------------------------------------

EINSUM_CASES = [
    ("ab,bc->ac", 4, "c", None, (3, 6)),
    ("ab,bc->ac", (5,), None, "relu", (3, 6)),
    ("abc,cd->abd", (None, 4), "d", "tanh", (2, 5, 3)),
    ("abc,cde->abde", (None, 2, 4), "de", None, (2, 5, 3)),      # MultiHeadAttention's projections
    ("abcd,cde->abe", (None, 6), "e", None, (2, 5, 3, 4)),        # and its output projection
    ("abcd,def->abcef", (None, None, 2, 3), "ef", "gelu", (2, 3, 4, 5)),
    ("abc,cd->abd", (5, 4), "bd", "sigmoid", (2, 5, 3)),          # a bias along the sequence too
    ("abc,cd->abd", (5, 4), "b", None, (2, 5, 3)),
    ("...b,bc->...c", 4, "c", None, (2, 3, 5)),
    ("...b,bc->...c", 4, None, "softmax", (2, 5)),
    ("ab...,bc->ac...", (4,), "c", None, (2, 3, 5, 6)),           # trailing axes elided
    ("abc,bcd->ad", 4, "d", "relu", (2, 3, 5)),                   # contracts two axes that are not last... first
    ("abc,acd->abd", (None, 4), "d", None, (2, 5, 3)),            # a kernel axis shared with the batch
    ("abc,cd->adb", (4, None), "d", None, (2, 5, 3)),             # output axes reordered
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, activation, shape", EINSUM_CASES)
def test_einsum_dense_matches_keras(equation, output_shape, bias_axes, activation, shape, keras, rng, to_numpy,
                                    assert_parity):
    kwargs = dict(equation=equation, output_shape=output_shape, bias_axes=bias_axes, activation=activation)
    k_layer, c_layer = keras.layers.EinsumDense(**kwargs), ck.EinsumDense(**kwargs)
    x = rng.standard_normal(shape).astype(np.float32)
    k_layer(x)
    c_layer.build(shape)
    _copy_weights(k_layer, c_layer, rng)
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
    want = to_numpy(k_layer(x))
    assert_parity(c_layer(x), want)
    for batch in (shape, (None,) + shape[1:]):
        assert c_layer.compute_output_shape(batch) == tuple(k_layer.compute_output_shape(batch))
    # (as Keras: None where `output_shape` says None; every size it gives is the output's)
    assert all(d in (None, w) for d, w in zip(c_layer.compute_output_shape(shape), want.shape))


def test_einsum_dense_output_shape_with_several_leading_elided_axes(keras, rng, to_numpy, assert_parity):
    """Keras's compute_output_shape lists several elided leading axes in reverse order; convkit gives
    the shape Keras's call actually returns."""
    k_layer, c_layer = (m.EinsumDense("...b,bc->...c", 4, bias_axes="c") for m in (keras.layers, ck))
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    want = to_numpy(k_layer(x))
    c_layer.build(x.shape)
    _copy_weights(k_layer, c_layer, rng)
    assert_parity(c_layer(x), to_numpy(k_layer(x)))
    assert c_layer.compute_output_shape(x.shape) == want.shape == (2, 3, 4, 4)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(equation="abc,cd->abd", output_shape=(None, 4), bias_axes="d", activation="relu"), (2, 3, 5)),
    (dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de", kernel_initializer="he_normal",
          kernel_regularizer="l2", bias_constraint="non_neg", activity_regularizer="l1", name="proj"), (2, 3, 5)),
    (dict(equation="ab,bc->ac", output_shape=3, lora_rank=2, lora_alpha=4), (2, 5)),
])
def test_einsum_dense_config_matches_keras(kwargs, shape, keras):
    _assert_configs_move_both_ways(keras, "EinsumDense", kwargs, shape)


def test_einsum_dense_lora_model_from_keras_file_computes_merged_kernel(keras, rng, to_numpy, assert_parity, tmp_path):
    """A LoRA-enabled EinsumDense saved as .keras stores the kernel with the adapters merged in: the
    convkit layer (lora_rank kept in its config) computes Keras's numbers with it."""
    pytest.importorskip("h5py")
    inp = keras.Input((5, 6))
    layer = keras.layers.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d", lora_rank=2)
    k_model = keras.Model(inp, layer(inp))
    layer.lora_kernel_a.assign(rng.standard_normal((6, 2)).astype(np.float32))
    layer.lora_kernel_b.assign(rng.standard_normal((2, 4)).astype(np.float32))
    layer.bias.assign(rng.standard_normal(4).astype(np.float32))
    path = str(tmp_path / "lora.keras")
    k_model.save(path)
    c_model = convkit.models.load_model(path)
    x = rng.standard_normal((2, 5, 6)).astype(np.float32)
    assert_parity(c_model.predict(x, verbose=0), to_numpy(k_model(x)))
    assert c_model.layers[1].get_config()["lora_rank"] == 2
    with pytest.raises(ValueError, match="lora_kernel_a"):
        c_model.layers[1].set_weights(layer.get_weights())  # the adapters as separate weights: refused


# ---- MultiHeadAttention --------------------------------------------------------------------------

MHA_CASES = {
    "self": (dict(num_heads=2, key_dim=4), (2, 5, 8), (2, 5, 8), None, {}),
    "cross_lengths_dims": (dict(num_heads=3, key_dim=4), (2, 5, 8), (2, 7, 6), None, {}),
    "separate_key": (dict(num_heads=2, key_dim=3), (2, 4, 6), (2, 6, 5), (2, 6, 7), {}),
    "value_dim": (dict(num_heads=2, key_dim=4, value_dim=6), (2, 5, 8), (2, 5, 8), None, {}),
    "output_shape_int": (dict(num_heads=2, key_dim=4, output_shape=5), (2, 5, 8), (2, 6, 8), None, {}),
    "output_shape_tuple": (dict(num_heads=2, key_dim=4, output_shape=(2, 3)), (2, 5, 8), (2, 5, 8), None, {}),
    "no_bias": (dict(num_heads=2, key_dim=4, use_bias=False), (2, 5, 8), (2, 5, 8), None, {}),
    "two_attention_axes": (dict(num_heads=2, key_dim=3, attention_axes=(1, 2)), (2, 3, 4, 6), (2, 3, 4, 6), None,
                           {}),
    "axes_reversed": (dict(num_heads=2, key_dim=3, attention_axes=(2, 1)), (2, 3, 4, 6), (2, 3, 4, 6), None, {}),
    "one_of_two_axes": (dict(num_heads=2, key_dim=3, attention_axes=-2), (2, 3, 4, 6), (2, 3, 5, 6), None, {}),
    "causal": (dict(num_heads=2, key_dim=4), (2, 5, 8), (2, 5, 8), None, dict(use_causal_mask=True)),
    "causal_cross": (dict(num_heads=2, key_dim=4), (2, 4, 8), (2, 6, 8), None, dict(use_causal_mask=True)),
    "gate_window": (dict(num_heads=2, key_dim=4, use_gate=True, sliding_window=2), (2, 5, 8), (2, 5, 8), None, {}),
    "window_causal": (dict(num_heads=2, key_dim=4, sliding_window=3), (2, 6, 8), (2, 6, 8), None,
                      dict(use_causal_mask=True)),
    "dropout_inference": (dict(num_heads=2, key_dim=4, dropout=0.3), (2, 5, 8), (2, 5, 8), None,
                          dict(training=False)),
}


def _keras_mha_call(layer, q, v, k, call):
    return layer(q, v) if k is None and not call else layer(q, v, key=k, **call)


@pytest.mark.parametrize("case", sorted(MHA_CASES))
@pytest.mark.parametrize("scores", [False, True])
def test_multi_head_attention_matches_keras(case, scores, keras, rng, to_numpy, assert_parity):
    kwargs, q_shape, v_shape, k_shape, call = MHA_CASES[case]
    k_layer, c_layer = keras.layers.MultiHeadAttention(**kwargs), ck.MultiHeadAttention(**kwargs)
    q, v = (rng.standard_normal(s).astype(np.float32) for s in (q_shape, v_shape))
    k = None if k_shape is None else rng.standard_normal(k_shape).astype(np.float32)
    k_layer(q, v, key=k)
    c_layer(q, v, key=k)
    _copy_weights(k_layer, c_layer, rng)
    if scores:
        call = dict(call, return_attention_scores=True)
    want = to_numpy(_keras_mha_call(k_layer, q, v, k, call))
    got = c_layer(q, v, key=k, **call)
    assert_parity(got, want)
    output = got[0] if scores else got
    assert output.shape == c_layer.compute_output_shape([q_shape, v_shape] + ([k_shape] if k_shape else []))
    shapes = [(None,) + s[1:] for s in (q_shape, v_shape) + ((k_shape,) if k_shape else ())]
    assert c_layer.compute_output_shape(shapes) == tuple(k_layer.compute_output_shape(*shapes))
    assert c_layer.get_config()["attention_axes"] == tuple(k_layer.get_config()["attention_axes"])


def test_multi_head_attention_weight_names_and_order(keras):
    k_layer, c_layer = (m.MultiHeadAttention(3, 4, value_dim=2, use_gate=True) for m in (keras.layers, ck))
    k_layer.build((None, 5, 7), (None, 6, 9))
    c_layer.build((None, 5, 7), (None, 6, 9))  # Keras's build(query_shape, value_shape)
    assert [w.path.split("/", 1)[1] for w in k_layer.weights] == [f"{w._owner.name}/{w.name}" for w in c_layer.weights]
    assert [tuple(w.shape) for w in k_layer.weights] == [w.shape for w in c_layer.weights]
    assert c_layer.count_params() == k_layer.count_params()


@pytest.mark.parametrize("mask_shape", [(2, 5, 6), (5, 6), (2, 1, 6), (2, 2, 5, 6)])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scores", [False, True])
def test_multi_head_attention_attention_mask_matches_keras(mask_shape, causal, scores, keras, rng, to_numpy,
                                                           assert_parity):
    k_layer, c_layer = keras.layers.MultiHeadAttention(2, 4), ck.MultiHeadAttention(2, 4)
    q = rng.standard_normal((2, 5, 8)).astype(np.float32)
    v = rng.standard_normal((2, 6, 8)).astype(np.float32)
    k_layer(q, v)
    c_layer(q, v)
    _copy_weights(k_layer, c_layer, rng)
    mask = rng.random(mask_shape) < 0.6
    mask[..., 0] = True  # every query position may attend somewhere
    call = dict(attention_mask=mask, use_causal_mask=causal, return_attention_scores=scores)
    want = to_numpy(k_layer(q, v, **call))
    assert_parity(c_layer(q, v, **call), want)
    assert_parity(c_layer(q, v, **dict(call, attention_mask=mask.astype(np.float64) * 3)), want)  # non-zero = True


@pytest.mark.parametrize("kwargs, shape", [
    (dict(num_heads=2, key_dim=3), (2, 4, 6)),
    (dict(num_heads=2, key_dim=3, dropout=0.2), (2, 4, 6)),
    (dict(num_heads=2, key_dim=3, attention_axes=2), (2, 3, 4, 6)),
])
def test_multi_head_attention_fully_masked_rows_match_keras(kwargs, shape, keras, rng, to_numpy, assert_parity):
    """A query position with nothing to attend to: Keras's fused kernel (rank-3 inputs, no scores,
    no dropout) spreads its weight over every key, its other path gives it zero weights."""
    k_layer, c_layer = keras.layers.MultiHeadAttention(**kwargs), ck.MultiHeadAttention(**kwargs)
    q = rng.standard_normal(shape).astype(np.float32)
    k_layer(q, q)
    c_layer(q, q)
    _copy_weights(k_layer, c_layer, rng)
    mask = np.ones(shape[:-1] + (shape[-2],), bool)
    mask[0, ..., 1, :] = False
    mask[1, ..., 2] = False
    for scores in (False, True):
        want = to_numpy(k_layer(q, q, attention_mask=mask, return_attention_scores=scores))
        assert_parity(c_layer(q, q, attention_mask=mask, return_attention_scores=scores), want)


@pytest.mark.parametrize("kwargs, shapes", [
    (dict(num_heads=2, key_dim=4), ((None, 5, 8), (None, 6, 8))),
    (dict(num_heads=3, key_dim=2, value_dim=5, dropout=0.25, use_bias=False, output_shape=(4, 2),
          attention_axes=(1, 2), kernel_initializer="he_uniform", bias_regularizer="l2", kernel_constraint="non_neg",
          activity_regularizer="l1", seed=3, name="mha"), ((None, 3, 4, 8), (None, 3, 4, 8))),
    (dict(num_heads=2, key_dim=4, use_gate=True, sliding_window=3, attention_axes=1), None),
])
def test_multi_head_attention_config_matches_keras(kwargs, shapes, keras):
    _assert_configs_move_both_ways(keras, "MultiHeadAttention", kwargs, shapes)


@pytest.mark.parametrize("kwargs, named", [
    (dict(num_heads=0, key_dim=2), "num_heads"), (dict(num_heads=2.0, key_dim=2), "num_heads"),
    (dict(num_heads=2, key_dim=-1), "key_dim"), (dict(num_heads=2, key_dim=2, value_dim=0), "value_dim"),
    (dict(num_heads=2, key_dim=2, attention_axes="1"), "attention_axes"),
    (dict(num_heads=2, key_dim=2, sliding_window=0), "sliding_window"),
    (dict(num_heads=2, key_dim=2, flash_attention=True, dropout=0.1), "Dropout is not supported"),
])
def test_multi_head_attention_bad_arguments_fail_as_in_keras(kwargs, named, keras):
    with pytest.raises(ValueError, match=named):
        keras.layers.MultiHeadAttention(**kwargs)
    with pytest.raises(ValueError, match=named):
        ck.MultiHeadAttention(**kwargs)


def test_multi_head_attention_value_key_mismatch_fails_as_in_keras(keras):
    with pytest.raises(ValueError, match="except the last one"):
        keras.layers.MultiHeadAttention(2, 2).build((None, 4, 3), (None, 5, 3), (None, 6, 3))
    with pytest.raises(ValueError, match="except the last one"):
        ck.MultiHeadAttention(2, 2).build((None, 4, 3), (None, 5, 3), (None, 6, 3))


# ---- Attention, AdditiveAttention ------------------------------------------------------------------

ATTENTION_CASES = [
    ("Attention", {}),
    ("Attention", dict(use_scale=True)),
    ("Attention", dict(score_mode="concat")),
    ("Attention", dict(score_mode="concat", use_scale=True)),
    ("AdditiveAttention", {}),
    ("AdditiveAttention", dict(use_scale=False)),
]


@pytest.mark.parametrize("name, kwargs", ATTENTION_CASES)
@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("call", [{}, dict(use_causal_mask=True), dict(return_attention_scores=True),
                                  dict(use_causal_mask=True, return_attention_scores=True, training=False)])
def test_attention_layers_match_keras(name, kwargs, with_key, call, keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = getattr(keras.layers, name)(**kwargs), getattr(ck, name)(**kwargs)
    q = rng.standard_normal((2, 4, 3)).astype(np.float32)
    v = rng.standard_normal((2, 6, 5 if with_key else 3)).astype(np.float32)
    inputs = [q, v] + ([rng.standard_normal((2, 6, 3)).astype(np.float32)] if with_key else [])
    k_layer(inputs)
    c_layer.build([x.shape for x in inputs])
    _copy_weights(k_layer, c_layer, rng)
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
    assert_parity(c_layer(inputs, **call), to_numpy(k_layer(inputs, **call)))
    shapes = [(None,) + x.shape[1:] for x in inputs]
    assert c_layer.compute_output_shape(shapes) == tuple(k_layer.compute_output_shape(shapes))


def test_attention_with_more_batch_axes_matches_keras(keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = keras.layers.Attention(use_scale=True), ck.Attention(use_scale=True)
    q, v = rng.standard_normal((2, 3, 4, 5)).astype(np.float32), rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    k_layer([q, v])
    c_layer.build([q.shape, v.shape])
    _copy_weights(k_layer, c_layer, rng)
    call = dict(use_causal_mask=True, return_attention_scores=True)
    assert_parity(c_layer([q, v], **call), to_numpy(k_layer([q, v], **call)))


@pytest.mark.parametrize("name, kwargs", [
    ("Attention", {}), ("Attention", dict(use_scale=True, score_mode="concat", dropout=0.2, seed=4, name="att")),
    ("AdditiveAttention", {}), ("AdditiveAttention", dict(use_scale=False, dropout=0.5, activity_regularizer="l2")),
])
def test_attention_config_matches_keras(name, kwargs, keras):
    _assert_configs_move_both_ways(keras, name, kwargs)


def test_attention_bad_arguments_fail_as_in_keras(keras):
    for module in (keras.layers, ck):
        with pytest.raises(ValueError, match="score_mode"):
            module.Attention(score_mode="additive")
        with pytest.raises(ValueError, match="list of inputs"):
            module.Attention()(np.zeros((2, 3, 4), np.float32))
        with pytest.raises(ValueError, match="length 2 or 3"):
            module.Attention()([np.zeros((2, 3, 4), np.float32)])


# ---- Dot -------------------------------------------------------------------------------------------

DOT_CASES = [
    (1, (3, 4), (3, 4)),
    (-1, (2, 3, 4), (2, 5, 4)),
    (2, (2, 3, 4), (2, 5, 4)),
    ((1, 2), (2, 3, 4), (2, 5, 3)),
    ((2, 1), (2, 3, 4, 5), (2, 4, 6)),
    ((1, 1), (2, 3), (2, 3, 5)),
    ((-1, 1), (2, 5, 3), (2, 3)),
    ((-2, -1), (2, 4, 3, 2), (2, 5, 3)),
]


@pytest.mark.parametrize("axes, x_shape, y_shape", DOT_CASES)
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_keras(axes, x_shape, y_shape, normalize, keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = keras.layers.Dot(axes, normalize=normalize), ck.Dot(axes, normalize=normalize)
    x, y = rng.standard_normal(x_shape).astype(np.float32), rng.standard_normal(y_shape).astype(np.float32)
    want = to_numpy(k_layer([x, y]))
    assert_parity(c_layer([x, y]), want)
    shapes = [(None,) + x_shape[1:], (None,) + y_shape[1:]]
    assert c_layer.compute_output_shape(shapes) == tuple(k_layer.compute_output_shape(shapes))
    assert convkit.layers.dot([x, y], axes=axes, normalize=normalize).shape == want.shape


def test_dot_normalize_of_a_zero_vector_matches_keras(keras, to_numpy, assert_parity):
    x = np.zeros((2, 4), np.float32)
    y = np.ones((2, 4), np.float32)
    assert_parity(ck.Dot(1, normalize=True)([x, y]), to_numpy(keras.layers.Dot(1, normalize=True)([x, y])))


@pytest.mark.parametrize("kwargs", [dict(axes=1), dict(axes=(1, 2), normalize=True, name="sim")])
def test_dot_config_matches_keras(kwargs, keras):
    _assert_configs_move_both_ways(keras, "Dot", kwargs)


@pytest.mark.parametrize("axes, error", [("1", TypeError), ((1, 2, 3), ValueError), ((1, "2"), ValueError)])
def test_dot_bad_axes_fail_as_in_keras(axes, error, keras):
    with pytest.raises(error, match="axes"):
        keras.layers.Dot(axes)
    with pytest.raises(error, match="axes"):
        ck.Dot(axes)


def test_dot_shape_errors_match_keras(keras):
    x, y = np.zeros((2, 3, 4), np.float32), np.zeros((2, 5, 4), np.float32)
    for module in (keras.layers, ck):
        with pytest.raises(ValueError, match="Incompatible input shapes"):
            module.Dot(1).build([x.shape, y.shape]) if module is keras.layers else module.Dot(1)([x, y])
