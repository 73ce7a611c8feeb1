"""Reading and writing Keras 3 weights files (``model.weights.h5``, ``*.weights.h5``).

Each layer or optimizer found by :mod:`~ketorch.saving.object_tree` owns a
group ``<path>/vars`` holding datasets ``"0"``, ``"1"``, ... and an attribute
``name``. Reading is defensive: only hard links to plain numeric datasets
are followed (no soft/external links, external storage or virtual
datasets), and a dataset is read only after its declared shape matched the
variable it is meant for, so a hostile file cannot make us allocate more
than the model itself needs.
"""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import torch

from . import object_tree

# Errors that h5py raises on damaged files; all are reported as ValueError.
H5_ERRORS = (OSError, RuntimeError, KeyError, TypeError, ValueError, AttributeError)


class H5Error(ValueError):
    """A weights file that cannot be read: damaged, hostile or for another model."""


def open_h5(file, mode="r"):
    """``h5py.File`` on a path or binary file object; damaged files give H5Error."""
    try:
        return h5py.File(file, mode)
    except H5_ERRORS as e:
        raise H5Error(f"The weights data is not a readable HDF5 file ({e}).") from e


# ----------------------------------------------------------------- safe access
def get_group(parent, path: str):
    """The group at ``path`` (``a/b/c``) or None; links other than hard links are refused."""
    node = parent
    for part in path.split("/"):
        if not part:
            continue
        try:
            link = node.get(part, getlink=True)
        except H5_ERRORS as e:
            raise H5Error(f"Cannot read group '{path}' of the weights file ({e}).") from e
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise H5Error(
                f"The weights file has a {type(link).__name__} at '{path}'; only plain groups "
                "and datasets are allowed (links could read other files)."
            )
        try:
            node = node[part]
        except H5_ERRORS as e:
            raise H5Error(f"Cannot read group '{path}' of the weights file ({e}).") from e
        if not isinstance(node, h5py.Group):
            raise H5Error(f"'{path}' in the weights file should be a group, not a dataset.")
    return node


def get_dataset(group, name: str, where: str):
    """The dataset ``name`` of ``group``, checked to be a plain, local, numeric array."""
    try:
        link = group.get(name, getlink=True)
    except H5_ERRORS as e:
        raise H5Error(f"Cannot read '{where}/{name}' in the weights file ({e}).") from e
    if link is None:
        raise H5Error(f"The weights file has no dataset '{where}/{name}'.")
    if not isinstance(link, h5py.HardLink):
        raise H5Error(f"'{where}/{name}' in the weights file is a {type(link).__name__}.")
    try:
        ds = group[name]
        if not isinstance(ds, h5py.Dataset):
            raise H5Error(f"'{where}/{name}' in the weights file should be a dataset.")
        if ds.external or ds.is_virtual:
            raise H5Error(
                f"'{where}/{name}' stores its data outside the weights file (external or "
                "virtual dataset), which is not allowed."
            )
        kind = ds.dtype.kind
    except H5Error:
        raise
    except H5_ERRORS as e:
        raise H5Error(f"Cannot read '{where}/{name}' in the weights file ({e}).") from e
    if kind not in "biufV" or (kind == "V" and not _is_bfloat16(ds)):
        raise H5Error(
            f"'{where}/{name}' in the weights file has dtype {ds.dtype}; weights must be "
            "numeric arrays."
        )
    return ds


def _is_bfloat16(ds) -> bool:
    try:
        return ds.attrs.get("dtype") in ("bfloat16", b"bfloat16") and ds.dtype.itemsize == 2
    except H5_ERRORS:
        return False


def read_array(ds, where: str) -> np.ndarray | torch.Tensor:
    """Read a dataset checked by :func:`get_dataset` (bfloat16 comes back as a tensor)."""
    try:
        if _is_bfloat16(ds):
            raw = np.asarray(ds[()]).view(np.int16).copy()
            return torch.from_numpy(raw).view(torch.bfloat16)
        return np.asarray(ds[()])
    except H5_ERRORS as e:
        raise H5Error(f"Cannot read the data of '{where}' in the weights file ({e}).") from e


def vars_group(root, path: str):
    """The ``<path>/vars`` group, or None when the file has none (no variables)."""
    return get_group(root, f"{path}/vars" if path else "vars")


def dataset_names(group, where: str) -> list[str]:
    """Dataset keys ``"0".."n-1"`` of a vars group, checked to be exactly that sequence."""
    try:
        keys = list(group.keys())
    except H5_ERRORS as e:
        raise H5Error(f"Cannot list '{where}' in the weights file ({e}).") from e
    if sorted(keys, key=lambda k: (len(k), k)) != [str(i) for i in range(len(keys))]:
        raise H5Error(
            f"'{where}' in the weights file should hold datasets named 0..{len(keys) - 1}. "
            f"Received: {sorted(keys)[:10]}"
        )
    return [str(i) for i in range(len(keys))]


# ----------------------------------------------------------------- writing
def to_numpy(value) -> np.ndarray:
    t = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(value)
    if t.dtype == torch.bfloat16:
        return t.float().cpu().numpy()
    return t.cpu().numpy()


def _make_vars(root, path: str, name: str | None):
    group = root.require_group(f"{path}/vars" if path else "vars")
    if name is not None:
        group.attrs["name"] = name
    return group


