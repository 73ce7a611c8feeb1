"""``keras.legacy``: Keras 3's ``legacy.saving`` and Keras 2's ``legacy.interfaces``."""

from . import interfaces, saving

__all__ = ["interfaces", "saving"]
