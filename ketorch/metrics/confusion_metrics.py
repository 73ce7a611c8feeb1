"""Thresholded confusion-matrix metrics: ``Precision``, ``Recall`` and ``AUC``.

Counts of true/false positives/negatives are kept per threshold in device
tensors. ``AUC`` with evenly spaced thresholds (the default 200) bins the
predictions into buckets and takes reverse cumulative sums, which costs
O(batch + thresholds) instead of O(batch * thresholds).

Example:
    >>> import torch
    >>> p = Precision()
    >>> p(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    tensor(0.6667)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.losses.loss import EPSILON, squeeze_or_expand_to_same_rank, to_tensor
from ketorch.metrics.metric import Metric

__all__ = ["Precision", "Recall", "AUC"]

NEG_INF = -1e10


def _divide_no_nan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, 1, b))


def _as_list(thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Argument `thresholds` must be in [0, 1]. Received: thresholds={bad}")
    return [float(t) for t in values]


def _prepare(metric: Metric, y_true: Any, y_pred: Any, sample_weight: Any, top_k, class_id):
    dtype = metric.torch_dtype
    y_pred = to_tensor(y_pred, dtype=dtype)
    y_true = to_tensor(y_true, dtype=dtype, device=y_pred.device)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype=dtype, device=y_pred.device).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, False)
    if top_k is not None:
        k = min(top_k, y_pred.shape[-1])
        idx = torch.topk(y_pred, k, dim=-1).indices
        keep = torch.zeros_like(y_pred, dtype=torch.bool).scatter_(-1, idx, True)
        y_pred = torch.where(keep, y_pred, torch.full_like(y_pred, NEG_INF))
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When `class_id` is given, `y_pred` must have shape (batch, num_classes). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id : class_id + 1]
        y_pred = y_pred[..., class_id : class_id + 1]
    if sample_weight is not None:
        sample_weight = torch.broadcast_to(sample_weight, y_pred.shape)
    return y_true, y_pred, sample_weight


def _threshold_counts(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    weights: torch.Tensor | None,
    thresholds: torch.Tensor,
    multi_label: bool = False,
) -> dict[str, torch.Tensor]:
    """tp/fp/tn/fn per threshold by comparing every prediction with every threshold."""
    if multi_label:  # (T, N, L), summed over N
        pred = y_pred.reshape(1, y_pred.shape[0], -1)
        label = y_true.reshape(1, y_true.shape[0], -1).bool()
        thr = thresholds.reshape(-1, 1, 1)
        w = None if weights is None else weights.reshape(1, weights.shape[0], -1)
    else:  # (T, M), summed over M
        pred, label = y_pred.reshape(1, -1), y_true.reshape(1, -1).bool()
        thr = thresholds.reshape(-1, 1)
        w = None if weights is None else weights.reshape(1, -1)
    pred_pos = pred > thr
    label_pos = label.expand_as(pred_pos)

    def count(cond: torch.Tensor) -> torch.Tensor:
        cond = cond.to(y_pred.dtype)
        return (cond if w is None else cond * w).sum(dim=1)

    return {
        "tp": count(label_pos & pred_pos),
        "fp": count(~label_pos & pred_pos),
        "tn": count(~label_pos & ~pred_pos),
        "fn": count(label_pos & ~pred_pos),
    }


def _bucket_counts(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    weights: torch.Tensor | None,
    num_thresholds: int,
    multi_label: bool = False,
    with_epsilon: bool = True,
) -> dict[str, torch.Tensor]:
    """tp/fp/tn/fn for evenly spaced thresholds via buckets.

    ``with_epsilon``: the ends are ``-eps``/``1 + eps`` (every prediction is above
    the first); otherwise they are exactly 0 and 1, and a prediction of 0 is above none.
    """
    y_pred = torch.clamp(y_pred, 0.0, 1.0)
    y_true = (y_true != 0).to(y_pred.dtype)
    if weights is None:
        weights = torch.ones_like(y_pred)
    if not multi_label:
        y_true, y_pred, weights = y_true.reshape(-1), y_pred.reshape(-1), weights.reshape(-1)
    else:
        y_true = y_true.reshape(y_true.shape[0], -1)
        y_pred = y_pred.reshape(y_pred.shape[0], -1)
        weights = weights.reshape(weights.shape[0], -1)
    true_w = y_true * weights
    false_w = (1.0 - y_true) * weights
    # A prediction in (t[i-1], t[i]] lands in bucket i-1 and is "above" thresholds 0..i-1.
    buckets = torch.ceil(y_pred * (num_thresholds - 1)) - 1
    in_range = None if with_epsilon else buckets >= 0
    buckets = torch.clamp(buckets, min=0).long()
    shape = (num_thresholds,) + tuple(y_pred.shape[1:])
    tp_b = torch.zeros(shape, dtype=y_pred.dtype, device=y_pred.device)
    fp_b = torch.zeros_like(tp_b)
    if in_range is None:
        tp_b.scatter_add_(0, buckets, true_w)
        fp_b.scatter_add_(0, buckets, false_w)
    else:
        tp_b.scatter_add_(0, buckets, torch.where(in_range, true_w, 0.0))
        fp_b.scatter_add_(0, buckets, torch.where(in_range, false_w, 0.0))
    tp = tp_b.flip(0).cumsum(0).flip(0)
    fp = fp_b.flip(0).cumsum(0).flip(0)
    return {"tp": tp, "fp": fp, "tn": false_w.sum(0) - fp, "fn": true_w.sum(0) - tp}


class _PrecisionRecallBase(Metric):
    _second: str  # "fp" for precision, "fn" for recall
    _second_name: str

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _as_list(thresholds, default)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), name="true_positives")
        setattr(self, self._second_name, self.add_variable(shape=(n,), name=self._second_name))
        self._thr_tensor = torch.tensor(self.thresholds, dtype=self.torch_dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's counts at each threshold."""
        y_true, y_pred, weights = _prepare(
            self, y_true, y_pred, sample_weight, self.top_k, self.class_id
        )
        if self._thr_tensor.device != y_pred.device:
            self._thr_tensor = self._thr_tensor.to(y_pred.device)
        counts = _threshold_counts(y_true, y_pred, weights, self._thr_tensor)
        self.true_positives.add_(counts["tp"])
        getattr(self, self._second_name).add_(counts[self._second])

    def result(self) -> torch.Tensor:
        """Returns the value at each threshold (a 0-d tensor for a single threshold)."""
        tp = self.true_positives
        res = _divide_no_nan(tp + 0, tp + getattr(self, self._second_name))
        return res[0] if len(self.thresholds) == 1 else res

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id}
        )
        return config


