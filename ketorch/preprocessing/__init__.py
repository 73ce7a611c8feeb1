"""Legacy preprocessing import paths (`keras.preprocessing.sequence`, `.text`)."""

from ketorch.preprocessing import sequence, text

__all__ = ["sequence", "text"]
