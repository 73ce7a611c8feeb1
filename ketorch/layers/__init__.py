"""Keras layers on PyTorch. Every layer is a ``torch.nn.Module``."""

from .activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .attention.additive_attention import AdditiveAttention
from .attention.attention import Attention
from .attention.multi_head_attention import MultiHeadAttention
from .convolutional.conv2d import Conv2D, Convolution2D
from .core.activation import Activation
from .core.dense import Dense
from .core.embedding import Embedding
from .core.identity import Identity
from .core.lambda_layer import Lambda
from .core.masking import Masking
from .input_layer import Input, InputLayer
from .input_spec import InputSpec
from .layer import Layer
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
from .pooling.max_pooling2d import MaxPool2D, MaxPooling2D
from .preprocessing import CategoryEncoding, Normalization, Rescaling
from .preprocessing.integer_lookup import IntegerLookup
from .preprocessing.string_lookup import StringLookup
from .preprocessing.text_vectorization import TextVectorization
from .recurrent.bidirectional import Bidirectional
from .recurrent.gru import GRU
from .recurrent.gru_cell import GRUCell
from .recurrent.lstm import LSTM
from .recurrent.lstm_cell import LSTMCell
from .recurrent.rnn import RNN
from .recurrent.simple_rnn import SimpleRNN
from .recurrent.simple_rnn_cell import SimpleRNNCell
from .recurrent.time_distributed import TimeDistributed
from .regularization import (
    ActivityRegularization,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
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
from .reshaping.flatten import Flatten

__all__ = [
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
]
