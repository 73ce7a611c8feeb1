"""FeatureSpace: declare how each column of structured data is preprocessed, then encode it.

One line per feature (``"float_normalized"``, ``"integer_categorical"``,
``"string_hashed"``...), optional feature crosses, ``adapt()`` on the training data,
then calling the FeatureSpace on a dict of columns gives one float matrix (or a dict of
encoded features). The preprocessing layers are ketorch's (``Normalization``,
``IntegerLookup``, ``StringLookup``, ``Discretization``, ``Hashing``, ``HashedCrossing``,
``CategoryEncoding``), so the encodings equal Keras's.

Example:
    >>> import numpy as np
    >>> from ketorch.utils import FeatureSpace
    >>> fs = FeatureSpace(
    ...     {"age": "float_normalized", "color": FeatureSpace.string_categorical()},
    ...     output_mode="concat",
    ... )
    >>> fs.adapt({"age": np.array([20.0, 30.0, 40.0]), "color": np.array(["red", "blue", "red"])})
    >>> fs({"age": np.array([30.0]), "color": np.array(["blue"])}).shape
    torch.Size([1, 4])
"""

from __future__ import annotations

import numpy as np
import torch

from .. import layers, ops
from ..backend import unique_name
from ..layers import (
    CategoryEncoding,
    Discretization,
    HashedCrossing,
    Hashing,
    Input,
    IntegerLookup,
    Normalization,
    Rescaling,
    StringLookup,
)
from ..layers.layer import Layer
from ..saving.saving_api import save_model
from ..saving.serialization import deserialize_keras_object, serialize_keras_object

_FEATURE_MODES = ("int", "one_hot", "float")
_CROSS_MODES = ("int", "one_hot")


def _serialize(obj) -> dict:
    return {
        "module": "keras.src.layers.preprocessing.feature_space",
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": type(obj).__name__,
    }


