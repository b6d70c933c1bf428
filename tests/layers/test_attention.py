"""EinsumDense, MultiHeadAttention, Attention, AdditiveAttention and Dot against float64 NumPy
oracles: outputs, weights, shapes, configs, argument checks and input handling (no Keras needed;
the parity with Keras is in tests/keras_parity/test_keras_attention.py)."""
import math

import numpy as np
import pytest

import convkit
import reference as ref
from convkit.layers import (
    AdditiveAttention, Attention, Dot, EinsumDense, Input, LayerNormalization, MultiHeadAttention, dot,
)
from layer_helpers import random_weights


def _f64(x):
    return np.asarray(x, np.float64)


# ---- EinsumDense ---------------------------------------------------------------------------------

# equation, output_shape, bias_axes, input shape, one GEMM on views (the fast path)?
EINSUM_CASES = [
    ("ab,bc->ac", 4, "c", (3, 6), True),
    ("abc,cd->abd", (None, 4), "d", (2, 5, 3), True),
    ("abc,cde->abde", (None, 2, 4), "de", (2, 5, 3), True),
    ("abc,cde->abde", (None, 2, 4), "e", (2, 5, 3), True),
    ("abcd,cde->abe", (None, 6), "e", (2, 5, 3, 4), True),
    ("abcd,def->abcef", (None, None, 2, 3), "ef", (2, 3, 4, 5), True),
    ("...b,bc->...c", 4, "c", (2, 3, 4, 5), True),
    ("...b,bc->...c", 4, None, (2, 5), True),
    ("abc,cd->abd", (5, 4), "bd", (2, 5, 3), True),    # the bias varies along the sequence: added after
    ("abc,cd->abd", (5, 4), "b", (2, 5, 3), True),
    ("ab...,bc->ac...", (4,), "c", (2, 3, 5, 6), False),
    ("abc,bcd->ad", 4, "d", (2, 3, 5), True),
    ("abc,acd->abd", (None, 4), "d", (2, 5, 3), False),  # a kernel axis shared with the batch
    ("abc,cd->adb", (4, None), "d", (2, 5, 3), False),   # output axes reordered
    ("abc,dc->abd", (None, 4), None, (2, 5, 3), False),  # kernel contracted on its last axis
    ("abc,c->ab", (None,), None, (2, 5, 3), True),       # no output axis from the kernel
]


def _einsum_oracle(layer, x, activation=None):
    weights = layer.get_weights()
    y = np.einsum(layer.equation, _f64(x), _f64(weights[0]))
    if len(weights) > 1:
        y = y + _f64(weights[1])
    return ref.activation(y, activation)


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape, gemm", EINSUM_CASES)
@pytest.mark.parametrize("activation", [None, "relu", "softmax"])
def test_einsum_dense_matches_oracle(equation, output_shape, bias_axes, shape, gemm, activation, rng, assert_close):
    layer = EinsumDense(equation, output_shape, bias_axes=bias_axes, activation=activation)
    x = rng.standard_normal(shape).astype(np.float32)
    layer.build(shape)
    random_weights(layer, rng)
    y = layer(x)
    assert_close(y, _einsum_oracle(layer, x, activation))
    assert y.flags.c_contiguous and y.dtype == np.float32
    assert (layer._prepared()["gemm"] is not None) == gemm


def test_einsum_dense_gemm_path_on_every_isa(isa, rng, assert_close):
    layer = EinsumDense("abc,cde->abde", (None, 3, 5), bias_axes="de", activation="gelu")
    x = rng.standard_normal((3, 17, 13)).astype(np.float32)
    layer.build(x.shape)
    random_weights(layer, rng)
    assert_close(layer(x), _einsum_oracle(layer, x, "gelu"))


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape, expected", [
    ("ab,bc->ac", 4, "c", (None, 6), ((6, 4), (4,))),
    ("abc,cde->abde", (None, 2, 4), "de", (None, 5, 3), ((3, 2, 4), (2, 4))),
    ("abc,cd->abd", (5, 4), "b", (None, 5, 3), ((3, 4), (5, 1))),
    ("ab...,bc->ac...", (4,), "c", (None, 3, 5, 6), ((3, 4), (4, 1, 1))),
    ("abc,cd->abd", (None, 4), None, (None, 5, 3), ((3, 4),)),
])
def test_einsum_dense_weight_shapes_and_names(equation, output_shape, bias_axes, shape, expected):
    layer = EinsumDense(equation, output_shape, bias_axes=bias_axes)
    assert layer.weights == []
    layer.build(shape)
    assert tuple(w.shape for w in layer.weights) == expected
    assert [w.name for w in layer.weights] == ["kernel", "bias"][:len(expected)]
    assert layer.count_params() == sum(math.prod(s) for s in expected)