class Precision(_PrecisionRecallBase):
    """Fraction of predicted positives that are positive: ``tp / (tp + fp)``.

    Args:
        thresholds: A float or list of floats in ``[0, 1]``; a prediction above a
            threshold counts as positive. Defaults to 0.5 (or, with ``top_k``, any
            prediction in the top k).
        top_k: Only the ``k`` highest predictions of each sample can be positive.
        class_id: Only this class (last-axis index) is scored.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    _second, _second_name = "fp", "false_positives"


class Recall(_PrecisionRecallBase):
    """Fraction of positives that are predicted positive: ``tp / (tp + fn)``.

    Args:
        thresholds: A float or list of floats in ``[0, 1]`` (default 0.5).
        top_k: Only the ``k`` highest predictions of each sample can be positive.
        class_id: Only this class (last-axis index) is scored.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    _second, _second_name = "fn", "false_negatives"


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from thresholded counts.

    Args:
        num_thresholds: Number of evenly spaced thresholds (> 1) when ``thresholds``
            is not given.
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (trapezoids; Davis-Goadrich
            interpolation for PR), ``"majoring"`` or ``"minoring"``.
        name: Name of the metric.
        dtype: Dtype of the state.
        thresholds: Explicit thresholds in ``[0, 1]``; ``-eps`` and ``1 + eps`` are added.
        multi_label: Score each label separately and average the AUCs.
        num_labels: Number of labels (multi-label only); otherwise taken from the
            first batch.
        label_weights: Weights of the labels in the average (or of the
            per-element counts when not multi-label).
        from_logits: Whether predictions are logits (a sigmoid is applied).
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: list[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        curve_key = str(getattr(curve, "value", curve)).lower()
        if curve_key not in _CURVES:
            raise ValueError(
                f"Argument `curve` must be one of 'ROC', 'PR', 'PRGAIN'. Received: curve={curve!r}"
            )
        summation = str(getattr(summation_method, "value", summation_method)).lower()
        if summation not in _SUMMATIONS:
            raise ValueError(
                "Argument `summation_method` must be one of 'interpolation', 'majoring', "
                f"'minoring'. Received: summation_method={summation_method!r}"
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_as_list(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            grid = np.array([0.0, *inner, 1.0])
            even = np.arange(len(grid), dtype=np.float32) / (len(grid) - 1)
            self._evenly = bool(np.allclose(grid, even, atol=EPSILON))
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON, *inner, 1.0 + EPSILON])
        self.curve = _CURVES[curve_key]
        self.summation_method = summation
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        if isinstance(label_weights, dict):  # Keras's serialized-tensor record
            label_weights = label_weights.get("config", {}).get("value")
        self.label_weights = (
            None if label_weights is None else torch.as_tensor(label_weights, dtype=torch.float32)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build(num_labels)
        else:
            if num_labels:
                raise ValueError(
                    "Argument `num_labels` is used only with `multi_label=True`. "
                    f"Received: num_labels={num_labels}"
                )
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """All thresholds, including the ``-eps`` and ``1 + eps`` ends."""
        return list(self._thresholds)

    def _build(self, num_labels: int | None) -> None:
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        self.true_positives = self.add_variable(shape=shape, name="true_positives")
        self.false_positives = self.add_variable(shape=shape, name="false_positives")
        self.true_negatives = self.add_variable(shape=shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape=shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's counts at every threshold."""
        y_pred = to_tensor(y_pred, dtype=self.torch_dtype)
        if not self._built:
            if y_pred.dim() != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. "
                    f"Received: y_pred.shape={tuple(y_pred.shape)}"
                )
            self._build(y_pred.shape[1])
            self.to(y_pred.device)
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        y_true, y_pred, weights = _prepare(self, y_true, y_pred, sample_weight, None, None)
        if self.label_weights is not None and not self.multi_label:
            lw = torch.broadcast_to(self._on_device("label_weights", y_pred), y_pred.shape)
            weights = lw if weights is None else weights * lw
        if self._evenly:
            counts = _bucket_counts(y_true, y_pred, weights, self.num_thresholds, self.multi_label)
        else:
            thr = self._on_device("thresholds", y_pred)
            counts = _threshold_counts(y_true, y_pred, weights, thr, self.multi_label)
        self.true_positives.add_(counts["tp"])
        self.false_positives.add_(counts["fp"])
        self.true_negatives.add_(counts["tn"])
        self.false_negatives.add_(counts["fn"])

    def _on_device(self, what: str, like: torch.Tensor) -> torch.Tensor:
        # Host constants are copied to the device once, then reused (no per-step copy).
        cache = self.__dict__.setdefault("_device_constants", {})
        key = (what, like.device, like.dtype)
        if key not in cache:
            source = self.label_weights if what == "label_weights" else self._thresholds
            cache[key] = torch.as_tensor(source).to(device=like.device, dtype=like.dtype)
        return cache[key]

    def _average(self, by_threshold: torch.Tensor) -> torch.Tensor:
        if not self.multi_label:
            return by_threshold.sum()
        by_label = by_threshold.sum(dim=0)
        if self.label_weights is None:
            return by_label.mean()
        lw = self._on_device("label_weights", by_label)
        return _divide_no_nan((by_label * lw).sum(), lw.sum())

    def _interpolate_pr_auc(self) -> torch.Tensor:
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - slope * p[1:]
        both_pos = (p[:-1] > 0) & (p[1:] > 0)
        ratio = torch.where(
            both_pos, _divide_no_nan(p[:-1], torch.clamp(p[1:], min=0)), torch.ones_like(p[1:])
        )
        increment = _divide_no_nan(
            slope * (dtp + intercept * torch.log(ratio)), torch.clamp(tp[1:] + fn[1:], min=0)
        )
        return self._average(increment)

    def result(self) -> torch.Tensor:
        """Returns the area under the chosen curve."""
        if not self._built:
            return torch.zeros((), dtype=self.torch_dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp + 0, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp + 0, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp + 0, tp + fp)
        else:
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * _divide_no_nan(fn + 0, tp + 0)
            precision_gain = 1.0 - scale * _divide_no_nan(fp + 0, tp + 0)
            x = torch.clamp(torch.where(tp == 0, 0.0, recall_gain), min=0.0)
            y = torch.where(tp == 0, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "num_thresholds": self.num_thresholds,
                "curve": self.curve,
                "summation_method": self.summation_method,
                "multi_label": self.multi_label,
                "num_labels": self.num_labels,
                "label_weights": None
                if self.label_weights is None
                else self.label_weights.tolist(),
                "from_logits": self._from_logits,
            }
        )
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        return config
