"""Keras's masks: Embedding(mask_zero=True) and Masking make one, the layers that support masking
hand it on, and the recurrent, pooling, softmax and attention layers use it, with Keras's
numbers: in models convkit builds, in models Keras saved (whose graphs hold the mask operations
and `mask=` arguments), and in eager calls given `mask=`."""
import inspect

import numpy as np
import pytest

import convkit
from convkit.models import load_model

from conftest import assert_parity, to_numpy
from test_keras_layers import _minimal_args

_ARGS = {
    "Activation": dict(activation="relu"), "Dropout": dict(rate=0.1), "AlphaDropout": dict(rate=0.1),
    "GaussianDropout": dict(rate=0.1), "GaussianNoise": dict(stddev=0.1), "SpatialDropout1D": dict(rate=0.1),
    "SpatialDropout2D": dict(rate=0.1), "SpatialDropout3D": dict(rate=0.1), "Rescaling": dict(scale=2.0),
}


def _layer(module, name):
    if name == "Bidirectional":
        return module.layers.Bidirectional(module.layers.LSTM(2))
    if name in ("TimeDistributed", "Wrapper"):
        return getattr(module.layers, name)(module.layers.Dense(2))
    return getattr(module.layers, name)(**_ARGS.get(name, _minimal_args(name)))


def _call_takes_mask(keras_layer):
    params = inspect.signature(type(keras_layer).call).parameters
    return "mask" in params or "query_mask" in params


def test_which_layers_carry_and_use_masks_matches_keras(keras):
    """supports_masking (the layer hands a mask on) and whether `call` takes a mask, for every
    layer both libraries have; Embedding's follows mask_zero."""
    compared = 0
    for name in sorted(dir(convkit.layers)):
        cls = getattr(convkit.layers, name)
        if not hasattr(keras.layers, name) or not (isinstance(cls, type) and issubclass(cls, convkit.layers.Layer)):
            continue
        try:
            k_layer = _layer(keras, name)
        except (TypeError, ValueError):
            continue
        c_layer = _layer(convkit, name)
        assert bool(c_layer.supports_masking) == bool(k_layer.supports_masking), name
        if isinstance(c_layer, convkit.layers.MultiHeadAttention):  # and GroupQueryAttention
            assert c_layer._clears_input_masks and "query_mask" in inspect.signature(type(c_layer).call).parameters
        else:
            assert c_layer._call_takes_mask() == _call_takes_mask(k_layer), name
        compared += 1
    assert compared > 80
    for mask_zero in (False, True):
        assert convkit.layers.Embedding(5, 2, mask_zero=mask_zero).supports_masking == mask_zero
        assert keras.layers.Embedding(5, 2, mask_zero=mask_zero).supports_masking == mask_zero


def _random_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in model.get_weights()])


def _keras_and_convkit(keras, build, tmp_path, x):
    """build(layers, Input, Model) in Keras (random weights) and in convkit (Keras's weights), the
    Keras model saved and loaded by convkit: (keras's outputs, convkit's, loaded's)."""
    k_model = build(keras.layers, keras.Input, keras.Model)
    _random_weights(k_model)
    want = to_numpy(keras, k_model(x))
    c_model = build(convkit.layers, convkit.Input, convkit.Model)
    c_model.set_weights(k_model.get_weights())
    path = str(tmp_path / "masked.keras")
    k_model.save(path)
    return want, c_model.predict(x, verbose=0), load_model(path).predict(x, verbose=0)


def _ids(rng, n=5, steps=7, vocab=20):
    """Token ids with padding Keras masks: trailing, leading, in the middle, and a sample with none left."""
    ids = rng.integers(1, vocab, (n, steps)).astype(np.int32)
    ids[0, 4:] = 0
    ids[1, :2] = 0
    ids[2, 3] = 0
    ids[n - 1, :] = 0
    return ids


