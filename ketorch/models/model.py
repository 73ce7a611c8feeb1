"""Model: a Layer with Keras's training API (compile / fit / evaluate / predict).

``Model(inputs=..., outputs=...)`` returns a
:class:`~ketorch.models.functional.Functional` model; subclass ``Model`` and
define ``call()`` for free-form models. Every model is a ``torch.nn.Module``.

Example:
    >>> import torch
    >>> import ketorch as keras
    >>> class TwoLayer(keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = keras.layers.Dense(8, activation="relu")
    ...         self.out = keras.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    >>> TwoLayer()(torch.ones(2, 3)).shape
    torch.Size([2, 1])
"""

from __future__ import annotations

import torch

from ..layers import layer as _layer_mod
from ..layers import shape_inference
from ..layers.layer import Layer
from ..layers.node import KerasTensor
from ..saving import export, limits, saving_api
from ..trainers.trainer import Trainer
from ..utils.summary_utils import print_summary
from ._quantize import quantize_model
from .model_config import functional_from_config


class Model(Trainer, Layer):
    """A trainable group of layers.

    Construct it three ways: ``Model(inputs, outputs)`` (Functional API),
    ``Sequential([...])``, or by subclassing and writing ``call()``.

    Args:
        inputs: For the Functional API, the ``Input`` tensor(s).
        outputs: For the Functional API, the output tensor(s).
        name: Model name.
        trainable: Whether its weights are trainable.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (
            ("inputs" in kwargs and "outputs" in kwargs)
            or (len(args) >= 2)
            or (len(args) == 1 and "outputs" in kwargs)
        ):
            from .functional import Functional  # a Model subclass: needs this module

            return Functional.__new__(Functional, *args, **kwargs)
        if _functional_subclass_call(cls, args, kwargs):
            # `class CustomModel(Model)` (say, with its own train_step) built as
            # `CustomModel(inputs, outputs)`: the instance gets a class deriving from both,
            # so the subclass's methods come first and Functional supplies the graph.
            return super().__new__(_with_functional(cls), *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs:
            raise TypeError(
                "Model(...) takes `inputs` and `outputs` together (Functional API), or no "
                f"positional arguments when subclassed. Received: args={args}"
            )
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)
        super().__init__(name=name, trainable=trainable, dtype=dtype, **kwargs)
        Trainer._init_trainer(self)

    # Subclassed models build their sublayers during the first real call.
    def _maybe_build(self, args, kwargs):
        shape = tuple(args[0].shape) if args and isinstance(args[0], torch.Tensor) else None
        self._build_shapes = shape
        self.built = True

    def build(self, input_shape=None):
        """Create the weights by running the model once on inputs of ``input_shape``.

        The run uses a ``meta`` tensor (a shape without data), so building for big inputs
        allocates no activations; a model whose code needs values runs on real zeros instead
        (see :mod:`ketorch.layers.shape_inference`).
        """
        if self.built and all(layer.built for layer in self._flatten_layers()):
            return
        if input_shape is None:
            raise ValueError(f"Model '{self.name}'.build() needs an input_shape. Received: None")

        shape = [1 if d is None else d for d in input_shape]
        shape_inference.build_by_running(self, shape, bounded=limits.loading_file())
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        """The model's direct sublayers, in the order they were assigned."""
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Return a layer by name or by index in :attr:`layers`.

        Raises:
            ValueError: If no layer has that name, or the index is out of range.
        """
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}"
            )
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Print the layer table: name (type), output shape, parameter count, totals."""

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    # ---------------------------------------------------------------- saving
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model: ``.keras`` (Keras 3 format) or legacy ``.h5``."""

        def write():
            return saving_api.save_model(
                self, filepath, overwrite=overwrite, zipped=zipped, **kwargs
            )

        return (
            write()
            if _layer_mod._SHARDING is None
            else _layer_mod._SHARDING.chief_writes(self, write)
        )

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights to a ``.weights.h5`` file in Keras 3's layout."""

        def write():
            return saving_api.save_weights(
                self, filepath, overwrite=overwrite, max_shard_size=max_shard_size
            )

        return (
            write()
            if _layer_mod._SHARDING is None
            else _layer_mod._SHARDING.chief_writes(self, write)
        )

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from ``.weights.h5``, ``.keras`` or legacy Keras 2 ``.h5`` files."""
        if _layer_mod._SHARDING is not None:  # whole weights loaded, pieces kept (collective)
            with _layer_mod._SHARDING.whole_weights(self, reshard=True):
                return saving_api.load_weights(
                    self, filepath, skip_mismatch=skip_mismatch, **kwargs
                )
        return saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def get_quantization_layer_structure(self, mode=None):
        """``{"pre_block_layers": [...], "sequential_blocks": [...]}`` for GPTQ/AWQ, or ``None``.

        Override it to describe the model's topology (e.g. the embedding, then the
        transformer blocks); the default ``None`` requires the config to give it.
        """
        del mode
        return None

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of every built Dense, EinsumDense and Embedding layer.

        Args:
            mode: ``"int8"``, ``"int4"``, ``"float8"``, ``"gptq"`` or ``"awq"`` (optional
                with ``config``). GPTQ/AWQ calibrate the Dense layers of
                ``config.quantization_layer_structure`` (or of
                :meth:`get_quantization_layer_structure`) block by block on ``config.dataset``.
            config: A :class:`~ketorch.quantizers.QuantizationConfig` (a ``GPTQConfig`` or
                ``AWQConfig`` for those modes).
            filters: Regex (or list of regexes) matched against layer names, or a
                callable taking a layer; only selected layers are quantized.

        Raises:
            ValueError: On an unknown mode, unbuilt or already quantized layers, or GPTQ/AWQ
                without a dataset, tokenizer or layer structure.

        Example:
            >>> import ketorch as keras
            >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
            >>> model.quantize("int8")
            >>> model.layers[0].dtype_policy.name
            'int8_from_float32'
        """

        quantize_model(self, mode, config=config, filters=filters, **kwargs)

    def export(self, filepath, format="onnx", **kwargs):
        """Export for serving: ``format="onnx"`` or ``"torchscript"``/``"torch_export"``."""

        return export.export_model(self, filepath, format=format, **kwargs)

    def to_json(self, **kwargs) -> str:
        """The model's config as Keras's JSON (``keras.models.model_from_json`` reads it).

        Args:
            **kwargs: Passed to ``json.dumps`` (e.g. ``indent``).
        """
        from .cloning import model_to_json  # cloning builds Model subclasses

        return model_to_json(self, **kwargs)

    def _input_specs(self):
        """``[(name, shape, dtype), ...]`` of the model inputs, when known."""
        return None

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def get_config(self):
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model; a Functional config gives a Functional model."""
        if "input_layers" in config and "layers" in config:
            from .functional import Functional  # a subclass of Model: imported at call time

            target = cls if cls is not Model and not issubclass(cls, Functional) else Functional
            return functional_from_config(config, custom_objects, target)
        return super().from_config(config)

    def _is_symbolic(self, x):
        return isinstance(x, KerasTensor)


_FUNCTIONAL_SUBCLASSES: dict = {}


def _functional_subclass_call(cls, args, kwargs) -> bool:
    """Whether a strict Model subclass is being called with Functional-API arguments."""
    # Subclasses of Model, which need this module first.
    from .functional import Functional  # import cycle
    from .sequential import Sequential  # import cycle

    if cls is Model or issubclass(cls, (Functional, Sequential)):
        return False
    inputs = args[0] if args else kwargs.get("inputs")
    has_outputs = len(args) >= 2 or "outputs" in kwargs
    if inputs is None or not has_outputs:
        return False
    flat = list(inputs.values()) if isinstance(inputs, dict) else inputs
    flat = flat if isinstance(flat, (list, tuple)) else [flat]
    return bool(flat) and all(isinstance(t, KerasTensor) for t in flat)


def _with_functional(cls):
    """``cls`` with Functional behind it in the MRO (one class per subclass, cached)."""
    from .functional import Functional  # a Model subclass: needs this module first

    derived = _FUNCTIONAL_SUBCLASSES.get(cls)
    if derived is None:
        derived = type(
            cls.__name__,
            (cls, Functional),
            {"__module__": cls.__module__, "_functional_subclass_of": cls},
        )
        derived.__qualname__ = cls.__qualname__
        _FUNCTIONAL_SUBCLASSES[cls] = derived
    return derived
