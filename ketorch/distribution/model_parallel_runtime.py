"""The runtime of :class:`~ketorch.distribution.ModelParallel`: sharded weights.

When the distribution is set before the model is built, ``Layer.add_weight``
calls :func:`shard_new_weight`: the whole initial value is made on the host
CPU (same initializer and seed as one process), only this process's piece
goes to its device, and the layer's persistent hooks gather the whole weight
for every call (``model(x)``, predict, evaluate, fit). ``get_weights``,
``save``/``save_weights`` (rank 0 writes) and ``load_weights``/``set_weights``
work on whole weights gathered into host memory (:func:`whole_weights`; every
process must call them).

Weights built before the distribution was set are split when ``fit`` starts:
every weight whose layout splits it keeps only its
DTensor shard (``weight.data`` becomes the local piece; the ``Parameter``
object, and so the optimizer's and the layers' references, stay the same),
and so do its optimizer slots. A forward pre-hook on the owning layer puts
the whole weight (an all-gather, differentiable) in the layer's attribute
for the call; the post-hook puts the parameter back. The gather's backward
reduce-scatters the gradient onto the shards, so ``optimizer.step()`` works
on shards only. When training ends the weights are gathered whole again.

Gradient arithmetic: each process's gradient is scaled by its local batch
size ``n`` (inside the gather's backward for split weights, after backward
for the others), summed over all processes (reduce-scatter over the split
mesh axes, all-reduce over the rest), and divided by the summed ``n``. A
step therefore equals one process's step on the global batch, also when
processes along a non-batch axis see the same data.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard

from ..callbacks import BackupAndRestore, ModelCheckpoint
from .model_parallel import DeviceMesh, torch_placements
from .runtime import Runtime, _rows

__all__ = ["ModelParallelRuntime", "torch_mesh"]

_MESHES: dict = {}


def torch_mesh(mesh: DeviceMesh):
    """The torch ``DeviceMesh`` of ``mesh`` (made once; the process group must run)."""
    key = (tuple(mesh.shape), tuple(mesh.axis_names))
    if key not in _MESHES:
        world = dist.get_world_size()
        if math.prod(mesh.shape) != world:
            raise ValueError(
                f"The device mesh has {math.prod(mesh.shape)} devices but the run has {world} "
                f"processes (one per device). Received: shape={tuple(mesh.shape)}"
            )
        first = str(mesh.devices.reshape(-1)[0])
        device_type = "cuda" if first.startswith(("cuda", "gpu")) else "cpu"
        _MESHES[key] = init_device_mesh(
            device_type, tuple(mesh.shape), mesh_dim_names=tuple(mesh.axis_names)
        )
    return _MESHES[key]


def _storage_ptr(t) -> int | None:
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # no storage (meta, some subclasses)
        return None


class _ShardedWeight:
    """One split weight: its parameter, owner attributes and DTensor placements."""

    def __init__(self, param, layer, attrs, mesh, placements, complement):
        self.param, self.layer, self.attrs = param, layer, attrs
        self.mesh, self.placements = mesh, placements
        self.full_shape = tuple(param.shape)
        self.full_stride = tuple(torch.empty(self.full_shape, device="meta").stride())
        self.complement = complement  # process group over the mesh axes it is not split on

    def local_piece(self, tensor: torch.Tensor) -> torch.Tensor:
        """This process's piece of the whole ``tensor``, sliced where it lies (a compact copy,
        no communication)."""
        from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

        shape, offset = compute_local_shape_and_global_offset(
            self.full_shape, self.mesh, self.placements
        )
        index = tuple(slice(o, o + n) for o, n in zip(offset, shape))
        return tensor.detach()[index].clone(memory_format=torch.contiguous_format)

    def shard(self, tensor: torch.Tensor) -> torch.Tensor:
        """This process's piece of a whole ``tensor`` (a compact copy)."""
        from torch.distributed.tensor import distribute_tensor  # loaded on first use

        try:
            dt = distribute_tensor(tensor.detach(), self.mesh, self.placements, src_data_rank=None)
        except TypeError:  # older torch: scatter from rank 0 (the weights are equal anyway)
            dt = distribute_tensor(tensor.detach(), self.mesh, self.placements)
        return dt.to_local().clone()

    def _dtensor(self, local):
        return DTensor.from_local(
            local, self.mesh, self.placements, run_check=False,
            shape=torch.Size(self.full_shape), stride=self.full_stride,
        )  # fmt: skip

    def whole(self, local: torch.Tensor) -> torch.Tensor:
        """The whole tensor from the shards ``local`` (no gradient)."""
        with torch.no_grad():
            return self._dtensor(local.detach()).full_tensor().clone()

    def gather(self, scale: float) -> torch.Tensor:
        """The whole weight for a layer call; its gradient, times ``scale``, is summed onto
        the shards over the split axes."""
        replicate = [Replicate() for _ in self.placements]
        if not (torch.is_grad_enabled() and self.param.requires_grad):
            with torch.no_grad():
                return (
                    self._dtensor(self.param.detach()).redistribute(self.mesh, replicate).to_local()
                )
        grad_placements = [
            Partial() if isinstance(p, Shard) else Replicate() for p in self.placements
        ]
        full = (
            self._dtensor(self.param)
            .redistribute(self.mesh, replicate)
            .to_local(grad_placements=grad_placements)
        )
        if scale != 1:
            full.register_hook(lambda g: g * scale)
        return full


