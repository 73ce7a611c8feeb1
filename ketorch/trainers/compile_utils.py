"""What ``compile()`` turns its ``loss`` and ``metrics`` arguments into.

Both containers validate string identifiers at ``compile`` time, resolve
shape-dependent names (``"accuracy"``, ``"crossentropy"``) on the first batch,
and keep every running value on the device.
"""

from __future__ import annotations

import functools
import warnings

import torch

from .. import losses as losses_mod
from .. import metrics as metrics_mod
from ..backend._core import call_context


def _per_output(spec, output_names, what):
    """Expand ``spec`` (single, list or dict) into one entry per output (or None)."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(
                f"In the `{what}` dict, the keys {unknown} do not match any model output. "
                f"The model's outputs are named {output_names}. Received: {what}={spec!r}"
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1:
        if len(spec) != n:
            raise ValueError(
                f"`{what}` has {len(spec)} entries but the model has {n} outputs "
                f"({output_names}); pass one entry per output or a dict keyed by output name. "
                f"Received: {what}={spec!r}"
            )
        return list(spec)
    if isinstance(spec, (list, tuple)) and n == 1 and what in ("loss", "loss_weights"):
        if len(spec) != 1:
            raise ValueError(
                f"The model has one output, so `{what}` must be a single value (or a list of "
                f"one). Received: {what}={spec!r}"
            )
        return [spec[0]]
    return [spec] * n


class CompileLoss:
    """The compiled loss: one loss per output, weighted and summed."""

    def __init__(self, loss, loss_weights=None):
        self._spec = loss
        self._loss_weights = loss_weights
        flat_weights = _flatten_spec(loss_weights) if loss_weights is not None else []
        if not all(
            w is None or (isinstance(w, (int, float)) and not isinstance(w, bool))
            for w in flat_weights
        ):
            raise TypeError(
                "`loss_weights` must be numbers: one per output (a list or a dict keyed by output "
                f"name). Received: loss_weights={loss_weights!r}"
            )
        self.built = False
        self.losses: list = []
        self.weights: list[float] = []
        self.output_names: list[str] = []
        self.trackers: list = []
        # Validate strings now, so a typo fails at compile().
        for item in _flatten_spec(loss):
            if isinstance(item, str) and item.lower() not in ("crossentropy", "ce"):
                losses_mod.get(item)

    def build(self, output_names, y_true, y_pred):
        self.output_names = list(output_names)
        specs = _per_output(self._spec, self.output_names, "loss")
        if self._loss_weights is None:
            weights = [1.0] * len(specs)
        else:
            weights = _per_output(self._loss_weights, self.output_names, "loss_weights")
            weights = [1.0 if w is None else float(w) for w in weights]
        self.losses, self.weights = [], []
        for spec, w, yt, yp in zip(specs, weights, y_true, y_pred):
            if spec is None:
                self.losses.append(None)
            else:
                self.losses.append(
                    losses_mod.resolve(
                        spec, y_true_shape=tuple(yt.shape), y_pred_shape=tuple(yp.shape)
                    )
                )
            self.weights.append(w)
            if self.losses[-1] is not None:
                _warn_if_broadcast(self.losses[-1], name_of(self.output_names, len(self.weights) - 1),
                                   tuple(yt.shape), tuple(yp.shape))  # fmt: skip
        multi = len(self.output_names) > 1
        self.trackers = [
            metrics_mod.Mean(name=f"{name}_loss") if multi and loss is not None else None
            for name, loss in zip(self.output_names, self.losses)
        ]
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        total = None
        for i, loss in enumerate(self.losses):
            if loss is None:
                continue
            try:
                value = loss(y_true[i], y_pred[i], sample_weight=sample_weight)
            except RuntimeError as e:  # a shape mismatch inside torch: say which output
                name = self.output_names[i] if i < len(self.output_names) else i
                raise ValueError(
                    f"The loss '{getattr(loss, 'name', loss)}' of output '{name}' cannot compare "
                    f"targets of shape {tuple(y_true[i].shape)} with predictions of shape "
                    f"{tuple(y_pred[i].shape)}: the `y` passed to fit/evaluate does not match "
                    f"the model's output. ({e})"
                ) from e
            tracker = self.trackers[i]
            if tracker is not None:
                rows = y_pred[i].shape[0]
                deferred = call_context().state_updates  # a compiled step applies it after grad
                if deferred is not None:
                    update = functools.partial(tracker.update_state, sample_weight=rows)
                    deferred.append((update, value.detach()))
                else:
                    tracker.update_state(value.detach(), sample_weight=rows)
            w = self.weights[i]
            value = value if w == 1.0 else value * w
            total = value if total is None else total + value
        if total is None:
            raise ValueError(
                "No loss to compute: every output has `loss=None`. Pass a loss for at least one "
                "output in `compile(loss=...)`."
            )
        return total

    def tracker_metrics(self):
        return [t for t in self.trackers if t is not None]


def name_of(names, i):
    return names[i] if i < len(names) else str(i)


def _warn_if_broadcast(loss, output, y_true_shape, y_pred_shape):
    """Warn once when targets fit the output only by broadcasting (``(n, 3)`` targets for a
    ``(None, 1)`` output with ``mse``), which Keras silently turns into a meaningless loss."""
    name = str(getattr(loss, "name", getattr(loss, "__name__", "")))
    if "sparse" in name or not y_true_shape or not y_pred_shape:
        return  # sparse targets hold class ids: their shapes differ on purpose
    t, p = list(y_true_shape[1:]), list(y_pred_shape[1:])
    if len(t) == len(p) - 1 and p[-1] == 1:
        t = [*t, 1]  # Keras adds the trailing axis of (n,) targets for (n, 1) outputs
    if len(t) != len(p):
        return
    if any(a != b and 1 in (a, b) for a, b in zip(t, p)):
        warnings.warn(
            f"The targets for output '{output}' have shape {tuple(y_true_shape)} and the "
            f"predictions {tuple(y_pred_shape)}: the loss '{name}' compares them only by "
            "broadcasting, which is rarely meant (check the model's last layer or the `y` "
            "passed to fit).",
            stacklevel=2,
        )


def _flatten_spec(spec):
    if isinstance(spec, dict):
        out = []
        for v in spec.values():
            out.extend(_flatten_spec(v))
        return out
    if isinstance(spec, (list, tuple)):
        out = []
        for v in spec:
            out.extend(_flatten_spec(v))
        return out
    return [spec]


class CompileMetrics:
    """The compiled metrics: per output, resolved from the first batch's shapes."""

    def __init__(self, metrics, weighted_metrics=None):
        self._spec = metrics
        self._weighted_spec = weighted_metrics
        self.built = False
        self.entries: list[tuple[int, object, bool]] = []  # (output index, metric, weighted)
        for item in _flatten_spec(metrics) + _flatten_spec(weighted_metrics):
            if isinstance(item, str) and item not in ("accuracy", "acc", "crossentropy", "ce"):
                metrics_mod.get(item)

    def build(self, output_names, y_true, y_pred):
        n = len(output_names)
        self.entries = []
        for spec, weighted in ((self._spec, False), (self._weighted_spec, True)):
            if spec is None:
                continue
            per_output = self._expand(
                spec, output_names, "weighted_metrics" if weighted else "metrics"
            )
            for i, items in enumerate(per_output):
                if items is None:
                    continue
                if not isinstance(items, (list, tuple)):
                    items = [items]
                for item in items:
                    if item is None:
                        continue
                    metric = metrics_mod.resolve_metric(
                        item, tuple(y_true[i].shape), tuple(y_pred[i].shape)
                    )
                    if n > 1:
                        metric.name = f"{output_names[i]}_{metric.name}"
                    if weighted and any(m.name == metric.name for _, m, _ in self.entries):
                        metric.name = f"weighted_{metric.name}"
                    self.entries.append((i, metric, weighted))
        self.built = True

    @staticmethod
    def _expand(spec, output_names, what):
        n = len(output_names)
        if isinstance(spec, dict):
            return _per_output(spec, output_names, what)
        if n == 1:
            return [spec]
        if (
            isinstance(spec, (list, tuple))
            and len(spec) == n
            and all(isinstance(s, (list, tuple, type(None))) for s in spec)
        ):
            return list(spec)
        raise ValueError(
            f"For a model with {n} outputs ({output_names}), `{what}` must be a dict keyed by "
            f"output name or a list with one list of metrics per output. Received: {what}={spec!r}"
        )

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        for i, metric, weighted in self.entries:
            metric.update_state(y_true[i], y_pred[i], sample_weight if weighted else None)

    @property
    def metrics(self):
        return [m for _, m, _ in self.entries]

    def reset_state(self):
        for _, m, _ in self.entries:
            m.reset_state()
