"""The ``.keras`` archive: ``metadata.json``, ``config.json`` and ``model.weights.h5``.

The archive is a plain, uncompressed ZIP file, member for member what Keras 3
writes, so each library reads the other's files. Loading reads only the
three known members (and ``assets/``) by name, refuses archives whose
member names try to escape (``..``, absolute paths), decompresses every
member in bounded chunks whatever its header says (see
:mod:`~ketorch.saving.zip_members` and the limits in
:mod:`~ketorch.saving.limits`), and turns any defect into a ``ValueError``.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import zipfile

import numpy as np
import torch

from . import h5_io, limits, serialization, zip_members
from .file_utils import atomic_path, temp_beside
from .object_tree import saveable_entries

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"
KERAS_VERSION = "3.15.1"  # the Keras file-format version we write and test against
ArchiveError = zip_members.ArchiveError


# ----------------------------------------------------------------- saving
def model_config_json(model) -> str:
    """The ``config.json`` text: the model's object dict plus ``compile_config``."""
    config = serialization.serialize_layer(model)
    compiled = serialization.compile_config(model)
    if compiled is not None:
        config["compile_config"] = compiled
    return json.dumps(config, default=_json_default)


def _json_default(value):
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(
        f"Cannot serialize {value!r} (type {type(value).__name__}) to JSON; return JSON-safe "
        "values from `get_config()`."
    )


def metadata_json() -> str:
    date = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    return json.dumps({"keras_version": KERAS_VERSION, "date_saved": date})


def save_archive(model, filepath: str, overwrite: bool = True) -> None:
    """Write ``model`` to a ``.keras`` zip file, atomically."""
    config = model_config_json(model)  # before touching the disk: fails on bad configs
    with atomic_path(filepath, overwrite) as tmp_zip, temp_beside(filepath) as tmp_h5:
        with h5_io.open_h5(tmp_h5, "w") as f:
            h5_io.write_weights(f, model)
        with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(METADATA_NAME, metadata_json())
            zf.writestr(CONFIG_NAME, config)
            zf.write(tmp_h5, WEIGHTS_NAME)
            _write_assets(zf, model)


def _asset_owners(model):
    """``(path, object)`` of the objects that keep files (e.g. an adapted vocabulary)."""

    return [
        (path, obj)
        for path, obj in saveable_entries(model, include_optimizer=False)
        if callable(getattr(obj, "save_assets", None))
    ]


def _write_assets(zf, model) -> None:
    """Add ``assets/<object path>/<file>`` members, Keras's layout for asset files."""
    owners = _asset_owners(model)
    if not owners:
        return
    with tempfile.TemporaryDirectory() as root:
        for path, obj in owners:
            directory = os.path.join(root, *path.split("/")) if path else root
            os.makedirs(directory, exist_ok=True)
            obj.save_assets(directory)
            for name in sorted(os.listdir(directory)):
                full = os.path.join(directory, name)
                if os.path.isfile(full):
                    zf.write(full, "/".join(["assets", *filter(None, path.split("/")), name]))


def _load_assets(zf, model, budget=None) -> None:
    """Give each object with ``load_assets`` its ``assets/<path>/`` files (already vetted)."""
    members = [n for n in zf.namelist() if n.startswith("assets/") and not n.endswith("/")]
    if not members:
        return
    budget = budget if budget is not None else zip_members.ReadBudget()
    paths = _asset_paths(members)
    start = budget.used
    with tempfile.TemporaryDirectory() as root:
        for name, parts in paths.items():
            target = os.path.join(root, *parts)
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    for chunk in zip_members.iter_member(zf, name, "MAX_ASSETS_BYTES", budget):
                        if budget.used - start > limits.MAX_ASSETS_BYTES:
                            raise limits.LimitError(
                                f"The assets pass limits.MAX_ASSETS_BYTES="
                                f"{limits.MAX_ASSETS_BYTES} bytes at the member {name!r}."
                            )
                        f.write(chunk)
            except OSError as e:
                raise ArchiveError(f"Cannot extract the asset member {name!r}: {e}") from e
        for path, obj in _asset_owners(model):
            directory = os.path.join(root, "assets", *filter(None, path.split("/")))
            loader = getattr(obj, "load_assets", None)
            if callable(loader) and os.path.isdir(directory):
                guarded_call(loader, directory)


