"""``keras.distillation``: train a small student model to imitate a larger teacher.

A :class:`Distiller` wraps a frozen teacher and a trainable student; its loss mixes the
student's own loss on the labels with distillation losses (:class:`LogitsDistillation`,
:class:`FeatureDistillation` or your own :class:`DistillationLoss`) that compare the two models'
outputs or intermediate features.
"""

from .distillation_loss import DistillationLoss
from .distiller import Distiller
from .feature_distillation import FeatureDistillation
from .logits_distillation import LogitsDistillation

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
