"""Model-level parity helpers for layer tests: training against Keras and `.keras` files
moved between Keras 3 and ketorch.

``build(lib)`` makes the same compiled-free model with ``lib`` (``keras`` or
``ketorch``); the helpers compile, train and compare.
"""

from __future__ import annotations

import numpy as np
from parity import keras

import ketorch

LIBS = {"keras": keras, "ketorch": ketorch}


def _as_list(v):
    return v if isinstance(v, list) else [v]


def assert_close(a, b, atol=1e-5, rtol=1e-5):
    for x, y in zip(_as_list(a), _as_list(b), strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(x), keras.ops.convert_to_numpy(y), atol=atol, rtol=rtol
        )


def fit_parity(build, x, y, epochs=1, batch_size=4, lr=0.05, atol=1e-5):
    """Same weights, one SGD run without shuffling: same losses and final weights as Keras."""
    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=atol)
    ours.compile(ketorch.optimizers.SGD(lr), "mse")
    theirs.compile(keras.optimizers.SGD(lr), "mse")
    kw = dict(epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, **kw).history["loss"]
    h_theirs = theirs.fit(x, y, **kw).history["loss"]
    np.testing.assert_allclose(h_ours, h_theirs, rtol=1e-4, atol=atol)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, keras.ops.convert_to_numpy(b), rtol=1e-4, atol=atol)
    return ours, theirs


def file_round_trip(build, x, y, tmp_path, direction, atol=1e-5):
    """Train with one library, save ``.keras``, load with the other: same predictions, and
    the optimizer state came along (one more step on each gives the same model)."""
    src, dst = direction.split("->")
    model = build(LIBS[src])
    model.compile(LIBS[src].optimizers.Adam(0.01), "mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = LIBS[dst].saving.load_model(path)
    assert [type(lay).__name__ for lay in loaded.layers] == [
        type(lay).__name__ for lay in model.layers
    ]
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=atol)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) > 0
    xb = [v[:4] for v in x] if isinstance(x, list) else x[:4]
    model.train_on_batch(xb, y[:4])
    loaded.train_on_batch(xb, y[:4])
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=atol)
    return model, loaded


DIRECTIONS = ["ketorch->keras", "keras->ketorch", "ketorch->ketorch"]
