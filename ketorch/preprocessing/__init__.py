"""Legacy preprocessing import paths (`keras.preprocessing.sequence` and friends)."""

from ketorch.preprocessing import sequence

__all__ = ["sequence"]
