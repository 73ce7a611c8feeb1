"""The runtime of a single-process run: the step hooks of :class:`Runtime`, doing nothing.

``fit``/``evaluate``/``predict`` always talk to a runtime object; without a
distribution it is :data:`LOCAL`, whose hooks are no-ops, so the loops have
no ``if distributed`` branches. :class:`~ketorch.distribution.runtime.Runtime`
overrides each hook with its collective.
"""

from __future__ import annotations

import torch

__all__ = ["LOCAL", "LocalRuntime"]


class LocalRuntime:
    """Rank 0 of 1: every hook is the identity."""

    distributed = False
    is_chief = True
    shard = None  # (rank, world) when array inputs are split between processes

    def shuffle_seed(self, shuffle) -> int | None:
        """A seed every process shares for shuffling (None: use the local RNG)."""
        return None

    def start_training(self, model):
        """Called before the first step; returns a handle to remove afterwards, or None."""
        return None

    def train_batch(self, model, x, y, sample_weight) -> None:
        """One training step on this process's share of the batch."""
        model._run_train_step(model._model_input(x), y, sample_weight)

    def after_backward(self, n_local: int) -> None:
        """Called between ``backward()`` and ``optimizer.step()``."""

    def skips(self, x) -> bool:
        """True when this process's share of a global batch is empty."""
        return False

    def logs(self, model, pythonify) -> dict:
        """The model's logs as plain floats (summed over processes when distributed)."""
        return pythonify(model._logs())

    def wants_batch_sync(self, callbacks) -> bool:
        """Whether batch-end logs must be reduced between processes for ``callbacks``."""
        return False

    def chief_callbacks(self, callbacks):
        """The callbacks this process runs (file writers only on rank 0)."""
        return callbacks

    def verbose(self, verbose):
        """The progress-bar verbosity for this process (silent off rank 0)."""
        return verbose

    def gather_predictions(self, outputs: list) -> list:
        """``outputs`` (per batch: a list of tensors, one per model output) concatenated
        into numpy arrays, one per output, in global order."""
        if not outputs:
            return []
        return [torch.cat([o[i] for o in outputs]).cpu().numpy() for i in range(len(outputs[0]))]


LOCAL = LocalRuntime()
