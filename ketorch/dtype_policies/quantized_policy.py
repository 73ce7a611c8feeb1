"""Quantized dtype policies: a float policy plus the way its weights were quantized.

A quantized policy is named ``"<mode>_from_<source>"``: ``"int8_from_float32"`` is a
layer that computes in float32 and stores int8 weights. The modes with extra settings
carry them in the mode string: ``"int4/<block_size>"``, ``"gptq/<bits>/<group_size>"``
and ``"awq/<bits>/<group_size>"``.

Example:
    >>> from ketorch.dtype_policies import QuantizedDTypePolicy
    >>> policy = QuantizedDTypePolicy("int8", "float32")
    >>> policy.name, policy.quantization_mode, policy.compute_dtype
    ('int8_from_float32', 'int8', 'float32')
"""

from __future__ import annotations

from ..mixed_precision.policy import DTypePolicy, _parse, global_policy

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class QuantizedDTypePolicy(DTypePolicy):
    """A policy whose layer stores quantized weights and computes in ``source_name``.

    Args:
        mode: One of ``"int8"``, ``"float8"``, ``"int4"``, ``"gptq"``, ``"awq"``.
        source_name: The float policy the layer computes in (``"float32"``,
            ``"mixed_bfloat16"``, ...); ``None`` means the global policy.

    Raises:
        ValueError: If ``mode`` is unknown, or int8 is asked with float16 compute.

    Example:
        >>> policy = QuantizedDTypePolicy("int8", "mixed_bfloat16")
        >>> policy.name, policy.compute_dtype, policy.variable_dtype
        ('int8_from_mixed_bfloat16', 'bfloat16', 'float32')
    """

    def __init__(self, mode: str, source_name: str | None = None) -> None:
        if source_name is None:
            source_name = global_policy().name
        self._compute_dtype, self._variable_dtype = _parse(source_name)
        if mode not in QUANTIZATION_MODES:
            raise ValueError(
                f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                f"Received: mode={mode}"
            )
        if mode == "int8" and self._compute_dtype == "float16":
            raise ValueError(
                f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'."
            )
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    @property
    def source_name(self) -> str:
        """The name of the float policy the layer computes in."""
        return self._source_name

    def get_config(self) -> dict:
        """``{"mode": ..., "source_name": ...}``, as Keras writes it."""
        return {"mode": self._quantization_mode, "source_name": self._source_name}

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(self._name)


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The float8 training policy, with the length of its amax histories.

    Args:
        mode: ``"float8"``.
        source_name: The float policy the layer computes in.
        amax_history_length: How many past absolute maxima the scaling factors use.

    Example:
        >>> policy = QuantizedFloat8DTypePolicy("float8", "float32", 16)
        >>> policy.get_config()
        {'mode': 'float8', 'source_name': 'float32', 'amax_history_length': 16}
    """

    default_amax_history_length = 1024

    def __init__(self, mode: str, source_name: str | None = None, amax_history_length=1024):
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int) or isinstance(amax_history_length, bool):
            raise TypeError(
                "`amax_history_length` must be an integer. "
                f"Received: amax_history_length={amax_history_length}"
            )
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self) -> int:
        """The length of the ``*_amax_history`` weights."""
        return self._amax_history_length

    def get_config(self) -> dict:
        config = super().get_config()
        config["amax_history_length"] = self._amax_history_length
        return config


def _split_mode(mode, prefix, count, cls_name, fmt):
    parts = mode.split("/") if isinstance(mode, str) else []
    if len(parts) != count + 1 or parts[0] != prefix:
        raise ValueError(f"Invalid mode for {cls_name}. Expected format {fmt}, but got '{mode}'.")
    try:
        return [int(p) for p in parts[1:]]
    except ValueError:
        raise ValueError(
            f"Invalid mode for {cls_name}: the numbers must be integers. Expected format "
            f"{fmt}, but got '{mode}'."
        ) from None


def _check_group(value, what, mode):
    if value < -1 or value == 0:
        raise ValueError(
            f"Invalid {what} in mode. Supported values are -1 (per-channel) or a positive "
            f"integer, but got {value} from '{mode}'."
        )


class Int4DTypePolicy(QuantizedDTypePolicy):
    """The int4 policy; its mode ``"int4/<block_size>"`` records the group size.

    Args:
        mode: ``"int4/<block_size>"``; ``-1`` means one scale per output channel.
        source_name: The float policy the layer computes in.

    Example:
        >>> policy = Int4DTypePolicy("int4/128", "float32")
        >>> policy.name, policy.block_size, policy.quantization_mode
        ('int4/128_from_float32', 128, 'int4')
    """

    def __init__(self, mode: str, source_name: str | None = None) -> None:
        (block_size,) = _split_mode(mode, "int4", 1, "Int4DTypePolicy", "'int4/<block_size>'")
        _check_group(block_size, "block_size", mode)
        super().__init__("int4", source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def get_config(self) -> dict:
        return {"mode": f"int4/{self.block_size}", "source_name": self._source_name}


class GPTQDTypePolicy(QuantizedDTypePolicy):
    """The GPTQ policy; its mode ``"gptq/<weight_bits>/<group_size>"`` records the settings.

    Args:
        mode: ``"gptq/<weight_bits>/<group_size>"``, bits in 2, 3, 4 or 8.
        source_name: The float policy the layer computes in.

    Example:
        >>> GPTQDTypePolicy("gptq/4/128", "float32").weight_bits
        4
    """

    def __init__(self, mode: str, source_name: str | None = None) -> None:
        fmt = "'gptq/<weight_bits>/<group_size>'"
        bits, group_size = _split_mode(mode, "gptq", 2, "GPTQDTypePolicy", fmt)
        if bits not in (2, 3, 4, 8):
            raise ValueError(
                "Invalid weight_bits in mode. Supported values are 2, 3, 4, and 8, but got "
                f"{bits} from '{mode}'."
            )
        _check_group(group_size, "group_size", mode)
        super().__init__("gptq", source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = "gptq"
        self.weight_bits = bits
        self.group_size = group_size

    def get_config(self) -> dict:
        return {
            "mode": f"{self.mode}/{self.weight_bits}/{self.group_size}",
            "source_name": self._source_name,
        }


class AWQDTypePolicy(QuantizedDTypePolicy):
    """The AWQ policy; its mode ``"awq/4/<group_size>"`` records the settings.

    Args:
        mode: ``"awq/4/<group_size>"`` (AWQ quantizes to 4 bits only).
        source_name: The float policy the layer computes in.

    Example:
        >>> AWQDTypePolicy("awq/4/64", "float32").group_size
        64
    """

    def __init__(self, mode: str, source_name: str | None = None) -> None:
        fmt = "'awq/<weight_bits>/<group_size>'"
        bits, group_size = _split_mode(mode, "awq", 2, "AWQDTypePolicy", fmt)
        if bits != 4:
            raise ValueError(
                "Invalid weight_bits in mode. AWQ only supports 4-bit quantization, but got "
                f"{bits} from '{mode}'."
            )
        _check_group(group_size, "group_size", mode)
        super().__init__("awq", source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = "awq"
        self.weight_bits = bits
        self.group_size = group_size

    get_config = GPTQDTypePolicy.get_config


def policy_from_string(name: str) -> QuantizedDTypePolicy:
    """The quantized policy named ``"<mode>_from_<source>"``."""
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError(
            "Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
            f"`QuantizedDTypePolicy`. Received: policy={name}"
        )
    mode, source = parts
    if mode.startswith("int4/"):
        return Int4DTypePolicy(mode, source)
    if mode.startswith("gptq"):
        return GPTQDTypePolicy(mode, source)
    if mode.startswith("awq"):
        return AWQDTypePolicy(mode, source)
    if mode == "float8":
        return QuantizedFloat8DTypePolicy(mode, source)
    return QuantizedDTypePolicy(mode, source)
