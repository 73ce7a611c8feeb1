"""Keras's layout API on torch's DTensor: ``DeviceMesh``, ``TensorLayout``, ``LayoutMap``,
``ModelParallel`` and ``distribute_tensor``.

One process per device, as ``torchrun`` starts them: a mesh of shape
``(2, 4)`` needs 8 processes, rank ``r`` sitting at the row-major position
``r`` of the mesh. Every weight whose path matches a ``LayoutMap`` key with
a mesh axis keeps only its piece on each process (a DTensor shard, its
optimizer slots too): from its creation when the distribution is set before
the model is built, else during ``fit``; a layer gathers its whole weights
when it is called and the gradients go back to the shards (see
``model_parallel_runtime.py``). The batch is split along ``batch_dim_name``.
"""

from __future__ import annotations

import collections.abc
import math
import os
import re

import numpy as np
import torch

from .data_parallel import (
    DEFAULT_TIMEOUT_S,
    _check_process_group_args,
    _env_int,
    _launched_world_size,
    list_devices,
)

__all__ = ["DeviceMesh", "LayoutMap", "ModelParallel", "TensorLayout", "distribute_tensor"]


def _process_devices() -> list[str]:
    """One device per process of the run (all local devices outside ``torchrun``)."""
    world = _launched_world_size()
    if world == 1:
        return list_devices()
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        return [f"cuda:{r % count}" for r in range(world)]
    return [f"cpu:{r}" for r in range(world)]


class DeviceMesh:
    """A grid of devices with named axes (one process per device).

    Args:
        shape: The size of each mesh axis, e.g. ``(2, 4)``.
        axis_names: One name per axis, e.g. ``("batch", "model")``.
        devices: The devices, ``prod(shape)`` of them (row-major; entry ``r``
            belongs to the process of rank ``r``). By default one per process
            of the ``torchrun`` launch, else this machine's devices.

    Raises:
        ValueError: For an empty shape, a name count that differs from the
            shape's, or a device count that is not ``prod(shape)``.

    Example:
        >>> import ketorch as keras
        >>> mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"],
        ...                                      devices=["cpu:0", "cpu:1"])
        >>> mesh.shape, mesh.axis_names
        ((1, 2), ['batch', 'model'])
    """

    def __init__(self, shape, axis_names, devices=None) -> None:
        if not shape or not axis_names:
            raise ValueError(
                "`shape` and `axis_names` must not be empty. "
                f"Received: shape={shape}, axis_names={axis_names}"
            )
        if isinstance(axis_names, str) or len(shape) != len(axis_names):
            raise ValueError(
                "`shape` and `axis_names` need one entry per mesh axis. "
                f"Received: shape={shape}, axis_names={axis_names}"
            )
        if any(not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
            raise ValueError(f"Mesh axis sizes must be positive integers. Received: shape={shape}")
        if len(set(axis_names)) != len(axis_names):
            raise ValueError(f"Mesh axis names must be unique. Received: axis_names={axis_names}")
        devices = np.array(_process_devices() if devices is None else devices, dtype=object)
        if math.prod(shape) != devices.size:
            raise ValueError(
                f"The mesh needs prod(shape)={math.prod(shape)} devices. "
                f"Received: shape={tuple(shape)}; devices.shape={devices.shape}"
            )
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(tuple(shape))

    @property
    def shape(self):
        """The size of each axis."""
        return self._shape

    @property
    def axis_names(self):
        """The name of each axis."""
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        """The devices as an array of ``shape``."""
        return self._devices

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"

    __str__ = __repr__


class TensorLayout:
    """How a tensor is split over a :class:`DeviceMesh`: one mesh axis name (or ``None``,
    not split) per tensor dimension.

    Args:
        axes: E.g. ``(None, "model")``: the second dimension is split over the
            mesh axis ``"model"``, the first is whole on every device.
        device_mesh: The mesh; may be set once later (``LayoutMap`` does).

    Raises:
        ValueError: For an axis name the mesh lacks, a name used twice, or a
            second mesh assignment.

    Example:
        >>> import ketorch as keras
        >>> mesh = keras.distribution.DeviceMesh((2,), ["model"], devices=["cpu:0", "cpu:1"])
        >>> keras.distribution.TensorLayout((None, "model"), mesh).axes
        (None, 'model')
    """

    def __init__(self, axes, device_mesh: DeviceMesh | None = None) -> None:
        self._axes = tuple(axes)
        named = [a for a in self._axes if a is not None]
        if len(set(named)) != len(named):
            raise ValueError(
                f"A mesh axis can split only one tensor dimension. Received: axes={self._axes}"
            )
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self) -> tuple:
        """The mesh axis name (or ``None``) of each tensor dimension."""
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        """The mesh (``None`` until set)."""
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(
                f"This layout already has a device mesh ({self._device_mesh}); it cannot be "
                f"replaced. Received: device_mesh={device_mesh}"
            )
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self) -> None:
        if self._device_mesh is None:
            return
        unknown = sorted(
            {a for a in self._axes if a is not None} - set(self._device_mesh.axis_names)
        )
        if unknown:
            raise ValueError(
                f"Layout axes {unknown} are not axes of the device mesh "
                f"(axis_names={list(self._device_mesh.axis_names)}). Received: axes={self._axes}"
            )

    @property
    def is_sharded(self) -> bool:
        """Whether any dimension is split."""
        return any(a is not None for a in self._axes)

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"

    __str__ = __repr__


