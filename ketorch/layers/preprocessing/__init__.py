"""Preprocessing layers: rescaling, normalization, encoding, hashing, image augmentation."""

from .category_encoding import CategoryEncoding
from .normalization import Normalization
from .rescaling import Rescaling

__all__ = ["CategoryEncoding", "Normalization", "Rescaling"]