def test_einsum_dense_output_shapes():
    assert EinsumDense("abc,cd->abd", (None, 4)).compute_output_shape((2, 5, 3)) == (2, None, 4)
    assert EinsumDense("abc,cd->abd", (5, 4)).compute_output_shape((None, 5, 3)) == (None, 5, 4)
    assert EinsumDense("...b,bc->...c", 4).compute_output_shape((None, 3, 4, 5)) == (None, 3, 4, 4)
    assert EinsumDense("ab...,bc->ac...", 4).compute_output_shape((None, 3, 5, 6)) == (None, 4, 5, 6)


def test_einsum_dense_takes_any_array_like_and_keeps_inputs(rng, assert_close):
    layer = EinsumDense("abc,cd->abd", (None, 4), bias_axes="d")
    x64 = rng.standard_normal((2, 3, 5, 6))[:, :, ::2, :].transpose(0, 2, 1, 3)[..., 0]  # float64, not contiguous
    keep = x64.copy()
    y = layer(x64)
    np.testing.assert_array_equal(x64, keep)
    assert_close(y, _einsum_oracle(layer, x64))
    assert_close(layer(x64.tolist()), _einsum_oracle(layer, x64))
    x32 = np.ascontiguousarray(x64, np.float32)
    keep32 = x32.copy()
    layer(x32)
    np.testing.assert_array_equal(x32, keep32)


def test_einsum_dense_empty_batch(rng):
    layer = EinsumDense("abc,cde->abde", (None, 2, 4), bias_axes="de")
    y = layer(np.zeros((0, 5, 3), np.float32))
    assert y.shape == (0, 5, 2, 4) and y.dtype == np.float32


def test_einsum_dense_config_round_trip(rng):
    layer = EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de", activation="relu", kernel_initializer="he_normal",
                        kernel_regularizer="l2", bias_constraint="non_neg", name="proj")
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    layer(x)
    random_weights(layer, rng)
    config = layer.get_config()
    assert config["output_shape"] == (None, 2, 3) and config["equation"] == "abc,cde->abde"
    assert config["bias_axes"] == "de" and config["activation"] == "relu" and "lora_rank" not in config
    again = EinsumDense.from_config(config)
    assert again.get_config() == config
    again(x)
    again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(again(x), layer(x))


def test_einsum_dense_keeps_lora_arguments_and_refuses_adapter_weights(rng):
    layer = EinsumDense("ab,bc->ac", 4, bias_axes="c", lora_rank=2)
    config = layer.get_config()
    assert config["lora_rank"] == 2 and config["lora_alpha"] == 2
    assert EinsumDense("ab,bc->ac", 4, lora_rank=2, lora_alpha=8).get_config()["lora_alpha"] == 8
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    adapters = [np.zeros((3, 4)), np.zeros(4), np.zeros((3, 2)), np.zeros((2, 4))]
    with pytest.raises(ValueError, match="lora_kernel_a"):
        layer.set_weights(adapters)
    layer.set_weights(adapters[:2])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(equation="ab,bc", output_shape=4), ValueError, "Invalid einsum equation"),
    (dict(equation="ab,bc->ac...", output_shape=4), ValueError, "Invalid einsum equation"),
    (dict(equation=3, output_shape=4), ValueError, "Invalid einsum equation"),
    (dict(equation="ab,bc->ac", output_shape="4"), ValueError, "output_shape"),
    (dict(equation="ab,bc->ac", output_shape=(4, 0)), ValueError, "output_shape"),
    (dict(equation="ab,bc->ac", output_shape=4.5), TypeError, "output_shape"),
    (dict(equation="ab,bc->ac", output_shape=4, bias_axes=1), ValueError, "bias_axes"),
    (dict(equation="ab,bc->ac", output_shape=4, quantization_config={"mode": "int8"}), ValueError, "quantiz"),
    (dict(equation="ab,bc->ac", output_shape=4, gptq_unpacked_column_size=4), ValueError, "quantiz"),
    (dict(equation="ab,bc->ac", output_shape=4, lora_rank=0), ValueError, "lora_rank"),
    (dict(equation="ab,bc->ac", output_shape=4,
          dtype={"class_name": "QuantizedDTypePolicy", "config": {"name": "int8_from_float32"}}), ValueError,
     "quantized"),
    (dict(equation="ab,bc->ac", output_shape=4, activation="nope"), ValueError, "activation"),
])
def test_einsum_dense_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        EinsumDense(**kwargs)


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape, match", [
    ("ab,bc->ac", (2, 4), None, (None, 3), "output_shape"),
    ("abc,cd->abd", (None, 4), None, (None, 3), "rank 3"),
    ("abc,cd->abd", (None, 4), "e", (None, 5, 3), "Bias dimension 'e'"),
    ("abc,cd->abd", (6, 4), None, (None, 5, 3), "shared dimension 'b'"),
    ("abc,cde->abd", (None, 4), None, (None, 5, 3), "Weight dimension 'e'"),
    ("abc,cd->abe", (None, 4), None, (None, 5, 3), "Dimension 'e'"),
    ("abc,cd->abd", (None, None), None, (None, 5, 3), "weight dimension 'd'"),
    ("abc,cd->abd", (None, 4), "b", (None, None, 3), "bias"),
    ("abc,cd->abd", (None, 4), None, (None, 5, None), "weight dimension 'c'"),
])
def test_einsum_dense_bad_shapes(equation, output_shape, bias_axes, shape, match):
    with pytest.raises(ValueError, match=match):
        EinsumDense(equation, output_shape, bias_axes=bias_axes).build(shape)