class LayoutMap(collections.abc.MutableMapping):
    """Regex keys to :class:`TensorLayout` values, looked up by variable path.

    A lookup returns the layout of the key equal to the path, else of the one
    key that matches the whole path as a regular expression (``re.fullmatch``),
    else ``None``. A tuple value stands for ``TensorLayout(value)``; every
    layout gets this map's mesh.

    Args:
        device_mesh: The :class:`DeviceMesh` of the layouts.

    Raises:
        ValueError: For a key set twice, a value that is not a layout, or a path
            matched by several keys.

    Example:
        >>> import ketorch as keras
        >>> mesh = keras.distribution.DeviceMesh((2,), ["model"], devices=["cpu:0", "cpu:1"])
        >>> layout_map = keras.distribution.LayoutMap(mesh)
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> layout_map["dense_1/kernel"].axes
        (None, 'model')
        >>> print(layout_map["dense_1/bias"])
        None
    """

    def __init__(self, device_mesh: DeviceMesh) -> None:
        self._layout_map: dict[str, TensorLayout] = {}
        self._device_mesh = device_mesh

    @property
    def device_mesh(self) -> DeviceMesh:
        """The mesh every layout of this map uses."""
        return self._device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [k for k in self._layout_map if re.fullmatch(k, key)]
        if len(matches) > 1:
            raise ValueError(
                f"The path '{key}' matches several LayoutMap keys: {matches}. Make each "
                "variable path match at most one key."
            )
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key: str, layout) -> None:
        if key in self._layout_map:
            raise ValueError(
                f"The key '{key}' is already in the LayoutMap (value "
                f"{self._layout_map[key]}); keys must be unique."
            )
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                "LayoutMap values must be TensorLayouts or tuples of axis names. "
                f"Received: {layout!r} of type {type(layout).__name__}"
            )
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> TensorLayout:
        return self._layout_map.pop(key)

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)


class ModelParallel:
    """Split weights over a device mesh as a :class:`LayoutMap` says, and the batch
    along ``batch_dim_name`` (Keras's ``ModelParallel``, on torch's DTensor).

    Launch the unchanged script with ``torchrun --nproc_per_node=N`` where
    ``N`` is the mesh size. During ``fit`` each process holds only its piece
    of every weight whose path has a split layout (and of its optimizer
    slots); a layer gathers its whole weights when called, and gradients
    return to the pieces by reduce-scatter. Processes that share a
    ``batch_dim_name`` coordinate see the same data. Training equals one
    process stepping on the global batches. Outside ``fit`` (and after it)
    the model holds whole weights again, so ``save``/``get_weights`` work as
    usual.

    Args:
        layout_map: The :class:`LayoutMap`; its mesh is the distribution's.
        batch_dim_name: The mesh axis the batch is split along (default: the
            first axis).
        auto_shard_dataset: Split the data between processes (default).
        timeout: Seconds a collective may wait (as in ``DataParallel``).
        backend: ``"nccl"`` or ``"gloo"`` (default: nccl on CUDA, else gloo).

    Raises:
        ValueError: For a missing or wrong ``layout_map`` or an unknown
            ``batch_dim_name``.

    Example:
        >>> import ketorch as keras
        >>> mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"],
        ...                                      devices=["cpu:0", "cpu:1"])
        >>> layout_map = keras.distribution.LayoutMap(mesh)
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> keras.distribution.ModelParallel(layout_map=layout_map).batch_dim_name
        'batch'
    """

    def __init__(
        self,
        *,
        layout_map: LayoutMap | None = None,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
        timeout: float | None = None,
        backend: str | None = None,
        **kwargs,
    ) -> None:
        kwargs.pop("device_mesh", None)  # Keras takes the mesh from the layout map too
        if kwargs:
            raise TypeError(f"ModelParallel() got unexpected arguments: {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError("ModelParallel needs a `layout_map` (a LayoutMap).")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "`layout_map` must be a LayoutMap. "
                f"Received: layout_map of type {type(layout_map).__name__}"
            )
        mesh = layout_map.device_mesh
        if not isinstance(mesh, DeviceMesh):
            raise ValueError(f"The LayoutMap needs a DeviceMesh. Received: device_mesh={mesh!r}")
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(
                f"`batch_dim_name` must be an axis of the mesh {list(mesh.axis_names)}. "
                f"Received: batch_dim_name={batch_dim_name!r}"
            )
        _check_process_group_args(timeout, backend)
        self._layout_map = layout_map
        self._device_mesh = mesh
        self._batch_dim_name = batch_dim_name
        self.auto_shard_dataset = bool(auto_shard_dataset)
        self.timeout = float(timeout) if timeout is not None else None
        self.backend = backend

    @property
    def device_mesh(self) -> DeviceMesh:
        """The mesh of the layout map."""
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str:
        """The mesh axis the batch is split along."""
        return self._batch_dim_name

    @property
    def layout_map(self) -> LayoutMap:
        """The layouts by variable path."""
        return self._layout_map

    @property
    def num_model_replicas(self) -> int:
        """How many different data shards a step sees (the batch axis size)."""
        mesh = self._device_mesh
        return mesh.shape[list(mesh.axis_names).index(self._batch_dim_name)]

    def get_variable_layout(self, variable) -> TensorLayout:
        """The layout of ``variable`` (by its ``path``; unsplit when no key matches)."""
        layout = self._layout_map[variable.path]
        return (
            layout if layout is not None else TensorLayout([None] * variable.ndim, self.device_mesh)
        )

    def get_data_layout(self, data_shape) -> TensorLayout:
        """The layout of a batch: its first dimension split along ``batch_dim_name``."""
        axes = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        """The layout the map gives ``path`` (``None`` when no key matches)."""
        return self._layout_map[path]

    @property
    def timeout_s(self) -> float:
        """The collective timeout in seconds."""
        if self.timeout is not None:
            return self.timeout
        env = os.environ.get("KETORCH_DIST_TIMEOUT")
        return float(env) if env else DEFAULT_TIMEOUT_S

    def local_device(self) -> torch.device:
        """The device of this process: entry ``RANK`` of the mesh's devices."""
        devices = list(self._device_mesh.devices.reshape(-1))
        if len(devices) > 1 and _launched_world_size() == 1:
            raise ValueError(
                "ketorch runs one process per mesh device: launch the script with "
                f"`torchrun --nproc_per_node={len(devices)} script.py`. "
                f"Received: a mesh of shape {tuple(self._device_mesh.shape)} in one process"
            )
        name = str(devices[_env_int("RANK", 0) % len(devices)]).replace("gpu", "cuda")
        return torch.device("cpu") if name.startswith("cpu") else torch.device(name)

    def make_runtime(self, device: torch.device):
        """The fit/evaluate/predict runtime (called once the process group runs)."""
        from .model_parallel_runtime import ModelParallelRuntime  # import cycle

        return ModelParallelRuntime(self, device)

    def __repr__(self) -> str:
        return (
            f"<ModelParallel device_mesh={self.device_mesh}, "
            f"batch_dim_name={self.batch_dim_name!r}>"
        )


