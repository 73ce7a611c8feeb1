"""Reading the data sets' pickled arrays without running arbitrary pickled code.

The IMDB and Reuters ``.npz`` files hold ragged sequences as NumPy object
arrays (a pickle inside the ``.npy`` member) and the CIFAR batches are pickled
dicts of arrays. A pickle may name any callable; these files only need NumPy's
array reconstruction, so the unpickler here accepts those few names and refuses
every other (``os.system``, ``builtins.eval``, ...) with a clear error.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}


class ArrayOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and plain Python values, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a data set file: only NumPy arrays "
            "are expected there. The file is corrupt or was tampered with; delete it to "
            "download it again."
        )


def load_pickle(file: IO[bytes], encoding: str = "ASCII") -> Any:
    """Unpickles `file`, allowing only NumPy arrays besides plain Python values."""
    return ArrayOnlyUnpickler(file, encoding=encoding).load()


def _read_npy(raw: bytes, member: str, path: str) -> np.ndarray:
    fp = io.BytesIO(raw)
    major, _ = np.lib.format.read_magic(fp)
    if major == 1:
        shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
    elif major in (2, 3):  # 3.0 differs from 2.0 only in the header's text encoding
        shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"Unsupported .npy version {major} in {member!r} of {path!r}.")
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    array = load_pickle(fp, encoding="latin1")
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise ValueError(f"Member {member!r} of {path!r} is not the array its header announces.")
    return array


def load_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, object arrays included, read without unsafe pickles."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    arrays[member[:-4]] = _read_npy(archive.read(member), member, path)
    except (zipfile.BadZipFile, EOFError) as e:
        raise ValueError(
            f"{path!r} is not a valid .npz file ({e}); delete it to download it again."
        ) from e
    return arrays


def read_arrays(path: str, keys: Sequence[str]) -> list[np.ndarray]:
    """The arrays named `keys` from the ``.npz`` file at `path`, with a clear error if absent."""
    arrays = load_npz(path)
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ValueError(
            f"{path!r} lacks the arrays {missing} (it has {sorted(arrays)}); it is not the "
            "expected data set file. Delete it to download it again."
        )
    return [arrays[k] for k in keys]
