"""Every convkit layer against the same layer built by Keras 3 (torch backend) with the same
arguments; weights copied with `set_weights(keras_layer.get_weights())`."""
import numpy as np
import pytest

import convkit.layers

CF = {"data_format": "channels_first"}

# (class name, kwargs, input shape)
CASES = [
    # --- convolution
    ("Conv1D", dict(filters=4, kernel_size=3), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=4, strides=2, padding="same"), (2, 10, 3)),
    ("Conv1D", dict(filters=3, kernel_size=3, dilation_rate=2, padding="causal", activation="relu"), (2, 9, 2)),
    ("Conv1D", dict(filters=4, kernel_size=2, padding="causal"), (2, 7, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="same", **CF), (2, 3, 9)),
    ("Conv1D", dict(filters=4, kernel_size=3, groups=2, use_bias=False), (2, 8, 4)),
    ("Conv2D", dict(filters=5, kernel_size=3, padding="same", activation="tanh"), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=2, strides=2, padding="same"), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=4, strides=2, padding="same"), (2, 8, 9, 3)),
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), strides=(2, 1), padding="valid"), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=3, kernel_size=3, dilation_rate=2), (2, 8, 7, 2)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same", **CF), (2, 3, 7, 8)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=3, padding="same"), (1, 5, 5, 6)),
    ("Conv3D", dict(filters=3, kernel_size=2, strides=2, padding="same"), (1, 5, 4, 5, 2)),
    ("Conv3D", dict(filters=3, kernel_size=3, **CF), (1, 2, 5, 4, 5)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=2, output_padding=1), (2, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=4, strides=2, padding="same"), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=2, strides=2), (2, 4, 3, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, output_padding=1), (2, 4, 3, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1), (2, 4, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2), (2, 4, 4, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same", **CF), (2, 2, 4, 3)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (1, 2, 3, 2, 3)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (1, 2, 3, 2, 3)),
    # Keras's length rule gives 0 here ('same', explicit output_padding, kernel past the input):
    # an empty output, not an error
    ("Conv1DTranspose", dict(filters=2, kernel_size=4, padding="same", output_padding=0), (1, 1, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=(1, 4), padding="same", output_padding=0), (2, 3, 1, 3)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2), (2, 8, 3)),
    ("DepthwiseConv1D", dict(kernel_size=4, strides=2, padding="same"), (2, 9, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, padding="same"), (2, 6, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=2, strides=2, padding="same", depth_multiplier=2), (2, 7, 6, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2, activation="relu"), (1, 7, 7, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, **CF), (2, 3, 6, 5)),
    ("SeparableConv1D", dict(filters=5, kernel_size=3, padding="same", depth_multiplier=2), (2, 8, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, strides=2), (2, 9, 3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, padding="same"), (2, 6, 5, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=2, strides=2, padding="same", depth_multiplier=2), (2, 7, 6, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, **CF), (2, 3, 6, 5)),
    # a stride and a dilation both above 1: Keras's depthwise and separable layers accept them
    ("DepthwiseConv1D", dict(kernel_size=3, strides=2, dilation_rate=2, padding="same"), (2, 11, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, dilation_rate=2), (1, 9, 9, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=(2, 1), dilation_rate=(1, 2), padding="same",
                             depth_multiplier=2), (2, 8, 9, 3)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3, strides=2, dilation_rate=2, padding="same"), (1, 9, 10, 2)),
    ("SeparableConv1D", dict(filters=3, kernel_size=3, strides=2, dilation_rate=2, **CF), (2, 2, 11)),
    # softmax reduces over the output's last axis, which with channels_first is the last spatial
    # axis (W), not the channels
    ("Conv1D", dict(filters=4, kernel_size=3, activation="softmax", **CF), (2, 3, 9)),
    ("Conv2D", dict(filters=4, kernel_size=3, padding="same", activation="softmax", **CF), (2, 3, 6, 5)),
    ("Conv3D", dict(filters=3, kernel_size=2, activation="log_softmax", **CF), (1, 2, 4, 3, 5)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, activation="softmax", **CF), (2, 2, 4, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, activation="log_softmax", **CF), (2, 3, 6, 5)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, activation="softmax", **CF), (2, 3, 9)),
    ("Conv2D", dict(filters=4, kernel_size=3, activation="softmax"), (2, 6, 5, 3)),
    # --- pooling
    ("MaxPooling1D", dict(), (2, 9, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 9, 3)),
    ("AveragePooling1D", dict(pool_size=2, strides=1, padding="same"), (2, 9, 3)),
    ("AveragePooling1D", dict(pool_size=3, **CF), (2, 3, 9)),
    ("MaxPooling2D", dict(), (2, 7, 6, 3)),
    ("MaxPooling2D", dict(pool_size=2, strides=2, padding="same"), (2, 7, 5, 3)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same", **CF), (2, 3, 7, 6)),
    ("AveragePooling2D", dict(pool_size=(2, 3), strides=(1, 2)), (2, 7, 6, 3)),
    # Keras's torch backend pads uneven "same" average windows by replicating edge values (n=6,
    # pool 3, stride 2 gives (5+6+6)/3, not 5.5), so the parity shapes keep the "same" pads even.
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 7, 3)),
    ("AveragePooling2D", dict(pool_size=2, padding="same"), (2, 5, 5, 3)),
    ("MaxPooling3D", dict(), (1, 4, 5, 4, 2)),
    ("AveragePooling3D", dict(pool_size=2, strides=1, padding="same"), (1, 3, 4, 3, 2)),
    ("GlobalMaxPooling1D", dict(), (2, 9, 3)),
    ("GlobalAveragePooling1D", dict(keepdims=True), (2, 9, 3)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 5, 4, 3)),
    ("GlobalAveragePooling2D", dict(), (2, 5, 4, 3)),
    ("GlobalAveragePooling2D", dict(keepdims=True, **CF), (2, 3, 5, 4)),
    ("GlobalMaxPooling3D", dict(**CF), (1, 2, 3, 4, 3)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (1, 3, 4, 3, 2)),
    # adaptive: regular grids, overlapping windows, outputs larger than the input
    ("AdaptiveAveragePooling1D", dict(output_size=4), (2, 13, 3)),
    ("AdaptiveMaxPooling1D", dict(output_size=5, **CF), (2, 3, 13)),
    ("AdaptiveAveragePooling2D", dict(output_size=(3, 4)), (2, 7, 9, 3)),
    ("AdaptiveAveragePooling2D", dict(output_size=7, **CF), (1, 8, 14, 14)),
    ("AdaptiveMaxPooling2D", dict(output_size=(5, 2)), (2, 3, 11, 4)),
    ("AdaptiveMaxPooling2D", dict(output_size=3, **CF), (2, 3, 7, 7)),
    ("AdaptiveAveragePooling3D", dict(output_size=(2, 3, 2)), (1, 5, 7, 4, 2)),
    ("AdaptiveMaxPooling3D", dict(output_size=2, **CF), (1, 2, 5, 4, 3)),
    # --- reshaping
    ("ZeroPadding1D", dict(padding=(1, 2)), (2, 5, 3)),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 1))), (2, 4, 5, 3)),
    ("ZeroPadding2D", dict(padding=(1, 2), **CF), (2, 3, 4, 5)),
    ("ZeroPadding3D", dict(padding=1), (1, 2, 3, 2, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 7, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 5, 6, 3)),
    ("Cropping2D", dict(cropping=1, **CF), (2, 3, 5, 6)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 1), (1, 1))), (1, 3, 4, 5, 2)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, interpolation="bilinear"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bilinear", **CF), (2, 2, 3, 4)),
    ("UpSampling3D", dict(size=(1, 2, 2)), (1, 2, 3, 2, 2)),
    ("Flatten", dict(), (2, 3, 4, 2)),
    ("Flatten", dict(**CF), (2, 3, 4, 2)),
    ("Reshape", dict(target_shape=(-1, 4)), (2, 3, 8)),
    # --- core
    ("Dense", dict(units=5), (3, 7)),
    ("Dense", dict(units=4, activation="gelu"), (2, 3, 6)),
    ("Dense", dict(units=3, activation="softmax", use_bias=False), (3, 4)),
    ("Activation", dict(activation="swish"), (3, 7)),
    ("Activation", dict(activation="selu"), (3, 7)),
    ("Activation", dict(activation="hard_sigmoid"), (3, 7)),
    ("Activation", dict(activation="log_softmax"), (3, 7)),
    ("Activation", dict(activation="elu"), (3, 7)),
    ("Activation", dict(activation="mish"), (3, 7)),
    ("Dropout", dict(rate=0.4), (3, 7)),
    ("ReLU", dict(), (3, 20)),
    ("ReLU", dict(max_value=6.0), (3, 20)),
    ("ReLU", dict(negative_slope=0.1, threshold=0.5), (3, 20)),
    ("ReLU", dict(max_value=1.0, negative_slope=0.2), (3, 20)),
    ("LeakyReLU", dict(), (3, 20)),
    ("LeakyReLU", dict(negative_slope=0.05), (3, 20)),
    ("Softmax", dict(), (2, 3, 5)),
    ("Softmax", dict(axis=1), (2, 3, 5)),
    ("BatchNormalization", dict(), (2, 4, 5, 3)),
    ("BatchNormalization", dict(axis=1, epsilon=1e-5), (2, 3, 4, 5)),
    ("BatchNormalization", dict(center=False), (3, 6)),
    ("LayerNormalization", dict(), (2, 4, 5, 19)),
    ("LayerNormalization", dict(axis=[-2, -1], epsilon=1e-5), (2, 4, 5, 3)),
    ("LayerNormalization", dict(rms_scaling=True), (3, 70)),
    ("LayerNormalization", dict(rms_scaling=True, scale=False, axis=[1, 2]), (3, 4, 6)),
    ("LayerNormalization", dict(center=False, scale=False), (3, 6)),
    ("Softmax", dict(), (4, 1000)),
    ("Embedding", dict(input_dim=11, output_dim=4), (3, 5)),
    ("ELU", dict(), (3, 20)),
    ("ELU", dict(alpha=0.5), (3, 20)),
    ("Permute", dict(dims=(2, 1)), (2, 3, 5)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), (2, 5)),
    ("SpatialDropout2D", dict(rate=0.3), (2, 4, 4, 3)),
    ("GaussianNoise", dict(stddev=0.5), (3, 7)),
    ("GaussianDropout", dict(rate=0.3), (3, 7)),
    ("AlphaDropout", dict(rate=0.3), (3, 7)),
    # --- recurrent
    ("SimpleRNN", dict(units=4), (2, 5, 3)),
    ("SimpleRNN", dict(units=4, return_sequences=True, go_backwards=True), (2, 5, 3)),
    ("SimpleRNN", dict(units=4, return_state=True), (2, 5, 3)),
    ("LSTM", dict(units=4), (2, 5, 3)),
    ("LSTM", dict(units=4, return_sequences=True), (2, 5, 3)),
    ("LSTM", dict(units=3, return_state=True, return_sequences=True), (2, 5, 3)),
    ("LSTM", dict(units=3, go_backwards=True), (2, 5, 3)),
    ("LSTM", dict(units=3, go_backwards=True, return_sequences=True, return_state=True), (2, 5, 3)),
    ("GRU", dict(units=4), (2, 5, 3)),
    ("GRU", dict(units=4, return_sequences=True, go_backwards=True), (2, 5, 3)),
    ("GRU", dict(units=3, return_state=True), (2, 5, 3)),
    ("GRU", dict(units=3, reset_after=False, return_sequences=True), (2, 5, 3)),
]


