"""The Keras 3 style progress bar used by `fit`, `evaluate` and `predict`."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..config import is_interactive_logging_enabled

_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"
_BAR_CHAR = "\u2501"  # ━
_REST_CHAR = "\u2500"  # ─, the unfinished part when colours are off


def _interactive_stdout() -> bool:
    """True when in-place redraws will be seen (a terminal or a Jupyter kernel)."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except (ValueError, OSError):  # closed or detached stream
        pass
    return "ipykernel" in sys.modules


def _to_float(value: Any) -> Any:
    """Reads a metric value back to the host; returns None if it is not numeric."""
    if hasattr(value, "detach"):  # torch tensor: one host read, only when drawing
        value = value.detach()
        return float(value) if value.numel() == 1 else float(value.float().mean())
    if isinstance(value, (int, float, np.number)):
        return float(value)
    try:
        return float(np.mean(np.asarray(value, dtype=np.float64)))
    except (TypeError, ValueError):
        return None


def _format_value(value: Any) -> str:
    number = _to_float(value)
    if number is None:
        return str(value)
    return f"{number:.4f}" if abs(number) > 1e-3 else f"{number:.4e}"


def _format_step_time(seconds: float, unit_name: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


class Progbar:
    """Displays a progress bar in the Keras 3 style.

    With `verbose=1` the bar is redrawn in place, at most once per `interval`
    seconds, when the output is a terminal or a Jupyter kernel. When it is not
    (a log file, a pipe, CI), nothing is written until the final update, which
    writes one plain line. With `verbose=2` only the final line is written,
    in the form `count/target - 3s - 12ms/step - loss: 0.1234`.

    Metric values are shown as given (the training loop passes running means).
    They may be Python numbers or 0-d torch tensors; tensors are read back to
    the host only when a line is actually drawn.

    Args:
        target: Total number of steps, or `None` if unknown.
        width: Width of the bar in characters.
        verbose: 0 (silent), 1 (live bar) or 2 (one line at the end).
        interval: Minimum number of seconds between two redraws.
        stateful_metrics: Names of metrics shown as given. Every metric is
            shown as given unless listed in `stateless_metrics`; accepted for
            compatibility.
        unit_name: Name of one step in the time-per-step field.
        stateless_metrics: Names of metrics that the bar should average over
            the steps itself (for hand-written loops that pass per-batch
            values).

    Example:

    >>> bar = Progbar(target=10, verbose=0)
    >>> for step in range(10):
    ...     bar.update(step + 1, values=[("loss", 0.5)])
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
        stateless_metrics: Iterable[str] | None = None,
    ) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"`verbose` must be 0, 1 or 2. Received: verbose={verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = set(stateless_metrics or ())
        self._dynamic_display = _interactive_stdout()
        self._values: dict[str, Any] = {}
        self._sums: dict[str, list] = {}
        self._values_order: list[str] = []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def update(
        self,
        current: int,
        values: Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Records progress and redraws the bar if it is due.

        Args:
            current: Number of steps done so far.
            values: `(name, value)` pairs to display, in display order.
            finalize: Whether this is the last update. `None` means
                `current >= target` (never, when the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values:
                self._values_order.append(name)
            if name in self.stateless_metrics:
                weight = 1 if finalize else max(current - self._seen_so_far, 1)
                total = self._sums.get(name)
                if total is None or finalize:
                    self._sums[name] = [value * weight, weight]
                else:
                    total[0] = total[0] + value * weight
                    total[1] += weight
                self._values[name] = None
            else:
                self._values[name] = value
        self._seen_so_far = current

        now = time.time()
        step_time = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if not finalize and (
                not self._dynamic_display or now - self._last_update < self.interval
            ):
                return
            self._draw(current, now, step_time, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now, step_time) + "\n")
        self._last_update = now

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advances the bar by `n` steps (see `update`)."""
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------------ drawing

    def _metric_text(self) -> str:
        parts = []
        for name in self._values_order:
            if name in self._sums and self._values[name] is None:
                total, count = self._sums[name]
                number = _to_float(total)
                value = total if number is None else number / max(1, count)
            else:
                value = self._values[name]
            parts.append(f" - {name}: {_format_value(value)}")
        return "".join(parts)

    def _draw(self, current: int, now: float, step_time: float, finalize: bool) -> None:
        color = self._dynamic_display
        known = self.target is not None and self.target > 0
        if known:
            digits = int(math.log10(self.target)) + 1
            counter = f"{current:{digits}d}/{self.target}"
            done = min(int(self.width * current / self.target), self.width)
            if color:
                bar = f"{_BOLD}{counter}{_RESET} "
                if done > 0:
                    bar += f"{_GREEN}{_BAR_CHAR * done}{_RESET}"
                bar += f"{_WHITE}{_BAR_CHAR * (self.width - done)}{_RESET}"
            else:
                bar = f"{counter} {_BAR_CHAR * done}{_REST_CHAR * (self.width - done)}"
        else:
            bar = f"{current:7d}/Unknown"
        if known and not finalize:
            clock = _format_eta(step_time * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        clock = f"{_BOLD}{clock}{_RESET}" if color else clock
        line = f"{bar} {clock} {_format_step_time(step_time, self.unit_name)}"
        line += self._metric_text()

        visible = len(_strip_ansi(line))
        message = line
        if color:
            message = "\b" * self._prev_total_width + "\r" + line
            if self._prev_total_width > visible:
                message += " " * (self._prev_total_width - visible)
        if finalize:
            message += "\n"
        self._write(message)
        self._prev_total_width = visible

    def _summary_line(self, current: int, now: float, step_time: float) -> str:
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            counter = f"{current:{digits}d}/{self.target}"
        else:
            counter = f"{current}/Unknown"
        line = f"{counter} - {now - self._start:.0f}s - "
        line += _format_step_time(step_time, self.unit_name)
        return line + self._metric_text()

    @staticmethod
    def _write(message: str) -> None:

        if not is_interactive_logging_enabled():
            text = message.replace("\r", "").replace("\b", "").strip()
            if text:
                logging.getLogger("ketorch").info(text)
            return
        sys.stdout.write(message)
        sys.stdout.flush()

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the (usually slow) first step once possible."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step


def _strip_ansi(text: str) -> str:
    for code in (_BOLD, _GREEN, _WHITE, _RESET):
        text = text.replace(code, "")
    return text
