"""Adapted vocabularies travel in the .keras file as assets (Keras's assets/ layout)."""

import zipfile

import numpy as np
import torch

import ketorch


def test_adapted_lookup_vocabulary_survives_save_and_load(tmp_path):
    lookup = ketorch.layers.IntegerLookup()
    lookup.adapt(np.array([7, 7, 7, 3, 3, 9]))
    inputs = ketorch.Input((4,), dtype="int64")
    outputs = ketorch.layers.Dense(2)(ketorch.layers.Embedding(10, 3)(lookup(inputs)))
    model = ketorch.Model(inputs, outputs)
    x = torch.tensor([[7, 3, 9, 5]])
    expected = model(x).detach().numpy()
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assets = [n for n in zf.namelist() if n.startswith("assets/")]
    assert assets and assets[0].endswith("vocabulary.txt")
    loaded = ketorch.models.load_model(path)
    lookup2 = next(lay for lay in loaded.layers if isinstance(lay, ketorch.layers.IntegerLookup))
    assert lookup2.get_vocabulary() == lookup.get_vocabulary()
    np.testing.assert_allclose(loaded(x).detach().numpy(), expected, rtol=1e-6)