def test_einsum_dense_checks_inputs_against_its_kernel(rng):
    layer = EinsumDense("abc,cd->abd", (None, 4))
    layer(np.zeros((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match="axis 2"):
        layer(np.zeros((2, 5, 4), np.float32))
    with pytest.raises(ValueError, match="ndim=3"):
        layer(np.zeros((2, 3), np.float32))
    assert layer(np.zeros((1, 7, 3), np.float32)).shape == (1, 7, 4)  # free axes may change size


# ---- MultiHeadAttention ----------------------------------------------------------------------------

def _mha_oracle(layer, query, value, key=None, mask=None, causal=False, gate=False):
    """Multi-head attention of rank-3 inputs, head by head and row by row (float64); mask (B, T, S) bool.
    -> (output, scores (B, N, T, S))."""
    key = value if key is None else key
    w = [_f64(a) for a in layer.get_weights()]
    use_bias = layer.use_bias
    per = 2 if use_bias else 1
    names = ["q", "k"] + (["g"] if gate else []) + ["v", "o"]
    p = {n: w[i * per:(i + 1) * per] for i, n in enumerate(names)}

    def project(x, n, letters):
        y = np.einsum(letters, _f64(x), p[n][0])
        return y + p[n][1] if use_bias else y

    q = project(query, "q", "btc,cnh->btnh")
    k = project(key, "k", "bsc,cnh->bsnh")
    v = project(value, "v", "bsc,cnh->bsnh")
    b_, t_, n_, h_ = q.shape
    s_ = k.shape[1]
    allowed = np.ones((b_, t_, s_), bool) if mask is None else np.broadcast_to(mask, (b_, t_, s_))
    if causal:
        allowed = allowed & np.tril(np.ones((t_, s_), bool))
    heads = np.zeros((b_, t_, n_, v.shape[-1]))
    scores = np.zeros((b_, n_, t_, s_))
    for b in range(b_):
        for n in range(n_):
            logits = (q[b, :, n] / math.sqrt(h_)) @ k[b, :, n].T
            logits = np.where(allowed[b], logits, -1e9)
            scores[b, n] = ref._softmax(logits)
            heads[b, :, n] = scores[b, n] @ v[b, :, n]
    if gate:
        heads = heads * ref._sigmoid(project(query, "g", "btc,cnh->btnh"))
    out = np.einsum("btnh,nhe->bte", heads, p["o"][0])
    return (out + p["o"][1] if use_bias else out), scores


def _built_mha(rng, q_shape, v_shape, k_shape=None, **kwargs):
    layer = MultiHeadAttention(**kwargs)
    layer.build([q_shape, v_shape] + ([k_shape] if k_shape else []))
    random_weights(layer, rng)
    return layer


@pytest.mark.parametrize("kwargs, q_shape, v_shape, k_shape", [
    (dict(num_heads=2, key_dim=4), (2, 5, 8), (2, 5, 8), None),
    (dict(num_heads=3, key_dim=4), (2, 5, 8), (2, 7, 6), None),
    (dict(num_heads=2, key_dim=3), (2, 4, 6), (2, 6, 5), (2, 6, 7)),
    (dict(num_heads=2, key_dim=4, value_dim=6), (2, 5, 8), (2, 5, 8), None),
    (dict(num_heads=1, key_dim=5, use_bias=False), (3, 4, 8), (3, 6, 8), None),
    (dict(num_heads=2, key_dim=4, dropout=0.5), (1, 3, 4), (1, 3, 4), None),
])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_oracle(kwargs, q_shape, v_shape, k_shape, causal, rng, assert_close):
    layer = _built_mha(rng, q_shape, v_shape, k_shape, **kwargs)
    q, v = rng.standard_normal(q_shape), rng.standard_normal(v_shape)
    k = None if k_shape is None else rng.standard_normal(k_shape)
    want, want_scores = _mha_oracle(layer, q, v, k, causal=causal)
    assert_close(layer(q, v, k, use_causal_mask=causal), want)
    out, scores = layer(q, v, key=k, use_causal_mask=causal, return_attention_scores=True)
    assert_close(out, want)
    assert_close(scores, want_scores)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)


def test_multi_head_attention_output_shape_and_gate(rng, assert_close):
    layer = _built_mha(rng, (2, 5, 8), (2, 5, 8), num_heads=2, key_dim=4, output_shape=(3, 2))
    q = rng.standard_normal((2, 5, 8))
    y = layer(q, q)
    assert y.shape == (2, 5, 3, 2) == layer.compute_output_shape([(2, 5, 8), (2, 5, 8)])
    gated = _built_mha(rng, (2, 5, 8), (2, 5, 8), num_heads=2, key_dim=4, use_gate=True)
    assert_close(gated(q, q), _mha_oracle(gated, q, q, gate=True)[0])


@pytest.mark.parametrize("mask_shape", [(2, 5, 6), (5, 6), (2, 1, 6)])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_attention_mask(mask_shape, causal, rng, assert_close):
    layer = _built_mha(rng, (2, 5, 8), (2, 6, 8), num_heads=2, key_dim=4)
    q, v = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 6, 8))
    mask = rng.random(mask_shape) < 0.5
    mask[..., 0] = True
    keep = mask.copy()
    want, want_scores = _mha_oracle(layer, q, v, mask=mask, causal=causal)
    out, scores = layer(q, v, attention_mask=mask, use_causal_mask=causal, return_attention_scores=True)
    np.testing.assert_array_equal(mask, keep)
    assert_close(out, want)
    assert_close(scores, want_scores)
    assert np.all(scores[np.broadcast_to(~mask[..., None, :, :] if mask.ndim == 3 else ~mask, scores.shape)] == 0)
    assert_close(layer(q, v, attention_mask=mask.astype(int) * 7, use_causal_mask=causal), want)