def torch_placements(layout: TensorLayout, mesh: DeviceMesh) -> list:
    """DTensor placements (one per mesh axis) for ``layout``."""
    from torch.distributed.tensor import Replicate, Shard  # loaded on first use

    placements = [Replicate() for _ in mesh.axis_names]
    names = list(mesh.axis_names)
    for dim, axis in enumerate(layout.axes):
        if axis is not None:
            placements[names.index(axis)] = Shard(dim)
    return placements


def distribute_tensor(tensor, layout):
    """Lay ``tensor`` out over the mesh as ``layout`` says.

    In a distributed run (the process group started) this returns a torch
    ``DTensor`` whose local piece is this process's shard; in a single process
    the tensor is returned unchanged (a mesh of one device holds it whole).

    Args:
        tensor: A tensor or array, the same on every process.
        layout: A :class:`TensorLayout` with a mesh.

    Raises:
        ValueError: If ``layout`` is not a TensorLayout with a mesh, or its
            axes do not fit the tensor's rank.

    Example:
        >>> import ketorch as keras
        >>> mesh = keras.distribution.DeviceMesh((1,), ["model"], devices=["cpu:0"])
        >>> layout = keras.distribution.TensorLayout((None, "model"), mesh)
        >>> keras.distribution.distribute_tensor(keras.ops.ones((2, 4)), layout).shape
        torch.Size([2, 4])
    """
    import torch.distributed as dist  # torch submodule loaded only when this path runs

    if not isinstance(layout, TensorLayout) or layout.device_mesh is None:
        raise ValueError(
            f"`layout` must be a TensorLayout with a device mesh. Received: layout={layout!r}"
        )
    tensor = torch.as_tensor(tensor)
    if len(layout.axes) != tensor.ndim:
        raise ValueError(
            f"The layout has {len(layout.axes)} axes but the tensor has rank {tensor.ndim}. "
            f"Received: axes={layout.axes}, tensor shape={tuple(tensor.shape)}"
        )
    if (
        not (dist.is_available() and dist.is_initialized())
        or math.prod(layout.device_mesh.shape) == 1
    ):
        return tensor
    from torch.distributed.tensor import (
        distribute_tensor as torch_distribute,  # loaded on first use
    )

    from .model_parallel_runtime import torch_mesh  # import cycle

    mesh = layout.device_mesh
    return torch_distribute(tensor, torch_mesh(mesh), torch_placements(layout, mesh))
