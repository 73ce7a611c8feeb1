"""Keras 2 path ``keras.utils.data_utils``: ``get_file`` and ``Sequence``."""

from .file_utils import get_file
from .py_dataset import PyDataset, Sequence

__all__ = ["PyDataset", "Sequence", "get_file"]
