"""Legacy import path `ketorch.preprocessing.sequence` (Keras 2 tutorials use it)."""

from ketorch.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
