"""ModelCheckpoint: file names, best-only, weights-only, batch frequency."""

import os

import numpy as np
import pytest

import ketorch
import ketorch.saving
from ketorch.callbacks.model_checkpoint import ModelCheckpoint


def _model():
    model = ketorch.Sequential([ketorch.Input((3,)), ketorch.layers.Dense(1)])
    model.compile(ketorch.optimizers.SGD(0.05), "mse", metrics=["mae"])
    x = np.random.default_rng(0).random((40, 3), dtype=np.float32)
    return model, x, x.sum(1, keepdims=True)


def test_epoch_formatting_and_every_epoch(tmp_path):
    model, x, y = _model()
    pattern = str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.keras")
    model.fit(
        x, y, epochs=3, validation_split=0.25, callbacks=[ModelCheckpoint(pattern)], verbose=0
    )
    names = sorted(os.listdir(tmp_path))
    assert [n[:5] for n in names] == ["m-01-", "m-02-", "m-03-"]
    loaded = ketorch.saving.load_model(str(tmp_path / names[-1]))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_save_best_only_and_mode(tmp_path):
    model, x, y = _model()
    seen = []

    class Spy(ketorch.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["loss"])

    path = str(tmp_path / "best.weights.h5")
    best = ModelCheckpoint(path, monitor="loss", save_best_only=True, save_weights_only=True)
    model.fit(x, y, epochs=4, callbacks=[best, Spy()], verbose=0)
    assert best.best == min(seen)
    worst = ModelCheckpoint(
        str(tmp_path / "w.keras"), monitor="loss", mode="max", save_best_only=True
    )
    model.fit(x, y, epochs=3, callbacks=[worst], verbose=0)
    assert os.path.exists(tmp_path / "w.keras")


def test_save_freq_batches(tmp_path):
    model, x, y = _model()
    pattern = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    cb = ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)
    model.fit(x, y, batch_size=8, epochs=2, callbacks=[cb], verbose=0)  # 5 batches/epoch
    assert sorted(os.listdir(tmp_path)) == [
        "e1-b3.weights.h5",
        "e2-b1.weights.h5",
        "e2-b4.weights.h5",
    ]


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        ModelCheckpoint(str(tmp_path / "x.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match=r"\.keras"):
        ModelCheckpoint(str(tmp_path / "x.txt"))
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint(str(tmp_path / "x.keras"), save_freq="often")