@pytest.mark.parametrize("rnn", ["LSTM", "GRU", "SimpleRNN", "GRU-reset-before", "LSTM-python-loop"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers_skip_masked_steps(keras, tmp_path, rnn, return_sequences, go_backwards):
    def build(layers, make_input, model):
        kwargs = dict(return_sequences=return_sequences, go_backwards=go_backwards, return_state=True)
        if rnn == "GRU-reset-before":
            layer = layers.GRU(3, reset_after=False, **kwargs)  # convkit's Python step loop
        elif rnn == "LSTM-python-loop":
            layer = layers.LSTM(3, activation="softsign", **kwargs)  # no C cell for softsign
        else:
            layer = getattr(layers, rnn)(3, **kwargs)
        inp = make_input((7,), dtype="int32")
        x = layers.Dense(4)(layers.Embedding(20, 5, mask_zero=True)(inp))  # Dense hands the mask on
        return model(inp, layer(x))

    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, _ids(np.random.default_rng(1)))
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_zero_output_for_mask_and_a_sequence_that_is_all_padding(keras):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 6, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0, 1, 0, 0], [0, 0, 1, 1, 1, 1], [0] * 6, [1] * 6], bool)
    for cls in ("LSTM", "GRU", "SimpleRNN"):
        for zero in (False, True):
            for seqs in (False, True):
                k_layer = getattr(keras.layers, cls)(4, return_sequences=seqs, zero_output_for_mask=zero)
                want = to_numpy(keras, k_layer(x, mask=mask))
                c_layer = getattr(convkit.layers, cls)(4, return_sequences=seqs, zero_output_for_mask=zero)
                c_layer.build(x.shape)
                c_layer.set_weights(k_layer.get_weights())
                mask_before = mask.copy()
                assert_parity(c_layer(x, mask=mask), want, 1e-5)
                np.testing.assert_array_equal(mask, mask_before)


def test_the_c_time_loop_and_the_python_one_agree_bitwise_under_a_mask():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 9, 4)).astype(np.float32)
    mask = rng.random((6, 9)) > 0.4
    fast = convkit.layers.LSTM(5, return_sequences=True)
    fast.build(x.shape)
    slow = convkit.layers.LSTM(5, return_sequences=True, activation=lambda v: np.tanh(v))  # no C cell
    slow.build(x.shape)
    slow.set_weights(fast.get_weights())
    assert fast._c_cell() is not None and slow._c_cell() is None
    a, b = fast(x, mask=mask), slow(x, mask=mask)
    # numpy's tanh and the span kernel's can differ in the last bit: compare what the mask decides
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    unmasked = fast(x)
    assert not np.allclose(a, unmasked)


def test_masking_layer_with_bidirectional_and_stacked_recurrent_layers(keras, tmp_path):
    def build(layers, make_input, model):
        inp = make_input((7, 3))
        x = layers.Masking(mask_value=0.0)(inp)
        seq = layers.LSTM(3, return_sequences=True)(x)  # hands the mask on to the next one
        return model(inp, [layers.Bidirectional(layers.GRU(2))(seq),
                           layers.Bidirectional(layers.LSTM(2, return_sequences=True), merge_mode="sum")(x),
                           layers.Masking(mask_value=0.5)(inp)])

    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 7, 3)).astype(np.float32)
    x[0, 5:] = 0
    x[1, 0] = 0
    x[2, 3, :] = 0.5
    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, x)
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_global_average_pooling_averages_the_unmasked_steps(keras, tmp_path):
    def build(layers, make_input, model):
        inp = make_input((7,), dtype="int32")
        emb = layers.Embedding(20, 4, mask_zero=True)(inp)
        return model(inp, [layers.GlobalAveragePooling1D()(emb),
                           layers.GlobalAveragePooling1D(keepdims=True)(layers.Dense(3)(emb))])

    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, _ids(np.random.default_rng(5)))
    for got in (built, loaded):
        for g, w in zip(got, want):
            nan = np.isnan(w)
            assert nan[-1].all() and not nan[:-1].any()  # the all-padding sample: 0 / 0, as Keras
            np.testing.assert_array_equal(np.isnan(g), nan)
            assert_parity(np.where(nan, 0, g).astype(np.float32), np.where(nan, 0, w), 1e-5)


