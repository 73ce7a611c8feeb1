"""Array conversion shared by the visualization functions."""

from __future__ import annotations

import numpy as np
import torch


def to_numpy(x) -> np.ndarray:
    """A NumPy array from a tensor (any device) or array-like."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)
