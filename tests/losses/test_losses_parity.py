"""Parity of ketorch losses with real Keras 3 (torch backend)."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ketorch import losses  # noqa: E402

ATOL = 1e-6
RTOL = 1e-5
rng = np.random.default_rng(0)


def _np(x):
    return keras.ops.convert_to_numpy(x) if not isinstance(x, torch.Tensor) else x.detach().numpy()


def probs(*shape):
    x = rng.random(shape).astype("float32") + 0.05
    return x / x.sum(-1, keepdims=True)


def onehot(n, c):
    return np.eye(c, dtype="float32")[rng.integers(0, c, n)]


def data(kind, shape):
    """(y_true, y_pred) for a kind of loss, as float32 numpy."""
    if kind == "regression":
        return rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32")
    if kind == "positive":
        return rng.random(shape).astype("float32") * 3, rng.random(shape).astype("float32") * 3
    if kind == "binary":
        return rng.integers(0, 2, shape).astype("float32"), rng.random(shape).astype("float32")
    if kind == "binary_logits":
        return rng.integers(0, 2, shape).astype("float32"), rng.normal(size=shape).astype("float32")
    if kind == "categorical":
        n, c = int(np.prod(shape[:-1])), shape[-1]
        return onehot(n, c).reshape(shape), probs(*shape)
    if kind == "categorical_logits":
        n, c = int(np.prod(shape[:-1])), shape[-1]
        return onehot(n, c).reshape(shape), rng.normal(size=shape).astype("float32") * 3
    if kind == "distribution":
        return probs(*shape), probs(*shape)
    if kind == "signed":
        return rng.choice([-1.0, 1.0], shape).astype("float32"), rng.normal(size=shape).astype(
            "float32"
        )
    raise ValueError(kind)


# (function name, kwargs, data kind)
CASES = [
    ("mean_squared_error", {}, "regression"),
    ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("cosine_similarity", {}, "regression"),
    ("cosine_similarity", {"axis": 1}, "regression"),
    ("huber", {}, "regression"),
    ("huber", {"delta": 0.3}, "regression"),
    ("log_cosh", {}, "regression"),
    ("hinge", {}, "signed"),
    ("hinge", {}, "binary_logits"),
    ("squared_hinge", {}, "signed"),
    ("squared_hinge", {}, "binary_logits"),
    ("categorical_hinge", {}, "categorical_logits"),
    ("kl_divergence", {}, "distribution"),
    ("poisson", {}, "positive"),
    ("binary_crossentropy", {}, "binary"),
    ("binary_crossentropy", {"label_smoothing": 0.1}, "binary"),
    ("binary_crossentropy", {"from_logits": True}, "binary_logits"),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.2}, "binary_logits"),
    ("categorical_crossentropy", {}, "categorical"),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("categorical_crossentropy", {"from_logits": True}, "categorical_logits"),
    (
        "categorical_crossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "categorical_logits",
    ),
]
SHAPES = [(8, 4), (3, 5, 6)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fn_name,kwargs,kind", CASES)
def test_function_parity(fn_name, kwargs, kind, shape):
    y_true, y_pred = data(kind, shape)
    expected = _np(getattr(keras.losses, fn_name)(y_true, y_pred, **kwargs))
    got = getattr(losses, fn_name)(torch.tensor(y_true), torch.tensor(y_pred), **kwargs)
    assert tuple(got.shape) == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, atol=ATOL, rtol=RTOL)


def test_categorical_crossentropy_renormalises_and_clips():
    y_true = np.array([[0, 1, 0], [1, 0, 0]], "float32")
    y_pred = np.array([[0.2, 0.0, 1.8], [2.0, 1.0, 1.0]], "float32")  # unnormalised, has a 0
    expected = _np(keras.losses.categorical_crossentropy(y_true, y_pred))
    got = losses.categorical_crossentropy(torch.tensor(y_true), torch.tensor(y_pred))
    np.testing.assert_allclose(got.numpy(), expected, atol=ATOL, rtol=RTOL)


def test_binary_crossentropy_clips_extremes():
    y_true = np.array([[0.0, 1.0, 1.0, 0.0]], "float32")
    y_pred = np.array([[0.0, 0.0, 1.0, 1.0]], "float32")
    expected = _np(keras.losses.binary_crossentropy(y_true, y_pred))
    got = losses.binary_crossentropy(torch.tensor(y_true), torch.tensor(y_pred))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4)


SPARSE_LABEL_FORMS = ["int_flat", "int_col", "float_flat", "float_col"]


def sparse_data(form, n=10, c=5, from_logits=False):
    labels = rng.integers(0, c, n)
    y_pred = rng.normal(size=(n, c)).astype("float32") * 2 if from_logits else probs(n, c)
    if form.startswith("float"):
        labels = labels.astype("float32")
    if form.endswith("col"):
        labels = labels[:, None]
    return labels, y_pred


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("form", SPARSE_LABEL_FORMS)
def test_sparse_categorical_crossentropy_parity(form, from_logits):
    y_true, y_pred = sparse_data(form, from_logits=from_logits)
    expected = _np(
        keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits)
    )
    got = losses.sparse_categorical_crossentropy(
        torch.tensor(y_true), torch.tensor(y_pred), from_logits=from_logits
    )
    np.testing.assert_allclose(got.numpy(), expected, atol=ATOL, rtol=RTOL)
    k_obj = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    t_obj = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    sw = rng.random(len(y_true)).astype("float32")
    np.testing.assert_allclose(
        t_obj(torch.tensor(y_true), torch.tensor(y_pred), sample_weight=torch.tensor(sw)).numpy(),
        _np(k_obj(y_true, y_pred, sample_weight=sw)),
        atol=ATOL,
        rtol=RTOL,
    )


def test_sparse_categorical_crossentropy_sequence_and_ignore_class():
    y_true = rng.integers(0, 4, (3, 6))
    y_true[0, :2] = 3
    y_pred = rng.normal(size=(3, 6, 4)).astype("float32")
    for reduction in ["sum_over_batch_size", "sum", None]:
        k_obj = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=3, reduction=reduction
        )
        t_obj = losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=3, reduction=reduction
        )
        np.testing.assert_allclose(
            t_obj(torch.tensor(y_true), torch.tensor(y_pred)).numpy(),
            _np(k_obj(y_true, y_pred)),
            atol=ATOL,
            rtol=RTOL,
        )


# (class name, kwargs, data kind)
CLASS_CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "signed"),
    ("CategoricalHinge", {}, "categorical_logits"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls_name,kwargs,kind", CLASS_CASES)
def test_class_parity(cls_name, kwargs, kind, reduction):
    y_true, y_pred = data(kind, (6, 3, 4))
    k_obj = getattr(keras.losses, cls_name)(reduction=reduction, **kwargs)
    t_obj = getattr(losses, cls_name)(reduction=reduction, **kwargs)
    assert t_obj.name == k_obj.name
    # Loss values are (6, 3): weights per sample (as a column), per sample-and-step, none.
    for sw in [None, rng.random((6, 1)).astype("float32"), rng.random((6, 3)).astype("float32")]:
        expected = _np(k_obj(y_true, y_pred, sample_weight=sw))
        got = t_obj(
            torch.tensor(y_true),
            torch.tensor(y_pred),
            sample_weight=None if sw is None else torch.tensor(sw),
        )
        np.testing.assert_allclose(got.numpy(), expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("cls_name,kwargs,kind", CLASS_CASES[:6] + CLASS_CASES[12:14])
def test_class_parity_rank_mismatch(cls_name, kwargs, kind):
    # y_true (N,) against y_pred (N, 1): Keras aligns the ranks.
    y_true, y_pred = data(kind, (7, 1))
    y_true = y_true[:, 0]
    sw = rng.random(7).astype("float32")
    k_obj = getattr(keras.losses, cls_name)(**kwargs)
    t_obj = getattr(losses, cls_name)(**kwargs)
    np.testing.assert_allclose(
        t_obj(torch.tensor(y_true), torch.tensor(y_pred), sample_weight=torch.tensor(sw)).numpy(),
        _np(k_obj(y_true, y_pred, sample_weight=sw)),
        atol=ATOL,
        rtol=RTOL,
    )


def test_numpy_inputs_and_default_reduction_value():
    y_true = np.array([1, 2])
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    got = losses.SparseCategoricalCrossentropy()(y_true, y_pred)
    expected = _np(keras.losses.SparseCategoricalCrossentropy()(y_true, y_pred))
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, atol=ATOL)


def test_mask_on_predictions_is_respected():
    y_true, y_pred = data("regression", (4, 5, 2))
    mask = np.array([[1, 1, 1, 0, 0]] * 4, dtype=bool)
    t_pred = torch.tensor(y_pred)
    t_pred._keras_mask = torch.tensor(mask)
    k_pred = keras.ops.convert_to_tensor(y_pred)
    k_pred._keras_mask = keras.ops.convert_to_tensor(mask)
    got = losses.MeanSquaredError()(torch.tensor(y_true), t_pred)
    expected = _np(keras.losses.MeanSquaredError()(y_true, k_pred))
    np.testing.assert_allclose(got.numpy(), expected, atol=ATOL)
