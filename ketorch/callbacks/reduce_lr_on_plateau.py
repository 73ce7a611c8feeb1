"""ReduceLROnPlateau: lower the learning rate when a monitored quantity stalls."""

from __future__ import annotations

import warnings

import numpy as np

from .monitor_callback import MonitorCallback, get_learning_rate, set_learning_rate


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without improvement.

    The current rate is added to the epoch logs as ``learning_rate``.

    Args:
        monitor: Log key to watch. Defaults to ``"val_loss"``.
        factor: Multiplier applied to the rate, below 1.
        patience: Epochs without improvement before the rate is lowered.
        verbose: 1 prints a line each time the rate is lowered.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: An epoch improves only if it beats the best value by more
            than this.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: The rate is never lowered below this.

    Example:
        >>> import ketorch as keras
        >>> reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
        ...                                               patience=5, min_lr=0.001)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs,
    ) -> None:
        if "epsilon" in kwargs:  # Keras 2 name of min_delta
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` is deprecated; use `min_delta` instead.", stacklevel=2)
        if kwargs:  # Keras accepts and ignores unknown arguments; say so at least.
            warnings.warn(
                f"ReduceLROnPlateau ignores unknown arguments: {sorted(kwargs)}.", stacklevel=2
            )
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received: factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether a recent reduction is still being waited out."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = get_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, optimizer, epoch) -> bool:
        old_lr = get_learning_rate(optimizer)
        # Keras keeps the rate in a float32 variable; compare at that precision.
        if np.float32(old_lr) <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(optimizer, new_lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
