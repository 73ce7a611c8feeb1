"""TerminateOnNaN: stop training at the first batch whose loss is NaN or infinite."""

from __future__ import annotations

import math

from .callback import Callback


class TerminateOnNaN(Callback):
    """Stop training (or raise) as soon as the batch loss is NaN or infinite.

    This reads the loss back every batch, which costs one host sync per step.

    Args:
        raise_error: Raise ``RuntimeError`` instead of stopping quietly.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}: loss={loss}")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
