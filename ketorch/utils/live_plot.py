"""LivePlot: training curves redrawn in place every epoch (notebook output or a PNG file)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from ..callbacks.callback import Callback
from ..saving.file_utils import atomic_path
from .plotting import _import_pyplot, plot_history


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where rich display output is shown)."""
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class LivePlot(Callback):
    """Redraws the loss and metric curves at the end of every epoch.

    In Jupyter the figure is shown once and then replaced in place (one
    output area, updated through a display handle), so long trainings do not
    flood the notebook. Elsewhere the figure is written to ``to_file`` and the
    file is replaced atomically each time, so an image viewer can watch it.

    Args:
        metrics: Quantities to plot (without ``val_``), or None for all.
        to_file: Where to write the PNG. Defaults to ``"training_curves.png"``
            outside notebooks; in a notebook a file is written only if given.
        every: Redraw every this many epochs (the last epoch is always drawn).
        figsize: Figure size in inches, passed to ``plot_history``.
        title: Optional figure title.

    Example:
        >>> import ketorch as keras
        >>> live = keras.utils.LivePlot(to_file="curves.png")  # doctest: +SKIP
        >>> model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[live])  # doctest: +SKIP
    """

    def __init__(
        self,
        metrics: str | Sequence[str] | None = None,
        to_file: str | os.PathLike | None = None,
        every: int = 1,
        figsize: tuple[float, float] | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"`every` must be a positive integer. Received: every={every!r}")
        self.metrics = metrics
        self.to_file = os.fspath(to_file) if to_file is not None else None
        self.every = every
        self.figsize = figsize
        self.title = title
        self.logs: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.draw_count = 0
        self._handle = None
        self._last_drawn = None

    def on_train_begin(self, logs=None):
        self._handle = None
        self._last_drawn = None

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float)):
                self.logs.setdefault(key, []).append(float(value))
        if len(self.epochs) % self.every == 0:
            self._draw()

    def on_train_end(self, logs=None):
        if self.epochs and self._last_drawn != len(self.epochs):
            self._draw()

    def _draw(self) -> None:

        history = _Record(self.logs, self.epochs)
        fig = plot_history(history, metrics=self.metrics, figsize=self.figsize, title=self.title)
        plt = _import_pyplot()
        try:
            if _in_notebook():
                self._show_in_notebook(fig)
                if self.to_file is not None:
                    _save_atomically(fig, self.to_file)
            else:
                _save_atomically(fig, self.to_file or "training_curves.png")
        finally:
            plt.close(fig)  # never left for the notebook to display a second time
        self.draw_count += 1
        self._last_drawn = len(self.epochs)

    def _show_in_notebook(self, fig: Any) -> None:
        from IPython import display  # optional dependency, loaded on first use

        if self._handle is None:
            self._handle = display.display(fig, display_id=True)
        else:
            self._handle.update(fig)


class _Record:
    """The minimal History-like object ``plot_history`` reads."""

    def __init__(self, history: dict[str, list[float]], epoch: list[int]) -> None:
        self.history = history
        self.epoch = epoch


def _save_atomically(fig: Any, path: str) -> None:
    fmt = os.path.splitext(path)[1][1:] or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=100)
