"""A Keras 2 era script: custom loss and metric functions written with ``keras.backend``.

The functions are the common blog-post F1 metric and a weighted binary cross-entropy, written
only with ``K.*``; the script trains unchanged. Their values are checked against NumPy.
"""

import numpy as np
import torch

import ketorch as keras
from ketorch import backend as K


def recall_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
    return true_positives / (possible_positives + K.epsilon())


def precision_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    predicted_positives = K.sum(K.round(K.clip(y_pred, 0, 1)))
    return true_positives / (predicted_positives + K.epsilon())


def f1_m(y_true, y_pred):
    precision = precision_m(y_true, y_pred)
    recall = recall_m(y_true, y_pred)
    return 2 * ((precision * recall) / (precision + recall + K.epsilon()))


def weighted_binary_crossentropy(y_true, y_pred):
    weights = y_true * 3.0 + (1.0 - y_true) * 1.0
    y_pred = K.clip(y_pred, K.epsilon(), 1 - K.epsilon())
    bce = -(y_true * K.log(y_pred) + (1 - y_true) * K.log(1 - y_pred))
    return K.mean(bce * weights, axis=-1)


def _numpy_f1(y, p):
    p = np.round(np.clip(p, 0, 1))
    tp = np.sum(np.round(np.clip(y * p, 0, 1)))
    precision = tp / (p.sum() + 1e-7)
    recall = tp / (y.sum() + 1e-7)
    return 2 * precision * recall / (precision + recall + 1e-7)


def test_keras2_custom_loss_and_metric_train_and_report_the_right_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype("float32")
    y = (x[:, :1] + 0.5 * x[:, 1:2] > 0.3).astype("float32")
    model = keras.models.Sequential()
    model.add(keras.layers.Dense(16, input_dim=8, activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss=weighted_binary_crossentropy, optimizer="adam",
                  metrics=["accuracy", f1_m, precision_m, recall_m])  # fmt: skip
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert sorted(history.history) == ["accuracy", "f1_m", "loss", "precision_m", "recall_m"]
    assert history.history["loss"][-1] < history.history["loss"][0]

    loss, acc, f1, precision, recall = model.evaluate(x, y, batch_size=400, verbose=0)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(f1, _numpy_f1(y, p), rtol=1e-4)
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    w = y * 3.0 + (1 - y)
    expected = np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)) * w)
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_backend_functions_on_tensors_and_in_lambda_layers():
    x = torch.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    np.testing.assert_allclose(K.get_value(K.sqrt(x)), np.sqrt(np.maximum(x.numpy(), 0)))
    assert K.int_shape(x) == (2, 3) and K.ndim(x) == 2 and K.count_params(x) == 6
    np.testing.assert_allclose(K.get_value(K.l2_normalize(x, axis=1)),
                               x.numpy() / np.linalg.norm(x.numpy(), axis=1, keepdims=True),
                               rtol=1e-6)  # fmt: skip
    a = torch.ones(4, 3, 5)
    b = torch.ones(4, 5, 2)
    assert K.int_shape(K.batch_dot(a, b)) == (4, 3, 2)
    assert K.int_shape(K.batch_dot(torch.ones(4, 6), torch.ones(4, 6))) == (4, 1)
    assert K.int_shape(K.batch_dot(torch.ones(32, 20, 1), torch.ones(32, 30, 20), axes=(1, 2))) == (
        32,
        1,
        30,
    )
    v = K.variable(np.zeros((2, 2)))
    K.set_value(v, np.ones((2, 2)))
    K.update_add(v, np.ones((2, 2)))
    np.testing.assert_array_equal(K.get_value(v), 2 * np.ones((2, 2)))
    assert K.dtype(v) == "float32"
    assert K.learning_phase() == 0

    inputs = keras.Input(shape=(3,))
    h = keras.layers.Lambda(lambda t: K.concatenate([K.square(t), K.exp(t)], axis=-1))(inputs)
    h = keras.layers.Lambda(lambda t: K.permute_dimensions(K.expand_dims(t, 1), (0, 2, 1)))(h)
    model = keras.Model(inputs, h)
    assert model.output_shape == (None, 6, 1)
    out = model.predict(x.numpy(), verbose=0)
    np.testing.assert_allclose(
        out[..., 0], np.concatenate([x.numpy() ** 2, np.exp(x.numpy())], -1), rtol=1e-6
    )

    f = K.function([model.input], [model.output])
    np.testing.assert_allclose(f([x.numpy()])[0], out, rtol=1e-6)

    # On symbolic tensors directly, K functions record graph nodes.
    sym = K.mean(K.square(inputs), axis=-1, keepdims=True)
    assert sym.shape == (None, 1)


def test_rnn_and_switch():
    def step(inputs, states):
        out = inputs + states[0]
        return out, [out]

    x = torch.arange(12, dtype=torch.float32).reshape(2, 3, 2)
    last, outputs, states = K.rnn(step, x, [torch.zeros(2, 2)])
    np.testing.assert_allclose(outputs.numpy(), np.cumsum(x.numpy(), axis=1))
    np.testing.assert_allclose(last.numpy(), x.numpy().sum(axis=1))
    mask = torch.tensor([[True, True, False], [True, False, False]])
    last, outputs, _ = K.rnn(step, x, [torch.zeros(2, 2)], mask=mask)
    np.testing.assert_allclose(last.numpy(), [[0 + 2, 1 + 3], [6, 7]])
    cond = torch.tensor([True, False])
    np.testing.assert_array_equal(
        K.switch(cond, torch.ones(2, 2), torch.zeros(2, 2)).numpy(), [[1, 1], [0, 0]]
    )
    assert K.in_train_phase(1.0, 0.0, training=True) == 1.0
