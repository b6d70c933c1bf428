"""Keras's subclassing API against Keras 3 (torch backend): the same classes written twice, once on
keras.layers / keras.Model and once on convkit, give the same weight lists (names, shapes, order,
trainable or not), Keras's numbers with Keras's weights, and `.weights.h5` files each library
reads from the other."""
import numpy as np
import pytest

import convkit


def _classes(L, Model, Sequential=None):
    """The classes of these tests, on a library's layers module `L`, Model and Sequential classes."""

    class ResidualBlock(L.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.conv = L.Conv2D(filters, 3, padding="same")
            self.bn = L.BatchNormalization()
            self.dense = L.Dense(filters)

        def call(self, x):
            return x + self.dense(self.bn(self.conv(x)))

    class ImageNet(Model):
        def __init__(self, frozen_block=False, **kwargs):
            super().__init__(**kwargs)
            self.stem = L.Conv2D(4, 1)
            self.blocks = [ResidualBlock(4), ResidualBlock(4, trainable=not frozen_block)]
            self.pool = L.GlobalAveragePooling2D()
            self.heads = {"class": L.Dense(3, activation="softmax"), "box": L.Dense(2)}

        def call(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            x = self.pool(x)
            return {name: head(x) for name, head in self.heads.items()}

    class SequenceNet(Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.project = L.Dense(6)
            self.lstm = L.LSTM(5, return_sequences=True)
            self.deep = [[L.Dense(5, activation="tanh")], (L.Dense(5),)]
            self._out = L.Dense(2)

        def call(self, x):
            x = self.lstm(self.project(x))
            x = self.deep[1][0](self.deep[0][0](x))
            return self._out(x[:, -1])

    class Interleaved(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.convs, self.norms = [], []
            for _ in range(2):
                self.convs.append(L.Dense(3))
                self.norms.append(L.LayerNormalization())

        def call(self, x):
            for conv, norm in zip(self.convs, self.norms):
                x = norm(conv(x))
            return x

    class Fuse(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.left = L.Dense(3)
            self.right = L.Dense(3)

        def call(self, inputs):
            a, b = inputs
            return self.left(a) * self.right(b)

    class Nested(Model):
        """A subclassed model, a Sequential model and a two-input layer as attributes."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = SequenceNet()
            self.seq = Sequential([L.Dense(4, activation="relu"), L.Dense(2)])
            self.fuse = Fuse()

        def call(self, x):
            return self.fuse([self.inner(x), self.seq(x[:, 0])])

    class Scaled(L.Layer):
        """Its own variable (made in build) besides a sublayer."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = L.Dense(3)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")
            self.shift = self.add_weight(shape=(3,), initializer="zeros", name="shift", trainable=False)

        def call(self, x):
            return self.inner(x) * self.scale + self.shift

    class ScaledNet(Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.head = Scaled()

        def call(self, x):
            return self.head(x)

    return {"ImageNet": ImageNet, "SequenceNet": SequenceNet, "Interleaved": Interleaved,
            "ResidualBlock": ResidualBlock, "Nested": Nested, "ScaledNet": ScaledNet}


_INPUTS = {"ImageNet": (5, 6, 6, 3), "SequenceNet": (4, 7, 3), "Interleaved": (3, 4), "Nested": (4, 7, 3),
           "ScaledNet": (3, 4)}
_MODELS = ["ImageNet", "SequenceNet", "Interleaved", "Nested", "ScaledNet"]


def _pair(keras, name, **kwargs):
    k_model = _classes(keras.layers, keras.Model, keras.Sequential)[name](**kwargs)
    c_model = _classes(convkit.layers, convkit.Model, convkit.Sequential)[name](**kwargs)
    return k_model, c_model


def _random_keras_weights(k_model, rng):
    weights = []
    for w in k_model.weights:
        value = rng.uniform(-0.8, 0.8, tuple(w.shape))
        if "variance" in w.name:
            value = np.abs(value) + 0.5
        weights.append(value.astype(np.float32))
    k_model.set_weights(weights)
    return weights


def _described(weights):
    return [(w.name, tuple(w.shape)) for w in weights]


def _built_pair(keras, name, rng, **kwargs):
    k_model, c_model = _pair(keras, name, **kwargs)
    x = rng.standard_normal(_INPUTS[name]).astype(np.float32)
    k_model(x)
    c_model(x)
    return k_model, c_model, x


@pytest.mark.parametrize("name", _MODELS)
def test_weight_lists_match_keras(name, keras, rng):
    k_model, c_model, _ = _built_pair(keras, name, rng)
    assert _described(c_model.weights) == _described(k_model.weights)
    assert _described(c_model.trainable_weights) == _described(k_model.trainable_weights)
    assert _described(c_model.non_trainable_weights) == _described(k_model.non_trainable_weights)
    assert c_model.count_params() == k_model.count_params()


@pytest.mark.parametrize("name", _MODELS)
def test_kerass_weights_give_kerass_outputs(name, keras, rng, to_numpy, assert_parity):
    k_model, c_model, x = _built_pair(keras, name, rng)
    c_model.set_weights(_random_keras_weights(k_model, rng))
    expected, actual = k_model(x), c_model(x)
    if isinstance(expected, dict):
        assert set(actual) == set(expected)
        for key in expected:
            assert_parity(actual[key], to_numpy(expected[key]), tol=1e-5)
    else:
        assert_parity(actual, to_numpy(expected), tol=1e-5)


def test_predict_matches_kerass(keras, rng, to_numpy, assert_parity):
    k_model, c_model, _ = _built_pair(keras, "ImageNet", rng)
    c_model.set_weights(_random_keras_weights(k_model, rng))
    x = rng.standard_normal((7, 6, 6, 3)).astype(np.float32)
    expected = k_model.predict(x, batch_size=3, verbose=0)
    actual = c_model.predict(x, batch_size=3, verbose=0)
    assert isinstance(actual, dict) and set(actual) == set(expected)
    for key in expected:
        assert_parity(actual[key], expected[key], tol=1e-5)


def test_trainable_follows_kerass_rules(keras, rng):
    k_model, c_model, _ = _built_pair(keras, "ImageNet", rng, frozen_block=True)
    for k_layer, c_layer in ((k_model, c_model), (k_model.blocks[1], c_model.blocks[1])):
        assert _described(c_layer.trainable_weights) == _described(k_layer.trainable_weights)
        assert _described(c_layer.non_trainable_weights) == _described(k_layer.non_trainable_weights)
    for model in (k_model, c_model):
        model.blocks[0].trainable = False
        model.heads["box"].trainable = False
    assert _described(c_model.trainable_weights) == _described(k_model.trainable_weights)
    assert [layer.trainable for layer in (c_model.blocks[0].conv, c_model.blocks[0].bn)] == \
        [layer.trainable for layer in (k_model.blocks[0].conv, k_model.blocks[0].bn)] == [False, False]
    for model in (k_model, c_model):
        model.trainable = False
    assert c_model.trainable_weights == [] and len(k_model.trainable_weights) == 0
    assert _described(c_model.non_trainable_weights) == _described(k_model.non_trainable_weights)


def _vars_groups(h5py, path):
    """{group path: [variable shapes]} of every `vars` group of a Keras 3 weights file."""
    groups = {}
    with h5py.File(path, "r") as f:
        def visit(name, item):
            if name.endswith("vars") and isinstance(item, h5py.Group):
                groups[name] = [tuple(item[key].shape) for key in sorted(item, key=int)]
        f.visititems(visit)
    return groups


@pytest.mark.parametrize("name", ["ImageNet", "SequenceNet", "Nested", "ScaledNet"])
def test_weights_files_load_both_ways(name, keras, rng, tmp_path, to_numpy, assert_parity):
    h5py = pytest.importorskip("h5py")
    k_model, c_model, x = _built_pair(keras, name, rng)
    _random_keras_weights(k_model, rng)
    expected = k_model(x)
    k_model.save_weights(tmp_path / "keras.weights.h5")
    c_model.load_weights(tmp_path / "keras.weights.h5")
    for got, want in zip(c_model.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(got, to_numpy(want))
    c_model.save_weights(tmp_path / "convkit.weights.h5")
    assert _vars_groups(h5py, tmp_path / "convkit.weights.h5") == _vars_groups(h5py, tmp_path / "keras.weights.h5")

    k_fresh, _ = _pair(keras, name)
    k_fresh(x)
    k_fresh.load_weights(tmp_path / "convkit.weights.h5")
    actual = k_fresh(x)
    for want, got in ((expected, actual), (expected, c_model(x))):
        if isinstance(want, dict):
            for key in want:
                assert_parity(np.asarray(to_numpy(got[key]), np.float32), to_numpy(want[key]), tol=1e-5)
        else:
            assert_parity(np.asarray(to_numpy(got), np.float32), to_numpy(want), tol=1e-5)


def test_a_subclassed_model_inside_a_functional_model_matches_keras(keras, rng, to_numpy, assert_parity):
    def build(L, Model, Input):
        block = _classes(L, Model)["ResidualBlock"]

        class Tower(Model):
            def __init__(self):
                super().__init__()
                self.block = block(3)
                self.out = L.Dense(5)

            def call(self, x):
                return self.out(self.block(x))

        inputs = Input((6, 6, 3))
        return Model(inputs, L.Flatten()(Tower()(inputs)))

    k_model = build(keras.layers, keras.Model, keras.Input)
    c_model = build(convkit.layers, convkit.Model, convkit.Input)
    assert _described(c_model.weights) == _described(k_model.weights)
    assert c_model.output_shape == tuple(k_model.output_shape)
    c_model.set_weights(_random_keras_weights(k_model, rng))
    x = rng.standard_normal((4, 6, 6, 3)).astype(np.float32)
    assert_parity(c_model.predict(x, verbose=0), k_model.predict(x, verbose=0), tol=1e-5)


def test_a_mask_reaches_a_subclassed_models_layers_as_in_keras(keras, rng, to_numpy, assert_parity):
    def build(L, Model, Input):
        class Encoder(Model):
            def __init__(self):
                super().__init__()
                self.lstm = L.LSTM(4, return_sequences=True)
                self.last = L.GRU(3)

            def call(self, x, mask=None):
                return self.last(self.lstm(x, mask=mask), mask=mask)

        inputs = Input((6,), dtype="int32")
        return Model(inputs, Encoder()(L.Embedding(12, 5, mask_zero=True)(inputs)))

    k_model = build(keras.layers, keras.Model, keras.Input)
    c_model = build(convkit.layers, convkit.Model, convkit.Input)
    assert _described(c_model.weights) == _described(k_model.weights)
    c_model.set_weights(_random_keras_weights(k_model, rng))
    ids = np.array([[3, 1, 0, 0, 0, 0], [5, 6, 7, 8, 9, 11], [2, 0, 0, 0, 0, 0]])
    assert_parity(c_model.predict(ids, verbose=0), k_model.predict(ids, verbose=0), tol=1e-5)


def _trainable_states(make, lib, model_cls, sequential_cls):
    """Each step's (layer flags, trainable weight count) after Keras's trainable setter calls."""
    model, inner = make(lib, model_cls, sequential_cls)
    states = [([layer.trainable for layer in inner], len(model.trainable_weights))]
    for value in (True, False, True):
        model.trainable = value
        states.append(([layer.trainable for layer in inner], len(model.trainable_weights)))
    inner[0].trainable = False
    states.append(([layer.trainable for layer in inner], len(model.trainable_weights)))
    return states


def _functional(lib, Model, Sequential):
    inp = lib.Input((4,))
    d1, d2 = lib.layers.Dense(3), lib.layers.Dense(2, trainable=False)
    return Model(inp, d2(d1(inp)), trainable=False), [d1, d2]


def _sequential(lib, Model, Sequential):
    d1, d2 = lib.layers.Dense(3, trainable=False), lib.layers.Dense(2)
    return Sequential([lib.Input((4,)), d1, d2]), [d1, d2]


def _bidirectional(lib, Model, Sequential):
    layer = lib.layers.Bidirectional(lib.layers.LSTM(2, trainable=False))
    layer.build((None, 3, 4))
    return layer, [layer.forward_layer, layer.backward_layer]


@pytest.mark.parametrize("make", [_functional, _sequential, _bidirectional])
def test_trainable_setter_reaches_the_layers_of_models_and_wrappers_as_in_keras(keras, make):
    # Keras's setter sets the flag on every layer a model or wrapper holds, even those made
    # frozen, and the model's trainable weights follow the layers' flags.
    want = _trainable_states(make, keras, keras.Model, keras.Sequential)
    got = _trainable_states(make, convkit, convkit.Model, convkit.Sequential)
    assert got == want


def _block_class(L):
    """A custom layer made of sublayers, with the get_config Keras needs to save it in a model."""

    class Block(L.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.inner = [L.Dense(units, activation="relu"), L.Dense(units)]
            self.norm = L.LayerNormalization()

        def call(self, x):
            return self.norm(x + self.inner[1](self.inner[0](x)))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Block


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_custom_composite_layer_in_a_keras_model_file_loads_and_saves_back(keras, tmp_path, suffix):
    # The common case of a user's model: a functional model holding custom layers made of
    # sublayers, saved by Keras, loaded by convkit with custom_objects, and saved back for Keras.
    k_block, c_block = _block_class(keras.layers), _block_class(convkit.layers)
    inp = keras.Input((8,))
    x = k_block(8)(keras.layers.Dense(8)(inp))
    k_model = keras.Model(inp, keras.layers.Dense(2)(k_block(8)(x)))
    rng = np.random.default_rng(5)
    k_model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.3 for w in k_model.get_weights()])
    x = rng.standard_normal((4, 8)).astype(np.float32)
    want = keras.ops.convert_to_numpy(k_model(x))
    k_model.save(tmp_path / f"keras{suffix}")
    c_model = convkit.saving.load_model(tmp_path / f"keras{suffix}", custom_objects={"Block": c_block})
    assert [w.shape for w in c_model.weights] == [tuple(w.shape) for w in k_model.weights]
    np.testing.assert_allclose(c_model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    c_model.save(tmp_path / f"convkit{suffix}")
    again = keras.saving.load_model(tmp_path / f"convkit{suffix}", custom_objects={"Block": k_block})
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(again(x)), want)


# ---- whole subclassed models in `.keras` files ---------------------------------------------------
# Keras saves a subclassed model as its class, its config (get_config, or Keras's automatic config
# of the constructor's arguments), its build_config and its weights; loading takes the class.

_WHOLE = ["ImageNet", "SequenceNet", "Nested", "ScaledNet"]


def _outputs_match(actual, expected, to_numpy, assert_parity):
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected)
        for key in expected:
            assert_parity(np.asarray(to_numpy(actual[key]), np.float32), to_numpy(expected[key]), tol=1e-5)
    else:
        assert_parity(np.asarray(to_numpy(actual), np.float32), to_numpy(expected), tol=1e-5)


def _archive_config(path):
    import json
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


@pytest.mark.parametrize("name", _WHOLE)
def test_a_keras_subclassed_model_file_loads_in_convkit_with_its_class(name, keras, rng, tmp_path, to_numpy,
                                                                       assert_parity):
    pytest.importorskip("h5py")
    k_model, c_model, x = _built_pair(keras, name, rng)
    _random_keras_weights(k_model, rng)
    k_model.save(tmp_path / "keras.keras")
    loaded = convkit.saving.load_model(tmp_path / "keras.keras", custom_objects={name: type(c_model)})
    assert type(loaded) is type(c_model) and loaded.built and loaded.name == k_model.name
    assert _described(loaded.weights) == _described(k_model.weights)
    for got, want in zip(loaded.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(got, to_numpy(want))
    _outputs_match(loaded(x), k_model(x), to_numpy, assert_parity)


@pytest.mark.parametrize("name", _WHOLE)
def test_a_convkit_subclassed_model_file_is_kerass_and_loads_in_keras_with_its_class(name, keras, rng, tmp_path,
                                                                                      to_numpy, assert_parity):
    pytest.importorskip("h5py")
    k_model, c_model, x = _built_pair(keras, name, rng)
    c_model.set_weights(_random_keras_weights(k_model, rng))
    expected = k_model(x)
    k_model.save(tmp_path / "keras.keras")
    c_model.save(tmp_path / "convkit.keras")
    written, kerass = _archive_config(tmp_path / "convkit.keras"), _archive_config(tmp_path / "keras.keras")
    assert written["config"].pop("name") == c_model.name
    kerass["config"].pop("name")
    assert written == kerass  # module, class, config, build_config, compile_config
    loaded = keras.saving.load_model(tmp_path / "convkit.keras", custom_objects={name: type(k_model)})
    assert loaded.built and loaded.name == c_model.name
    _outputs_match(loaded(x), expected, to_numpy, assert_parity)


@pytest.mark.parametrize("name", _WHOLE)
def test_json_configs_of_subclassed_models_make_built_models_in_both_libraries(name, keras, rng):
    k_model, c_model, _ = _built_pair(keras, name, rng)
    from_keras = convkit.models.model_from_json(k_model.to_json(), custom_objects={name: type(c_model)})
    from_convkit = keras.models.model_from_json(c_model.to_json(), custom_objects={name: type(k_model)})
    assert from_keras.built and from_convkit.built  # (from the build_config in each JSON)
    assert _described(from_keras.weights) == _described(from_convkit.weights) == _described(k_model.weights)


def test_automatic_configs_match_kerass(keras):
    # a layer's: the arguments it was given; a model's: its constructor's defaults (Keras's
    # Model.__new__ passes none on), so frozen_block=True is written as its default, False
    k_classes = _classes(keras.layers, keras.Model, keras.Sequential)
    c_classes = _classes(convkit.layers, convkit.Model, convkit.Sequential)
    for make in (lambda c: c["ResidualBlock"](6, trainable=False, name="block"),
                 lambda c: c["ImageNet"](frozen_block=True, name="net")):
        want, got = make(k_classes).get_config(), make(c_classes).get_config()
        assert want.pop("dtype")["config"]["name"] == got.pop("dtype") == "float32"
        assert got == want


def test_a_functional_model_of_subclassed_parts_without_get_config_round_trips(keras, rng, tmp_path, to_numpy,
                                                                               assert_parity):
    pytest.importorskip("h5py")

    def build(L, Model, Input):
        block = _classes(L, Model)["ResidualBlock"]  # no get_config: its automatic config holds `filters`

        class Tower(Model):  # a subclassed model as a layer: its call takes no mask, so none is recorded
            def __init__(self, units=5, **kwargs):
                super().__init__(**kwargs)
                self.block = block(3)
                self.out = L.Dense(units)

            def call(self, x):
                return self.out(self.block(x))

        inputs = Input((6, 6, 3))
        model = Model(inputs, L.Flatten()(Tower()(block(3, name="first")(inputs))))
        return model, {"ResidualBlock": block, "Tower": Tower}

    k_model, k_objects = build(keras.layers, keras.Model, keras.Input)
    c_model, c_objects = build(convkit.layers, convkit.Model, convkit.Input)
    c_model.set_weights(_random_keras_weights(k_model, rng))
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    expected = to_numpy(k_model(x))
    for suffix in (".keras", ".h5"):
        k_model.save(tmp_path / f"keras{suffix}")
        loaded = convkit.saving.load_model(tmp_path / f"keras{suffix}", custom_objects=c_objects)
        assert_parity(loaded.predict(x, verbose=0), expected, tol=1e-5)
        loaded.save(tmp_path / f"convkit{suffix}")
        again = keras.saving.load_model(tmp_path / f"convkit{suffix}", custom_objects=k_objects)
        assert_parity(np.asarray(to_numpy(again(x)), np.float32), expected, tol=1e-5)


def test_a_config_keras_cannot_write_is_refused_by_both(keras, rng, tmp_path):
    pytest.importorskip("h5py")

    def needs(L, Model):
        class Needs(Model):  # a required constructor argument: no automatic config for a model
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.dense = L.Dense(units)

            def call(self, x):
                return self.dense(x)

        return Needs(2)

    x = rng.standard_normal((3, 4)).astype(np.float32)
    for model in (needs(keras.layers, keras.Model), needs(convkit.layers, convkit.Model)):
        model(x)
        with pytest.raises(NotImplementedError, match="(?s)Object Needs .*get_config"):
            model.save(tmp_path / "needs.keras")


def test_a_subclassed_model_file_without_its_class_says_to_pass_it(keras, rng, tmp_path):
    pytest.importorskip("h5py")
    k_model, c_model, _ = _built_pair(keras, "ScaledNet", rng)
    k_model.save(tmp_path / "scaled.keras")
    with pytest.raises(ValueError, match="'ScaledNet'.*custom_objects"):
        convkit.models.load_model(tmp_path / "scaled.keras")
    c_model.load_weights(tmp_path / "scaled.keras")  # the archive's weights also load into a built model
    for got, want in zip(c_model.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(got, np.asarray(want))
