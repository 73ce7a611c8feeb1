"""``keras.SymbolicScope``: marks code that runs only to learn shapes and dtypes.

Keras opens one while it infers output specs; ketorch does the same work on meta tensors, and
:func:`in_symbolic_scope` is true there too.

Example:
    >>> import ketorch as keras
    >>> from ketorch.backend.symbolic_scope import in_symbolic_scope
    >>> with keras.SymbolicScope():
    ...     inside = in_symbolic_scope()
    >>> inside, in_symbolic_scope()
    (True, False)
"""

from __future__ import annotations

import threading

from ..layers import shape_inference

_LOCAL = threading.local()


class SymbolicScope:
    """A scope for the symbolic (shape inference) stage; nests, one per thread."""

    def __enter__(self):
        self.original_scope = getattr(_LOCAL, "scope", None)
        _LOCAL.scope = self
        return self

    def __exit__(self, *exc):
        _LOCAL.scope = self.original_scope
        return False


def get_symbolic_scope():
    """The innermost open :class:`SymbolicScope` of this thread, or ``None``."""
    return getattr(_LOCAL, "scope", None)


def in_symbolic_scope() -> bool:
    """Whether a :class:`SymbolicScope` is open, or layers are being run for shapes only."""
    if getattr(_LOCAL, "scope", None) is not None:
        return True

    return shape_inference.inferring()
