"""Reading and writing Keras 3 weights files (``model.weights.h5``, ``*.weights.h5``).

Each layer or optimizer found by :mod:`~ketorch.saving.object_tree` owns a
group ``<path>/vars`` holding datasets ``"0"``, ``"1"``, ... and an attribute
``name``. Reading is defensive: only hard links to plain numeric datasets
are followed (no soft/external links, external storage or virtual
datasets), and a dataset is read only after its declared shape matched the
variable it is meant for, so a hostile file cannot make us allocate more
than the model itself needs. Any valid numeric dtype loads (big-endian data
is converted to native order).

Loading is transactional: every dataset is read and checked first, and only
then are variables assigned, so a load that fails leaves the model and its
optimizer exactly as they were.
"""

from __future__ import annotations

import math
import warnings

import h5py
import numpy as np
import torch

from .. import backend
from . import limits, object_tree

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
        if ds.shape is None:
            raise H5Error(f"'{where}/{name}' in the weights file holds no data (empty dataspace).")
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
        array = np.asarray(ds[()])
    except H5_ERRORS as e:
        raise H5Error(f"Cannot read the data of '{where}' in the weights file ({e}).") from e
    if not array.dtype.isnative:  # e.g. big-endian '>f4': torch reads native order only
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def to_tensor(value, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A CPU tensor of ``value`` (a :func:`read_array` result) in ``dtype`` (default: its own)."""
    if isinstance(value, torch.Tensor):
        return value if dtype is None else value.to(dtype)
    array = np.asarray(value)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    if not (array.flags.c_contiguous and array.flags.writeable):
        array = np.array(array, order="C")  # keeps 0-d arrays 0-d, unlike ascontiguousarray
    try:
        tensor = torch.from_numpy(array)
    except TypeError:  # a dtype torch lacks (float128, ...): go through the widest it has
        tensor = torch.from_numpy(array.astype(np.float64 if array.dtype.kind == "f" else np.int64))
    return tensor if dtype is None else tensor.to(dtype)


def stored_data_bytes(root) -> int:
    """The bytes of array data a weights file really holds, found by walking its datasets.

    A compressed dataset counts at most ``limits.MAX_EXPANSION`` times its
    stored size; external and virtual datasets count nothing. This sizes
    :func:`limits.weight_budget`, so padding a file does not enlarge it.
    """
    total = 0
    seen = 0

    def visit(_name, obj):
        nonlocal total, seen
        seen += 1
        if seen > limits.MAX_H5_OBJECTS:
            raise limits.LimitError(
                f"The weights file holds more than limits.MAX_H5_OBJECTS={limits.MAX_H5_OBJECTS} "
                "groups and datasets."
            )
        if isinstance(obj, h5py.Dataset):
            total += _dataset_bytes(obj)

    try:
        root.visititems(visit)
    except limits.LimitError:
        raise
    except H5_ERRORS as e:
        raise H5Error(f"Cannot walk the weights file ({e}).") from e
    return total


def _dataset_bytes(ds) -> int:
    try:
        if ds.external or ds.is_virtual or ds.size is None:
            return 0
        declared = int(ds.size) * ds.dtype.itemsize
        stored = int(ds.id.get_storage_size())
    except H5_ERRORS:
        return 0
    return min(declared, stored * limits.MAX_EXPANSION)


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
        named = getattr(obj, "keras_named_variables", None)
        if named is not None:  # stored by name, as Keras does (TorchModuleWrapper's state_dict)
            group = _make_vars(root, path, getattr(obj, "name", None))
            for key, value in named().items():
                group.create_dataset(key, data=to_numpy(value))
            continue
        if object_tree._is_keras_optimizer(obj):
            values = optimizer_values(model, obj)
        elif hasattr(obj, "_saved_variable_values"):  # e.g. LoRA layers save a merged kernel
            values = obj._saved_variable_values()
        else:
            values = object_tree.own_variables(obj)
        group = _make_vars(root, path, getattr(obj, "name", None))
        for i, value in enumerate(values):
            group.create_dataset(str(i), data=to_numpy(value))


# ----------------------------------------------------------------- optimizer
def _optimizer_order(model, opt) -> list[int]:
    """Indices into ``opt.variables`` giving Keras's order (slots by Keras's parameter order)."""
    params = opt._all_params()
    keras_params = object_tree.keras_trainable_variables(model)
    if len(keras_params) != len(params) or {id(p) for p in keras_params} != {id(p) for p in params}:
        return list(range(len(opt._variable_layout())))
    return opt._keras_variable_order(keras_params)


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


def read_optimizer_values(model, opt, datasets, what: str) -> list[torch.Tensor] | None:
    """Read an optimizer's saved variables without touching the optimizer.

    ``datasets`` are ``(dataset, where)`` pairs in file order. Nothing is read
    unless it can fit: a built optimizer must match the count and every
    shape; for one not built yet (its layout is known only once built), each
    variable may be at most as large as the largest trainable weight and all
    together a few times the trainable weights. Otherwise the optimizer state
    is skipped with a warning, as Keras does on a mismatch.

    Raises:
        H5Error: A dataset cannot be read, or the iteration count (the first
            variable) is not a whole number.
    """
    shapes = [tuple(ds.shape) for ds, _ in datasets]
    if opt.built:
        problem = _layout_problem(model, opt, shapes, what)
    else:
        sizes = [math.prod(shape) for shape in shapes]
        params = list(model.trainable_weights)
        largest = max((p.numel() for p in params), default=1)
        cap = 8 * sum(p.numel() for p in params) + 1024
        problem = None
        if sum(sizes) > cap or any(size > largest for size in sizes):
            problem = f"{what} holds variables larger than this model's weights allow"
    if problem is not None:
        warnings.warn(
            f"Skipping variable loading for optimizer '{opt.name}': {problem}.", stacklevel=4
        )
        return None
    values = [to_tensor(read_array(ds, where)) for ds, where in datasets]
    if values:
        _check_iteration(values[0], datasets[0][1])
    return values


def _check_iteration(value: torch.Tensor, where: str) -> None:
    number = value.double().item() if value.numel() == 1 else float("nan")
    if not (math.isfinite(number) and number == int(number) and 0 <= number < 2**62):
        raise H5Error(
            f"'{where}' (the optimizer's iteration count) must be a whole number >= 0. "
            f"Received: {number}"
        )


def _layout_problem(model, opt, shapes, what: str) -> str | None:
    """Why file-ordered ``shapes`` do not fit the built ``opt`` (None when they do)."""
    layout = opt._variable_layout()
    if len(shapes) != len(layout):
        return f"it has {len(layout)} variables whereas {what} has {len(shapes)} variables"
    current = opt.variables
    for file_index, ours in enumerate(_optimizer_order(model, opt)):
        expected = tuple(current[ours].shape)
        if shapes[file_index] != expected:
            return f"variable {file_index} has shape {shapes[file_index]} in {what} but {expected} here"
    return None


def order_optimizer_values(model, opt, values, what: str) -> list | None:
    """Build ``opt`` if needed and put file-ordered ``values`` in its ``variables`` order.

    Returns None (after a warning, as Keras) when the count or a shape differs.
    """
    prepare_optimizer(model, opt)
    problem = _layout_problem(model, opt, [tuple(v.shape) for v in values], what)
    if problem is not None:
        warnings.warn(
            f"Skipping variable loading for optimizer '{opt.name}': {problem}.", stacklevel=4
        )
        return None
    ordered: list = [None] * len(values)
    for file_index, ours in enumerate(_optimizer_order(model, opt)):
        ordered[ours] = values[file_index]
    return ordered


# ----------------------------------------------------------------- reading
def load_weights(root, model, skip_mismatch: bool = False, load_optimizer_state: bool = True):
    """Load a Keras 3 weights tree into ``model`` (and its optimizer when built).

    Transactional: every dataset is read and checked before any variable
    changes, so a failure leaves the model (and its optimizer) as it was.

    Raises:
        ValueError: Listing every layer whose variables are missing or mismatched
            (unless ``skip_mismatch``, which warns and leaves them unchanged).
    """
    errors = []
    staged: list = []
    for path, obj in object_tree.saveable_entries(model, include_optimizer=False):
        where = f"{path}/vars" if path else "vars"
        group = vars_group(root, path)
        named = getattr(obj, "keras_named_variables", None)
        try:
            if named is not None:
                staged.extend(read_named_layer(named(), group, where))
            elif hasattr(obj, "_variables_to_load"):  # e.g. LoRA layers reset their factors
                targets, after = obj._variables_to_load()
                fit = getattr(obj, "_fit_saved_count", None)  # GPTQ/AWQ files from Keras
                if fit is not None and group is not None:
                    targets = fit(targets, len(group.keys()))
                staged.extend(read_layer(targets, group, where))
                staged.extend(after)
            else:
                staged.extend(read_layer(object_tree.own_variables(obj), group, where))
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
    opt = getattr(model, "optimizer", None)
    opt_values = None
    if load_optimizer_state and object_tree._is_keras_optimizer(opt):
        group = get_group(root, "optimizer/vars")
        # Keras writes just (iteration, learning_rate) for an optimizer that never ran;
        # that restores nothing, so it does not force building ours.
        if group is not None and (len(group.keys()) > 2 or opt.built):
            where = "optimizer/vars"
            datasets = [
                (get_dataset(group, n, where), f"{where}/{n}") for n in dataset_names(group, where)
            ]
            opt_values = read_optimizer_values(model, opt, datasets, "the saved optimizer")
    # Everything is read and checked; from here on nothing depends on the file.
    if opt_values is not None:
        opt_values = order_optimizer_values(model, opt, opt_values, "the saved optimizer")
    assign(staged)
    if opt_values is not None:
        opt.set_variables(opt_values)


def read_layer(variables, group, where) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(variable, value)`` pairs for a layer's variables, read and checked, nothing assigned."""
    names = [] if group is None else dataset_names(group, where)
    if len(names) != len(variables):
        raise H5Error(
            f"expected {len(variables)} variables, the file has {len(names)} "
            f"({'no group' if group is None else 'group ' + where})"
        )
    pairs = []
    for name, var in zip(names, variables):
        ds = get_dataset(group, name, where)
        if tuple(ds.shape) != tuple(var.shape):
            raise H5Error(
                f"variable {name} has shape {tuple(ds.shape)} in the file but "
                f"{tuple(var.shape)} in the model"
            )
        pairs.append((var, to_tensor(read_array(ds, f"{where}/{name}"), var.dtype)))
    return pairs


