"""Keras's subclassing API: layers and models whose sublayers are attributes. Tracking (order,
containers, duplicates, re-assignment), trainable, weights lists and set_weights, subclassed
models (call, predict, build, summary, as a layer of a functional model), the functional-subclass
pattern, weights files, whole-model files (configs, Keras's automatic configs, build_config), and
convkit's own layers left as they were (no Keras needed; the parity with Keras is in
tests/keras_parity/test_keras_subclassing.py)."""
import copy
import json

import numpy as np
import pytest

import convkit
from convkit import layers as L


class Block(L.Layer):
    """A residual block: conv -> batch norm -> dense, added to its input."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = L.Conv2D(filters, 3, padding="same")
        self.bn = L.BatchNormalization()
        self.dense = L.Dense(filters)

    def call(self, x):
        return x + self.dense(self.bn(self.conv(x)))


class Net(convkit.Model):
    """A stem, a list of blocks, a pooling layer and a dict of heads."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = L.Conv2D(4, 1)
        self.blocks = [Block(4), Block(4)]
        self.pool = L.GlobalAveragePooling2D()
        self.heads = {"class": L.Dense(3, activation="softmax"), "box": L.Dense(2)}

    def call(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        x = self.pool(x)
        return {name: head(x) for name, head in self.heads.items()}


def _weight_ids(layer):
    return [id(w) for w in layer.weights]


def _expected_block_weights(block):
    return block.conv.weights + block.bn.weights + block.dense.weights


def _images(rng, n=5):
    return rng.standard_normal((n, 6, 6, 3)).astype(np.float32)


def _randomize(layer, rng):
    layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in layer.weights])


# ---- tracking --------------------------------------------------------------------------------

def test_sublayers_stored_as_attributes_give_the_weights_in_assignment_order(rng):
    block = Block(3)
    assert block.weights == []  # nothing built yet
    y = block(rng.standard_normal((2, 5, 5, 3)).astype(np.float32))
    assert y.shape == (2, 5, 5, 3)
    assert _weight_ids(block) == [id(w) for w in _expected_block_weights(block)]
    assert [w.name for w in block.weights] == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance",
                                               "kernel", "bias"]
    assert block.count_params() == 3 * 3 * 3 * 3 + 3 + 4 * 3 + 3 * 3 + 3


