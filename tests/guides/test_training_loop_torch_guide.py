"""The Keras 3 guide "Writing a training loop from scratch in PyTorch", run on ketorch.

The guide's loop (forward, Keras loss, ``loss.backward()``, ``optimizer.apply`` on
``v.value.grad``; then the same with a ``torch.optim`` optimizer; metrics with
``update_state``/``result``/``reset_state``; ``model.losses`` from an ``add_loss`` layer) is
checked against ``fit`` on the same batches: both must end on the same weights. MNIST is
replaced by random data of the same shape.
"""

import numpy as np
import torch

import ketorch as keras


def get_model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    return keras.Model(inputs=inputs, outputs=outputs)


def _data(n=256):
    rng = np.random.default_rng(0)
    x = rng.random((n, 784)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 10, n), 10).astype("float32")
    return x, y


def _loader(x, y, batch_size=32):
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False)


def test_keras_optimizer_loop_matches_fit():
    x, y = _data()
    model = get_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.CategoricalAccuracy()
    for _epoch in range(2):
        for inputs, targets in _loader(x, y):
            logits = model(inputs)
            loss = loss_fn(targets, logits)
            model.zero_grad()
            loss.backward()
            trainable_weights = [v for v in model.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                optimizer.apply(gradients, trainable_weights)
            train_acc_metric.update_state(targets, logits)
        acc = float(train_acc_metric.result())
        assert 0.0 <= acc <= 1.0
        train_acc_metric.reset_state()
    assert float(train_acc_metric.result()) == 0.0

    reference = get_model()
    reference.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=loss_fn)
    reference.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_torch_optimizer_loop_trains():
    x, y = _data()
    model = get_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    first = last = None
    for _epoch in range(3):
        for inputs, targets in _loader(x, y):
            logits = model(inputs)
            loss = loss_fn(logits, targets)
            model.zero_grad()
            loss.backward()
            optimizer.step()
            first = float(loss) if first is None else first
            last = float(loss)
    assert last < first


def test_losses_from_the_forward_pass_enter_the_loop():
    class ActivityRegularizationLayer(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * torch.sum(inputs))
            return inputs

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu")(inputs)
    x = ActivityRegularizationLayer()(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    x_data, y_data = _data(32)
    logits = model(torch.from_numpy(x_data))
    assert len(model.losses) == 1
    hidden = model.layers[1](torch.from_numpy(x_data))
    np.testing.assert_allclose(float(model.losses[0]), 1e-2 * float(torch.sum(hidden)), rtol=1e-5)
    loss = loss_fn(torch.from_numpy(y_data), logits)
    if model.losses:
        loss = loss + torch.sum(*model.losses)
    model.zero_grad()
    loss.backward()
    assert all(v.value.grad is not None for v in model.trainable_weights)
