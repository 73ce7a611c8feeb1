"""Sequential: a plain stack of layers, each feeding the next.

Example:
    >>> import ketorch as keras
    >>> model = keras.Sequential([
    ...     keras.Input(shape=(784,)),
    ...     keras.layers.Dense(64, activation="relu"),
    ...     keras.layers.Dense(10, activation="softmax"),
    ... ])
    >>> model.output_shape
    (None, 10)
"""

from __future__ import annotations

import torch

from .. import backend
from ..backend._variable import name_scope
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer
from ..layers.node import KerasTensor
from .model import Model
from .model_config import sequential_config, sequential_from_config


class Sequential(Model):
    """A model made of a list of single-input, single-output layers.

    The input is given by an ``Input(shape=...)`` first element, by
    ``input_shape=``/``input_dim=`` on the first layer, or taken from the first
    batch of data (deferred build).

    Args:
        layers: Optional list of layers (an ``Input`` tensor may come first).
        trainable: Whether the weights are trainable.
        name: Model name (``"sequential"`` by default).
    """

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(
            name=name or backend.unique_name("sequential"), trainable=trainable, **kwargs
        )
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._output_tensor: KerasTensor | None = None
        self.built = False
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(
                    "Sequential expects a list of layers. Received: "
                    f"layers={layers!r} of type {type(layers).__name__}"
                )
            for layer in layers:
                self.add(layer, rebuild=False)
            self._rebuild()

    # -------------------------------------------------------------- editing
    def add(self, layer, rebuild: bool = True) -> None:
        """Append a layer (or an ``Input`` tensor as the very first element).

        Raises:
            TypeError: If ``layer`` is not a Layer.
            ValueError: If its name is already used in this model, or an
                ``Input`` comes after other layers.
        """
        if isinstance(layer, KerasTensor):
            origin = layer._keras_history[0]
            if not isinstance(origin, InputLayer):
                raise ValueError(
                    "Only an `Input()` tensor can be added to a Sequential model as a tensor. "
                    f"Received: a tensor produced by layer '{origin.name}'"
                )
            layer = origin
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    "An `Input` must be the first element of a Sequential model. "
                    f"Received: {layer.name} after {[lay.name for lay in self._stack]}"
                )
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                "Only instances of `keras.layers.Layer` can be added to a Sequential model. "
                f"Received: {layer!r} (of type {type(layer).__name__})"
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                "All layers added to a Sequential model should have unique names. Name "
                f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                "argument to pass a unique name."
            )
        if not self._stack and self._input_layer is None and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(
                batch_shape=layer._batch_input_shape,
                dtype=getattr(layer, "_batch_input_dtype", None),
            )
        self._stack.append(layer)
        # Positional module keys (as nn.Sequential) keep state_dict keys stable across
        # instances, whatever the automatic layer names are.
        self.add_module(str(len(self._stack) - 1), layer)
        if rebuild:
            if self._output_tensor is not None:
                self._output_tensor = layer(self._output_tensor)
            else:
                self._rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer.

        Raises:
            ValueError: If the model has no layers.
        """
        if not self._stack:
            raise ValueError("There are no layers in the model.")
        layer = self._stack.pop()
        for key, module in list(self._modules.items()):
            if module is layer:
                del self._modules[key]
        self._output_tensor = None
        self.built = False
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self):
        self._output_tensor = None
        if self._input_layer is None or not self._stack:
            return
        x = self._input_layer.output_tensor
        with name_scope(self.name):  # layers built here get paths like "sequential/dense/kernel"
            for layer in self._stack:
                x = layer(x)
        self._output_tensor = x
        self.built = True

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch axis included)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential model '{self.name}' cannot be built without an input shape. "
                    "Add `keras.Input(shape=...)` first or call `build((None, ...))`."
                )
        else:
            shape = tuple(input_shape)
            if self._input_layer is None or tuple(self._input_layer.batch_shape) != shape:
                self._input_layer = InputLayer(batch_shape=(None,) + shape[1:])
        self._rebuild()
        self.built = True

    def _maybe_build(self, args, kwargs):
        x = args[0] if args else next(iter(kwargs.values()))
        if self._input_layer is None:
            dtype = backend.standardize_dtype(x.dtype) if isinstance(x, torch.Tensor) else None
            if dtype is not None and dtype.startswith("int"):
                dtype = "int32"
            self._input_layer = InputLayer(batch_shape=(None,) + tuple(x.shape[1:]), dtype=dtype)
        self._rebuild()
        self.built = True

    # -------------------------------------------------------------- forward
    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        if not self.built:
            self.build(input_shape)
        shape = input_shape
        for layer in self._stack:
            shape = layer.compute_output_spec(KerasTensor(shape)).shape
        return shape

    # ------------------------------------------------------------- metadata
    @property
    def layers(self) -> list[Layer]:
        """The layers, without the InputLayer (as Keras)."""
        return list(self._stack)

    @property
    def inputs(self):
        return [self._input_layer.output_tensor] if self._input_layer is not None else None

    @property
    def outputs(self):
        return [self._output_tensor] if self._output_tensor is not None else None

    @property
    def input(self):
        return self._input_layer.output_tensor if self._input_layer is not None else None

    @property
    def output(self):
        return self._output_tensor

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        if self._output_tensor is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        return self._output_tensor.shape

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_layer is not None else []

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    def _input_specs(self):
        if self._input_layer is None:
            return None
        layer = self._input_layer
        return [(layer.name, layer.batch_shape, layer.dtype)]

    def get_config(self):
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return sequential_from_config(config, custom_objects, Sequential)
