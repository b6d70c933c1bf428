"""keras.applications.convnext for inference scripts: preprocess_input (the identity: these models
rescale their input themselves) and decode_predictions. The model builders (ConvNeXtTiny to XLarge)
are Keras's: build and save the model with Keras, then load it with `convkit.saving.load_model`.
"""
from convkit.applications import imagenet_utils
from convkit.applications._builders import BUILDERS, refuse_builders

__all__ = ["preprocess_input", "decode_predictions"]


def preprocess_input(x, data_format=None):
    """`x` itself, unchanged (the same object), as Keras returns it: the ConvNeXtTiny to XLarge models
    rescale their input in their own first layers. Kept so that scripts written for older models
    still run."""
    return x


def decode_predictions(preds, top=5, *, class_index_path=None):
    """The `top` ImageNet classes of each row of `preds` (imagenet_utils.decode_predictions)."""
    return imagenet_utils.decode_predictions(preds, top=top, class_index_path=class_index_path)


__getattr__ = refuse_builders(__name__, BUILDERS["convnext"])
