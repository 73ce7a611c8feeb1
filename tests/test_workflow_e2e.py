"""The tutorial workflow end to end, as a user would write it with only the import changed."""

import warnings

import numpy as np
import pytest

import ketorch as keras
from ketorch.layers import Dense, Dropout, Embedding, Flatten
from ketorch.models import Sequential
from ketorch.preprocessing.sequence import pad_sequences
from ketorch.utils import plot_history, to_categorical


def test_tutorial_mlp_and_text_workflow(tmp_path, capsys):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    keras.utils.set_random_seed(1)
    digits = load_digits()
    x = digits.data / 16.0
    y = to_categorical(digits.target)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    inputs = keras.Input(shape=(64,))
    h = Dense(64, activation="relu")(inputs)
    h = Dense(64, activation="relu")(h)
    outputs = Dense(10, activation="softmax")(h)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, batch_size=32, validation_split=0.2)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 5 for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x_test, y_test)
    assert acc > 0.8
    assert model.predict(x_test).shape == (len(x_test), 10)
    out = capsys.readouterr().out
    assert "Epoch 1/5" in out and "val_accuracy" in out
    fig = plot_history(history, to_file=tmp_path / "mlp.png")
    assert (tmp_path / "mlp.png").stat().st_size > 1000
    assert len(fig.axes) == 2

    # Text: pad_sequences + Embedding from a Keras 2 style endless generator.
    rng = np.random.default_rng(0)
    seqs = [list(rng.integers(1, 50, rng.integers(3, 12))) for _ in range(400)]
    labels = np.array([int(sum(s) % 2) for s in seqs])
    data = pad_sequences(seqs, maxlen=12)
    assert data.shape == (400, 12) and data.dtype == np.int32

    def gen():
        while True:
            idx = rng.integers(0, 400, 32)
            yield data[idx], labels[idx]

    text = Sequential(
        [Embedding(50, 8, input_length=12), Flatten(), Dropout(0.2), Dense(1, activation="sigmoid")]
    )
    text.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        h2 = text.fit_generator(
            gen(), steps_per_epoch=10, epochs=3, validation_data=(data, labels), verbose=0
        )
    assert set(h2.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    h2.plot(to_file=tmp_path / "text.png")
    assert (tmp_path / "text.png").exists()


def test_seeded_runs_identical_on_cpu():
    def run():
        keras.utils.set_random_seed(123)
        m = Sequential([keras.Input((5,)), Dense(8, activation="relu"), Dropout(0.3), Dense(1)])
        m.compile("adam", "mse")
        x = np.random.rand(64, 5)
        y = np.random.rand(64, 1)
        h = m.fit(x, y, epochs=2, verbose=0)
        return m.get_weights(), h.history

    w1, h1 = run()
    w2, h2 = run()
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_progress_bar_verbose_modes(capsys):
    m = Sequential([keras.Input((3,)), Dense(1)])
    m.compile("sgd", "mse", metrics=["mae"])
    x, y = np.random.rand(64, 3), np.random.rand(64, 1)
    m.fit(x, y, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/1" not in out  # Keras prints the epoch line only when epochs > 1
    lines = [line for line in out.splitlines() if line.strip()]
    assert (
        len(lines) == 1
        and lines[0].startswith("2/2 ")
        and "- loss:" in lines[0]
        and "- mae:" in lines[0]
    )
    m.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2"
    assert out[1].startswith("2/2 - ") and "/step - loss:" in out[1]
    m.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("old", ["lr"])
def test_keras2_optimizer_lr_argument(old):
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        opt = keras.optimizers.Adam(**{old: 0.01})
    assert opt.learning_rate == pytest.approx(0.01)


def test_keras2_predict_classes_and_proba():
    m = Sequential([keras.Input((3,)), Dense(4, activation="softmax")])
    b = Sequential([keras.Input((3,)), Dense(1, activation="sigmoid")])
    x = np.random.rand(5, 3)
    with pytest.warns(DeprecationWarning, match="predict_classes"):
        classes = m.predict_classes(x)
    np.testing.assert_array_equal(classes, m.predict(x, verbose=0).argmax(-1))
    with pytest.warns(DeprecationWarning):
        assert b.predict_classes(x).shape == (5, 1)
    with pytest.warns(DeprecationWarning, match="predict_proba"):
        np.testing.assert_allclose(m.predict_proba(x), m.predict(x, verbose=0))