def test_multi_head_attention_sliding_window(rng, assert_close):
    layer = _built_mha(rng, (2, 6, 4), (2, 6, 4), num_heads=2, key_dim=3, sliding_window=2)
    x = rng.standard_normal((2, 6, 4))
    band = np.abs(np.arange(6)[:, None] - np.arange(6)[None, :]) < 2
    assert_close(layer(x, x), _mha_oracle(layer, x, x, mask=band[None])[0])
    assert_close(layer(x, x, use_causal_mask=True), _mha_oracle(layer, x, x, mask=band[None], causal=True)[0])


def _fold_oracle(layer, x, axes):
    """Attention over `axes` of a rank-4 input = rank-3 attention with the other middle axis folded
    into the batch (both axes: the positions flattened)."""
    b, a1, a2, c = x.shape
    if axes == (1, 2):
        out, _ = _mha_oracle(layer, x.reshape(b, a1 * a2, c), x.reshape(b, a1 * a2, c))
        return out.reshape(b, a1, a2, -1)
    if axes == (2,):
        out, _ = _mha_oracle(layer, x.reshape(b * a1, a2, c), x.reshape(b * a1, a2, c))
        return out.reshape(b, a1, a2, -1)
    xt = x.transpose(0, 2, 1, 3).reshape(b * a2, a1, c)
    out, _ = _mha_oracle(layer, xt, xt)
    return out.reshape(b, a2, a1, -1).transpose(0, 2, 1, 3)


@pytest.mark.parametrize("attention_axes, used", [(None, (1, 2)), ((1, 2), (1, 2)), (-3, (1,)), (2, (2,)),
                                                  ([1], (1,))])
def test_multi_head_attention_over_chosen_axes(attention_axes, used, rng, assert_close):
    layer = _built_mha(rng, (2, 3, 4, 6), (2, 3, 4, 6), num_heads=2, key_dim=3, attention_axes=attention_axes)
    assert layer.attention_axes == used and layer.get_config()["attention_axes"] == used
    x = rng.standard_normal((2, 3, 4, 6))
    assert_close(layer(x, x), _fold_oracle(layer, x, used))
    _, scores = layer(x, x, return_attention_scores=True)
    other = [3 if used == (2,) else 4] if len(used) == 1 else []
    assert scores.shape == (2, *other, 2) + tuple(x.shape[a] for a in used) * 2


