"""Preprocessing layers: rescaling, feature normalization, category encoding."""

from .category_encoding import CategoryEncoding
from .normalization import Normalization
from .rescaling import Rescaling

__all__ = ["CategoryEncoding", "Normalization", "Rescaling"]
