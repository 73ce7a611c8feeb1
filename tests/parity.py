"""Helpers for parity tests against real Keras 3 (torch backend)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, (list, tuple)):
        return [to_numpy(v) for v in x]
    return np.asarray(x)


def compare_layer(ours, theirs, x, atol=1e-5, **call_kwargs):
    """Build both layers on ``x``, copy our weights to Keras, compare outputs."""
    out = ours(torch.as_tensor(x), **call_kwargs)
    theirs(x[:1] if not isinstance(x, list) else [v[:1] for v in x])
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in ours.get_weights()]
    theirs.set_weights(ours.get_weights())
    expected = theirs(x, **call_kwargs)
    got = to_numpy(out)
    expected = to_numpy(expected)
    if isinstance(got, list):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, atol=atol, rtol=1e-5)
    else:
        np.testing.assert_allclose(got, expected, atol=atol, rtol=1e-5)
    return got


def copy_model_weights(src_keras_or_ours, dst):
    dst.set_weights(src_keras_or_ours.get_weights())


__all__ = ["keras", "compare_layer", "copy_model_weights", "to_numpy"]