def read_named_layer(variables, group, where) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Like :func:`read_layer` for a layer whose datasets are named (``{name: tensor}``)."""
    try:
        names = [] if group is None else sorted(group.keys())
    except H5_ERRORS as e:
        raise H5Error(f"Cannot list '{where}' in the weights file ({e}).") from e
    if sorted(variables) != names:
        raise H5Error(f"expected the variables {sorted(variables)[:10]}, the file has {names[:10]}")
    pairs = []
    for name, var in variables.items():
        ds = get_dataset(group, name, where)
        if tuple(ds.shape) != tuple(var.shape):
            raise H5Error(
                f"variable {name} has shape {tuple(ds.shape)} in the file but "
                f"{tuple(var.shape)} in the model"
            )
        pairs.append((var, to_tensor(read_array(ds, f"{where}/{name}"), var.dtype)))
    return pairs


def assign(pairs) -> None:
    """Copy checked values into their variables (the commit step of a load)."""
    with torch.no_grad():
        for var, value in pairs:
            var.copy_(value)


def prepare_optimizer(model, opt) -> None:
    """Build ``opt`` on the model's trainable weights (on the training device) if needed."""
    if opt.built:
        return

    device = backend.get_device()
    if any(p.device != device for p in model.parameters()):
        model.to(device)
    opt.build(model.trainable_weights)
