"""The Keras 3 guide "Writing your own callbacks", run on ketorch.

MNIST is replaced by random data of the same shape.
"""

import numpy as np

import ketorch as keras


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


def _data():
    rng = np.random.default_rng(0)
    x_train = rng.random((1000, 784)).astype("float32")
    y_train = rng.random(1000).astype("float32")
    return x_train[:1000], y_train[:1000], x_train[:200], y_train[:200]


class CustomCallback(keras.callbacks.Callback):
    """Records every hook and the keys of the logs it received (the guide prints them)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def _record(self, hook, logs):
        self.seen.append((hook, sorted(logs.keys())))

    def on_train_begin(self, logs=None):
        self._record("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._record("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._record("on_epoch_begin", logs)

    def on_epoch_end(self, epoch, logs=None):
        self._record("on_epoch_end", logs)

    def on_test_begin(self, logs=None):
        self._record("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._record("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._record("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._record("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._record("on_train_batch_begin", logs)

    def on_train_batch_end(self, batch, logs=None):
        self._record("on_train_batch_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._record("on_test_batch_begin", logs)

    def on_test_batch_end(self, batch, logs=None):
        self._record("on_test_batch_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._record("on_predict_batch_begin", logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._record("on_predict_batch_end", logs)


def test_every_hook_gets_a_logs_dict():
    x_train, y_train, x_test, y_test = _data()
    model = get_model()
    cb = CustomCallback()
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
              callbacks=[cb])  # fmt: skip
    model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[cb])
    model.predict(x_test, batch_size=128, callbacks=[cb], verbose=0)
    hooks = dict(cb.seen)
    assert hooks["on_train_begin"] == []
    assert hooks["on_epoch_end"] == [
        "loss",
        "mean_absolute_error",
        "val_loss",
        "val_mean_absolute_error",
    ]
    assert hooks["on_train_batch_end"] == ["loss", "mean_absolute_error"]
    assert "outputs" in hooks["on_predict_batch_end"]
    assert {h for h, _ in cb.seen} == {n for n in vars(CustomCallback) if n.startswith("on_")}


def test_loss_printing_callback_sees_batch_and_epoch_values():
    class LossAndErrorPrintingCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batch_losses, self.epoch_errors = [], []

        def on_train_batch_end(self, batch, logs=None):
            self.batch_losses.append(logs["loss"])

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_errors.append(logs["mean_absolute_error"])

    x_train, y_train, _, _ = _data()
    model = get_model()
    cb = LossAndErrorPrintingCallback()
    history = model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0, callbacks=[cb])
    assert len(cb.batch_losses) == 16
    np.testing.assert_allclose(cb.epoch_errors, history.history["mean_absolute_error"])


def test_early_stopping_at_min_loss_restores_best_weights():
    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience
            self.best_weights = None

        def on_train_begin(self, logs=None):
            self.wait = 0
            self.stopped_epoch = 0
            self.best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current
                self.wait = 0
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    self.model.set_weights(self.best_weights)

    x_train, y_train, _, _ = _data()
    model = get_model()  # learning rate 0.1 with RMSprop diverges after a few epochs
    cb = EarlyStoppingAtMinLoss()
    history = model.fit(x_train, y_train, batch_size=64, epochs=30, verbose=0, callbacks=[cb])
    losses = history.history["loss"]
    if cb.stopped_epoch:
        assert len(losses) == cb.stopped_epoch + 1
        for a, b in zip(model.get_weights(), cb.best_weights):
            np.testing.assert_array_equal(a, b)


def test_learning_rate_scheduler_sets_the_optimizer_rate():
    lr_schedule = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]

    def lr_for(epoch, lr):
        if epoch < lr_schedule[0][0] or epoch > lr_schedule[-1][0]:
            return lr
        for i in range(len(lr_schedule)):
            if epoch == lr_schedule[i][0]:
                return lr_schedule[i][1]
        return lr

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule
            self.rates = []

        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self.model.optimizer, "learning_rate"):
                raise ValueError('Optimizer must have a "learning_rate" attribute.')
            lr = float(np.array(self.model.optimizer.learning_rate))
            scheduled_lr = self.schedule(epoch, lr)
            self.model.optimizer.learning_rate = scheduled_lr
            self.rates.append(float(np.array(self.model.optimizer.learning_rate)))

    x_train, y_train, _, _ = _data()
    model = get_model()
    cb = CustomLearningRateScheduler(lr_for)
    model.fit(x_train, y_train, batch_size=64, epochs=8, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(cb.rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01], rtol=1e-6)
