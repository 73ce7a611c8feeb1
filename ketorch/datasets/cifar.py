"""Reading the pickled batches of the CIFAR-10 and CIFAR-100 "python version" archives."""

from __future__ import annotations

import os
import pickle

import numpy as np

from ketorch.config import image_data_format
from ketorch.datasets._safe_arrays import load_pickle
from ketorch.utils.file_utils import get_file, keras_home


def load_batch(fpath: str, label_key: str = "labels") -> tuple[np.ndarray, list]:
    """Reads one pickled CIFAR batch.

    Args:
        fpath: The batch file (for example ``data_batch_1`` or ``test``).
        label_key: The labels' key: ``"labels"`` (CIFAR-10), ``"fine_labels"``
            or ``"coarse_labels"`` (CIFAR-100).

    Returns:
        ``(data, labels)``: ``uint8`` images of shape ``(n, 3, 32, 32)`` and the
        list of ``n`` labels.
    """
    try:
        with open(fpath, "rb") as f:
            batch = load_pickle(f, encoding="bytes")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise ValueError(f"{fpath!r} is not a readable CIFAR batch: {e}") from e
    if not isinstance(batch, dict):
        raise ValueError(f"{fpath!r} is not a CIFAR batch (a pickled dict).")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{fpath!r} has no {label_key!r} or 'data' entry: keys {sorted(batch)}.")
    data = np.asarray(batch["data"])
    labels = batch[label_key]
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{fpath!r}: 'data' is {data.dtype}{data.shape}, not uint8 (n, 3072).")
    if len(labels) != len(data):
        raise ValueError(f"{fpath!r} holds {len(data)} images but {len(labels)} labels.")
    return data.reshape(len(data), 3, 32, 32), labels


def fetch_archive(extract_name: str, legacy_name: str, origin: str, file_hash: str) -> str:
    """The folder the archive was extracted to, downloading the archive if needed.

    Keras 3 keeps ``<extract_name>_archive`` and extracts it into ``<extract_name>/``;
    Keras 2 and the first Keras 3 releases kept ``<legacy_name>.tar.gz``. The latter is
    used (after its hash is checked) when only it is in the cache.
    """
    folder = os.path.join(os.path.expanduser(keras_home()), "datasets")
    current = os.path.join(folder, f"{extract_name}_archive")
    legacy = os.path.join(folder, f"{legacy_name}.tar.gz")
    if not os.path.isfile(current) and os.path.isfile(legacy):
        name = f"{legacy_name}.tar.gz"
        return get_file(fname=name, origin=origin, extract=True, file_hash=file_hash)
    return get_file(fname=extract_name, origin=origin, extract=True, file_hash=file_hash)


def to_image_format(x: np.ndarray) -> np.ndarray:
    """``(n, 3, 32, 32)`` images in the configured layout (channels last by default)."""
    if image_data_format() == "channels_last":
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return x


def member_folder(extracted: str, inner: str) -> str:
    """The folder of the batches inside the extracted archive."""
    path = os.path.join(extracted, inner)
    if not os.path.isdir(path):
        raise ValueError(
            f"The extracted archive {extracted!r} has no {inner!r} folder; the archive is not "
            "the expected one. Delete it to download it again."
        )
    return path
