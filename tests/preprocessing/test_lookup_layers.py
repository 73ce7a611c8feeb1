"""StringLookup / IntegerLookup: Keras's documented behaviour (Keras's own layers need TensorFlow,
which the test environment lacks, so expectations are Keras's documented outputs and rules)."""

import os

import numpy as np
import pytest
import torch

import ketorch
from ketorch.layers.preprocessing.integer_lookup import IntegerLookup
from ketorch.layers.preprocessing.string_lookup import StringLookup

VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d"], ["d", "z", "b"]]
DATA4 = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]


def _np(t):
    return t.numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def test_string_lookup_vocabulary_and_adapt():
    layer = StringLookup(vocabulary=VOCAB)
    out = layer(DATA)
    assert out.dtype == torch.int64
    np.testing.assert_array_equal(_np(out), [[1, 3, 4], [4, 0, 2]])
    assert layer.get_vocabulary() == ["[UNK]", *VOCAB]
    assert layer.vocabulary_size() == 5

    adapted = StringLookup()
    adapted.adapt(DATA)
    # Most frequent first; ties broken by token, highest first.
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(_np(adapted(DATA)), [[5, 3, 1], [1, 2, 4]])
    assert adapted.get_vocabulary(include_special_tokens=False) == ["d", "z", "c", "b", "a"]


def test_string_lookup_accepts_numpy_bytes_and_scalars():
    layer = StringLookup(vocabulary=VOCAB)
    np.testing.assert_array_equal(_np(layer(np.array([b"a", b"q", b"d"]))), [1, 0, 4])
    np.testing.assert_array_equal(_np(layer(np.array(["c"]))), [3])
    assert int(layer("b")) == 2


