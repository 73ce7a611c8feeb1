"""keras.ops.numpy: products, contractions, selection and indexing."""

from __future__ import annotations

__all__: list[str] = []
