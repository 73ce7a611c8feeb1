"""Every input kind trains exactly like the array path: same batches, weights and History."""

import numpy as np
import pandas as pd
import pytest
import torch

import ketorch as K

N, BATCH, EPOCHS = 40, 8, 2
STEPS = N // BATCH


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(N, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1))).astype("float32")
    return x, y


def _endless(x, y):
    while True:
        for i in range(0, N, BATCH):
            yield x[i : i + BATCH], y[i : i + BATCH]


class _Batches(K.utils.PyDataset):
    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return STEPS

    def __getitem__(self, i):
        return self.x[i * BATCH : (i + 1) * BATCH], self.y[i * BATCH : (i + 1) * BATCH]


def _memmap(tmp_path, name, a):
    m = np.memmap(tmp_path / name, dtype=a.dtype, mode="w+", shape=a.shape)
    m[:] = a
    m.flush()
    return np.memmap(tmp_path / name, dtype=a.dtype, mode="r", shape=a.shape)


def _inputs(kind, x, y, tmp_path):
    """``(fit positional args, extra fit kwargs)`` for one input kind."""
    tensors = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    return {
        "arrays": ((x, y), {"batch_size": BATCH}),
        "tensors": ((torch.tensor(x), torch.tensor(y)), {"batch_size": BATCH}),
        "dataframe": ((pd.DataFrame(x), pd.DataFrame(y)), {"batch_size": BATCH}),
        "memmap": (
            (_memmap(tmp_path, "x.dat", x), _memmap(tmp_path, "y.dat", y)),
            {"batch_size": BATCH},
        ),
        "lists": ((x.tolist(), y.tolist()), {"batch_size": BATCH}),
        "dicts": (({"features": x}, {"out": y}), {"batch_size": BATCH}),
        "generator": ((_endless(x, y),), {"steps_per_epoch": STEPS}),
        "py_dataset": ((_Batches(x, y),), {}),
        "dataloader": ((torch.utils.data.DataLoader(tensors, batch_size=BATCH),), {}),
        "torch_dataset": ((tensors,), {"batch_size": BATCH}),
    }[kind]


def _model(weights=None):
    inp = K.Input((4,), name="features")
    out = K.layers.Dense(1, name="out")(K.layers.Dense(3, activation="tanh")(inp))
    model = K.Model(inp, out)
    if weights is not None:
        model.set_weights(weights)
    model.compile(K.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return model


class _BatchLosses(K.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


def _train(kind, weights, tmp_path):
    x, y = _data()
    args, kwargs = _inputs(kind, x, y, tmp_path)
    model = _model(weights)
    record = _BatchLosses()
    history = model.fit(
        *args, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[record], **kwargs
    )
    return model.get_weights(), history.history, record.losses


KINDS = [
    "tensors", "dataframe", "memmap", "lists", "dicts", "generator", "py_dataset", "dataloader",
    "torch_dataset",
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_input_kind_trains_like_arrays(kind, tmp_path):
    K.utils.set_random_seed(0)
    weights = _model().get_weights()
    ref_w, ref_h, ref_batches = _train("arrays", weights, tmp_path)
    got_w, got_h, got_batches = _train(kind, weights, tmp_path)
    assert len(ref_batches) == EPOCHS * STEPS
    np.testing.assert_allclose(got_batches, ref_batches, rtol=1e-5, atol=1e-6)
    assert got_h.keys() == ref_h.keys()
    for key in ref_h:
        np.testing.assert_allclose(got_h[key], ref_h[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(got_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Training moved the weights (the comparison is not between two untouched models).
    assert not np.allclose(ref_w[0], weights[0])
