"""LogitsDistillation: compare the teacher's and student's final outputs, temperature-scaled."""

from __future__ import annotations

import torch

from .. import losses, tree
from .distillation_loss import DistillationLoss, to_loss_function


class LogitsDistillation(DistillationLoss):
    """Distill the final outputs: both logits are divided by ``temperature`` and compared.

    With a ``keras.losses.KLDivergence`` object the scaled logits become probabilities (softmax)
    first and the loss is multiplied by ``temperature ** 2``; any other loss (the default
    ``"kl_divergence"`` identifier included, as in Keras) receives the scaled logits. Each loss
    value is averaged to a scalar and the values of a multi-output model are summed.

    Args:
        temperature: The positive softening temperature.
        loss: A loss identifier, loss object, or a structure of them matching the outputs
            (``None`` entries skip an output); at least one must be set.

    Raises:
        ValueError: If every loss is ``None`` or ``temperature`` is not a positive number.

    Example:
        >>> import torch
        >>> import ketorch as keras
        >>> kd = keras.distillation.LogitsDistillation(
        ...     temperature=2.0, loss=keras.losses.KLDivergence()
        ... )
        >>> logits = torch.tensor([[1.0, 2.0, 3.0]])
        >>> float(kd.compute_loss(logits, logits))
        0.0
    """

    def __init__(self, temperature: float = 3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = tree.map_structure(to_loss_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("At least one loss must be non-`None`.")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The summed, per-output averaged loss of the scaled logits (a scalar tensor)."""
        t = self.temperature

        def one(loss_fn, teacher, student):
            if loss_fn is None:
                return torch.zeros((), device=getattr(teacher, "device", None))
            teacher, student = teacher / t, student / t
            if isinstance(loss_fn, losses.KLDivergence):
                value = loss_fn(torch.softmax(teacher, dim=-1), torch.softmax(student, dim=-1))
                return torch.mean(value) * (t * t)
            return torch.mean(loss_fn(teacher, student))

        values = tree.flatten(tree.map_structure(one, self.loss, teacher_outputs, student_outputs))
        return torch.stack(values).sum()

    def get_config(self) -> dict:
        return {"temperature": self.temperature, "loss": losses.serialize(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = losses.deserialize(config["loss"])
        return cls(**config)
