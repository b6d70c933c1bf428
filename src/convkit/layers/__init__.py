"""Keras 3 layers on convkit's C kernels: same names, arguments, defaults, weight shapes and
weight order, so `layer.set_weights(keras_layer.get_weights())` gives Keras's numbers.
Inference only: regularizers, constraints and dropout are accepted and stored, never applied."""
from convkit.layers.base import InputSpec, Layer
from convkit.layers.applications import CustomScaleLayer, LayerScale, StochasticDepth
from convkit.layers.symbolic import KerasTensor
from convkit.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from convkit.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from convkit.layers.convolutional import (
    BaseConv, BaseConvTranspose, BaseDepthwiseConv, BaseSeparableConv, Conv1D, Conv1DTranspose, Conv2D,
    Conv2DTranspose, Conv3D, Conv3DTranspose, Convolution1D, Convolution1DTranspose, Convolution2D,
    Convolution2DTranspose, Convolution3D, Convolution3DTranspose, DepthwiseConv1D, DepthwiseConv2D,
    SeparableConv1D, SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D,
)
from convkit.layers.convolutional_recurrent import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from convkit.layers.core import (
    Activation, ActivityRegularization, AlphaDropout, Dense, Dropout, Embedding, GaussianDropout, GaussianNoise, Input,
    InputLayer, Masking, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
)
from convkit.layers.einsum_dense import EinsumDense
from convkit.layers.image_augmentation import (
    AugMix, AutoContrast, ContrastLimitedAdaptiveHistogramEqualization, CutMix, Equalization, MaxNumBoundingBoxes,
    MixUp, Pipeline, RandAugment, RandomColorDegeneration, RandomColorJitter, RandomCrop, RandomElasticTransform,
    RandomErasing, RandomGaussianBlur, RandomGrayscale, RandomHue, RandomInvert, RandomPerspective, RandomPosterization,
    RandomSaturation, RandomSharpness, RandomShear, Solarization,
)
from convkit.layers.merging import (
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate, dot, maximum,
    minimum, multiply, subtract,
)
from convkit.layers.normalization import (
    BatchNormalization, GroupNormalization, LayerNormalization, RMSNormalization, UnitNormalization,
)
from convkit.layers.pooling import (
    AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D, AdaptiveMaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D,
    AvgPool2D, AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalAvgPool1D,
    GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
)
from convkit.layers.operations import KerasOperation
from convkit.layers.preprocessing import (
    CenterCrop, Identity, Normalization, RandomBrightness, RandomContrast, RandomFlip, RandomRotation,
    RandomTranslation, RandomZoom, Rescaling, Resizing,
)
from convkit.layers.recurrent import GRU, LSTM, SimpleRNN
from convkit.layers.rnn_cells import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from convkit.layers.reshaping import (
    Cropping1D, Cropping2D, Cropping3D, Flatten, Permute, RepeatVector, Reshape, UpSampling1D, UpSampling2D,
    UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
)
from convkit.layers.wrappers import Bidirectional, TimeDistributed, Wrapper
from convkit.layers.categorical import CategoryEncoding, Discretization
from convkit.layers.group_query_attention import GroupedQueryAttention, GroupQueryAttention
from convkit.layers.reversible_embedding import ReversibleEmbedding
from convkit.layers.spectral_normalization import SpectralNormalization
from convkit.layers.lambda_layer import Lambda
from convkit.layers.audio_preprocessing import MelSpectrogram, STFTSpectrogram


def _registry():
    """Layer classes by name, for from_config (aliases map to their classes)."""
    return {name: obj for name, obj in globals().items() if isinstance(obj, type) and issubclass(obj, Layer)}


def get(class_name, custom_objects=None):
    """The layer class called `class_name` (custom_objects first)."""
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    registry = _registry()
    if class_name not in registry:
        raise ValueError(f"Unknown layer: '{class_name}'. Please ensure you are using a convkit layer, or pass "
                         f"your own class in `custom_objects`.")
    return registry[class_name]


def serialize(layer):
    return {"module": "convkit.layers", "class_name": type(layer).__name__, "config": layer.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    return get(config["class_name"], custom_objects).from_config(config["config"])
