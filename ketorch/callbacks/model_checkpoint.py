"""ModelCheckpoint: save the model (or its weights) during training.

Example:
    >>> import ketorch as keras
    >>> checkpoint = keras.callbacks.ModelCheckpoint(
    ...     "ckpt/epoch{epoch:02d}-{val_loss:.2f}.keras", save_best_only=True
    ... )
"""

from __future__ import annotations

import os
import warnings

from ..saving.file_utils import path_str
from .monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights every epoch or every ``save_freq`` batches.

    Every file is written to a temporary name and renamed into place, so a
    crash during a save never damages the previous checkpoint.

    Args:
        filepath: Target path; may hold ``str.format`` fields ``epoch``
            (1-based), ``batch`` (1-based, batch-level saving) and any log key,
            e.g. ``"model-{epoch:02d}-{val_loss:.2f}.keras"``. Must end in
            ``.keras``/``.h5``, or ``.weights.h5`` with ``save_weights_only``.
        monitor: The log key compared when ``save_best_only``.
        verbose: 1 prints a line per save decision.
        save_best_only: Save only when ``monitor`` improves.
        save_weights_only: Save ``model.save_weights`` instead of the whole model.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"`` or an integer number of batches.
        initial_value_threshold: The value ``monitor`` must beat for the
            first save (with ``save_best_only``).

    Raises:
        ValueError: For a bad ``save_freq`` or a file extension that does not
            match ``save_weights_only``.
    """

    _chief_only = True  # under DataParallel only rank 0 runs it (it writes files)

    def __init__(
        self,
        filepath,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq="epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.filepath = path_str(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "`save_freq` must be 'epoch' or a positive integer number of batches. "
                f"Received: save_freq={save_freq!r}"
            )
        self.save_freq = save_freq
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath must "
                f"end in `.weights.h5`. Received: filepath={self.filepath}"
            )
        if not save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath given to `ModelCheckpoint` must end in `.keras` (or `.h5`). "
                f"Received: filepath={self.filepath}"
            )
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None and self.save_best_only:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _format_path(self, epoch, batch, logs) -> str:
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(
                f'Failed to format the ModelCheckpoint filepath "{self.filepath}": the logs have '
                f"no key {e}. Available keys: {sorted(fields)}"
            ) from None

    def _save(self, epoch, batch, logs) -> None:
        logs = logs or {}
        path = self._format_path(epoch, batch, logs)
        if self.save_best_only:
            if self.monitor_op is None:
                self._set_monitor_op()
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"Can save best model only with {self.monitor} available; saving anyway.",
                    stacklevel=2,
                )
            elif self._is_improvement(current, self.best):
                if self.verbose > 0:
                    best = "None" if self.best is None else f"{self.best:.5f}"
                    print(
                        f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                        f"{current:.5f}, saving model to {path}"
                    )
                self.best = current
            else:
                if self.verbose > 0:
                    print(
                        f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}"
                    )
                return
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if os.path.isdir(path):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. The filepath is an "
                f"existing directory: {path}"
            )
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
