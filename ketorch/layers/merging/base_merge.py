"""Merge: the shared machinery of the layers that combine a list of tensors.

Element-wise merges (``Add``, ``Multiply``, ``Maximum``...) broadcast as Keras
does: sample shapes are aligned from the right, sizes must match or be 1, and
a lower-rank input gains axes right after the batch axis. Shapes are checked
when the layer is built, so a Functional model with mismatched inputs fails at
definition time with a message naming the layer and the shapes.
"""

from __future__ import annotations

import torch

from ... import config
from ..input_spec import format_shape
from ..layer import Layer
from ..node import KerasTensor


def _fmt_shapes(shapes) -> str:
    return "[" + ", ".join(format_shape(tuple(s)) for s in shapes) + "]"


def _keras2_mask_merging() -> bool:

    return config.is_keras2_mask_merging_enabled()


def input_masks(inputs) -> list:
    """The ``_keras_mask`` of each input tensor (``None`` where absent)."""
    return [getattr(x, "_keras_mask", None) for x in inputs]


def expand_mask(mask, x):
    """``mask`` with trailing unit axes so it broadcasts against ``x``."""
    while mask.ndim < x.ndim:
        mask = mask.unsqueeze(-1)
    return mask


class Merge(Layer):
    """Base class of the merge layers; subclasses implement ``_merge_function``.

    Args:
        **kwargs: Base layer arguments.
    """

    _min_inputs = 1
    _exact_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    # ------------------------------------------------------------ checking
    def _shape_error(self, what, shapes):
        return ValueError(
            f"Layer '{self.name}' ({type(self).__name__}) {what}. "
            f"Received: input_shape={_fmt_shapes(shapes)}"
        )

    def _check_list(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not all(
            isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of "
                f"tensors, e.g. `{type(self).__name__}()([x1, x2])`. "
                f"Received: input_shape={input_shape}"
            )
        n = len(input_shape)
        if self._exact_inputs is not None and n != self._exact_inputs:
            raise self._shape_error(
                f"must be called on exactly {self._exact_inputs} inputs, got {n}", input_shape
            )
        if n < self._min_inputs:
            raise self._shape_error(
                f"must be called on at least {self._min_inputs} input(s), got {n}", input_shape
            )
        batch_sizes = {s[0] for s in input_shape if len(s)} - {None}
        if len(batch_sizes) > 1:
            raise self._shape_error("cannot merge tensors with different batch sizes", input_shape)

    def _broadcast(self, a, b, shapes):
        """Keras's element-wise output shape of two sample shapes (right-aligned)."""
        if len(a) < len(b):
            a, b = b, a
        if not b:
            return tuple(a)
        out = list(a[: len(a) - len(b)])
        for i, j in zip(a[len(a) - len(b) :], b):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise self._shape_error(
                    "got inputs with incompatible shapes: sample axes must have equal sizes "
                    "(or size 1 to broadcast)",
                    shapes,
                )
        return tuple(out)

    def build(self, input_shape):
        self._check_list(input_shape)
        out = tuple(input_shape[0][1:])
        for s in input_shape[1:]:
            out = self._broadcast(out, tuple(s[1:]), input_shape)
        self._reshape_required = len({len(s) for s in input_shape}) > 1
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        out = tuple(input_shape[0][1:])
        for s in input_shape[1:]:
            out = self._broadcast(out, tuple(s[1:]), input_shape)
        batch = {s[0] for s in input_shape if len(s)} - {None}
        return (batch.pop() if batch else None, *out)

    def compute_output_spec(self, inputs, **kwargs):
        shapes = [x.shape for x in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
        return KerasTensor(self.compute_output_shape(shapes), self.compute_dtype)

    # ------------------------------------------------------------- running
    def _merge_function(self, inputs, masks):
        raise NotImplementedError

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of "
                f"tensors. Received: inputs of type {type(inputs).__name__}"
            )
        masks = input_masks(inputs)
        inputs = list(inputs)
        if self._reshape_required:
            # A lower-rank input gains axes after the batch axis (Keras's broadcasting).
            ndim = max(x.ndim for x in inputs)
            for i, x in enumerate(inputs):
                while x.ndim < ndim:
                    x = x.unsqueeze(1)
                inputs[i] = x
        try:
            return self._merge_function(inputs, masks)
        except RuntimeError as e:
            shapes = [tuple(x.shape) for x in inputs]
            raise self._shape_error(f"could not merge its inputs ({e})", shapes) from e

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            if not isinstance(inputs, (list, tuple)):
                return None
            mask = input_masks(inputs)
        if not isinstance(mask, (list, tuple)):
            return None
        if _keras2_mask_merging():  # AND of the masks that exist (see ketorch.config)
            present = [m for m in mask if m is not None]
            return torch.stack(present).all(dim=0) if present else None
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = torch.logical_or(out, m)
        return out

    def get_config(self):
        return super().get_config()

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _masked_reduce(op, inputs, masks):
        """Combine inputs pairwise with ``op``; a masked entry takes the other operand.

        The rule Keras uses for ``Maximum``/``Minimum``, which have no identity element.
        """
        out, out_mask = None, None
        for x, m in zip(inputs, masks):
            m = None if m is None else expand_mask(m, x)
            if out is None:
                out, out_mask = x, m
                continue
            if m is not None:
                x = torch.where(m, x, out)
            if out_mask is not None:
                out = torch.where(out_mask, out, x)
            out_mask = (
                torch.logical_or(out_mask, m) if m is not None and out_mask is not None else None
            )
            out = op(out, x)
        return out