class _TrainingHandle:
    """Returned by ``start_training``; ``remove()`` makes the weights whole again."""

    def __init__(self, runtime, model, hooks):
        self.runtime, self.model, self.hooks = runtime, model, hooks

    def remove(self) -> None:
        for h in self.hooks:
            h.remove()
        if self.runtime in _TRAINING:
            _TRAINING.remove(self.runtime)
        self.runtime._unshard(self.model)


class _WholeWeights:
    """Runs a callback that reads or saves weights (checkpoints) on whole weights.

    Every process calls the hooks that may save (the gather is collective); the
    wrapped callback runs on rank 0 only when it is rank-0-only (``_chief_only``).
    """

    def __init__(self, runtime, inner, run_inner: bool) -> None:
        self.runtime, self.inner, self.run_inner = runtime, inner, run_inner

    def _implements(self, hook) -> bool:
        impl = getattr(self.inner, "_implements", None)
        return impl(hook) if impl is not None else callable(getattr(self.inner, hook, None))

    def _saves_per_batch(self) -> bool:
        return isinstance(getattr(self.inner, "save_freq", "epoch"), int)

    def _call(self, hook, args, whole: bool):
        with self.runtime.whole_weights() if whole else contextlib.nullcontext():
            if self.run_inner:
                return getattr(self.inner, hook)(*args)
        return None

    def on_epoch_end(self, *args):
        return self._call("on_epoch_end", args, True)

    def on_train_batch_end(self, *args):
        return self._call("on_train_batch_end", args, self._saves_per_batch())

    def __getattr__(self, name):
        if name in ("runtime", "inner", "run_inner"):  # not set yet (copy, pickle)
            raise AttributeError(name)
        value = getattr(self.inner, name)
        if name.startswith("on_") and callable(value):
            return lambda *args: value(*args) if self.run_inner else None
        return value


class _Gathers:
    """The layer-call hooks that gather whole weights (and their state: the step's gradient
    scale ``current_n``, the saved-tensor hooks in progress, the regather count)."""

    current_n = 1
    regathers = 0

    def __init__(self) -> None:
        self._saving: list = []  # the saved-tensor hooks of the layer calls in progress

    def _pre_hook(self, weights):
        def gather(layer, args):
            wholes = {}
            for sw in weights:
                if sw.attrs is None:  # created sharded: the attributes known once built
                    sw.attrs = [a for a, v in vars(layer).items() if v is sw.param]
                if tuple(sw.param.shape) == sw.full_shape:  # whole already (whole_weights)
                    continue
                full = sw.gather(float(self.current_n))
                wholes[_storage_ptr(full)] = sw
                for attr in sw.attrs:
                    object.__setattr__(layer, attr, full)
            saving = None
            if torch.is_grad_enabled():
                # Backward gets the whole weights by gathering again, so they are not kept
                # from the forward pass to the backward pass.
                saving = torch.autograd.graph.saved_tensors_hooks(
                    self._packer(wholes), self._unpack
                )
                saving.__enter__()
            self._saving.append(saving)

        return gather

    def _packer(self, wholes):
        def pack(t):
            sw = wholes.get(_storage_ptr(t))
            if sw is None:
                return t
            return (sw, t.size(), t.stride(), t.storage_offset())

        return pack

    def _unpack(self, packed):
        if isinstance(packed, torch.Tensor):
            return packed
        sw, size, stride, offset = packed
        self.regathers += 1
        return sw.whole(sw.param).as_strided(size, stride, offset)

    def _post_hook(self, weights):
        def restore(layer, args, outputs):
            saving = self._saving.pop() if self._saving else None
            if saving is not None:
                saving.__exit__(None, None, None)
            for sw in weights:
                for attr in sw.attrs or ():
                    object.__setattr__(layer, attr, sw.param)

        return restore


