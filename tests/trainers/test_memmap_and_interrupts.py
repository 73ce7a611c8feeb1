"""Arrays larger than memory (np.memmap) are read a batch at a time; loaders shut down cleanly."""

import threading
import time

import numpy as np
import pytest

import ketorch
from ketorch.layers import Dense
from ketorch.trainers import data_adapters as da


def _model():
    m = ketorch.Sequential([ketorch.Input((16,)), Dense(8, activation="relu"), Dense(1)])
    m.compile("sgd", "mse")
    return m


def test_memmap_trains_lazily_and_equals_in_memory(tmp_path):
    n = 2000
    path = tmp_path / "x.dat"
    mm = np.memmap(path, dtype="float64", mode="w+", shape=(n, 16))
    rng = np.random.default_rng(0)
    mm[:] = rng.random((n, 16))
    mm.flush()
    x = np.memmap(path, dtype="float64", mode="r", shape=(n, 16))
    y = rng.random((n, 1)).astype("float32")
    assert isinstance(da._to_tensor(x, "x"), da.LazyArray)

    ketorch.utils.set_random_seed(0)
    a = _model()
    b = _model()
    b.set_weights(a.get_weights())
    a.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0)
    b.fit(np.asarray(x), y, batch_size=64, epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    # Shuffled epochs, validation split and predict also work on the memmap.
    h = a.fit(x, y, batch_size=64, epochs=2, validation_split=0.1, verbose=0)
    assert len(h.history["val_loss"]) == 2
    assert a.predict(x, verbose=0).shape == (n, 1)


def test_lazy_array_slicing_rules():
    big = np.zeros((300_000, 64), dtype="float32")  # 76 MB: a large slice stays lazy
    lazy = da.LazyArray(big)
    assert isinstance(lazy[1000:], da.LazyArray)
    assert tuple(lazy[:32].shape) == (32, 64)
    import torch

    assert tuple(lazy[torch.tensor([5, 1, 7])].shape) == (3, 64)


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name.startswith("ketorch-prefetch")]


def test_generator_error_at_batch_7_stops_fit_and_threads():
    def gen():
        for i in range(20):
            if i == 7:
                raise RuntimeError("corrupt record 7")
            yield np.zeros((4, 16), "float32"), np.zeros((4, 1), "float32")

    m = _model()
    with pytest.raises(RuntimeError, match="corrupt record 7") as info:
        m.fit(gen(), steps_per_epoch=20, verbose=0)
    assert any("batch 7" in n for n in getattr(info.value, "__notes__", []))
    time.sleep(0.5)
    assert not _prefetch_threads()
    m.fit(np.zeros((8, 16)), np.zeros((8, 1)), verbose=0)  # the model is still usable


def test_keyboard_interrupt_mid_epoch_leaves_no_loader_threads():
    class Interrupt(ketorch.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                raise KeyboardInterrupt

    def gen():
        while True:
            yield np.zeros((4, 16), "float32"), np.zeros((4, 1), "float32")

    m = _model()
    with pytest.warns(RuntimeWarning, match="interrupted"):
        history = m.fit(gen(), steps_per_epoch=50, epochs=2, verbose=0, callbacks=[Interrupt()])
    assert history.epoch == [0]  # stopped after the step, History kept
    time.sleep(0.5)
    assert not _prefetch_threads()


def test_pydataset_worker_crash_surfaces_with_index():
    class Data(ketorch.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=2, max_queue_size=4)

        def __len__(self):
            return 10

        def __getitem__(self, i):
            if i == 6:
                raise ValueError("cannot decode image 6")
            return np.zeros((4, 16), "float32"), np.zeros((4, 1), "float32")

    m = _model()
    with pytest.raises(ValueError, match="cannot decode image 6") as info:
        m.fit(Data(), verbose=0, shuffle=False)
    assert any("batch 6" in n for n in getattr(info.value, "__notes__", []))
