"""Keras models with attention blocks (MultiHeadAttention, EinsumDense, Attention, Dot), saved as
`.keras`, legacy `.h5` and `.weights.h5`, load into convkit and predict Keras's numbers. A
`.keras` file keeps MultiHeadAttention's projections in nested groups
(`layers/multi_head_attention/query_dense/vars`); a legacy `.h5` file lists them flat under the
layer, in get_weights order."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")

import convkit  # noqa: E402
from convkit.models import load_model  # noqa: E402

L = keras.layers


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.standard_normal(w.shape) * 0.3).astype(np.float32) for w in model.get_weights()])


def _transformer_block():
    # pre-norm encoder block: LayerNorm -> MultiHeadAttention -> residual, LayerNorm -> MLP -> residual
    inp = keras.Input((6, 16))
    x = L.LayerNormalization(epsilon=1e-6)(inp)
    x = L.MultiHeadAttention(num_heads=4, key_dim=8, dropout=0.1)(x, x)
    x = L.Add()([inp, x])
    y = L.LayerNormalization(epsilon=1e-6)(x)
    y = L.Dense(32, activation="gelu")(y)
    y = L.Dropout(0.1)(y)
    y = L.Dense(16)(y)
    return keras.Model(inp, L.Add()([x, y]))


def _small_vit():
    # conv patch embedding, position embedding as a learned Dense on one-hot-free inputs (kept
    # simple), two encoder blocks (one causal, one cross-attending with value_dim != key_dim)
    inp = keras.Input((8, 8, 3))
    x = L.Conv2D(12, 2, strides=2)(inp)
    x = L.Reshape((16, 12))(x)
    for causal in (False, True):
        h = L.LayerNormalization()(x)
        h = L.MultiHeadAttention(3, 4, value_dim=5, output_shape=12)(h, h, use_causal_mask=causal)
        x = L.Add()([x, h])
        h = L.LayerNormalization()(x)
        x = L.Add()([x, L.Dense(12)(L.Dense(24, activation="relu")(h))])
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Dense(5, activation="softmax")(x))


def _hybrid():
    # conv features attending to themselves over two spatial axes, plus the other layers of this change
    inp = keras.Input((4, 5, 3))
    f = L.Conv2D(6, 3, padding="same", activation="relu")(inp)
    a = L.MultiHeadAttention(2, 3, attention_axes=(1, 2))(f, f)
    s = L.Reshape((20, 6))(a)
    e = L.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d", activation="tanh")(s)
    att = L.Attention(use_scale=True, score_mode="concat")([e, e])
    add = L.AdditiveAttention()([e, att])
    d = L.Dot(axes=(2, 2), normalize=True)([e, add])
    return keras.Model(inp, [L.Flatten()(d), L.GlobalAveragePooling1D()(att)])


def _scores_output():
    inp = keras.Input((5, 8))
    mem = keras.Input((7, 6))
    out, scores = L.MultiHeadAttention(2, 4, name="cross")(inp, mem, return_attention_scores=True)
    return keras.Model([inp, mem], [out, scores])


MODELS = {"transformer_block": (_transformer_block, [(3, 6, 16)]), "small_vit": (_small_vit, [(2, 8, 8, 3)]),
          "hybrid": (_hybrid, [(2, 4, 5, 3)]), "scores_output": (_scores_output, [(2, 5, 8), (2, 7, 6)])}


def _inputs(shapes, seed=1):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return xs[0] if len(xs) == 1 else xs


def _as_list(y):
    return [np.asarray(v) for v in y] if isinstance(y, (list, tuple)) else [np.asarray(y)]


def _assert_same(got, want, tol=1e-4):
    got, want = _as_list(got), _as_list(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=0, atol=tol * max(1.0, float(np.abs(w).max())))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_attention_model_loads_and_predicts_keras_numbers(name, suffix, tmp_path):
    build, shapes = MODELS[name]
    k_model = build()
    _randomize(k_model)
    path = str(tmp_path / f"{name}{suffix}")
    k_model.save(path)
    x = _inputs(shapes)
    want = k_model.predict(x, verbose=0)
    c_model = load_model(path)
    assert [w.shape for w in c_model.weights] == [tuple(w.shape) for w in k_model.weights]
    for got, expected in zip(c_model.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(got, expected)
    _assert_same(c_model.predict(x, verbose=0), want)


def test_weights_file_loads_into_convkit_model(tmp_path):
    k_model = _transformer_block()
    _randomize(k_model, seed=3)
    path = str(tmp_path / "block.weights.h5")
    k_model.save_weights(path)
    c_model = convkit.models.Model.from_config(k_model.get_config())
    c_model.load_weights(path)
    x = _inputs([(2, 6, 16)])
    _assert_same(c_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


def test_keras_file_holds_nested_projection_groups(tmp_path):
    """The layout this loading relies on: a `.keras` file's MultiHeadAttention group holds one
    sub-group per projection (not `vars` of its own), and the gate of use_gate is `_gate_dense`."""
    import zipfile

    inp = keras.Input((4, 6))
    k_model = keras.Model(inp, L.MultiHeadAttention(2, 3, use_gate=True)(inp, inp))
    _randomize(k_model, seed=5)
    path = str(tmp_path / "gated.keras")
    k_model.save(path)
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as f:
        group = f["layers/multi_head_attention"]
        assert {"query_dense", "key_dense", "value_dense", "output_dense", "_gate_dense"} <= set(group)
        assert len(group["vars"]) == 0
    c_model = load_model(path)
    x = _inputs([(2, 4, 6)])
    _assert_same(c_model.predict(x, verbose=0), k_model.predict(x, verbose=0))
    mha = c_model.layers[1]
    np.testing.assert_array_equal(mha._gate_dense.kernel.numpy(), k_model.layers[1]._gate_dense.kernel.numpy())


def test_symbolic_attention_mask_in_a_keras_config_loads(tmp_path):
    inp = keras.Input((4, 6))
    mask = keras.Input((4, 4))
    k_model = keras.Model([inp, mask], L.MultiHeadAttention(2, 3)(inp, inp, attention_mask=mask))
    _randomize(k_model)
    path = str(tmp_path / "masked.keras")
    k_model.save(path)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 6)).astype(np.float32)
    m = rng.random((2, 4, 4)) > 0.3
    m[:, :, 0] = True  # every query attends somewhere (Keras's fully masked rows depend on its path)
    want = np.asarray(keras.ops.convert_to_numpy(k_model([x, m.astype(np.float32)])))
    got = load_model(path).predict([x, m.astype(np.float32)], verbose=0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * max(1.0, float(np.abs(want).max())))
