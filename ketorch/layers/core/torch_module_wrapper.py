"""TorchModuleWrapper: use any ``torch.nn.Module`` as a layer."""

from __future__ import annotations

import base64
import io

import torch
from torch import nn

from ...saving.serialization import in_safe_mode
from ..layer import Layer


class TorchModuleWrapper(Layer):
    """Run a ``torch.nn.Module`` as a layer; its parameters become the layer's weights.

    Every ketorch layer already is an ``nn.Module``, so this only registers
    the module's parameters as weights (trainable when they require
    gradients), so that they are trained, counted and listed by
    ``get_weights``. The module runs in train mode unless the call is made
    with ``training=False`` (as ``predict`` and ``evaluate`` do).

    ``get_config`` pickles the module with ``torch.save`` (base64), so loading
    such a config runs pickle: it is refused unless safe mode is off
    (``safe_mode=False`` or ``ketorch.config.enable_unsafe_deserialization()``).

    Args:
        module: The ``torch.nn.Module`` (lazy modules must be initialized).
        name: Optional layer name.
        output_shape: Optional output shape, for ``compute_output_shape``
            without running the module.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import TorchModuleWrapper
        >>> layer = TorchModuleWrapper(torch.nn.Linear(3, 2))
        >>> layer(torch.ones(4, 3)).shape, [w.shape for w in layer.get_weights()]
        (torch.Size([4, 2]), [(2, 3), (2,)])
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(module, nn.Module):
            raise ValueError(
                "Argument `module` of TorchModuleWrapper must be a `torch.nn.Module`. "
                f"Received: module={module!r}"
            )
        lazy = isinstance(module, nn.modules.lazy.LazyModuleMixin)
        if lazy and module.has_uninitialized_params():
            raise ValueError(
                "LazyModules are not supported unless they are already initialized. "
                f"Received uninitialized LazyModule: module={module}"
            )
        self.module = module
        self._declared_output_shape = None if output_shape is None else tuple(output_shape)
        for key, param in module.named_parameters():
            param._keras_name = key
            param._keras_trainable = param.requires_grad
            target = self._trainable_weights if param.requires_grad else self._non_trainable_weights
            target.append(param)
        self.built = True

    def call(self, *args, training=None, **kwargs):
        self.module.train(training is not False)
        return self.module(*args, **kwargs)

    def keras_named_variables(self) -> dict:
        """The module's ``state_dict`` (parameters and buffers): what a weights file holds
        for this layer, under the same keys as Keras writes."""
        return self.module.state_dict(keep_vars=True)

    def compute_output_shape(self, input_shape):
        if self._declared_output_shape is None:
            raise NotImplementedError  # inferred by running the module without data
        return self._declared_output_shape

    def get_config(self):
        config = super().get_config()
        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        config["module"] = base64.b64encode(buffer.getvalue()).decode("ascii")
        config["output_shape"] = self._declared_output_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):

        config = dict(config)
        if isinstance(config.get("module"), str):
            safe = in_safe_mode() if safe_mode is None else safe_mode
            if safe is not False:
                raise ValueError(
                    "Requested the deserialization of a `torch.nn.Module` object via "
                    "`torch.load()`, which runs pickle and can execute arbitrary code, so it is "
                    "refused by default. If you trust the source of the artifact, pass "
                    "`safe_mode=False` to the loading function or call "
                    "`ketorch.config.enable_unsafe_deserialization()`."
                )
            data = base64.b64decode(config["module"].encode("ascii"))
            config["module"] = torch.load(io.BytesIO(data), weights_only=False)
        return cls(**config)
