"""BackupAndRestore: resume an interrupted ``fit`` where it stopped.

Example:
    >>> import ketorch as keras
    >>> backup = keras.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil

import numpy as np
import torch

from ..distribution import is_chief
from ..optimizers import Optimizer
from ..saving import h5_io
from ..saving.file_utils import atomic_path, atomic_write_bytes, path_str, remove_stale_temps
from .callback import Callback

_STATE_GROUP = "ketorch_training_state"


class BackupAndRestore(Callback):
    """Back up the training state and restore it when ``fit`` starts again.

    At every save point the weights, the optimizer state (slots and
    iteration count), the epoch reached and the random-number generator
    states (torch, CUDA, NumPy, Python) go into one file,
    ``<backup_dir>/latest.weights.h5``, written to a temporary name and
    renamed into place: a process killed at any moment leaves a complete
    backup. When ``fit`` starts and a backup exists, everything is restored
    and training continues at the next epoch, so a resumed run ends with the
    same weights as an uninterrupted one.

    Args:
        backup_dir: Directory for the backup (created if needed).
        save_freq: ``"epoch"``, or an integer: back up every that many
            batches (a resumed run then restarts the interrupted epoch).
        double_checkpoint: Keep the previous backup as ``*.bkp`` and fall
            back to it if the latest cannot be read.
        delete_checkpoint: Delete the backup files when training completes.

    Raises:
        ValueError: If ``backup_dir`` is empty or ``save_freq`` is invalid.
    """

    def __init__(
        self,
        backup_dir,
        save_freq="epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"Empty `backup_dir` argument passed. Received: backup_dir={backup_dir!r}"
            )
        if save_freq not in ("epoch", False) and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "`save_freq` must be 'epoch' or a positive integer number of batches. "
                f"Received: save_freq={save_freq!r}"
            )
        self.backup_dir = path_str(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._current_epoch = 0
        self._batches_since_save = 0
        self._epoch_start_rng = None

    # ------------------------------------------------------------- restoring
    def on_train_begin(self, logs=None):
        if not getattr(self.model, "built", False):
            raise ValueError(
                "To use the BackupAndRestore callback, the model must be built before `fit()`. "
                f"Model '{self.model.name}' is unbuilt: call it on a batch of data or start it "
                "with `keras.Input(shape=...)`."
            )
        candidates = [self._weights_path]
        if self.double_checkpoint:
            candidates.append(self._prev_weights_path)
        errors = []
        for path in (*candidates, self._metadata_path):
            remove_stale_temps(path)
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                self._restore(path)
                return
            except (OSError, ValueError) as e:
                errors.append(f"{path}: {e}")
        if errors:
            raise ValueError("Could not restore the training backup:\n" + "\n".join(errors))

    def _restore(self, path: str) -> None:
        with h5_io.open_h5(path) as f:
            opt = getattr(self.model, "optimizer", None)

            if isinstance(opt, Optimizer):
                h5_io.prepare_optimizer(self.model, opt)
            h5_io.load_weights(f, self.model)
            state = h5_io.get_group(f, _STATE_GROUP)
            if state is None:
                return
            epoch = int(state.attrs.get("epoch", 0))
            _set_rng_state(state)
        self._current_epoch = epoch
        if epoch > 0:
            self.model._initial_epoch = epoch

    # ------------------------------------------------------------- saving
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        if self.save_freq not in ("epoch", False):
            self._epoch_start_rng = _get_rng_state()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq in ("epoch", False):
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            # Resuming restarts this epoch, so keep the RNG state it started with.
            self._save(self._current_epoch, batch + 1, self._epoch_start_rng)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, _get_rng_state())

    def _save(self, epoch: int, batch: int, rng_state) -> None:
        if not _is_chief():  # under DataParallel every process restores, rank 0 writes
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            with atomic_path(self._prev_weights_path) as tmp:
                shutil.copyfile(self._weights_path, tmp)
        with atomic_path(self._weights_path) as tmp, h5_io.open_h5(tmp, "w") as f:
            h5_io.write_weights(f, self.model)
            state = f.create_group(_STATE_GROUP)
            state.attrs["epoch"] = int(epoch)
            state.attrs["batch"] = int(batch)
            if rng_state is not None:
                _write_rng_state(state, rng_state)
        metadata = json.dumps({"epoch": int(epoch), "batch": int(batch)})
        atomic_write_bytes(self._metadata_path, metadata.encode("utf8"))

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not _is_chief():
            return
        for path in (self._weights_path, self._prev_weights_path, self._metadata_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only if nothing else lives there


def _is_chief() -> bool:

    return is_chief()


# ----------------------------------------------------------------- RNG state
def _get_rng_state() -> dict:
    version, internal, gauss = random.getstate()
    state = {
        "torch": torch.get_rng_state().numpy().copy(),
        "numpy": np.random.get_state(),
        "python": (version, np.asarray(internal, dtype=np.int64), gauss),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [s.numpy().copy() for s in torch.cuda.get_rng_state_all()]
    return state


def _write_rng_state(group, state) -> None:
    group.create_dataset("torch_rng", data=state["torch"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np_group = group.create_group("numpy_rng")
    np_group.create_dataset("keys", data=np.asarray(keys, dtype=np.uint32))
    np_group.attrs.update({"pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)})
    version, internal, gauss = state["python"]
    py_group = group.create_group("python_rng")
    py_group.create_dataset("internal", data=internal)
    py_group.attrs["version"] = int(version)
    if gauss is not None:
        py_group.attrs["gauss"] = float(gauss)
    for i, cuda_state in enumerate(state.get("cuda", [])):
        group.create_dataset(f"cuda_rng_{i}", data=cuda_state)


def _set_rng_state(group) -> None:
    if "torch_rng" not in group:
        return
    torch.set_rng_state(torch.from_numpy(np.asarray(group["torch_rng"][()], dtype=np.uint8)))
    np_group = group["numpy_rng"]
    np.random.set_state(
        (
            "MT19937",
            np.asarray(np_group["keys"][()], dtype=np.uint32),
            int(np_group.attrs["pos"]),
            int(np_group.attrs["has_gauss"]),
            float(np_group.attrs["cached"]),
        )
    )
    py_group = group["python_rng"]
    gauss = float(py_group.attrs["gauss"]) if "gauss" in py_group.attrs else None
    internal = tuple(int(v) for v in py_group["internal"][()])
    random.setstate((int(py_group.attrs["version"]), internal, gauss))
    if torch.cuda.is_available():
        states = [group[k][()] for k in sorted(group) if k.startswith("cuda_rng_")]
        for i, s in enumerate(states[: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(torch.from_numpy(np.asarray(s, dtype=np.uint8)), i)
