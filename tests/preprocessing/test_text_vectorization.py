"""TextVectorization against Keras's documented semantics.

Keras's own TextVectorization needs TensorFlow, which the test environment lacks, so expected
values are computed by hand from Keras's rules: ASCII lowercase, ASCII punctuation stripped,
whitespace split, vocabulary by count then token (highest first), '' and '[UNK]' first in int
mode, idf = log(1 + N / (1 + df)) with the OOV slot weighted by the mean idf.
"""

import numpy as np
import pytest
import torch

from ketorch.layers.preprocessing.text_vectorization import TextVectorization

CORPUS = ["foo bar", "bar baz", "baz bada boom"]


def test_documented_int_example():
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(CORPUS)
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    out = layer([["foo qux bar"], ["qux baz"]])
    assert out.dtype == torch.int64
    np.testing.assert_array_equal(out.numpy(), [[4, 1, 3, 0], [1, 2, 0, 0]])
    assert layer.vocabulary_size() == 7


def test_vocabulary_argument_and_set_vocabulary():
    layer = TextVectorization(vocabulary=["earth", "wind", "and", "fire"], output_sequence_length=4)
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    # "&" is punctuation: stripped, leaving no token.
    np.testing.assert_array_equal(layer(["Earth, wind & FIRE! ok"]).numpy(), [[2, 3, 5, 1]])
    layer.set_vocabulary(["", "[UNK]", "fire", "water"])
    assert layer.get_vocabulary() == ["", "[UNK]", "fire", "water"]
    np.testing.assert_array_equal(layer(["water fire"]).numpy(), [[3, 2, 0, 0]])


def test_standardize_and_split_modes():
    text = ["Hello, World! It's ÉCOLE\tTime"]
    default = TextVectorization(
        split=None, standardize="lower_and_strip_punctuation", vocabulary=["x"]
    )
    assert default._tokenize(text) == [["hello world its École\ttime"]]  # ASCII-only lowercase
    assert TextVectorization(standardize="lower", vocabulary=["x"])._tokenize(text) == [
        ["hello,", "world!", "it's", "École", "time"]
    ]
    assert TextVectorization(standardize="strip_punctuation", vocabulary=["x"])._tokenize(text) == [
        ["Hello", "World", "Its", "ÉCOLE", "Time"]
    ]
    assert TextVectorization(standardize=None, split="character", vocabulary=["x"])._tokenize(
        ["Ab c"]
    ) == [["A", "b", " ", "c"]]
    custom = TextVectorization(
        standardize=lambda a: np.char.upper(a.astype(str)),
        split=lambda a: [s.split("-") for s in a],
        vocabulary=["x"],
    )
    assert custom._tokenize(["a-b", "c"]) == [["A", "B"], ["C"]]


def test_ngrams():
    layer = TextVectorization(ngrams=2, vocabulary=["x"])
    assert layer._tokenize(["a b c", "d"]) == [["a", "b", "c", "a b", "b c"], ["d"]]
    layer = TextVectorization(ngrams=(3,), vocabulary=["x"])
    assert layer._tokenize(["a b c d", "a b"]) == [["a b c", "b c d"], []]
    adapted = TextVectorization(ngrams=2, output_mode="multi_hot")
    adapted.adapt(["the cat", "the cat sat"])
    vocab = adapted.get_vocabulary()
    assert vocab == ["[UNK]", "the cat", "the", "cat", "sat", "cat sat"]


def test_output_sequence_length_truncates_at_end_and_ragged_pads():
    layer = TextVectorization(output_sequence_length=2)
    layer.adapt(["a b c d"])
    np.testing.assert_array_equal(
        layer(["a b c", "d"]).numpy(), [[layer.get_vocabulary().index("a"), 4], [2, 0]]
    )
    free = TextVectorization(vocabulary=["a", "b"])
    np.testing.assert_array_equal(
        free(["a b a", "b", ""]).numpy(), [[2, 3, 2], [3, 0, 0], [0, 0, 0]]
    )
    assert tuple(free([]).shape) == (0, 0)


