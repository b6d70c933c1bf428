"""Whole models built by the same code with `keras` or `convkit` as the module, weights copied
with `model.set_weights(keras_model.get_weights())`, predict outputs compared."""
import numpy as np
import pytest

import convkit


def vgg(M):
    L = M.layers
    return M.Sequential([
        L.Conv2D(8, 3, padding="same", activation="relu", input_shape=(16, 16, 3)),
        L.Conv2D(8, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(16, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dense(32, activation="relu"),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ])


def unet(M):
    L = M.layers

    def block(x, f):
        x = L.Conv2D(f, 3, padding="same")(x)
        x = L.BatchNormalization()(x)
        return L.Activation("relu")(x)

    inp = M.Input(shape=(16, 16, 2))
    d1 = block(inp, 4)
    p1 = L.MaxPooling2D(2)(d1)
    d2 = block(p1, 8)
    p2 = L.MaxPooling2D(2)(d2)
    b = block(p2, 16)
    u2 = L.Conv2DTranspose(8, 2, strides=2, padding="same")(b)
    c2 = block(L.concatenate([u2, d2]), 8)
    u1 = L.Conv2DTranspose(4, 3, strides=2, padding="same")(c2)
    c1 = block(L.concatenate([u1, d1]), 4)
    out = L.Conv2D(1, 1, activation="sigmoid")(c1)
    return M.Model(inp, out)


def text_classifier(M):
    L = M.layers
    inp = M.Input(shape=(20,), dtype="int32")
    x = L.Embedding(50, 8)(inp)
    x = L.Conv1D(16, 3, padding="causal", activation="relu")(x)
    x = L.Conv1D(16, 3, padding="causal", dilation_rate=2, activation="relu")(x)
    x = L.GlobalMaxPooling1D()(x)
    x = L.Dense(8, activation="relu")(x)
    out = L.Dense(1, activation="sigmoid")(x)
    return M.Model(inp, out)


def mobilenet_block(M):
    L = M.layers
    inp = M.Input(shape=(17, 17, 3))
    x = L.ZeroPadding2D(((0, 1), (0, 1)))(inp)
    x = L.Conv2D(8, 3, strides=2, padding="valid", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU(6.0)(x)
    y = L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    y = L.BatchNormalization()(y)
    y = L.ReLU(6.0)(y)
    y = L.Conv2D(8, 1, use_bias=False)(y)
    y = L.BatchNormalization()(y)
    x = L.add([x, y])
    x = L.SeparableConv2D(12, 3, padding="same", activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    out = L.Dense(4, activation="softmax")(x)
    return M.Model(inp, out)


def rnn_stack(M):
    L = M.layers
    return M.Sequential([
        L.LSTM(8, return_sequences=True, input_shape=(7, 5)),
        L.GRU(6, return_sequences=True, go_backwards=True),
        L.SimpleRNN(4),
        L.Dense(3),
    ])


def two_heads(M):
    L = M.layers
    a = M.Input(shape=(8, 8, 2))
    b = M.Input(shape=(6,))
    f = L.GlobalAveragePooling2D()(L.Conv2D(4, 3, activation="relu")(a))
    g = L.Dense(4, activation="tanh")(b)
    h = L.Concatenate()([f, g])
    return M.Model([a, b], [L.Dense(3, activation="softmax")(h), L.Dense(1)(L.Add()([f, g]))])


MODELS = {
    "vgg": (vgg, [(5, 16, 16, 3)]),
    "unet": (unet, [(2, 16, 16, 2)]),
    "text": (text_classifier, ["int:(6, 20):50"]),
    "mobilenet": (mobilenet_block, [(3, 17, 17, 3)]),
    "rnn_stack": (rnn_stack, [(4, 7, 5)]),
    "two_heads": (two_heads, [(3, 8, 8, 2), (3, 6)]),
}


def _inputs(specs, rng):
    out = []
    for spec in specs:
        if isinstance(spec, str):
            _, shape, high = spec.split(":")
            out.append(rng.integers(0, int(high), size=eval(shape)).astype(np.int32))
        else:
            out.append(rng.standard_normal(spec).astype(np.float32))
    return out


def _perturb(keras, model, rng):
    """Non-trivial weights everywhere: biases off zero, BatchNormalization moving stats set."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, m, v = weights
            new = [rng.uniform(0.5, 1.5, g.shape), 0.2 * rng.standard_normal(b.shape),
                   0.3 * rng.standard_normal(m.shape), rng.uniform(0.3, 2.0, v.shape)]
        else:
            new = [w + 0.05 * rng.standard_normal(w.shape) for w in weights]
        layer.set_weights([w.astype(np.float32) for w in new])


@pytest.mark.parametrize("name", list(MODELS))
def test_model_matches_keras(name, keras, rng, to_numpy, assert_parity):
    build, specs = MODELS[name]
    k_model = build(keras)
    _perturb(keras, k_model, rng)
    c_model = build(convkit)
    k_weights = k_model.get_weights()
    assert [w.shape for w in c_model.get_weights()] == [tuple(w.shape) for w in k_weights]
    assert c_model.count_params() == k_model.count_params()
    c_model.set_weights(k_weights)
    xs = _inputs(specs, rng)
    x = xs[0] if len(xs) == 1 else xs
    expected = k_model.predict(x, verbose=0)
    actual = c_model.predict(x, batch_size=2, verbose=0)
    assert_parity(actual, expected)
    assert c_model.output_shape == k_model.output_shape
    assert c_model.input_shape == k_model.input_shape
