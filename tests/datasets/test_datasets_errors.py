"""ketorch.datasets: downloads, legacy caches, and clear errors for missing, stale or hostile files."""

import io
import os
import pickle
import tarfile

import dataset_fakes as fakes
import numpy as np
import pytest

from ketorch.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
)
from ketorch.utils.archive_extraction import ArchiveError
from ketorch.utils.download import DownloadError


def test_offline_without_cache_names_file_url_and_place(keras_home):
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    assert "'mnist.npz'" in message and mnist.ORIGIN in message
    assert str(keras_home / "datasets" / "mnist.npz") in message
    assert os.listdir(keras_home / "datasets") == []


def test_cached_file_with_wrong_hash_offline(keras_home):
    fakes.write_mnist(keras_home)  # not the real file: its hash differs from Keras's
    with pytest.raises(DownloadError, match="wrong hash"):
        mnist.load_data()


def test_download_into_cache_then_offline(file_server, keras_home, monkeypatch, tmp_path):
    served = fakes.write_mnist(tmp_path / "elsewhere")
    file_server.files["mnist.npz"] = served.read_bytes()
    monkeypatch.setattr(mnist, "ORIGIN", file_server.url("mnist.npz"))
    monkeypatch.setattr(mnist, "FILE_HASH", fakes.sha256(served))
    (x_train, y_train), _ = mnist.load_data()
    assert (keras_home / "datasets" / "mnist.npz").read_bytes() == served.read_bytes()
    file_server.close()  # the second load needs no network
    (x_again, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_again, x_train)
    assert file_server.hits("mnist.npz") == 1


def test_fashion_mnist_download_and_truncated_file(file_server, keras_home, monkeypatch, tmp_path):
    folder = fakes.write_fashion_mnist(tmp_path / "src")
    for name in fashion_mnist.FILES:
        file_server.files[name] = (folder / name).read_bytes()
    monkeypatch.setattr(fashion_mnist, "TF_KERAS_DATASETS", file_server.url(""))
    (x_train, _), (x_test, _) = fashion_mnist.load_data()
    assert x_train.shape == (9, 28, 28) and x_test.shape == (4, 28, 28)
    cached = keras_home / "datasets" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:-20])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz"):
        fashion_mnist.load_data()


