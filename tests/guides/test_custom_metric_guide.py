"""The custom metric of Keras's "Training & evaluation with the built-in methods" guide.

``CategoricalTruePositives`` keeps its count in a variable made with ``add_variable`` and
updates it with ``assign_add`` / ``assign`` and ``keras.ops``. It must report Keras's numbers in
``fit`` (eager and ``jit_compile=True``) and in ``evaluate``, with the same weights and data.
"""

import numpy as np
import pytest
from parity import keras

import ketorch


def metric_class(K):
    ops = K.ops

    class CategoricalTruePositives(K.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    return CategoricalTruePositives


def build(K):
    inputs = K.Input(shape=(64,), name="digits")
    x = K.layers.Dense(32, activation="relu")(inputs)
    x = K.layers.Dense(32, activation="relu")(x)
    outputs = K.layers.Dense(10, activation="softmax")(x)
    model = K.Model(inputs, outputs)
    return model


@pytest.mark.parametrize("jit", [False, True])
def test_custom_metric_counts_like_keras_in_fit_and_evaluate(jit):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 64)).astype("float32")
    y = rng.integers(0, 10, size=(256, 1))
    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    for K, model in ((ketorch, ours), (keras, theirs)):
        kwargs = {"jit_compile": jit} if K is ketorch else {}
        model.compile(optimizer=K.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=[metric_class(K)()], **kwargs)  # fmt: skip
    got = ours.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0).history
    want = theirs.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0).history
    assert set(got) == set(want) == {"loss", "categorical_true_positives"}
    np.testing.assert_allclose(got["categorical_true_positives"],
                               want["categorical_true_positives"])  # fmt: skip
    assert got["categorical_true_positives"][-1] > 0
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-4)
    got_eval = ours.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    want_eval = theirs.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    assert got_eval["categorical_true_positives"] == want_eval["categorical_true_positives"]
    (metric,) = [m for m in ours.metrics if hasattr(m, "true_positives")]
    assert metric.true_positives.path == "categorical_true_positives/ctp"
