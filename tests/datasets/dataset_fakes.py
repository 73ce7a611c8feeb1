"""Small fake data set files in the exact formats and cache places Keras uses."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _datasets(home: Path) -> Path:
    folder = home / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ragged(rng, n, low=1, high=30, vocab=60) -> np.ndarray:
    """A 1-D object array of `n` lists of Python ints of varied lengths."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(v) for v in rng.integers(1, vocab, size=int(rng.integers(low, high)))]
    return out


def write_mnist(home, n_train=12, n_test=5, name="mnist.npz"):
    rng = np.random.default_rng(1)
    path = _datasets(home) / name
    np.savez(
        path,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test, dtype=np.uint8),
    )
    return path


def _idx(array: np.ndarray) -> bytes:
    magic = 0x800 | array.ndim
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(magic.to_bytes(4, "big") + dims + array.astype(np.uint8).tobytes())


def write_fashion_mnist(home, n_train=9, n_test=4):
    rng = np.random.default_rng(2)
    folder = _datasets(home) / "fashion-mnist"
    folder.mkdir()
    arrays = {
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train),
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28)),
    }
    for name, array in arrays.items():
        (folder / name).write_bytes(_idx(array))
    return folder


def _add(tf: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tf.addfile(info, io.BytesIO(payload))


class _Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 wrote its ``str`` (the CIFAR files come from Python 2)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def _batch(data: np.ndarray, **labels) -> bytes:
    """A batch pickled as the CIFAR "python version" files are: Python 2, protocol 2."""
    entry = {b"batch_label": b"fake batch", b"data": data, b"filenames": [b"x.png"] * len(data)}
    entry.update({k.encode(): [int(v) for v in vs] for k, vs in labels.items()})
    return py2_pickle(entry)


def write_cifar10(home, per_batch=10000, mode="w", archive_name=None, inner="cifar-10-batches-py"):
    """CIFAR-10's archive under Keras 3's name (Keras insists on 10,000 images a batch).

    A repeating pixel pattern keeps it quick to write; each batch is shifted differently.
    """
    pattern = np.tile((np.arange(2 * 3072) % 251).astype(np.uint8), per_batch // 2 + 1)
    pattern = pattern[: per_batch * 3072].reshape(per_batch, 3072)
    name = archive_name or "cifar-10-batches-py-target_archive"
    path = _datasets(home) / name
    with tarfile.open(path, mode) as tf:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for k, batch in enumerate(names):
            labels = (np.arange(per_batch) * (k + 3)) % 10
            _add(tf, f"{inner}/{batch}", _batch(pattern + np.uint8(7 * k), labels=labels))
        _add(tf, f"{inner}/batches.meta", py2_pickle({b"label_names": [b"a"] * 10}))
    return path


def write_cifar100(home, n_train=14, n_test=6, archive_name="cifar-100-python-target_archive"):
    rng = np.random.default_rng(3)
    path = _datasets(home) / archive_name
    with tarfile.open(path, "w:gz") as tf:
        for split, n in (("train", n_train), ("test", n_test)):
            data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            fine, coarse = rng.integers(0, 100, n), rng.integers(0, 20, n)
            _add(
                tf,
                f"cifar-100-python/{split}",
                _batch(data, fine_labels=fine, coarse_labels=coarse),
            )
        _add(tf, "cifar-100-python/meta", py2_pickle({b"fine_label_names": []}))
    return path


def write_imdb(home, n_train=40, n_test=30):
    rng = np.random.default_rng(4)
    path = _datasets(home) / "imdb.npz"
    np.savez(
        path,
        x_train=ragged(rng, n_train),
        y_train=rng.integers(0, 2, n_train).astype(np.int64),
        x_test=ragged(rng, n_test),
        y_test=rng.integers(0, 2, n_test).astype(np.int64),
    )
    index = {f"w{i}": i for i in range(1, 60)}
    (_datasets(home) / "imdb_word_index.json").write_text(json.dumps(index))
    return path


def write_reuters(home, n=50):
    rng = np.random.default_rng(5)
    path = _datasets(home) / "reuters.npz"
    np.savez(path, x=ragged(rng, n), y=rng.integers(0, 46, n).astype(np.int64))
    (_datasets(home) / "reuters_word_index.json").write_text(json.dumps({"the": 1, "of": 2}))
    return path


def write_housing(home, name, n, features, dtype):
    rng = np.random.default_rng(6)
    path = _datasets(home) / name
    np.savez(
        path, x=rng.normal(size=(n, features)).astype(dtype), y=rng.normal(size=n).astype(dtype)
    )
    return path
