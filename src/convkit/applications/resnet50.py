"""keras.applications.resnet50 for inference scripts: preprocess_input (Keras's 'caffe' mode) and
decode_predictions. The model builders (ResNet50) are Keras's: build and save the model with Keras,
then load it with `convkit.saving.load_model`.
"""
from convkit.applications._builders import family_functions

__all__ = ["preprocess_input", "decode_predictions"]

preprocess_input, decode_predictions, __getattr__ = family_functions(__name__, "resnet50", "caffe")
