"""GPTQConfig: the settings of GPTQ post-training quantization."""

from __future__ import annotations

from ._calibration_config import CalibrationConfig


class GPTQConfig(CalibrationConfig):
    """Settings of GPTQ (Hessian-aware weight quantization calibrated on data).

    ``model.quantize("gptq", config=...)`` calibrates and quantizes the model's ``Dense``
    layers with these settings, block by block (see ``ketorch.quantizers.gptq_core``);
    the settings are validated, serialized, and named in the dtype policy
    ``"gptq/<bits>/<group_size>_from_<source>"``.

    Args:
        dataset: Calibration data (texts or token arrays).
        tokenizer: Turns ``dataset`` texts into token ids.
        weight_bits: 2, 3, 4 or 8.
        num_samples: Calibration samples to use.
        per_channel: One scale per output channel.
        sequence_length: Tokens per calibration sample.
        hessian_damping: Fraction of the mean Hessian diagonal added for stability.
        group_size: Rows per group, or ``-1`` for the whole tensor.
        symmetric: Symmetric (no zero point) quantization.
        activation_order: Quantize columns in order of decreasing Hessian diagonal.
        quantization_layer_structure: ``{"pre_block_layers": ..., "sequential_blocks": ...}``.

    Raises:
        ValueError: If a setting is out of range.

    Example:
        >>> from ketorch.quantizers import GPTQConfig
        >>> config = GPTQConfig(dataset=None, tokenizer=None, weight_bits=4, group_size=64)
        >>> config.mode, config.dtype_policy_string()
        ('gptq', 'gptq/4/64')
    """

    _MODE = "gptq"
    _SETTINGS = (
        "weight_bits",
        "num_samples",
        "per_channel",
        "sequence_length",
        "hessian_damping",
        "group_size",
        "symmetric",
        "activation_order",
        "quantization_layer_structure",
    )

    def __init__(
        self,
        dataset,
        tokenizer,
        *,
        weight_bits: int = 4,
        num_samples: int = 128,
        per_channel: bool = True,
        sequence_length: int = 512,
        hessian_damping: float = 0.01,
        group_size: int = 128,
        symmetric: bool = False,
        activation_order: bool = False,
        quantization_layer_structure: dict | None = None,
    ) -> None:
        super().__init__()
        if weight_bits not in (2, 3, 4, 8):
            raise ValueError(
                f"Unsupported weight_bits {weight_bits}. Supported values are 2, 3, 4, and 8."
            )
        self._check_sizes(num_samples, sequence_length)
        if hessian_damping < 0 or hessian_damping > 1:
            raise ValueError("hessian_damping must be between 0 and 1.")
        self._check_group_size(group_size, "whole-tensor")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure
