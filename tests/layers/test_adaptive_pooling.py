"""AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D."""

import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch import layers as L

SHAPES = {1: (2, 10, 3), 2: (2, 9, 7, 3), 3: (2, 5, 6, 7, 3)}
SIZES = {1: 4, 2: (3, 2), 3: 2}
NAMES = [f"Adaptive{m}Pooling{r}D" for m in ("Average", "Max") for r in (1, 2, 3)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(name, data_format, rng):
    rank = int(name[-2])
    x = rng.standard_normal(SHAPES[rank]).astype("float32")
    kwargs = dict(output_size=SIZES[rank], data_format=data_format)
    out = compare_layer(getattr(L, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x)
    assert getattr(L, name)(**kwargs).compute_output_shape(x.shape) == out.shape


def test_windows_cover_uneven_lengths():
    # 5 steps into 3 cells: windows [0, 2), [1, 4), [3, 5).
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]).reshape(1, 5, 1)
    avg = L.AdaptiveAveragePooling1D(3)(x).flatten().tolist()
    assert avg == pytest.approx([1.5, 3.0, 4.5])
    assert L.AdaptiveMaxPooling1D(3)(x).flatten().tolist() == [2.0, 4.0, 5.0]


@pytest.mark.parametrize("name", NAMES)
def test_contract(name):
    rank = int(name[-2])
    run_layer_contract(getattr(L, name), {"output_size": 2}, SHAPES[rank],
                       expected_num_trainable_weights=0)  # fmt: skip


def test_any_input_size_in_a_model(rng):
    inputs = ketorch.Input((None, None, 3))
    model = ketorch.Model(inputs, L.AdaptiveAveragePooling2D((2, 2))(inputs))
    assert model.output_shape == (None, 2, 2, 3)
    for size in (4, 7):
        x = rng.standard_normal((1, size, size + 1, 3)).astype("float32")
        assert model.predict(x, verbose=0).shape == (1, 2, 2, 3)


@pytest.mark.parametrize("name", NAMES)
def test_config_matches_keras(name):
    ours, theirs = getattr(L, name)(3).get_config(), getattr(keras.layers, name)(3).get_config()
    assert set(ours) == set(theirs)
    assert tuple(ours["output_size"]) == tuple(theirs["output_size"])
    assert getattr(L, name).from_config(ours).get_config() == ours


def test_errors():
    with pytest.raises(TypeError, match="tuple of 2 integers"):
        L.AdaptiveMaxPooling2D((1, 2, 3))
    with pytest.raises(ValueError, match="positive integers"):
        L.AdaptiveAveragePooling1D(0)
    with pytest.raises(ValueError, match="data_format"):
        L.AdaptiveAveragePooling3D(2, data_format="channels_middle")
    # More cells than steps: windows overlap (cell 2 of 8 covers steps 0 and 1).
    got = L.AdaptiveMaxPooling1D(8)(torch.arange(3.0).reshape(1, 3, 1)).flatten().tolist()
    assert got == [0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
