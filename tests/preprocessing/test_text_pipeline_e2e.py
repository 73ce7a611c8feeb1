"""Raw sentences to a trained Embedding+LSTM classifier, through Tokenizer or TextVectorization."""

import numpy as np

import ketorch
from ketorch.layers.preprocessing.text_vectorization import TextVectorization
from ketorch.preprocessing.text import Tokenizer
from ketorch.utils import pad_sequences

POSITIVE = ["good", "great", "love", "excellent", "happy", "wonderful"]
NEGATIVE = ["bad", "awful", "hate", "terrible", "sad", "boring"]
FILLER = ["the", "movie", "was", "i", "it", "really", "a", "film", "plot", "and", "so", "very"]


def _sentences(n, seed):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(FILLER, size=int(rng.integers(4, 9))))
        for _ in range(int(rng.integers(1, 3))):
            words.insert(
                int(rng.integers(0, len(words) + 1)), rng.choice(POSITIVE if label else NEGATIVE)
            )
        sentence = " ".join(words)
        if rng.random() < 0.5:
            sentence = sentence.capitalize() + rng.choice([".", "!", "?!"])
        texts.append(sentence)
        labels.append(label)
    return texts, np.array(labels, dtype="float32")


def _classifier(vocab_size):
    model = ketorch.Sequential(
        [
            ketorch.Input(shape=(12,), dtype="int64"),
            ketorch.layers.Embedding(vocab_size, 16),
            ketorch.layers.LSTM(16),
            ketorch.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=ketorch.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"]
    )
    return model


def test_tokenizer_pad_sequences_embedding_lstm():
    ketorch.utils.set_random_seed(0)
    texts, y = _sentences(320, seed=0)
    test_texts, test_y = _sentences(120, seed=1)
    tokenizer = Tokenizer(num_words=40, oov_token="<unk>")
    tokenizer.fit_on_texts(texts)
    x = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=12)
    x_test = pad_sequences(
        tokenizer.texts_to_sequences(test_texts + ["an unseen sentence"]), maxlen=12
    )
    assert x.shape == (320, 12) and x_test[-1].tolist()[-3:] == [1, 1, 1]
    model = _classifier(40)
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _, accuracy = model.evaluate(x_test[:-1], test_y, verbose=0)
    assert accuracy >= 0.95


def test_text_vectorization_feeds_embedding_lstm():
    ketorch.utils.set_random_seed(0)
    texts, y = _sentences(320, seed=2)
    test_texts, test_y = _sentences(120, seed=3)
    vectorizer = TextVectorization(max_tokens=40, output_sequence_length=12)
    vectorizer.adapt(texts)
    x = vectorizer(np.array(texts))
    assert tuple(x.shape) == (320, 12) and str(x.dtype) == "torch.int64"
    model = _classifier(40)
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(vectorizer(test_texts), test_y, verbose=0)
    assert accuracy >= 0.95
    # Multi-hot bag of words into a Dense classifier works too.
    bag = TextVectorization(output_mode="multi_hot")
    bag.adapt(texts)
    dense = ketorch.Sequential(
        [ketorch.Input((bag.vocabulary_size(),)), ketorch.layers.Dense(1, activation="sigmoid")]
    )
    dense.compile(
        optimizer=ketorch.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"]
    )
    dense.fit(bag(texts), y, epochs=10, batch_size=32, verbose=0)
    assert dense.evaluate(bag(test_texts), test_y, verbose=0)[1] >= 0.95