_IDLE = _Gathers()  # the gathers outside fit (no gradient scale)
_TRAINING: list = []  # the runtime of the fit in progress


def _gathers() -> _Gathers:
    return _TRAINING[-1] if _TRAINING else _IDLE


def _complement_group(mesh, mp, placements):
    """The process group over the mesh axes ``placements`` does not split on."""
    names = [n for n, p in zip(mp.device_mesh.axis_names, placements) if not isinstance(p, Shard)]
    if not names:
        return "none"
    if len(names) == len(placements):
        return None  # the whole world
    if len(names) == 1:
        return mesh[names[0]].get_group()
    return mesh[tuple(names)]._flatten().get_group()


# ------------------------------------------------------- weights sharded at creation
def shard_new_weight(layer, p) -> None:
    """Keep only this process's piece of the new weight ``p`` of ``layer`` when the
    ModelParallel distribution set splits it (``Layer.add_weight`` calls this).

    The whole initial value was made on the host CPU (same initializer and seed as one
    process); the piece goes to this process's device and the whole value is dropped.
    The layer gathers the whole weight when it is called.
    """
    from .data_parallel import _DISTRIBUTION, _launched_world_size
    from .model_parallel import ModelParallel
    from .runtime import start_group

    mp = _DISTRIBUTION
    if not isinstance(mp, ModelParallel):
        return
    layout = mp.get_tensor_layout(p.path)
    if layout is None or not layout.is_sharded:
        return
    if not (dist.is_available() and dist.is_initialized()) and _launched_world_size() <= 1:
        return  # one process: fit says how to launch the run
    if len(layout.axes) != p.ndim:
        raise ValueError(
            f"The layout of '{p.path}' has {len(layout.axes)} axes but the weight "
            f"has rank {p.ndim}. Received: axes={layout.axes}, shape={tuple(p.shape)}"
        )
    device = start_group(mp)
    mesh = torch_mesh(mp.device_mesh)
    placements = torch_placements(layout, mp.device_mesh)
    sw = _ShardedWeight(p, layer, None, mesh, placements, _complement_group(mesh, mp, placements))
    with torch.no_grad():
        local = sw.local_piece(p.data)
        if tuple(local.shape) == sw.full_shape:
            return  # a mesh axis of size 1: nothing to split
        p.data = local.to(device)  # the whole CPU value is freed here
    p._keras_shard = sw
    shards = layer.__dict__.get("_keras_shards")
    if shards is None:
        shards = []
        object.__setattr__(layer, "_keras_shards", shards)
        layer.register_forward_pre_hook(lambda m, a: _gathers()._pre_hook(shards)(m, a))
        layer.register_forward_hook(
            lambda m, a, o: _gathers()._post_hook(shards)(m, a, o), always_call=True
        )
    shards.append(sw)


def _created_sharded(model) -> list:
    return [w._keras_shard for w in model.weights if getattr(w, "_keras_shard", None) is not None]


@contextlib.contextmanager
def whole_weights(model, reshard: bool = False):
    """Whole weights (and optimizer slots) of the weights sharded at creation inside the
    block, in host memory (collective; yields whether it gathered). After the block the
    pieces come back; with ``reshard`` they are cut from the whole values (a load wrote
    them)."""
    shards = [sw for sw in _created_sharded(model) if tuple(sw.param.shape) != sw.full_shape]
    if not shards:
        yield False
        return
    optimizer = getattr(model, "optimizer", None)
    saved = []
    with torch.no_grad():
        for sw in shards:
            local_shape = tuple(sw.param.shape)
            tensors = [sw.param] + [
                t
                for t in getattr(optimizer, "state", {}).get(sw.param, {}).values()
                if isinstance(t, torch.Tensor) and tuple(t.shape) == local_shape
            ]
            for t in tensors:  # one whole weight at a time on the device, kept on the host
                saved.append((sw, t, t.data))
                t.data = sw.whole(t.data).cpu()
    try:
        yield True
    finally:
        with torch.no_grad():
            for sw, t, local in saved:
                t.data = sw.local_piece(t.data).to(local.device) if reshard else local


def chief_writes(model, write):
    """Run ``write`` (a save) on whole weights; on rank 0 only when they were gathered."""
    with whole_weights(model) as gathered:
        if not gathered or dist.get_rank() == 0:
            return write()
    return None