def test_multi_head_attention_weights_in_keras_order(rng):
    layer = MultiHeadAttention(3, 4, value_dim=2, use_gate=True)
    assert layer.weights == [] and layer.get_weights() == []
    layer.build([(None, 5, 7), (None, 6, 9)])
    names = [f"{w._owner.name}/{w.name}" for w in layer.weights]
    assert names == [f"{n}/{w}" for n in ("query", "key", "gate", "value", "attention_output")
                     for w in ("kernel", "bias")]
    assert [w.shape for w in layer.weights] == [(7, 3, 4), (3, 4), (9, 3, 4), (3, 4), (7, 3, 2), (3, 2), (9, 3, 2),
                                                (3, 2), (3, 2, 7), (7,)]
    assert [name for name, _ in layer._keras_sublayers()] == ["query_dense", "key_dense", "_gate_dense",
                                                             "value_dense", "output_dense"]
    weights = random_weights(layer, rng)
    for got, want in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    assert layer.count_params() == sum(w.size for w in weights)
    with pytest.raises(ValueError, match="expecting 10 weights"):
        layer.set_weights(weights[:-1])
    assert all(sub._prepared()["gemm"] is not None for _, sub in layer._keras_sublayers())  # every projection: GEMM


def test_multi_head_attention_keras_style_build_and_initial_weights(rng, assert_close):
    layer = MultiHeadAttention(2, 3)
    layer.build((None, 4, 5), (None, 6, 5))
    weights = random_weights(layer, rng)
    again = MultiHeadAttention(2, 3, weights=weights)
    q, v = rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 6, 5))
    np.testing.assert_array_equal(again(q, v), layer(q, v))


def test_multi_head_attention_keeps_inputs_and_takes_array_likes(rng, assert_close):
    layer = _built_mha(rng, (2, 4, 6), (2, 5, 6), num_heads=2, key_dim=3)
    q = rng.standard_normal((2, 6, 4)).transpose(0, 2, 1)  # float64, not contiguous
    v = rng.standard_normal((2, 5, 6)).astype(np.float32)
    keep_q, keep_v = q.copy(), v.copy()
    y = layer(q, v)
    np.testing.assert_array_equal(q, keep_q)
    np.testing.assert_array_equal(v, keep_v)
    assert y.dtype == np.float32 and y.flags.c_contiguous
    assert_close(y, _mha_oracle(layer, q, v)[0])
    assert_close(layer(q.tolist(), v.tolist()), _mha_oracle(layer, q, v)[0])
    assert_close(layer([q, v]), _mha_oracle(layer, q, v)[0])  # the list a model's plan passes


def test_multi_head_attention_training(rng):
    q = rng.standard_normal((1, 3, 4)).astype(np.float32)
    plain = MultiHeadAttention(2, 2)
    np.testing.assert_array_equal(plain(q, q, training=True), plain(q, q))  # no dropout: same at training
    dropped = MultiHeadAttention(2, 2, dropout=0.1)
    dropped(q, q, training=False)
    with pytest.raises(ValueError, match="training=True"):
        dropped(q, q, training=True)


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_heads=0, key_dim=2), "num_heads"), (dict(num_heads=2, key_dim=2.0), "key_dim"),
    (dict(num_heads=2, key_dim=2, value_dim=-3), "value_dim"), (dict(num_heads=2, key_dim=2, dropout=1.5), "dropout"),
    (dict(num_heads=2, key_dim=2, dropout="0.1"), "dropout"), (dict(num_heads=2, key_dim=2, output_shape="a"), "output_shape"),
    (dict(num_heads=2, key_dim=2, output_shape=(3, 0)), "output_shape"),
    (dict(num_heads=2, key_dim=2, attention_axes={1}), "attention_axes"),
    (dict(num_heads=2, key_dim=2, attention_axes=(1.0,)), "attention_axes"),
    (dict(num_heads=2, key_dim=2, sliding_window=-1), "sliding_window"),
    (dict(num_heads=2, key_dim=2, flash_attention=True, dropout=0.2), "flash attention"),
    (dict(num_heads=2, key_dim=2, kernel_initializer="nope"), "nope"),
    (dict(num_heads=2, key_dim=2, lora_rank=2), "lora_rank"),
])
def test_multi_head_attention_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        MultiHeadAttention(**kwargs)


