"""keras.applications for inference scripts: each family module's `preprocess_input` and
`decode_predictions` (convkit.applications.resnet50.preprocess_input, ...), with Keras's numbers.

The model builders (ResNet50(), MobileNetV2(), ...) are not part of convkit: asking for one raises
NotImplementedError saying to build and save the model with Keras and load the file with
`convkit.saving.load_model`. The family modules are imported when first used.
"""
import importlib

from convkit.applications._builders import ALL_BUILDERS, BUILDERS, refuse_builders

FAMILIES = tuple(BUILDERS) + ("imagenet_utils",)
__all__ = list(FAMILIES)

_refuse = refuse_builders(__name__, ALL_BUILDERS)


def __getattr__(name):
    if name in FAMILIES:
        return importlib.import_module(f"{__name__}.{name}")
    return _refuse(name)


def __dir__():
    return sorted(set(globals()) | set(FAMILIES))
