"""Legacy Tokenizer and text helpers: parity with Keras's legacy implementation."""

import json
import warnings

import numpy as np
import pytest

from ketorch.preprocessing import text as kt_text
from ketorch.preprocessing.text import Tokenizer, tokenizer_from_json

keras_text = pytest.importorskip("keras._tf_keras.keras.preprocessing.text")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "The dog barks; the FOX runs!",
    "A quick-brown dog? Yes: a dog.",
    "Tabs\tand\nnewlines, and it's fine",
    "",
    "fox fox fox",
]
UNSEEN = ["the cat and the fox", "zebra", "it's a quick test", ""]

CONFIGS = [
    {},
    {"num_words": 5},
    {"oov_token": "<OOV>"},
    {"num_words": 6, "oov_token": "<OOV>"},
    {"lower": False},
    {"char_level": True},
    {"char_level": True, "num_words": 8, "oov_token": "~"},
    {"split": ",", "filters": "."},
    {"analyzer": lambda s: s.split()},
]


def _pair(config, texts=SENTENCES):
    ours, theirs = Tokenizer(**config), keras_text.Tokenizer(**config)
    ours.fit_on_texts(texts)
    theirs.fit_on_texts(texts)
    return ours, theirs


@pytest.mark.parametrize("config", CONFIGS)
def test_fit_tables_match_keras(config):
    ours, theirs = _pair(config)
    assert list(ours.word_counts.items()) == list(theirs.word_counts.items())
    assert dict(ours.word_docs) == dict(theirs.word_docs)
    assert list(ours.word_index.items()) == list(theirs.word_index.items())
    assert ours.index_word == theirs.index_word
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    assert ours.document_count == theirs.document_count


@pytest.mark.parametrize("config", CONFIGS)
def test_sequences_and_texts_match_keras(config):
    ours, theirs = _pair(config)
    for texts in (SENTENCES, UNSEEN):
        seqs = ours.texts_to_sequences(texts)
        assert seqs == theirs.texts_to_sequences(texts)
        assert ours.sequences_to_texts(seqs) == theirs.sequences_to_texts(seqs)
    odd = [[1, 2, 99, 0], [3, 3, 4], []]
    assert ours.sequences_to_texts(odd) == theirs.sequences_to_texts(odd)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mode", ["binary", "count", "tfidf", "freq"])
def test_matrices_match_keras(config, mode):
    ours, theirs = _pair(config)
    for texts in (SENTENCES, UNSEEN):
        got = ours.texts_to_matrix(texts, mode=mode)
        want = theirs.texts_to_matrix(texts, mode=mode)
        assert got.dtype == want.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_pretokenized_lists_and_fit_on_sequences_match_keras():
    docs = [["Hello", "world"], ["hello", "there", "world", "world"]]
    ours, theirs = _pair({"oov_token": "?"}, docs)
    assert ours.texts_to_sequences(docs + [["new"]]) == theirs.texts_to_sequences(docs + [["new"]])
    seqs = [[1, 2, 2], [3], [5, 1]]
    ours.fit_on_sequences(seqs)
    theirs.fit_on_sequences(seqs)
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    assert ours.document_count == theirs.document_count
    np.testing.assert_allclose(
        ours.sequences_to_matrix(seqs, "tfidf"), theirs.sequences_to_matrix(seqs, "tfidf")
    )


def test_fit_in_two_calls_matches_keras():
    ours, theirs = Tokenizer(), keras_text.Tokenizer()
    for part in (SENTENCES[:2], SENTENCES[2:]):
        ours.fit_on_texts(part)
        theirs.fit_on_texts(part)
    assert list(ours.word_index.items()) == list(theirs.word_index.items())
    assert dict(ours.index_docs) == dict(theirs.index_docs)


@pytest.mark.parametrize(
    "config", [{}, {"num_words": 4, "oov_token": "<OOV>"}, {"char_level": True}]
)
def test_to_json_equals_keras_and_round_trips(config):
    ours, theirs = _pair(config)
    assert ours.to_json() == theirs.to_json()
    assert ours.to_json(indent=2) == theirs.to_json(indent=2)
    restored = tokenizer_from_json(ours.to_json())
    keras_restored = keras_text.tokenizer_from_json(ours.to_json())
    assert restored.word_index == ours.word_index
    assert restored.num_words == ours.num_words and restored.oov_token == ours.oov_token
    assert restored.texts_to_sequences(UNSEEN) == ours.texts_to_sequences(UNSEEN)
    np.testing.assert_allclose(
        restored.texts_to_matrix(UNSEEN, "tfidf"), keras_restored.texts_to_matrix(UNSEEN, "tfidf")
    )
    # Keras can read ours and we can read Keras's.
    assert tokenizer_from_json(theirs.to_json()).index_word == restored.index_word
    assert json.loads(ours.to_json())["class_name"] == "Tokenizer"


def test_helpers_match_keras():
    for sentence in SENTENCES:
        assert kt_text.text_to_word_sequence(sentence) == keras_text.text_to_word_sequence(sentence)
        assert kt_text.text_to_word_sequence(
            sentence, lower=False, split=" "
        ) == keras_text.text_to_word_sequence(sentence, lower=False)
        assert kt_text.one_hot(sentence, 50) == keras_text.one_hot(sentence, 50)
        assert kt_text.hashing_trick(sentence, 20, "md5") == keras_text.hashing_trick(
            sentence, 20, "md5"
        )
        assert kt_text.hashing_trick(sentence, 20, len) == keras_text.hashing_trick(
            sentence, 20, len
        )


def test_nb_words_alias_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tok = Tokenizer(nb_words=7)
    assert tok.num_words == 7
    assert any("num_words" in str(w.message) for w in caught)


def test_errors():
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        Tokenizer(foo=1)
    with pytest.raises(ValueError, match="num_words"):
        Tokenizer().sequences_to_matrix([[1]])
    tok = Tokenizer(num_words=3)
    with pytest.raises(ValueError, match="tfidf"):
        tok.sequences_to_matrix([[1]], mode="tfidf")
    tok.fit_on_texts(["a b"])
    with pytest.raises(ValueError, match="Received: mode='bogus'"):
        tok.texts_to_matrix(["a"], mode="bogus")


def test_legacy_import_path():
    import ketorch

    assert ketorch.preprocessing.text.Tokenizer is Tokenizer
