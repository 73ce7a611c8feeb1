"""A slow, obvious NumPy reference of TensorFlow's N-D max/average pooling (channels_last).

Keras's documented "same" semantics are TensorFlow's: ``ceil(n / stride)``
outputs, the padding split evenly with the odd cell after, and padded cells
ignored (not a max candidate, not counted in a mean). Keras 3.15's own torch
backend replicates edge values into asymmetric "same" padding of average
pooling, which counts them in the mean; the tests compare against Keras where
both agree and against this reference everywhere.
"""

import itertools

import numpy as np


def _axis_windows(n, k, s, padding):
    if padding == "valid":
        return [range(o * s, o * s + k) for o in range((n - k) // s + 1)]
    out = -(-n // s)
    total = max(0, (out - 1) * s + k - n)
    lo = total // 2
    return [range(max(0, o * s - lo), min(n, o * s - lo + k)) for o in range(out)]


def pool_reference(x, pool_size, strides, padding, mode):
    """Pool a channels_last array ``(batch, *spatial, channels)``."""
    spatial = x.shape[1:-1]
    windows = [_axis_windows(n, k, s, padding) for n, k, s in zip(spatial, pool_size, strides)]
    out = np.zeros((x.shape[0], *(len(w) for w in windows), x.shape[-1]), x.dtype)
    for pos in itertools.product(*(range(len(w)) for w in windows)):
        sub = x
        for a, p in enumerate(pos):
            sub = np.take(sub, list(windows[a][p]), axis=a + 1)
        reduce = np.max if mode == "max" else np.mean
        out[(slice(None), *pos, slice(None))] = reduce(
            sub.reshape(x.shape[0], -1, x.shape[-1]), axis=1
        )
    return out
