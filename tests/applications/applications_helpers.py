"""Helpers shared by the applications tests."""

from __future__ import annotations

import os

import h5py
import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

import ketorch  # noqa: E402


def fresh() -> None:
    """Both libraries start naming layers from scratch."""
    keras.utils.clear_session()
    ketorch.clear_session()


def assert_same_outputs(got, want, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Predictions agree; `atol` is relative to the output's scale, so that the tiny
    outputs of randomly initialized deep networks are compared as strictly as large ones."""
    got, want = np.asarray(got), np.asarray(want)
    scale = float(np.abs(want).max())
    assert scale > 0 and np.ptp(want) > 0, "degenerate outputs: the comparison means nothing"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale)


def write_legacy_h5(model, path) -> None:
    """A weights file in the legacy layout of Keras's published ImageNet files."""
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def plausible_weights(model, seed: int = 0) -> None:
    """Trained-looking normalization statistics and scales of about 0.5 (the initial
    kernels stay). Randomly initialized deep networks amplify float rounding chaotically
    (Keras's own EfficientNetV2L changes its output by half for a 1e-6 change of its
    input); damped ones are stable, so comparing two libraries' outputs means something."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape, path = tuple(w.shape), w.path
        if path.endswith("variance"):
            w.assign(rng.uniform(0.5, 2.0, shape).astype("float32"))
        elif path.endswith("mean"):
            w.assign(rng.normal(0.0, 0.5, shape).astype("float32"))
        elif path.endswith("gamma"):
            w.assign(rng.uniform(0.4, 0.6, shape).astype("float32"))
        elif path.endswith("beta"):
            w.assign(rng.normal(0.0, 0.1, shape).astype("float32"))