def _id(case):
    name, kwargs, shape = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items()).replace(" ", "")
    return f"{name}({args})"


def _random_keras_weights(layer, rng):
    name = type(layer).__name__
    new = []
    weights = layer.get_weights()
    for i, w in enumerate(weights):
        if name == "BatchNormalization" and i == len(weights) - 1:
            new.append(rng.uniform(0.2, 2.0, w.shape))  # moving_variance
        elif name == "BatchNormalization" and i == len(weights) - 2:
            new.append(rng.standard_normal(w.shape))  # moving_mean
        else:
            new.append(w + 0.2 * rng.standard_normal(w.shape))
    layer.set_weights([w.astype(np.float32) for w in new])


def _input(name, kwargs, shape, rng):
    if name == "Embedding":
        return rng.integers(0, kwargs["input_dim"], size=shape)
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_layer_matches_keras(case, keras, rng, to_numpy, assert_parity):
    name, kwargs, shape = case
    k_layer = getattr(keras.layers, name)(**kwargs)
    c_layer = getattr(convkit.layers, name)(**kwargs)
    x = _input(name, kwargs, shape, rng)
    k_layer(x)
    _random_keras_weights(k_layer, rng)
    expected = to_numpy(k_layer(x))
    c_layer(x)  # build
    c_layer.set_weights(k_layer.get_weights())
    assert [w.shape for w in c_layer.get_weights()] == [w.shape for w in k_layer.get_weights()]
    assert c_layer.count_params() == k_layer.count_params()
    actual = c_layer(x)
    assert_parity(actual, expected)
    out_shape = k_layer.compute_output_shape((None,) + shape[1:])
    c_shape = c_layer.compute_output_shape((None,) + shape[1:])
    if isinstance(out_shape, (list, tuple)) and out_shape and isinstance(out_shape[0], (list, tuple)):
        assert [tuple(s) for s in c_shape] == [tuple(s) for s in out_shape]
    else:
        assert tuple(c_shape) == tuple(out_shape)


