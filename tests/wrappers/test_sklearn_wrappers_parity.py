"""The wrappers against Keras's own (keras.wrappers): same data, same weights, same results."""

import numpy as np
import pytest
from parity import keras
from sklearn.datasets import make_classification, make_regression

import ketorch

FIT = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0}


def _fixed_weights(model):
    # Deterministic weights from the shapes alone, identical for both libraries.
    rng = np.random.default_rng(7)
    return [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()]


def make_builder(lib):
    """A model-building callable over ``lib`` (ketorch or keras), seeded by fixed weights."""

    def build(X, y, activation="softmax", loss="categorical_crossentropy", hidden=8):
        model = lib.Sequential(
            [
                lib.Input((X.shape[1],)),
                lib.layers.Dense(hidden, activation="relu"),
                lib.layers.Dense(y.shape[1], activation=activation),
            ]
        )
        model.set_weights(_fixed_weights(model))
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss=loss)
        return model

    return build


def _fit_both(name, X, y, model_kwargs):
    fitted = []
    for lib in (ketorch, keras):
        est = getattr(lib.wrappers, name)(
            model=make_builder(lib), model_kwargs=model_kwargs, fit_kwargs=dict(FIT)
        )
        fitted.append(est.fit(X, y))
    return fitted


def _assert_history_equal(ours, theirs):
    np.testing.assert_allclose(
        ours.history_.history["loss"], theirs.history_.history["loss"], rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize("labels", ["ints", "strings"])
def test_classifier_matches_keras(labels):
    X, y = make_classification(
        n_samples=64, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    if labels == "strings":
        y = np.array(["cat", "dog", "emu"])[y]
    ours, theirs = _fit_both("SKLearnClassifier", X, y, {"hidden": 8})
    _assert_history_equal(ours, theirs)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(
        ours.decision_function(X), theirs.decision_function(X), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).dtype == theirs.predict(X).dtype
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y))
    assert ours.n_features_in_ == theirs.n_features_in_ == 6


def test_binary_classifier_matches_keras():
    X, y = make_classification(n_samples=48, n_features=5, random_state=1)
    ours, theirs = _fit_both("SKLearnClassifier", X, y, None)
    _assert_history_equal(ours, theirs)
    assert ours.decision_function(X).shape == (48, 2)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert set(ours.predict(X)) <= {0, 1}


def test_regressor_matches_keras():
    X, y = make_regression(n_samples=64, n_features=5, noise=0.1, random_state=0)
    y = y / np.abs(y).max()
    kwargs = {"activation": "linear", "loss": "mse"}
    ours, theirs = _fit_both("SKLearnRegressor", X, y, kwargs)
    _assert_history_equal(ours, theirs)
    assert ours.predict(X).shape == theirs.predict(X).shape == (64,)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4, atol=1e-5)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-4, abs=1e-5)


def test_transformer_matches_keras():
    X, _ = make_regression(n_samples=40, n_features=6, random_state=3)
    X = X / np.abs(X).max()
    target = X[:, 0] - X[:, 1]  # Keras's wrappers take 1-D targets only (ours also 2-D)
    kwargs = {"activation": "tanh", "loss": "mse"}
    ours, theirs = _fit_both("SKLearnTransformer", X, target, kwargs)
    _assert_history_equal(ours, theirs)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-4, atol=1e-5)
    assert ours.transform(X).shape == theirs.transform(X).shape == (40, 1)


def test_same_parameters_and_tags_as_keras():
    from sklearn.utils import get_tags

    for name in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"):
        ours = getattr(ketorch.wrappers, name)(model=make_builder(ketorch))
        theirs = getattr(keras.wrappers, name)(model=make_builder(keras))
        assert sorted(ours.get_params()) == sorted(theirs.get_params())
        ours_tags, theirs_tags = get_tags(ours), get_tags(theirs)
        assert ours_tags.non_deterministic == theirs_tags.non_deterministic
        assert ours_tags.estimator_type == theirs_tags.estimator_type
        for kind in ("classifier_tags", "regressor_tags", "transformer_tags"):
            assert getattr(ours_tags, kind) == getattr(theirs_tags, kind)
