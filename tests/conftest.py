"""Shared fixtures: real Keras runs on the torch backend; seeds and names reset per test."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("KETORCH_DEVICE", "cpu")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_session():
    ketorch.clear_session()
    torch.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