def test_softmax_and_attention_layers_use_the_masks(keras, tmp_path):
    def build(layers, make_input, model):
        inp = make_input((6,), dtype="int32")
        emb = layers.Embedding(20, 4, mask_zero=True)(inp)
        dense = layers.Dense(4)(emb)
        att = layers.Attention(use_scale=True)([dense, emb])
        add = layers.AdditiveAttention()([emb, dense, emb])
        causal = layers.Attention()([emb, emb], use_causal_mask=True)
        mha = layers.MultiHeadAttention(2, 3)(emb, dense)
        merged = layers.Add()([att, add, causal, mha])
        return model(inp, [merged, layers.LSTM(2)(merged), layers.GlobalAveragePooling1D()(mha)])

    ids = _ids(np.random.default_rng(6), n=4, steps=6)[:3]  # no all-padding sample (0 / 0 in the pooling)
    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, ids)
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_multi_head_attention_takes_the_masks_off_its_inputs_when_it_runs(keras, tmp_path):
    """Keras's MultiHeadAttention removes the masks of its query, value and key when it runs, so a
    second one on the same tensor runs unmasked; not when the model is written, so a layer
    recording its mask there (GlobalAveragePooling1D) still gets one."""
    def build(layers, make_input, model):
        inp = make_input((6,), dtype="int32")
        emb = layers.Embedding(20, 4, mask_zero=True)(inp)
        first = layers.MultiHeadAttention(2, 3)(emb, emb)
        second = layers.MultiHeadAttention(2, 3)(emb, emb)
        grouped = layers.GroupQueryAttention(4, 2, 1)(emb, emb)  # a MultiHeadAttention too
        return model(inp, [first, second, grouped, layers.GlobalAveragePooling1D()(layers.Add()([first, second])),
                           layers.GlobalAveragePooling1D()(emb)])

    ids = _ids(np.random.default_rng(16), n=4, steps=6)[:3]
    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, ids)
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_softmax_with_a_mask(keras):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    for mask in (rng.random((3, 4, 5)) > 0.3, rng.random((4, 5)) > 0.3, (rng.random(5) * 0.9).astype(np.float32)):
        want = to_numpy(keras, keras.layers.Softmax()(x, mask=mask))
        assert_parity(convkit.layers.Softmax()(x, mask=mask), want, 1e-6)
    with pytest.raises(ValueError, match="broadcastable"):
        convkit.layers.Softmax()(x, mask=np.ones((3, 4), bool))


