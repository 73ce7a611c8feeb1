"""Plotting of training curves from `History` objects."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any


def _import_pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(
            "plot_history requires matplotlib. Install it with `pip install matplotlib`."
        ) from e
    if "matplotlib.pyplot" not in sys.modules and _headless() and not _backend_chosen(matplotlib):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # optional dependency, loaded on first use

    return plt


def _headless() -> bool:
    if "ipykernel" in sys.modules or os.environ.get("MPLBACKEND"):
        return False
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def _backend_chosen(matplotlib: Any) -> bool:
    """True when the user (or a matplotlibrc) already picked a backend."""
    getter = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    if getter is not None:
        return getter() is not None
    return True  # unknown matplotlib internals: leave the backend alone


def _as_run(history: Any, position: str) -> tuple[dict, list[int] | None]:
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(
            "plot_history expects a History object (with a `.history` dict), a dict of "
            f"lists, or a list of those. Received: {position}={history!r}"
        )
    epoch = getattr(history, "epoch", None)
    return dict(logs), list(epoch) if epoch else None


def _default_metrics(runs: list[dict]) -> list[str]:
    names: list[str] = []
    for logs in runs:
        for key in logs:
            base = key[4:] if key.startswith("val_") else key
            if base not in names:
                names.append(base)
    if "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    return names


def _x_values(values: Sequence, epoch: list[int] | None) -> list[int]:
    if epoch is not None and len(epoch) == len(values):
        return [e + 1 for e in epoch]
    return list(range(1, len(values) + 1))


def plot_history(
    history: Any,
    metrics: str | Sequence[str] | None = None,
    to_file: str | os.PathLike | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    show: bool = False,
    *,
    path: str | os.PathLike | None = None,
    labels: Sequence[str] | None = None,
) -> Any:
    """Plots training curves, one panel per quantity (loss and each metric).

    Each panel shows the training curve and, when the history has it, the
    `val_` curve, against the epoch number (starting at 1). Pass a list of
    histories to compare runs: each run keeps one colour, its validation
    curve is dashed, and the legend uses `labels` (default "run 1", "run 2",
    ...).

    Args:
        history: The `History` returned by `fit` (anything with a `.history`
            dict), a dict such as `history.history`, or a list of those.
        metrics: Name or names of the quantities to plot (without the `val_`
            prefix). `None` plots all of them, loss first.
        to_file: If given, the figure is saved there (PNG unless the file
            extension names another format).
        figsize: Figure size in inches. Defaults to about 5 x 3.8 per panel.
        title: Optional title over the whole figure.
        show: Whether to call `matplotlib.pyplot.show()`.
        path: Another name for `to_file`.
        labels: Names of the runs in comparison mode.

    Returns:
        The matplotlib `Figure`.

    Example:

    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> len(fig.axes)
    1
    """
    if to_file is not None and path is not None and os.fspath(to_file) != os.fspath(path):
        raise ValueError(
            f"Pass only one of `to_file` and `path`. Received: to_file={to_file!r}, path={path!r}"
        )
    to_file = to_file if to_file is not None else path

    compare = isinstance(history, (list, tuple))
    items = list(history) if compare else [history]
    if not items:
        raise ValueError("plot_history needs at least one history. Received: history=[]")
    parsed = [_as_run(h, f"history[{i}]" if compare else "history") for i, h in enumerate(items)]
    runs = [logs for logs, _ in parsed]
    if labels is None:
        labels = [f"run {i + 1}" for i in range(len(items))]
    elif len(labels) != len(items):
        raise ValueError(
            f"`labels` must have one entry per history ({len(items)}). Received: labels={labels!r}"
        )

    if metrics is None:
        names = _default_metrics(runs)
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        known = _default_metrics(runs)
        for name in names:
            if name not in known:
                raise ValueError(
                    f"`metrics` names a quantity that is not in the history; available: "
                    f"{known}. Received: metrics={metrics!r}"
                )
    if not names:
        raise ValueError(f"The history holds nothing to plot. Received: history={history!r}")

    plt = _import_pyplot()
    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    if figsize is None:
        figsize = (5.0 * ncols, 3.8 * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    flat_axes = list(axes.ravel())
    for extra in flat_axes[len(names) :]:
        fig.delaxes(extra)

    for ax, name in zip(flat_axes, names):
        for i, (logs, epoch) in enumerate(parsed):
            color = f"C{i}" if compare else None
            for key, style, kind in ((name, "-", "training"), (f"val_{name}", "--", "validation")):
                values = logs.get(key)
                if values is None or len(values) == 0:
                    continue
                label = f"{labels[i]} {kind}" if compare else kind
                ax.plot(
                    _x_values(values, epoch),
                    [float(v) for v in values],
                    linestyle=style if compare else "-",
                    color=color,
                    marker="o" if len(values) < 20 else None,
                    markersize=3,
                    label=label,
                )
        ax.set_title(name)
        ax.set_xlabel("Epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()

    if to_file is not None:
        directory = os.path.dirname(os.fspath(to_file))
        if directory:
            os.makedirs(directory, exist_ok=True)
        # PNG unless the file name asks for another format (".pdf", ".svg", ...).
        fmt = None if os.path.splitext(os.fspath(to_file))[1] else "png"
        fig.savefig(to_file, format=fmt, dpi=100)
    if show:
        plt.show()
    return fig
