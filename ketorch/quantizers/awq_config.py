"""AWQConfig: the settings of activation-aware weight quantization."""

from __future__ import annotations

from ._calibration_config import CalibrationConfig


class AWQConfig(CalibrationConfig):
    """Settings of AWQ (4-bit weights with per-channel scales searched on data).

    ``model.quantize("awq", config=...)`` searches the scales and quantizes the model's
    ``Dense`` layers with these settings, block by block (see
    ``ketorch.quantizers.gptq_core``); the settings are validated, serialized, and named
    in the dtype policy ``"awq/4/<group_size>_from_<source>"``.

    Args:
        dataset: Calibration data.
        tokenizer: Turns ``dataset`` texts into token ids.
        weight_bits: Must be 4.
        num_samples: Calibration samples to use.
        sequence_length: Tokens per calibration sample.
        group_size: Rows per group, or ``-1`` per channel.
        num_grid_points: Candidate scales tried in the search.
        quantization_layer_structure: ``{"pre_block_layers": ..., "sequential_blocks": ...}``.

    Raises:
        ValueError: If a setting is out of range.

    Example:
        >>> from ketorch.quantizers import AWQConfig
        >>> AWQConfig(dataset=None, tokenizer=None).dtype_policy_string()
        'awq/4/128'
    """

    _MODE = "awq"
    _SETTINGS = (
        "weight_bits",
        "num_samples",
        "sequence_length",
        "group_size",
        "num_grid_points",
        "quantization_layer_structure",
    )

    def __init__(
        self,
        dataset,
        tokenizer,
        *,
        weight_bits: int = 4,
        num_samples: int = 128,
        sequence_length: int = 512,
        group_size: int = 128,
        num_grid_points: int = 20,
        quantization_layer_structure: dict | None = None,
    ) -> None:
        super().__init__()
        if weight_bits != 4:
            raise ValueError(
                f"AWQ only supports 4-bit quantization. Received weight_bits={weight_bits}."
            )
        self._check_sizes(num_samples, sequence_length)
        self._check_group_size(group_size, "per-channel")
        if num_grid_points <= 0:
            raise ValueError("num_grid_points must be a positive integer.")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure
