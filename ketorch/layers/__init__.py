"""Keras layers on PyTorch. Every layer is a ``torch.nn.Module``."""

import importlib

from .activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .attention.additive_attention import AdditiveAttention
from .attention.attention import Attention
from .attention.grouped_query_attention import GroupedQueryAttention as GroupedQueryAttention
from .attention.grouped_query_attention import GroupQueryAttention
from .attention.multi_head_attention import MultiHeadAttention
from .convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution1DTranspose,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from .core.activation import Activation
from .core.dense import Dense
from .core.einsum_dense import EinsumDense
from .core.embedding import Embedding
from .core.identity import Identity
from .core.lambda_layer import Lambda
from .core.masking import Masking
from .core.reversible_embedding import ReversibleEmbedding
from .core.torch_module_wrapper import TorchModuleWrapper
from .core.wrapper import Wrapper
from .input_layer import Input, InputLayer
from .input_spec import InputSpec
from .layer import Layer
from .layer_serialization import deserialize, serialize
from .merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from .normalization.rms_normalization import RMSNormalization
from .normalization.spectral_normalization import SpectralNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .pooling.adaptive_average_pooling1d import AdaptiveAveragePooling1D
from .pooling.adaptive_average_pooling2d import AdaptiveAveragePooling2D
from .pooling.adaptive_average_pooling3d import AdaptiveAveragePooling3D
from .pooling.adaptive_max_pooling1d import AdaptiveMaxPooling1D
from .pooling.adaptive_max_pooling2d import AdaptiveMaxPooling2D
from .pooling.adaptive_max_pooling3d import AdaptiveMaxPooling3D
from .preprocessing import CategoryEncoding, Normalization, Rescaling
from .preprocessing.discretization import Discretization
from .preprocessing.hashed_crossing import HashedCrossing
from .preprocessing.hashing import Hashing
from .preprocessing.image_preprocessing import (
    AugMix,
    AutoContrast,
    CenterCrop,
    ContrastLimitedAdaptiveHistogramEqualization,
    CutMix,
    Equalization,
    MaxNumBoundingBoxes,
    MixUp,
    RandAugment,
    RandomBrightness,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomContrast,
    RandomCrop,
    RandomElasticTransform,
    RandomErasing,
    RandomFlip,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPerspective,
    RandomPosterization,
    RandomRotation,
    RandomSaturation,
    RandomSharpness,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Resizing,
    Solarization,
)
from .preprocessing.integer_lookup import IntegerLookup
from .preprocessing.mel_spectrogram import MelSpectrogram
from .preprocessing.pipeline import Pipeline
from .preprocessing.stft_spectrogram import STFTSpectrogram
from .preprocessing.string_lookup import StringLookup
from .preprocessing.text_vectorization import TextVectorization
from .recurrent.bidirectional import Bidirectional
from .recurrent.conv_lstm1d import ConvLSTM1D
from .recurrent.conv_lstm2d import ConvLSTM2D
from .recurrent.conv_lstm3d import ConvLSTM3D
from .recurrent.gru import GRU
from .recurrent.gru_cell import GRUCell
from .recurrent.lstm import LSTM
from .recurrent.lstm_cell import LSTMCell
from .recurrent.rnn import RNN
from .recurrent.simple_rnn import SimpleRNN
from .recurrent.simple_rnn_cell import SimpleRNNCell
from .recurrent.stacked_rnn_cells import StackedRNNCells
from .recurrent.time_distributed import TimeDistributed
from .regularization import (
    ActivityRegularization,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .regularization.alpha_dropout import AlphaDropout
from .regularization.dropout import Dropout
from .reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from .reshaping.cropping3d import Cropping3D
from .reshaping.flatten import Flatten
from .reshaping.up_sampling3d import UpSampling3D
from .reshaping.zero_padding3d import ZeroPadding3D

__all__ = [
    "Conv1D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPool1D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling3D",
    "IntegerLookup",
    "StringLookup",
    "TextVectorization",
    "Bidirectional",
    "GRU",
    "GRUCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "TimeDistributed",
    "Identity",
    "Lambda",
    "Masking",
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
    "CategoryEncoding",
    "Normalization",
    "Rescaling",
    "MelSpectrogram",
    "STFTSpectrogram",
    "AugMix",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "MaxNumBoundingBoxes",
    "RandomColorJitter",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomSaturation",
    "AutoContrast",
    "CenterCrop",
    "CutMix",
    "Discretization",
    "Equalization",
    "HashedCrossing",
    "Hashing",
    "MixUp",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomPosterization",
    "RandomRotation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
    "Solarization",
    "Cropping1D",
    "Cropping2D",
    "Permute",
    "RepeatVector",
    "Reshape",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ActivityRegularization",
    "BatchNormalization",
    "ELU",
    "GaussianDropout",
    "GaussianNoise",
    "GroupNormalization",
    "LayerNormalization",
    "LeakyReLU",
    "PReLU",
    "ReLU",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "Softmax",
    "UnitNormalization",
    "LSTM",
    "Activation",
    "AdditiveAttention",
    "Attention",
    "MultiHeadAttention",
    "Conv2D",
    "Convolution2D",
    "LSTMCell",
    "MaxPool2D",
    "MaxPooling2D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "AlphaDropout",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "Cropping3D",
    "EinsumDense",
    "GroupQueryAttention",
    "RMSNormalization",
    "ReversibleEmbedding",
    "SpectralNormalization",
    "StackedRNNCells",
    "TorchModuleWrapper",
    "UpSampling3D",
    "Wrapper",
    "ZeroPadding3D",
    "deserialize",
    "serialize",
]

# Keras 2 module paths (`keras.layers.wrappers.Wrapper`, `keras.layers.merge.Concatenate`...),
# imported when first used.
_KERAS2_MODULES = ("advanced_activations", "convolutional_recurrent", "merge", "noise", "wrappers")


def __getattr__(name):
    if name in _KERAS2_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
