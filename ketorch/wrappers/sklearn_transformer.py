"""``SKLearnTransformer``: a ketorch model as a scikit-learn transformer."""

from __future__ import annotations

from ._sklearn_base import SKLearnBase, TransformerMixin


class SKLearnTransformer(TransformerMixin, SKLearnBase):
    """A ketorch model behind scikit-learn's transformer interface.

    "Transformer" in sklearn's sense: a pipeline step whose ``transform``
    maps ``X`` to new features, here the outputs of the trained model (an
    embedding, an encoder's code, ...). ``fit`` trains the model on ``X`` and
    ``y`` as ``SKLearnRegressor`` does. To use an already trained model
    without training it again inside a pipeline, wrap the fitted transformer
    in ``sklearn.frozen.FrozenEstimator``.

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
    >>> def projector(X, y, activation="linear"):
    ...     model = keras.Sequential([
    ...         keras.Input((X.shape[1],)),
    ...         keras.layers.Dense(y.shape[1], activation=activation),
    ...     ])
    ...     model.compile(optimizer="adam", loss="mse")
    ...     return model
    >>> X = np.random.rand(20, 6)
    >>> trans = keras.wrappers.SKLearnTransformer(
    ...     projector, model_kwargs={"activation": "tanh"}, fit_kwargs={"epochs": 1, "verbose": 0}
    ... )
    >>> trans.fit_transform(X, X[:, :2]).shape  # learns a 6 -> 2 projection
    (20, 2)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The model decides its output dtype (float32 usually), not the input.
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "preserves_dtype": []}

    def transform(self, X):
        """The trained model's outputs for ``X``, as new features.

        Args:
            X: Array-like of shape ``(n_samples, n_features)``.

        Returns:
            A NumPy array of shape ``(n_samples, n_model_outputs)``.
        """
        return self._raw_predict(X)
