"""History: records the epoch logs of ``fit``; returned by ``fit``."""

from __future__ import annotations

from ..utils.plotting import plot_history
from .callback import Callback


class History(Callback):
    """Per-epoch training record.

    Attributes:
        history: ``{key: [value per epoch]}`` with Keras's keys (``loss``,
            ``accuracy``, ``val_loss``, ...), values as Python floats.
        epoch: The 0-based indices of the recorded epochs.
        params: ``{"verbose", "epochs", "steps"}`` of the run.

    Example:
        >>> from ketorch.callbacks import History
        >>> h = History()
        >>> h.on_train_begin()
        >>> h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history
        {'loss': [0.5]}
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self

    def plot(self, metrics=None, to_file=None, **kwargs):
        """Draw training and validation curves; see :func:`ketorch.utils.plot_history`."""

        return plot_history(self, metrics=metrics, to_file=to_file, **kwargs)

    def __repr__(self):
        return f"<History epochs={len(self.epoch)} keys={sorted(self.history)}>"