@pytest.mark.parametrize("name, kwargs", [("Add", {}), ("Concatenate", {}), ("Concatenate", {"axis": 1}),
                                          ("Subtract", {}), ("Multiply", {}), ("Average", {}), ("Maximum", {}),
                                          ("Minimum", {})])
def test_merge_matches_keras(name, kwargs, keras, rng, to_numpy, assert_parity):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 3, 4)).astype(np.float32)
    expected = to_numpy(getattr(keras.layers, name)(**kwargs)([a, b]))
    assert_parity(getattr(convkit.layers, name)(**kwargs)([a, b]), expected)


@pytest.mark.parametrize("name", ["Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose",
                                  "Dense", "LSTM", "GRU", "SimpleRNN", "BatchNormalization"])
def test_default_weight_layout_matches_keras(name, keras):
    kwargs = {"Conv2D": dict(filters=3, kernel_size=3), "DepthwiseConv2D": dict(kernel_size=3),
              "SeparableConv2D": dict(filters=3, kernel_size=3),
              "Conv2DTranspose": dict(filters=3, kernel_size=3), "Dense": dict(units=3),
              "LSTM": dict(units=3), "GRU": dict(units=3), "SimpleRNN": dict(units=3),
              "BatchNormalization": {}}[name]
    shape = (1, 4, 5) if name in ("Dense", "LSTM", "GRU", "SimpleRNN") else (1, 5, 5, 4)
    if name == "Dense":
        shape = (1, 5)
    k_layer = getattr(keras.layers, name)(**kwargs)
    k_layer.build(shape)
    c_layer = getattr(convkit.layers, name)(**kwargs)
    c_layer.build(shape)
    assert [w.shape for w in c_layer.get_weights()] == [tuple(w.shape) for w in k_layer.get_weights()]
    assert c_layer.count_params() == k_layer.count_params()


