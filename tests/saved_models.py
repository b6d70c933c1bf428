"""Models and file helpers shared by the saving tests (tests/saving/test_save_models.py, which
reads convkit's files back, and tests/keras_parity/test_keras_save_roundtrip.py and
test_keras_tensor_kwargs.py, which have Keras read them)."""
import json
import zipfile

import numpy as np

import convkit
from convkit import layers as L


def all_layers(model):
    """Every layer of a model, nested models and the models wrappers hold included."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, convkit.Model):
            yield from all_layers(layer)
        for attr in ("layer", "forward_layer", "backward_layer"):
            if hasattr(layer, attr) and isinstance(getattr(layer, attr), convkit.Model):
                yield from all_layers(getattr(layer, attr))


def randomize(model, seed=0):
    """Random weights, positive where a variance is (BatchNormalization)."""
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.uniform(0.2, 1.0, w.shape) * rng.choice([-1, 1], w.shape)).astype(np.float32)
                       for w in model.get_weights()])
    for layer in all_layers(model):
        if isinstance(layer, L.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([g, b, m, np.abs(v) + 0.5])
    return model


def sequential():
    bn = L.BatchNormalization()
    model = convkit.Sequential([
        L.Input((10, 10, 3)), L.Conv2D(4, 3, padding="same", activation="relu"), bn,
        L.DepthwiseConv2D(3, depth_multiplier=2), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.2),
        L.Dense(5, activation="softmax"),
    ])
    bn.trainable = False  # its weights are then listed in creation order: the file order must not depend on it
    return model


def functional():
    # two inputs, a layer shared by both, two outputs (one a list of one is not enough: also a raw tensor)
    a, b = L.Input((6,), name="left"), L.Input((6,), name="right")
    shared = L.Dense(4, activation="tanh", name="shared")
    x, y = shared(a), shared(b)
    merged = L.Concatenate()([L.Add()([x, y]), L.Multiply()([x, y])])
    return convkit.Model([a, b], [L.Dense(3, name="head")(merged), y])


def nested():
    # a Sequential inside a functional model, and a functional model called twice (once as an output)
    block = convkit.Sequential([L.Input((5,)), L.BatchNormalization(), L.Dense(5), L.ReLU()], name="block")
    ia, ib = L.Input((5,)), L.Input((5,))
    pair = convkit.Model([ia, ib], L.Dense(5)(L.Subtract()([ia, ib])), name="pair")
    inp = L.Input((5,))
    first = pair([inp, block(inp)])
    second = pair([first, inp])
    return convkit.Model(inp, [second, first])


def recurrent():
    frame = convkit.Sequential([L.Input((6, 6, 2)), L.Conv2D(3, 3), L.Flatten()], name="frame")
    inp = L.Input((4, 6, 6, 2))
    x = L.TimeDistributed(L.Conv2D(2, 1))(inp)
    x = L.TimeDistributed(frame)(x)
    x = L.LSTM(5, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(3, return_sequences=True),
                        backward_layer=L.GRU(3, return_sequences=True, go_backwards=True, activation="relu"))(x)
    x = L.Bidirectional(L.SimpleRNN(2, return_sequences=True), merge_mode="sum")(x)
    return convkit.Model(inp, [L.TimeDistributed(L.Dense(2))(x)])  # a list of one output stays a list


def operations():
    op = L.KerasOperation
    inp = L.Input((6,))
    x = L.Dense(4)(inp)
    y = op("Multiply", [None, 1.0 / 6.0])(op("Relu6")(op("Add", [None, 3.0])(x)))  # MobileNetV3's hard sigmoid
    y = op("Subtract", [1.0, None])(op("Multiply", [None, None])([y, x]))
    return convkit.Model(inp, L.Dense(2)(op("Silu")(y)))


MODELS = {"sequential": sequential, "functional": functional, "nested": nested, "recurrent": recurrent,
          "operations": operations}


def without_shared_ids(value):
    """Keras marks objects serialized twice (a dtype policy shared by layers) with their Python id."""
    if isinstance(value, dict):
        return {k: without_shared_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [without_shared_ids(v) for v in value]
    return value


def archive_config(path):
    """config.json of a `.keras` archive, without Keras's shared-object ids."""
    with zipfile.ZipFile(path) as archive:
        return without_shared_ids(json.loads(archive.read("config.json")))
