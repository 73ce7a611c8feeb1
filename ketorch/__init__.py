"""ketorch: the Keras way of building deep-learning models, on PyTorch.

``import ketorch as keras`` and Keras tutorial code runs unchanged; every
model is a ``torch.nn.Module``.
"""

from .utils.allocator import tune_allocator as _tune_allocator

_tune_allocator()  # large tensor buffers reuse heap pages (KETORCH_MALLOC_TUNING=0 opts out)

from . import (  # noqa: E402
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    tree,
    utils,
)
from .backend import clear_session  # noqa: E402
from .backend._variable import Variable  # noqa: E402
from .layers import Input, InputSpec, Layer  # noqa: E402
from .models import Model, Sequential  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Input",
    "InputSpec",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "clear_session",
    "config",
    "constraints",
    "datasets",
    "distribution",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "Variable",
    "__version__",
]
