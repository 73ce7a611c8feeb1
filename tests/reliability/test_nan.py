"""NaN and divergence: reported without a callback, stopped by TerminateOnNaN, weights restorable."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ketorch as keras
from ketorch.callbacks import Callback, TerminateOnNaN

# fit() warns at the end of an epoch with a NaN loss; one test checks that warning itself.
pytestmark = pytest.mark.filterwarnings("ignore:fit\\(\\):RuntimeWarning")


def _data(bad_row=40):
    rng = np.random.default_rng(0)
    x = rng.random((64, 4), dtype=np.float32)
    y = rng.random((64, 1), dtype=np.float32)
    if bad_row is not None:
        x[bad_row] = np.nan  # batch 2 of 4 with batch_size=16 and no shuffle
    return x, y


def _model(optimizer="adam", bn=True):
    layers = [keras.Input((4,)), keras.layers.Dense(8, activation="relu")]
    if bn:
        layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(1))
    model = keras.Sequential(layers)
    model.compile(optimizer, "mse", metrics=["mae"])
    return model


class _WeightsAtBatchBegin(Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append([w.copy() for w in self.model.get_weights()])


def test_without_callback_nan_is_reported_in_progress_line_history_and_warning(capsys):
    x, y = _data()
    model = _model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=2)
    out = capsys.readouterr().out
    assert "loss: nan" in out
    assert all(np.isnan(v) for v in history.history["loss"])
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len([m for m in messages if "training loss is nan" in m]) == 2
    assert any("TerminateOnNaN" in m for m in messages)


def test_terminate_on_nan_stops_at_first_bad_batch(capsys):
    x, y = _data()
    model = _model()
    seen = _WeightsAtBatchBegin()
    history = model.fit(
        x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[seen, TerminateOnNaN()]
    )
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out
    assert len(seen.seen) == 3  # batches 0, 1, 2 ran; 3 and later epochs did not
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])


def test_terminate_on_nan_catches_divergence_to_inf():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype("float32") * 1e3
    y = rng.normal(size=(64, 1)).astype("float32") * 1e3
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e3), "mse")
    stop = TerminateOnNaN(restore_weights=True)
    history = model.fit(x, y, batch_size=8, epochs=20, verbose=0, callbacks=[stop])
    assert stop.bad_batch is not None and stop.bad_batch[0] == 0
    assert len(history.history["loss"]) == 1
    assert not np.isfinite(history.history["loss"][0])
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_terminate_on_nan_raise_error():
    x, y = _data()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2"):
        _model().fit(
            x, y, batch_size=16, shuffle=False, verbose=0, callbacks=[TerminateOnNaN(True)]
        )


def test_default_keeps_keras_behaviour_weights_are_corrupted():
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=16, shuffle=False, verbose=0, callbacks=[TerminateOnNaN()])
    assert not all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("optimizer", ["adam", "nadam", "torch_sgd_momentum"])
def test_restore_weights_puts_back_weights_and_optimizer_state(optimizer):
    x, y = _data()
    model = _model(optimizer if optimizer != "torch_sgd_momentum" else "sgd")
    if optimizer == "torch_sgd_momentum":
        model.compile(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), "mse")
    seen = _WeightsAtBatchBegin()
    stop = TerminateOnNaN(restore_weights=True)
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[seen, stop])
    assert stop.restored and stop.bad_batch == (0, 2)
    before_bad = seen.seen[2]
    after = model.get_weights()
    assert len(after) == len(before_bad)
    for a, b in zip(after, before_bad):  # includes BatchNormalization's moving statistics
        np.testing.assert_array_equal(a, b)
    opt = model.optimizer
    if isinstance(opt, keras.optimizers.Optimizer):
        assert int(opt.iterations) == 2
        assert all(torch.isfinite(v).all() for v in opt.variables)
    else:
        assert all(torch.isfinite(s["momentum_buffer"]).all() for s in opt.state.values())
    # The model is usable: training on clean data goes on with finite losses.
    clean_x, clean_y = _data(bad_row=None)
    history = model.fit(clean_x, clean_y, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_restore_weights_with_raise_error_restores_before_raising():
    x, y = _data()
    model = _model()
    seen = _WeightsAtBatchBegin()
    stop = TerminateOnNaN(raise_error=True, restore_weights=True)
    with pytest.raises(RuntimeError, match="restored the weights"):
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0, callbacks=[seen, stop])
    for a, b in zip(model.get_weights(), seen.seen[2]):
        np.testing.assert_array_equal(a, b)


def test_restore_weights_costs_nothing_when_loss_stays_finite():
    x, y = _data(bad_row=None)
    reference = _model()
    reference.set_weights([w.copy() for w in reference.get_weights()])
    model = _model()
    model.set_weights(reference.get_weights())
    stop = TerminateOnNaN(restore_weights=True)
    h1 = model.fit(x, y, batch_size=16, shuffle=False, verbose=0, callbacks=[stop])
    h2 = reference.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    assert not stop.restored and stop.bad_batch is None
    assert h1.history == h2.history
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
