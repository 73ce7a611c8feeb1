"""Keras 3's "Customizing what happens in fit() with PyTorch" patterns: ``train_step(self, data)``,
``compute_loss``, ``v.value.grad``, ``optimizer.apply``, custom ``metrics``, ``test_step(data)``,
and a Model subclass built with the Functional API."""

import numpy as np
import torch

import ketorch as keras

RNG = np.random.default_rng(0)
X = RNG.random((256, 32)).astype("float32")
Y = RNG.random((256, 1)).astype("float32")


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def _functional(cls):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    return cls(inputs, outputs)


def test_guide_first_example_matches_the_builtin_step():
    model = _functional(CustomModel)
    assert isinstance(model, CustomModel)
    reference = _functional(keras.Model)
    reference.set_weights(model.get_weights())
    for m in (model, reference):
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    kw = dict(batch_size=32, epochs=3, shuffle=False, verbose=0)
    history, expected = model.fit(X, Y, **kw), reference.fit(X, Y, **kw)
    assert set(history.history) == {"loss", "mae"}
    for key in expected.history:
        np.testing.assert_allclose(history.history[key], expected.history[key], rtol=1e-5)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_guide_lower_level_example_with_own_metrics_and_no_compiled_loss():
    class LowLevel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            self.loss_tracker.update_state(self.loss_fn(y, y_pred))
            self.mae_metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    model = _functional(LowLevel)
    model.compile(optimizer="adam")
    history = model.fit(X, Y, epochs=5, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    # Metrics are reset at each epoch: the last epoch's mean is not the all-time mean.
    results = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert set(results) == {"loss", "mae"}
    y_pred = model.predict(X, verbose=0)
    np.testing.assert_allclose(results["mae"], np.abs(y_pred - Y).mean(), rtol=1e-4)


def test_sample_weight_and_returned_custom_logs():
    class Weighted(keras.Model):
        def train_step(self, data):
            x, y, sample_weight = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            self.optimizer.apply([v.value.grad for v in self.trainable_weights])
            return {"loss": loss.detach(), "weight_sum": sample_weight.sum()}

    model = _functional(Weighted)
    model.compile(optimizer="sgd", loss="mse")
    sw = np.full(256, 2.0, dtype="float32")
    history = model.fit(X, Y, sample_weight=sw, batch_size=64, verbose=0)
    assert history.history["weight_sum"] == [128.0]


def test_subclass_with_call_and_data_signature():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
            loss.backward()
            self.optimizer.apply([v.value.grad for v in self.trainable_weights])
            self.metrics[0].update_state(loss)
            return {"loss": self.metrics[0].result()}

    model = Net()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X, Y, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_functional_subclass_is_named_after_its_class_and_keeps_overrides():
    model = _functional(CustomModel)
    assert isinstance(model, CustomModel) and isinstance(model, keras.Model)
    assert model.name.startswith("custom_model")
    assert type(model).train_step is CustomModel.train_step
    assert all(isinstance(v, torch.nn.Parameter) for v in model.trainable_weights)
    assert len(model.trainable_weights) == 2
    assert all(v.value is v for v in model.trainable_weights)
    # A subclass whose own constructor takes positional numbers is not mistaken for one.

    class Sized(keras.Model):
        def __init__(self, a, b):
            super().__init__()
            self.dense = keras.layers.Dense(a + b)

        def call(self, x):
            return self.dense(x)

    assert Sized(2, 3)(torch.ones(1, 4)).shape == (1, 5)


def test_predict_step_override():
    class Doubled(keras.Model):
        def predict_step(self, data):
            (x,) = data
            return 2 * self(x, training=False)

    model = _functional(Doubled)
    reference = _functional(keras.Model)
    reference.set_weights(model.get_weights())
    np.testing.assert_allclose(
        model.predict(X, verbose=0), 2 * reference.predict(X, verbose=0), rtol=1e-6
    )


@keras.saving.register_keras_serializable(package="CustomStepTest")
class Registered(CustomModel):
    pass


def test_functional_subclass_round_trips_through_a_keras_file(tmp_path):
    model = _functional(Registered)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, verbose=0)
    path = tmp_path / "custom.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored).__name__ == "Registered" and isinstance(restored, Registered)
    np.testing.assert_allclose(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    history = restored.fit(X, Y, epochs=1, verbose=0)  # the custom train_step still runs
    assert set(history.history) == {"loss", "mae"}


def test_functional_subclass_files_move_between_ketorch_and_keras(tmp_path):
    from parity import keras as real_keras

    @keras.saving.register_keras_serializable(package="Moves")
    class Moving(keras.Model):
        pass

    @real_keras.saving.register_keras_serializable(package="Moves", name="Moving")
    class MovingK(real_keras.Model):
        pass

    inputs = keras.Input(shape=(32,))
    ours = Moving(inputs, keras.layers.Dense(2)(inputs))
    ours.save(tmp_path / "ours.keras")
    theirs = real_keras.saving.load_model(tmp_path / "ours.keras")
    assert isinstance(theirs, MovingK)
    np.testing.assert_allclose(theirs.predict(X, verbose=0), ours.predict(X, verbose=0), atol=1e-6)

    k_inputs = real_keras.Input(shape=(32,))
    written = MovingK(k_inputs, real_keras.layers.Dense(2)(k_inputs))
    written.save(tmp_path / "theirs.keras")
    back = keras.models.load_model(tmp_path / "theirs.keras")
    assert isinstance(back, Moving)
    np.testing.assert_allclose(back.predict(X, verbose=0), written.predict(X, verbose=0), atol=1e-6)