def test_max_tokens_counts_special_tokens():
    layer = TextVectorization(max_tokens=4)
    layer.adapt(["a a a b b c", "c d"])
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "c"]
    multi = TextVectorization(max_tokens=3, output_mode="multi_hot")
    multi.adapt(["a a a b b c", "c d"])
    assert multi.get_vocabulary() == ["[UNK]", "a", "c"]


def test_multi_hot_count_and_tf_idf():
    docs = ["the cat sat", "the dog sat down", "a cat"]
    multi = TextVectorization(output_mode="multi_hot")
    multi.adapt(docs)
    vocab = multi.get_vocabulary()
    assert vocab == ["[UNK]", "the", "sat", "cat", "down", "dog", "a"]
    np.testing.assert_array_equal(multi(["the the fish"]).numpy(), [[1, 1, 0, 0, 0, 0, 0]])
    count = TextVectorization(output_mode="count", vocabulary=vocab[1:])
    np.testing.assert_array_equal(count(["the the fish cat"]).numpy(), [[1, 2, 0, 1, 0, 0, 0]])

    tfidf = TextVectorization(output_mode="tf_idf")
    tfidf.adapt(docs)
    doc_freq = {"the": 2, "sat": 2, "cat": 2, "down": 1, "dog": 1, "a": 1}
    idf = np.array([np.log(1 + 3 / (1 + doc_freq[t])) for t in vocab[1:]], dtype=np.float32)
    weights = np.concatenate([[idf.mean()], idf])
    out = tfidf(["the the fish cat"]).numpy()
    np.testing.assert_allclose(
        out, [[weights[0], 2 * weights[1], 0, weights[3], 0, 0, 0]], rtol=1e-6
    )
    assert out.dtype == np.float32

    padded = TextVectorization(max_tokens=10, output_mode="count", pad_to_max_tokens=True)
    padded.adapt(docs)
    assert tuple(padded(["the cat"]).shape) == (1, 10)


def test_input_forms():
    layer = TextVectorization(vocabulary=["a", "b"])
    expected = [[2, 3], [3, 0]]
    for data in (
        ["a b", "b"],
        np.array(["a b", "b"]),
        np.array([b"a b", b"b"]),
        np.array([["a b"], ["b"]]),
    ):
        np.testing.assert_array_equal(layer(data).numpy(), expected)
    np.testing.assert_array_equal(layer("b a").numpy(), [3, 2])
    one_token = TextVectorization(split=None, output_mode="one_hot", vocabulary=["a", "b"])
    np.testing.assert_array_equal(one_token(["b", "zz", "a"]).numpy(), np.eye(3)[[2, 0, 1]])


def test_adapt_from_batches_generator():
    def batches():
        yield ["b b", "c"]
        yield np.array(["a b c"])
        yield ["never read"]

    layer = TextVectorization()
    layer.adapt(batches(), steps=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "c", "a"]


def test_config_round_trip():
    layer = TextVectorization(
        max_tokens=20, ngrams=2, output_sequence_length=5, vocabulary=["x", "y", "x y"], name="tv"
    )
    config = layer.get_config()
    assert (
        config["vocabulary"] == ["x", "y", "x y"]
        and config["ngrams"] == 2
        and config["vocabulary_size"] == 5
    )
    clone = TextVectorization.from_config(config)
    np.testing.assert_array_equal(clone(["x y z"]).numpy(), layer(["x y z"]).numpy())


def test_errors():
    with pytest.raises(ValueError, match="Received: output_mode='bogus'"):
        TextVectorization(output_mode="bogus")
    with pytest.raises(ValueError, match="standardize"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split"):
        TextVectorization(split="comma")
    with pytest.raises(ValueError, match="ngrams"):
        TextVectorization(ngrams="2")
    with pytest.raises(ValueError, match="output_sequence_length"):
        TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="ragged"):
        TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="sparse"):
        TextVectorization(sparse=True, output_mode="count")
    with pytest.raises(ValueError, match="last dimension"):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(RuntimeError, match="adapt"):
        TextVectorization(output_mode="multi_hot")(["a"])
