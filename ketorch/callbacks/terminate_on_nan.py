"""TerminateOnNaN: stop training at the first batch whose loss is NaN or infinite."""

from __future__ import annotations

import math

import torch

from ..optimizers import Optimizer
from .callback import Callback


class TerminateOnNaN(Callback):
    """Stop training (or raise) as soon as the batch loss is NaN or infinite.

    This reads the loss back every batch, which costs one host sync per step.

    With ``restore_weights=True`` the callback also copies the model's weights
    (trainable and not, e.g. BatchNormalization statistics) and the optimizer's
    state before every batch, device to device, and puts them back when a batch
    turns the loss NaN/inf. The model then holds the last finite weights and
    training can resume (e.g. with a lower learning rate). The copy costs one
    extra set of weights and optimizer slots in memory and one copy per step.
    When a bad loss is seen, ``bad_batch`` holds ``(epoch, batch)`` of that
    step; ``restored`` tells whether the earlier weights were put back.

    Args:
        raise_error: Raise ``RuntimeError`` instead of stopping quietly.
        restore_weights: Put back the weights (and optimizer state) from before
            the bad batch when the loss becomes NaN or infinite.

    Example:

    >>> import ketorch
    >>> stop = ketorch.callbacks.TerminateOnNaN(restore_weights=True)
    >>> stop.restored
    False
    """

    def __init__(self, raise_error: bool = False, restore_weights: bool = False):
        super().__init__()
        self.raise_error = raise_error
        self.restore_weights = restore_weights
        self.restored = False
        self.bad_batch = None
        self._epoch = 0
        self._live = None
        self._saved = None
        self._opt_saved = None

    # -------------------------------------------------------- snapshots
    def on_train_begin(self, logs=None):
        self.restored = False
        self.bad_batch = None
        self._live = None
        self._saved = None
        self._opt_saved = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _optimizer_tensors(self):
        """Live optimizer state tensors that can be copied in place (plain torch optimizers)."""
        opt = getattr(self.model, "optimizer", None)
        if not isinstance(opt, torch.optim.Optimizer):
            return []
        out = []
        for state in opt.state.values():
            out.extend(v for v in state.values() if isinstance(v, torch.Tensor))
        return out

    def _keras_optimizer(self):

        opt = getattr(self.model, "optimizer", None)
        return opt if isinstance(opt, Optimizer) and opt.built else None

    @torch.no_grad()
    def on_train_batch_begin(self, batch, logs=None):
        if not self.restore_weights:
            return
        live = [w.detach() for w in self.model.weights]
        kopt = self._keras_optimizer()
        if kopt is not None:
            live += [v.detach() for v in kopt.variables]
        else:
            live += self._optimizer_tensors()
        same = (
            self._saved is not None
            and len(self._saved) == len(live)
            and all(s.shape == t.shape and s.device == t.device for s, t in zip(self._saved, live))
        )
        if same:
            torch._foreach_copy_(self._saved, live)
        else:
            self._saved = [t.clone() for t in live]
        self._live = live
        self._n_weights = len(self.model.weights)

    @torch.no_grad()
    def _restore(self):
        n = self._n_weights
        for w, s in zip(self.model.weights, self._saved[:n]):
            w.copy_(s)
        kopt = self._keras_optimizer()
        if kopt is not None:
            # The scalars in `variables` are copies, so load through the optimizer.
            kopt.set_variables(self._saved[n:])
        else:
            live = self._live[n:]
            if live:
                torch._foreach_copy_(live, self._saved[n:])
        self.restored = True

    # ------------------------------------------------------------ check
    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        self.bad_batch = (self._epoch, batch)
        note = ""
        if self.restore_weights and self._saved is not None:
            self._restore()
            note = "; restored the weights from before this batch"
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}: loss={loss}{note}")
        print(f"Batch {batch}: Invalid loss, terminating training{note}")
        self.model.stop_training = True
