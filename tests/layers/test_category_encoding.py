import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy

import ketorch
from ketorch.layers.preprocessing import CategoryEncoding


def _compare(ours, theirs, x, **kwargs):
    got = ours(torch.as_tensor(x), **{k: torch.as_tensor(v) for k, v in kwargs.items()})
    expected = theirs(x, **kwargs)
    np.testing.assert_array_equal(to_numpy(got), to_numpy(expected))
    return got


def test_contract():
    for mode, shape, out in [
        ("multi_hot", (3, 4), (3, 6)),
        ("one_hot", (3,), (3, 6)),
        ("count", (3, 4), (3, 6)),
    ]:
        run_layer_contract(
            CategoryEncoding, {"num_tokens": 6, "output_mode": mode}, shape, input_dtype="int32",
            int_high=6, expected_output_shape=out, expected_num_trainable_weights=0,
        )  # fmt: skip


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(5,), (5, 1), (5, 4)])
def test_parity(mode, shape, rng):
    ids = rng.integers(0, 6, shape)
    got = _compare(CategoryEncoding(6, mode), keras.layers.CategoryEncoding(6, mode), ids)
    sym = CategoryEncoding(6, mode)(ketorch.Input(shape[1:], dtype="int32")).shape
    ref = keras.layers.CategoryEncoding(6, mode)(keras.Input(shape[1:], dtype="int32")).shape
    assert sym == tuple(ref)
    if len(shape) > 1:
        assert sym == (None,) + tuple(got.shape[1:])
    assert got.dtype == torch.float32


def test_count_weights_parity(rng):
    ids = rng.integers(0, 6, (5, 4))
    w = rng.random((5, 4)).astype("float32")
    got = CategoryEncoding(6, "count")(torch.as_tensor(ids), count_weights=torch.as_tensor(w))
    expected = keras.layers.CategoryEncoding(6, "count")(ids, count_weights=w)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-6)


def test_examples_and_out_of_range_ids():
    assert CategoryEncoding(4, "count")(torch.tensor([[0, 1, 1, 3]])).tolist() == [[1, 2, 0, 1]]
    assert CategoryEncoding(4)(torch.tensor([[0, 1, 1, 3]])).tolist() == [[1, 1, 0, 1]]
    assert CategoryEncoding(3, "one_hot")(torch.tensor([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert CategoryEncoding(3)(torch.tensor([[5, -1, 1]])).tolist() == [[0, 1, 0]]


def test_config():
    ours = CategoryEncoding(5, "binary").get_config()
    theirs = keras.layers.CategoryEncoding(5).get_config()
    assert ours["output_mode"] == "multi_hot" and ours["num_tokens"] == 5
    assert set(theirs) <= set(ours)


def test_errors():
    with pytest.raises(ValueError, match=r"Received: num_tokens=None"):
        CategoryEncoding()
    with pytest.raises(ValueError, match=r"Received: num_tokens=0"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match=r"Received: output_mode='tf_idf'"):
        CategoryEncoding(3, "tf_idf")
    with pytest.raises(ValueError, match=r"Received: sparse=True"):
        CategoryEncoding(3, sparse=True)
    with pytest.raises(ValueError, match=r"count_weights.*output_mode='multi_hot'"):
        CategoryEncoding(3)(torch.tensor([[1]]), count_weights=torch.ones(1, 1))