def test_string_lookup_encoded_modes():
    one_hot = StringLookup(vocabulary=VOCAB, output_mode="one_hot")(["a", "b", "c", "d", "z"])
    np.testing.assert_array_equal(_np(one_hot), np.eye(5)[[1, 2, 3, 4, 0]])
    multi = StringLookup(vocabulary=VOCAB, output_mode="multi_hot")(DATA4)
    np.testing.assert_array_equal(_np(multi), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    count = StringLookup(vocabulary=VOCAB, output_mode="count")(DATA4)
    np.testing.assert_array_equal(_np(count), [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    assert count.dtype == torch.float32
    padded = StringLookup(
        vocabulary=VOCAB, output_mode="multi_hot", max_tokens=8, pad_to_max_tokens=True
    )
    assert tuple(padded(DATA4).shape) == (2, 8)


def test_string_lookup_tf_idf_with_given_weights():
    layer = StringLookup(output_mode="tf_idf")
    layer.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    # The OOV weight defaults to the mean of the given weights (0.5).
    np.testing.assert_allclose(
        _np(layer(DATA4)), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], atol=1e-6
    )
    layer = StringLookup(output_mode="tf_idf")
    layer.set_vocabulary(["[UNK]", *VOCAB], idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(
        _np(layer(DATA4)), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], atol=1e-6
    )


def test_string_lookup_tf_idf_adapt():
    docs = [["x", "y", "x"], ["x", "z", "w"], ["y", "y", "q"]]
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary()
    assert vocab == ["[UNK]", "y", "x", "z", "w", "q"]
    doc_freq = {"y": 2, "x": 2, "z": 1, "w": 1, "q": 1}
    idf = np.array([np.log(1 + 3 / (1 + doc_freq[t])) for t in vocab[1:]], dtype=np.float32)
    expected_weights = np.concatenate([[idf.mean()], idf])
    np.testing.assert_allclose(layer.idf_weights.numpy(), expected_weights, rtol=1e-6)
    out = layer([["x", "x", "nope"]])
    np.testing.assert_allclose(
        _np(out)[0], [expected_weights[0], 0, 2 * idf[1], 0, 0, 0], rtol=1e-6
    )


def test_string_lookup_mask_token_and_invert():
    layer = StringLookup(vocabulary=VOCAB, mask_token="")
    assert layer.get_vocabulary() == ["", "[UNK]", *VOCAB]
    np.testing.assert_array_equal(_np(layer([["a", "", "z"]])), [[2, 0, 1]])
    # In encoded modes the mask slot does not exist and masked tokens count for nothing.
    multi = StringLookup(vocabulary=VOCAB, mask_token="", output_mode="count")
    np.testing.assert_array_equal(_np(multi([["a", "", "z"]])), [[1, 1, 0, 0, 0]])

    inverse = StringLookup(vocabulary=VOCAB, invert=True)
    assert inverse([[1, 3, 4], [4, 0, 2]]).tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]
    forward = StringLookup(vocabulary=VOCAB)
    assert inverse(forward(DATA)).tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_string_lookup_max_tokens_and_multiple_oov():
    layer = StringLookup(max_tokens=3)
    layer.adapt(["a", "b", "b", "c", "c", "c"])
    assert layer.get_vocabulary() == ["[UNK]", "c", "b"]
    multi = StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    out = _np(multi(DATA))
    np.testing.assert_array_equal(out[0], [2, 4, 5])
    assert out[1, 0] == 5 and out[1, 2] == 3 and out[1, 1] in (0, 1)
    # Out-of-vocabulary buckets are stable from call to call.
    assert _np(multi(["zzz"] * 3)).tolist() == [_np(multi(["zzz"]))[0]] * 3


def test_string_lookup_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    layer = StringLookup(vocabulary=str(path))
    np.testing.assert_array_equal(_np(layer(DATA)), [[1, 3, 4], [4, 0, 2]])


def test_string_lookup_config_round_trip_and_assets(tmp_path):
    layer = StringLookup(vocabulary=VOCAB, mask_token="", num_oov_indices=1, name="lk")
    config = layer.get_config()
    assert (
        config["vocabulary"] == VOCAB
        and config["mask_token"] == ""
        and config["encoding"] == "utf-8"
    )
    clone = StringLookup.from_config(config)
    np.testing.assert_array_equal(_np(clone(DATA)), _np(layer(DATA)))

    adapted = StringLookup(output_mode="multi_hot")
    adapted.adapt(DATA)
    adapted.save_assets(str(tmp_path))
    restored = StringLookup.from_config(adapted.get_config())
    restored.load_assets(str(tmp_path))
    assert restored.get_vocabulary() == adapted.get_vocabulary()
    np.testing.assert_array_equal(_np(restored(DATA)), _np(adapted(DATA)))


def test_string_lookup_errors():
    with pytest.raises(ValueError, match="Received: output_mode='bogus'"):
        StringLookup(output_mode="bogus")
    with pytest.raises(ValueError, match="max_tokens"):
        StringLookup(max_tokens=1)
    with pytest.raises(ValueError, match="invert"):
        StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="repeats"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="mask token"):
        StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="max_tokens"):
        StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(ValueError, match="idf_weights"):
        StringLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        StringLookup(vocabulary=VOCAB, num_oov_indices=0)(["zz"])
    with pytest.raises(RuntimeError, match="adapt"):
        StringLookup(output_mode="multi_hot")(DATA)
    with pytest.raises(ValueError, match="Cannot adapt"):
        StringLookup(vocabulary=VOCAB).adapt(DATA)
    with pytest.raises(TypeError, match="symbolic"):
        StringLookup(vocabulary=VOCAB)(ketorch.Input(shape=(3,)))


INT_VOCAB = [12, 36, 1138, 42]
INT_DATA = np.array([[12, 1138, 42], [42, 1000, 36]])


