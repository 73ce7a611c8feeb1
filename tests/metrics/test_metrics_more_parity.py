"""Parity with real Keras 3 of the confusion-count, rate-at-rate, F-score, IoU, R², cosine
and correlation metrics, streaming over several batches with sample weights."""

import os
import re

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch  # noqa: E402
from ketorch import metrics  # noqa: E402

ATOL = 1e-6
RTOL = 1e-5
rng = np.random.default_rng(3)


def _np(x):
    return (
        x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else keras.ops.convert_to_numpy(x)
    )


def _probs(n, c):
    x = rng.random((n, c)).astype("float32") + 0.05
    return x / x.sum(-1, keepdims=True)


def make_batch(kind, n=12):
    """(y_true, y_pred) of one batch of a kind of data."""
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype("float32"), rng.random((n, 1)).astype("float32")
    if kind == "binary_flat":
        return rng.integers(0, 2, n).astype("float32"), rng.random(n).astype("float32")
    if kind == "binary_grid":  # predictions on the threshold grid, including exactly 0 and 1
        return rng.integers(0, 2, (n, 1)).astype("float32"), (
            rng.integers(0, 5, (n, 1)) / 4
        ).astype("float32")
    if kind == "multilabel":
        return rng.integers(0, 2, (n, 4)).astype("float32"), rng.random((n, 4)).astype("float32")
    if kind == "categorical":
        return np.eye(6, dtype="float32")[rng.integers(0, 6, n)], _probs(n, 6)
    if kind == "regression":
        return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 3)).astype("float32")
    if kind == "regression_wide":
        y = rng.normal(size=(n, 5)).astype("float32")
        return y, (y + rng.normal(size=(n, 5)) * 0.7).astype("float32")
    if kind == "sparse_ids":  # class ids for IoU (with some out of range)
        return rng.integers(0, 4, n), rng.integers(-1, 5, n)
    if kind == "segmentation":  # id maps (n, 3, 3)
        return rng.integers(0, 3, (n, 3, 3)), rng.integers(0, 3, (n, 3, 3))
    if kind == "one_hot_scores":
        return np.eye(4, dtype="float32")[rng.integers(0, 4, n)], _probs(n, 4)
    raise ValueError(kind)