@pytest.mark.parametrize("name, kwargs", [
    ("Conv2D", dict(filters=8, kernel_size=(3, 2), strides=2, padding="same", activation="relu",
                    dilation_rate=1, use_bias=False)),
    ("Dense", dict(units=4, activation="tanh")),
    # Keras's aliases: a config names swish "silu" and hard_swish "hard_silu"
    ("Dense", dict(units=4, activation="swish")),
    ("Conv2D", dict(filters=2, kernel_size=1, activation="hard_swish")),
    ("Activation", dict(activation="swish")),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same")),
    ("LSTM", dict(units=4, return_sequences=True, go_backwards=True)),
    ("BatchNormalization", dict(momentum=0.9, epsilon=1e-4)),
])
def test_config_keys_match_keras(name, kwargs, keras):
    """The user-facing arguments appear in get_config() with the values Keras reports."""
    k_cfg = getattr(keras.layers, name)(**kwargs).get_config()
    c_cfg = getattr(convkit.layers, name)(**kwargs).get_config()
    for key, value in kwargs.items():
        kv, cv = k_cfg[key], c_cfg[key]
        if isinstance(kv, (list, tuple)):
            kv, cv = tuple(kv), tuple(cv)
        assert cv == kv, (key, cv, kv)


def _minimal_args(name):
    """Constructor arguments that every layer named `name` needs (the rest default)."""
    if name == "Dense":
        return dict(units=4)
    if name == "Embedding":
        return dict(input_dim=10, output_dim=4)
    if name in ("LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell"):
        return dict(units=4)
    if name.startswith("Adaptive"):
        return dict(output_size=2)
    if name in ("Resizing", "CenterCrop", "RandomCrop"):
        return dict(height=4, width=4)
    if name in ("RandomHue", "RandomSaturation", "RandomSharpness", "RandomColorDegeneration"):
        return dict(factor=0.1)
    if name == "RandomPosterization":
        return dict(factor=4)
    if name == "MaxNumBoundingBoxes":
        return dict(max_number=4)
    if name in ("GroupQueryAttention", "GroupedQueryAttention"):
        return dict(head_dim=4, num_query_heads=2, num_key_value_heads=1)
    if name == "ReversibleEmbedding":
        return dict(input_dim=10, output_dim=4)
    if name == "CategoryEncoding":
        return dict(num_tokens=4)
    if name == "Discretization":
        return dict(bin_boundaries=[0.0, 1.0])
    if name == "STFTSpectrogram":
        return dict(window=None)  # Keras makes its default hann window with scipy
    if name == "MultiHeadAttention":
        return dict(num_heads=2, key_dim=4)
    if name == "EinsumDense":
        return dict(equation="ab,bc->ac", output_shape=4)
    if name == "Dot":
        return dict(axes=1)
    if "Depthwise" in name:
        return dict(kernel_size=3)
    if "Conv" in name:
        return dict(filters=4, kernel_size=3)
    return {}


