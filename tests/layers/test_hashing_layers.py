"""Hashing, HashedCrossing and Discretization.

Keras's Hashing and HashedCrossing need TensorFlow, which the test environment does not have,
so their bins are checked against the values Keras's own tests expect (TensorFlow's FarmHash
and SipHash), and the hashes against published test vectors. Discretization is compared with
Keras directly.
"""

import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy

import ketorch
from ketorch.layers import Discretization, HashedCrossing, Hashing
from ketorch.layers.preprocessing.hash_functions import fingerprint64, siphash

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]
NAMES = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]


def test_fingerprint64_vectors():
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F
    # Lengths 4, 16+, 32, 33-64 and the >64 loop (the Guava / FarmHash reference values).
    assert fingerprint64(b"test") == 8581389452482819506
    assert fingerprint64(b"test" * 8) == (-4196240717365766262) % 2**64
    assert fingerprint64(b"test" * 64) == 3500507768004279527
    assert fingerprint64(b"dXB@tDQ-v5<H]rq2Pcc*s>nC-[Mdy") == 8365906589669344754
    assert fingerprint64(b"ECCD828C-5D7A-4C8B-9A1B-F244747E96C3") == 9693850515132481856
    assert fingerprint64(b"Q") == 13816109650407654260


def test_siphash_vector():
    # SipHash-2-4 reference: key 00..0f, message 00..0e.
    key = (int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little"))
    assert siphash(key, bytes(range(15))) == 0xA129CA6149BE45E5


@pytest.mark.parametrize(
    "kwargs,inputs,expected",
    [
        ({"num_bins": 3}, LETTERS, [[1], [0], [1], [1], [2]]),
        ({"num_bins": 3, "mask_value": ""}, [["A"], ["B"], [""], ["C"], ["D"]],
         [[1], [1], [0], [2], [2]]),
        ({"num_bins": 3, "salt": [133, 137]}, LETTERS, [[1], [2], [1], [0], [2]]),
        ({"num_bins": 3, "salt": 133}, LETTERS, [[0], [0], [2], [1], [0]]),
        ({"num_bins": 2}, NAMES, [[0], [0], [1], [0], [0]]),
        ({"num_bins": 3, "mask_value": "omar"}, NAMES, [[0], [1], [2], [1], [1]]),
        ({"num_bins": 2, "salt": [133, 137]}, NAMES, [[0], [1], [0], [1], [0]]),
        ({"num_bins": 2, "salt": [211, 137]}, NAMES, [[1], [0], [1], [0], [1]]),
        ({"num_bins": 3}, np.array([[0], [1], [2], [3], [4]]), [[1], [0], [1], [0], [2]]),
        ({"num_bins": 3, "salt": [133, 137]}, np.array([[0], [1], [2], [3], [4]]),
         [[1], [1], [2], [0], [1]]),
        ({"num_bins": 1}, np.asarray(LETTERS), [[0]] * 5),
        ({"num_bins": 2}, [[1, 2], [2, 3], [3, 4]], [[1, 1], [1, 1], [1, 1]]),
    ],
)  # fmt: skip
def test_hashing_bins_equal_keras(kwargs, inputs, expected):
    out = Hashing(**kwargs)(inputs)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.int64
    assert out.tolist() == expected


def test_hashing_input_kinds_and_output_modes():
    expected = [1, 0, 1, 0, 2]
    for data in ([0, 1, 2, 3, 4], (0, 1, 2, 3, 4), np.arange(5), torch.arange(5)):
        assert Hashing(3)(data).tolist() == expected
    assert Hashing(3)(np.arange(5, dtype="float32") + 0.5).tolist() == expected  # truncated
    assert Hashing(3)([b"A", b"B"]).tolist() == [1, 0]
    one_hot = Hashing(3, output_mode="one_hot")(np.arange(5))
    assert one_hot.tolist() == np.eye(3)[expected].tolist() and one_hot.dtype == torch.float32
    assert Hashing(3, output_mode="multi_hot")(np.array([[0, 1, 2, 3, 4]])).tolist() == [
        [1.0, 1.0, 1.0]
    ]
    assert Hashing(3, output_mode="count")(np.arange(5)).tolist() == [2.0, 2.0, 1.0]
    assert Hashing(3, dtype="int32")(["a"]).dtype == torch.int32


def test_hashing_symbolic_and_config():
    inputs = ketorch.Input((4,), dtype="int32")
    out = Hashing(3, output_mode="one_hot")(inputs[:, :1])
    assert tuple(out.shape) == (None, 3)
    model = ketorch.Model(inputs, Hashing(5)(inputs))
    assert (
        model(np.arange(8).reshape(2, 4)).tolist()
        == Hashing(5)(np.arange(8).reshape(2, 4)).tolist()
    )
    layer = Hashing(4, salt=7, mask_value=0, name="h")
    config = layer.get_config()
    assert config["salt"] == [7, 7] and config["name"] == "h"
    assert Hashing.from_config(config).get_config() == config


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"num_bins": None}, "cannot be `None` or non-positive"),
        ({"num_bins": 0}, "cannot be `None` or non-positive"),
        ({"num_bins": 3, "output_mode": "bad"}, "Invalid value for argument `output_mode`"),
        ({"num_bins": 3, "salt": "x"}, "salt"),
        ({"num_bins": 3, "output_mode": "int", "dtype": "float32"}, "integer type"),
        ({"num_bins": 3, "sparse": True}, "sparse"),
    ],
)
def test_hashing_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Hashing(**kwargs)


