"""Keras 3's customizable steps: ``train_step(self, data)``, ``test_step(self, data)``,
``predict_step(self, data)`` and ``compute_loss``, as Keras's "customizing fit()" guides use them.

ketorch's own ``train_step``/``test_step`` take ``(x, y, sample_weight)``; a model that overrides
one with Keras's one-argument signature gets ``data`` packed the Keras way, and the dict it returns
becomes the logs.
"""

from __future__ import annotations

import inspect

import torch

from .. import backend
from ..mixed_precision.autocast import to_float32


class CustomStepsMixin:
    """Mixed into ``Trainer``: the Keras 3 custom-step API."""

    def _takes_data(self, name):
        """Whether the model overrides ``name`` with Keras 3's ``step(self, data)`` signature
        (ketorch's own steps take ``(x, y, sample_weight)``)."""
        cls = type(self)
        cache = _DATA_STEP_CACHE.setdefault(cls, {})
        if name not in cache:
            fn = getattr(cls, name)
            takes_data = False
            if not _is_default(cls, name):
                params = list(inspect.signature(fn).parameters.values())[1:]
                positional = [
                    p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                ]
                takes_data = len(positional) == 1
            cache[name] = takes_data
        return cache[name]

    def _overrides(self, name):
        """Whether the model's class replaces the step method ``name``."""
        return not _is_default(type(self), name)

    def _pack_data(self, x, y, sample_weight):
        """``(x, y)`` or ``(x, y, sample_weight)`` as Keras hands them to a custom step."""
        if isinstance(y, list) and len(y) == 1:
            y = y[0]
        return (x, y) if sample_weight is None else (x, y, sample_weight)

    def _build_compiled_from(self, x, y):
        """Build the compiled loss and metrics from one inference pass, so that a custom step
        finds them in ``self.metrics`` from its first batch on, as in Keras."""
        closs, cm = self._compile_loss, self._compile_metrics
        if cm is not None and not cm.built and not cm._spec and not cm._weighted_spec:
            cm.built = True  # nothing to build: no metrics were compiled
        if (closs is None or closs.built) and (cm is None or cm.built):
            return
        with torch.no_grad():
            y_pred = to_float32(self._flat_outputs(self(x, training=False)))
        y_list = y if isinstance(y, list) else [y]
        if closs is not None and not closs.built:
            closs.build(self._data_output_names(), y_list, y_pred)
        if cm is not None and not cm.built:
            cm.build(self._data_output_names(), y_list, y_pred)

    def _run_custom_step(self, name, x, y, sample_weight):
        if y is not None:
            self._build_compiled_from(x, y)
        logs = getattr(self, name)(self._pack_data(x, y, sample_weight))
        self._custom_logs = _flatten_logs(logs) if isinstance(logs, dict) else None
        return logs

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``y_pred`` (computed from ``x`` when not given) against ``y``,
        plus the model's regularization and ``add_loss`` losses, as in Keras 3.

        Returns:
            A scalar tensor.
        """
        if y_pred is None:
            y_pred = self(x, training=training)
        flat_pred = to_float32(self._flat_outputs(y_pred))
        if isinstance(y, dict):
            y_list = [y[k] for k in self._data_output_names()]
        elif isinstance(y, (list, tuple)):
            y_list = list(y)
        else:
            y_list = [y]
        y_list = [backend.to_tensor(t, device=flat_pred[0].device) for t in y_list]
        if sample_weight is not None:
            sample_weight = backend.to_tensor(sample_weight, device=flat_pred[0].device)
        closs = self._compile_loss
        if closs is None:
            loss = torch.zeros((), device=flat_pred[0].device)
        else:
            if not closs.built:
                closs.build(self._data_output_names(), y_list, flat_pred)
            loss = closs(y_list, flat_pred, sample_weight)
        for extra in self.losses:
            loss = loss + extra
        return loss

    def predict_step(self, data):
        """Keras 3's prediction step: the model's output for the batch ``data`` (``(x,)``).

        Override it to change what ``predict`` returns per batch.
        """
        x = data[0] if isinstance(data, tuple) else data
        return self(x, training=False)


def _is_default(cls, name):
    from .trainer import Trainer  # the Trainer class is built from this module's mixin

    return getattr(cls, name) is getattr(Trainer, name)


_DATA_STEP_CACHE: dict = {}


def _flatten_logs(logs):
    """Keras flattens nested result dicts (e.g. ``compile_metrics``) into the logs."""
    out = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            out.update(_flatten_logs(value))
        else:
            out[key] = value
    return out
