"""Identifiers, resolution, configs and state handling of ketorch metrics."""

import copy
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ketorch import losses, metrics  # noqa: E402


@pytest.mark.parametrize(
    "yt,yp,expected",
    [
        ((32, 1), (32, 1), "BinaryAccuracy"),
        ((32,), (32, 1), "BinaryAccuracy"),
        ((32,), (32, 10), "SparseCategoricalAccuracy"),
        ((32, 1), (32, 10), "SparseCategoricalAccuracy"),
        ((4, 7), (4, 7, 3), "SparseCategoricalAccuracy"),
        ((32, 10), (32, 10), "CategoricalAccuracy"),
        ((4, 7, 3), (4, 7, 3), "CategoricalAccuracy"),
    ],
)
def test_resolve_accuracy_by_shape(yt, yp, expected):
    for key in ("accuracy", "acc", "Accuracy", "ACC"):
        metric = metrics.resolve_metric(key, yt, yp)
        assert type(metric).__name__ == expected
        assert metric.name == key


@pytest.mark.parametrize(
    "yt,yp,expected",
    [
        ((32, 1), (32, 1), "BinaryCrossentropy"),
        ((32,), (32, 10), "SparseCategoricalCrossentropy"),
        ((32, 10), (32, 10), "CategoricalCrossentropy"),
    ],
)
def test_resolve_crossentropy_by_shape(yt, yp, expected):
    for key in ("crossentropy", "ce"):
        metric = metrics.resolve_metric(key, yt, yp)
        assert type(metric).__name__ == expected and metric.name == key


def test_resolve_matches_keras_compile_utils():
    from keras.src.trainers.compile_utils import get_metric

    cases = [((8, 1), (8, 1)), ((8,), (8, 3)), ((8, 1), (8, 3)), ((8, 3), (8, 3))]
    for yt, yp in cases:
        for key in ["accuracy", "acc", "mse", "mae", "auc", "Precision", "binary_accuracy"]:
            theirs = get_metric(key, np.zeros(yt), np.zeros(yp))
            ours = metrics.resolve_metric(key, yt, yp)
            assert type(ours).__name__ == type(theirs).__name__
            assert ours.name == theirs.name == key


def test_resolve_other_identifiers():
    m = metrics.resolve_metric("mse", (4, 1), (4, 1))
    assert isinstance(m, metrics.MeanSquaredError) and m.name == "mse"
    obj = metrics.Recall()
    assert metrics.resolve_metric(obj, (4, 1), (4, 1)) is obj and obj.name == "recall"

    def my_metric(y_true, y_pred):
        return (y_true - y_pred).abs().mean(dim=-1)

    m = metrics.resolve_metric(my_metric, (4, 1), (4, 1))
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "my_metric"
    assert float(m(torch.zeros(4, 1), torch.ones(4, 1))) == 1.0
    m = metrics.resolve_metric(losses.mean_absolute_error, (4, 1), (4, 1))
    assert m.name == "mean_absolute_error"
    assert metrics.resolve_metric("acc", (4, 1), (4, 1), name="train_acc").name == "train_acc"
    with pytest.raises(ValueError, match="Received: metric=None"):
        metrics.resolve_metric(None, (4, 1), (4, 1))


@pytest.mark.parametrize(
    "identifier,cls",
    [
        ("mse", "MeanSquaredError"),
        ("MSE", "MeanSquaredError"),
        ("mae", "MeanAbsoluteError"),
        ("mape", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("bce", "BinaryCrossentropy"),
        ("auc", "AUC"),
        ("AUC", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"),
        ("root_mean_squared_error", "RootMeanSquaredError"),
        ("accuracy", "Accuracy"),
        ("binary_crossentropy", "BinaryCrossentropy"),
    ],
)
def test_get_names_like_keras(identifier, cls):
    assert type(metrics.get(identifier)).__name__ == cls
    assert type(keras.metrics.get(identifier)).__name__ == cls


def test_get_unknown_and_passthrough():
    with pytest.raises(ValueError, match=r"binary_accuracy.*Received: metric='f1'$"):
        metrics.get("f1")
    obj = metrics.AUC()
    assert metrics.get(obj) is obj
    assert metrics.get(None) is None
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy


CONFIG_CASES = [
    ("Mean", {}),
    ("Sum", {}),
    ("Accuracy", {}),
    ("BinaryAccuracy", {"threshold": 0.7}),
    ("CategoricalAccuracy", {}),
    ("SparseCategoricalAccuracy", {}),
    ("TopKCategoricalAccuracy", {"k": 3}),
    ("SparseTopKCategoricalAccuracy", {"k": 2}),
    ("MeanSquaredError", {}),
    ("MeanAbsoluteError", {}),
    ("MeanAbsolutePercentageError", {}),
    ("MeanSquaredLogarithmicError", {}),
    ("RootMeanSquaredError", {}),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("CategoricalCrossentropy", {"from_logits": True}),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}),
    ("Precision", {"thresholds": [0.3, 0.6], "class_id": 1}),
    ("Recall", {"top_k": 2}),
    ("AUC", {"curve": "PR", "num_thresholds": 50}),
    ("AUC", {"thresholds": [0.2, 0.4], "multi_label": True, "label_weights": [1.0, 2.0]}),
]


