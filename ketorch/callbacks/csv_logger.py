"""CSVLogger: write one CSV row of epoch logs per epoch."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

import numpy as np

from .callback import Callback


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file.

    Columns are ``epoch`` (0-based) then the log keys in sorted order, fixed at
    the first epoch. When the logs have no ``val_`` keys, a ``val_`` column is
    added for every key and filled with ``NA``, so runs with and without
    validation share one layout.

    Args:
        filename: Path of the CSV file.
        separator: Field separator.
        append: Append to an existing file (no second header) instead of
            overwriting it.

    Example:
        >>> import ketorch as keras
        >>> csv_logger = keras.callbacks.CSVLogger("training.log")
    """

    _chief_only = True  # under DataParallel only rank 0 runs it (it writes files)

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        mode = "w"
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not f.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode)  # noqa: SIM115 - closed in on_train_end
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self.writer is None:
            dialect = type("_Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