class _Gadget:
    """Pickles to a call of os.system: what a tampered data set file could hold."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_gadget_in_imdb_is_refused(keras_home, monkeypatch, tmp_path):
    marker = tmp_path / "pwned"
    x = np.empty(2, dtype=object)
    x[0], x[1] = [1, 2], _Gadget(marker)
    path = keras_home / "datasets" / "imdb.npz"
    path.parent.mkdir()
    np.savez(path, x_train=x, y_train=np.zeros(2, np.int64), x_test=x, y_test=np.zeros(2, np.int64))
    monkeypatch.setattr(imdb, "FILE_HASH", fakes.sha256(path))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load `(posix|os).system`"):
        imdb.load_data()
    assert not marker.exists()


def test_pickle_gadget_in_cifar_batch_is_refused(keras_home, monkeypatch, tmp_path):
    marker = tmp_path / "pwned"
    archive = keras_home / "datasets" / "cifar-100-python-target_archive"
    archive.parent.mkdir()
    payload = pickle.dumps({b"data": _Gadget(marker)}, protocol=2)
    with tarfile.open(archive, "w:gz") as tf:
        for split in ("train", "test"):
            info = tarfile.TarInfo(f"cifar-100-python/{split}")
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    monkeypatch.setattr(cifar100, "FILE_HASH", fakes.sha256(archive))
    with pytest.raises(ValueError, match="not a readable CIFAR batch"):
        cifar100.load_data()
    assert not marker.exists()


def test_cifar10_any_batch_size_matches_keras_batch_reader(keras_home, monkeypatch):
    from keras.src.datasets.cifar import load_batch as keras_load_batch

    archive = fakes.write_cifar10(keras_home, per_batch=6, mode="w:gz")
    monkeypatch.setattr(cifar10, "FILE_HASH", fakes.sha256(archive))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    folder = keras_home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    parts = [keras_load_batch(str(folder / f"data_batch_{i}")) for i in range(1, 6)]
    expected_x = np.concatenate([d for d, _ in parts]).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_train, expected_x)
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([lab for _, lab in parts]))
    assert x_test.shape == (6, 32, 32, 3) and y_test.dtype == np.uint8


def test_cifar_archives_of_older_keras_are_used_offline(keras_home, monkeypatch):
    """Keras 2 and early Keras 3 kept ``cifar-10-batches-py.tar.gz``: it is used, hash-checked."""
    archive = fakes.write_cifar10(keras_home, per_batch=4, mode="w:gz",
                                  archive_name="cifar-10-batches-py.tar.gz")  # fmt: skip
    monkeypatch.setattr(cifar10, "FILE_HASH", fakes.sha256(archive))
    (x_train, y_train), _ = cifar10.load_data()
    assert x_train.shape == (20, 32, 32, 3) and y_train.shape == (20, 1)
    old = fakes.write_cifar100(keras_home, archive_name="cifar-100-python.tar.gz")
    monkeypatch.setattr(cifar100, "FILE_HASH", fakes.sha256(old))
    assert cifar100.load_data()[0][0].shape == (14, 32, 32, 3)
    monkeypatch.setattr(cifar10, "FILE_HASH", "0" * 64)  # a wrong legacy file is not trusted
    with pytest.raises(DownloadError, match="wrong hash"):
        cifar10.load_data()


def test_corrupt_cifar_archive_in_cache(keras_home, monkeypatch):
    archive = fakes.write_cifar100(keras_home)
    archive.write_bytes(archive.read_bytes()[:-500])
    monkeypatch.setattr(cifar100, "FILE_HASH", fakes.sha256(archive))
    with pytest.raises(ArchiveError, match="damaged or incomplete"):
        cifar100.load_data()
    assert not (keras_home / "datasets" / "cifar-100-python-target").exists()


def test_npz_without_expected_arrays(keras_home, monkeypatch):
    path = keras_home / "datasets" / "boston_housing.npz"
    path.parent.mkdir()
    np.savez(path, features=np.zeros((3, 13)))
    monkeypatch.setattr(boston_housing, "FILE_HASH", fakes.sha256(path))
    with pytest.raises(ValueError, match=r"lacks the arrays \['x', 'y'\]"):
        boston_housing.load_data()


def test_argument_errors_before_any_download(keras_home):
    with pytest.raises(ValueError, match="Received: label_mode=medium"):
        cifar100.load_data(label_mode="medium")
    with pytest.raises(ValueError, match="Received: version=tiny"):
        california_housing.load_data(version="tiny")
    with pytest.raises(ValueError, match="Received: test_split=1"):
        boston_housing.load_data(test_split=1)
    with pytest.raises(ValueError, match="Received: test_split=-0.1"):
        california_housing.load_data(test_split=-0.1)
    assert os.listdir(keras_home) == []  # nothing was fetched


def test_imdb_nb_words_alias(keras_home, monkeypatch):
    monkeypatch.setattr(imdb, "FILE_HASH", fakes.sha256(fakes.write_imdb(keras_home)))
    with pytest.warns(UserWarning, match="num_words"):
        (x, _), _ = imdb.load_data(nb_words=10)
    assert max(max(seq) for seq in x) < 10


def test_truncated_npz_is_a_clear_error(keras_home, monkeypatch):
    path = fakes.write_mnist(keras_home)
    path.write_bytes(path.read_bytes()[:-100])
    monkeypatch.setattr(mnist, "FILE_HASH", fakes.sha256(path))
    with pytest.raises(ValueError, match="not a valid .npz file"):
        mnist.load_data()