def test_lists_tuples_dicts_and_nesting_are_tracked_in_the_order_seen(rng):
    class Holder(L.Layer):
        def __init__(self):
            super().__init__()
            self.first = L.Dense(1)
            self.items = [L.Dense(2), (L.Dense(3), {"x": L.Dense(4), "y": [L.Dense(5)]})]
            self.table = {"b": L.Dense(6), "a": L.Dense(7)}
            self.group = {L.Dense(8)}
            self.label = "not a layer"
            self.shape = (3, 4)

    holder = Holder()
    units = [layer.units for layer in holder._flatten_layers(include_self=False, recursive=False)]
    assert units == [1, 2, 3, 4, 5, 6, 7, 8]
    assert holder.shape == (3, 4) and holder.label == "not a layer"
    for layer in holder._flatten_layers(include_self=False):
        layer.build((None, 2))
    assert [w.shape[1] for w in holder.weights if w.name == "kernel"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert isinstance(holder.items, list) and isinstance(holder.table, dict)  # stored as tracked copies


def test_layers_added_later_are_tracked_when_added_and_removed_ones_are_not():
    class Interleaved(L.Layer):
        def __init__(self):
            super().__init__()
            self.convs = []
            self.norms = []
            for _ in range(2):
                self.convs.append(L.Dense(1, name=f"conv_{len(self.convs)}"))
                self.norms.append(L.Dense(1, name=f"norm_{len(self.norms)}"))
            self.table = {}
            self.table["late"] = L.Dense(1, name="late")

    layer = Interleaved()
    names = [sub.name for sub in layer._flatten_layers(include_self=False)]
    assert names == ["conv_0", "norm_0", "conv_1", "norm_1", "late"]  # Keras's order: as they came
    removed = layer.convs.pop()
    layer.table.pop("late")
    layer.norms.remove(layer.norms[0])
    names = [sub.name for sub in layer._flatten_layers(include_self=False)]
    assert names == ["conv_0", "norm_1"] and removed.name == "conv_1"


def test_duplicates_count_once_and_a_reassigned_attribute_keeps_its_old_layer(rng):
    shared = L.Dense(2, name="shared")

    class Reuse(L.Layer):
        def __init__(self):
            super().__init__()
            self.a = shared
            self.b = [shared, shared]
            self.c = L.Dense(2, name="first_c")
            self.c = L.Dense(2, name="second_c")  # Keras leaves first_c tracked

        def call(self, x):
            return self.c(self.a(x))

    layer = Reuse()
    shared_, first_c, second_c = layer._flatten_layers(include_self=False)
    assert (shared_.name, first_c.name, second_c.name) == ("shared", "first_c", "second_c")
    layer(rng.standard_normal((3, 2)).astype(np.float32))
    first_c.build((None, 2))  # no longer an attribute, still a sublayer: its weights are listed
    assert _weight_ids(layer) == _weight_ids(shared) + _weight_ids(first_c) + _weight_ids(second_c)


def test_own_weights_come_before_the_sublayers_and_a_layer_is_not_its_own_sublayer(rng):
    class Scaled(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = L.Dense(2)
            self.me = self

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, x):
            return self.inner(x) * self.scale.value

    layer = Scaled()
    y = layer(rng.standard_normal((3, 4)).astype(np.float32))
    assert y.shape == (3, 2)
    assert [w.name for w in layer.weights] == ["scale", "kernel", "bias"]
    assert layer._flatten_layers(include_self=False) == [layer.inner]


def test_trainable_reaches_the_sublayers_and_filters_the_weights_as_keras_does(rng):
    block = Block(3)
    block(rng.standard_normal((1, 4, 4, 3)).astype(np.float32))
    block.trainable = False
    assert not block.conv.trainable and not block.bn.trainable and not block.dense.trainable
    assert block.trainable_weights == [] and _weight_ids(block) == [id(w) for w in block.non_trainable_weights]
    block.trainable = True
    block.conv.trainable = False
    assert [w.name for w in block.trainable_weights] == ["gamma", "beta", "kernel", "bias"]
    assert [w.name for w in block.non_trainable_weights] == ["kernel", "bias", "moving_mean", "moving_variance"]

    class Outer(L.Layer):
        def __init__(self):
            super().__init__()
            self.frozen = Block(3, trainable=False)  # made frozen: its sublayers keep trainable=True

        def call(self, x):
            return self.frozen(x)

    outer = Outer()
    outer(rng.standard_normal((1, 4, 4, 3)).astype(np.float32))
    assert outer.frozen.trainable_weights == []
    # Keras marks each variable: the frozen block's sublayers' variables are still marked trainable
    assert [w.name for w in outer.trainable_weights] == ["kernel", "bias", "gamma", "beta", "kernel", "bias"]


def test_set_weights_fills_the_sublayers_checks_everything_first_and_keeps_the_inputs(rng):
    block = Block(3)
    x = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    before = block(x)
    values = [rng.uniform(0.5, 1.5, w.shape).astype(np.float64) for w in block.weights]
    kept = [v.copy() for v in values]
    block.set_weights(values)
    for got, want in zip(block.get_weights(), values):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-7)
    for v, k in zip(values, kept):
        np.testing.assert_array_equal(v, k)
    after = block(x)
    assert not np.allclose(before, after)  # the conv's prepared kernel was rebuilt
    old = block.get_weights()
    with pytest.raises(ValueError, match="weight list of length 7, but the layer was expecting 8 weights"):
        block.set_weights(values[:-1])
    with pytest.raises(ValueError, match=r"weight shape \(3,\) is not compatible with provided weight shape \(4,\)"):
        block.set_weights(values[:-1] + [np.zeros(4)])
    for got, want in zip(block.get_weights(), old):
        np.testing.assert_array_equal(got, want)  # nothing changed by the failed calls


