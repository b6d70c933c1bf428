"""Every layer class convkit shares with keras.layers takes Keras's constructor arguments in Keras's order (so
positional calls written for Keras bind the same way) with Keras's defaults; convkit's own additions are listed
here, each with the reason it exists."""
import inspect

import pytest

from convkit import layers

# convkit's extra constructor arguments, after Keras's: the convolution algorithm choice, and arguments of older
# Keras versions kept so that their files load
EXTRAS = {
    "algorithm": "convkit's choice of convolution kernel (direct / gemm / winograd)",
    "rms_scaling": "LayerNormalization of Keras 3.0-3.5 files",
    "unroll": "ConvLSTM of older Keras files",
    "zero_output_for_mask": "ConvLSTM of older Keras files",
    "data_format": "Solarization works on channels_first images too",
    "bounding_box_format": "Keras's image preprocessing layers take it through **kwargs (their base class)",
}
# Keras's layers that take only **kwargs: convkit spells out the base Layer's arguments they accept
BASE_ARGUMENTS = ("trainable", "name", "dtype", "activity_regularizer")
NOT_LAYERS = ("InputSpec", "Layer")  # (the base class and the spec: their own tests)


def _shared_layer_classes(keras):
    for name in sorted(dir(keras.layers)):
        keras_cls = getattr(keras.layers, name)
        if name.startswith("_") or name in NOT_LAYERS or not inspect.isclass(keras_cls) or not hasattr(layers, name):
            continue
        yield name, keras_cls, getattr(layers, name)


def _named(signature):
    return [p for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _same_default(a, b):
    """Keras writes (1, 1) where convkit writes 1 for a per-axis default that its normalization expands; where
    Keras 3 requires the argument (AveragePooling's pool_size), convkit keeps Keras 2's default."""
    if a is inspect.Parameter.empty:
        return True
    if isinstance(a, tuple) and a and all(v == a[0] for v in a) and not isinstance(b, tuple):
        return a[0] == b
    return a == b or repr(a) == repr(b)


def test_constructor_arguments_are_kerass(keras):
    problems = []
    checked = 0
    for name, keras_cls, convkit_cls in _shared_layer_classes(keras):
        keras_params = _named(inspect.signature(keras_cls.__init__))
        convkit_params = _named(inspect.signature(convkit_cls.__init__))
        convkit_names = [p.name for p in convkit_params]
        keras_names = [p.name for p in keras_params]
        missing = [n for n in keras_names if n not in convkit_names]
        extra = [n for n in convkit_names if n not in keras_names and n not in EXTRAS]
        if not keras_names:
            extra = [n for n in extra if n not in BASE_ARGUMENTS]
        if missing or extra:
            problems.append(f"{name}: Keras's {missing} missing, convkit's {extra} unknown to Keras")
            continue
        shared = [n for n in convkit_names if n in keras_names]
        if shared != keras_names:
            problems.append(f"{name}: order {shared}, Keras's {keras_names}")
        keras_by_name = {p.name: p for p in keras_params}
        for p in convkit_params:
            if p.name in keras_by_name and not _same_default(keras_by_name[p.name].default, p.default):
                problems.append(f"{name}.{p.name}: default {p.default!r}, Keras's {keras_by_name[p.name].default!r}")
        checked += 1
    assert checked > 150
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("cls", ["Conv3DTranspose", "Conv2DTranspose", "Conv1D", "DepthwiseConv2D"])
def test_positional_arguments_bind_as_in_keras(keras, cls):
    keras_sig = inspect.signature(getattr(keras.layers, cls).__init__)
    convkit_sig = inspect.signature(getattr(layers, cls).__init__)
    values = tuple(f"value{i}" for i in range(len(_named(keras_sig))))
    keras_bound = keras_sig.bind_partial(None, *values).arguments
    convkit_bound = convkit_sig.bind_partial(None, *values).arguments
    assert {k: v for k, v in convkit_bound.items() if k != "self"} == \
        {k: v for k, v in keras_bound.items() if k != "self"}
