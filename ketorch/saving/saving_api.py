"""Public saving entry points: ``save_model``, ``load_model``, ``save_weights``, ``load_weights``.

The file name picks the format, as in Keras 3:

- ``.keras``: the Keras 3 archive (config + weights + compile state);
- ``.weights.h5``: weights (and optimizer state) in Keras 3's layout;
- ``.h5`` / ``.hdf5``: the legacy Keras 2 HDF5 format (full model or weights).

Example:
    >>> import os, tempfile
    >>> import ketorch as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> model.save(path)
    >>> keras.saving.load_model(path).output_shape
    (None, 2)
"""

from __future__ import annotations

import os
import warnings
import zipfile

import h5py

from . import h5_io, keras_archive, legacy_h5
from .file_utils import atomic_path, path_str, remove_stale_temps

_LEGACY_EXTENSIONS = (".h5", ".hdf5")


def save_model(model, filepath, overwrite: bool = True, zipped: bool | None = None, **kwargs):
    """Save a model as ``.keras`` (Keras 3 format) or legacy ``.h5``.

    Args:
        model: The model.
        filepath: Target path ending in ``.keras``, ``.h5`` or ``.hdf5``.
        overwrite: Replace an existing file (otherwise ``FileExistsError``).
        zipped: For ``.keras``: False writes the members into a directory.
        **kwargs: ``include_optimizer`` (legacy ``.h5`` only) and the deprecated
            ``save_format``.

    Raises:
        ValueError: For any other extension (SavedModel is gone: use ``export()``).
    """
    filepath = path_str(filepath)
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise TypeError(f"save_model() got unexpected keyword arguments: {sorted(kwargs)}")
    if save_format is not None:
        warnings.warn(
            "The `save_format` argument is deprecated; the file extension selects the format.",
            stacklevel=2,
        )
        if save_format in ("tf", "tensorflow"):
            raise ValueError(
                "The TensorFlow SavedModel format is not supported; use `model.export()` for "
                f"serving or a `.keras` file. Received: save_format={save_format!r}"
            )
    if filepath.endswith(_LEGACY_EXTENSIONS):
        warnings.warn(
            "You are saving the model as a legacy HDF5 file; the native `.keras` format is "
            "recommended (e.g. `model.save('my_model.keras')`).",
            stacklevel=2,
        )
        return legacy_h5.save_model(model, filepath, overwrite, include_optimizer)
    if filepath.endswith(".keras"):
        if zipped is False:
            return keras_archive.save_directory(model, filepath, overwrite)
        return keras_archive.save_archive(model, filepath, overwrite)
    if zipped is False:
        return keras_archive.save_directory(model, filepath, overwrite)
    raise ValueError(
        "Invalid filepath extension for saving. Add a `.keras` extension for the native Keras "
        "format (recommended) or a `.h5` extension for the legacy format; use "
        f"`model.export()` to export for serving. Received: filepath={filepath}"
    )


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Load a model saved with ``model.save()`` by ketorch or Keras (``.keras`` or ``.h5``).

    Args:
        filepath: A ``.keras`` file or directory, or a legacy ``.h5`` file.
        custom_objects: ``{name: class_or_function}`` for classes the file names
            that are not registered with ``register_keras_serializable``.
        compile: Restore the optimizer (with its state), loss and metrics.
        safe_mode: Refuse to deserialize Python lambdas (bytecode) and to read
            any file the config names (e.g. a lookup layer's `vocabulary`
            path). Pass False only for files you trust; `docs/security.md`
            lists what it allows.

    Returns:
        The model.

    Raises:
        ValueError: If the file is missing, damaged, hostile or needs a class
            that is not available (the message names it).
    """
    filepath = path_str(filepath)
    remove_stale_temps(filepath)
    if not os.path.exists(filepath):
        raise ValueError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible "
            "`.keras` zip file or `.h5` file."
        )
    if os.path.isdir(filepath):
        return keras_archive.load_archive(filepath, custom_objects, compile, safe_mode)
    if filepath.endswith(".keras") or (
        not filepath.endswith(_LEGACY_EXTENSIONS) and zipfile.is_zipfile(filepath)
    ):
        return keras_archive.load_archive(filepath, custom_objects, compile, safe_mode)
    if filepath.endswith(_LEGACY_EXTENSIONS) or _is_hdf5(filepath):
        return legacy_h5.load_model(filepath, custom_objects, compile, safe_mode)
    raise ValueError(
        "File format not supported: ketorch loads `.keras` files and legacy `.h5` files. "
        "TensorFlow SavedModel directories cannot be loaded. "
        f"Received: filepath={filepath}"
    )


def save_weights(model, filepath, overwrite: bool = True, max_shard_size=None) -> None:
    """Save the weights (and built optimizer state) to a ``.weights.h5`` file.

    Raises:
        ValueError: If the name does not end in ``.weights.h5``.
    """
    filepath = path_str(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    if max_shard_size is not None:
        warnings.warn(
            "`max_shard_size` is not supported; the weights are written to one file.",
            stacklevel=2,
        )
    with atomic_path(filepath, overwrite) as tmp, h5_io.open_h5(tmp, "w") as f:
        h5_io.write_weights(f, model)


def load_weights(model, filepath, skip_mismatch: bool = False, **kwargs) -> None:
    """Load weights from ``.weights.h5``, ``.keras`` or legacy ``.h5`` files.

    Args:
        model: The model (built).
        filepath: The file.
        skip_mismatch: Leave layers whose saved weights do not fit unchanged
            (with a warning) instead of raising.
        **kwargs: ``by_name=True`` matches layers by name (legacy ``.h5`` only).

    Raises:
        ValueError: If the file is missing, damaged, or does not fit the model.
    """
    filepath = path_str(filepath)
    remove_stale_temps(filepath)
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        raise TypeError(f"load_weights() got unexpected keyword arguments: {sorted(kwargs)}")
    if not os.path.exists(filepath):
        raise ValueError(f"File not found: filepath={filepath}")
    if filepath.endswith(".keras") or (os.path.isfile(filepath) and zipfile.is_zipfile(filepath)):
        if by_name:
            raise ValueError(
                f"`by_name=True` only applies to legacy `.h5` files. Received: filepath={filepath}"
            )
        return keras_archive.load_weights_from_archive(model, filepath, skip_mismatch)
    if not filepath.endswith((".weights.h5", *_LEGACY_EXTENSIONS)) and not _is_hdf5(filepath):
        raise ValueError(
            "File format not supported: load weights from `.weights.h5`, `.keras` or `.h5` "
            f"files. Received: filepath={filepath}"
        )
    _require_built(model)
    with h5_io.open_h5(filepath) as f:
        if legacy_h5.is_legacy(f):
            return legacy_h5.load_weights(f, model, by_name=by_name, skip_mismatch=skip_mismatch)
        if by_name:
            raise ValueError(
                "`by_name=True` only applies to legacy `.h5` files; this file uses the Keras 3 "
                f"layout. Received: filepath={filepath}"
            )
        h5_io.load_weights(f, model, skip_mismatch)


def _require_built(model) -> None:
    if (
        not getattr(model, "built", False)
        or not model.weights
        and model.layers
        and not all(layer.built for layer in model.layers)
    ):
        raise ValueError(
            f"Model '{model.name}' is not built yet, so it has no weights to load into. Build "
            "it first: call it on a batch of data, call `model.build(input_shape)`, or start "
            "it with `keras.Input(shape=...)`."
        )


def _is_hdf5(filepath) -> bool:
    try:
        return h5py.is_hdf5(filepath)
    except (OSError, TypeError, ValueError):
        return False
