"""scikit-learn wrappers: ketorch models as sklearn classifiers, regressors and transformers.

They need scikit-learn (``pip install scikit-learn``). The classes are imported
on first use, so ``import ketorch`` does not pay for importing scikit-learn
(and works without it; constructing a wrapper then raises ``ImportError``).
"""

import importlib

_MODULES = {
    "SKLearnClassifier": "sklearn_classifier",
    "SKLearnRegressor": "sklearn_regressor",
    "SKLearnTransformer": "sklearn_transformer",
}

__all__ = sorted(_MODULES)


def __getattr__(name):
    if name in _MODULES:
        module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
        value = getattr(module, name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MODULES))
