"""Parity with real Keras 3 of the focal, overlap, CTC, circle and generalized CE losses."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch  # noqa: E402
from ketorch import losses  # noqa: E402

ATOL = 1e-6
RTOL = 1e-5
rng = np.random.default_rng(7)


def _np(x):
    return (
        x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else keras.ops.convert_to_numpy(x)
    )


def _probs(shape):
    x = rng.random(shape).astype("float32") + 0.05
    return x / x.sum(-1, keepdims=True)


def _unit(shape):
    x = rng.normal(size=shape).astype("float32")
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def data(kind, shape):
    """(y_true, y_pred) float32/int numpy arrays for one kind of loss."""
    if kind == "binary":
        return rng.integers(0, 2, shape).astype("float32"), rng.random(shape).astype("float32")
    if kind == "binary_logits":
        return rng.integers(0, 2, shape).astype("float32"), rng.normal(size=shape).astype("float32")
    if kind == "mask":  # soft masks in [0, 1]
        return rng.integers(0, 2, shape).astype("float32"), rng.random(shape).astype("float32")
    if kind == "categorical":
        c = shape[-1]
        return np.eye(c, dtype="float32")[rng.integers(0, c, shape[:-1])], _probs(shape)
    if kind == "categorical_logits":
        c = shape[-1]
        y_true = np.eye(c, dtype="float32")[rng.integers(0, c, shape[:-1])]
        return y_true, rng.normal(size=shape).astype("float32") * 2
    if kind == "sparse":  # integer labels against class probabilities
        return rng.integers(0, shape[-1], shape[0]), _probs((shape[0], shape[-1]))
    if kind == "embedding":  # integer labels against unit-norm embeddings
        return rng.integers(0, 3, shape[0]), _unit((shape[0], shape[-1]))
    if kind == "ctc":  # padded label sequences (0 = blank) against logits
        batch, steps, classes = shape
        labels = rng.integers(1, classes, (batch, 3))
        lengths = rng.integers(1, 4, batch)
        labels[np.arange(3)[None, :] >= lengths[:, None]] = 0
        return labels, rng.normal(size=shape).astype("float32")
    raise ValueError(kind)


# (function name, kwargs, data kind, shapes)
FN_CASES = [
    ("binary_focal_crossentropy", {}, "binary", [(8, 4), (3, 5, 6)]),
    ("binary_focal_crossentropy", {"gamma": 3.0, "label_smoothing": 0.1}, "binary", [(8, 4)]),
    (
        "binary_focal_crossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "from_logits": True},
        "binary_logits",
        [(8, 4), (3, 5, 6)],
    ),
    ("binary_focal_crossentropy", {"axis": 1}, "binary", [(3, 5, 6)]),
    ("categorical_focal_crossentropy", {}, "categorical", [(8, 4), (3, 5, 6)]),
    (
        "categorical_focal_crossentropy",
        {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 1.5, "label_smoothing": 0.2},
        "categorical",
        [(8, 4)],
    ),
    ("categorical_focal_crossentropy", {"from_logits": True}, "categorical_logits", [(8, 4)]),
    ("categorical_generalized_cross_entropy", {"q": 0.5}, "sparse", [(8, 4)]),
    ("categorical_generalized_cross_entropy", {"q": 0.2}, "sparse", [(10, 7)]),
    ("dice", {}, "mask", [(4, 6), (2, 4, 4, 1)]),
    ("dice", {"axis": (1, 2, 3)}, "mask", [(2, 4, 4, 1)]),
    ("dice", {"axis": 1}, "mask", [(4, 6)]),
    ("tversky", {}, "mask", [(4, 6)]),
    ("tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2)}, "mask", [(3, 4, 5)]),
    ("circle", {}, "embedding", [(8, 4)]),
    ("circle", {"gamma": 2.0, "margin": 0.25}, "embedding", [(10, 6)]),
    ("circle", {"remove_diagonal": False}, "embedding", [(8, 4)]),
    ("ctc", {}, "ctc", [(4, 7, 5)]),
]


@pytest.mark.parametrize(
    "fn_name,kwargs,kind,shape",
    [(f, k, d, s) for f, k, d, shapes in FN_CASES for s in shapes],
)
def test_function_parity(fn_name, kwargs, kind, shape):
    y_true, y_pred = data(kind, shape)
    # Keras's generalized CE needs backend tensors; the others take arrays.
    expected = getattr(keras.losses, fn_name)(
        keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred), **kwargs
    )
    got = getattr(losses, fn_name)(torch.tensor(y_true), torch.tensor(y_pred), **kwargs)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(_np(got), _np(expected), atol=ATOL, rtol=RTOL)


def test_circle_with_reference_embeddings():
    y_true, y_pred = data("embedding", (6, 4))
    ref_labels, ref_emb = data("embedding", (9, 4))
    expected = keras.losses.circle(
        y_true, y_pred, ref_labels=ref_labels, ref_embeddings=ref_emb, remove_diagonal=False
    )
    got = losses.circle(
        torch.tensor(y_true),
        torch.tensor(y_pred),
        ref_labels=torch.tensor(ref_labels),
        ref_embeddings=torch.tensor(ref_emb),
        remove_diagonal=False,
    )
    np.testing.assert_allclose(_np(got), _np(expected), atol=1e-5, rtol=RTOL)


# (class name, kwargs, data kind, shape)
CLASS_CASES = [
    ("BinaryFocalCrossentropy", {}, "binary", (6, 3, 4)),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "gamma": 4.0, "from_logits": True, "label_smoothing": 0.1},
        "binary_logits",
        (6, 3, 4),
    ),
    ("CategoricalFocalCrossentropy", {}, "categorical", (6, 3, 4)),
    (
        "CategoricalFocalCrossentropy",
        {"alpha": 0.5, "from_logits": True},
        "categorical_logits",
        (6, 3, 4),
    ),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}, "sparse", (6, 5)),
    ("Dice", {}, "mask", (6, 3, 4)),
    ("Dice", {"axis": (1, 2)}, "mask", (6, 3, 4)),
    ("Tversky", {"alpha": 0.2, "beta": 0.8, "axis": (2,)}, "mask", (6, 3, 4)),
    ("Circle", {}, "embedding", (6, 4)),
    ("Circle", {"gamma": 10.0, "margin": 0.3}, "embedding", (8, 5)),
    ("CTC", {}, "ctc", (6, 7, 5)),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]


def _weights_for(values_shape):
    """Sample weights for a loss whose per-sample values have ``values_shape``."""
    out = [None]
    if len(values_shape) == 1:
        out.append(rng.random(values_shape[0]).astype("float32"))
    if len(values_shape) > 1:  # one weight per sample (a column), or one per value
        out.append(rng.random((values_shape[0], 1)).astype("float32"))
        out.append(rng.random(values_shape).astype("float32"))
    return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls_name,kwargs,kind,shape", CLASS_CASES)
def test_class_parity(cls_name, kwargs, kind, shape, reduction):
    y_true, y_pred = data(kind, shape)
    k_obj = getattr(keras.losses, cls_name)(reduction=reduction, **kwargs)
    t_obj = getattr(losses, cls_name)(reduction=reduction, **kwargs)
    assert t_obj.name == k_obj.name
    values_shape = tuple(k_obj.call(keras.ops.convert_to_tensor(y_true),
                                    keras.ops.convert_to_tensor(y_pred)).shape)  # fmt: skip
    for sw in _weights_for(values_shape):
        expected = k_obj(y_true, y_pred, sample_weight=sw)
        got = t_obj(
            torch.tensor(y_true),
            torch.tensor(y_pred),
            sample_weight=None if sw is None else torch.tensor(sw),
        )
        assert got.dtype == torch.float32
        np.testing.assert_allclose(_np(got), _np(expected), atol=1e-5, rtol=RTOL)


@pytest.mark.parametrize("cls_name,kwargs,kind,shape", CLASS_CASES)
def test_config_matches_keras_and_round_trips(cls_name, kwargs, kind, shape):
    k_obj = getattr(keras.losses, cls_name)(name="my_loss", reduction="sum", **kwargs)
    t_obj = getattr(losses, cls_name)(name="my_loss", reduction="sum", **kwargs)
    config = t_obj.get_config()
    assert config == k_obj.get_config()
    rebuilt = losses.deserialize(losses.serialize(t_obj))
    assert type(rebuilt) is type(t_obj) and rebuilt.get_config() == config
    # A config written by Keras loads in ketorch, and the other way round.
    assert getattr(losses, cls_name).from_config(k_obj.get_config()).get_config() == config
    assert getattr(keras.losses, cls_name).from_config(config).get_config() == config
    y_true, y_pred = data(kind, shape)
    np.testing.assert_allclose(
        _np(rebuilt(torch.tensor(y_true), torch.tensor(y_pred))),
        _np(k_obj(y_true, y_pred)),
        atol=1e-5,
        rtol=RTOL,
    )


def test_defaults_and_argument_errors():
    for name in ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky",
                 "Circle", "CTC", "CategoricalGeneralizedCrossEntropy"]:  # fmt: skip
        assert getattr(losses, name)().get_config() == getattr(keras.losses, name)().get_config()
    with pytest.raises(ValueError, match="Received: q=1.5"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="y_true.shape=\\(3,\\)"):
        losses.ctc(torch.zeros(3), torch.zeros(3, 4, 5))
    with pytest.raises(ValueError, match="y_pred.shape=\\(3, 4\\)"):
        losses.ctc(torch.zeros(3, 2), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="Received: axis=True"):
        losses.categorical_focal_crossentropy(torch.ones(2, 3), torch.ones(2, 3), axis=True)
    with pytest.warns(SyntaxWarning):
        losses.categorical_focal_crossentropy(torch.ones(2, 1), torch.ones(2, 1))


def test_circle_masks_samples_without_loss():
    # One sample per label: no positives, so every loss is 0 and the mean stays 0, not NaN.
    y_pred = _unit((3, 4))
    y_true = np.array([0, 1, 2])
    got = losses.Circle()(torch.tensor(y_true), torch.tensor(y_pred))
    np.testing.assert_allclose(_np(got), _np(keras.losses.Circle()(y_true, y_pred)), atol=ATOL)
    assert float(got) == 0.0


NAMES = ["binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky",
         "circle", "ctc", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice",
         "Tversky", "Circle", "CTC"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_get_resolves_like_keras(name):
    ours, theirs = losses.get(name), keras.losses.get(name)
    if isinstance(theirs, keras.losses.Loss):
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.get_config() == theirs.get_config()
    else:
        assert callable(ours) and ours.__name__ == theirs.__name__


def _fit_both(build, loss, x, y, epochs=2):
    """One model per framework, same weights, SGD without shuffling; returns both."""
    k_model, t_model = build(keras), build(ketorch)
    t_model.set_weights(k_model.get_weights())
    for model in (k_model, t_model):
        model.compile(optimizer=model._framework.optimizers.SGD(0.05), loss=loss)
    k_hist = k_model.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)
    t_hist = t_model.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)
    return (k_model, k_hist), (t_model, t_hist)


def _dense_model(units, activation, in_dim=5):
    def build(fw):
        model = fw.Sequential([fw.Input((in_dim,)), fw.layers.Dense(units, activation=activation)])
        model._framework = fw
        return model

    return build


COMPILE_CASES = [
    ("binary_focal_crossentropy", _dense_model(3, "sigmoid"), "binary"),
    ("BinaryFocalCrossentropy", _dense_model(3, "sigmoid"), "binary"),
    ("categorical_focal_crossentropy", _dense_model(4, "softmax"), "categorical"),
    ("CategoricalFocalCrossentropy", _dense_model(4, "softmax"), "categorical"),
    ("dice", _dense_model(6, "sigmoid"), "mask"),
    ("Dice", _dense_model(6, "sigmoid"), "mask"),
    ("tversky", _dense_model(6, "sigmoid"), "mask"),
    ("Tversky", _dense_model(6, "sigmoid"), "mask"),
    ("circle", _dense_model(4, None), "embedding"),
    ("Circle", _dense_model(4, None), "embedding"),
]


@pytest.mark.parametrize("loss,build,kind", COMPILE_CASES)
def test_compile_by_string_trains_like_keras(loss, build, kind):
    n = 16
    x = rng.normal(size=(n, 5)).astype("float32")
    if kind == "embedding":
        y = rng.integers(0, 3, n)
    else:
        sample = build(keras)
        y, _ = data(kind, (n, sample.output_shape[-1]))
    (k_model, k_hist), (t_model, t_hist) = _fit_both(build, loss, x, y)
    np.testing.assert_allclose(t_hist.history["loss"], k_hist.history["loss"], rtol=1e-4)
    for ours, theirs in zip(t_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-4)


def test_compile_ctc_on_a_sequence_model_trains_like_keras():
    def build(fw):
        model = fw.Sequential([fw.Input((7, 3)), fw.layers.Dense(5)])
        model._framework = fw
        return model

    x = rng.normal(size=(8, 7, 3)).astype("float32")
    y, _ = data("ctc", (8, 7, 5))
    (k_model, k_hist), (t_model, t_hist) = _fit_both(build, "ctc", x, y)
    np.testing.assert_allclose(t_hist.history["loss"], k_hist.history["loss"], rtol=1e-4)
    for ours, theirs in zip(t_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-4)
