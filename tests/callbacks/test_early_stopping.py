"""EarlyStopping: same stopping epoch, history and restored weights as Keras."""

import warnings

import numpy as np
import pytest
from cb_parity import (
    assert_histories_close,
    classification_data,
    keras,
    regression_data,
    twin_models,
)

import ketorch


def _fit_both(ours_cb, keras_cb, epochs=16, lr=0.01, **fit_kwargs):
    (x, y), (vx, vy) = regression_data()
    ours, theirs = twin_models()
    ours.compile(ketorch.optimizers.SGD(lr), "mse")
    theirs.compile(keras.optimizers.SGD(lr), "mse")
    kwargs = dict(batch_size=8, epochs=epochs, validation_data=(vx, vy), shuffle=False, verbose=0)
    kwargs.update(fit_kwargs)
    h1 = ours.fit(x, y, callbacks=[ours_cb], **kwargs)
    h2 = theirs.fit(x, y, callbacks=[keras_cb], **kwargs)
    return ours, theirs, h1, h2


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(patience=2),
        dict(patience=2, restore_best_weights=True),
        dict(patience=1, min_delta=0.005),
        dict(patience=3, baseline=0.198),
        dict(patience=1, start_from_epoch=10, restore_best_weights=True),
        dict(monitor="loss", patience=1, min_delta=0.01, mode="min"),
        dict(monitor="val_loss", patience=2, mode="max"),
    ],
)
def test_stops_like_keras(kwargs):
    ours_cb = ketorch.callbacks.EarlyStopping(**kwargs)
    keras_cb = keras.callbacks.EarlyStopping(**kwargs)
    ours, theirs, h1, h2 = _fit_both(ours_cb, keras_cb)
    assert len(h2.epoch) < 16  # the run really stops early
    assert_histories_close(h1, h2)
    assert ours_cb.stopped_epoch == keras_cb.stopped_epoch
    assert ours_cb.best_epoch == keras_cb.best_epoch
    assert ours_cb.wait == keras_cb.wait
    np.testing.assert_allclose(ours_cb.best, keras_cb.best, rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_restore_best_weights_restores_best_epoch():
    cb = ketorch.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    ours, _, history, _ = _fit_both(cb, keras.callbacks.EarlyStopping(patience=2))
    (_, _), (vx, vy) = regression_data()
    best = int(np.argmin(history.history["val_loss"]))
    assert cb.best_epoch == best
    np.testing.assert_allclose(
        ours.evaluate(vx, vy, verbose=0), history.history["val_loss"][best], rtol=1e-5
    )


def test_verbose_messages(capsys):
    cb = ketorch.callbacks.EarlyStopping(patience=2, verbose=1, restore_best_weights=True)
    _fit_both(cb, keras.callbacks.EarlyStopping(patience=2))
    out = capsys.readouterr().out
    assert f"Epoch {cb.stopped_epoch + 1}: early stopping" in out
    assert f"Restoring model weights from the end of the best epoch: {cb.best_epoch + 1}." in out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the example diverges, as in Keras
def test_keras_docstring_example():
    model = ketorch.Sequential([ketorch.Input((20,)), ketorch.layers.Dense(10)])
    model.compile(ketorch.optimizers.SGD(), loss="mse")
    cb = ketorch.callbacks.EarlyStopping(monitor="loss", patience=3)
    history = model.fit(
        np.arange(100).reshape(5, 20), np.zeros(5), epochs=10, batch_size=1, callbacks=[cb],
        verbose=0,
    )  # fmt: skip
    assert len(history.history["loss"]) == 4


def test_auto_mode_direction():
    x, y = classification_data()
    model = ketorch.Sequential([ketorch.Input((4,)), ketorch.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy", "mae", ketorch.metrics.AUC()])
    for monitor, op in [
        ("val_accuracy", "gt"),
        ("auc", "gt"),
        ("val_mae", "lt"),
        ("loss", "lt"),
    ]:
        cb = ketorch.callbacks.EarlyStopping(monitor=monitor, patience=100)
        model.fit(x, y, epochs=1, validation_split=0.25, verbose=0, callbacks=[cb])
        assert cb.monitor_op.__name__ == op, monitor
    cb = ketorch.callbacks.EarlyStopping(monitor="mystery", patience=100)
    with pytest.raises(ValueError, match="mode='max'"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])


def test_unknown_mode_warns_and_missing_monitor_warns():
    with pytest.warns(UserWarning, match="mode 'sideways' is unknown"):
        cb = ketorch.callbacks.EarlyStopping(mode="sideways")
    assert cb.mode == "auto"
    (x, y), _ = regression_data()
    model, _ = twin_models()
    model.compile("sgd", "mse")
    cb = ketorch.callbacks.EarlyStopping(monitor="val_loss", mode="min")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert any("val_loss" in str(w.message) and "not available" in str(w.message) for w in caught)
    assert len(history.epoch) == 2
