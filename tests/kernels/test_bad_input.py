"""Every bad argument raises ValueError/TypeError whose message names the argument; never a crash."""
import numpy as np
import pytest

import convkit

ops = convkit.ops

X1 = np.ones((1, 8, 3), np.float32)
X2 = np.ones((1, 6, 6, 4), np.float32)
X3 = np.ones((1, 4, 4, 4, 2), np.float32)
K1 = np.ones((3, 3, 5), np.float32)
K2 = np.ones((3, 3, 4, 5), np.float32)
DW2 = np.ones((3, 3, 4, 2), np.float32)
PW2 = np.ones((1, 1, 8, 3), np.float32)
KT2 = np.ones((3, 3, 5, 4), np.float32)

# (id, call, names: the message must mention at least one of them)
CASES = [
    # rank mismatch between input and kernel
    ("conv-rank", lambda: ops.conv(X2, K1), ["kernel"]),
    ("conv-input-rank-2", lambda: ops.conv(np.ones((4, 3), np.float32), K1), ["inputs"]),
    ("conv-input-rank-6", lambda: ops.conv(np.ones((1, 2, 2, 2, 2, 1), np.float32), K2), ["inputs"]),
    ("depthwise-rank", lambda: ops.depthwise_conv(X1, DW2), ["kernel"]),
    ("transpose-rank", lambda: ops.conv_transpose(X3, KT2), ["kernel"]),
    ("separable-pointwise-rank", lambda: ops.separable_conv(X2, DW2, np.ones((8, 3), np.float32)),
     ["pointwise_kernel"]),
    # channels that do not match the kernel
    ("conv-channels", lambda: ops.conv(X2, np.ones((3, 3, 3, 5), np.float32)), ["kernel", "channels"]),
    ("conv-channels-groups", lambda: ops.conv(X2, np.ones((3, 3, 3, 6), np.float32), groups=2),
     ["kernel", "groups"]),
    ("depthwise-channels", lambda: ops.depthwise_conv(X2, np.ones((3, 3, 3, 2), np.float32)), ["kernel"]),
    ("separable-pointwise-channels", lambda: ops.separable_conv(X2, DW2, np.ones((1, 1, 7, 3), np.float32)),
     ["pointwise_kernel"]),
    ("transpose-channels", lambda: ops.conv_transpose(X2, np.ones((3, 3, 5, 3), np.float32)), ["kernel"]),
    ("dense-channels", lambda: ops.dense(np.ones((2, 5), np.float32), np.ones((4, 3), np.float32)),
     ["kernel", "inputs"]),
    ("dense-kernel-rank", lambda: ops.dense(np.ones((2, 5), np.float32), np.ones((5,), np.float32)), ["kernel"]),
    ("conv-bias-shape", lambda: ops.conv(X2, K2, bias=np.ones(4, np.float32)), ["bias"]),
    ("dense-bias-shape", lambda: ops.dense(np.ones((2, 5), np.float32), np.ones((5, 3), np.float32),
                                           np.ones(2, np.float32)), ["bias"]),
    # groups
    ("groups-not-dividing", lambda: ops.conv(np.ones((1, 6, 6, 6), np.float32), np.ones((3, 3, 2, 6), np.float32),
                                             groups=4), ["groups"]),
    ("groups-filters", lambda: ops.conv(np.ones((1, 6, 6, 4), np.float32), np.ones((3, 3, 2, 5), np.float32),
                                        groups=2), ["groups"]),
    ("groups-zero", lambda: ops.conv(X2, K2, groups=0), ["groups"]),
    ("transpose-groups", lambda: ops.conv_transpose(np.ones((1, 5, 3), np.float32), np.ones((3, 2, 3), np.float32),
                                                    groups=2), ["groups"]),
    # strides > 1 with dilation > 1: Keras's Conv and ConvTranspose layers refuse them (the ops,
    # like keras.ops, and the depthwise and separable layers compute them)
    ("stride-and-dilation", lambda: convkit.layers.Conv2D(2, 3, strides=2, dilation_rate=2),
     ["strides", "dilation_rate"]),
    ("stride-and-dilation-mixed", lambda: convkit.layers.Conv1D(2, 3, strides=(2,), dilation_rate=3),
     ["strides", "dilation_rate"]),
    ("transpose-stride-and-dilation", lambda: convkit.layers.Conv2DTranspose(2, 3, strides=(1, 2),
                                                                             dilation_rate=(2, 1)),
     ["strides", "dilation_rate"]),
    # output size <= 0
    ("conv-kernel-too-big", lambda: ops.conv(np.ones((1, 2, 2, 4), np.float32), K2), ["output", "kernel"]),
    ("conv-dilated-too-big", lambda: ops.conv(np.ones((1, 8, 3), np.float32), K1, dilation_rate=4),
     ["output", "kernel"]),
    ("depthwise-too-big", lambda: ops.depthwise_conv(np.ones((1, 2, 2, 4), np.float32), DW2), ["output", "kernel"]),
    ("max-pool-too-big", lambda: ops.max_pool(X2, 7), ["output", "pool_size"]),
    ("avg-pool-too-big", lambda: ops.average_pool(X1, 9), ["output", "pool_size"]),
    # non-positive sizes
    ("strides-zero", lambda: ops.conv(X2, K2, strides=0), ["strides"]),
    ("strides-negative", lambda: ops.conv(X2, K2, strides=(1, -1)), ["strides"]),
    ("dilation-zero", lambda: ops.conv(X2, K2, dilation_rate=0), ["dilation_rate"]),
    ("pool-size-zero", lambda: ops.max_pool(X2, 0), ["pool_size"]),
    ("pool-strides-zero", lambda: ops.average_pool(X2, 2, 0), ["strides"]),
    ("upsample-size-zero", lambda: ops.upsample(X2, 0), ["size"]),
    ("upsample-size-negative", lambda: ops.upsample(X2, (2, -1)), ["size"]),
    ("transpose-strides-zero", lambda: ops.conv_transpose(X2, KT2, strides=0), ["strides"]),
    ("zero-size-kernel", lambda: ops.conv(X2, np.ones((0, 3, 4, 5), np.float32)), ["kernel"]),
    ("zero-size-spatial", lambda: ops.conv(np.ones((1, 0, 6, 4), np.float32), K2), ["inputs"]),
    # negative padding / cropping, cropping that leaves nothing
    ("zero-pad-negative", lambda: ops.zero_pad(X2, -1), ["padding"]),
    ("zero-pad-negative-pair", lambda: ops.zero_pad(X2, ((1, 1), (0, -2))), ["padding"]),
    ("crop-negative", lambda: ops.crop(X2, (1, -1)), ["cropping"]),
    ("crop-everything", lambda: ops.crop(X2, 3), ["cropping"]),
    ("crop-everything-1d", lambda: ops.crop(X1, (5, 3)), ["cropping"]),
    # tuple arguments of the wrong length
    ("strides-length", lambda: ops.conv(X2, K2, strides=(1, 1, 1)), ["strides"]),
    ("dilation-length", lambda: ops.conv(X2, K2, dilation_rate=(1,)), ["dilation_rate"]),
    ("pool-size-length", lambda: ops.max_pool(X2, (2, 2, 2)), ["pool_size"]),
    ("pool-strides-length", lambda: ops.max_pool(X3, 2, (1, 1)), ["strides"]),
    ("upsample-size-length", lambda: ops.upsample(X3, (2, 2)), ["size"]),
    ("zero-pad-length", lambda: ops.zero_pad(X2, (1, 2, 3)), ["padding"]),
    ("crop-length", lambda: ops.crop(X3, ((1, 1), (1, 1))), ["cropping"]),
    ("crop-pair-length", lambda: ops.crop(X2, ((1, 1, 1), (0, 0))), ["cropping"]),
    ("output-padding-length", lambda: ops.conv_transpose(X2, KT2, 2, "same", (1, 1, 1)), ["output_padding"]),
    # unknown names
    ("padding-name", lambda: ops.conv(X2, K2, padding="full"), ["padding"]),
    ("padding-type", lambda: ops.conv(X2, K2, padding=1), ["padding"]),
    ("pool-padding-name", lambda: ops.max_pool(X2, 2, padding="causal"), ["padding"]),
    ("data-format-name", lambda: ops.conv(X2, K2, data_format="NHWC"), ["data_format"]),
    ("pool-data-format-name", lambda: ops.average_pool(X2, 2, data_format="channels_middle"), ["data_format"]),
    ("activation-name", lambda: ops.conv(X2, K2, activation="relu7"), ["activation"]),
    ("activation-type", lambda: ops.dense(np.ones((2, 5), np.float32), np.ones((5, 3), np.float32),
                                          activation=3), ["activation"]),
    ("interpolation-name", lambda: ops.upsample(X2, 2, interpolation="bicubic"), ["interpolation"]),
    ("algorithm-name", lambda: ops.conv(X2, K2, algorithm="fft"), ["algorithm"]),
    # causal only in 1D
    ("causal-2d", lambda: ops.conv(X2, K2, padding="causal"), ["padding"]),
    ("causal-3d", lambda: ops.conv(X3, np.ones((2, 2, 2, 2, 1), np.float32), padding="causal"), ["padding"]),
    ("causal-depthwise-2d", lambda: ops.depthwise_conv(X2, DW2, padding="causal"), ["padding"]),
    # output_padding >= stride
    ("output-padding-equal-stride", lambda: ops.conv_transpose(X2, KT2, 2, "same", 2), ["output_padding"]),
    ("output-padding-stride-1", lambda: ops.conv_transpose(X2, KT2, 1, "valid", 1), ["output_padding"]),
    ("output-padding-negative", lambda: ops.conv_transpose(X2, KT2, 2, "valid", -1), ["output_padding"]),
    # object / string arrays
    ("object-input", lambda: ops.conv(np.array([[[object()]] * 8], dtype=object), K1), ["inputs"]),
    ("string-input", lambda: ops.max_pool(np.full((1, 4, 4, 1), "a"), 2), ["inputs"]),
    ("string-kernel", lambda: ops.conv(X2, np.full((3, 3, 4, 5), "w")), ["kernel"]),
    ("complex-input", lambda: ops.dense(np.ones((2, 5), np.complex64), np.ones((5, 3), np.float32)), ["inputs"]),
    ("ragged-list", lambda: ops.conv([[[1.0], [2.0]], [[1.0]]], np.ones((1, 1, 1), np.float32)), ["inputs"]),
    ("object-bias", lambda: ops.conv(X2, K2, bias=np.array([None] * 5)), ["bias"]),
    # bilinear for non-2D
    ("bilinear-1d", lambda: ops.upsample(X1, 2, interpolation="bilinear"), ["bilinear", "interpolation"]),
    ("bilinear-3d", lambda: ops.upsample(X3, 2, interpolation="bilinear"), ["bilinear", "interpolation"]),
]


