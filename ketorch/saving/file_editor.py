"""``KerasFileEditor``: inspect and edit the weights of a ``.keras`` or ``.weights.h5`` file."""

from __future__ import annotations

import io
import os

import h5py
import numpy as np

from . import h5_io, keras_archive, limits, zip_members
from .file_utils import atomic_path, path_str


def _read_tree(group, where: str, metadata: dict) -> dict:
    """Nested dict of a weights file: an object's ``vars`` datasets sit beside its children.

    Only hard links to local numeric datasets are followed (through h5_io's checks), and a
    dataset is read only when its declared size fits the bytes the file really stores for
    it, so a hostile header cannot make this allocate more than the file's data.
    """
    out: dict = {}
    attrs = {k: v for k, v in group.attrs.items()}
    if attrs:
        metadata[where] = attrs
    for key in list(group.keys()):
        path = f"{where}/{key}" if where else key
        child = h5_io.get_group(group, key) if _is_group(group, key) else None
        if child is None:
            out[key] = _read_dataset(group, key, where)
        elif key == "vars":
            vars_attrs = {k: v for k, v in child.attrs.items()}
            if vars_attrs:
                metadata[where] = {**metadata.get(where, {}), **vars_attrs}
            for name in list(child.keys()):
                out[name] = _read_dataset(child, name, path)
        else:
            sub = _read_tree(child, path, metadata)
            if sub:
                out[key] = sub
    return out


def _is_group(group, key: str) -> bool:
    try:
        cls = group.get(key, getclass=True, getlink=True)
        if cls is not h5py.HardLink:
            raise h5_io.H5Error(f"Not allowed: H5 file with {getattr(cls, '__name__', cls)}")
        return group.get(key, getclass=True) is h5py.Group
    except h5_io.H5_ERRORS as e:
        raise h5_io.H5Error(f"Cannot read '{key}' in the weights file ({e}).") from e


def _read_dataset(group, name: str, where: str):
    ds = h5_io.get_dataset(group, name, where)
    declared = int(ds.size) * ds.dtype.itemsize
    if declared > h5_io._dataset_bytes(ds) + limits.EXPANSION_FLOOR:
        raise limits.LimitError(
            f"'{where}/{name}' declares {declared} bytes but the file stores far less for it; "
            "refusing to read it."
        )
    return h5_io.to_numpy(h5_io.to_tensor(h5_io.read_array(ds, f"{where}/{name}")))


def _write_tree(root, tree: dict, path: str, metadata: dict) -> None:
    arrays = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if arrays:
        group = root.require_group(f"{path}/vars" if path else "vars")
        name = metadata.get(path, {}).get("name")
        if name is not None:
            group.attrs["name"] = name
        for key, value in arrays.items():
            group.create_dataset(key, data=np.asarray(value))
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            _write_tree(root, value, f"{path}/{key}" if path else key, metadata)


def _check_weights_arg(weights) -> None:
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names (usually '0', "
            f"'1', etc.) and values are NumPy arrays. Received: type(weights)={type(weights)}"
        )


