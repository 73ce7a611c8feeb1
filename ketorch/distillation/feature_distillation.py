"""FeatureDistillation: compare intermediate (or final) features of teacher and student."""

from __future__ import annotations

import torch

from .. import losses, tree
from .distillation_loss import DistillationLoss, to_loss_function


class FeatureDistillation(DistillationLoss):
    """Distill features: the output of a named teacher layer against a named student layer.

    Args:
        loss: A loss identifier, loss object, or a structure of them matching the features
            (``None`` entries skip a feature); at least one must be set.
        teacher_layer_name: The teacher layer whose output is compared; ``None`` means the
            teacher's final output.
        student_layer_name: The student layer whose output is compared; ``None`` means the
            student's final output.

    Raises:
        ValueError: If every loss is ``None``.

    Example:
        >>> import torch
        >>> from ketorch.distillation import FeatureDistillation
        >>> fd = FeatureDistillation(loss="mse")
        >>> float(fd.compute_loss(torch.ones(2, 4), torch.zeros(2, 4)))
        1.0
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = tree.map_structure(to_loss_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError(
                "The `loss` argument in `FeatureDistillation` must contain at least one "
                "non-`None` value."
            )

    def validate_model_compatibility(self, teacher, student):
        """Named layers need models with a graph (Functional or Sequential) holding them."""
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [
                role
                for role, model in (("teacher", teacher), ("student", student))
                if getattr(model, "inputs", None) is None
            ]
            if subclassed:
                raise ValueError(
                    "FeatureDistillation with specific layer names requires Functional or "
                    f"Sequential models. The {' and '.join(subclassed)} model(s) appear to be "
                    "subclassed (no symbolic inputs/outputs). Either use Functional/Sequential "
                    "models, or use FeatureDistillation without layer names (to distill final "
                    "outputs only), or use LogitsDistillation instead."
                )
        for role, model, name in (
            ("teacher", teacher, self.teacher_layer_name),
            ("student", student, self.student_layer_name),
        ):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as e:
                    raise ValueError(f"In {role} model: {e}") from e

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Both features and the loss structure must match."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(f"Loss structure mismatch. Error: {e}") from e

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The summed, per-feature averaged loss (a scalar tensor)."""

        def one(loss_fn, teacher, student):
            if loss_fn is None:
                return torch.zeros((), device=getattr(teacher, "device", None))
            return torch.mean(loss_fn(teacher, student))

        values = tree.map_structure(one, self.loss, teacher_outputs, student_outputs)
        return torch.stack(tree.flatten(values)).sum()

    def get_config(self) -> dict:
        return {
            "loss": losses.serialize(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = losses.deserialize(config["loss"])
        return cls(**config)
