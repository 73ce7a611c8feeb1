"""Per-sequence dropout masks for recurrent cells called one step at a time.

Keras draws a cell's dropout masks at the first step of a sequence, reuses them at every
step and drops them when the sequence ends. The fused sequence kernels draw their masks
themselves (``run_sequence``); this mixin gives the single-step ``call`` the same masks,
so a cell run by the generic time loop (stacked cells, custom wrappers, user loops)
honours ``dropout`` and ``recurrent_dropout`` too.
"""

from __future__ import annotations

import torch

from .lstm_ops import dropout_masks


class DropoutCellMixin:
    """Caches ``(input masks, recurrent masks)`` from a sequence's first step to its end.

    ``_gate_count`` is the number of gate blocks (4 for LSTM, 3 for GRU, None for
    SimpleRNN): with recurrent dropout, Keras draws one mask per gate for the input and
    for the state; with input dropout alone, one shared input mask.
    """

    _gate_count = None

    def _dropout_generator(self):
        gen = self.__dict__.get("_step_generator")
        if gen is None and self.seed is not None:
            gen = torch.Generator()
            gen.manual_seed(int(self.seed))
            object.__setattr__(self, "_step_generator", gen)
        return gen

    def get_step_dropout_masks(self, inputs, h, training):
        """``(input masks or None, recurrent masks or None)`` for one step in ``training``."""
        if not training:
            return None, None
        in_rate, rec_rate = self.dropout, self.recurrent_dropout
        use_in, use_rec = 0.0 < in_rate < 1.0, 0.0 < rec_rate < 1.0
        if not (use_in or use_rec):
            return None, None
        cached = self.__dict__.get("_step_masks")
        if cached is not None and cached[2] == (inputs.shape, h.shape):
            return cached[0], cached[1]
        gen = self._dropout_generator()
        count = self._gate_count if use_rec else None
        in_masks = dropout_masks(inputs.shape, in_rate, count, inputs, gen) if use_in else None
        rec_masks = None
        if use_rec:
            rec_masks = dropout_masks(h.shape, rec_rate, self._gate_count, h, gen)
        object.__setattr__(self, "_step_masks", (in_masks, rec_masks, (inputs.shape, h.shape)))
        return in_masks, rec_masks

    def reset_dropout_mask(self) -> None:
        """Forget the cached masks: the next step of ``training`` draws new ones."""
        object.__setattr__(self, "_step_masks", None)

    reset_recurrent_dropout_mask = reset_dropout_mask


def reset_dropout_masks(cell) -> None:
    """Drop the cached step masks of ``cell`` and of the cells it stacks."""
    reset = getattr(cell, "reset_dropout_mask", None)
    if callable(reset):
        reset()
    for inner in getattr(cell, "cells", None) or ():
        reset_dropout_masks(inner)
