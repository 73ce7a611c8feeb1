"""``compile(jit_compile=True)``: the compiled training step equals the eager one (and Keras).

Each test compiles a graph (a few seconds each on 2 cores), so the models stay small and the
cases are grouped: every case trains an eager twin from the same weights on the same batches
(``shuffle=False``), with a last batch smaller than the rest so that both paths run.
"""

import warnings

import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch import layers

RNG = np.random.default_rng(0)


def _twins(build, **compile_kwargs):
    ketorch.utils.set_random_seed(1)
    eager = build()
    jit = build()
    jit.set_weights(eager.get_weights())
    eager.compile(jit_compile=False, **compile_kwargs)
    jit.compile(jit_compile=True, **compile_kwargs)
    return eager, jit


def _assert_same(eager, jit, h_eager, h_jit, atol=1e-5):
    assert h_eager.history.keys() == h_jit.history.keys()
    for key in h_eager.history:
        np.testing.assert_allclose(h_jit.history[key], h_eager.history[key], atol=atol, rtol=1e-5)
    for a, b in zip(eager.get_weights(), jit.get_weights()):
        np.testing.assert_allclose(b, a, atol=atol, rtol=1e-5)
    assert int(jit.optimizer.iterations) == int(eager.optimizer.iterations)


def _compiled_steps(model):
    step = model._compiled_step
    assert step is not None and step.failed is None, getattr(step, "failed", None)
    return step