def test_count_params_of_an_unbuilt_subclassed_layer_raises():
    with pytest.raises(ValueError, match="isn't built"):
        Block(2).count_params()


def test_a_training_call_is_refused_where_a_sublayer_computes_something_else(rng):
    block = Block(3)
    x = rng.standard_normal((1, 4, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(block(x, training=False), block(x))
    with pytest.raises(ValueError, match=r"'batch_normalization.*Received: training=True"):
        block(x, training=True)


def test_a_layer_made_of_sublayers_takes_a_list_as_given_also_in_a_functional_model(rng):
    class Fuse(L.Layer):
        def __init__(self):
            super().__init__()
            self.left = L.Dense(3)
            self.right = L.Dense(3)

        def call(self, inputs):
            a, b = inputs
            return self.left(a) * self.right(b)

    fuse = Fuse()
    a = rng.standard_normal((2, 4)).astype(np.float32)
    b = rng.standard_normal((2, 5)).astype(np.float32)
    np.testing.assert_allclose(fuse([a, b]), fuse.left(a) * fuse.right(b), rtol=1e-6)
    inputs = [convkit.Input((4,)), convkit.Input((5,))]
    output = fuse(inputs)
    assert output.shape == (None, 3)
    model = convkit.Model(inputs, output)
    np.testing.assert_allclose(model.predict([a, b], verbose=0), fuse([a, b]), rtol=1e-6)


def test_only_layers_written_by_users_pay_for_tracking():
    # convkit's own classes keep Python's attribute assignment (the speed of building models)
    assert L.Conv2D.__setattr__ is object.__setattr__ and convkit.Model.__setattr__ is object.__setattr__
    assert Block.__setattr__ is not object.__setattr__ and Net.__setattr__ is not object.__setattr__


def test_tracked_containers_copy_as_plain_containers():
    class Holder(L.Layer):
        def __init__(self):
            super().__init__()
            self.sizes = [1, 2]
            self.options = {"a": [3]}

    holder = Holder()
    copied = copy.deepcopy({"sizes": holder.sizes, "options": holder.options})
    assert type(copied["sizes"]) is list and type(copied["options"]) is dict and type(copied["options"]["a"]) is list
    assert copied == {"sizes": [1, 2], "options": {"a": [3]}}


def test_convkit_layers_holding_inner_layers_keep_their_weights(rng):
    bidirectional = L.Bidirectional(L.LSTM(3))
    wrapped = L.TimeDistributed(L.Dense(2))
    bidirectional.build((None, 4, 2))
    wrapped.build((None, 4, 5))
    assert _weight_ids(bidirectional) == _weight_ids(bidirectional.forward_layer) + \
        _weight_ids(bidirectional.backward_layer)
    assert _weight_ids(wrapped) == _weight_ids(wrapped.layer)
    assert not bidirectional._tracked_layers and not wrapped._tracked_layers  # they list their own

    class Holder(L.Layer):
        def __init__(self):
            super().__init__()
            self.rnn = bidirectional
            self.td = wrapped

    assert _weight_ids(Holder()) == _weight_ids(bidirectional) + _weight_ids(wrapped)


# ---- subclassed models -----------------------------------------------------------------------

def test_a_subclassed_model_runs_its_call_and_lists_its_layers(rng):
    model = Net()
    assert not model.built and model.weights == []
    assert [layer.name for layer in model.layers] == [model.stem.name, model.blocks[0].name, model.blocks[1].name,
                                                       model.pool.name, model.heads["class"].name,
                                                       model.heads["box"].name]
    x = _images(rng)
    kept = x.copy()
    out = model(x)
    assert model.built and set(out) == {"class", "box"}
    assert out["class"].dtype == np.float32 and out["class"].shape == (5, 3) and out["box"].shape == (5, 2)
    np.testing.assert_array_equal(x, kept)
    expected = [model.stem.weights] + [_expected_block_weights(b) for b in model.blocks] + \
        [model.heads["class"].weights, model.heads["box"].weights]
    assert _weight_ids(model) == [id(w) for group in expected for w in group]
    assert model.count_params() == sum(int(np.prod(w.shape)) for w in model.weights)


def test_set_weights_of_a_subclassed_model_gives_the_numbers_of_its_layers(rng):
    model = Net()
    x = _images(rng)
    model(x)
    _randomize(model, rng)
    features = model.pool(model.blocks[1](model.blocks[0](model.stem(x))))
    np.testing.assert_allclose(model(x)["box"], model.heads["box"](features), rtol=1e-6)


def test_predict_batches_the_call_and_keeps_its_structure(rng):
    class TwoInputs(convkit.Model):
        def __init__(self):
            super().__init__()
            self.left = L.Dense(3)
            self.right = L.Dense(3)

        def call(self, inputs):
            a, b = inputs
            return self.left(a) + self.right(b), [self.left(a)]

    model = TwoInputs()
    a = rng.standard_normal((7, 4)).astype(np.float32)
    b = rng.standard_normal((7, 2))  # float64: converted
    whole = model([a, b])
    assert isinstance(whole, tuple) and isinstance(whole[1], list)
    batched = model.predict([a, b], batch_size=3, verbose=0)
    assert isinstance(batched, tuple) and isinstance(batched[1], list)
    np.testing.assert_allclose(batched[0], whole[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(batched[1][0], whole[1][0], rtol=1e-6, atol=1e-6)
    assert batched[0].dtype == np.float32 and batched[0].shape == (7, 3)
    assert model.predict([a, b], batch_size=3, steps=2, verbose=0)[0].shape == (6, 3)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        model.predict([a, b], batch_size=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.predict([a, b[:5]])
    with pytest.raises(ValueError, match="0 samples"):
        model.predict([a[:0], b[:0]])


def test_integer_inputs_reach_the_call_as_integers_and_outputs_never_alias_inputs(rng):
    class Tokens(convkit.Model):
        def __init__(self):
            super().__init__()
            self.embed = L.Embedding(10, 3)

        def call(self, ids):
            return self.embed(ids), ids

    model = Tokens()
    ids = np.array([[1, 2], [3, 9]])
    vectors, echoed = model(ids)
    assert vectors.shape == (2, 2, 3) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[1, 1], model.embed.get_weights()[0][9])
    assert echoed is not ids and np.array_equal(echoed, ids)


def test_build_runs_the_call_on_zeros_unless_the_layers_are_built(rng):
    calls = []

    class Counted(Net):
        def call(self, x):
            calls.append(x.shape)
            return super().call(x)

    model = Counted()
    model.build((None, 6, 6, 3))
    assert model.built and calls == [(1, 6, 6, 3)]
    reference = Net()
    reference(np.zeros((1, 6, 6, 3), np.float32))
    assert model.count_params() == reference.count_params() > 0
    model.build((None, 6, 6, 3))
    assert len(calls) == 1  # all its layers are built: nothing to run
    with pytest.raises(ValueError, match="input_shape"):
        Net().build(None)


def test_a_subclassed_models_own_build_is_used(rng):
    shapes = []

    class SelfBuilt(convkit.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def build(self, input_shape):
            shapes.append(input_shape)
            self.dense.build(input_shape)
            self.offset = self.add_weight(shape=(2,), initializer="ones", name="offset")

        def call(self, x):
            return self.dense(x) + self.offset.value

    model = SelfBuilt()
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = model(x)
    assert shapes == [(3, 4)] and model.built
    kernel_before = model.dense.get_weights()[0]
    np.testing.assert_allclose(y, x @ kernel_before + 1, rtol=1e-5, atol=1e-6)
    assert [w.name for w in model.weights] == ["offset", "kernel", "bias"]  # its own first, as in Keras
    model(x)
    assert len(shapes) == 1


def test_summary_lists_the_tracked_layers_built_or_not(rng):
    model = Net()
    lines = []
    model.summary(print_fn=lines.append)
    rows = [line for line in lines if line.startswith("| ") and "Layer (type)" not in line]
    assert len(rows) == 6
    assert all("| ?" in row for row in rows)
    assert "0 (unbuilt)" in rows[0] and rows[3].rstrip(" |").endswith("0")  # pooling is built when made
    assert "Connected to" not in lines[2]
    model(_images(rng))
    lines.clear()
    model.summary(print_fn=lines.append)
    rows = [line for line in lines if line.startswith("| ") and "Layer (type)" not in line]
    assert "(5, 6, 6, 4)" in rows[0] and f"{model.stem.count_params():,}" in rows[0]
    assert "| ?" in rows[1] and f"{model.blocks[0].count_params():,}" in rows[1]
    assert "(5, 3)" in rows[4]
    assert f" Total params: {model.count_params():,}" in "\n".join(lines)


def test_a_model_without_call_says_so():
    class Empty(convkit.Model):
        pass

    with pytest.raises(NotImplementedError, match="does not have a `call\\(\\)` method"):
        Empty()(np.zeros((1, 2), np.float32))


def test_training_and_mask_reach_a_call_that_takes_them():
    seen = {}

    class Flags(convkit.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(1)

        def call(self, x, training=None):
            seen["training"] = training
            return self.dense(x)

    model = Flags()
    x = np.ones((2, 3), np.float32)
    model(x, training=False)
    assert seen["training"] is False
    model(x)
    assert seen["training"] is None
    with pytest.raises(TypeError, match="does not use a mask"):
        model(x, mask=np.ones((2,), bool))


def test_a_subclassed_model_is_a_layer_of_a_functional_model(rng):
    class Tower(convkit.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [Block(3)]
            self.out = L.Dense(5)

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return self.out(x)

    tower = Tower()
    inputs = convkit.Input((6, 6, 3))
    features = tower(inputs)
    assert features.shape == (None, 6, 6, 5)
    outer = convkit.Model(inputs, L.Flatten()(features))
    assert _weight_ids(outer) == _weight_ids(tower)
    x = _images(rng)
    np.testing.assert_allclose(outer.predict(x, verbose=0), tower(x).reshape(5, -1), rtol=1e-6)


def test_unknown_dimensions_stay_unknown_in_a_nested_subclassed_model():
    class Encoder(convkit.Model):
        def __init__(self):
            super().__init__()
            self.lstm = L.LSTM(4, return_sequences=True)
            self.last = L.LSTM(2)

        def call(self, x):
            sequence = self.lstm(x)
            return [sequence, self.last(sequence)]

    inputs = convkit.Input((None, 3))
    sequence, last = Encoder()(inputs)
    assert sequence.shape == (None, None, 4) and last.shape == (None, 2)


@pytest.mark.parametrize("kind", ["model", "layer"])
def test_a_mask_reaches_the_layers_of_a_call_that_takes_it_and_is_refused_otherwise(kind):
    base = convkit.Model if kind == "model" else L.Layer

    class Encoder(base):
        def __init__(self):
            super().__init__()
            self.lstm = L.LSTM(3)

        def call(self, x, mask=None):
            return self.lstm(x, mask=mask)

    class Unmasked(base):
        def __init__(self):
            super().__init__()
            self.lstm = L.LSTM(3)

        def call(self, x):
            return self.lstm(x)

    ids = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]])
    for cls in (Encoder, Unmasked):
        inputs = convkit.Input((5,), dtype="int32")
        embedding = L.Embedding(10, 4, mask_zero=True)
        encoder = cls()
        model = convkit.Model(inputs, encoder(embedding(inputs)))
        if cls is Unmasked:
            with pytest.raises(ValueError, match="takes no `mask` argument"):
                model.predict(ids, verbose=0)
            continue
        # the first row's two tokens, alone: what the masked row must give
        np.testing.assert_allclose(model.predict(ids, verbose=0)[0], encoder.lstm(embedding(ids[:1, :2]))[0],
                                   rtol=1e-5, atol=1e-6)


def test_the_functional_subclass_pattern_is_a_functional_model(rng):
    class Classifier(convkit.Model):
        def __init__(self, classes):
            inputs = convkit.Input((4,))
            dense = L.Dense(classes)
            super().__init__(inputs, dense(L.Dense(8, activation="relu")(inputs)), name="classifier")
            self.dense = dense
            self.extra = L.Dense(1)  # not in the graph: Keras adds its weights after the graph's

    model = Classifier(3)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]
    model.extra.build((None, 8))
    assert [w.shape for w in model.weights] == [(4, 8), (8,), (8, 3), (3,), (8, 1), (1,)]
    x = rng.standard_normal((6, 4)).astype(np.float32)
    hidden = model.layers[1](x)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.dense(hidden), rtol=1e-6)
    assert model.get_config()["name"] == "classifier"


def test_a_subclassed_model_saves_and_loads_as_a_whole_given_its_class(rng, tmp_path):
    pytest.importorskip("h5py")
    model = Net(name="net")
    x = _images(rng)
    model(x)
    _randomize(model, rng)
    # no get_config in Net: Keras's automatic config (its constructor's arguments: none but **kwargs)
    assert model.get_config() == {"name": "net", "trainable": True, "dtype": "float32"}
    model.save(tmp_path / "net.keras")
    loaded = convkit.models.load_model(tmp_path / "net.keras", custom_objects={"Net": Net})
    assert type(loaded) is Net and loaded.built and loaded.name == "net"
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    for key, want in model(x).items():
        np.testing.assert_array_equal(loaded(x)[key], want)
    # a JSON config makes the model and builds it for the input shape it records (fresh weights)
    rebuilt = convkit.models.model_from_json(model.to_json(), custom_objects={"Net": Net})
    assert rebuilt.built and [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
    with pytest.raises(ValueError, match="'Net'.*custom_objects"):
        convkit.models.load_model(tmp_path / "net.keras")


def test_a_subclassed_model_with_a_dict_input_and_its_own_get_config_round_trips(rng, tmp_path):
    pytest.importorskip("h5py")

    class Pair(convkit.Model):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.left, self.right = L.Dense(units), L.Dense(units)

        def call(self, inputs):
            return self.left(inputs["a"]) * self.right(inputs["b"])

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = Pair(3)
    data = {"a": rng.standard_normal((4, 2)).astype(np.float32), "b": rng.standard_normal((4, 5)).astype(np.float32)}
    want = model(data)
    model.save(tmp_path / "pair.keras")
    loaded = convkit.saving.load_model(tmp_path / "pair.keras", custom_objects={"Pair": Pair})
    assert loaded.units == 3 and loaded._build_shape == {"a": (4, 2), "b": (4, 5)}
    np.testing.assert_array_equal(loaded(data), want)


def test_automatic_configs_follow_kerass_rules():
    class Scale(L.Layer):  # a layer: the arguments it was given
        def __init__(self, units, factor=2.0, sizes=(1, 2), **kwargs):
            super().__init__(**kwargs)
            self.units, self.factor = units, factor

    class Sized(convkit.Model):  # a model: its constructor's defaults (Keras's Model.__new__ drops the arguments)
        def __init__(self, width=4, **kwargs):
            super().__init__(**kwargs)
            self.dense = L.Dense(width)

        def call(self, x):
            return self.dense(x)

    class Unnamed(L.Layer):  # a constructor that cannot take `name` back: the config leaves it out
        def __init__(self, rate=0.5):
            super().__init__()

    assert Scale(3, factor=0.5, name="s", trainable=False).get_config() == {
        "name": "s", "units": 3, "factor": 0.5, "sizes": (1, 2), "trainable": False, "dtype": "float32"}
    assert Sized(width=8, name="m").get_config() == {"name": "m", "width": 4, "trainable": True, "dtype": "float32"}
    assert Unnamed(rate=0.1).get_config() == {"rate": 0.1, "trainable": True, "dtype": "float32"}
    assert L.Dense(2).get_config()["units"] == 2  # convkit's own layers keep their own configs


def test_a_config_that_cannot_be_written_is_refused_as_in_keras(rng, tmp_path):
    class Needs(convkit.Model):  # a required argument: a model's automatic config has no value for it
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.dense = L.Dense(units)

        def call(self, x):
            return self.dense(x)

    class Wraps(L.Layer):  # a layer given a layer: not a plain value
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

    class Positional(L.Layer):
        def __init__(self, units, /, **kwargs):
            super().__init__(**kwargs)

    model = Needs(2)
    model(rng.standard_normal((3, 4)).astype(np.float32))
    for action in (model.get_config, model.to_json, lambda: model.save(tmp_path / "needs.keras")):
        with pytest.raises(NotImplementedError, match="Object Needs .*Define `get_config\\(\\)`"):
            action()
    assert not (tmp_path / "needs.keras").exists()
    with pytest.raises(NotImplementedError, match="Object Wraps .*not plain"):
        Wraps(L.Dense(2)).get_config()
    with pytest.raises(NotImplementedError, match="Object Positional .*positional-only"):
        Positional(3).get_config()
    with pytest.raises(TypeError, match="Unable to revive model from config: Needs"):
        Needs.from_config({"name": "needs"})


def test_a_subclassed_model_is_not_saved_as_legacy_h5_which_keras_cannot_load(rng, tmp_path):
    pytest.importorskip("h5py")
    model = Net()
    model(_images(rng))
    with pytest.raises(ValueError, match="legacy HDF5.*Save it as `.keras`"):
        model.save(tmp_path / "net.h5")
    assert not (tmp_path / "net.h5").exists()


def test_a_model_that_cannot_be_built_from_its_build_config_warns_and_stays_unbuilt(rng, tmp_path):
    pytest.importorskip("h5py")
    model = Net(name="net")
    model(_images(rng))
    model.save(tmp_path / "net.keras")
    entry = json.loads(model.to_json())
    entry["build_config"] = {"input_shape": [2, 6]}  # a rank the convolutions cannot take
    with pytest.warns(UserWarning, match="cannot be built automatically"):
        unbuilt = convkit.models.model_from_json(json.dumps(entry), custom_objects={"Net": Net})
    assert not unbuilt.built
    # saved before it was built: no build_config, no weights, and it loads unbuilt (as in Keras)
    with pytest.warns(UserWarning, match="not yet been built"):
        Net(name="fresh").save(tmp_path / "fresh.keras")
    fresh = convkit.models.load_model(tmp_path / "fresh.keras", custom_objects={"Net": Net})
    assert not fresh.built and fresh.weights == []


def test_weights_files_of_a_subclassed_model_use_kerass_layout(rng, tmp_path):
    h5py = pytest.importorskip("h5py")
    model = Net()
    x = _images(rng)
    model(x)
    _randomize(model, rng)
    path = tmp_path / "net.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        groups = []
        f.visit(lambda name: groups.append(name) if name.endswith("vars") else None)
        assert sorted(groups) == sorted([
            "vars", "blocks/block/vars", "blocks/block/conv/vars", "blocks/block/bn/vars", "blocks/block/dense/vars",
            "blocks/block_1/vars", "blocks/block_1/conv/vars", "blocks/block_1/bn/vars",
            "blocks/block_1/dense/vars", "heads/dense/vars", "heads/dense_1/vars",
            # attributes sorting after `layers` are saved under Keras's `layers` attribute
            "layers/conv2d/vars", "layers/global_average_pooling2d/vars"])
        assert f["heads/dense_1/vars/0"].shape == (4, 2) and f["layers/conv2d/vars/0"].shape == (1, 1, 3, 4)
    copy_ = Net()
    with pytest.raises(ValueError, match="has not been built yet"):
        copy_.load_weights(path)
    copy_(x[:1])
    copy_.load_weights(path)
    for got, want in zip(copy_.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(copy_(x)["box"], model(x)["box"])
