"""keras.applications.efficientnet_v2 for inference scripts: preprocess_input (the identity: these
models rescale their input themselves) and decode_predictions. The model builders (EfficientNetV2B0
to B3, S, M, L) are Keras's: build and save the model with Keras, then load it with
`convkit.saving.load_model`.
"""
from convkit.applications._builders import family_functions

__all__ = ["preprocess_input", "decode_predictions"]

preprocess_input, decode_predictions, __getattr__ = family_functions(__name__, "efficientnet_v2", None)