def save_directory(model, dirpath: str, overwrite: bool = True) -> None:
    """The ``zipped=False`` form: the same three files in a directory."""
    if os.path.exists(dirpath) and not overwrite:
        raise FileExistsError(f"{dirpath} exists and `overwrite=False`.")
    os.makedirs(dirpath, exist_ok=True)
    config = model_config_json(model)
    for name, text in ((METADATA_NAME, metadata_json()), (CONFIG_NAME, config)):
        with atomic_path(os.path.join(dirpath, name)) as tmp, open(tmp, "w") as f:
            f.write(text)
    with atomic_path(os.path.join(dirpath, WEIGHTS_NAME)) as tmp, h5_io.open_h5(tmp, "w") as f:
        h5_io.write_weights(f, model)


# ----------------------------------------------------------------- loading
def _open_zip(filepath: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(filepath, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        raise ArchiveError(f"{filepath} is not a valid .keras (zip) file: {e}") from e
    try:
        _check_members(zf, filepath)
    except BaseException:
        zf.close()
        raise
    return zf


def _check_members(zf: zipfile.ZipFile, filepath: str) -> None:
    names = set()
    for info in zf.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise ArchiveError(
                f"{filepath} contains a member with an unsafe path, refused. Received: {name!r}"
            )
        if name in names:
            raise ArchiveError(f"{filepath} contains the member {name!r} twice.")
        names.add(name)
    for required in (CONFIG_NAME, WEIGHTS_NAME):
        if required not in names:
            if required == WEIGHTS_NAME and "model.weights.npz" in names:
                raise ArchiveError(
                    f"{filepath} stores its weights as model.weights.npz, which ketorch does "
                    "not read; save it again with the default h5 weights format."
                )
            raise ArchiveError(
                f"{filepath} is not a complete .keras file: the member {required!r} is missing. "
                f"Members: {sorted(names)[:20]}"
            )


def _asset_paths(members) -> dict[str, tuple[str, ...]]:
    """Each asset member's path parts; a file that is also a directory of another is refused."""
    paths: dict[str, tuple[str, ...]] = {}
    owner: dict[tuple[str, ...], str] = {}
    for name in members:
        parts = tuple(p for p in name.split("/") if p not in ("", "."))
        if parts in owner:
            raise ArchiveError(
                f"The asset members {owner[parts]!r} and {name!r} name the same file."
            )
        owner[parts] = name
        paths[name] = parts
    for parts, name in owner.items():
        for i in range(1, len(parts)):
            if parts[:i] in owner:
                raise ArchiveError(
                    f"The asset member {owner[parts[:i]]!r} is a file, but {name!r} uses it as "
                    "a directory; the archive is damaged or hostile."
                )
    return paths


def read_config(zf, budget=None) -> dict:
    raw = zip_members.read_member(zf, CONFIG_NAME, "MAX_CONFIG_BYTES", budget)
    return parse_config(raw, CONFIG_NAME)


def parse_config(raw, what) -> dict:
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise ArchiveError(f"{what} is not valid JSON: {e}") from e
    if not isinstance(config, dict):
        raise ArchiveError(f"{what} must hold a JSON object. Received: {type(config).__name__}")
    limits.check_config(config)
    return config


def _spool_weights(zf, budget=None) -> tuple:
    """Copy the weights member into an anonymous temporary file, in bounded chunks.

    Returns:
        The file (at offset 0) and the bytes really written to it.
    """
    out = tempfile.TemporaryFile()
    try:
        size = zip_members.copy_member(zf, WEIGHTS_NAME, out, "MAX_WEIGHTS_BYTES", budget)
        out.seek(0)
    except OSError as e:
        out.close()
        raise ArchiveError(f"Cannot spool {WEIGHTS_NAME!r} from the archive: {e}") from e
    except BaseException:
        out.close()
        raise
    return out, size


def load_archive(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild the model stored in a ``.keras`` file or directory."""
    if os.path.isdir(filepath):
        return _load_directory(filepath, custom_objects, compile, safe_mode)
    with _open_zip(filepath) as zf:
        budget = zip_members.ReadBudget()
        config = read_config(zf, budget)
        spooled, size = _spool_weights(zf, budget)
        with spooled, h5_io.open_h5(spooled) as h5:
            model = build_model(config, h5, size, custom_objects, compile, safe_mode)
        _load_assets(zf, model, budget)
    return model


def _load_directory(dirpath, custom_objects, compile, safe_mode):
    config_path = os.path.join(dirpath, CONFIG_NAME)
    weights_path = os.path.join(dirpath, WEIGHTS_NAME)
    if not (os.path.isfile(config_path) and os.path.isfile(weights_path)):
        raise ArchiveError(
            f"{dirpath} is a directory without {CONFIG_NAME} and {WEIGHTS_NAME}; it is not a "
            "Keras model directory (TensorFlow SavedModel directories cannot be loaded)."
        )
    if os.path.getsize(config_path) > limits.MAX_CONFIG_BYTES:
        raise limits.LimitError(
            f"{config_path} is larger than limits.MAX_CONFIG_BYTES={limits.MAX_CONFIG_BYTES} bytes."
        )
    with open(config_path, "rb") as f:
        config = parse_config(f.read(), CONFIG_NAME)
    with h5_io.open_h5(weights_path) as h5:
        return build_model(
            config, h5, os.path.getsize(weights_path), custom_objects, compile, safe_mode
        )


def build_model(config, h5, weights_bytes, custom_objects, compile, safe_mode):
    """Deserialize ``config``, compile it if asked, then load the weights from ``h5``.

    ``weights_bytes`` is the size of the weights data really read; the weight
    budget follows the smaller of it and the datasets the file holds.
    """
    config = dict(config)
    compile_config = config.pop("compile_config", None)
    budget = limits.budget_for(min(int(weights_bytes), h5_io.stored_data_bytes(h5)))
    with serialization.safe_mode_scope(safe_mode), limits.weight_budget(budget):
        model = guarded_call(serialization.deserialize_layer, config, custom_objects)
    if compile and compile_config:
        serialization.compile_from_config(model, compile_config, custom_objects)
    guarded_call(h5_io.load_weights, h5, model)
    return model


# Exceptions a malformed config can provoke inside layer constructors; reported as ValueError.
_CONFIG_ERRORS = (
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    OverflowError,
    ZeroDivisionError,
    RuntimeError,
    NotImplementedError,
    AssertionError,
)


def guarded_call(fn, *args):
    try:
        return fn(*args)
    except ValueError:
        raise
    except _CONFIG_ERRORS as e:
        raise ValueError(
            f"The saved model could not be rebuilt: {type(e).__name__}: {e}. The file may be "
            "damaged, or written for classes that differ from the ones available here."
        ) from e


def load_weights_from_archive(model, filepath, skip_mismatch=False) -> None:
    """``model.load_weights("m.keras")``: the weights member of an archive."""
    if os.path.isdir(filepath):
        with h5_io.open_h5(os.path.join(filepath, WEIGHTS_NAME)) as h5:
            h5_io.load_weights(h5, model, skip_mismatch)
        return
    with _open_zip(filepath) as zf:
        spooled, _ = _spool_weights(zf)
    with spooled, h5_io.open_h5(spooled) as h5:
        h5_io.load_weights(h5, model, skip_mismatch)