class ModelParallelRuntime(_Gathers, Runtime):
    """Collectives and sharding hooks of a :class:`ModelParallel` run."""

    def __init__(self, mp, device: torch.device) -> None:
        _Gathers.__init__(self)
        Runtime.__init__(self, mp, device)
        self.mp = mp
        mesh = mp.device_mesh
        self.mesh = torch_mesh(mesh)
        names = list(mesh.axis_names)
        coord = self.mesh.get_coordinate()
        b = names.index(mp.batch_dim_name)
        self.batch_coord, self.batch_size = coord[b], mesh.shape[b]
        self.shard = (
            (coord[b], mesh.shape[b]) if mp.auto_shard_dataset and mesh.shape[b] > 1 else None
        )
        # One process per data shard reports predictions; metric sums run along the batch axis.
        self.representative = all(c == 0 for i, c in enumerate(coord) if i != b)
        self._batch_group = self.mesh[mp.batch_dim_name].get_group() if len(names) > 1 else None
        self._sharded: list[_ShardedWeight] = []
        self.current_n = 1
        self.regathers = 0  # whole weights gathered again for backward passes

    # --------------------------------------------------------------- collectives
    def _all_reduce(self, t, what, op=None, group="batch"):
        group = self._batch_group if group == "batch" else group
        c = self._comm(t)
        with self.guard(what):
            dist.all_reduce(c, op=op or dist.ReduceOp.SUM, group=group)
        if c is not t:
            t.copy_(c)
        return t

    # ----------------------------------------------------------------- sharding
    def _complement_group(self, placements):
        return _complement_group(self.mesh, self.mp, placements)

    @torch.no_grad()
    def _shard_model(self, model) -> list:
        mesh_spec = self.mp.device_mesh
        seen, hooks = set(), []
        for layer in model._flatten_layers():
            owned = {}
            for attr, value in list(vars(layer).items()):
                if isinstance(value, nn.Parameter) and id(value) not in seen:
                    owned.setdefault(id(value), (value, []))[1].append(attr)
            weights = []
            for p, attrs in owned.values():
                created = getattr(p, "_keras_shard", None)
                if created is not None:  # sharded at creation: the layer gathers it already
                    seen.add(id(p))
                    self._shard_optimizer_state(model, p, created)
                    self._sharded.append(created)
                    continue
                layout = self.mp.get_tensor_layout(getattr(p, "path", ""))
                if layout is None or not layout.is_sharded:
                    continue
                if len(layout.axes) != p.ndim:
                    raise ValueError(
                        f"The layout of '{p.path}' has {len(layout.axes)} axes but the weight "
                        f"has rank {p.ndim}. Received: axes={layout.axes}, "
                        f"shape={tuple(p.shape)}"
                    )
                seen.add(id(p))
                placements = torch_placements(layout, mesh_spec)
                sw = _ShardedWeight(
                    p, layer, attrs, self.mesh, placements, self._complement_group(placements)
                )
                self._shard_optimizer_state(model, p, sw)
                p.data = sw.shard(p.data)
                weights.append(sw)
            if weights:
                self._sharded.extend(weights)
                hooks.append(layer.register_forward_pre_hook(self._pre_hook(weights)))
                hooks.append(
                    layer.register_forward_hook(self._post_hook(weights), always_call=True)
                )
        return hooks

    def _shard_optimizer_state(self, model, p, sw) -> None:
        state = getattr(model.optimizer, "state", {}).get(p, {})
        for t in state.values():
            if isinstance(t, torch.Tensor) and tuple(t.shape) == sw.full_shape:
                t.data = sw.shard(t.data)

    @torch.no_grad()
    def _unshard(self, model) -> None:
        local_shape = {id(sw.param): tuple(sw.param.shape) for sw in self._sharded}
        for sw in self._sharded:
            if getattr(sw.param, "_keras_shard", None) is sw:
                continue  # sharded at creation: stays sharded
            state = getattr(model.optimizer, "state", {}).get(sw.param, {})
            for t in state.values():
                if isinstance(t, torch.Tensor) and tuple(t.shape) == local_shape[id(sw.param)]:
                    t.data = sw.whole(t.data)
            sw.param.data = sw.whole(sw.param.data)
        self._sharded = []

    @contextlib.contextmanager
    def whole_weights(self):
        """Whole weights and optimizer slots inside the block (collective), shards after."""
        if not self._sharded:
            yield
            return
        model, saved = self._model, []
        with torch.no_grad():
            for sw in self._sharded:
                local_shape = tuple(sw.param.shape)
                tensors = [sw.param] + [
                    t
                    for t in getattr(model.optimizer, "state", {}).get(sw.param, {}).values()
                    if isinstance(t, torch.Tensor) and tuple(t.shape) == local_shape
                ]
                for t in tensors:
                    saved.append((t, t.data))
                    t.data = sw.whole(t.data)
        try:
            yield
        finally:
            for t, local in saved:
                t.data = local

    def chief_callbacks(self, callbacks):

        out = []
        for cb in callbacks or ():
            chief_only = getattr(cb, "_chief_only", False)
            if isinstance(cb, (ModelCheckpoint, BackupAndRestore)):
                out.append(_WholeWeights(self, cb, self.is_chief or not chief_only))
            elif self.is_chief or not chief_only:
                out.append(cb)
        return out

    # ---------------------------------------------------------------- step hooks
    @torch.no_grad()
    def broadcast_weights(self, model) -> None:
        """Rank 0's weights everywhere, except the pieces of weights sharded at creation."""
        for w in model.weights:
            if getattr(w, "_keras_shard", None) is not None:
                continue
            c = self._comm(w.data)
            with self.guard("weight broadcast"):
                dist.broadcast(c, 0)
            if c is not w.data:
                w.data.copy_(c)

    def start_training(self, model):
        self._model = model
        self.broadcast_weights(model)
        hooks = self._shard_model(model)
        _TRAINING.append(self)
        self.prepare_training(model)
        if model._overrides("train_step"):

            def reduce_before_step(optimizer, args, kwargs):
                if not self.reduced:
                    self.reduce_gradients(self.current_n)

            hooks.append(model.optimizer.register_step_pre_hook(reduce_before_step))
        return _TrainingHandle(self, model, hooks)

    def train_batch(self, model, x, y, sample_weight) -> None:
        self.reduced, self.current_n = False, _rows(x)
        if self.current_n or not self._sharded:
            return super().train_batch(model, x, y, sample_weight)
        # An empty share: the layer calls still gather and reduce-scatter with the others.
        model.optimizer.zero_grad(set_to_none=True)
        self.current_n = 0
        outputs = model(model._model_input(x), training=False)
        zero = sum(o.float().sum() for o in model._flat_outputs(outputs)) * 0.0
        if zero.requires_grad:
            zero.backward()
        self.reduce_gradients(0)
        model._apply_optimizer_step()

    def skips(self, x) -> bool:
        if _rows(x) != 0:
            return False
        model = getattr(self, "_model", None)
        if self._sharded or (model is not None and _created_sharded(model)):
            # an empty share still joins the other processes' weight gathers
            with torch.no_grad():
                self._model(self._model._model_input(x), training=False)
        return True

    @torch.no_grad()
    def reduce_gradients(self, n_local: int) -> None:
        """Sum ``n * gradient`` over all processes and divide by the summed ``n``."""
        if self._stats is None:
            self._pick_statistics()
        total = torch.tensor([float(n_local)], dtype=torch.float64)
        self._all_reduce(total, "batch size all-reduce", group=None)
        sharded = {id(sw.param): sw.complement for sw in self._sharded}
        groups: dict = {}
        for p in self._params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            if id(p) in sharded:  # already n-weighted and summed over the split axes
                key = sharded[id(p)]
                t = p.grad
            else:
                key = None
                t = p.grad.mul_(n_local)
            groups.setdefault((t.dtype, t.device, id(key) if key is not None else 0), (key, []))[
                1
            ].append(t)
        for s in self._stats:
            if id(s) not in sharded:
                groups.setdefault((s.dtype, s.device, 0), (None, []))[1].append(
                    s.data.mul_(n_local)
                )
        for (_, _, _), (group, tensors) in groups.items():
            if group != "none":
                flat = torch.cat([t.reshape(-1) for t in tensors])
                self._all_reduce(flat, "gradient all-reduce", group=group)
                torch._foreach_copy_(
                    tensors,
                    [
                        v.view_as(t)
                        for v, t in zip(flat.split([t.numel() for t in tensors]), tensors)
                    ],
                )
            torch._foreach_div_(tensors, max(float(total.item()), 1.0))
        self.reduced = True

    # -------------------------------------------------------------- predictions
    def gather_predictions(self, outputs: list) -> list:
        local = [None if o is None else [t.cpu().numpy() for t in o] for o in outputs]
        box = [None] * self.world
        mine = (self.batch_coord if self.representative else -1, local)
        with self.guard("prediction gather"):
            dist.all_gather_object(box, mine)
        shards = [b for _, b in sorted((e for e in box if e[0] >= 0), key=lambda e: e[0])]
        merged = []
        for k in range(max(len(b) for b in shards)):
            for b in shards:
                if k < len(b) and b[k] is not None:
                    merged.append(b[k])
        if not merged:
            return []
        return [np.concatenate([m[i] for m in merged]) for i in range(len(merged[0]))]
