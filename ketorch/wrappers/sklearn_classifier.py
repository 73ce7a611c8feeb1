"""``SKLearnClassifier``: a ketorch model as a scikit-learn classifier."""

from __future__ import annotations

import numpy as np

from ._sklearn_base import ClassifierMixin, SKLearnBase, _target_type


class SKLearnClassifier(ClassifierMixin, SKLearnBase):
    """A ketorch model behind scikit-learn's classifier interface.

    ``fit`` one-hot encodes the labels (any labels sklearn accepts: integers,
    strings, ...), builds the model and trains it on the encoded targets;
    ``predict`` maps the model's highest-scoring output column back to its
    label. The model therefore needs one output column per class, for
    instance a ``Dense(n_classes, activation="softmax")`` trained with
    ``categorical_crossentropy``. It plugs into ``Pipeline``, ``GridSearchCV``
    and ``cross_val_score`` like any sklearn classifier (``score`` is the
    accuracy).

    Training starts from random weights and shuffles batches, so two fits
    differ unless seeds are set (``keras.utils.set_random_seed``).

    Args:
        model: A compiled ketorch ``Model`` (cloned with fresh weights for
            each fit, unless ``warm_start``), or a callable called as
            ``model(X=X, y=y, **model_kwargs)`` that returns a compiled
            model; ``X`` is the validated input array and ``y`` the one-hot
            targets, of shape ``(n_samples, n_classes)``.
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
        classes_: The sorted class labels seen in ``fit``.
        n_features_in_: The number of input features seen in ``fit``.
        n_outputs_: The number of target columns (1).

    Example:

    >>> import numpy as np
    >>> import ketorch as keras
    >>> def build(X, y, hidden=8):
    ...     model = keras.Sequential([
    ...         keras.Input((X.shape[1],)),
    ...         keras.layers.Dense(hidden, activation="relu"),
    ...         keras.layers.Dense(y.shape[1], activation="softmax"),
    ...     ])
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> X = np.random.rand(40, 3)
    >>> y = np.where(X[:, 0] > 0.5, "big", "small")
    >>> clf = keras.wrappers.SKLearnClassifier(
    ...     build, model_kwargs={"hidden": 4}, fit_kwargs={"epochs": 2, "verbose": 0}
    ... )
    >>> clf = clf.fit(X, y)
    >>> clf.classes_
    array(['big', 'small'], dtype='<U5')
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> clf.decision_function(X[:3]).shape
    (3, 2)
    """

    _multi_output = False  # one label per sample; a column vector is flattened

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A few epochs of a small network may not reach sklearn's accuracy bars.
        tags.classifier_tags.poor_score = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "poor_score": True}

    def decision_function(self, X):
        """The model's raw outputs for ``X``, one column per class.

        These are whatever the last layer gives: probabilities after a
        softmax, logits after a linear layer.

        Args:
            X: Array-like of shape ``(n_samples, n_features)``.

        Returns:
            An array of shape ``(n_samples, n_classes)``.
        """
        return self._raw_predict(X)

    def _encode_target(self, y, reset=False):
        kind = _target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                "SKLearnClassifier supports binary and multiclass targets only. "
                f"Received a `y` of type {kind!r}."
            )
        if reset:
            classes = np.unique(y)
            if len(classes) < 2:
                raise ValueError(
                    "SKLearnClassifier cannot train on one class: `y` needs at least two "
                    f"distinct labels. Received only {classes[0]!s}."
                )
            self.classes_ = classes
            self.n_outputs_ = 1
        # Unseen labels would otherwise map silently onto a neighbouring class.
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unseen = self.classes_[index] != y
        if np.any(unseen):
            raise ValueError(
                f"`y` contains labels not seen in fit: {np.unique(y[unseen]).tolist()}"
            )
        one_hot = np.zeros((len(y), len(self.classes_)))
        one_hot[np.arange(len(y)), index] = 1.0
        return one_hot

    def _decode_output(self, output):
        if output.ndim != 2 or output.shape[1] != len(self.classes_):
            raise ValueError(
                f"The model must output one column per class ({len(self.classes_)}) for "
                f"SKLearnClassifier to decode it. Received outputs of shape {output.shape}."
            )
        return self.classes_[np.argmax(output, axis=1)]
