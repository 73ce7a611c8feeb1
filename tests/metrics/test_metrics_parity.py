"""Parity of ketorch metrics with real Keras 3 over several batches."""

import os
import re

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ketorch import metrics  # noqa: E402

ATOL = 1e-6
RTOL = 1e-5
rng = np.random.default_rng(1)


def probs(n, c):
    x = rng.random((n, c)).astype("float32") + 0.05
    return x / x.sum(-1, keepdims=True)


def make_batch(kind, n=12):
    if kind == "regression":
        return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 3)).astype("float32")
    if kind == "positive":
        return rng.random((n, 3)).astype("float32") * 2, rng.random((n, 3)).astype("float32") * 2
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype("float32"), rng.random((n, 1)).astype("float32")
    if kind == "binary_flat":
        return rng.integers(0, 2, n).astype("float32"), rng.random((n, 1)).astype("float32")
    if kind == "binary_logits":
        return rng.integers(0, 2, (n, 1)).astype("float32"), rng.normal(size=(n, 1)).astype(
            "float32"
        )
    if kind == "multilabel":
        return rng.integers(0, 2, (n, 4)).astype("float32"), rng.random((n, 4)).astype("float32")
    if kind == "categorical":
        return np.eye(6, dtype="float32")[rng.integers(0, 6, n)], probs(n, 6)
    if kind == "categorical_logits":
        return np.eye(6, dtype="float32")[rng.integers(0, 6, n)], rng.normal(size=(n, 6)).astype(
            "float32"
        )
    if kind == "sparse_int":
        return rng.integers(0, 6, n), probs(n, 6)
    if kind == "sparse_float_col":
        return rng.integers(0, 6, (n, 1)).astype("float32"), probs(n, 6)
    if kind == "sparse_logits":
        return rng.integers(0, 6, n), rng.normal(size=(n, 6)).astype("float32")
    if kind == "exact":
        y = rng.integers(0, 3, (n, 1)).astype("float32")
        return y, np.where(rng.random((n, 1)) < 0.6, y, 1.0 - y).astype("float32")
    if kind == "signed":
        return rng.choice([-1.0, 1.0], (n, 3)).astype("float32"), rng.normal(size=(n, 3)).astype(
            "float32"
        )
    if kind == "distribution":
        return probs(n, 5), probs(n, 5)
    raise ValueError(kind)


CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary_flat"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse_int"),
    ("SparseCategoricalAccuracy", {}, "sparse_float_col"),
    ("TopKCategoricalAccuracy", {}, "categorical"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse_int"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_float_col"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "signed"),
    ("CategoricalHinge", {}, "categorical_logits"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "categorical_logits",
    ),
    ("SparseCategoricalCrossentropy", {}, "sparse_int"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse_float_col"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.2, 0.5, 0.7]}, "multilabel"),
    ("Precision", {"top_k": 2}, "multilabel"),
    ("Precision", {"class_id": 2}, "categorical"),
    ("Recall", {}, "binary"),
    ("Recall", {"thresholds": [0.0, 0.5, 1.0]}, "binary_flat"),
    ("Recall", {"top_k": 1, "class_id": 1}, "multilabel"),
    ("AUC", {}, "binary"),
    ("AUC", {"num_thresholds": 7}, "multilabel"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "binary"),
    ("AUC", {"summation_method": "minoring"}, "binary_flat"),
    ("AUC", {"curve": "PRGAIN"}, "binary"),
    ("AUC", {"thresholds": [0.1, 0.3, 0.35, 0.8]}, "binary"),
    ("AUC", {"from_logits": True}, "binary_logits"),
    ("AUC", {"multi_label": True}, "multilabel"),
    ("AUC", {"multi_label": True, "num_labels": 4, "label_weights": [1, 2, 0, 1]}, "multilabel"),
    ("AUC", {"multi_label": True, "curve": "PR"}, "multilabel"),
    ("AUC", {"label_weights": [1.0, 0.5, 2.0, 1.0]}, "multilabel"),
]


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _weights(kind, n):
    return rng.random(n).astype("float32")


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls_name,kwargs,kind", CASES)
def test_metric_parity(cls_name, kwargs, kind, weighted):
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    t_metric = getattr(metrics, cls_name)(**kwargs)
    # Keras numbers repeated auto-names (auc, auc_1, ...); we keep the base name.
    assert t_metric.name == re.sub(r"_\d+$", "", k_metric.name)
    batches = [make_batch(kind) for _ in range(3)]
    weights = [_weights(kind, len(b[0])) if weighted else None for b in batches]
    for (y_true, y_pred), sw in zip(batches, weights):
        k_metric.update_state(y_true, y_pred, sample_weight=sw)
        t_metric.update_state(
            torch.tensor(y_true),
            torch.tensor(y_pred),
            sample_weight=None if sw is None else torch.tensor(sw),
        )
    expected = _np(k_metric.result())
    got = t_metric.result()
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, atol=ATOL, rtol=RTOL)
    assert len(t_metric.variables) == len(k_metric.variables)
    for ours, theirs in zip(t_metric.variables, k_metric.variables):
        np.testing.assert_allclose(ours.numpy(), _np(theirs), atol=1e-4, rtol=RTOL)

    # Reset, then one batch again: same as a fresh Keras metric on that batch.
    t_metric.reset_state()
    assert all(float(v.abs().sum()) == 0 for v in t_metric.variables)
    k_metric.reset_state()
    (y_true, y_pred), sw = batches[0], weights[0]
    k_value = _np(k_metric(y_true, y_pred, sample_weight=sw))
    t_value = t_metric(
        torch.tensor(y_true), torch.tensor(y_pred), None if sw is None else torch.tensor(sw)
    )
    np.testing.assert_allclose(t_value.numpy(), k_value, atol=ATOL, rtol=RTOL)


def test_mean_and_sum_weighting_rules():
    values = rng.normal(size=(4, 3)).astype("float32")
    for sw in [None, rng.random(4).astype("float32"), rng.random((4, 3)).astype("float32")]:
        for name in ["Mean", "Sum"]:
            k_metric = getattr(keras.metrics, name)()
            t_metric = getattr(metrics, name)()
            for _ in range(2):
                k_metric.update_state(values, sample_weight=sw)
                t_metric.update_state(
                    torch.tensor(values), sample_weight=None if sw is None else torch.tensor(sw)
                )
            np.testing.assert_allclose(
                t_metric.result().numpy(), _np(k_metric.result()), atol=ATOL, rtol=RTOL
            )


def test_sequence_outputs_with_per_timestep_weights():
    y_true = rng.integers(0, 4, (3, 5))
    y_pred = rng.random((3, 5, 4)).astype("float32")
    sw = rng.random((3, 5)).astype("float32")
    for name in ["SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"]:
        k_metric = getattr(keras.metrics, name)()
        t_metric = getattr(metrics, name)()
        k_metric.update_state(y_true, y_pred, sample_weight=sw)
        t_metric.update_state(torch.tensor(y_true), torch.tensor(y_pred), torch.tensor(sw))
        np.testing.assert_allclose(
            t_metric.result().numpy(), _np(k_metric.result()), atol=ATOL, rtol=RTOL
        )


def test_mean_metric_wrapper_with_function_parity():
    y_true, y_pred = make_batch("regression")
    k_metric = keras.metrics.MeanMetricWrapper(keras.losses.huber, name="h", delta=0.5)
    t_metric = metrics.MeanMetricWrapper(metrics.get("MeanSquaredError")._fn, name="m")
    t_huber = metrics.MeanMetricWrapper(
        __import__("ketorch.losses", fromlist=["huber"]).huber, name="h", delta=0.5
    )
    k_metric.update_state(y_true, y_pred)
    t_huber.update_state(torch.tensor(y_true), torch.tensor(y_pred))
    t_metric.update_state(torch.tensor(y_true), torch.tensor(y_pred))
    np.testing.assert_allclose(t_huber.result().numpy(), _np(k_metric.result()), atol=ATOL)
    assert t_metric.name == "m"
