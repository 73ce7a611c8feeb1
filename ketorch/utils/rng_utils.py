"""Global seeding of every random number generator ketorch uses."""

from __future__ import annotations

import numbers
import random
import sys

import numpy as np
import torch


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy's global generator and torch (CPU and CUDA).

    Call it once at the top of a script to make weight initialisation,
    shuffling and dropout repeatable. It also resets the global
    ``keras.random`` seed generator behind ``seed=None`` draws, as Keras does.

    Args:
        seed: An integer in `[0, 2**32)` (the range NumPy accepts).

    Raises:
        TypeError: If `seed` is not an integer.
        ValueError: If `seed` is outside `[0, 2**32)`.

    Example:

    >>> set_random_seed(1337)
    >>> a = torch.rand(2)
    >>> set_random_seed(1337)
    >>> bool(torch.equal(a, torch.rand(2)))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"`seed` must be an integer. Received: seed={seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"`seed` must be in [0, 2**32). Received: seed={seed}")
    krandom = sys.modules.get("ketorch.random")
    if krandom is not None:  # the next unseeded draw re-creates it from Python's `random`
        krandom._reset_global_seed_generator()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