@pytest.mark.parametrize("cls_name,kwargs", CONFIG_CASES)
def test_config_matches_keras_and_round_trips(cls_name, kwargs):
    ours = getattr(metrics, cls_name)(**kwargs)
    theirs = getattr(keras.metrics, cls_name)(**kwargs)
    ours_conf, theirs_conf = ours.get_config(), theirs.get_config()
    theirs_conf["name"] = ours_conf["name"]  # Keras numbers repeated names
    if theirs_conf.get("label_weights") is not None:
        theirs_conf["label_weights"] = _np(theirs_conf["label_weights"]).tolist()
    assert ours_conf == theirs_conf
    clone = type(ours).from_config(ours_conf)
    assert clone.get_config() == ours_conf
    again = metrics.deserialize(metrics.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours_conf
    # A Keras-written config loads here.
    assert metrics.deserialize(keras.metrics.serialize(theirs)).get_config() == theirs_conf | {
        "name": theirs.get_config()["name"]
    }


def _np(x):
    return keras.ops.convert_to_numpy(x)


def test_mean_metric_wrapper_config_round_trip():
    m = metrics.MeanMetricWrapper(losses.huber, name="h", delta=2.0)
    conf = m.get_config()
    assert (
        conf
        == keras.metrics.MeanMetricWrapper(keras.losses.huber, name="h", delta=2.0).get_config()
    )
    clone = metrics.MeanMetricWrapper.from_config(conf)
    assert clone._fn is losses.huber and clone._fn_kwargs == {"delta": 2.0}
    m2 = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba")
    assert metrics.deserialize(metrics.serialize(m2))._fn is metrics.binary_accuracy


def test_state_is_device_tensors_without_grad():
    m = metrics.SparseCategoricalCrossentropy(from_logits=True)
    logits = torch.randn(5, 3, requires_grad=True)
    value = m(torch.tensor([0, 1, 2, 1, 0]), logits)
    assert not value.requires_grad
    assert all(not v.requires_grad for v in m.variables)
    assert [v.name for v in m.variables] == ["total", "count"]
    assert m.device == torch.device("cpu")
    result = m.result()
    m.update_state(torch.tensor([0]), torch.randn(1, 3))
    assert not torch.equal(result, m.result())  # result() is a snapshot, not a view


def test_to_moves_state_and_keeps_objects():
    m = metrics.Mean()
    m.to("meta")  # meta storage cannot be swapped in place: attributes are rebound
    assert m.total.device.type == "meta" and m.device.type == "meta"
    assert m.variables[0] is m.total
    m = metrics.Mean()
    total = m.total
    m.to(torch.device("cpu"))
    assert m.total is total
    m.update_state(torch.tensor([1.0, 2.0]))
    assert float(m.result()) == 1.5


def test_custom_metric_subclass_keras_style():
    class TruePositives(metrics.Metric):
        def __init__(self, name="tp", **kwargs):
            super().__init__(name=name, **kwargs)
            self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = (y_true.bool() & (y_pred > 0.5)).float()
            if sample_weight is not None:
                hits = hits * sample_weight
            self.tp.assign_add(hits.sum())

        def result(self):
            return self.tp + 0

    m = TruePositives()
    y_pred = torch.tensor([0.9, 0.2, 0.8], requires_grad=True)
    m.update_state(torch.tensor([1.0, 1.0, 0.0]), y_pred)
    m.update_state(torch.tensor([1.0]), torch.tensor([0.7]), sample_weight=torch.tensor([0.5]))
    assert float(m.result()) == 1.5 and not m.tp.requires_grad
    m.reset_state()
    assert float(m.result()) == 0.0
    clone = copy.deepcopy(m)
    clone.tp.assign(3.0)
    assert float(m.result()) == 0.0 and float(clone.result()) == 3.0
    assert m.get_config() == {"name": "tp", "dtype": "float32"}


def test_numpy_inputs_and_unbuilt_auc():
    m = metrics.BinaryAccuracy()
    assert float(m(np.array([[1], [0]]), np.array([[0.9], [0.7]]))) == 0.5
    auc = metrics.AUC(multi_label=True)
    assert auc.variables == [] and float(auc.result()) == 0.0
    auc.update_state(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.8, 0.3], [0.1, 0.6]]))
    assert tuple(auc.true_positives.shape) == (200, 2)
    assert float(auc.result()) == 1.0


def test_argument_errors():
    with pytest.raises(ValueError, match=r"`thresholds`.*Received: thresholds=\[1.5\]"):
        metrics.Precision(thresholds=[0.2, 1.5])
    with pytest.raises(ValueError, match=r"Received: curve='XY'"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match=r"Received: num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