def test_mlp_matches_eager_and_keras():
    x = RNG.random((330, 12), dtype=np.float32)  # 10 full batches and one of 10
    y = np.eye(4, dtype=np.float32)[RNG.integers(0, 4, 330)]

    def build():
        inputs = ketorch.Input((12,))
        h = layers.Dense(16, activation="relu")(inputs)
        h = layers.Dense(16, activation="relu")(h)
        return ketorch.Model(inputs, layers.Dense(4, activation="softmax")(h))

    args = dict(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    eager, jit = _twins(build, **args)
    theirs = keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    theirs.compile(**args)
    theirs.set_weights(eager.get_weights())
    kw = dict(batch_size=32, epochs=2, shuffle=False, verbose=0)
    h_eager, h_jit, h_keras = eager.fit(x, y, **kw), jit.fit(x, y, **kw), theirs.fit(x, y, **kw)
    _compiled_steps(jit)
    _assert_same(eager, jit, h_eager, h_jit)
    for key in h_keras.history:
        np.testing.assert_allclose(h_jit.history[key], h_keras.history[key], atol=1e-5)
    for a, b in zip(theirs.get_weights(), jit.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-5)
    # predict runs a compiled forward for the full batches and agrees with the eager twin.
    np.testing.assert_allclose(jit.predict(x, verbose=0), eager.predict(x, verbose=0), atol=1e-5)
    assert jit._compiled_predict.ran and jit._compiled_predict.failed is None
    assert eager._compiled_predict is None


def test_optimizer_options_schedule_regularizers_and_sample_weight():
    x = RNG.random((100, 8), dtype=np.float32)
    y = RNG.random((100, 1), dtype=np.float32)
    sw = RNG.random(100).astype(np.float32)

    def build():
        return ketorch.Sequential(
            [
                ketorch.Input((8,)),
                layers.Dense(8, activation="tanh", kernel_regularizer="l2"),
                layers.Dense(1, activity_regularizer="l1"),
            ]
        )

    schedule = ketorch.optimizers.schedules.ExponentialDecay(0.01, decay_steps=3, decay_rate=0.5)
    for optimizer in (
        ketorch.optimizers.AdamW(learning_rate=schedule, weight_decay=0.01, clipnorm=0.5),
        ketorch.optimizers.SGD(0.05, momentum=0.9, nesterov=True, global_clipnorm=1.0),
    ):
        config = optimizer.get_config()
        eager, jit = _twins(build, optimizer=type(optimizer).from_config(config), loss="mse")
        jit.compile(optimizer=type(optimizer).from_config(config), loss="mse", jit_compile=True)
        kw = dict(batch_size=16, epochs=2, shuffle=False, verbose=0, sample_weight=sw)
        h_eager, h_jit = eager.fit(x, y, **kw), jit.fit(x, y, **kw)
        _compiled_steps(jit)
        _assert_same(eager, jit, h_eager, h_jit)


def test_multi_input_multi_output_embedding_and_conv():
    n = 40
    tokens = RNG.integers(0, 30, (n, 6)).astype(np.int32)
    images = RNG.random((n, 9, 9, 2), dtype=np.float32)
    y_class = RNG.integers(0, 3, (n, 1)).astype(np.int32)
    y_value = RNG.random((n, 1), dtype=np.float32)

    def build():
        t_in = ketorch.Input((6,), dtype="int32", name="tokens")
        i_in = ketorch.Input((9, 9, 2), name="image")
        t = layers.GlobalAveragePooling1D()(layers.Embedding(30, 4)(t_in))
        i = layers.Conv2D(3, 3, activation="relu")(i_in)
        i = layers.Flatten()(layers.MaxPooling2D(2)(layers.BatchNormalization()(i)))
        h = layers.Concatenate()([t, i])
        h = layers.LayerNormalization()(layers.Dense(8, activation="gelu")(h))
        return ketorch.Model(
            [t_in, i_in],
            {
                "cls": layers.Dense(3, activation="softmax", name="cls")(h),
                "reg": layers.Dense(1, name="reg")(h),
            },
        )

    eager, jit = _twins(
        build,
        optimizer="adam",
        loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
        loss_weights={"cls": 1.0, "reg": 0.5},
        metrics={"cls": ["accuracy"], "reg": ["mae"]},
    )
    data = ({"tokens": tokens, "image": images}, {"cls": y_class, "reg": y_value})
    kw = dict(batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_eager, h_jit = eager.fit(*data, **kw), jit.fit(*data, **kw)
    _compiled_steps(jit)
    _assert_same(eager, jit, h_eager, h_jit, atol=2e-5)
    # BatchNormalization's moving statistics are updated by the compiled step too.
    bn = [w for w in jit.layers if isinstance(w, layers.BatchNormalization)][0]
    bn_eager = [w for w in eager.layers if isinstance(w, layers.BatchNormalization)][0]
    np.testing.assert_allclose(bn.moving_mean.detach(), bn_eager.moving_mean.detach(), atol=1e-6)


def test_dropout_runs_compiled_and_is_reproducible():
    x = RNG.random((96, 10), dtype=np.float32)
    y = (x.sum(axis=1, keepdims=True) > 5).astype(np.float32)

    def run():
        ketorch.utils.set_random_seed(3)
        model = ketorch.Sequential(
            [
                ketorch.Input((10,)),
                layers.Dense(32, activation="relu"),
                layers.Dropout(0.5),
                layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile("adam", "binary_crossentropy", jit_compile=True)
        history = model.fit(x, y, batch_size=32, epochs=6, verbose=0)
        _compiled_steps(model)
        return model, history.history["loss"]

    model_a, loss_a = run()
    model_b, loss_b = run()
    assert loss_a == loss_b
    for a, b in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loss_a[-1] < loss_a[0]
    # Dropout really drops in the compiled step: training loss differs from inference loss.
    with torch.no_grad():
        ketorch.utils.set_random_seed(3)
        train_out = model_a(torch.as_tensor(x), training=True)
        infer_out = model_a(torch.as_tensor(x), training=False)
    assert not torch.allclose(train_out, infer_out)


def test_models_the_graph_cannot_express_train_eagerly_with_a_warning():
    x = RNG.integers(1, 20, (40, 5)).astype(np.int32)
    y = RNG.integers(0, 2, (40, 1)).astype(np.float32)
    model = ketorch.Sequential(
        [
            ketorch.Input((5,), dtype="int32"),
            layers.Embedding(20, 4),
            layers.LSTM(3),
            layers.Dense(1),
        ]
    )
    model.compile("rmsprop", "mse", jit_compile=True)
    with pytest.warns(UserWarning, match=r"runs eagerly because layer 'lstm.*' \(LSTM\)"):
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    class Custom(ketorch.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, x, y, sample_weight=None):
            return super().train_step(x, y, sample_weight)

    custom = Custom()
    custom.compile("sgd", "mse", jit_compile=True)
    with pytest.warns(UserWarning, match="overrides train_step"):
        custom.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), verbose=0)


def test_recompile_and_trainable_changes_trace_again():
    x = RNG.random((64, 6), dtype=np.float32)
    y = RNG.random((64, 2), dtype=np.float32)
    first = layers.Dense(4, name="first")
    model = ketorch.Sequential([ketorch.Input((6,)), first, layers.Dense(2)])
    model.compile("sgd", "mse", jit_compile=True)
    model.fit(x, y, batch_size=32, verbose=0)
    step = _compiled_steps(model)

    first.trainable = False
    model.compile("sgd", "mse", jit_compile=True)
    frozen = [w.copy() for w in first.get_weights()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert _compiled_steps(model) is not step
    for a, b in zip(frozen, first.get_weights()):
        np.testing.assert_array_equal(a, b)

    with pytest.raises(ValueError, match="jit_compile"):
        model.compile("sgd", "mse", jit_compile="yes")


def test_learning_rate_changes_from_callbacks_reach_the_compiled_step():
    x = RNG.random((64, 5), dtype=np.float32)
    y = RNG.random((64, 1), dtype=np.float32)

    def build():
        return ketorch.Sequential([ketorch.Input((5,)), layers.Dense(1)])

    def schedule(epoch, lr):
        return 0.1 if epoch == 0 else 0.0  # the second epoch must not move the weights

    eager, jit = _twins(build, optimizer=ketorch.optimizers.SGD(0.5), loss="mse")
    jit.compile(optimizer=ketorch.optimizers.SGD(0.5), loss="mse", jit_compile=True)
    kw = dict(batch_size=32, epochs=2, shuffle=False, verbose=0)
    cb = [ketorch.callbacks.LearningRateScheduler(schedule)]
    h_eager = eager.fit(x, y, callbacks=cb, **kw)
    after_first = None

    class Snapshot(ketorch.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            nonlocal after_first
            if epoch == 0:
                after_first = [w.copy() for w in self.model.get_weights()]

    h_jit = jit.fit(x, y, callbacks=[*cb, Snapshot()], **kw)
    _compiled_steps(jit)
    _assert_same(eager, jit, h_eager, h_jit)
    for a, b in zip(after_first, jit.get_weights()):
        np.testing.assert_array_equal(a, b)