def test_merges_combine_the_masks(keras, tmp_path):
    def build(layers, make_input, model):
        a_in, b_in = make_input((6,), dtype="int32"), make_input((6,), dtype="int32")
        a = layers.Embedding(20, 4, mask_zero=True)(a_in)
        b = layers.Embedding(20, 4, mask_zero=True)(b_in)
        plain = layers.Dense(4)(layers.Flatten()(a))  # Flatten drops the mask
        plain = layers.Reshape((1, 4))(plain)
        return model([a_in, b_in], [
            layers.LSTM(2)(layers.Add()([a, b])),  # or of the two masks
            layers.LSTM(2)(layers.Multiply()([a, layers.Dense(4)(b)])),  # masked steps count as 1
            layers.Multiply()([a, layers.Conv1D(4, 1)(b)]),  # one input unmasked: no mask out
            layers.LSTM(2)(layers.Maximum()([a, layers.Dense(4)(b)])),  # masked steps taken from the other
            layers.Minimum()([layers.Conv1D(4, 1)(a), b]),
            layers.LSTM(2)(layers.Concatenate()([a, b])),  # features: any of the two
            layers.LSTM(2)(layers.Concatenate(axis=1)([a, b])),  # steps: the two masks end to end
            layers.LSTM(2)(layers.Concatenate(axis=1)([a, plain])),  # no mask there: all kept
        ])

    rng = np.random.default_rng(8)
    x = [_ids(rng, n=4, steps=6), np.roll(_ids(rng, n=4, steps=6), 2, axis=1)]
    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, x)
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_time_distributed_hands_the_mask_on_and_nested_models_carry_it(keras, tmp_path):
    def build(layers, make_input, model):
        inner_in = make_input((6,), dtype="int32")
        inner = model(inner_in, layers.Dense(3)(layers.Embedding(20, 4, mask_zero=True)(inner_in)), name="inner")
        inp = make_input((6,), dtype="int32")
        x = layers.TimeDistributed(layers.Dense(3))(inner(inp))
        return model(inp, layers.GRU(2)(x))

    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, _ids(np.random.default_rng(9), n=4, steps=6))
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_an_rnn_given_initial_state_gets_no_mask_as_in_keras(keras, tmp_path):
    """Keras fills in `mask` only for a call with one tensor argument: with initial_state the
    recurrent layer runs unmasked, though its sequence output still carries the mask."""
    def build(layers, make_input, model):
        inp, h_in = make_input((6,), dtype="int32"), make_input((3,))
        emb = layers.Embedding(20, 4, mask_zero=True)(inp)
        seq = layers.GRU(3, return_sequences=True)(emb, initial_state=h_in)
        return model([inp, h_in], [seq, layers.SimpleRNN(2)(seq)])

    rng = np.random.default_rng(10)
    x = [_ids(rng, n=4, steps=6), rng.standard_normal((4, 3)).astype(np.float32)]
    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, x)
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_models_whose_mask_keras_drops_load_with_kerass_numbers(keras, tmp_path):
    def build(layers, make_input, model):
        inp = make_input((7,), dtype="int32")
        emb = layers.Embedding(20, 4, mask_zero=True)(inp)
        a = layers.LSTM(3)(layers.Conv1D(4, 3)(emb))  # Conv1D drops the mask
        b = layers.Flatten()(layers.Dense(2)(emb))  # never reaches a layer that uses it
        return model(inp, [a, b])

    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, _ids(np.random.default_rng(11)))
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_conv_lstm_with_a_mask(keras):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 5, 6, 2)).astype(np.float32)
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1], [0] * 5], bool)
    for seqs in (False, True):
        for backwards in (False, True):
            k_layer = keras.layers.ConvLSTM1D(2, 3, padding="same", return_sequences=seqs, go_backwards=backwards)
            want = to_numpy(keras, k_layer(x, mask=mask))
            c_layer = convkit.layers.ConvLSTM1D(2, 3, padding="same", return_sequences=seqs, go_backwards=backwards)
            c_layer.build(x.shape)
            c_layer.set_weights(k_layer.get_weights())
            assert_parity(c_layer(x, mask=mask), want, 1e-5)


def test_a_convkit_model_with_masks_saved_and_loaded_by_keras(keras, tmp_path):
    layers = convkit.layers
    inp = convkit.Input((7,), dtype="int32")
    x = layers.Embedding(20, 5, mask_zero=True)(inp)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    out = layers.GlobalAveragePooling1D()(layers.MultiHeadAttention(2, 2)(x, x))
    model = convkit.Model(inp, out)
    _random_weights(model)
    path = str(tmp_path / "convkit_masked.keras")
    model.save(path)
    ids = _ids(np.random.default_rng(13))[:4]
    want = to_numpy(keras, keras.models.load_model(path)(ids))
    assert_parity(model.predict(ids, verbose=0), want, 1e-5)


def test_eager_masks_and_their_errors():
    lstm = convkit.layers.LSTM(2)
    x = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\)"):
        lstm(x, mask=np.ones((2, 4), bool))
    with pytest.raises(TypeError, match="does not use a mask"):
        convkit.layers.Dense(2)(x, mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="list, namely"):
        convkit.layers.Attention()([x, x], mask=np.ones((2, 3), bool))
    # an all-True mask changes nothing; None is no mask
    np.testing.assert_array_equal(lstm(x, mask=np.ones((2, 3), bool)), lstm(x))
    np.testing.assert_array_equal(lstm(x, mask=None), lstm(x))
    # a model called with masks for its inputs
    inp = convkit.Input((3, 4))
    model = convkit.Model(inp, convkit.layers.GRU(2)(inp))
    mask = np.array([[1, 0, 1], [1, 1, 0]], bool)
    np.testing.assert_array_equal(model(x, mask=mask), model.layers[1](x, mask=mask))
    with pytest.raises(ValueError, match="one mask per input"):
        model(x, mask=[mask, mask])


