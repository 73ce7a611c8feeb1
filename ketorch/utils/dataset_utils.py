"""Shared dataset helpers: indexing folders of files, batching them, splitting a dataset in two.

File discovery, label inference and the training/validation split follow Keras
exactly (same files in the same order for the same ``seed``); batches come from
a `FileBatchDataset` (a `PyDataset`) seen through a lazy ``tf.data``-style
`Dataset` (``_dataset_ops``).
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

from ._dataset_ops import from_batch_source
from .py_dataset import PyDataset

_LABEL_MODES = ("int", "categorical", "binary", None)


# ---------------------------------------------------------------- indexing
def _class_files(class_dir: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    """Files under ``class_dir`` (recursively), as paths relative to its parent."""
    prefix = os.path.basename(class_dir)
    found = []
    for root, _, files in sorted(os.walk(class_dir, followlinks=follow_links), key=lambda w: w[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                found.append(
                    os.path.join(prefix, os.path.relpath(os.path.join(root, fname), class_dir))
                )
    return found


def index_directory(
    directory: str,
    labels,
    formats: tuple[str, ...],
    class_names=None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
):
    """List the files of ``directory`` with their labels, in Keras's order.

    Args:
        directory: The root folder.
        labels: ``"inferred"`` (one subfolder per class), None, or a list of
            integer labels in the order of the sorted file paths.
        formats: Allowed file extensions (lowercase, with the dot).
        class_names: With inferred labels, the subfolders to use, in order.
        shuffle: Shuffle the file list (with ``numpy.random.RandomState(seed)``).
        seed: The shuffle seed.
        follow_links: Whether to follow symbolic links to folders.
        verbose: Print how many files and classes were found.

    Returns:
        ``(file_paths, labels, class_names)``.
    """
    if not os.path.isdir(directory):
        raise ValueError(
            f"Argument `directory` must be an existing folder. Received: directory={directory!r}"
        )
    if labels == "inferred":
        subdirs = [
            d
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    f"Argument `class_names` must name subfolders of {directory} (expected a subset of "
                    f"{subdirs}). Received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(
                "Argument `class_names` can only be used with labels='inferred'. "
                f"Received: labels={labels!r}, class_names={class_names!r}"
            )
        subdirs = [""]
    rel_paths, label_parts = [], []
    for index, subdir in enumerate(subdirs):
        files = _class_files(os.path.join(directory, subdir), follow_links, formats)
        rel_paths += files
        label_parts.append(np.full(len(files), index, dtype="int32"))
    if labels == "inferred":
        labels = np.concatenate(label_parts) if label_parts else np.zeros(0, dtype="int32")
        names = subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(rel_paths):
            raise ValueError(
                f"Argument `labels` must have one label per file ({len(rel_paths)} files found in "
                f"{directory}). Received: len(labels)={len(labels)}"
            )
        names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if labels is None:
            print(f"Found {len(rel_paths)} files.")
        else:
            print(f"Found {len(rel_paths)} files belonging to {len(names)} classes.")
    paths = [os.path.join(directory, p) for p in rel_paths]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def _check_split_args(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"Argument `validation_split` must be between 0 and 1. Received: validation_split={validation_split}"
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "Arguments `validation_split` and `subset` must be given together. "
            f"Received: validation_split={validation_split!r}, subset={subset!r}"
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'Argument `subset` must be "training", "validation" or "both". Received: subset={subset!r}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With `validation_split` and shuffling, a `seed` is required so that the training and "
            "validation subsets do not overlap. Received: seed=None"
        )


def _subset(paths, labels, validation_split, subset, verbose):
    """The training (leading) or validation (trailing) part of the file list."""
    if not validation_split:
        return paths, labels
    num_val = int(validation_split * len(paths))
    cut = len(paths) - num_val
    if subset == "training":
        if verbose:
            print(f"Using {cut} files for training.")
        return paths[:cut], None if labels is None else labels[:cut]
    if verbose:
        print(f"Using {num_val} files for validation.")
    return paths[cut:], None if labels is None else labels[cut:]


def _check_label_args(labels, label_mode, class_names):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(
            "Argument `labels` must be 'inferred', None, or a list/tuple of integer labels (one per "
            f"file). Received: labels={labels!r}"
        )
    if labels not in ("inferred", None) and class_names:
        raise ValueError(
            f"Argument `class_names` needs labels='inferred'. Received: labels={labels!r}"
        )
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            f"Argument `label_mode` must be one of {_LABEL_MODES}. Received: label_mode={label_mode!r}"
        )


# ---------------------------------------------------------------- dataset
class FileBatchDataset(PyDataset):
    """Batches ``(x, y)`` (or ``x`` alone) loaded from a list of files.

    Attributes:
        class_names: The class names, in label order (None without labels).
        file_paths: The files, in their initial order.
    """

    def __init__(self, paths, labels, label_mode, num_classes, batch_size, load, shuffle, seed):
        super().__init__()
        self.file_paths = list(paths)
        self._labels = None if labels is None else np.asarray(labels)
        self._label_mode = label_mode
        self._num_classes = num_classes
        self._batch_size = batch_size
        self._load = load
        self._shuffle = shuffle
        self._rng = np.random.RandomState(seed)
        self._order = np.arange(len(self.file_paths))
        self.class_names = None

    def __len__(self):
        if self._batch_size is None:
            return len(self.file_paths)
        return math.ceil(len(self.file_paths) / self._batch_size)

    def _encode_labels(self, labels: np.ndarray) -> np.ndarray:
        if self._label_mode == "binary":
            return labels.astype("float32").reshape(-1, 1)
        if self._label_mode == "categorical":
            return np.eye(self._num_classes, dtype="float32")[labels]
        return labels.astype("int32")

    def __getitem__(self, index):
        if index < 0 or index >= len(self):
            raise IndexError(
                f"Batch index out of range. Received: index={index} for {len(self)} batches"
            )
        if self._batch_size is None:
            rows = self._order[index : index + 1]
        else:
            rows = self._order[index * self._batch_size : (index + 1) * self._batch_size]
        x = self._load([self.file_paths[i] for i in rows])
        if self._batch_size is None:
            x = x[0]
        if self._label_mode is None:
            return x
        y = self._encode_labels(self._labels[rows])
        return x, (y[0] if self._batch_size is None else y)

    def on_epoch_end(self):
        if self._shuffle:
            self._order = self._rng.permutation(len(self.file_paths))


def _build(
    paths,
    labels,
    label_mode,
    class_names,
    batch_size,
    load,
    shuffle,
    seed,
    validation_split,
    subset,
    verbose,
    kind,
):
    def make(split_paths, split_labels, split_shuffle, what):
        if not split_paths:
            raise ValueError(
                f"No {what}{kind}files found in the directory. Received: {len(paths)} files in all"
            )
        ds = FileBatchDataset(
            split_paths,
            split_labels,
            label_mode,
            len(class_names) if class_names else 0,
            batch_size,
            load,
            split_shuffle,
            seed,
        )
        ds.class_names = class_names
        return from_batch_source(ds)

    if subset == "both":
        train = make(
            *_subset(paths, labels, validation_split, "training", verbose), shuffle, "training "
        )
        val = make(
            *_subset(paths, labels, validation_split, "validation", verbose), False, "validation "
        )
        return [train, val]
    split_paths, split_labels = _subset(paths, labels, validation_split, subset, verbose)
    return make(split_paths, split_labels, shuffle, "")


# ---------------------------------------------------------------- splitting
def _split_sizes(left_size, right_size, total: int) -> tuple[int, int]:
    """Resolve fractions / counts / None into two positive integer sizes."""
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is not None and type(value) not in (int, float):
            raise TypeError(
                f"Argument `{name}` must be an int, a float or None. Received: {name}={value!r}"
            )
        if (type(value) is int and not 0 < value < total) or (
            type(value) is float and not 0 < value < 1
        ):
            raise ValueError(
                f"Argument `{name}` must be an integer in (0, {total}) or a float in (0, 1). Received: {name}={value!r}"
            )
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of `left_size` and `right_size` must be set. Received: left_size=None, right_size=None"
        )
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(
            f"`left_size + right_size` must be at most 1. Received: left_size={left_size}, right_size={right_size}"
        )
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left == 0 or right == 0:
        raise ValueError(
            f"The split of a dataset of length {total} must give two non-empty parts that fit. "
            f"Received: left_size={left_size}, right_size={right_size} (sizes {left} and {right})"
        )
    return int(left), int(right)


def split_dataset(
    dataset, left_size=None, right_size=None, shuffle: bool = False, seed: int | None = None
):
    """Split a dataset into a left part and a right part (e.g. train and test).

    As Keras does on the torch backend, the parts are
    ``torch.utils.data.Subset`` objects: arrays (or a list/tuple of arrays of
    the same length) are wrapped in a ``TensorDataset`` first, so an item is
    a tuple of tensors. With ``shuffle=True`` the indices come from
    ``torch.randperm`` seeded with ``seed`` (the same split as Keras); with
    ``shuffle=False`` the left part is the first ``left_size`` samples and the
    right part the last ``right_size``.

    Args:
        dataset: A numpy array, a torch tensor, a list/tuple of them, or a
            ``torch.utils.data.Dataset``.
        left_size: Fraction (float in (0, 1)) or number of samples on the
            left; None for the complement of ``right_size``.
        right_size: Same for the right part.
        shuffle: Whether to shuffle before splitting.
        seed: The shuffle seed.

    Returns:
        A tuple ``(left, right)`` of ``torch.utils.data.Subset``.

    Example:
        >>> import numpy as np
        >>> left, right = split_dataset(np.zeros((10, 2)), left_size=0.8)
        >>> len(left), len(right)
        (8, 2)
    """
    from torch.utils.data import Dataset, Subset, TensorDataset  # loaded on first use

    if isinstance(dataset, (np.ndarray, torch.Tensor)):
        dataset = TensorDataset(torch.as_tensor(dataset))
    elif (
        isinstance(dataset, (list, tuple))
        and dataset
        and all(isinstance(a, (np.ndarray, torch.Tensor)) for a in dataset)
    ):
        lengths = {len(a) for a in dataset}
        if len(lengths) != 1:
            raise ValueError(
                f"The arrays of `dataset` must have the same length. Received lengths {sorted(lengths)}"
            )
        dataset = TensorDataset(*(torch.as_tensor(a) for a in dataset))
    elif not isinstance(dataset, Dataset):
        raise TypeError(
            "Argument `dataset` must be an array, a list/tuple of arrays or a torch Dataset. "
            f"Received: dataset of type {type(dataset).__name__}"
        )
    total = len(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        order = torch.randperm(total, generator=generator).tolist()
    else:
        order = list(range(total))
    return Subset(dataset, order[:left]), Subset(dataset, order[total - right :])


def __getattr__(name):
    # ``image_dataset_from_directory`` / ``text_dataset_from_directory`` live in their own
    # modules (as in Keras); this keeps ``ketorch.utils.dataset_utils.<name>`` working too.
    if name in ("image_dataset_from_directory", "load_image", "IMAGE_FORMATS"):
        from . import image_dataset_utils  # import cycle

        return getattr(image_dataset_utils, name)
    if name == "text_dataset_from_directory":
        from . import text_dataset_utils  # import cycle

        return text_dataset_utils.text_dataset_from_directory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