def test_hashed_crossing_bins_equal_keras():
    feat1 = np.array(["A", "B", "A", "B", "A"])
    feat2 = np.array([101, 101, 101, 102, 102])
    assert HashedCrossing(num_bins=5)((feat1, feat2)).tolist() == [1, 4, 1, 1, 3]
    one_hot = HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2))
    assert one_hot.tolist() == np.eye(5)[[1, 4, 1, 1, 3]].tolist()
    assert HashedCrossing(10)((np.array("A"), np.array(101))).tolist() == 1
    column = HashedCrossing(5)((feat1[:, None], feat2[:, None]))
    assert column.tolist() == [[1], [4], [1], [1], [3]]
    assert HashedCrossing(5)([list(feat1), torch.tensor(feat2)]).tolist() == [1, 4, 1, 1, 3]
    assert HashedCrossing(2)((np.array([1]), np.array([1]))).dtype == torch.int64
    assert HashedCrossing(2, dtype="int32")((np.array([1]), np.array([1]))).dtype == torch.int32


def test_hashed_crossing_errors_and_config():
    with pytest.raises(ValueError, match="should be called on a list"):
        HashedCrossing(10)(np.array(1))
    with pytest.raises(ValueError, match="at least two inputs"):
        HashedCrossing(10)([np.array(1)])
    with pytest.raises(ValueError, match="inputs should have shape"):
        HashedCrossing(10)((np.array([[[1]]]), np.array([[[1]]])))
    with pytest.raises(ValueError, match="integer or string dtype"):
        HashedCrossing(10)((np.array([1.0]), np.array([1.0])))
    layer = HashedCrossing(7, output_mode="one_hot", name="cross")
    config = layer.get_config()
    assert config == {
        "num_bins": 7,
        "output_mode": "one_hot",
        "sparse": False,
        "name": "cross",
        "dtype": "float32",
    }
    assert HashedCrossing.from_config(config).get_config() == config
    a, b = ketorch.Input((1,), dtype="int64"), ketorch.Input((1,), dtype="int64")
    assert tuple(HashedCrossing(4, output_mode="one_hot")([a, b]).shape) == (None, 4)


# ---------------------------------------------------------------- Discretization
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_equals_keras(mode, rng):
    x = rng.normal(size=(20, 4)).astype("float32")
    if mode == "one_hot":
        x = x[:, :1]
    kwargs = {"bin_boundaries": [-1.0, 0.0, 1.0], "output_mode": mode}
    got, expected = Discretization(**kwargs)(x), keras.layers.Discretization(**kwargs)(x)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(to_numpy(got), to_numpy(expected))
    ours = Discretization(name="d", **kwargs).get_config()
    assert ours == keras.layers.Discretization(name="d", **kwargs).get_config()


def test_discretization_values_on_the_boundaries():
    layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = layer([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
    assert out.tolist() == [[0, 2, 3, 1], [1, 3, 2, 1]] and out.dtype == torch.int32


def _keras_adapted(num_bins, epsilon, batches):
    # Keras's adapt() needs TensorFlow for its dataset check; its state updates do not.
    layer = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    layer.reset_state()
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()
    return layer


def test_discretization_adapt_equals_keras(rng):
    x = rng.normal(size=(200, 3)).astype("float32")
    ours = Discretization(num_bins=5)
    ours.adapt(x)
    theirs = _keras_adapted(5, 0.01, [x])
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    batches = [x[i : i + 30] for i in range(0, 200, 30)]
    ours = Discretization(num_bins=4, epsilon=0.05)
    ours.adapt(batches)
    theirs = _keras_adapted(4, 0.05, batches)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(ours(x)), to_numpy(theirs(x)))
    # The adapted boundaries travel in the config, for ketorch and Keras alike.
    config = ours.get_config()
    assert Discretization.from_config(config).bin_boundaries == ours.bin_boundaries
    assert keras.layers.Discretization.from_config(config).bin_boundaries == ours.bin_boundaries
    ours.adapt(torch.from_numpy(x), steps=1)  # tensors are adapted in one go


def test_discretization_in_a_saved_model(tmp_path, rng):
    x = rng.normal(size=(6, 3)).astype("float32")
    layer = Discretization(num_bins=3)
    layer.adapt(x)
    inputs = ketorch.Input((3,))
    model = ketorch.Model(inputs, layer(inputs))
    path = str(tmp_path / "d.keras")
    model.save(path)
    loaded = ketorch.models.load_model(path)
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({}, "either `num_bins` or `bin_boundaries`"),
        ({"num_bins": 2, "bin_boundaries": [0.0]}, "should not be set"),
        ({"num_bins": -1}, "greater than or equal to 0"),
        ({"bin_boundaries": [0.0], "output_mode": "bad"}, "output_mode"),
    ],
)
def test_discretization_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Discretization(**kwargs)


def test_discretization_needs_boundaries_or_adapt():
    with pytest.raises(ValueError, match="adapt"):
        Discretization(num_bins=3)(np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match="Cannot adapt"):
        Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))


def test_discretization_contract_one_hot():
    run_layer_contract(
        Discretization,
        {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"},
        (4, 1),
        expected_output_shape=(4, 3),
    )
