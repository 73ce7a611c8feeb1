"""SwapEMAWeights parity with Keras: same History (validation on EMA weights) and final weights."""

import numpy as np
import pytest
from cb_parity import assert_histories_close, regression_data, twin_models
from parity import keras

import ketorch


def _compile(ours, theirs, momentum=0.8):
    ours.compile(ketorch.optimizers.SGD(0.05, use_ema=True, ema_momentum=momentum), "mse")
    theirs.compile(keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=momentum), "mse")


def _assert_weights_close(ours, theirs):
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_fit_history_and_weights_match_keras(swap_on_epoch):
    (x, y), (xv, yv) = regression_data()
    ours, theirs = twin_models()
    _compile(ours, theirs)
    kw = dict(epochs=3, batch_size=8, shuffle=False, validation_data=(xv, yv), verbose=0)
    h_ours = ours.fit(x, y, callbacks=[ketorch.callbacks.SwapEMAWeights(swap_on_epoch)], **kw)
    h_theirs = theirs.fit(x, y, callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch)], **kw)
    assert_histories_close(h_ours, h_theirs)
    _assert_weights_close(ours, theirs)


def test_validation_uses_ema_weights():
    """Without the callback the validation loss differs: the swap is what the test sees."""
    (x, y), (xv, yv) = regression_data()
    kw = dict(epochs=2, batch_size=8, shuffle=False, validation_data=(xv, yv), verbose=0)
    ours, _ = twin_models()
    ours.compile(ketorch.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8), "mse")
    with_swap = ours.fit(x, y, callbacks=[ketorch.callbacks.SwapEMAWeights()], **kw)
    plain, _ = twin_models()
    plain.compile(ketorch.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8), "mse")
    without = plain.fit(x, y, **kw)
    np.testing.assert_allclose(with_swap.history["loss"], without.history["loss"], rtol=1e-5)
    assert not np.allclose(with_swap.history["val_loss"], without.history["val_loss"])


def test_evaluate_and_predict_swap_and_restore():
    (x, y), _ = regression_data()
    ours, theirs = twin_models()
    _compile(ours, theirs, momentum=0.5)
    # One epoch without finalizing: train with train_on_batch so raw and EMA weights differ.
    for start in range(0, 48, 8):
        ours.train_on_batch(x[start : start + 8], y[start : start + 8])
        theirs.train_on_batch(x[start : start + 8], y[start : start + 8])
    raw = [w.copy() for w in ours.get_weights()]
    got = ours.evaluate(x, y, verbose=0, callbacks=[ketorch.callbacks.SwapEMAWeights()])
    expected = theirs.evaluate(x, y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got != pytest.approx(ours.evaluate(x, y, verbose=0))
    for a, b in zip(ours.get_weights(), raw):
        np.testing.assert_array_equal(a, b)  # swapped back after evaluate
    _assert_weights_close(ours, theirs)
    pred = ours.predict(x, verbose=0, callbacks=[ketorch.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(
        pred, theirs.predict(x, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()]), rtol=1e-5
    )
    for a, b in zip(ours.get_weights(), raw):
        np.testing.assert_array_equal(a, b)  # and after predict (Keras leaves EMA in)


def test_requires_use_ema():
    (x, y), (xv, yv) = regression_data()
    ours, _ = twin_models()
    ours.compile(ketorch.optimizers.SGD(0.05), "mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        ours.fit(
            x,
            y,
            epochs=1,
            validation_data=(xv, yv),
            verbose=0,
            callbacks=[ketorch.callbacks.SwapEMAWeights()],
        )