class KerasFileEditor:
    """Opens the weights of a saved model so they can be listed, checked and edited.

    Typical use: a model's architecture changed after it was saved; rename, delete or add
    objects and weights until `compare` reports the file fits the new model, then `save`
    a ``.weights.h5`` file and load it with ``model.load_weights``. Reading is as guarded as
    ``load_model``: zip members are read in bounded chunks and only plain, local numeric
    datasets are read.

    The weights are held in ``weights_dict``: one nested dict per object path
    (``weights_dict["layers"]["dense"]["0"]`` is the first Dense's kernel), with NumPy
    arrays at the leaves. ``config`` and ``metadata`` hold the JSON of a ``.keras`` file.

    Args:
        filepath: A ``.keras`` or ``.weights.h5`` file.

    Example:
        >>> import os, tempfile
        >>> import ketorch as keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.h5")
        >>> model.save_weights(path)
        >>> editor = keras.saving.KerasFileEditor(path)  # doctest: +ELLIPSIS
        Keras model file '...model.weights.h5'
        >>> editor.summary()
        Weights structure
          > layers
              > dense ('dense')
                  > 0: shape=(3, 2), dtype=float32
                  └─ 1: shape=(2,), dtype=float32
        >>> editor.compare(model)["status"]  # doctest: +ELLIPSIS
        Running comparison
        ...
        'success'
    """

    def __init__(self, filepath):
        self.filepath = path_str(filepath)
        self.config = None
        self.metadata = None
        self.object_metadata: dict = {}
        if self.filepath.endswith(".keras"):
            with keras_archive._open_zip(self.filepath) as zf:
                budget = zip_members.ReadBudget()
                self.config = keras_archive.read_config(zf, budget)
                if keras_archive.METADATA_NAME in zf.namelist():
                    raw = zip_members.read_member(
                        zf, keras_archive.METADATA_NAME, "MAX_CONFIG_BYTES", budget
                    )
                    self.metadata = keras_archive.parse_config(raw, keras_archive.METADATA_NAME)
                spooled, _ = keras_archive._spool_weights(zf, budget)
                with spooled, h5_io.open_h5(spooled) as h5:
                    self.weights_dict = self._extract(h5)
        elif self.filepath.endswith(".weights.h5"):
            with h5_io.open_h5(self.filepath) as h5:
                self.weights_dict = self._extract(h5)
        else:
            raise ValueError(
                "Invalid filename: expected a `.keras` `.weights.h5` extension. "
                f"Received: filepath={self.filepath}"
            )
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            version = self.metadata.get("keras_version")
            print(f"Saved with Keras {version} - date: {self.metadata.get('date_saved')}")

    def _extract(self, h5) -> dict:
        h5_io.stored_data_bytes(h5)  # refuses files with absurdly many objects
        metadata: dict = {}
        tree = _read_tree(h5, "", metadata)
        self.object_metadata = metadata
        return tree

    # ------------------------------------------------------------------ display
    def summary(self) -> None:
        """Prints the tree of objects and weights (shapes and dtypes)."""
        print("Weights structure")
        self._print_tree(self.weights_dict, "  ", "")

    def _print_tree(self, tree: dict, prefix: str, path: str) -> None:
        items = list(tree.items())
        for i, (key, value) in enumerate(items):
            connector = "> " if i == 0 else ("└─ " if i == len(items) - 1 else "├─ ")
            inner = f"{path}/{key}" if path else key
            if isinstance(value, dict):
                name = self.object_metadata.get(inner, {}).get("name")
                print(f"{prefix}{connector}{key}" + (f" ('{name}')" if name is not None else ""))
                last = i == len(items) - 1
                self._print_tree(value, prefix + ("    " if last else "│   "), inner)
            else:
                print(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")

    # ------------------------------------------------------------------ compare
    def compare(self, reference_model) -> dict:
        """Checks the file's weights against a model's: same objects, names and shapes.

        Args:
            reference_model: The ketorch model the file should load into.

        Returns:
            ``{"status": "success" or "error", "error_count": int, "match_count": int}``;
            each problem is printed. The counts are exact (Keras 3.15 counts weights of
            nested objects more than once), and objects with both their own weights and
            child objects (an LSTM and its ``cell``) are kept whole, which Keras's editor
            skips.
        """
        print("Running comparison")
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as h5:
            h5_io.write_weights(h5, reference_model)
            reference = _read_tree(h5, "", {})
        errors, matches = self._compare(
            self.weights_dict, reference, "", "saved file", "reference model"
        )
        errors += self._compare(reference, self.weights_dict, "", "reference model", "saved file")[
            0
        ]
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(
                f"Found {errors} error{'' if errors == 1 else 's'}: "
                "saved file is not compatible with the reference model"
            )
        return {
            "status": "success" if errors == 0 else "error",
            "error_count": errors,
            "match_count": matches,
        }

    def _compare(self, target, ref, path, target_name, ref_name) -> tuple[int, int]:
        """Errors for what ``ref`` has and ``target`` lacks; shape mismatches and matches are
        counted only in the first pass (``target`` is the saved file)."""
        errors = matches = 0
        first_pass = target_name == "saved file"
        for key, value in ref.items():
            inner = f"{path}/{key}"
            if key not in target:
                errors += 1
                kind = "Object" if isinstance(value, dict) else "Weight"
                print(f"...{kind} {inner} present in {ref_name}, missing from {target_name}")
                if isinstance(value, dict):
                    print(f"    In {ref_name}, {inner} contains the following keys: {list(value)}")
            elif isinstance(value, dict) and isinstance(target[key], dict):
                e, m = self._compare(target[key], value, inner, target_name, ref_name)
                errors, matches = errors + e, matches + m
            elif first_pass:
                if isinstance(value, dict) or isinstance(target[key], dict):
                    errors += 1
                    print(f"...{inner} is a weight in one and an object in the other")
                elif tuple(target[key].shape) != tuple(value.shape):
                    errors += 1
                    print(
                        f"...Weight shape mismatch for {inner}\n"
                        f"    In {ref_name}: shape={tuple(value.shape)}\n"
                        f"    In {target_name}: shape={tuple(target[key].shape)}"
                    )
                else:
                    matches += 1
        return errors, matches

    # ------------------------------------------------------------------ edits
    def _locate(self, source_name: str, target_name: str | None = None) -> list[tuple[dict, str]]:
        """``(parent dict, key)`` for a path (``layers/dense``) or a name unique in the file."""
        if target_name is not None and "/" in target_name:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path name. "
                f"Received: target_name='{target_name}'"
            )
        if "/" in source_name:
            *parents, leaf = source_name.split("/")
            node = self.weights_dict
            for part in parents:
                if not isinstance(node.get(part), dict):
                    raise ValueError(f"Path '{source_name}' not found in model.")
                node = node[part]
            if leaf not in node:
                raise ValueError(f"Path '{source_name}' not found in model.")
            return [(node, leaf)]
        found = []

        def search(node):
            for key, value in node.items():
                if key == source_name:
                    found.append((node, key))
                if isinstance(value, dict):
                    search(value)

        search(self.weights_dict)
        if len(found) > 1:
            raise ValueError(
                f"Name '{source_name}' occurs more than once in the model; "
                "try passing a complete path"
            )
        if not found:
            raise ValueError(
                f"Source name '{source_name}' does not appear in the model. "
                "Use `editor.summary()` to list all objects."
            )
        return found

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Renames an object (or weight), given by unique name or full path, keeping its place
        in the order.

        Args:
            object_name: Name (``"dense"``) or path (``"layers/dense"``).
            new_name: The new leaf name.
        """
        for parent, key in self._locate(object_name, new_name):
            items = [(new_name if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)

    def delete_object(self, object_name: str) -> None:
        """Removes an object and all its weights (by unique name or full path)."""
        for parent, key in self._locate(object_name):
            parent.pop(key)

    def add_object(self, object_path: str, weights: dict) -> None:
        """Adds an object at ``object_path`` with ``weights`` (``{"0": array, ...}``)."""
        _check_weights_arg(weights)
        *parents, leaf = object_path.split("/")
        node = self.weights_dict
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise ValueError(f"Path '{'/'.join(parents)}' not found in model.")
            node = node[part]
        node[leaf] = {k: np.asarray(v) for k, v in weights.items()}

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Removes weight ``weight_name`` (e.g. ``"1"``) from an object."""
        for parent, key in self._locate(object_name):
            if not isinstance(parent[key], dict) or weight_name not in parent[key]:
                present = list(parent[key]) if isinstance(parent[key], dict) else []
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. "
                    f"Weights found: {present}"
                )
            parent[key].pop(weight_name)

    def add_weights(self, object_name: str, weights: dict) -> None:
        """Adds (or replaces) weights of an existing object: ``{"2": array, ...}``."""
        _check_weights_arg(weights)
        for parent, key in self._locate(object_name):
            parent[key].update({k: np.asarray(v) for k, v in weights.items()})

    # ------------------------------------------------------------------ output
    def save(self, filepath) -> None:
        """Writes the edited weights as a ``.weights.h5`` file (for ``load_weights``)."""
        filepath = path_str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        with atomic_path(os.path.abspath(filepath)) as tmp, h5_io.open_h5(tmp, "w") as h5:
            _write_tree(h5, self.weights_dict, "", self.object_metadata)

    def resave_weights(self, filepath) -> None:
        """Same as `save`."""
        self.save(filepath)