def _layers_in_both(keras):
    """Layer classes convkit and Keras both export that build with `_minimal_args` in Keras."""
    names = []
    for name in sorted(dir(convkit.layers)):
        cls = getattr(convkit.layers, name)
        if not (isinstance(cls, type) and issubclass(cls, convkit.layers.Layer)) or cls is convkit.layers.Layer:
            continue
        if not hasattr(keras.layers, name):
            continue
        try:
            getattr(keras.layers, name)(**_minimal_args(name))
        except (TypeError, ValueError):
            continue  # needs arguments of its own (Reshape, Lambda, ...): covered by the cases above
        names.append(name)
    return names


@pytest.mark.parametrize("regularized", [False, True])
def test_config_key_sets_match_keras(regularized, keras):
    """get_config() has exactly Keras's keys (so configs move both ways), with and without an
    activity regularizer (Keras writes that key only when one is set, except where a layer writes
    it always)."""
    extra = dict(activity_regularizer="l2") if regularized else {}
    names = _layers_in_both(keras)
    assert len(names) > 60, names
    mismatched = {}
    for name in names:
        if regularized and name in ("ActivityRegularization", "Discretization"):
            # ActivityRegularization sets its own from l1/l2 and Keras refuses a second; Keras's
            # Discretization takes no base-layer arguments (TypeError both ways)
            continue
        args = {**_minimal_args(name), **extra}
        k_keys = set(getattr(keras.layers, name)(**args).get_config())
        c_layer = getattr(convkit.layers, name)(**args)
        c_keys = set(c_layer.get_config())
        if k_keys != c_keys:
            mismatched[name] = dict(only_keras=sorted(k_keys - c_keys), only_convkit=sorted(c_keys - k_keys))
        # and a Keras config builds the convkit layer
        type(c_layer).from_config(getattr(keras.layers, name)(**args).get_config())
    assert not mismatched, mismatched


@pytest.mark.parametrize("name, kwargs", [
    ("Rescaling", dict(scale=1 / 255)),
    ("Rescaling", dict(scale=1 / 127.5, offset=-1)),
    ("Rescaling", dict(scale=[0.5, 0.25, 2.0], offset=[1.0, 2.0, 3.0])),
    ("Identity", {}),
    ("RandomFlip", dict(mode="horizontal")),
    ("RandomRotation", dict(factor=(-0.2, 0.3), fill_mode="constant")),
    ("RandomZoom", dict(height_factor=(-0.3, 0.2), width_factor=0.1)),
    ("RandomTranslation", dict(height_factor=0.1, width_factor=0.2, interpolation="nearest")),
    ("RandomContrast", dict(factor=0.2)),
    ("RandomBrightness", dict(factor=(-0.1, 0.3), value_range=(1, 0))),
])
def test_preprocessing_layers_match_keras_at_inference(name, kwargs, keras, rng, to_numpy):
    """Same outputs as Keras with training=False (augmentation: the input itself) and the same
    config, which builds the convkit layer."""
    x = rng.uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    k_layer = getattr(keras.layers, name)(**kwargs)
    c_layer = getattr(convkit.layers, name)(**kwargs)
    np.testing.assert_array_equal(c_layer(x), to_numpy(k_layer(x, training=False)))
    k_cfg, c_cfg = k_layer.get_config(), c_layer.get_config()
    for cfg in (k_cfg, c_cfg):
        cfg.pop("name"), cfg.pop("dtype")
    assert c_cfg == k_cfg
    again = getattr(convkit.layers, name).from_config(k_layer.get_config())
    np.testing.assert_array_equal(again(x), c_layer(x))


