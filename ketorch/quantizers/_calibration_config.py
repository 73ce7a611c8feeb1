"""The parts GPTQConfig and AWQConfig share: calibration-data settings, their checks, the
policy name and the (de)serialization of the settings."""

from __future__ import annotations

from .quantization_config import QuantizationConfig


class CalibrationConfig(QuantizationConfig):
    """Base of the configs of the modes calibrated on data (``"gptq"``, ``"awq"``).

    Subclasses set ``_MODE`` and ``_SETTINGS`` (the attribute names ``get_config`` saves
    after ``dataset`` and ``tokenizer``, in order) and check their own settings.
    """

    _MODE = ""
    _SETTINGS: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        return self._MODE

    @staticmethod
    def _check_sizes(num_samples: int, sequence_length: int) -> None:
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")

    @staticmethod
    def _check_group_size(group_size: int, minus_one: str) -> None:
        """``minus_one``: what ``group_size=-1`` means for the mode."""
        if group_size < -1 or group_size == 0:
            raise ValueError(
                f"Invalid group_size. Supported values are -1 ({minus_one}) or a positive "
                f"integer, but got {group_size}."
            )

    def dtype_policy_string(self) -> str:
        """The mode part of the policy name: ``"<mode>/<bits>/<group_size>"``."""
        return f"{self.mode}/{self.weight_bits}/{self.group_size}"

    def get_config(self) -> dict:
        """The settings; ``dataset`` and ``tokenizer`` are not saved (``None``)."""
        config = {"dataset": None, "tokenizer": None}
        config.update((name, getattr(self, name)) for name in self._SETTINGS)
        return config

    @classmethod
    def from_config(cls, config: dict) -> CalibrationConfig:
        return cls(**config)
