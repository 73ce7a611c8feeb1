"""The wrappers inside sklearn workflows, their parameters, warm starts and errors."""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import ketorch
from ketorch.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer


def mlp(X, y, hidden=16, activation="softmax", loss="categorical_crossentropy", lr=0.01):
    ketorch.utils.set_random_seed(0)
    model = ketorch.Sequential(
        [
            ketorch.Input((X.shape[1],)),
            ketorch.layers.Dense(hidden, activation="relu"),
            ketorch.layers.Dense(y.shape[1], activation=activation),
        ]
    )
    model.compile(optimizer=ketorch.optimizers.Adam(lr), loss=loss)
    return model


REGRESSION = {"activation": None, "loss": "mse"}
QUIET = {"verbose": 0}


def test_pipeline_cross_val_score_on_iris():
    X, y = load_iris(return_X_y=True)
    clf = SKLearnClassifier(mlp, model_kwargs={"lr": 0.05}, fit_kwargs={"epochs": 30, **QUIET})
    pipe = make_pipeline(StandardScaler(), clf)
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8, scores


def test_grid_search_picks_among_model_and_fit_kwargs():
    X, y = make_classification(n_samples=120, n_features=8, n_informative=5, random_state=0)
    clf = SKLearnClassifier(mlp, fit_kwargs={"epochs": 2, **QUIET})
    grid = GridSearchCV(
        clf,
        {
            "model_kwargs": [{"hidden": 4, "lr": 1e-5}, {"hidden": 16, "lr": 0.05}],
            "fit_kwargs": [{"epochs": 20, **QUIET}],
        },
        cv=2,
    )
    grid.fit(X, y)
    # The near-zero learning rate cannot learn; the search must see that.
    assert grid.best_params_["model_kwargs"] == {"hidden": 16, "lr": 0.05}
    assert grid.best_score_ > 0.75
    assert grid.best_estimator_.model_.layers[0].units == 16
    assert len(grid.best_estimator_.history_.history["loss"]) == 20


def test_regressor_in_pipeline_scores_r2():
    X, y = make_regression(n_samples=150, n_features=4, noise=1.0, random_state=0)
    reg = SKLearnRegressor(
        mlp, model_kwargs={**REGRESSION, "lr": 0.05}, fit_kwargs={"epochs": 60, **QUIET}
    )
    pipe = make_pipeline(StandardScaler(), reg)
    scores = cross_val_score(pipe, X, y / y.std(), cv=3)
    assert scores.min() > 0.8, scores


def test_regressor_multi_output_targets():
    X, y = make_regression(n_samples=40, n_features=3, n_targets=2, random_state=0)
    reg = SKLearnRegressor(mlp, model_kwargs=REGRESSION, fit_kwargs={"epochs": 1, **QUIET})
    reg.fit(X, y / y.std())
    assert reg.n_outputs_ == 2 and reg.model_.output_shape == (None, 2)
    assert reg.predict(X).shape == (40, 2)
    reg.fit(X, y[:, 0])
    assert reg.n_outputs_ == 1 and reg.predict(X).shape == (40,)


def test_transformer_feeds_a_pipeline():
    X, y = make_classification(n_samples=90, n_features=10, n_informative=4, random_state=2)
    embed = SKLearnTransformer(
        mlp,
        model_kwargs={
            "hidden": 8,
            "lr": 0.05,
            "activation": "sigmoid",
            "loss": "binary_crossentropy",
        },
        fit_kwargs={"epochs": 20, **QUIET},
    )
    features = embed.fit(X, y).transform(X)
    assert features.shape == (90, 1) and features.min() >= 0 and features.max() <= 1
    pipe = make_pipeline(embed, LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.8


def test_classifier_labels_attributes_and_score():
    X, y = make_classification(n_samples=60, n_features=5, n_classes=3, n_informative=3)
    labels = np.array(["a", "b", "c"])[y]
    clf = SKLearnClassifier(mlp, fit_kwargs={"epochs": 3, **QUIET}).fit(X, labels)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.n_features_in_ == 5 and clf.n_outputs_ == 1 and clf.epoch_ == 3
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    expected = np.mean(clf.predict(X) == labels)
    assert clf.score(X, labels) == pytest.approx(expected)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :4])


def test_params_clone_and_fit_kwargs_are_not_mutated():
    fit_kwargs = {"epochs": 2, **QUIET}
    clf = SKLearnClassifier(mlp, model_kwargs={"hidden": 4}, fit_kwargs=fit_kwargs)
    assert clf.get_params() == {
        "model": mlp,
        "warm_start": False,
        "model_kwargs": {"hidden": 4},
        "fit_kwargs": fit_kwargs,
    }
    twin = clone(clf.set_params(warm_start=True))
    assert twin.get_params() == clf.get_params()  # Keras's clone drops fit_kwargs; ours keeps it
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    clf.fit(X, y, epochs=1)
    assert fit_kwargs == {"epochs": 2, "verbose": 0}
    assert len(clf.history_.history["loss"]) == 1  # fit's own arguments win


def test_warm_start_continues_training():
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    cold = SKLearnClassifier(mlp, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    first_model = cold.model_
    assert cold.fit(X, y).model_ is not first_model
    warm = SKLearnClassifier(mlp, warm_start=True, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    first_model, first_losses = warm.model_, warm.history_.history["loss"]
    warm.fit(X, y)
    assert warm.model_ is first_model
    assert warm.history_.history["loss"][0] < first_losses[0]  # not restarted from scratch


def test_model_instance_is_cloned_unless_warm_start():
    X, y = make_regression(n_samples=32, n_features=3, random_state=0)
    y = y / y.std()
    model = mlp(X, y[:, None], **REGRESSION)
    before = [w.copy() for w in model.get_weights()]
    reg = SKLearnRegressor(model, fit_kwargs={"epochs": 1, **QUIET}).fit(X, y)
    assert reg.model_ is not model
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)
    warm = SKLearnRegressor(model, warm_start=True, fit_kwargs={"epochs": 1, **QUIET})
    copy = clone(warm).fit(X, y)  # sklearn's clone deep-copies the model: no shared training
    assert copy.model_ is not model and copy.model_.compiled
    np.testing.assert_array_equal(model.get_weights()[0], before[0])
    reg = warm.fit(X, y)
    assert reg.model_ is model
    assert not np.array_equal(model.get_weights()[0], before[0])


def test_sample_weight_routed_by_metadata_routing():
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    clf = SKLearnClassifier(mlp, fit_kwargs={"epochs": 1, "batch_size": 30, **QUIET})
    with pytest.raises(RuntimeError, match="enable_metadata_routing"):
        clf.set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
        result = cross_validate(
            clf, X, y, cv=2, params={"sample_weight": np.zeros(30)}, return_estimator=True
        )
    # All-zero weights reached model.fit: nothing to learn, the loss is exactly 0.
    for est in result["estimator"]:
        assert est.history_.history["loss"] == [0.0]


def test_not_fitted():
    for cls in (SKLearnClassifier, SKLearnRegressor, SKLearnTransformer):
        est = cls(mlp)
        assert est.epoch_ == 0
        with pytest.raises(NotFittedError):
            (est.transform if cls is SKLearnTransformer else est.predict)(np.zeros((2, 3)))


def _uncompiled(X, y):
    return ketorch.Sequential([ketorch.Input((X.shape[1],)), ketorch.layers.Dense(y.shape[1])])


def _without_loss(X, y):
    model = _uncompiled(X, y)
    model.compile(optimizer="sgd")
    return model


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"model": 3}, TypeError, r"`model` must be a compiled ketorch Model or a callable"),
        ({"model": lambda X, y: "no model"}, TypeError, r"callable given as `model` must return"),
        ({"model": _uncompiled}, RuntimeError, r"`model` must be compiled"),
        ({"model": _without_loss}, RuntimeError, r"with a loss and an optimizer"),
        ({"model": mlp, "model_kwargs": [4]}, TypeError, r"`model_kwargs` must be a dict"),
        ({"model": mlp, "fit_kwargs": "fast"}, TypeError, r"`fit_kwargs` must be a dict"),
        ({"model": mlp, "model_kwargs": {"depth": 2}}, TypeError, "depth"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, match):
    X, y = make_regression(n_samples=10, n_features=3, random_state=0)
    with pytest.raises(error, match=match):
        SKLearnRegressor(**kwargs).fit(X, y)


def test_bad_targets():
    X = np.random.rand(12, 3)
    clf = SKLearnClassifier(mlp, fit_kwargs=QUIET)
    with pytest.raises(ValueError, match="binary and multiclass"):
        clf.fit(X, np.linspace(0, 1, 12))  # continuous
    with pytest.raises(ValueError, match="one class"):
        clf.fit(X, np.ones(12))
    with pytest.raises(ValueError, match="requires y to be passed"):
        SKLearnTransformer(mlp).fit(X, None)


def test_without_sklearn_construction_raises(monkeypatch):
    from ketorch.wrappers import _sklearn_base

    monkeypatch.setattr(_sklearn_base, "sklearn", None)
    with pytest.raises(ImportError, match="SKLearnRegressor.*pip install scikit-learn"):
        SKLearnRegressor(mlp)


def test_public_names_match_keras():
    from parity import keras

    theirs = {n for n in dir(keras.wrappers) if not n.startswith("_")}
    assert theirs <= set(dir(ketorch.wrappers))
    assert ketorch.wrappers.SKLearnClassifier is SKLearnClassifier
