import json

import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy

import ketorch
from ketorch.layers.preprocessing import Normalization


def _compare(ours, theirs, x, atol=1e-5):
    np.testing.assert_allclose(
        to_numpy(ours(torch.as_tensor(x))), to_numpy(theirs(x)), atol=atol, rtol=1e-5
    )


def test_contract():
    run_layer_contract(
        Normalization,
        {"axis": -1},
        (4, 3),
        expected_output_shape=(4, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=3,
        supports_masking=True,
    )
    run_layer_contract(
        Normalization, {"mean": 1.0, "variance": 4.0}, (4, 3), expected_num_non_trainable_weights=0
    )


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1, (-1, -2)])
@pytest.mark.parametrize("invert", [False, True])
def test_adapt_parity(axis, invert, rng):
    data = (rng.standard_normal((40, 3, 4)) * 3 + 1).astype("float32")
    ours, theirs = (
        Normalization(axis=axis, invert=invert),
        keras.layers.Normalization(axis=axis, invert=invert),
    )
    ours.adapt(data)
    theirs.adapt(data)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert [w.dtype for w in ours.get_weights()] == [w.dtype for w in theirs.get_weights()]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    _compare(ours, theirs, data[:5])


def test_adapt_on_batches_equals_whole_array(rng):
    data = (rng.standard_normal((50, 4)) * 2 + 3).astype("float32")
    whole, batched, gen = Normalization(), Normalization(), Normalization()
    whole.adapt(data)
    batched.adapt([data[:7], data[7:30], data[30:]])
    gen.adapt((data[i : i + 8], np.zeros(8)) for i in range(0, 50, 8))  # (x, y) batches
    loader = torch.utils.data.DataLoader(torch.as_tensor(data), batch_size=16)
    from_loader = Normalization()
    from_loader.adapt(loader)
    for layer in (batched, gen, from_loader):
        for a, b in zip(whole.get_weights()[:2], layer.get_weights()[:2]):
            np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(whole.get_weights()[0], data.mean(0), atol=1e-5)
    np.testing.assert_allclose(whole.get_weights()[1], data.var(0), atol=1e-4)


@pytest.mark.parametrize(
    "mean,variance,axis",
    [
        (2.0, 3.0, -1),
        ([1.0, 2.0, 3.0, 4.0], [1.0, 4.0, 9.0, 0.5], -1),
        ([[1.0] * 4] * 3, [[2.0] * 4] * 3, (1, 2)),
    ],
)
def test_fixed_statistics_parity(mean, variance, axis, rng):
    x = rng.standard_normal((5, 3, 4)).astype("float32")
    ours = Normalization(axis=axis, mean=mean, variance=variance)
    theirs = keras.layers.Normalization(axis=axis, mean=mean, variance=variance)
    _compare(ours, theirs, x)
    assert ours.get_weights() == [] and ours.get_config()["mean"] == theirs.get_config()["mean"]


def test_config_and_save_round_trip(tmp_path, rng):
    data = rng.standard_normal((20, 3)).astype("float32")
    layer = Normalization()
    layer.adapt(data)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axis"] == [-1] and config["mean"] is None
    assert layer.get_build_config() == {"input_shape": [20, 3]}
    clone = Normalization.from_config(config)
    clone.build_from_config(layer.get_build_config())
    clone.set_weights(layer.get_weights())
    assert torch.allclose(clone(torch.as_tensor(data)), layer(torch.as_tensor(data)))
    keras_cfg = keras.layers.Normalization().get_config()
    assert set(keras_cfg) <= set(layer.get_config())


def test_in_model_standardizes(rng):
    data = (rng.standard_normal((64, 3)) * 5 + 2).astype("float32")
    norm = Normalization()
    norm.adapt(data)
    model = ketorch.Sequential([ketorch.Input((3,)), norm])
    out = model(torch.as_tensor(data))
    assert torch.allclose(out.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(out.std(0, correction=0), torch.ones(3), atol=1e-4)
    assert norm.trainable_weights == []


def test_errors():
    with pytest.raises(ValueError, match=r"both `mean` and `variance`.*Received: mean=1.0"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match=r"Received: axis='x'"):
        Normalization(axis="x")
    with pytest.raises(ValueError, match=r"Layer 'n' \(Normalization\).*Received: axis=\(3,\)"):
        Normalization(axis=3, name="n").build((None, 4))
    with pytest.raises(ValueError, match=r"known sizes.*Received: axis=\(1,\)"):
        Normalization(axis=1).build((None, None, 3))
    with pytest.raises(ValueError, match=r"cannot be adapted"):
        Normalization(mean=1.0, variance=1.0).adapt(np.ones((2, 3)))
    layer = Normalization(name="n2")
    layer.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"Layer 'n2'.*Received: data.shape=\(4, 5\)"):
        layer.adapt(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"empty"):
        Normalization().adapt([])