@pytest.mark.parametrize("call,names", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_argument_is_reported(call, names):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert any(name in message for name in names), f"message does not mention {names}: {message}"


def test_strides_with_dilation_follow_keras():
    # keras.ops.conv computes them (torch and JAX backends), as convkit.ops.conv does; Keras's
    # Conv/ConvTranspose layers refuse them, its DepthwiseConv/SeparableConv layers do not.
    y = ops.conv(X1, K1, strides=2, dilation_rate=2)
    assert y.shape == (X1.shape[0], (X1.shape[1] - 4 - 1) // 2 + 1, K1.shape[-1])
    for cls in (convkit.layers.Conv1D, convkit.layers.Conv1DTranspose):
        with pytest.raises(ValueError, match="dilation_rate"):
            cls(2, 3, strides=2, dilation_rate=2)
    assert convkit.layers.DepthwiseConv1D(3, strides=2, dilation_rate=2)(X1).shape[1] == y.shape[1]
    assert convkit.layers.SeparableConv1D(2, 3, strides=2, dilation_rate=2)(X1).shape[1] == y.shape[1]


def test_bad_input_leaves_arguments_untouched():
    x = np.arange(6 * 6 * 4, dtype=np.float32).reshape(1, 6, 6, 4)
    k = np.ones((3, 3, 3, 5), np.float32)
    x0, k0 = x.copy(), k.copy()
    with pytest.raises(ValueError):
        ops.conv(x, k)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(k, k0)