def write_weights(root, model, include_optimizer: bool = True) -> None:
    """Write every variable of ``model`` (and of its optimizer) in Keras's layout."""
    for path, obj in object_tree.saveable_entries(model, include_optimizer):
        if object_tree._is_keras_optimizer(obj):
            values = optimizer_values(model, obj)
        else:
            values = object_tree.own_variables(obj)
        group = _make_vars(root, path, getattr(obj, "name", None))
        for i, value in enumerate(values):
            group.create_dataset(str(i), data=to_numpy(value))


# ----------------------------------------------------------------- optimizer
def _optimizer_order(model, opt) -> list[int]:
    """Indices into ``opt.variables`` giving Keras's order (slots by Keras's parameter order)."""
    layout = opt._variable_layout()
    params = opt._all_params()
    keras_params = object_tree.keras_trainable_variables(model)
    rank = {id(p): i for i, p in enumerate(keras_params)}
    if len(rank) != len(params) or any(id(p) not in rank for p in params):
        return list(range(len(layout)))
    order = list(range(len(layout)))
    start = next((i for i, e in enumerate(layout) if e[0] == "slot"), len(layout))
    for names, _ in opt._slot_groups():
        size = len(names) * len(params)
        block = list(range(start, start + size))
        block.sort(key=lambda i: rank[id(layout[i][1])])  # stable: keeps slot-name order
        order[start : start + size] = block
        start += size
    return order


def optimizer_values(model, opt) -> list:
    """The optimizer's variables as Keras writes them (``iteration`` int64, then ...)."""
    variables = opt.variables
    out = []
    for i in _optimizer_order(model, opt):
        value = variables[i]
        if i == 0:
            value = value.to(torch.int64)
        out.append(value)
    return out


def load_optimizer(model, opt, group, where: str) -> None:
    """Load ``optimizer/vars``; a count or shape mismatch warns and skips, as Keras does."""
    names = dataset_names(group, where)
    order = _optimizer_order(model, opt)
    layout = opt._variable_layout()
    if len(names) != len(layout):
        warnings.warn(
            f"Skipping variable loading for optimizer '{opt.name}', because it has "
            f"{len(layout)} variables whereas the saved optimizer has {len(names)} variables.",
            stacklevel=3,
        )
        return
    current = opt.variables
    values: list = [None] * len(layout)
    for file_index, our_index in enumerate(order):
        ds = get_dataset(group, str(file_index), where)
        expected = tuple(current[our_index].shape)
        if tuple(ds.shape) != expected:
            warnings.warn(
                f"Skipping variable loading for optimizer '{opt.name}': variable {file_index} "
                f"has shape {tuple(ds.shape)} in the file but {expected} here.",
                stacklevel=3,
            )
            return
        values[our_index] = read_array(ds, f"{where}/{file_index}")
    opt.set_variables(values)


# ----------------------------------------------------------------- reading
def load_weights(root, model, skip_mismatch: bool = False, load_optimizer_state: bool = True):
    """Load a Keras 3 weights tree into ``model`` (and its optimizer when built).

    Raises:
        ValueError: Listing every layer whose variables are missing or mismatched
            (unless ``skip_mismatch``, which warns and leaves them unchanged).
    """
    errors = []
    opt = getattr(model, "optimizer", None)
    entries = object_tree.saveable_entries(model, include_optimizer=False)
    if load_optimizer_state and object_tree._is_keras_optimizer(opt):
        group = get_group(root, "optimizer/vars")
        # Keras writes just (iteration, learning_rate) for an optimizer that never ran;
        # that restores nothing, so it does not force building ours.
        if group is not None and (len(group.keys()) > 2 or opt.built):
            prepare_optimizer(model, opt)
            entries.append(("optimizer", opt))
    for path, obj in entries:
        where = f"{path}/vars" if path else "vars"
        group = vars_group(root, path)
        if object_tree._is_keras_optimizer(obj):
            load_optimizer(model, obj, group, where)
            continue
        variables = object_tree.own_variables(obj)
        try:
            _load_layer(obj, variables, group, where)
        except H5Error as e:
            if skip_mismatch:
                warnings.warn(f"Skipping weights of layer '{obj.name}': {e}", stacklevel=3)
            else:
                errors.append(f"- layer '{obj.name}' at '{where}': {e}")
    if errors:
        raise H5Error(
            "The weights file does not fit this model (pass `skip_mismatch=True` to load "
            "what fits):\n" + "\n".join(errors)
        )


def _load_layer(layer, variables, group, where):
    names = [] if group is None else dataset_names(group, where)
    if len(names) != len(variables):
        raise H5Error(
            f"expected {len(variables)} variables, the file has {len(names)} "
            f"({'no group' if group is None else 'group ' + where})"
        )
    arrays = []
    for name, var in zip(names, variables):
        ds = get_dataset(group, name, where)
        if tuple(ds.shape) != tuple(var.shape):
            raise H5Error(
                f"variable {name} has shape {tuple(ds.shape)} in the file but "
                f"{tuple(var.shape)} in the model"
            )
        arrays.append(read_array(ds, f"{where}/{name}"))
    with torch.no_grad():
        for var, array in zip(variables, arrays):
            var.copy_(torch.as_tensor(array).to(dtype=var.dtype))


def prepare_optimizer(model, opt) -> None:
    """Build ``opt`` on the model's trainable weights (on the training device) if needed."""
    if opt.built:
        return
    from .. import backend

    device = backend.get_device()
    if any(p.device != device for p in model.parameters()):
        model.to(device)
    opt.build(model.trainable_weights)