@pytest.mark.parametrize("cells", ["LSTMCell", "GRUCell", "stacked"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_the_generic_rnn_skips_masked_steps(keras, tmp_path, cells, return_sequences):
    def build(layers, make_input, model):
        cell = ([layers.LSTMCell(3), layers.GRUCell(2)] if cells == "stacked"
                else getattr(layers, cells)(3))
        inp = make_input((7,), dtype="int32")
        x = layers.Embedding(20, 4, mask_zero=True)(inp)
        return model(inp, layers.RNN(cell, return_sequences=return_sequences, go_backwards=cells == "GRUCell")(x))

    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, _ids(np.random.default_rng(14)))
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)


def test_a_cell_of_your_own_under_a_mask(keras):
    class Accumulate:
        state_size = 2

        def call(self, inputs, states):
            h = states[0] + inputs
            return h * 2, [h]

    rng = np.random.default_rng(15)
    x = rng.standard_normal((3, 5, 2)).astype(np.float32)
    mask = np.array([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1], [1, 1, 1, 1, 1]], bool)
    got = convkit.layers.RNN(Accumulate(), return_sequences=True)(x, mask=mask)
    # by hand: a masked step keeps the state and repeats the previous output (zeros before any)
    h, prev, want = np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32), []
    for t in range(5):
        keep = mask[:, t, None]
        h = np.where(keep, h + x[:, t], h)
        prev = np.where(keep, h * 2, prev)
        want.append(prev)
    np.testing.assert_allclose(got, np.stack(want, axis=1), rtol=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_sequential_models_carry_masks(keras, tmp_path, suffix):
    def build(layers, make_input, sequential):
        return sequential([make_input((7,), dtype="int32"), layers.Embedding(20, 4, mask_zero=True),
                           layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
                           layers.GlobalAveragePooling1D(), layers.Dense(2)])

    k_model = build(keras.layers, keras.Input, keras.Sequential)
    _random_weights(k_model)
    ids = _ids(np.random.default_rng(17))[:4]
    want = to_numpy(keras, k_model(ids))
    c_model = build(convkit.layers, convkit.Input, convkit.Sequential)
    c_model.set_weights(k_model.get_weights())
    assert_parity(c_model.predict(ids, verbose=0), want, 1e-5)
    path = str(tmp_path / f"seq{suffix}")
    k_model.save(path)
    assert_parity(load_model(path).predict(ids, verbose=0), want, 1e-5)
    # built on first data (no Input), as Keras's Sequential
    deferred = convkit.Sequential([convkit.layers.Embedding(20, 4, mask_zero=True), convkit.layers.GRU(3)])
    k_deferred = keras.Sequential([keras.layers.Embedding(20, 4, mask_zero=True), keras.layers.GRU(3)])
    k_deferred(ids)
    deferred.predict(ids, verbose=0)
    deferred.set_weights(k_deferred.get_weights())
    assert_parity(deferred.predict(ids, verbose=0), to_numpy(keras, k_deferred(ids)), 1e-5)


def test_a_pipeline_hands_its_mask_to_its_layers(keras, tmp_path):
    """In a model the pipeline's input carries its mask: each layer gets the one its input
    carries (an eager `mask=` reaches only the first layer in Keras, the rest carry none)."""
    def build(layers, make_input, model):
        inp = make_input((7,), dtype="int32")
        emb = layers.Embedding(20, 4, mask_zero=True)(inp)
        pipe = layers.Pipeline([layers.Dense(4), layers.LSTM(3, return_sequences=True),
                                layers.GlobalAveragePooling1D()])
        return model(inp, pipe(emb))

    ids = _ids(np.random.default_rng(18))[:4]
    want, built, loaded = _keras_and_convkit(keras, build, tmp_path, ids)
    assert_parity(built, want, 1e-5)
    assert_parity(loaded, want, 1e-5)
