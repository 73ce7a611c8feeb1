"""Quantization configs: which mode ``quantize()`` runs and with which quantizers."""

from __future__ import annotations

from ..dtype_policies import Int4DTypePolicy
from ..dtype_policies.quantized_policy import QUANTIZATION_MODES
from .quantizer import AbsMaxQuantizer


def _serialize(obj):
    from . import serialize  # import cycle: this module is imported by the one imported here

    return serialize(obj)


def _deserialize(config):
    from . import deserialize  # import cycle: this module is imported by the one imported here

    return None if config is None else deserialize(config)


class QuantizationConfig:
    """Base of the per-mode configs passed to ``quantize(config=...)``.

    Args:
        weight_quantizer: Quantizer of the weights (``None``: the mode's default).
        activation_quantizer: Quantizer of the inputs (``None``: inputs stay float).

    Example:
        >>> from ketorch.quantizers import Int8QuantizationConfig
        >>> Int8QuantizationConfig().mode
        'int8'
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None) -> None:
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self) -> str:
        """The quantization mode; subclasses define it."""
        raise NotImplementedError(
            "Subclasses must implement this property. Do not instantiate QuantizationConfig "
            "directly."
        )

    def get_config(self) -> dict:
        return {
            "weight_quantizer": _serialize(self.weight_quantizer),
            "activation_quantizer": _serialize(self.activation_quantizer),
        }

    @classmethod
    def from_config(cls, config: dict) -> QuantizationConfig:
        return cls(
            weight_quantizer=_deserialize(config.get("weight_quantizer")),
            activation_quantizer=_deserialize(config.get("activation_quantizer")),
        )

    @staticmethod
    def weight_quantizer_or_default(config, default):
        """``config.weight_quantizer`` if set, else ``default``."""
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        """``config.activation_quantizer`` when a config is given (even ``None``), else ``default``."""
        return config.activation_quantizer if config is not None else default


class Int8QuantizationConfig(QuantizationConfig):
    """int8 weights; inputs quantized per call by an abs-max quantizer unless told otherwise.

    Args:
        weight_quantizer: int8 weight quantizer (default: abs-max per output channel).
        activation_quantizer: Input quantizer; ``"default"`` is an
            :class:`AbsMaxQuantizer`, ``None`` keeps inputs in float.

    Raises:
        ValueError: If the weight quantizer does not output int8.

    Example:
        >>> from ketorch.quantizers import Int8QuantizationConfig
        >>> type(Int8QuantizationConfig().activation_quantizer).__name__
        'AbsMaxQuantizer'
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default") -> None:

        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if weight_quantizer is not None and weight_quantizer.output_dtype != "int8":
            raise ValueError(
                "Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                f"Received: output_dtype={weight_quantizer.output_dtype}"
            )

    @property
    def mode(self) -> str:
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """int4 weights (two per byte), per output channel or in groups of input rows.

    Args:
        weight_quantizer: Per-channel weight quantizer with ``value_range=(-8, 7)``.
        activation_quantizer: Input quantizer; ``"default"`` means none.
        block_size: Rows per group for sub-channel quantization (scale and zero point
            per group); ``None`` or ``-1`` means one scale per output channel.

    Raises:
        ValueError: On a bad ``block_size``, custom quantizers with groups, or a weight
            quantizer that is not int8 in ``[-8, 7]``.

    Example:
        >>> from ketorch.quantizers import Int4QuantizationConfig
        >>> Int4QuantizationConfig(block_size=64).get_config()["block_size"]
        64
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(
                "block_size must be None, -1, or a positive integer. "
                f"Received: block_size={block_size}"
            )
        self.block_size = block_size
        grouped = block_size is not None and block_size > 0
        if grouped and (weight_quantizer is not None or activation_quantizer is not None):
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom "
                "quantizers. Set block_size to None or -1 for per-channel quantization, or "
                f"remove the custom quantizer arguments. Received: block_size={block_size}"
            )
        if weight_quantizer is not None:
            if tuple(weight_quantizer.value_range) != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with "
                    f"value_range=(-8, 7). Received: value_range={weight_quantizer.value_range}"
                )
            if weight_quantizer.output_dtype != "int8":
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with "
                    f"output_dtype='int8'. Received: output_dtype={weight_quantizer.output_dtype}"
                )

    @property
    def mode(self) -> str:
        return "int4"

    def get_config(self) -> dict:
        config = super().get_config()
        config["block_size"] = self.block_size
        return config

    @classmethod
    def from_config(cls, config: dict) -> Int4QuantizationConfig:
        return cls(
            weight_quantizer=_deserialize(config.get("weight_quantizer")),
            activation_quantizer=_deserialize(config.get("activation_quantizer")),
            block_size=config.get("block_size"),
        )


class Float8QuantizationConfig(QuantizationConfig):
    """float8 training (delayed scaling); it takes no custom quantizers.

    Example:
        >>> from ketorch.quantizers import Float8QuantizationConfig
        >>> Float8QuantizationConfig().mode, Float8QuantizationConfig().get_config()
        ('float8', {})
    """

    def __init__(self) -> None:
        super().__init__(None, None)

    @property
    def mode(self) -> str:
        return "float8"

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Float8QuantizationConfig:
        return cls()


def _check_mode(mode) -> None:
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
            f"Received: mode={mode}"
        )


def validate_and_resolve_config(mode, config) -> QuantizationConfig:
    """The config ``quantize(mode, config)`` runs with (a default one for a bare mode).

    Raises:
        ValueError: On an unknown mode, a missing or mistyped config, or a mode that
            contradicts the config.
    """
    from .awq_config import AWQConfig  # import cycle
    from .gptq_config import GPTQConfig  # import cycle

    if isinstance(config, str):
        mode, config = config, None
    _check_mode(mode)
    if config is None:
        defaults = {
            "int8": Int8QuantizationConfig,
            "int4": Int4QuantizationConfig,
            "float8": Float8QuantizationConfig,
        }
        if mode in defaults:
            return defaults[mode]()
        if mode == "gptq":
            raise ValueError(
                "For GPTQ, you must pass a `GPTQConfig` object in the `config` argument."
            )
        if mode == "awq":
            raise ValueError(
                "For AWQ, you must pass an `AWQConfig` object in the `config` argument."
            )
        raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    if not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={config} (of type {type(config)})"
        )
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _check_mode(config.mode)
    for name, cls in (("gptq", GPTQConfig), ("awq", AWQConfig)):
        if config.mode == name and not isinstance(config, cls):
            raise ValueError(
                f"Mode '{name}' requires a valid `config` argument of type `{cls.__name__}`. "
                f"Received: {type(config)}"
            )
    return config


def block_size_for_layer(layer, config):
    """The int4 group size: from ``config``, else the layer's ``Int4DTypePolicy``; ``None`` per channel."""

    if isinstance(config, Int4QuantizationConfig):
        return config.block_size
    policy = layer.dtype_policy
    if isinstance(policy, Int4DTypePolicy):
        return None if policy.block_size == -1 else policy.block_size
    return None
