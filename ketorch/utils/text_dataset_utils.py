"""text_dataset_from_directory: labelled batches of raw texts from a folder of .txt files."""

from __future__ import annotations

import numpy as np

from .dataset_utils import _build, _check_label_args, _check_split_args, index_directory


def text_dataset_from_directory(
    directory: str,
    labels="inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
):
    """A dataset of ``(texts, labels)`` batches from a folder of ``.txt`` files.

    Folder layout, labels, shuffling and the validation split are as in
    `image_dataset_from_directory`. Texts come as a numpy object array of
    ``str`` of shape ``(batch,)``, ready for ``TextVectorization``.

    Args:
        directory: The root folder.
        labels: ``"inferred"``, None, or a list of integer labels.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None.
        class_names: The subfolders to use, in label order.
        batch_size: Batch size; None yields single texts.
        max_length: Truncate each text to this many characters.
        shuffle: Whether to shuffle (otherwise alphanumeric order).
        seed: The shuffle seed.
        validation_split: Fraction of the files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"``.
        follow_links: Follow symbolic links to folders.
        verbose: Print the number of files found.

    Returns:
        A lazy ``tf.data``-style `Dataset` (``map``, ``batch``, ``shuffle``,
        ``prefetch``, ..., also indexable: ``ds[i]``) with ``class_names`` and
        ``file_paths`` attributes (or
        a list of two with ``subset="both"``).
    """
    _check_label_args(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    _check_split_args(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'label_mode="binary" needs exactly 2 classes. Received: class_names={class_names}'
        )

    def load(batch_paths):
        texts = np.empty(len(batch_paths), dtype=object)
        for i, path in enumerate(batch_paths):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            texts[i] = text if max_length is None else text[:max_length]
        return texts

    return _build(
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
        "text ",
    )
