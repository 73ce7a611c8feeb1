"""A Functional model's training flag reaches layers whose node recorded ``training``."""

import numpy as np
import torch
from parity import keras

import ketorch


def test_keras_saved_dropout_is_active_in_training(tmp_path):
    # Keras records `training=False` in the graph for layers whose call defaults to it
    # (Dropout, SpectralNormalization); as in Keras, the model's flag overrides it.
    inputs = keras.Input((50,))
    model = keras.Model(inputs, keras.layers.Dropout(0.5)(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = ketorch.saving.load_model(path)
    x = torch.ones(4, 50)
    assert torch.equal(loaded(x), x)
    dropped = loaded(x, training=True)
    assert (dropped == 0).any() and set(np.unique(dropped.numpy())) <= {0.0, 2.0}


def test_recorded_training_applies_when_the_call_does_not_say():
    inputs = ketorch.Input((20,))
    model = ketorch.Model(inputs, ketorch.layers.Dropout(0.5)(inputs, training=True))
    assert (model(torch.ones(3, 20)) == 0).any()  # recorded True, call says nothing
    assert torch.equal(model(torch.ones(3, 20), training=False), torch.ones(3, 20))
