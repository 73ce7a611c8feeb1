"""Host-memory allocator settings that keep large tensor buffers out of the page-fault path.

PyTorch allocates CPU tensors with ``malloc``. glibc serves every block above its mmap
threshold (at most 32 MiB) with a fresh ``mmap`` and returns it with ``munmap`` on free, so a
training step that creates large activations or dense embedding gradients maps, zero-fills
and unmaps the same hundreds of megabytes every step. On the 2-core benchmark machine this
page-fault churn was a third of the CNN's CPU time and made the LSTM's backward erratic.

``tune_allocator`` tells glibc to serve large blocks from its heap instead and to keep up to
1 GiB of freed heap for reuse, so the second step onwards reuses the first step's pages.
ketorch calls it once at import; set ``KETORCH_MALLOC_TUNING=0`` before importing ketorch to
leave the allocator alone. It does nothing outside glibc (macOS, Windows, musl).

Example:
    >>> from ketorch.utils.allocator import tune_allocator
    >>> isinstance(tune_allocator(), bool)
    True
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt(3) parameter numbers from <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4

_TRIM_THRESHOLD = 1 << 30  # keep up to 1 GiB of freed heap before returning it to the OS
_TOP_PAD = 64 << 20  # grow the heap 64 MiB at a time

_STATE = {"tuned": None}


def tune_allocator(force: bool = False) -> bool:
    """Make glibc reuse freed large blocks instead of unmapping them.

    Args:
        force: Apply the settings even when ``KETORCH_MALLOC_TUNING=0`` is set.

    Returns:
        Whether the settings are in effect (False off glibc, when disabled, or on failure).
    """
    if _STATE["tuned"] is not None and not force:
        return _STATE["tuned"]
    tuned = False
    enabled = force or os.environ.get("KETORCH_MALLOC_TUNING", "1") != "0"
    if enabled and platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        try:
            libc = ctypes.CDLL("libc.so.6")
            tuned = bool(
                libc.mallopt(_M_MMAP_MAX, 0)
                and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
                and libc.mallopt(_M_TOP_PAD, _TOP_PAD)
            )
        except (OSError, AttributeError):
            tuned = False
    _STATE["tuned"] = tuned
    return tuned


def allocator_tuned() -> bool:
    """Whether ``tune_allocator`` has put its settings in effect in this process."""
    return bool(_STATE["tuned"])
