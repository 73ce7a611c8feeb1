"""``keras.ops.core``."""

from __future__ import annotations

__all__: list[str] = []
