"""Initializers: same names, distributions and fan computations as Keras."""

import numpy as np
import pytest
from parity import keras

from ketorch import initializers

SHAPES = [(300, 200), (3, 3, 16, 32)]
NAMES = [
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "random_uniform", "random_normal", "truncated_normal", "uniform", "normal",
    "orthogonal", "zeros", "ones",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", SHAPES)
def test_distribution_matches_keras(name, shape):
    ours = initializers.get(name)(shape).numpy()
    theirs = keras.ops.convert_to_numpy(keras.initializers.get(name)(shape))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.mean(), theirs.mean(), atol=0.01)
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.05, atol=1e-6)
    if "uniform" in name:  # the bound is deterministic: compare it
        np.testing.assert_allclose(np.abs(ours).max(), np.abs(theirs).max(), rtol=0.02, atol=1e-6)


def test_orthogonal_is_orthogonal():
    w = initializers.Orthogonal()((64, 256)).numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(64), atol=1e-5)


def test_variance_scaling_config_and_errors():
    init = initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=3)
    clone = initializers.get({"class_name": "VarianceScaling", "config": init.get_config()})
    np.testing.assert_array_equal(init((4, 5)).numpy(), clone((4, 5)).numpy())
    with pytest.raises(ValueError, match="Received: mode='fan_x'"):
        initializers.VarianceScaling(mode="fan_x")
    with pytest.raises(ValueError, match="Received: initializer='glorot'"):
        initializers.get("glorot")
