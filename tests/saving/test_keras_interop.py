"""`.keras` files move both ways between Keras 3 and ketorch, training state included."""

import numpy as np
import pytest
from zoo import BUILDERS, keras

import ketorch
import ketorch.saving


def _assert_close(a, b, atol=1e-5):
    a = a if isinstance(a, list) else [a]
    b = b if isinstance(b, list) else [b]
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=atol, rtol=1e-5)


def _train(model, x, y):
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)


LIBS = {"keras": (keras, keras.saving.load_model), "ketorch": (ketorch, ketorch.saving.load_model)}


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("direction", ["ketorch->keras", "keras->ketorch", "ketorch->ketorch"])
def test_keras_file_round_trip(name, direction, tmp_path, rng):
    src, dst = direction.split("->")
    lib, _ = LIBS[src]
    _, load = LIBS[dst]
    model, x, y = BUILDERS[name](lib, rng)
    _train(model, x, y)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = load(path)
    _assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # The compiled state came back: one more step on each gives the same model.
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) > 0
    model.train_on_batch(
        x[:8] if not isinstance(x, list) else [v[:8] for v in x],
        y[:8] if not isinstance(y, list) else [v[:8] for v in y],
    )
    loaded.train_on_batch(
        x[:8] if not isinstance(x, list) else [v[:8] for v in x],
        y[:8] if not isinstance(y, list) else [v[:8] for v in y],
    )
    _assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def _registered_subclass(lib):
    @lib.saving.register_keras_serializable(package="SavingTest")
    class TwoTower(lib.Model):
        def __init__(self, hidden=6, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.encoder = lib.layers.Dense(hidden, activation="relu")
            self.heads = [lib.layers.Dense(1), lib.layers.Dense(1)]

        def call(self, x):
            h = self.encoder(x)
            return self.heads[0](h) + self.heads[1](h)

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    return TwoTower


TOWERS = {"keras": _registered_subclass(keras), "ketorch": _registered_subclass(ketorch)}


@pytest.mark.parametrize("direction", ["ketorch->keras", "keras->ketorch", "ketorch->ketorch"])
def test_registered_subclassed_model(direction, tmp_path, rng):
    src, dst = direction.split("->")
    lib, _ = LIBS[src]
    _, load = LIBS[dst]
    model = TOWERS[src](hidden=5)
    x = rng.random((16, 3), dtype=np.float32)
    model.compile(lib.optimizers.Adam(0.01), "mse")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    path = str(tmp_path / "sub.keras")
    model.save(path)
    loaded = load(path)
    assert type(loaded).__name__ == "TwoTower" and loaded.hidden == 5
    _assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
