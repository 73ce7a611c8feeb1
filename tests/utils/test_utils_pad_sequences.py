import os
import time

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

from ketorch.preprocessing import sequence as legacy_sequence  # noqa: E402
from ketorch.utils import pad_sequences  # noqa: E402

SEQS = [[1, 2, 3], [4], [5, 6, 7, 8, 9], [10, 11]]


def _check(seqs, **kwargs):
    ours = pad_sequences(seqs, **kwargs)
    ref = keras.utils.pad_sequences(seqs, **kwargs)
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)
    return ours


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 2, 4, 8])
def test_modes_and_maxlen_match_keras(padding, truncating, maxlen):
    _check(SEQS, maxlen=maxlen, padding=padding, truncating=truncating)


def test_docstring_example():
    assert pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist() == [[2, 3], [0, 4]]


def test_value_and_float_dtypes_match_keras():
    _check(SEQS, value=-1)
    _check(SEQS, value=0.5, dtype="float32")
    _check([[1.7, 2.2], [3.9]], dtype="float32", maxlen=3)
    _check([[1.7, 2.2], [3.9]])  # default int32 truncates floats


def test_empty_sequences_match_keras():
    _check([[], [1, 2], []])
    _check([[], [1, 2], []], maxlen=3, padding="post", value=7)
    _check([[], []], maxlen=2)


def test_vector_sequences_match_keras():
    seqs = [np.ones((2, 3)), np.arange(12.0).reshape(4, 3), np.zeros((0, 3))]
    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            out = _check(seqs, maxlen=3, dtype="float32", padding=padding, truncating=truncating)
            assert out.shape == (3, 3, 3)


def test_string_values_match_keras():
    seqs = [["a", "bb"], ["ccc"], []]
    _check(seqs, dtype=object, value="<pad>")
    _check(seqs, dtype=object, value="", maxlen=1)
    _check(seqs, dtype="str", value="-")


def test_string_value_needs_text_dtype():
    with pytest.raises(ValueError, match=r"dtype=object.*Received: dtype='int32'"):
        pad_sequences([["a"]], value="x")


def test_numpy_array_inputs():
    arr = np.arange(12).reshape(3, 4)
    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            for maxlen in (None, 2, 6):
                _check(arr, maxlen=maxlen, padding=padding, truncating=truncating)
    _check([np.array([1, 2]), np.array([3, 4, 5])])


def test_generator_input_is_accepted():
    out = pad_sequences(s for s in [[1], [2, 3]])
    np.testing.assert_array_equal(out, [[0, 1], [2, 3]])


@pytest.mark.parametrize("arg", ["padding", "truncating"])
def test_invalid_mode_raises(arg):
    with pytest.raises(ValueError, match=rf"`{arg}`.*Received: {arg}='middle'$"):
        pad_sequences(SEQS, **{arg: "middle"})


def test_non_iterable_inputs_raise():
    with pytest.raises(ValueError, match="Received: sequences=5"):
        pad_sequences(5)
    with pytest.raises(ValueError, match=r"position 1.*Received: sequences\[1\]=3"):
        pad_sequences([[1], 3])


def test_mismatched_vector_shapes_raise():
    with pytest.raises(ValueError, match="same shape"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))], dtype="float32")


def test_bad_maxlen_raises():
    with pytest.raises(ValueError, match="Received: maxlen=-1"):
        pad_sequences(SEQS, maxlen=-1)


def test_legacy_import_path():
    assert legacy_sequence.pad_sequences is pad_sequences


def test_large_input_is_fast():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(1, 10000, size=int(n)).tolist() for n in rng.integers(50, 400, 25000)]
    start = time.perf_counter()
    out = pad_sequences(seqs, maxlen=200)
    elapsed = time.perf_counter() - start
    assert out.shape == (25000, 200)
    np.testing.assert_array_equal(out[0, -len(seqs[0][-200:]) :], seqs[0][-200:])
    # Generous bound (typically ~0.15 s); only catches accidental quadratic behaviour.
    assert elapsed < 5.0
