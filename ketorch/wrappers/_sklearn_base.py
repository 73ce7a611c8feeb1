"""The machinery shared by the scikit-learn wrappers (private).

scikit-learn is an optional dependency: without it this module still imports
(so ``import ketorch`` works), and constructing a wrapper raises ``ImportError``.
"""

from __future__ import annotations

import numpy as np

from ..models import Model, clone_model

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    sklearn = None

    class BaseEstimator:  # noqa: D101 - placeholders so the classes below can be defined
        pass

    class ClassifierMixin:  # noqa: D101
        pass

    class RegressorMixin:  # noqa: D101
        pass

    class TransformerMixin:  # noqa: D101
        pass


__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "RegressorMixin",
    "SKLearnBase",
    "TransformerMixin",
]


def _require_sklearn(owner: str) -> None:
    if sklearn is None:
        raise ImportError(
            f"`{owner}` needs scikit-learn. Install it with `pip install scikit-learn`."
        )


def _validate(estimator, X, y="no_validation", reset=True, multi_output=False):
    """sklearn's input validation (``validate_data`` from 1.6, the method before)."""
    kwargs = {"reset": reset}
    if not (isinstance(y, str) and y == "no_validation"):
        kwargs["multi_output"] = multi_output
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(X, y, **kwargs)
    return validate_data(estimator, X, y, **kwargs)


def _target_type(y) -> str:
    from sklearn.utils.multiclass import type_of_target  # optional dependency, loaded on first use

    kind = type_of_target(y, input_name="y")
    if kind == "unknown":
        raise ValueError(f"Unknown label type for `y`: {y!r}")
    return kind


def _routing_enabled() -> bool:
    return bool(sklearn is not None and sklearn.get_config().get("enable_metadata_routing"))


def _ensure_compiled(model) -> None:
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(
            "The model given by `model` must be compiled with a loss and an optimizer "
            "before it is wrapped, for example "
            "`model.compile(optimizer='adam', loss='mse')`."
        )


class SKLearnBase(BaseEstimator):
    """What the three wrappers have in common: building, fitting, predicting.

    Subclasses change how targets are encoded before ``fit`` and decoded after
    ``predict`` (``_encode_target``/``_decode_output``).
    """

    # Regressors and transformers accept 2-D targets; the classifier flattens them.
    _multi_output = True

    def __init__(
        self,
        model,
        warm_start: bool = False,
        model_kwargs: dict | None = None,
        fit_kwargs: dict | None = None,
    ):
        _require_sklearn(type(self).__name__)
        # sklearn's contract: store the arguments untouched, validate them in fit.
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # weights start random, batches are shuffled
        tags.target_tags.required = True  # the model is trained against `y`
        tags.target_tags.multi_output = self._multi_output
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True}

    # ------------------------------------------------------------- properties
    @property
    def epoch_(self) -> int:
        """How many epochs the last ``fit`` ran (0 before any fit)."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    # ------------------------------------------------------- metadata routing
    def set_fit_request(self, **requests):
        """Declare which metadata ``fit`` receives through sklearn's routing.

        Only available once routing is on
        (``sklearn.set_config(enable_metadata_routing=True)``); for example
        ``est.set_fit_request(sample_weight=True)`` lets ``GridSearchCV.fit(X, y,
        sample_weight=w)`` hand ``sample_weight`` on to ``model.fit``.

        Args:
            **requests: ``parameter=alias`` pairs, the alias being ``True``,
                ``False``, ``None`` or a string.

        Returns:
            The estimator itself.
        """
        if not _routing_enabled():
            raise RuntimeError(
                "`set_fit_request` needs metadata routing; turn it on with "
                "`sklearn.set_config(enable_metadata_routing=True)`."
            )
        request = self.get_metadata_routing()
        for param, alias in requests.items():
            request.fit.add_request(param=param, alias=alias)
        self._metadata_request = request
        return self

    # ------------------------------------------------------------- building
    def _build_model(self, X, y):

        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            model = self.model if self.warm_start else clone_model(self.model)
        elif callable(self.model):
            kwargs = self.model_kwargs
            if kwargs is None:
                kwargs = {}
            elif not isinstance(kwargs, dict):
                raise TypeError(
                    "`model_kwargs` must be a dict of keyword arguments for `model`, or "
                    f"None. Received: model_kwargs={kwargs!r}"
                )
            model = self.model(X=X, y=y, **kwargs)
            if not isinstance(model, Model):
                raise TypeError(
                    "The callable given as `model` must return a compiled ketorch Model. "
                    f"Received: {type(model).__name__} from model={self.model!r}"
                )
        else:
            raise TypeError(
                "`model` must be a compiled ketorch Model or a callable "
                "`model(X=..., y=..., **model_kwargs)` returning one. "
                f"Received: model={self.model!r}"
            )
        _ensure_compiled(model)
        return model

    # ---------------------------------------------------------- fit/predict
    def fit(self, X, y, **kwargs):
        """Build (or reuse, with ``warm_start``) the model and train it.

        Args:
            X: Array-like of shape ``(n_samples, n_features)``.
            y: Array-like of shape ``(n_samples,)`` or ``(n_samples, n_outputs)``.
            **kwargs: Passed to ``model.fit``; they override ``fit_kwargs``.

        Returns:
            The fitted estimator.
        """
        # sklearn raises its own error for a missing `y` when the estimator's tags require one.
        validated = _validate(self, X, y, reset=True, multi_output=self._multi_output)
        if not isinstance(validated, tuple):
            raise ValueError(f"`{type(self).__name__}.fit` needs targets `y`. Received: y=None")
        X, y = validated
        y = self._encode_target(y, reset=True)
        if self.fit_kwargs is not None and not isinstance(self.fit_kwargs, dict):
            raise TypeError(
                "`fit_kwargs` must be a dict of keyword arguments for `model.fit`, or None. "
                f"Received: fit_kwargs={self.fit_kwargs!r}"
            )
        model = self._build_model(X, y)
        # A fresh dict: the fit call's arguments must not leak into `fit_kwargs`.
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def _raw_predict(self, X):
        from sklearn.utils.validation import check_is_fitted  # loaded on first use

        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def predict(self, X):
        """The model's predictions for ``X``, decoded to the targets' form.

        Args:
            X: Array-like of shape ``(n_samples, n_features)``.

        Returns:
            A NumPy array with one prediction per sample.
        """
        return self._decode_output(self._raw_predict(X))

    # ------------------------------------------------------ target encoding
    def _encode_target(self, y, reset=False):
        _target_type(y)  # rejects labels sklearn cannot interpret
        if reset:
            self._y_ndim = y.ndim
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _decode_output(self, output):
        if self._y_ndim == 1 and output.ndim == 2 and output.shape[1] == 1:
            return output[:, 0]
        return output
