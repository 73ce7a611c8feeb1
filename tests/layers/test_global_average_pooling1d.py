import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy

import ketorch
from ketorch.layers.core.embedding import Embedding
from ketorch.layers.pooling.global_average_pooling1d import (
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
)


def test_contract():
    run_layer_contract(
        GlobalAveragePooling1D,
        {},
        (2, 7, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_parity(data_format, keepdims, rng):
    kwargs = {"data_format": data_format, "keepdims": keepdims}
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    ours = GlobalAveragePooling1D(**kwargs)
    got = compare_layer(ours, keras.layers.GlobalAveragePooling1D(**kwargs), x)
    assert got.shape == ours.compute_output_shape(x.shape)
    assert ours.compute_output_shape((None, None, 4)) == tuple(
        keras.layers.GlobalAveragePooling1D(**kwargs).compute_output_shape((None, None, 4))
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_mask_excludes_steps_like_keras(data_format, keepdims, rng):
    kwargs = {"data_format": data_format, "keepdims": keepdims}
    x = rng.standard_normal((3, 4, 6)).astype("float32")
    steps = 4 if data_format == "channels_last" else 6
    mask = np.ones((3, steps), bool)
    mask[0, 2:] = False
    mask[1, 0] = False
    got = GlobalAveragePooling1D(**kwargs)(torch.as_tensor(x), mask=torch.as_tensor(mask))
    expected = keras.layers.GlobalAveragePooling1D(**kwargs)(x, mask=mask)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-6, rtol=1e-5)
    assert getattr(got, "_keras_mask", None) is None  # the mask stops here


def test_masked_values_cannot_leak():
    x = torch.tensor([[[1.0], [3.0], [float("inf")]]])
    mask = torch.tensor([[True, True, False]])
    assert GlobalAveragePooling1D()(x, mask=mask).item() == 2.0


def test_mask_from_embedding_matches_keras(rng):
    def build(lib, emb, pool):
        return lib.Sequential(
            [lib.Input(shape=(6,), dtype="int32"), emb(10, 4, mask_zero=True), pool()]
        )

    ours = build(ketorch, Embedding, GlobalAveragePooling1D)
    theirs = build(keras, keras.layers.Embedding, keras.layers.GlobalAveragePooling1D)
    theirs.set_weights(ours.get_weights())
    tokens = np.array([[3, 4, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]], dtype="int32")
    np.testing.assert_allclose(
        ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), atol=1e-6
    )


def test_config_and_errors():
    assert GlobalAvgPool1D is GlobalAveragePooling1D
    config = GlobalAveragePooling1D(keepdims=True).get_config()
    assert not set(keras.layers.GlobalAveragePooling1D().get_config()) - set(config)
    assert GlobalAveragePooling1D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="Received: data_format='ncw'"):
        GlobalAveragePooling1D(data_format="ncw")
    with pytest.raises(ValueError, match="gap.*expected ndim=3"):
        GlobalAveragePooling1D(name="gap")(torch.ones(2, 3))
    with pytest.raises(ValueError, match="gap_sym.*expected ndim=3"):
        GlobalAveragePooling1D(name="gap_sym")(ketorch.Input(shape=(4, 4, 3)))
