"""Keras layers on PyTorch. Every layer is a ``torch.nn.Module``."""

from .core.activation import Activation
from .core.dense import Dense
from .core.embedding import Embedding
from .input_layer import Input, InputLayer
from .input_spec import InputSpec
from .layer import Layer
from .regularization.dropout import Dropout
from .reshaping.flatten import Flatten

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
]
