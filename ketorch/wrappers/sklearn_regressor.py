"""``SKLearnRegressor``: a ketorch model as a scikit-learn regressor."""

from __future__ import annotations

from ._sklearn_base import RegressorMixin, SKLearnBase


class SKLearnRegressor(RegressorMixin, SKLearnBase):
    """A ketorch model behind scikit-learn's regressor interface.

    ``fit`` trains the model on ``X`` and ``y`` (a 1-D ``y`` is passed to the
    model as one column), ``predict`` returns its outputs in the shape ``y``
    had, and ``score`` is the R² of sklearn's regressors. It plugs into
    ``Pipeline``, ``GridSearchCV`` and ``cross_val_score``.

    Training starts from random weights and shuffles batches, so two fits
    differ unless seeds are set (``keras.utils.set_random_seed``).

    Args:
        model: A compiled ketorch ``Model`` (cloned with fresh weights for
            each fit, unless ``warm_start``), or a callable called as
            ``model(X=X, y=y, **model_kwargs)`` that returns a compiled
            model; ``X`` and ``y`` are the validated arrays, ``y`` of shape
            ``(n_samples, n_outputs)``.
        warm_start: If True, a second ``fit`` keeps training the model of the
            first one (and a ``Model`` passed as ``model`` is trained in place
            instead of being cloned).
        model_kwargs: Extra keyword arguments for the ``model`` callable.
        fit_kwargs: Keyword arguments for ``model.fit`` (``epochs``,
            ``batch_size``, ``callbacks``, ...). Those given to ``fit`` itself
            take precedence.

    Attributes:
        model_: The fitted ketorch model.
        history_: The ``History`` returned by the last ``model.fit``.
        n_features_in_: The number of input features seen in ``fit``.
        n_outputs_: The number of target columns seen in ``fit``.

    Example:

    >>> import numpy as np
    >>> import ketorch as keras
    >>> def build(X, y):
    ...     model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(y.shape[1])])
    ...     model.compile(optimizer="sgd", loss="mse")
    ...     return model
    >>> X = np.random.rand(32, 4)
    >>> y = X @ np.array([1.0, -2.0, 0.5, 3.0])
    >>> reg = keras.wrappers.SKLearnRegressor(build, fit_kwargs={"epochs": 3, "verbose": 0})
    >>> reg = reg.fit(X, y)
    >>> reg.predict(X[:5]).shape
    (5,)
    >>> reg.n_features_in_, reg.n_outputs_, len(reg.history_.history["loss"])
    (4, 1, 3)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A few epochs of a small network may not reach sklearn's R² bars.
        tags.regressor_tags.poor_score = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "poor_score": True}
