"""ketorch: the Keras way of building deep-learning models, on PyTorch.

``import ketorch as keras`` and Keras tutorial code runs unchanged; every
model is a ``torch.nn.Module``.
"""

from .utils.allocator import tune_allocator as _tune_allocator

_tune_allocator()  # large tensor buffers reuse heap pages (KETORCH_MALLOC_TUNING=0 opts out)

import importlib  # noqa: E402

from . import (  # noqa: E402
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    distillation,
    distribution,
    dtype_policies,
    export,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    quantizers,
    random,
    regularizers,
    saving,
    tree,
    utils,
    visualization,
    wrappers,
)
from .backend import clear_session  # noqa: E402
from .backend._core import device_scope as device  # noqa: E402
from .backend._variable import Variable, name_scope  # noqa: E402
from .backend.remat import RematScope, remat  # noqa: E402
from .backend.stateless_scope import StatelessScope  # noqa: E402
from .backend.symbolic_scope import SymbolicScope  # noqa: E402
from .initializers import Initializer  # noqa: E402
from .layers import Input, InputSpec, Layer  # noqa: E402
from .layers.node import KerasTensor  # noqa: E402
from .losses.loss import Loss  # noqa: E402
from .metrics.metric import Metric  # noqa: E402
from .mixed_precision import DTypePolicy  # noqa: E402
from .models import Model, Sequential  # noqa: E402
from .ops.function import Function  # noqa: E402
from .ops.operation import Operation  # noqa: E402
from .optimizers.optimizer import Optimizer  # noqa: E402
from .quantizers import Quantizer  # noqa: E402
from .regularizers import Regularizer  # noqa: E402

FloatDTypePolicy = DTypePolicy

__version__ = "0.1.0"


def version() -> str:
    """ketorch's version string (``keras.version()``)."""
    return __version__


__all__ = [
    "DTypePolicy",
    "Function",
    "Quantizer",
    "RematScope",
    "StatelessScope",
    "SymbolicScope",
    "distillation",
    "dtype_policies",
    "export",
    "quantizers",
    "remat",
    "visualization",
    "wrappers",
    "FloatDTypePolicy",
    "Initializer",
    "Input",
    "KerasTensor",
    "Loss",
    "Metric",
    "Operation",
    "Optimizer",
    "Regularizer",
    "device",
    "name_scope",
    "version",
    "InputSpec",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "applications",
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


from .utils.gc_freeze import freeze_imported_objects as _freeze  # noqa: E402

# Last: the modules imported above are never scanned by the garbage collector again (the
# interpreter's exit alone took 0.5 s scanning them); KETORCH_GC_FREEZE=0 opts out.
_freeze()


def __getattr__(name):
    # Keras 2 packages (`keras.engine.Layer`, `keras.legacy.interfaces`), imported on first use.
    if name in ("engine", "legacy"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
