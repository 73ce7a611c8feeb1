"""Identifiers, configs, errors and gradients of ketorch losses."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ketorch import losses  # noqa: E402

ALL_CLASSES = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
]


@pytest.mark.parametrize("name", ALL_CLASSES)
def test_default_names_and_config_keys_match_keras(name):
    ours = getattr(losses, name)()
    theirs = getattr(keras.losses, name)()
    assert ours.name == theirs.name
    # Keras leaves some options out of its config (Huber's delta, axis); we keep them.
    assert set(theirs.get_config()) <= set(ours.get_config())
    for key, value in theirs.get_config().items():
        assert ours.get_config()[key] == value


@pytest.mark.parametrize("name", ALL_CLASSES)
def test_config_round_trip(name):
    obj = getattr(losses, name)(reduction="sum", name="custom")
    clone = type(obj).from_config(obj.get_config())
    assert clone.get_config() == obj.get_config()
    again = losses.deserialize(losses.serialize(obj))
    assert type(again) is type(obj) and again.get_config() == obj.get_config()


def test_options_survive_round_trip():
    obj = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2, axis=-1)
    clone = losses.deserialize(losses.serialize(obj))
    assert clone.get_config()["from_logits"] is True
    assert clone.get_config()["label_smoothing"] == 0.2
    assert losses.Huber.from_config(losses.Huber(delta=3.0).get_config())._fn_kwargs == {
        "delta": 3.0
    }
    scce = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    assert losses.deserialize(losses.serialize(scce)).get_config()["ignore_class"] == 0


def test_serialize_matches_keras_format():
    assert losses.serialize(losses.Huber()) == {
        "module": "keras.losses",
        "class_name": "Huber",
        "config": {"name": "huber_loss", "reduction": "sum_over_batch_size", "delta": 1.0},
        "registered_name": None,
    }
    assert losses.serialize(losses.mean_squared_error) == keras.losses.serialize(
        keras.losses.mean_squared_error
    )
    # Keras-written configs load here.
    k_conf = keras.losses.serialize(keras.losses.CategoricalCrossentropy(from_logits=True))
    assert losses.deserialize(k_conf).get_config()["from_logits"] is True
    assert losses.deserialize(keras.losses.serialize(keras.losses.poisson)) is losses.poisson


def test_wrapper_config_round_trip():
    obj = losses.LossFunctionWrapper(losses.huber, name="h", delta=2.0)
    config = obj.get_config()
    assert config["fn"]["config"] == "huber" and config["delta"] == 2.0
    clone = losses.LossFunctionWrapper.from_config(config)
    assert clone.fn is losses.huber and clone._fn_kwargs == {"delta": 2.0}
    assert clone.name == "h"


@pytest.mark.parametrize(
    "identifier,expected",
    [
        ("mse", "mean_squared_error"),
        ("MSE", "mean_squared_error"),
        ("mae", "mean_absolute_error"),
        ("MAE", "mean_absolute_error"),
        ("mape", "mean_absolute_percentage_error"),
        ("msle", "mean_squared_logarithmic_error"),
        ("kld", "kl_divergence"),
        ("KLD", "kl_divergence"),
        ("bce", "binary_crossentropy"),
        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
        ("huber", "huber"),
    ],
)
def test_get_strings_give_functions(identifier, expected):
    fn = losses.get(identifier)
    assert fn is getattr(losses, expected)
    assert keras.losses.get(identifier).__name__ == expected


def test_get_class_names_objects_and_dicts():
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    obj = losses.Huber()
    assert losses.get(obj) is obj
    assert losses.get(losses.hinge) is losses.hinge
    assert losses.get(None) is None
    got = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert got.get_config()["from_logits"] is True


def test_get_unknown_string_lists_names():
    with pytest.raises(ValueError, match=r"mean_squared_error.*Received: loss='foo'$"):
        losses.get("foo")
    with pytest.raises(ValueError, match=r"Received: loss=5$"):
        losses.get(5)


def test_resolve_always_gives_loss_named_after_string():
    loss = losses.resolve("mse")
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "mse"
    assert loss.fn is losses.mean_squared_error
    assert losses.resolve(losses.poisson).name == "poisson"
    obj = losses.Huber()
    assert losses.resolve(obj) is obj
    assert isinstance(losses.resolve("Huber"), losses.Huber)


@pytest.mark.parametrize(
    "yt,yp,expected",
    [
        ((8, 1), (8, 1), "binary_crossentropy"),
        ((8,), (8, 5), "sparse_categorical_crossentropy"),
        ((8, 1), (8, 5), "sparse_categorical_crossentropy"),
        ((8, 5), (8, 5), "categorical_crossentropy"),
    ],
)
def test_resolve_crossentropy_by_shape(yt, yp, expected):
    for key in ("crossentropy", "ce"):
        loss = losses.resolve(key, y_true_shape=yt, y_pred_shape=yp)
        assert loss.fn is getattr(losses, expected) and loss.name == key
    with pytest.raises(ValueError, match="y_true_shape"):
        losses.resolve("ce")


def test_invalid_reduction():
    with pytest.raises(ValueError, match=r"`reduction`.*Received: reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_label_out_of_range_message(from_logits):
    y_pred = torch.rand(4, 10)
    y_true = torch.tensor([0, 3, 12, 1])
    msg = (
        r"sparse_categorical_crossentropy: labels must be in \[0, 10\) for an output with 10 "
        r"classes; Received labels in \[0, 12\]"
    )
    with pytest.raises(ValueError, match=msg):
        losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits)
    with pytest.raises(ValueError, match=r"Received labels in \[-1, 3\]"):
        losses.SparseCategoricalCrossentropy()(torch.tensor([-1.0, 3.0]), torch.rand(2, 10))


def test_shape_errors():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy.*y_true.shape"):
        losses.sparse_categorical_crossentropy(torch.zeros(3), torch.rand(4, 5))
    with pytest.raises(ValueError, match="categorical_crossentropy.*same shape"):
        losses.categorical_crossentropy(torch.zeros(4), torch.rand(4, 5))
    with pytest.raises(ValueError, match=r"`axis`.*Received: axis=True"):
        losses.binary_crossentropy(torch.zeros(4, 1), torch.rand(4, 1), axis=True)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (losses.MeanSquaredError(), torch.randn(4, 3), torch.randn(4, 3)),
        lambda: (losses.BinaryCrossentropy(), torch.randint(0, 2, (4, 1)).float(), None),
        lambda: (losses.BinaryCrossentropy(from_logits=True), torch.ones(4, 1), torch.randn(4, 1)),
        lambda: (losses.CategoricalCrossentropy(), torch.eye(3)[[0, 2, 1, 1]], None),
        lambda: (
            losses.SparseCategoricalCrossentropy(from_logits=True),
            torch.tensor([0, 2, 1, 1]),
            torch.randn(4, 3),
        ),
        lambda: (losses.SparseCategoricalCrossentropy(), torch.tensor([0, 2, 1, 1]), None),
        lambda: (losses.Huber(), torch.randn(4, 3), torch.randn(4, 3) * 3),
        lambda: (losses.Hinge(), torch.ones(4, 3), torch.randn(4, 3)),
    ],
)
def test_gradients_flow(make):
    loss, y_true, y_pred = make()
    if y_pred is None:
        y_pred = torch.softmax(torch.randn(4, y_true.shape[-1] if y_true.dim() > 1 else 3), -1)
        if isinstance(loss, losses.BinaryCrossentropy):
            y_pred = torch.rand(4, 1) * 0.8 + 0.1
    y_pred = y_pred.clone().requires_grad_(True)
    value = loss(y_true, y_pred, sample_weight=torch.rand(4))
    value.backward()
    assert y_pred.grad is not None and torch.isfinite(y_pred.grad).all()
    assert y_pred.grad.abs().sum() > 0


def test_custom_loss_subclass():
    class Absolute(losses.Loss):
        def call(self, y_true, y_pred):
            return (y_true - y_pred).abs().mean(dim=-1)

    loss = Absolute(reduction="sum")
    assert loss.name == "absolute"
    assert float(loss(torch.zeros(3, 2), torch.ones(3, 2))) == 3.0
    conf = losses.serialize(loss)
    assert conf["class_name"] == "Absolute"
    back = losses.deserialize(conf, custom_objects={"Absolute": Absolute})
    assert back.reduction == "sum"


def test_float64_predictions_are_computed_in_float32():
    value = losses.MeanSquaredError()(np.zeros((2, 2)), np.ones((2, 2)))
    assert value.dtype == torch.float32 and float(value) == 1.0
