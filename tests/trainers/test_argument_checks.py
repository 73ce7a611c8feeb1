"""Arguments that used to be silently ignored: each now either works or raises clearly."""

import numpy as np
import pytest

import ketorch as K


def _model(**compile_kwargs):
    model = K.Sequential([K.Input((3,)), K.layers.Dense(1)])
    model.compile("sgd", "mse", **compile_kwargs)
    return model


def _data(n=20):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _gen(x, y):
    def gen():
        for i in range(0, len(x), 5):
            yield x[i : i + 5], y[i : i + 5]

    return gen()


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_generator_with_y_raises(method):
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="`y` must be None"):
        getattr(model, method)(_gen(x, y), y, verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_generator_with_sample_weight_raises(method):
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="`sample_weight`"):
        getattr(model, method)(_gen(x, y), sample_weight=np.ones(20), verbose=0)


def test_validation_steps_honoured_with_validation_split():
    x, y = _data(40)
    seen = []

    class Count(K.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(batch)

    model = _model()
    # 20 validation rows at batch size 5 are 4 batches; validation_steps=2 runs two.
    model.fit(
        x, y, batch_size=5, validation_split=0.5, validation_steps=2, verbose=0,
        callbacks=[Count()], shuffle=False,
    )  # fmt: skip
    assert seen == [0, 1]
    # And the validation loss is the one over those two batches (rows 20..29) only.
    expected = model.evaluate(x[20:30], y[20:30], batch_size=5, verbose=0)
    assert model.history.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)
    assert expected != pytest.approx(model.evaluate(x[20:], y[20:], verbose=0), rel=1e-3)


def test_run_eagerly_property_and_jit_off():
    model = _model(run_eagerly=True, jit_compile=True)
    assert model.run_eagerly is True
    assert model.jit_compile is False
    model = _model(jit_compile=True)
    assert model.run_eagerly is False
    assert model.jit_compile is True
    model.run_eagerly = True
    assert model.jit_compile is False
    x, y = _data()
    model.fit(x, y, verbose=0)
    assert model._compiled_step is None


def test_use_multiprocessing_accepted_and_documented():
    x, y = _data()
    model = _model()
    model.fit(x, y, verbose=0, use_multiprocessing=True, workers=1)
    assert "ignored" in model.fit.__doc__.split("use_multiprocessing")[1][:200]


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_steps_per_execution_groups_callbacks_not_results(method):
    x, y = _data(50)  # 10 batches of 5: runs of 3 are steps 0-2, 3-5, 6-8, 9
    hook = "train" if method == "fit" else "test"
    calls = []

    class Record(K.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            calls.append(("end", batch))

        on_test_batch_begin = on_train_batch_begin
        on_test_batch_end = on_train_batch_end

    results = []
    for spe in (1, 3):
        K.utils.set_random_seed(1)
        model = _model(steps_per_execution=spe)
        calls.clear()
        out = getattr(model, method)(
            x,
            y,
            batch_size=5,
            verbose=0,
            callbacks=[Record()],
            **({"shuffle": False} if method == "fit" else {}),
        )
        results.append((model.get_weights(), out.history if method == "fit" else out))
    assert calls == [
        ("begin", 0), ("end", 2), ("begin", 3), ("end", 5), ("begin", 6), ("end", 8),
        ("begin", 9), ("end", 9),
    ], hook  # fmt: skip
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert (
        results[0][1] == pytest.approx(results[1][1])
        if method == "evaluate"
        else (results[0][1]["loss"] == pytest.approx(results[1][1]["loss"]))
    )


def test_steps_per_execution_must_be_positive():
    with pytest.raises(ValueError, match="steps_per_execution"):
        _model(steps_per_execution=0)


def test_steps_per_execution_groups_predict_callbacks_with_their_outputs():
    x, _ = _data(50)  # 10 batches of 5: runs of 3 are steps 0-2, 3-5, 6-8, 9
    calls = []

    class Record(K.callbacks.Callback):
        def on_predict_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_predict_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs["outputs"].shape[0]))

    K.utils.set_random_seed(1)
    model = _model(steps_per_execution=3)
    seen = []

    class Keep(K.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append(logs["outputs"])

    pred = model.predict(x, batch_size=5, verbose=0, callbacks=[Record(), Keep()])
    assert calls == [
        ("begin", 0), ("end", 2, 15), ("begin", 3), ("end", 5, 15), ("begin", 6),
        ("end", 8, 15), ("begin", 9), ("end", 9, 5),
    ]  # fmt: skip
    np.testing.assert_array_equal(np.concatenate(seen), pred)
    model_1 = _model()
    model_1.set_weights(model.get_weights())
    np.testing.assert_allclose(model_1.predict(x, batch_size=5, verbose=0), pred, rtol=1e-6)
