"""Mixed precision: float16/bfloat16 computation with float32 weights.

``set_global_policy("mixed_float16")`` (or ``"mixed_bfloat16"``) before
building a model makes its layers compute under :func:`torch.autocast` while
their weights stay float32; ``fit`` then computes the loss in float32 and,
for float16, scales it with a :class:`torch.amp.GradScaler` (steps whose
gradients hold inf/NaN are skipped and the scale is lowered, as Keras's
``LossScaleOptimizer`` does). A layer's own ``dtype=`` argument (a name or a
:class:`DTypePolicy`) overrides the global policy for that layer.
"""

from .policy import (
    DTypePolicy,
    Policy,
    dtype_policy,
    get,
    global_policy,
    set_dtype_policy,
    set_global_policy,
)

__all__ = [
    "DTypePolicy",
    "Policy",
    "dtype_policy",
    "get",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]


def __getattr__(name):
    if name == "LossScaleOptimizer":  # defined with the optimizers, which import this package
        from ..optimizers import LossScaleOptimizer  # import cycle

        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