class Cross:
    """A crossing of features (hashed into ``crossing_dim`` bins by ``HashedCrossing``).

    Args:
        feature_names: The names of the crossed features.
        crossing_dim: Number of hash bins.
        output_mode: ``"one_hot"`` or ``"int"``.
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in _CROSS_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                f"Received: output_mode={output_mode}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One input feature: its dtype, its preprocessing layer and how it is encoded.

    Args:
        dtype: The input dtype (``"float32"``, ``"int32"``, ``"string"``).
        preprocessor: A layer (or its serialized dict).
        output_mode: ``"float"`` (used as is), ``"int"`` or ``"one_hot"``.
    """

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in _FEATURE_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}"
            )
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_keras_object(
                preprocessor, custom_objects={"TFDIdentity": TFDIdentity}
            )
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict:

        return {
            "dtype": self.dtype,
            "preprocessor": serialize_keras_object(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _deserialize_part(config, expected):
    if isinstance(config, dict) and config.get("class_name") == expected.__name__:
        return expected.from_config(config.get("config", {}))
    raise ValueError(f"Expected a serialized {expected.__name__}. Received: {config}")


class TFDIdentity(Layer):
    """Passes a float feature through (the ``"float"`` feature type; Keras's class name)."""

    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape


def _as_column(value):
    """A feature column as a tensor or (for text) a NumPy array of shape ``(batch, ...)``."""
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "USO":
        return array.astype(object)
    if array.dtype.kind == "f":
        return torch.as_tensor(array, dtype=torch.float32)
    if array.dtype.kind in "iub":
        return torch.as_tensor(array.astype("int64"))
    return torch.as_tensor(array)


def _expand(x):
    return x.unsqueeze(-1) if isinstance(x, torch.Tensor) else np.expand_dims(x, -1)


class FeatureSpace(Layer):
    """Preprocess and encode a dict of structured-data features in one call.

    Args:
        features: ``{name: feature}`` where a feature is a type name (``"float"``,
            ``"float_rescaled"``, ``"float_normalized"``, ``"float_discretized"``,
            ``"integer_categorical"``, ``"integer_hashed"``, ``"string_categorical"``,
            ``"string_hashed"``) or a configured feature from the class methods
            (``FeatureSpace.integer_categorical(max_tokens=10)``...).
        output_mode: ``"concat"`` (one float matrix) or ``"dict"`` (one entry per
            feature and cross).
        crosses: Feature crosses: tuples of feature names or ``FeatureSpace.cross(...)``.
        crossing_dim: Hash bins of crosses given as tuples.
        hashing_dim: Hash bins of the ``"*_hashed"`` features given by name.
        num_discretization_bins: Bins of ``"float_discretized"`` features given by name.
        name: Layer name.

    Call arguments:
        data: ``{name: values}``: one sample (scalars) or a batch (1-D or
            ``(batch, 1)`` arrays, lists or tensors).
    """

    # ------------------------------------------------------------ feature types
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A cross of ``feature_names`` hashed into ``crossing_dim`` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature with your own preprocessing layer."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """A float feature used as is."""
        name = name or unique_name("float")
        return Feature("float32", TFDIdentity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """A float feature mapped to ``x * scale + offset``."""

        name = name or unique_name("float_rescaled")
        layer = Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        """A float feature standardized with the mean and variance seen by ``adapt``."""

        name = name or unique_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """A float feature bucketized into ``num_bins`` quantile bins (or given boundaries)."""

        name = name or unique_name("float_discretized")
        layer = Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        """An integer category, indexed by the vocabulary that ``adapt`` finds."""

        name = name or unique_name("integer_categorical")
        layer = IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        """A string category, indexed by the vocabulary that ``adapt`` finds."""

        name = name or unique_name("string_categorical")
        layer = StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """A string category hashed into ``num_bins`` bins."""

        name = name or unique_name("string_hashed")
        return Feature(
            "string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """An integer category hashed into ``num_bins`` bins."""

        name = name or unique_name("integer_hashed")
        return Feature(
            "int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )

    # ------------------------------------------------------------ construction
    def __init__(
        self,
        features,
        output_mode="concat",
        crosses=None,
        crossing_dim=32,
        hashing_dim=32,
        num_discretization_bins=32,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if output_mode not in ("dict", "concat"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}"
            )
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {
            key: self._standardize_feature(key, value) for key, value in features.items()
        }
        self.crosses = [self._standardize_cross(cross, set(features)) for cross in crosses or []]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        # Plain dicts of layers (not tracked sublayers): a FeatureSpace has no weights of
        # its own to train, and the layers keep their state in their own configs.
        object.__setattr__(
            self, "preprocessors", {k: f.preprocessor for k, f in self.features.items()}
        )
        object.__setattr__(self, "crossers", {c.name: self._crosser(c) for c in self.crosses})
        object.__setattr__(self, "one_hot_encoders", {})
        # Tracked as sublayers so that saving writes their vocabularies and statistics.
        self._preprocessing_layers = [*self.preprocessors.values(), *self.crossers.values()]
        self.inputs = None
        self.encoded_features = None
        self._is_adapted = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _deserialize_part(feature, Feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins
            ),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(f"Invalid feature type: {feature}")
        return makers[feature]()

    def _standardize_cross(self, cross, known):
        if isinstance(cross, dict):
            cross = _deserialize_part(cross, Cross)
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError(
                "When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                "crossing space) should be specified as well."
            )
        unknown = [key for key in cross if key not in known]
        if unknown:
            raise ValueError(
                "All features referenced in the `crosses` argument should be present in the "
                f"`features` dict. Received unknown features: {cross}"
            )
        return Cross(cross, crossing_dim=self.crossing_dim)

    def _crosser(self, cross):

        return HashedCrossing(cross.crossing_dim, name=cross.name)

    # ------------------------------------------------------------ adapt
    def _adaptable(self) -> list[str]:
        names = []
        for name, layer in self.preprocessors.items():
            if getattr(layer, "input_mean", None) is not None:  # Normalization with stats
                continue
            if getattr(layer, "_has_input_vocabulary", False):
                continue
            if hasattr(layer, "adapt"):
                names.append(name)
        return names

    @staticmethod
    def _columns(dataset, names) -> dict:
        """``{name: array of every value}`` from a dict of arrays or batches of dicts."""
        if isinstance(dataset, dict):
            return {name: dataset[name] for name in names}
        if isinstance(dataset, (str, bytes)) or not hasattr(dataset, "__iter__"):
            raise ValueError(
                "`adapt()` can only be called on a dict of arrays/lists or an iterable of such "
                f"dicts (a dataset). Received instead: {dataset} (of type {type(dataset)})"
            )
        parts: dict[str, list] = {name: [] for name in names}
        for batch in dataset:
            if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], dict):
                batch = batch[0]  # (features, labels)
            if not isinstance(batch, dict):
                raise ValueError(
                    f"`adapt()` expects the dataset to yield dicts of features. Received: {batch!r}"
                )
            for name in names:
                value = batch[name]
                if isinstance(value, torch.Tensor):
                    value = value.detach().cpu().numpy()
                parts[name].append(np.atleast_1d(np.asarray(value)))
        return {name: np.concatenate(chunks) for name, chunks in parts.items() if chunks}

    def adapt(self, dataset) -> None:
        """Learn the statistics and vocabularies of the features from ``dataset``.

        Args:
            dataset: A dict of arrays/lists, or an iterable (a `PyDataset`, a list...) of
                such dicts, or of ``(dict, labels)`` pairs.
        """
        names = self._adaptable()
        for name, values in self._columns(dataset, names).items():
            column = _as_column(values)
            if column.ndim <= 1:
                column = column.reshape(-1, 1)
            self.preprocessors[name].adapt(column)
        self._is_adapted = True
        self.built = True

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can "
                    "start using it."
                )
            self._is_adapted = True

    # ------------------------------------------------------------ encoding
    def _cardinality(self, name, layer):

        if isinstance(layer, (layers.IntegerLookup, layers.StringLookup)):
            return layer.vocabulary_size()
        if isinstance(layer, layers.CategoryEncoding):
            return layer.num_tokens
        if isinstance(layer, (layers.Discretization, layers.Hashing, layers.HashedCrossing)):
            return layer.num_bins
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
            "and the dimensionality of its output space is not known, thus it cannot be "
            "one-hot encoded. Try using `output_mode='int'`."
        )

    def _encode(self, name, value, spec):
        if spec.output_mode != "one_hot":
            return value
        encoder = self.one_hot_encoders.get(name)
        if encoder is None:
            layer = self.preprocessors[name] if name in self.preprocessors else self.crossers[name]
            encoder = CategoryEncoding(
                num_tokens=self._cardinality(name, layer), output_mode="multi_hot"
            )
            self.one_hot_encoders[name] = encoder
        return encoder(value)

    def _run(self, columns):
        """Preprocess, cross and encode ``(batch, 1)`` columns (tensors or symbolic)."""
        preprocessed = {name: self.preprocessors[name](columns[name]) for name in self.features}
        crossed = {
            cross.name: self.crossers[cross.name]([preprocessed[n] for n in cross.feature_names])
            for cross in self.crosses
        }
        names = sorted(preprocessed) + sorted(crossed)
        out = {}
        for name in names:
            spec = self.features.get(name) or self.crosses_by_name[name]
            value = preprocessed[name] if name in preprocessed else crossed[name]
            out[name] = self._encode(name, value, spec)
        if self.output_mode == "dict":
            return out
        for name, value in out.items():
            dtype = str(value.dtype)
            if "int" in dtype or "str" in dtype or "object" in dtype:
                raise ValueError(
                    f"Cannot concatenate features because feature '{name}' has not been encoded "
                    f"(it has dtype {dtype}). Consider using `output_mode='dict'`."
                )

        return ops.concatenate([out[name] for name in names], axis=-1)

    def get_inputs(self) -> dict:
        """``{name: Input(shape=(1,))}``, the symbolic inputs of `get_encoded_features`."""
        self._check_if_adapted()
        if self.inputs is None:
            self.inputs = {
                name: Input(shape=(1,), dtype=feature.dtype, name=name)
                for name, feature in self.features.items()
            }
        return self.inputs

    def get_encoded_features(self):
        """The encoded features as symbolic tensors computed from `get_inputs`."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._run(self.get_inputs())
        return self.encoded_features

    def __call__(self, data):
        self._check_if_adapted()
        if not isinstance(data, dict):
            raise ValueError(
                f"A FeatureSpace can only be called with a dict. Received: data={data} "
                f"(of type {type(data)})"
            )
        columns, single = {}, False
        for name, value in data.items():
            if name not in self.features:
                continue
            column = _as_column(value)
            if column.ndim == 0:
                column, single = column.reshape(1, 1), True
            elif column.ndim == 1:
                column = _expand(column)
            columns[name] = column
        missing = [name for name in self.features if name not in columns]
        if missing:
            raise ValueError(f"The data passed to the FeatureSpace lacks features {missing}.")
        with torch.no_grad():
            out = self._run(columns)
        if single:
            if isinstance(out, dict):
                return {k: v[0] if v.ndim == 2 and v.shape[0] == 1 else v for k, v in out.items()}
            return out[0]
        return out

    # ------------------------------------------------------------ config
    def get_config(self) -> dict:
        return {
            "name": self.name,
            "features": {name: _serialize(f) for name, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_serialize(c) for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("trainable", None)
        config.pop("dtype", None)
        return cls(**config)

    def get_build_config(self):
        return {"adapted": True} if self._is_adapted else None

    def build_from_config(self, config):
        # Loading a saved FeatureSpace: the file restores the preprocessors' state.
        if config and config.get("adapted"):
            self._is_adapted = True
            self.built = True

    def save(self, filepath) -> None:
        """Save as a ``.keras`` file (its config holds the adapted state)."""

        save_model(self, filepath)
