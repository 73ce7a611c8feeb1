"""DistillationLoss: the base of the losses a Distiller uses to compare teacher and student."""

from __future__ import annotations

from .. import losses, tree


def to_loss_function(item):
    """A loss identifier (``"mse"``), object or ``None`` as a callable or ``None``.

    Raises:
        ValueError: For an unknown identifier.
    """
    if item is None or not isinstance(item, str):
        return item
    fn = losses.get(item)
    if fn is None:
        raise ValueError(f"Unknown loss function: '{item}'.")
    return fn


class DistillationLoss:
    """How a :class:`~ketorch.distillation.Distiller` scores the student against the teacher.

    Subclass it and implement :meth:`compute_loss`; override the ``validate_*`` hooks to
    reject incompatible models or outputs early.

    Example:
        >>> import torch
        >>> from ketorch.distillation import DistillationLoss
        >>> class L1(DistillationLoss):
        ...     def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        ...         return (teacher_outputs - student_outputs).abs().mean()
        >>> L1().compute_loss(torch.ones(2, 3), torch.zeros(2, 3)).item()
        1.0
    """

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The scalar loss of ``student_outputs`` against ``teacher_outputs``.

        Args:
            teacher_outputs: The teacher's outputs (a tensor or a structure of them).
            student_outputs: The student's outputs, in the same structure.
            **kwargs: Extra arguments for custom losses.

        Returns:
            A scalar tensor.
        """
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raise ``ValueError`` unless the two outputs have the same structure."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raise ``ValueError`` if this loss cannot compare ``teacher`` and ``student``."""
