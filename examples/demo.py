"""The Keras tutorial workflow, end to end, with only the import changed.

1. An MLP (Functional API) on scikit-learn's handwritten digits.
2. A small CNN (Sequential, Conv2D + MaxPooling2D) on the same digits as images.
3. A text classifier (Embedding + stacked LSTM) trained from a Python generator
   with ``fit_generator``, on sentences generated here.

Each part prints Keras's progress bar, evaluates, predicts, and writes its
training curves to ``out/*.png``.

Run: ``bash scripts/demo.sh`` (or ``python examples/demo.py --epochs 5``).
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import ketorch as keras
from ketorch.layers import LSTM, Conv2D, Dense, Dropout, Embedding, Flatten, MaxPooling2D
from ketorch.models import Sequential
from ketorch.preprocessing.sequence import pad_sequences
from ketorch.utils import plot_history, to_categorical

OUT = "out"


def mlp_on_digits(epochs):
    print("\n=== 1. MLP (Functional API) on scikit-learn digits ===")
    digits = load_digits()
    x = digits.data.astype("float32") / 16.0
    y = to_categorical(digits.target)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)

    inputs = keras.Input(shape=(64,))
    h = Dense(64, activation="relu")(inputs)
    h = Dense(64, activation="relu")(h)
    outputs = Dense(10, activation="softmax")(h)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.summary()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.2)
    loss, acc = model.evaluate(x_test, y_test)
    print(f"test loss {loss:.4f}, test accuracy {acc:.4f}")
    pred = model.predict(x_test[:8]).argmax(axis=1)
    print("predicted:", pred.tolist(), "true:", y_test[:8].argmax(axis=1).tolist())
    plot_history(history, to_file=os.path.join(OUT, "mlp_history.png"))
    return acc


def cnn_on_digits(epochs):
    print("\n=== 2. CNN (Sequential, Conv2D + MaxPooling2D) on digits as 8x8 images ===")
    digits = load_digits()
    x = (digits.images.astype("float32") / 16.0)[..., None]
    y = to_categorical(digits.target, 10)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    model = Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            Conv2D(32, 3, padding="same", activation="relu"),
            Conv2D(32, 3, activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, activation="softmax"),
        ]
    )
    model.summary()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train, y_train, epochs=epochs, validation_data=(x_test, y_test), verbose=2
    )
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {acc:.4f}")
    history.plot(to_file=os.path.join(OUT, "cnn_history.png"))
    return acc


POSITIVE = ["good", "great", "excellent", "love", "wonderful", "fun", "best", "enjoyed"]
NEGATIVE = ["bad", "awful", "boring", "hate", "terrible", "worst", "dull", "waste"]
NEUTRAL = ["the", "movie", "plot", "actors", "was", "a", "it", "and", "film", "story", "this"]


def make_sentences(n, rng):
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(NEUTRAL, size=int(rng.integers(4, 12))))
        sentiment = POSITIVE if label else NEGATIVE
        for _ in range(int(rng.integers(1, 3))):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(sentiment)))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels)


def lstm_on_text(epochs):
    print("\n=== 3. Embedding + stacked LSTM on sentences, trained from a generator ===")
    rng = np.random.default_rng(0)
    vocab = {w: i + 1 for i, w in enumerate(NEUTRAL + POSITIVE + NEGATIVE)}
    texts, labels = make_sentences(2000, rng)
    sequences = [[vocab[w] for w in t.split()] for t in texts]
    x = pad_sequences(sequences, maxlen=16)
    x_train, x_test, y_train, y_test = train_test_split(x, labels, test_size=0.2, random_state=0)

    def batches(x, y, batch_size=32):
        while True:  # the Keras 2 style endless generator
            idx = rng.permutation(len(x))
            for start in range(0, len(x) - batch_size + 1, batch_size):
                sel = idx[start : start + batch_size]
                yield x[sel], y[sel]

    model = Sequential(
        [
            Embedding(len(vocab) + 1, 32, input_length=16),
            LSTM(32, return_sequences=True),
            LSTM(16),
            Dropout(0.5),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.summary()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        history = model.fit_generator(
            batches(x_train, y_train),
            steps_per_epoch=len(x_train) // 32,
            epochs=epochs,
            validation_data=(x_test, y_test),
        )
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {acc:.4f}")
    samples = ["the movie was great and fun", "this film was a boring waste"]
    seqs = pad_sequences([[vocab[w] for w in s.split()] for s in samples], maxlen=16)
    for text, p in zip(samples, model.predict(seqs, verbose=0)[:, 0]):
        print(f"  {p:.3f}  {text!r}")
    plot_history(history, to_file=os.path.join(OUT, "lstm_history.png"))
    return acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(42)
    results = {
        "mlp": mlp_on_digits(args.epochs),
        "cnn": cnn_on_digits(args.epochs),
        "lstm": lstm_on_text(max(3, args.epochs // 2)),
    }
    print("\nTest accuracy:", {k: round(v, 4) for k, v in results.items()})
    print(f"Training curves written to {OUT}/mlp_history.png, cnn_history.png, lstm_history.png")


if __name__ == "__main__":
    main()