def test_integer_lookup_documented_outputs():
    layer = IntegerLookup(vocabulary=INT_VOCAB)
    np.testing.assert_array_equal(_np(layer(INT_DATA)), [[1, 3, 4], [4, 0, 2]])
    np.testing.assert_array_equal(_np(layer(torch.tensor(INT_DATA))), [[1, 3, 4], [4, 0, 2]])
    adapted = IntegerLookup()
    adapted.adapt(INT_DATA)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(_np(adapted(INT_DATA)), [[5, 2, 1], [1, 3, 4]])
    two_oov = IntegerLookup(vocabulary=INT_VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(
        _np(two_oov(np.array([[12, 1138, 42], [37, 1000, 36]]))), [[2, 4, 5], [1, 0, 3]]
    )
    one_hot = IntegerLookup(vocabulary=INT_VOCAB, output_mode="one_hot")(
        np.array([12, 36, 1138, 42, 7])
    )
    np.testing.assert_array_equal(_np(one_hot), np.eye(5)[[1, 2, 3, 4, 0]])
    data4 = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
    np.testing.assert_array_equal(
        _np(IntegerLookup(vocabulary=INT_VOCAB, output_mode="multi_hot")(data4)),
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
    )
    np.testing.assert_array_equal(
        _np(IntegerLookup(vocabulary=INT_VOCAB, output_mode="count")(data4)),
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]],
    )
    tfidf = IntegerLookup(
        vocabulary=INT_VOCAB, output_mode="tf_idf", idf_weights=[0.25, 0.75, 0.6, 0.4]
    )
    np.testing.assert_allclose(
        _np(tfidf(data4)), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], atol=1e-6
    )
    inverse = IntegerLookup(vocabulary=INT_VOCAB, invert=True)
    np.testing.assert_array_equal(
        _np(inverse(np.array([[1, 3, 4], [4, 0, 2]]))), [[12, 1138, 42], [42, -1, 36]]
    )
    np.testing.assert_array_equal(_np(inverse(layer(INT_DATA))), [[12, 1138, 42], [42, -1, 36]])


def test_integer_lookup_mask_and_errors():
    layer = IntegerLookup(vocabulary=INT_VOCAB, mask_token=0)
    assert layer.get_vocabulary() == [0, -1, *INT_VOCAB]
    np.testing.assert_array_equal(_np(layer(np.array([0, 12, 5]))), [0, 2, 1])
    inverse = IntegerLookup(vocabulary=INT_VOCAB, mask_token=0, invert=True)
    np.testing.assert_array_equal(_np(inverse(torch.tensor([0, 1, 2, 5, 9]))), [0, -1, 12, 42, -1])
    with pytest.raises(ValueError, match="out-of-vocabulary values \\[7\\]"):
        IntegerLookup(vocabulary=INT_VOCAB, num_oov_indices=0)(np.array([12, 7]))
    with pytest.raises(ValueError, match="vocabulary_dtype"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="num_oov_indices"):
        IntegerLookup(num_oov_indices=-1)
    assert IntegerLookup.from_config(layer.get_config()).get_vocabulary() == layer.get_vocabulary()


def test_integer_lookup_inside_a_model():
    inputs = ketorch.Input(shape=(3,), dtype="int64")
    ids = IntegerLookup(vocabulary=INT_VOCAB)(inputs)
    encoded = IntegerLookup(vocabulary=INT_VOCAB, output_mode="multi_hot")(inputs)
    assert tuple(ids.shape) == (None, 3) and tuple(encoded.shape) == (None, 5)
    model = ketorch.Model(inputs, [ids, encoded])
    out_ids, out_enc = model.predict(INT_DATA, verbose=0)
    np.testing.assert_array_equal(np.asarray(out_ids), [[1, 3, 4], [4, 0, 2]])
    np.testing.assert_array_equal(np.asarray(out_enc), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])


@pytest.mark.skipif(
    not os.environ.get("KETORCH_TEST_CUDA"), reason="set KETORCH_TEST_CUDA=1 on a GPU machine"
)
def test_integer_lookup_on_cuda():
    layer = IntegerLookup(vocabulary=INT_VOCAB, output_mode="count")
    out = layer(torch.tensor(INT_DATA, device="cuda"))
    assert out.device.type == "cuda"
    np.testing.assert_array_equal(out.cpu().numpy(), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
