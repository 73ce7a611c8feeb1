"""ketorch: the Keras way of building deep-learning models, on PyTorch.

``import ketorch as keras`` and Keras tutorial code runs unchanged; every
model is a ``torch.nn.Module``.
"""

from . import (
    activations,
    callbacks,
    config,
    constraints,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    utils,
)
from .backend import clear_session
from .layers import Input, InputSpec, Layer
from .models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Input",
    "InputSpec",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "callbacks",
    "clear_session",
    "config",
    "constraints",
    "distribution",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "utils",
    "__version__",
]
