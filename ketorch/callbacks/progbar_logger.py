"""ProgbarLogger: the progress bar that ``verbose=1`` / ``verbose=2`` show."""

from __future__ import annotations

import time

from ..config import is_interactive_logging_enabled
from ..utils.progbar import Progbar
from .callback import Callback


class ProgbarLogger(Callback):
    """Print Keras's progress bar during fit, evaluate and predict.

    Metric values are read from the device only when the bar is redrawn
    (at most every 0.05 s in a terminal, once per epoch otherwise).
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None
        self._train = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _new_bar(self, target=None):
        if self.verbose:
            self.progbar = Progbar(target=target, verbose=self.verbose, unit_name="step")

    def wants_logs(self, step):
        """Whether the next update would redraw (so it needs real values)."""
        bar = self.progbar
        if bar is None or self.verbose != 1 or not bar._dynamic_display:
            return False
        return time.time() - bar._last_update >= bar.interval

    def on_train_begin(self, logs=None):
        self._train = True

    def on_train_end(self, logs=None):
        self._train = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            _say(f"Epoch {epoch + 1}/{self.epochs}")
        self._new_bar(self.target)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._train:
            self._new_bar(self.params.get("steps") if self.params else None)

    def on_test_batch_end(self, batch, logs=None):
        if not self._train:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._train and self.progbar is not None:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps") if self.params else None)

    def on_predict_batch_end(self, batch, logs=None):
        if self.progbar is not None:
            self.progbar.update(batch + 1)

    def on_predict_end(self, logs=None):
        if self.progbar is not None:
            self.progbar.update(self.progbar._seen_so_far, finalize=True)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def _update(self, batch, logs):
        if self.progbar is None:
            return
        values = sorted(logs.items()) if logs else None
        self.progbar.update(batch + 1, values=values, finalize=False)

    def _finalize(self, logs):
        if self.progbar is None:
            return
        bar = self.progbar
        current = bar._seen_so_far
        if bar.target is None:
            bar.target = current
        values = sorted((logs or {}).items())
        bar.update(current, values=values, finalize=True)


def _say(text: str) -> None:
    """One line to stdout, or to the "ketorch" logger when interactive logging is off."""

    if is_interactive_logging_enabled():
        print(text, flush=True)
    else:
        import logging  # optional dependency, loaded on first use

        logging.getLogger("ketorch").info(text)
