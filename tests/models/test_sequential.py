import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch.layers import Dense, Dropout, Embedding, Flatten
from ketorch.models import Sequential


def test_three_ways_to_give_the_input():
    a = Sequential([ketorch.Input(shape=(4,)), Dense(3)])
    b = Sequential([Dense(3, input_shape=(4,))])
    c = Sequential()
    c.add(Dense(3, input_dim=4))
    for m in (a, b, c):
        assert m.output_shape == (None, 3)
        assert m.built and len(m.weights) == 2


def test_deferred_build_from_data():
    model = Sequential([Dense(5, activation="relu"), Dense(1)])
    assert not model.built
    model.compile("adam", "mse")
    model.fit(np.random.rand(16, 7), np.random.rand(16, 1), verbose=0)
    assert model.built and model.layers[0].get_weights()[0].shape == (7, 5)
    assert model.output_shape == (None, 1)


def test_add_pop_layers_and_names():
    model = Sequential(name="stack")
    model.add(ketorch.Input((4,)))
    model.add(Dense(8, name="hidden"))
    model.add(Dense(2))
    assert [layer.name for layer in model.layers] == ["hidden", "dense"]
    popped = model.pop()
    assert popped.name == "dense" and model.output_shape == (None, 8)
    assert model.get_layer("hidden") is model.layers[0]
    assert model.get_layer(index=0) is model.layers[0]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")


def test_duplicate_names_and_bad_layers():
    model = Sequential([Dense(2, name="d")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="d"))
    with pytest.raises(TypeError, match="Only instances of `keras.layers.Layer`"):
        model.add("dense")


def test_shape_error_at_build_names_layer():
    reused = Dense(2, name="reused")
    reused(torch.ones(1, 4))
    model = Sequential([ketorch.Input((5,)), Dense(7)])
    with pytest.raises(ValueError, match=r"layer 'reused'.*value 4.*\(None, 7\)"):
        model.add(reused)


def test_is_a_torch_module_with_parameters():
    model = Sequential([ketorch.Input((4,)), Dense(3), Dropout(0.1), Dense(1)])
    assert isinstance(model, torch.nn.Module)
    params = list(model.parameters())
    assert len(params) == 4
    state = model.state_dict()
    clone = Sequential([ketorch.Input((4,)), Dense(3), Dropout(0.1), Dense(1)])
    clone.load_state_dict(state)
    x = torch.randn(2, 4)
    assert torch.equal(model(x), clone(x))


def test_trainable_false_freezes(rng):
    model = Sequential([ketorch.Input((4,)), Dense(3), Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    frozen = model.layers[0].get_weights()
    model.compile("sgd", "mse")
    model.fit(rng.random((32, 4)), rng.random((32, 1)), verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_call_on_numpy_returns_tensor():
    model = Sequential([ketorch.Input((4,)), Dense(2)])
    out = model(np.ones((3, 4)))
    assert isinstance(out, torch.Tensor) and out.shape == (3, 2)


def test_count_params_and_get_weights_match_keras():
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((10,), dtype="int32"),
                lib.layers.Embedding(50, 8),
                lib.layers.Flatten(),
                lib.layers.Dense(1),
            ]
        )

    ours, theirs = build(ketorch), build(keras)
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]


def test_embedding_input_length_sequential_builds_on_data():
    model = Sequential(
        [Embedding(100, 8, input_length=10), Flatten(), Dense(1, activation="sigmoid")]
    )
    model.compile("rmsprop", "binary_crossentropy", metrics=["acc"])
    h = model.fit(np.random.randint(0, 100, (32, 10)), np.random.randint(0, 2, 32), verbose=0)
    assert list(h.history) == ["acc", "loss"]
