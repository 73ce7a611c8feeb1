"""Constructor argument checks shared by the audio preprocessing layers.

Each raises a Keras-style ``ValueError`` naming the argument and ending with
``Received: name=value``.
"""

from __future__ import annotations

import numbers


def check_positive_int(value, arg: str, layer: str, allow_none: bool = False):
    """Raise unless ``value`` is a positive (non-bool) integer (or ``None`` if allowed)."""
    if value is None and allow_none:
        return value
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Argument `{arg}` of {layer} must be a positive integer"
            f"{' or None' if allow_none else ''}. Received: {arg}={value!r}"
        )
    return value


def check_number(value, arg: str, layer: str, positive: bool = False, allow_none: bool = False):
    """Raise unless ``value`` is a real (non-bool) number, ``> 0`` if ``positive``."""
    if value is None and allow_none:
        return value
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or (positive and not value > 0)
    ):
        kind = "a positive number" if positive else "a number"
        raise ValueError(
            f"Argument `{arg}` of {layer} must be {kind}"
            f"{' or None' if allow_none else ''}. Received: {arg}={value!r}"
        )
    return value