# (class name, positional args, kwargs, data kind, weights: None/"float"/"int")
CASES = [
    ("TruePositives", (), {}, "binary"),
    ("TruePositives", (), {"thresholds": [0.15, 0.5, 0.85]}, "multilabel"),
    ("FalsePositives", (), {}, "binary_flat"),
    ("FalsePositives", (), {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "multilabel"),
    ("TrueNegatives", (), {"thresholds": 0.3}, "binary"),
    ("TrueNegatives", (), {"thresholds": [0.0, 0.5, 1.0]}, "binary_grid"),
    ("FalseNegatives", (), {}, "multilabel"),
    ("FalseNegatives", (), {"thresholds": [0.2, 0.4]}, "binary"),
    ("SensitivityAtSpecificity", (0.5,), {}, "binary"),
    ("SensitivityAtSpecificity", (0.8,), {"num_thresholds": 7}, "binary_grid"),
    ("SensitivityAtSpecificity", (0.4,), {"num_thresholds": 1}, "multilabel"),
    ("SpecificityAtSensitivity", (0.6,), {}, "multilabel"),
    ("SpecificityAtSensitivity", (0.3,), {"class_id": 2, "num_thresholds": 50}, "categorical"),
    ("PrecisionAtRecall", (0.7,), {}, "binary"),
    ("PrecisionAtRecall", (0.4,), {"num_thresholds": 5}, "binary_grid"),
    ("PrecisionAtRecall", (0.5,), {"class_id": 1}, "multilabel"),
    ("RecallAtPrecision", (0.6,), {}, "binary_flat"),
    ("RecallAtPrecision", (0.8,), {"num_thresholds": 2}, "multilabel"),
    ("F1Score", (), {}, "categorical"),
    ("F1Score", (), {"threshold": 0.5}, "multilabel"),
    ("F1Score", (), {"average": "micro", "threshold": 0.4}, "multilabel"),
    ("F1Score", (), {"average": "macro"}, "categorical"),
    ("F1Score", (), {"average": "weighted", "threshold": 0.6}, "multilabel"),
    ("FBetaScore", (), {"beta": 2.0}, "categorical"),
    ("FBetaScore", (), {"beta": 0.5, "average": "micro"}, "categorical"),
    ("FBetaScore", (), {"beta": 1.5, "threshold": 0.3, "average": "weighted"}, "multilabel"),
    ("IoU", (4, [0, 2]), {}, "sparse_ids"),
    ("IoU", (4, [1, 3]), {"dtype": "float32"}, "sparse_ids"),
    ("IoU", (4, [0, 1, 2]), {"ignore_class": 0, "dtype": "float32"}, "sparse_ids"),
    ("IoU", (4, [0, 3]), {"sparse_y_true": False, "sparse_y_pred": False}, "one_hot_scores"),
    ("MeanIoU", (4,), {}, "sparse_ids"),
    ("MeanIoU", (3,), {"dtype": "float32"}, "segmentation"),
    ("MeanIoU", (3,), {"ignore_class": 1}, "segmentation"),
    ("BinaryIoU", (), {}, "binary"),
    ("BinaryIoU", (), {"target_class_ids": [1], "threshold": 0.3, "dtype": "float32"}, "binary"),
    ("OneHotIoU", (4, [1, 2]), {}, "one_hot_scores"),
    ("OneHotIoU", (4, [0, 1, 3]), {"dtype": "float32"}, "one_hot_scores"),
    ("OneHotMeanIoU", (4,), {}, "one_hot_scores"),
    ("OneHotMeanIoU", (4,), {"dtype": "float32", "ignore_class": 2}, "one_hot_scores"),
    ("R2Score", (), {}, "regression"),
    ("R2Score", (), {"class_aggregation": None}, "regression_wide"),
    ("R2Score", (), {"class_aggregation": "variance_weighted_average"}, "regression_wide"),
    ("R2Score", (), {"num_regressors": 2}, "regression"),
    ("R2Score", (), {"num_regressors": 500}, "regression"),  # too many: plain R²
    ("CosineSimilarity", (), {}, "regression"),
    ("CosineSimilarity", (), {"axis": 0}, "regression"),
    ("PearsonCorrelation", (), {}, "regression_wide"),
    ("PearsonCorrelation", (), {"axis": 0}, "regression_wide"),
    ("ConcordanceCorrelation", (), {}, "regression_wide"),
    ("ConcordanceCorrelation", (), {"axis": 0}, "regression_wide"),
]


def _weights(metric, y_true, kwargs):
    """One weight per sample (per value when the metric reduces over the batch axis)."""
    shape = y_true.shape if y_true.ndim == 3 else y_true.shape[:1]
    if kwargs.get("axis") == 0:
        shape = y_true.shape[1:]
    if "int" in str(metric.dtype):  # integer confusion matrices truncate float weights
        return rng.integers(0, 4, shape).astype("int32")
    return rng.random(shape).astype("float32")


def _t(x):
    return None if x is None else torch.tensor(x)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls_name,args,kwargs,kind", CASES)
def test_metric_parity(cls_name, args, kwargs, kind, weighted):
    k_metric = getattr(keras.metrics, cls_name)(*args, **kwargs)
    t_metric = getattr(metrics, cls_name)(*args, **kwargs)
    assert t_metric.name == re.sub(r"_\d+$", "", k_metric.name)
    assert t_metric.dtype == k_metric.dtype
    batches = [make_batch(kind) for _ in range(3)]
    weights = [_weights(t_metric, b[0], kwargs) if weighted else None for b in batches]
    for (y_true, y_pred), sw in zip(batches, weights):
        k_metric.update_state(y_true, y_pred, sample_weight=sw)
        t_metric.update_state(_t(y_true), _t(y_pred), sample_weight=_t(sw))
    expected = _np(k_metric.result())
    got = t_metric.result()
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == expected.shape
    np.testing.assert_allclose(_np(got), expected, atol=ATOL, rtol=RTOL)
    assert [v.name for v in t_metric.variables] == [v.name for v in k_metric.variables]
    for ours, theirs in zip(t_metric.variables, k_metric.variables):
        assert ours.dtype == getattr(torch, str(theirs.dtype))
        np.testing.assert_allclose(ours.numpy(), _np(theirs), atol=1e-4, rtol=RTOL)

    # Reset, then one batch again: the same as Keras after its reset.
    t_metric.reset_state()
    assert all(float(v.abs().sum()) == 0 for v in t_metric.variables)
    k_metric.reset_state()
    (y_true, y_pred), sw = batches[0], weights[0]
    k_value = _np(k_metric(y_true, y_pred, sample_weight=sw))
    t_value = t_metric(_t(y_true), _t(y_pred), sample_weight=_t(sw))
    np.testing.assert_allclose(_np(t_value), k_value, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("cls_name,args,kwargs,kind", CASES)
def test_config_matches_keras_and_round_trips(cls_name, args, kwargs, kind):
    k_metric = getattr(keras.metrics, cls_name)(*args, name="m", **kwargs)
    t_metric = getattr(metrics, cls_name)(*args, name="m", **kwargs)
    config = t_metric.get_config()
    k_config = k_metric.get_config()
    if cls_name == "CosineSimilarity":  # Keras leaves `axis` out of its config; we keep it
        assert config.pop("axis") == kwargs.get("axis", -1)
    assert config == k_config
    config = t_metric.get_config()
    rebuilt = metrics.deserialize(metrics.serialize(t_metric))
    assert type(rebuilt) is type(t_metric) and rebuilt.get_config() == config
    assert getattr(metrics, cls_name).from_config(k_config).name == "m"
    # The rebuilt metric computes the same numbers.
    y_true, y_pred = make_batch(kind)
    np.testing.assert_allclose(
        _np(rebuilt(_t(y_true), _t(y_pred))),
        _np(k_metric(y_true, y_pred)),
        atol=ATOL,
        rtol=RTOL,
    )


NO_ARG = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "F1Score",
          "FBetaScore", "BinaryIoU", "R2Score", "CosineSimilarity", "PearsonCorrelation",
          "ConcordanceCorrelation"]  # fmt: skip


@pytest.mark.parametrize("cls_name", NO_ARG)
def test_get_resolves_class_and_snake_case_names(cls_name):
    for key in (cls_name, re.sub(r"_\d+$", "", getattr(keras.metrics, cls_name)().name)):
        if key not in keras.metrics.deserialize.__globals__["ALL_OBJECTS_DICT"]:
            continue
        ours, theirs = metrics.get(key), keras.metrics.get(key)
        assert type(ours).__name__ == type(theirs).__name__


def test_snake_case_names_match_keras_table():
    table = keras.metrics.deserialize.__globals__["ALL_OBJECTS_DICT"]
    for key, cls in table.items():
        assert metrics.ALL_OBJECTS[key].__name__ == cls.__name__


FUNCTIONS = ["binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
             "categorical_focal_crossentropy", "categorical_hinge", "hinge", "huber",
             "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
             "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
             "sparse_categorical_crossentropy", "squared_hinge", "pearson_correlation",
             "concordance_correlation"]  # fmt: skip


@pytest.mark.parametrize("fn_name", FUNCTIONS)
def test_functional_metrics_match_keras(fn_name):
    if "sparse" in fn_name:
        y_true, y_pred = rng.integers(0, 6, 12), _probs(12, 6)
    elif "categorical" in fn_name or fn_name == "kl_divergence":
        y_true, y_pred = make_batch("categorical")
    elif "binary" in fn_name or "hinge" in fn_name:
        y_true, y_pred = make_batch("multilabel")
    else:
        y_true, y_pred = make_batch("regression_wide")
        if fn_name in ("poisson", "mean_squared_logarithmic_error"):
            y_true, y_pred = np.abs(y_true), np.abs(y_pred)
    expected = getattr(keras.metrics, fn_name)(y_true, keras.ops.convert_to_tensor(y_pred))
    got = getattr(metrics, fn_name)(torch.tensor(y_true), torch.tensor(y_pred))
    np.testing.assert_allclose(_np(got), _np(expected), atol=1e-5, rtol=RTOL)
    wrapped = metrics.MeanMetricWrapper(getattr(metrics, fn_name))
    rebuilt = metrics.MeanMetricWrapper.from_config(wrapped.get_config())
    assert rebuilt._fn is getattr(metrics, fn_name)


def test_argument_errors():
    with pytest.raises(ValueError, match="Received: average='median'"):
        metrics.F1Score(average="median")
    with pytest.raises(ValueError, match="Received: beta=2"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="Received: threshold=1.5"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="Received: specificity=1.2"):
        metrics.SensitivityAtSpecificity(1.2)
    with pytest.raises(ValueError, match="Received: num_thresholds=0"):
        metrics.PrecisionAtRecall(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match="Received: thresholds=\\[1.5\\]"):
        metrics.TruePositives(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="Target class id 4 is out of range"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 4])
    with pytest.raises(ValueError, match="Received: class_aggregation='max'"):
        metrics.R2Score(class_aggregation="max")
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score()(torch.zeros(4), torch.zeros(4))


def test_update_keeps_state_on_the_input_device_without_host_reads(monkeypatch):
    # Reading a tensor's value on the host (item/tolist/bool/int/float) is a sync on an
    # accelerator; the update path of every metric must not do it.
    def refuse(*args, **kwargs):
        raise AssertionError("host read in update_state")

    runs = []
    for cls_name, args, kwargs, kind in CASES:
        metric = getattr(metrics, cls_name)(*args, **kwargs)
        y_true, y_pred = make_batch(kind)
        inputs = (_t(y_true), _t(y_pred), _t(_weights(metric, y_true, kwargs)))
        metric.update_state(*inputs)  # lazily-built states are built here
        runs.append((metric, inputs))
    for name in ("item", "tolist", "numpy", "__bool__", "__int__", "__float__", "__index__"):
        monkeypatch.setattr(torch.Tensor, name, refuse)
    for metric, inputs in runs:
        metric.update_state(*inputs)


def test_metrics_in_compile_and_evaluate_match_keras():
    def build(fw):
        return fw.Sequential([fw.Input((5,)), fw.layers.Dense(3, activation="sigmoid")])

    x = rng.normal(size=(40, 5)).astype("float32")
    y = rng.integers(0, 2, (40, 3)).astype("float32")
    sw = rng.random(40).astype("float32")

    def metric_list(fw):
        return [
            "true_positives",
            "FalseNegatives",
            fw.metrics.F1Score(average="macro", threshold=0.5, name="f1"),
            fw.metrics.PrecisionAtRecall(0.5, name="p_at_r"),
            fw.metrics.R2Score(name="r2"),
            fw.metrics.PearsonCorrelation(name="pearson"),
            fw.metrics.BinaryIoU(dtype="float32", name="iou"),
        ]

    k_model, t_model = build(keras), build(ketorch)
    t_model.set_weights(k_model.get_weights())
    k_model.compile(loss="binary_focal_crossentropy", metrics=metric_list(keras))
    t_model.compile(loss="binary_focal_crossentropy", metrics=metric_list(ketorch))
    k_logs = k_model.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0, return_dict=True)
    t_logs = t_model.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0, return_dict=True)
    assert sorted(t_logs) == sorted(k_logs)
    for key, value in k_logs.items():
        np.testing.assert_allclose(t_logs[key], value, atol=1e-5, rtol=1e-5, err_msg=key)