@pytest.mark.parametrize("kwargs, shapes, match", [
    (dict(attention_axes=0), [(None, 4, 6), (None, 4, 6)], "attention_axes"),
    (dict(attention_axes=2), [(None, 4, 6), (None, 4, 6)], "attention_axes"),
    (dict(attention_axes=(1, -3)), [(None, 3, 4, 6), (None, 3, 4, 6)], "attention_axes"),
    ({}, [(None, 6), (None, 6)], "rank"),
    ({}, [(None, 4, 6), (None, 2, 4, 6)], "rank"),
    ({}, [(None, 4, 6), (None, 5, 6), (None, 6, 6)], "except the last one"),
    (dict(attention_axes=1), [(None, 3, 4, 6), (None, 3, 5, 6)], "same size"),
    ({}, [(None, 4, 6)], "query, value"),
])
def test_multi_head_attention_bad_shapes(kwargs, shapes, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(2, 3, **kwargs).build(shapes)


def test_multi_head_attention_bad_calls(rng):
    layer = MultiHeadAttention(2, 3)
    q = rng.standard_normal((2, 4, 6)).astype(np.float32)
    with pytest.raises(ValueError, match="`value`"):
        layer(q)
    with pytest.raises(TypeError, match="does not use a mask"):
        layer(q, q, mask=np.ones((2, 4), bool))  # Keras's call takes query_mask / value_mask / key_mask
    # Keras's per-input masks are one attention mask: query positions x value positions
    query_mask, value_mask = rng.random((2, 4)) > 0.3, rng.random((2, 4)) > 0.3
    np.testing.assert_array_equal(layer(q, q, query_mask=query_mask, value_mask=value_mask),
                                  layer(q, q, attention_mask=query_mask[:, :, None] & value_mask[:, None, :]))
    with pytest.raises(ValueError, match="broadcastable"):
        layer(q, q, attention_mask=np.ones((2, 3, 4), bool))
    with pytest.raises(TypeError, match="attention_mask"):
        layer(q, q, attention_mask=np.array([["a"]]))
    with pytest.raises(ValueError, match="not both"):
        layer([q, q], key=q)
    with pytest.raises(ValueError, match="flash attention"):
        MultiHeadAttention(2, 3, flash_attention=True)(q, q, return_attention_scores=True)
    with pytest.raises(ValueError, match="axis 2"):
        layer(q[..., :5], q)


def test_multi_head_attention_config_round_trip(rng):
    layer = MultiHeadAttention(3, 2, value_dim=4, dropout=0.25, use_bias=False, output_shape=5, attention_axes=(1, 2),
                               kernel_initializer="he_uniform", bias_regularizer="l2", kernel_constraint="non_neg",
                               seed=3, name="mha")
    config = layer.get_config()
    assert config["output_shape"] == (5,) and config["attention_axes"] == (1, 2) and config["value_dim"] == 4
    assert set(config) == {"name", "trainable", "dtype", "num_heads", "key_dim", "value_dim", "dropout", "use_bias",
                           "use_gate", "output_shape", "attention_axes", "sliding_window", "kernel_initializer",
                           "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                           "kernel_constraint", "bias_constraint", "seed"}
    again = MultiHeadAttention.from_config(config)
    assert again.get_config() == config
    x = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    layer(x, x)
    again(x, x)
    again.set_weights(random_weights(layer, rng))
    np.testing.assert_array_equal(again(x, x), layer(x, x))


def test_multi_head_attention_in_a_functional_model(rng, assert_close):
    inp = Input((5, 8))
    memory = Input((7, 6))
    x = LayerNormalization(name="norm")(inp)
    self_att = MultiHeadAttention(2, 4, name="self")
    x = convkit.layers.Add()([inp, self_att(x, x, use_causal_mask=True)])
    cross = MultiHeadAttention(2, 3, name="cross")
    out, scores = cross(x, memory, key=memory, return_attention_scores=True)
    assert out.shape == (None, 5, 8) and scores.shape == (None, 2, 5, 7)
    model = convkit.models.Model([inp, memory], [out, scores])
    random_weights(model, rng)
    xs = [rng.standard_normal((3, 5, 8)).astype(np.float32), rng.standard_normal((3, 7, 6)).astype(np.float32)]
    got_out, got_scores = model.predict(xs, verbose=0)
    normed = model.get_layer("norm")(xs[0])
    h = xs[0] + self_att(normed, normed, use_causal_mask=True)
    want_out, want_scores = _mha_oracle(cross, h, xs[1])
    assert_close(got_out, want_out)
    assert_close(got_scores, want_scores)
    again = convkit.models.Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    for a, b in zip(again.predict(xs, verbose=0), (got_out, got_scores)):
        np.testing.assert_array_equal(a, b)


def test_symbolic_attention_mask_must_broadcast_against_the_scores():
    inp = Input((4, 6))
    with pytest.raises(ValueError, match="broadcastable"):
        MultiHeadAttention(2, 3)(inp, inp, attention_mask=Input((4, 5)))


# ---- Attention, AdditiveAttention ------------------------------------------------------------------

def _attention_oracle(layer, query, value, key=None, causal=False):
    key = value if key is None else key
    q, v, k = _f64(query), _f64(value), _f64(key)
    w = {weight.name: _f64(weight.value) for weight in layer.weights}
    scale = w.get("scale", 1.0)
    if isinstance(layer, AdditiveAttention):
        scores = (np.tanh(q[..., :, None, :] + k[..., None, :, :]) * scale).sum(-1)
    elif layer.score_mode == "dot":
        scores = np.einsum("...td,...sd->...ts", q, k) * scale
    else:
        scores = w["concat_score_weight"] * np.tanh(scale * (q[..., :, None, :] + k[..., None, :, :])).sum(-1)
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, scores - 1e9)
    weights = ref._softmax(scores)
    return weights @ v, weights


@pytest.mark.parametrize("make", [
    lambda: Attention(), lambda: Attention(use_scale=True), lambda: Attention(score_mode="concat"),
    lambda: Attention(use_scale=True, score_mode="concat"), lambda: AdditiveAttention(),
    lambda: AdditiveAttention(use_scale=False),
])
@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_layers_match_oracle(make, with_key, causal, rng, assert_close):
    layer = make()
    q = rng.standard_normal((2, 4, 3))
    v = rng.standard_normal((2, 6, 5 if with_key else 3))
    inputs = [q, v] + ([rng.standard_normal((2, 6, 3))] if with_key else [])
    layer.build([x.shape for x in inputs])
    if layer.weights:
        random_weights(layer, rng)
    want, want_scores = _attention_oracle(layer, *inputs, causal=causal)
    assert_close(layer(inputs, use_causal_mask=causal), want)
    out, scores = layer(inputs, use_causal_mask=causal, return_attention_scores=True)
    assert_close(out, want)
    assert_close(scores, want_scores)
    assert layer.compute_output_shape([x.shape for x in inputs]) == out.shape


def test_attention_weights_and_more_batch_axes(rng, assert_close):
    assert [(w.name, w.shape) for w in _built(Attention(use_scale=True, score_mode="concat"))] == [
        ("scale", ()), ("concat_score_weight", ())]
    assert [(w.name, w.shape) for w in _built(AdditiveAttention())] == [("scale", (3,))]
    assert _built(AdditiveAttention(use_scale=False)) == []
    layer = Attention(use_scale=True)
    q, v = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 6, 5))
    layer.build([q.shape, v.shape])
    random_weights(layer, rng)
    assert_close(layer([q, v], use_causal_mask=True), _attention_oracle(layer, q, v, causal=True)[0])