@pytest.mark.parametrize("kwargs", [
    dict(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.25, 9.0]),
    dict(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.25, 9.0], invert=True),
    dict(axis=None, mean=5.0, variance=2.0),
    dict(axis=(1, 2), mean=np.full((5, 8), 2.0).tolist(), variance=np.full((5, 8), 3.0).tolist()),
    dict(axis=(1, 3), mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]),  # aligned to the last kept axis
])
def test_normalization_matches_keras(kwargs, keras, rng, to_numpy):
    x = rng.uniform(0, 10, (2, 5, 8, 3)).astype(np.float32)
    k_layer = keras.layers.Normalization(**kwargs)
    c_layer = convkit.layers.Normalization(**kwargs)
    np.testing.assert_allclose(c_layer(x), to_numpy(k_layer(x)), rtol=1e-6, atol=1e-6)
    k_cfg, c_cfg = k_layer.get_config(), c_layer.get_config()
    for cfg in (k_cfg, c_cfg):
        cfg.pop("name"), cfg.pop("dtype")
    assert c_cfg == k_cfg


def test_normalization_weights_match_keras(keras, rng, to_numpy):
    x = rng.uniform(0, 10, (20, 5, 3)).astype(np.float32)
    k_layer = keras.layers.Normalization()
    k_layer.adapt(x)
    c_layer = convkit.layers.Normalization()
    c_layer.build((None, 5, 3))
    assert [w.shape for w in c_layer.get_weights()] == [tuple(w.shape) for w in k_layer.get_weights()]
    c_layer.set_weights(k_layer.get_weights())
    np.testing.assert_allclose(c_layer(x), to_numpy(k_layer(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, kwargs, shape", [
    ("DepthwiseConv1D", dict(kernel_size=3), (None, 9, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), (None, 7, 7, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3), (None, 7, 7, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3), (None, 7, 7, 3)),
    ("LayerNormalization", dict(), (None, 5, 4)),
    ("LayerNormalization", dict(axis=[-1, -2]), (None, 5, 4)),
    ("BatchNormalization", dict(), (None, 5, 4)),
    ("Dense", dict(units=3), (None, 4)),
])
def test_built_weight_names_and_config_values_match_keras(keras, name, kwargs, shape):
    """After build: the weights' names (legacy .h5 files list them) and the config's values (Keras
    turns LayerNormalization's axis into a sorted list) as Keras's."""
    k_layer, c_layer = getattr(keras.layers, name)(**kwargs), getattr(convkit.layers, name)(**kwargs)
    k_layer.build(shape)
    c_layer.build(shape)
    assert [w.name for w in c_layer.weights] == [w.name for w in k_layer.weights]
    k_config, c_config = k_layer.get_config(), c_layer.get_config()
    for key in ("axis", "kernel_size", "strides", "depth_multiplier"):
        if key in k_config:
            assert list(np.atleast_1d(c_config[key])) == list(np.atleast_1d(k_config[key])), key
            for kind in (list, tuple, int):  # (Keras's lists are a list subclass)
                assert isinstance(c_config[key], kind) == isinstance(k_config[key], kind), key


def test_layer_scale_and_input_layer_match_keras(keras):
    from keras.src.applications.convnext import LayerScale

    k_scale, c_scale = LayerScale(1e-6, 4), convkit.layers.LayerScale(1e-6, 4)
    k_scale.build((None, 4))
    c_scale.build((None, 4))
    assert [w.name for w in c_scale.weights] == [w.name for w in k_scale.weights]
    assert convkit.layers.DepthwiseConv2D(3).depthwise_kernel is None  # Keras 2's attribute, an alias
    assert convkit.layers.InputLayer(shape=(3, 4), name="x").get_config() == \
        keras.layers.InputLayer(shape=(3, 4), name="x").get_config()
