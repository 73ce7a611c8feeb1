"""ketorch.datasets and keras.datasets read the same fake cache files into equal arrays."""

import hashlib
import importlib

import dataset_fakes as fakes
import numpy as np
import pytest

import ketorch
from ketorch.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)


@pytest.fixture
def keras_datasets(monkeypatch, keras_home):
    """Real Keras reading the same cache; its hash checks (of the real files) are switched off."""
    import keras
    from keras.src.utils import file_utils

    def without_hash(*args, **kwargs):
        kwargs.pop("file_hash", None)
        return file_utils.get_file(*args, **kwargs)

    for name in ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
                 "boston_housing", "california_housing"]:  # fmt: skip
        monkeypatch.setattr(importlib.import_module(f"keras.src.datasets.{name}"), "get_file",
                            without_hash)  # fmt: skip
    return keras.datasets


def _same(ours, theirs):
    """Equal nested tuples of arrays: same types, dtypes, shapes and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
        return
    assert isinstance(ours, np.ndarray)
    assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
    if theirs.dtype == object:
        assert [list(map(int, o)) for o in ours] == [list(map(int, t)) for t in theirs]
        assert all(type(o) is list for o in ours)
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_public_modules():
    assert ketorch.datasets.mnist is mnist
    assert ketorch.datasets.reuters.get_label_names() == reuters.get_label_names()


def test_mnist(keras_datasets, keras_home, monkeypatch):
    monkeypatch.setattr(mnist, "FILE_HASH", fakes.sha256(fakes.write_mnist(keras_home)))
    ours = mnist.load_data()
    _same(ours, keras_datasets.mnist.load_data())
    assert ours[0][0].shape == (12, 28, 28) and ours[0][0].dtype == np.uint8


def test_mnist_other_file_name(keras_datasets, keras_home, monkeypatch):
    path = fakes.write_mnist(keras_home, name="digits.npz")
    monkeypatch.setattr(mnist, "FILE_HASH", fakes.sha256(path))
    _same(mnist.load_data("digits.npz"), keras_datasets.mnist.load_data("digits.npz"))


def test_fashion_mnist(keras_datasets, keras_home):
    fakes.write_fashion_mnist(keras_home)
    ours = fashion_mnist.load_data()
    _same(ours, keras_datasets.fashion_mnist.load_data())
    assert ours[0][0].flags.writeable


def test_cifar10(keras_datasets, keras_home, monkeypatch):
    archive = fakes.write_cifar10(keras_home)  # an uncompressed tar keeps this quick
    monkeypatch.setattr(cifar10, "FILE_HASH", fakes.sha256(archive))
    ours = cifar10.load_data()
    _same(ours, keras_datasets.cifar10.load_data())
    assert ours[0][0].shape == (50000, 32, 32, 3) and ours[1][1].shape == (10000, 1)
    assert ours[0][1].dtype == np.uint8 and ours[0][0].flags.c_contiguous


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(keras_datasets, keras_home, monkeypatch, label_mode):
    archive = fakes.write_cifar100(keras_home)
    monkeypatch.setattr(cifar100, "FILE_HASH", fakes.sha256(archive))
    ours = cifar100.load_data(label_mode)
    _same(ours, keras_datasets.cifar100.load_data(label_mode))
    assert ours[0][0].shape == (14, 32, 32, 3) and ours[0][1].shape == (14, 1)


def test_cifar100_channels_first(keras_datasets, keras_home, monkeypatch):
    import keras

    archive = fakes.write_cifar100(keras_home)
    monkeypatch.setattr(cifar100, "FILE_HASH", fakes.sha256(archive))
    before = (keras.config.image_data_format(), ketorch.config.image_data_format())
    keras.config.set_image_data_format("channels_first")
    ketorch.config.set_image_data_format("channels_first")
    try:
        ours = cifar100.load_data()
        _same(ours, keras_datasets.cifar100.load_data())
    finally:
        keras.config.set_image_data_format(before[0])
        ketorch.config.set_image_data_format(before[1])
    assert ours[0][0].shape == (14, 3, 32, 32)


IMDB_CASES = [
    {},
    {"num_words": 30},
    {"num_words": 30, "skip_top": 8},
    {"maxlen": 15},
    {"seed": 7, "start_char": None},
    {"oov_char": None, "num_words": 25, "skip_top": 5},
    {"index_from": 0, "start_char": None},
    {"index_from": 0, "start_char": 5, "oov_char": 9, "num_words": 40},
]


@pytest.mark.parametrize("kwargs", IMDB_CASES, ids=str)
def test_imdb(keras_datasets, keras_home, monkeypatch, kwargs):
    monkeypatch.setattr(imdb, "FILE_HASH", fakes.sha256(fakes.write_imdb(keras_home)))
    ours = imdb.load_data(**kwargs)
    _same(ours, keras_datasets.imdb.load_data(**kwargs))
    assert ours[0][0].ndim == 1 and ours[0][1].dtype == np.int64


def test_imdb_word_index(keras_datasets, keras_home, monkeypatch):
    fakes.write_imdb(keras_home)
    data = (keras_home / "datasets" / "imdb_word_index.json").read_bytes()
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(data).hexdigest())
    assert imdb.get_word_index() == keras_datasets.imdb.get_word_index()


def test_imdb_maxlen_too_small(keras_home, monkeypatch):
    monkeypatch.setattr(imdb, "FILE_HASH", fakes.sha256(fakes.write_imdb(keras_home)))
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)


REUTERS_CASES = [
    {},
    {"num_words": 30, "skip_top": 4},
    {"maxlen": 12, "test_split": 0.3},
    {"test_split": 0.0, "seed": 1},
    {"oov_char": None, "num_words": 20},
    {"start_char": None, "index_from": 0},
]


@pytest.mark.parametrize("kwargs", REUTERS_CASES, ids=str)
def test_reuters(keras_datasets, keras_home, monkeypatch, kwargs):
    monkeypatch.setattr(reuters, "FILE_HASH", fakes.sha256(fakes.write_reuters(keras_home)))
    _same(reuters.load_data(**kwargs), keras_datasets.reuters.load_data(**kwargs))


def test_reuters_word_index_and_labels(keras_datasets, keras_home, monkeypatch):
    fakes.write_reuters(keras_home)
    data = (keras_home / "datasets" / "reuters_word_index.json").read_bytes()
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", hashlib.md5(data).hexdigest())
    assert (
        reuters.get_word_index() == keras_datasets.reuters.get_word_index() == {"the": 1, "of": 2}
    )
    assert reuters.get_label_names() == keras_datasets.reuters.get_label_names()
    assert len(reuters.get_label_names()) == 46


@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.5, "seed": 3}, {"test_split": 0.0}])
def test_boston_housing(keras_datasets, keras_home, monkeypatch, kwargs):
    path = fakes.write_housing(keras_home, "boston_housing.npz", 37, 13, np.float64)
    monkeypatch.setattr(boston_housing, "FILE_HASH", fakes.sha256(path))
    _same(boston_housing.load_data(**kwargs), keras_datasets.boston_housing.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"version": "small"}, {"version": "small", "seed": 5,
                                                                "test_split": 0.25}])  # fmt: skip
def test_california_housing(keras_datasets, keras_home, monkeypatch, kwargs):
    path = fakes.write_housing(keras_home, "california_housing.npz", 700, 8, np.float32)
    monkeypatch.setattr(california_housing, "FILE_HASH", fakes.sha256(path))
    ours = california_housing.load_data(**kwargs)
    _same(ours, keras_datasets.california_housing.load_data(**kwargs))
    assert len(ours[0][0]) + len(ours[1][0]) == (600 if kwargs else 700)