def _built(layer):
    layer.build([(None, 4, 3), (None, 6, 3)])
    return layer.weights


def test_attention_keeps_inputs(rng):
    q, v = rng.standard_normal((2, 4, 3)).astype(np.float32), rng.standard_normal((2, 5, 3))
    keep = [q.copy(), v.copy()]
    for layer in (Attention(score_mode="concat"), AdditiveAttention()):
        y = layer((q, v), use_causal_mask=True)
        assert y.dtype == np.float32 and y.flags.c_contiguous
    np.testing.assert_array_equal(q, keep[0])
    np.testing.assert_array_equal(v, keep[1])


def test_attention_bad_arguments_and_calls(rng):
    q = rng.standard_normal((2, 4, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="additive")
    with pytest.raises(ValueError, match="dropout"):
        Attention(dropout=-0.1)
    with pytest.raises(ValueError, match="list of inputs"):
        Attention()(q)
    with pytest.raises(ValueError, match="length 2 or 3"):
        AdditiveAttention()([q, q, q, q])
    with pytest.raises(ValueError, match="mask must be a list"):
        Attention()([q, q], mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="mask list of length 2 or 3"):
        Attention()([q, q], mask=[None])
    with pytest.raises(ValueError, match="training=True"):
        Attention(dropout=0.2)([q, q], training=True)
    with pytest.raises(ValueError, match="same last dimension"):
        Attention()([q, q[..., :2]])
    with pytest.raises(ValueError, match="key and value"):
        Attention()([q, q, q[:, :3]])
    with pytest.raises(ValueError, match="batch"):
        Attention()([q, q[:1]])
    with pytest.raises(ValueError, match="rank"):
        Attention()([q[:, 0], q[:, 0]])


@pytest.mark.parametrize("layer, keys", [
    (Attention(use_scale=True, score_mode="concat", dropout=0.2, seed=4),
     {"use_scale": True, "score_mode": "concat", "dropout": 0.2, "seed": 4}),
    (AdditiveAttention(use_scale=False), {"use_scale": False, "dropout": 0.0, "seed": None}),
])
def test_attention_config_round_trip(layer, keys):
    config = layer.get_config()
    assert {k: config[k] for k in keys} == keys
    assert set(config) == {"name", "trainable", "dtype"} | set(keys)
    assert type(layer).from_config(config).get_config() == config


def test_attention_in_a_functional_model(rng, assert_close):
    q_in, v_in = Input((4, 3)), Input((6, 3))
    out, scores = Attention(use_scale=True)([q_in, v_in], return_attention_scores=True, use_causal_mask=True)
    assert out.shape == (None, 4, 3) and scores.shape == (None, 4, 6)
    model = convkit.models.Model([q_in, v_in], [out, scores])
    random_weights(model, rng)
    xs = [rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 6, 3))]
    want = _attention_oracle(model.layers[-1], *xs, causal=True)
    for got, expected in zip(model.predict(xs, verbose=0), want):
        assert_close(got, expected)


