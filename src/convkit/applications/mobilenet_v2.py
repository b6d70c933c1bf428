"""keras.applications.mobilenet_v2 for inference scripts: preprocess_input (Keras's 'tf' mode) and
decode_predictions. The model builders (MobileNetV2) are Keras's: build and save the model with
Keras, then load it with `convkit.saving.load_model`.
"""
from convkit.applications import imagenet_utils
from convkit.applications._builders import BUILDERS, refuse_builders

__all__ = ["preprocess_input", "decode_predictions"]


def preprocess_input(x, data_format=None):
    """A new array: `x` (images with values in [0, 255]) with Keras's 'tf' preprocessing, values scaled
    from [0, 255] to [-1, 1]. Float inputs keep their float type, others become float32
    (imagenet_utils.preprocess_input)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5, *, class_index_path=None):
    """The `top` ImageNet classes of each row of `preds` (imagenet_utils.decode_predictions)."""
    return imagenet_utils.decode_predictions(preds, top=top, class_index_path=class_index_path)


__getattr__ = refuse_builders(__name__, BUILDERS["mobilenet_v2"])
