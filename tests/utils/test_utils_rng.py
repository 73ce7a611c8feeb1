import random

import numpy as np
import pytest
import torch

import ketorch.preprocessing
import ketorch.utils
from ketorch.utils import set_random_seed


def _draws():
    return random.random(), np.random.rand(3), torch.rand(3), torch.randn(2, 2)


def test_same_seed_same_draws():
    set_random_seed(42)
    a = _draws()
    set_random_seed(42)
    b = _draws()
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    assert torch.equal(a[2], b[2]) and torch.equal(a[3], b[3])
    set_random_seed(43)
    assert not torch.equal(a[2], torch.rand(3))


def test_numpy_integer_seed_accepted():
    set_random_seed(np.int64(7))


@pytest.mark.parametrize("seed", [1.5, "1", None, True])
def test_non_int_seed_raises(seed):
    with pytest.raises(TypeError, match=f"Received: seed={seed!r}"):
        set_random_seed(seed)


def test_out_of_range_seed_raises():
    with pytest.raises(ValueError, match="Received: seed=-1"):
        set_random_seed(-1)


def test_public_api():
    expected = {
        "pad_sequences",
        "to_categorical",
        "normalize",
        "Progbar",
        "plot_history",
        "set_random_seed",
    }
    assert expected <= set(ketorch.utils.__all__)
    for name in expected:
        assert getattr(ketorch.utils, name) is not None
    assert ketorch.preprocessing.sequence.pad_sequences is ketorch.utils.pad_sequences
