"""Keras 2 path ``keras.utils.layer_utils``: ``count_params``, ``print_summary``, ``get_source_inputs``."""

from ..backend.keras2 import count_params as _count_one
from .config_utils import get_source_inputs
from .summary_utils import print_summary


def count_params(weights) -> int:
    """The total number of scalars in a list of weights."""
    return int(sum(_count_one(w) for w in weights))


__all__ = ["count_params", "get_source_inputs", "print_summary"]
