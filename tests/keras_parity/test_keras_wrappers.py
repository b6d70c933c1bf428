"""TimeDistributed and Bidirectional against Keras 3 (torch backend): outputs with Keras's weights,
weight lists, sub-layer names, configs both ways and the errors for bad arguments."""
import numpy as np
import pytest

import convkit.layers as ck


def _pair(keras, build):
    """The same wrapper built by both libraries: build(module) -> layer."""
    return build(keras.layers), build(ck)


def _outputs(value, to_numpy):
    return to_numpy(list(value)) if isinstance(value, (list, tuple)) else [to_numpy(value)]


def _random_keras_weights(k_layer, rng, scale=0.5):
    weights = [(rng.standard_normal(w.shape) * scale).astype(np.float32) for w in k_layer.get_weights()]
    k_layer.set_weights(weights)
    return weights


@pytest.mark.parametrize("build, shape", [
    (lambda L: L.TimeDistributed(L.Dense(4, activation="relu")), (2, 5, 3)),
    (lambda L: L.TimeDistributed(L.Dense(3)), (2, 3, 4, 5)),
    (lambda L: L.TimeDistributed(L.Conv2D(4, 3, padding="same", activation="tanh")), (2, 3, 7, 6, 2)),
    (lambda L: L.TimeDistributed(L.Conv2D(3, 2, strides=2, data_format="channels_first")), (2, 3, 2, 6, 5)),
    (lambda L: L.TimeDistributed(L.MaxPooling2D(2)), (2, 4, 6, 7, 3)),
    (lambda L: L.TimeDistributed(L.MaxPooling2D(3, strides=2, padding="same")), (1, 2, 7, 7, 2)),
    (lambda L: L.TimeDistributed(L.Conv1D(2, 3)), (2, 3, 8, 2)),
])
def test_time_distributed_matches_keras(build, shape, keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = _pair(keras, build)
    x = rng.standard_normal(shape).astype(np.float32)
    k_layer(x)
    c_layer.build(shape)
    weights = _random_keras_weights(k_layer, rng)
    c_layer.set_weights(weights)
    assert [w.shape for w in c_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    for got, want in zip(c_layer.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    assert_parity(c_layer(x), to_numpy(k_layer(x)))
    for batch in ((None,) + shape[1:], shape):
        assert tuple(c_layer.compute_output_shape(batch)) == tuple(k_layer.compute_output_shape(batch))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences, return_state", [(False, False), (True, False), (False, True),
                                                            (True, True)])
def test_bidirectional_matches_keras(kind, merge_mode, return_sequences, return_state, keras, rng, to_numpy,
                                     assert_parity):
    def build(L):
        return L.Bidirectional(getattr(L, kind)(3, return_sequences=return_sequences, return_state=return_state),
                               merge_mode=merge_mode)

    k_layer, c_layer = _pair(keras, build)
    x = rng.standard_normal((2, 6, 4)).astype(np.float32)
    k_layer(x)
    c_layer.build(x.shape)
    c_layer.set_weights(_random_keras_weights(k_layer, rng))
    want = _outputs(k_layer(x), to_numpy)
    got = c_layer(x)
    assert_parity(got if isinstance(got, list) else [got], want)
    assert isinstance(got, list) == (len(want) > 1)
    k_shapes = k_layer.compute_output_shape((None, 6, 4))
    k_shapes = list(k_shapes) if isinstance(k_shapes[0], tuple) else [k_shapes]
    c_shapes = c_layer.compute_output_shape((None, 6, 4))
    c_shapes = c_shapes if isinstance(c_shapes, list) else [c_shapes]
    assert [tuple(s) for s in c_shapes] == [tuple(s) for s in k_shapes]


@pytest.mark.parametrize("build", [
    lambda L: L.Bidirectional(L.SimpleRNN(3, return_sequences=True),
                              backward_layer=L.SimpleRNN(3, activation="relu", return_sequences=True,
                                                         go_backwards=True), merge_mode="sum"),
    lambda L: L.Bidirectional(L.GRU(2, reset_after=False), backward_layer=L.GRU(4, go_backwards=True)),
    lambda L: L.Bidirectional(L.LSTM(3, return_state=True, use_bias=False),
                              backward_layer=L.LSTM(3, return_state=True, go_backwards=True, name="rev"),
                              merge_mode=None),
])
def test_bidirectional_with_a_backward_layer_matches_keras(build, keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = _pair(keras, build)
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    k_layer(x)
    c_layer.build(x.shape)
    weights = _random_keras_weights(k_layer, rng)
    c_layer.set_weights(weights)
    assert [w.shape for w in c_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert_parity(_outputs(c_layer(x), lambda v: v), _outputs(k_layer(x), to_numpy))
    assert c_layer.forward_layer.name.startswith("forward_") and k_layer.forward_layer.name.startswith("forward_")
    assert c_layer.backward_layer.go_backwards == k_layer.backward_layer.go_backwards


def test_bidirectional_sublayer_names_and_weight_order_as_keras(keras):
    for name in ("lstm_a", "forward_lstm_b", "backward_c"):
        k_layer, c_layer = _pair(keras, lambda L: L.Bidirectional(L.LSTM(2, name=name)))
        assert c_layer.forward_layer.name == k_layer.forward_layer.name
        assert c_layer.backward_layer.name == k_layer.backward_layer.name
    k_layer, c_layer = _pair(keras, lambda L: L.Bidirectional(L.GRU(2, name="gru_x")))
    k_layer.build((None, 4, 3))
    c_layer.build((None, 4, 3))
    # Keras's paths name the forward layer's variables first: bidirectional/forward_gru_x/gru_cell/kernel ...
    k_owner = [w.path.split("/")[-3] for w in k_layer.weights]
    assert k_owner == ["forward_gru_x"] * 3 + ["backward_gru_x"] * 3
    assert [w.path.split("/")[0] for w in c_layer.weights] == k_owner
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]


@pytest.mark.parametrize("build", [
    lambda L: L.TimeDistributed(L.Conv2D(3, 3, padding="same", name="c")),
    lambda L: L.TimeDistributed(L.Dense(2, activation="relu", use_bias=False)),
    lambda L: L.Bidirectional(L.LSTM(3, return_sequences=True)),
    lambda L: L.Bidirectional(L.GRU(2, reset_after=False), merge_mode=None),
    lambda L: L.Bidirectional(L.SimpleRNN(2), backward_layer=L.SimpleRNN(2, go_backwards=True, activation="relu"),
                              merge_mode="ave"),
])
def test_wrapper_configs_match_keras_both_ways(build, keras, rng, to_numpy, assert_parity):
    k_layer, c_layer = _pair(keras, build)
    k_config, c_config = k_layer.get_config(), c_layer.get_config()
    assert list(c_config) == list(k_config)
    for key in ("layer", "backward_layer"):
        if key in k_config:
            assert set(c_config[key]) == {"module", "class_name", "config", "registered_name"}
            assert c_config[key]["class_name"] == k_config[key]["class_name"]
            assert set(c_config[key]["config"]) == set(k_config[key]["config"])
            prefix = "backward_" if key == "backward_layer" else "forward_"
            assert c_config[key]["config"]["name"].startswith(prefix) == k_config[key]["config"]["name"].startswith(
                prefix)
    if "merge_mode" in k_config:
        assert c_config["merge_mode"] == k_config["merge_mode"]
    # a Keras config builds the convkit layer, which then computes Keras's numbers
    from_keras = type(c_layer).from_config(k_config)
    assert set(from_keras.get_config()) == set(k_config)
    x = rng.standard_normal((2, 3, 5, 5, 2) if "TimeDistributed" in type(c_layer).__name__
                            and "Conv" in k_config["layer"]["class_name"] else (2, 3, 5)).astype(np.float32)
    k_layer(x)
    from_keras.build(x.shape)
    from_keras.set_weights(_random_keras_weights(k_layer, rng))
    assert_parity(_outputs(from_keras(x), lambda v: v), _outputs(k_layer(x), to_numpy))


@pytest.mark.parametrize("make", [
    lambda L: L.TimeDistributed("dense"),
    lambda L: L.TimeDistributed(L.Dense),
    lambda L: L.Bidirectional("lstm"),
    lambda L: L.Bidirectional(L.Dense(2)),
    lambda L: L.Bidirectional(L.LSTM(2), merge_mode="max"),
    lambda L: L.Bidirectional(L.LSTM(2), merge_mode="CONCAT"),
    lambda L: L.Bidirectional(L.LSTM(2), backward_layer="lstm"),
    lambda L: L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2)),
    lambda L: L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2, go_backwards=True, return_sequences=True)),
    lambda L: L.Bidirectional(L.GRU(2, return_state=True), backward_layer=L.GRU(2, go_backwards=True)),
    lambda L: L.Bidirectional(L.LSTM(2, go_backwards=True)),  # the backward copy would run backwards too
    lambda L: L.Wrapper(3),
    lambda L: L.TimeDistributed(L.Dense(2))(np.zeros((2, 3), np.float32)),
    lambda L: L.Bidirectional(L.LSTM(2))(np.zeros((2, 3), np.float32)),
])
def test_bad_arguments_raise_as_keras(make, keras):
    with pytest.raises((ValueError, TypeError)) as k_error:
        make(keras.layers)
    with pytest.raises((ValueError, TypeError)) as c_error:
        make(ck)
    assert c_error.type is k_error.type, (c_error.value, k_error.value)


def test_both_libraries_export_the_wrappers(keras):
    for name in ("Wrapper", "TimeDistributed", "Bidirectional"):
        assert hasattr(keras.layers, name) and isinstance(getattr(ck, name), type)
        assert ck.get(name) is getattr(ck, name)