# ---- Dot -----------------------------------------------------------------------------------------

def _dot_oracle(x, y, axes, normalize=False):
    x, y = _f64(x), _f64(y)
    a0, a1 = (axes, axes) if isinstance(axes, int) else axes
    a0, a1 = a0 % x.ndim, a1 % y.ndim
    if normalize:
        x = x / np.maximum(np.sqrt((x * x).sum(a0, keepdims=True)), 1e-7)
        y = y / np.maximum(np.sqrt((y * y).sum(a1, keepdims=True)), 1e-7)
    out = np.stack([np.tensordot(x[i], y[i], axes=(a0 - 1, a1 - 1)) for i in range(x.shape[0])])
    return out.reshape(x.shape[0], 1) if out.ndim == 1 else out


@pytest.mark.parametrize("axes, x_shape, y_shape", [
    (1, (3, 4), (3, 4)), (-1, (2, 3, 4), (2, 5, 4)), (2, (2, 3, 4), (2, 5, 4)), ((1, 2), (2, 3, 4), (2, 5, 3)),
    ((2, 1), (2, 3, 4, 5), (2, 4, 6)), ((1, 1), (2, 3), (2, 3, 5)), ((-1, 1), (2, 5, 3), (2, 3)),
    ([3, -3], (2, 2, 3, 4), (2, 4, 3, 2)),
])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_oracle(axes, x_shape, y_shape, normalize, rng, assert_close):
    x, y = rng.standard_normal(x_shape), rng.standard_normal(y_shape).astype(np.float32)
    keep = [x.copy(), y.copy()]
    out = Dot(axes, normalize=normalize)([x, y])
    assert_close(out, _dot_oracle(x, y, axes, normalize))
    assert out.shape == Dot(axes).compute_output_shape([x_shape, y_shape]) and out.flags.c_contiguous
    np.testing.assert_array_equal(x, keep[0])
    np.testing.assert_array_equal(y, keep[1])
    np.testing.assert_array_equal(dot([x, y], axes=axes, normalize=normalize), out)


def test_dot_empty_batch():
    assert Dot(1)([np.zeros((0, 4)), np.zeros((0, 4))]).shape == (0, 1)
    assert Dot((2, 1))([np.zeros((0, 3, 4)), np.zeros((0, 4, 5))]).shape == (0, 3, 5)


def test_dot_normalize_of_zeros_is_zero():
    out = Dot(1, normalize=True)([np.zeros((2, 3)), np.ones((2, 3))])
    np.testing.assert_array_equal(out, np.zeros((2, 1), np.float32))


@pytest.mark.parametrize("axes, error, match", [
    ("1", TypeError, "axes"), ((1,), ValueError, "two elements"), ((1, 2.0), ValueError, "integers"),
])
def test_dot_bad_axes(axes, error, match):
    with pytest.raises(error, match=match):
        Dot(axes)


@pytest.mark.parametrize("axes, shapes, match", [
    (1, [(2, 3, 4), (2, 5, 4)], "Incompatible input shapes"),
    (0, [(2, 3), (2, 3)], "axis 0"),
    (3, [(2, 3), (2, 3)], "does not exist"),
    (1, [(2, 3), (3, 3)], "batch sizes"),
    (1, [(3,), (3,)], "rank < 2"),
    (1, [(2, 3), (2, 3), (2, 3)], "2 inputs"),
])
def test_dot_bad_shapes(axes, shapes, match):
    with pytest.raises(ValueError, match=match):
        Dot(axes)([np.zeros(s, np.float32) for s in shapes])


def test_dot_config_round_trip():
    layer = Dot((1, 2), normalize=True, name="cos")
    config = layer.get_config()
    assert config == {"name": "cos", "trainable": True, "dtype": "float32", "axes": (1, 2), "normalize": True}
    assert Dot.from_config(config).get_config() == config
