"""ReduceLROnPlateau and LearningRateScheduler: same rates at the same epochs as Keras."""

import math

import numpy as np
import pytest
from cb_parity import assert_histories_close, keras, regression_data, twin_models

import ketorch


class _RecordRate:
    """Reads logs["learning_rate"] after the LR callback has written it (works in both libraries)."""

    def __init__(self, base):
        rates = self.rates = []

        class Recorder(base):
            def on_epoch_end(self, epoch, logs=None):
                rates.append(logs.get("learning_rate"))

        self.callback = Recorder()


def _fit_both(ours_cb, keras_cb, epochs=20, lr=0.05, validation=True):
    (x, y), (vx, vy) = regression_data()
    ours, theirs = twin_models()
    ours.compile(ketorch.optimizers.SGD(lr), "mse")
    theirs.compile(keras.optimizers.SGD(lr), "mse")
    kwargs = dict(batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    if validation:
        kwargs["validation_data"] = (vx, vy)
    rec1, rec2 = _RecordRate(ketorch.callbacks.Callback), _RecordRate(keras.callbacks.Callback)
    h1 = ours.fit(x, y, callbacks=[ours_cb, rec1.callback], **kwargs)
    h2 = theirs.fit(x, y, callbacks=[keras_cb, rec2.callback], **kwargs)
    return ours, theirs, h1, h2, rec1.rates, rec2.rates


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(factor=0.5, patience=1),
        dict(factor=0.5, patience=2, cooldown=2, min_lr=0.01),
        dict(monitor="loss", factor=0.2, patience=0, min_delta=0.01),
        dict(factor=0.1, patience=3, mode="max"),
    ],
)
def test_reduce_lr_on_plateau_like_keras(kwargs):
    ours_cb = ketorch.callbacks.ReduceLROnPlateau(**kwargs)
    keras_cb = keras.callbacks.ReduceLROnPlateau(**kwargs)
    ours, theirs, h1, h2, r1, r2 = _fit_both(ours_cb, keras_cb)
    assert len(set(r2)) > 1  # Keras did lower the rate at least once
    # float32 storage in Keras: the rates agree to float32 precision.
    np.testing.assert_allclose(r1, r2, rtol=1e-6)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-4, atol=1e-5)
    assert ours_cb.wait == keras_cb.wait
    assert ours_cb.cooldown_counter == keras_cb.cooldown_counter


# Keras appends History after the user's callbacks, so the `learning_rate` a callback adds to the
# logs lands in history.history.
def test_reduce_lr_rate_is_in_history():
    ours_cb = ketorch.callbacks.ReduceLROnPlateau(factor=0.5, patience=1)
    keras_cb = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1)
    _, _, h1, h2, r1, _ = _fit_both(ours_cb, keras_cb)
    assert_histories_close(h1, h2, rtol=1e-4)
    assert h1.history["learning_rate"] == r1


def test_reduce_lr_verbose_and_errors(capsys):
    with pytest.raises(ValueError, match="factor=1.5"):
        ketorch.callbacks.ReduceLROnPlateau(factor=1.5)
    cb = ketorch.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, verbose=1,
                                             min_delta=10.0)  # fmt: skip
    (x, y), _ = regression_data()
    model, _ = twin_models()
    model.compile(ketorch.optimizers.SGD(0.05), "mse")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    out = capsys.readouterr().out
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.025." in out


def test_reduce_lr_works_with_torch_optimizer():
    import torch

    (x, y), (vx, vy) = regression_data()
    model, _ = twin_models()
    model.compile(torch.optim.SGD(model.parameters(), lr=0.05), "mse")
    cb = ketorch.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.05 * 0.5**2)


def _step_decay(epoch, lr):
    return lr if epoch < 2 else lr * math.exp(-0.5)


def _epoch_only(epoch):
    return 0.05 / (1 + epoch)


@pytest.mark.parametrize("schedule", [_step_decay, _epoch_only])
def test_learning_rate_scheduler_like_keras(schedule):
    ours_cb = ketorch.callbacks.LearningRateScheduler(schedule)
    keras_cb = keras.callbacks.LearningRateScheduler(schedule)
    _, _, h1, h2, r1, r2 = _fit_both(ours_cb, keras_cb, epochs=6)
    np.testing.assert_allclose(r1, r2, rtol=1e-6)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h1.history["val_loss"], h2.history["val_loss"], rtol=1e-4)


def test_learning_rate_scheduler_bad_output_and_verbose(capsys):
    (x, y), _ = regression_data()
    model, _ = twin_models()
    model.compile(ketorch.optimizers.SGD(0.1), "mse")
    for bad in (lambda epoch: 1, lambda epoch: "0.1"):
        with pytest.raises(ValueError, match="should be a float"):
            model.fit(x, y, epochs=1, verbose=0,
                      callbacks=[ketorch.callbacks.LearningRateScheduler(bad)])  # fmt: skip
    cb = ketorch.callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1), verbose=1)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    out = capsys.readouterr().out
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.01." in out
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.02." in out
    assert model.optimizer.learning_rate == pytest.approx(0.02)
