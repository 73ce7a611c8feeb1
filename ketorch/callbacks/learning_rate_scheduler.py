"""LearningRateScheduler: set the learning rate at the start of every epoch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .callback import Callback
from .monitor_callback import get_learning_rate, set_learning_rate


class LearningRateScheduler(Callback):
    """Sets the rate to ``schedule(epoch, lr)`` at each epoch start.

    A one-argument ``schedule(epoch)`` (the Keras 1 form) is accepted too.
    The rate in force is added to the epoch logs as ``learning_rate``.

    Args:
        schedule: Function of the 0-based epoch index and the current rate,
            returning the new rate as a float.
        verbose: 1 prints the rate set at each epoch.

    Example:
        >>> import math
        >>> import ketorch as keras
        >>> def scheduler(epoch, lr):
        ...     return lr if epoch < 10 else lr * math.exp(-0.1)
        >>> callback = keras.callbacks.LearningRateScheduler(scheduler)
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _next_rate(self, epoch: int) -> float:
        optimizer = self.model.optimizer
        try:
            lr = self.schedule(epoch, get_learning_rate(optimizer))
        except TypeError:  # the one-argument form
            lr = self.schedule(epoch)
        if isinstance(lr, torch.Tensor) and lr.ndim == 0 and lr.is_floating_point():
            lr = float(lr)
        if not isinstance(lr, (float, np.floating)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Received: {lr!r}"
            )
        set_learning_rate(optimizer, lr)
        return lr

    def on_epoch_begin(self, epoch, logs=None):
        lr = self._next_rate(epoch)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model.optimizer)
