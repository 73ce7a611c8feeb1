"""The collectives ``fit``/``evaluate``/``predict`` use under :class:`DataParallel`.

Gradients: after ``backward`` every process multiplies its gradients by its
local batch size, the flattened gradients (and the local batch size) are
summed with one ``all_reduce`` per dtype, and divided by the summed batch
size. The result is the gradient of the loss averaged over the global batch,
so a step equals a single process's step on that batch (for losses reduced
with ``sum_over_batch_size``, Keras's default). Floating non-trainable weights
that change during training steps (BatchNormalization's moving statistics)
are averaged the same way in the same buffer.

Metrics: their state tensors are summed over processes when logs are made
(epoch end, user batch callbacks) on a copy; the local states go on
accumulating.

Every collective runs under the process group's timeout; a failure (a dead
or stalled process) raises :class:`DistributedError` naming the step.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime

import numpy as np
import torch
import torch.distributed as dist

from .. import backend as kbackend
from ..callbacks.callback import Callback
from .data_parallel import DataParallel
from .local_runtime import LocalRuntime

__all__ = ["DistributedError", "Runtime", "setup"]

_CREATED_GROUP = False


def _rows(x) -> int:
    return x.shape[0] if isinstance(x, torch.Tensor) else x[0].shape[0]


class DistributedError(RuntimeError):
    """A collective failed or timed out: another process died, stalled or diverged."""


def _destroy_group():
    if _CREATED_GROUP and dist.is_initialized():
        # Leave together: a gloo process that tears its group down while a peer has already
        # gone (with rank 0's TCPStore) sometimes aborts at exit with "terminate called without
        # an active exception" (4 of 16 two-process runs under load; 0 of 36 with the barrier).
        # monitored_barrier is gloo-only and bounded, so a dead peer costs at most 10 s.
        if dist.get_backend() == "gloo":
            with contextlib.suppress(Exception):
                dist.monitored_barrier(timeout=datetime.timedelta(seconds=10))
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


def setup(dp: DataParallel) -> Runtime:
    """Start the process group if needed (lazily, on first use) and return the runtime."""
    device = start_group(dp)
    make_runtime = getattr(dp, "make_runtime", None)  # ModelParallel brings its own
    return make_runtime(device) if make_runtime is not None else Runtime(dp, device)


def start_group(dp: DataParallel) -> torch.device:
    """Start the process group if needed and return this process's device."""
    global _CREATED_GROUP
    if not dist.is_available():
        raise RuntimeError("DataParallel needs torch.distributed, which this torch build lacks.")
    device = dp.local_device()
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        backend = dp.backend or ("nccl" if device.type == "cuda" else "gloo")
        timeout = datetime.timedelta(seconds=dp.timeout_s)
        try:
            dist.init_process_group(backend=backend, init_method="env://", timeout=timeout)
        except (RuntimeError, ValueError) as e:
            raise DistributedError(
                "Could not start the process group for DataParallel. Launch the script with "
                "`torchrun --nproc_per_node=N script.py` (it sets RANK, WORLD_SIZE, "
                f"MASTER_ADDR and MASTER_PORT). Original error: {e}"
            ) from e
        _CREATED_GROUP = True
        atexit.register(_destroy_group)
    kbackend.set_device(device)
    return device


class Runtime(LocalRuntime):
    """Rank, world size and the collectives of one distributed run (the step hooks of
    :class:`LocalRuntime` with their collectives)."""

    distributed = True

    def __init__(self, dp: DataParallel, device: torch.device) -> None:
        self.dp = dp
        self.device = device
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        self.backend = dist.get_backend()
        self.timeout_s = dp.timeout_s
        self.shard = (self.rank, self.world) if dp.auto_shard_dataset else None
        self._stat_indices = None
        self.reduced = False

    @property
    def is_chief(self) -> bool:
        return self.rank == 0

    # ------------------------------------------------------------ step hooks
    def shuffle_seed(self, shuffle) -> int | None:
        return self.shared_seed() if shuffle else None

    def start_training(self, model):
        self.broadcast_weights(model)
        self.prepare_training(model)
        if not model._overrides("train_step"):
            return None

        # A user's train_step that calls optimizer.step() is synchronised by a pre-step hook.
        def reduce_before_step(optimizer, args, kwargs):
            if not self.reduced:
                self.reduce_gradients(self.current_n)

        return model.optimizer.register_step_pre_hook(reduce_before_step)

    def train_batch(self, model, x, y, sample_weight) -> None:
        self.reduced, self.current_n = False, _rows(x)
        if self.current_n == 0:  # an empty share of the last global batch
            self._empty_train_step(model)
        else:
            model._run_train_step(model._model_input(x), y, sample_weight)

    def _empty_train_step(self, model) -> None:
        """Join the step with zero gradients (this process's share is empty)."""
        model.optimizer.zero_grad(set_to_none=True)
        self.zero_gradients()
        if model._grad_scaler is not None:
            model._grad_scaler.scale(torch.zeros((), device=self.device))
        self.reduce_gradients(0)
        model._apply_optimizer_step()

    def after_backward(self, n_local: int) -> None:
        self.reduce_gradients(n_local)

    def skips(self, x) -> bool:
        return _rows(x) == 0

    def logs(self, model, pythonify) -> dict:
        return self.global_logs(model.metrics, pythonify)

    def wants_batch_sync(self, callbacks) -> bool:
        # Decided from the user's whole list, identical on every process (collectives follow).
        return any(
            not isinstance(cb, Callback) or cb._implements("on_train_batch_end")
            for cb in callbacks or ()
        )

    def chief_callbacks(self, callbacks):
        if self.is_chief or not callbacks:
            return callbacks
        return [cb for cb in callbacks if not getattr(cb, "_chief_only", False)]

    def verbose(self, verbose):
        return verbose if self.is_chief else 0

    def gather_predictions(self, outputs: list) -> list:
        local = [None if o is None else [t.cpu().numpy() for t in o] for o in outputs]
        return self.gather_outputs(local)

    # ------------------------------------------------------------ errors
    @contextlib.contextmanager
    def guard(self, what: str):
        """Turn a failed collective into a :class:`DistributedError` that names ``what``."""
        try:
            yield
        except DistributedError:
            raise
        except RuntimeError as e:
            raise DistributedError(
                f"DataParallel: the {what} failed on rank {self.rank} of {self.world}; another "
                "process probably died, stalled or ran a different number of steps. Collectives "
                f"wait at most {self.timeout_s:g} s (DataParallel(timeout=...) or "
                f"KETORCH_DIST_TIMEOUT). Original error: {e}"
            ) from e

    def _comm(self, t):
        """``t`` on a device the backend can reduce (gloo: CPU for anything non-CUDA)."""
        if self.backend == "nccl" and t.device.type != "cuda":
            return t.to(self.device)
        if self.backend == "gloo" and t.device.type not in ("cpu", "cuda"):
            return t.cpu()
        return t

    def _all_reduce(self, t, what, op=None):
        c = self._comm(t)
        with self.guard(what):
            dist.all_reduce(c, op=op or dist.ReduceOp.SUM)
        if c is not t:
            t.copy_(c)
        return t

    # -------------------------------------------------------- start of fit
    def shared_seed(self) -> int:
        """A seed drawn on rank 0 (from torch's RNG) and sent to every process."""
        if self.is_chief:
            t = torch.randint(0, 2**62, (1,), dtype=torch.int64)
        else:
            t = torch.zeros(1, dtype=torch.int64)
        t = self._comm(t)
        with self.guard("seed broadcast"):
            dist.broadcast(t, 0)
        return int(t.item())

    @torch.no_grad()
    def broadcast_weights(self, model) -> None:
        """Give every process rank 0's weights (as DistributedDataParallel does at start)."""
        for w in model.weights:
            c = self._comm(w.data)
            with self.guard("weight broadcast"):
                dist.broadcast(c, 0)
            if c is not w.data:
                w.data.copy_(c)

    # ----------------------------------------------------------- gradients
    def prepare_training(self, model) -> None:
        """Remember the trainable weights and the weight versions before the first step."""
        self._params = [p for p in model.trainable_weights if p.requires_grad]
        trainable = {id(w) for w in self._params}
        self._candidates = [
            w for w in model.weights if id(w) not in trainable and w.is_floating_point()
        ]
        self._versions = [w._version for w in self._candidates]
        self._stats = None

    def _pick_statistics(self) -> None:
        # The non-trainable float weights the first step changed, as rank 0 saw them, so
        # that every process reduces the same buffer.
        changed = [
            i for i, (w, v) in enumerate(zip(self._candidates, self._versions)) if w._version != v
        ]
        box = [changed]
        with self.guard("statistics broadcast"):
            dist.broadcast_object_list(
                box, 0, device=self.device if self.backend == "nccl" else None
            )
        self._stats = [self._candidates[i] for i in box[0] if i < len(self._candidates)]

    @torch.no_grad()
    def reduce_gradients(self, n_local: int) -> None:
        """Average gradients (and moving statistics) over the global batch, in place."""
        if self._stats is None:
            self._pick_statistics()
        tensors = []
        for p in self._params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            tensors.append(p.grad)
        tensors.extend(s.data for s in self._stats)
        groups: dict = {}
        for i, t in enumerate(tensors):
            groups.setdefault((t.dtype, t.device), []).append(i)
        for (dtype, device), idx in groups.items():
            parts = [tensors[i].reshape(-1) for i in idx]
            parts.append(torch.full((1,), float(n_local), dtype=dtype, device=device))
            flat = torch.cat(parts)
            if n_local != 1:
                flat[:-1].mul_(n_local)
            self._all_reduce(flat, "gradient all-reduce")
            flat[:-1].div_(flat[-1:].clamp_min(1))
            views = flat[:-1].split([tensors[i].numel() for i in idx])
            torch._foreach_copy_(
                [tensors[i] for i in idx],
                [v.view_as(tensors[i]) for v, i in zip(views, idx)],
            )
        self.reduced = True

    def zero_gradients(self) -> None:
        """Zero gradients for a process whose share of the global batch is empty."""
        for p in self._params:
            p.grad = torch.zeros_like(p)

    # -------------------------------------------------------------- metrics
    @torch.no_grad()
    def global_logs(self, metrics, pythonify) -> dict:
        """Logs of ``metrics`` with their states summed over processes (local states kept)."""
        variables = [v for m in metrics for v in m.variables]
        numel = sum(v.numel() for v in variables)
        device = variables[0].device if variables else self.device
        check = torch.tensor([numel, -numel], dtype=torch.int64, device=device)
        self._all_reduce(check, "metric layout check", dist.ReduceOp.MAX)
        if int(check[0]) != numel or int(-check[1]) != numel:
            raise DistributedError(
                f"DataParallel: the metric states differ between processes (rank {self.rank} has "
                f"{numel} values, others up to {int(check[0])}). Every process needs at least "
                "one batch: give the data more samples than there are processes."
            )
        if not variables:
            return pythonify({m.name: m.result() for m in metrics})
        dtype = torch.float64 if device.type != "mps" else torch.float32
        flat = torch.cat([v.detach().reshape(-1).to(dtype) for v in variables])
        self._all_reduce(flat, "metric all-reduce")
        saved = [v.detach().clone() for v in variables]
        try:
            for v, g in zip(variables, flat.split([v.numel() for v in variables])):
                v.copy_(g.view_as(v).to(v.dtype))
            return pythonify({m.name: m.result() for m in metrics})
        finally:
            for v, s in zip(variables, saved):
                v.copy_(s)

    # ------------------------------------------------------------- predict
    def gather_outputs(self, batches) -> list:
        """Every process's per-batch outputs, merged in global order.

        ``batches`` is this process's list of per-step outputs (a list of
        numpy arrays, one per model output, or ``None`` for an empty shard).
        The global order takes, for each step, rank 0's piece, then rank 1's,
        and so on: that is the order of both array shards (each global batch
        split in rank order) and stream shards (batch ``k*N + r`` on rank
        ``r``).
        """
        box = [None] * self.world
        with self.guard("prediction gather"):
            dist.all_gather_object(box, batches)
        merged = []
        steps = max(len(b) for b in box)
        for k in range(steps):
            for r in range(self.world):
                if k < len(box[r]) and box[r][k] is not None:
                    merged.append(box[r][k])
        if not merged:
            return []
        return [np.concatenate([m[i] for m in merged]) for i in range(len(merged[0]))]

    def barrier(self, what="barrier") -> None:
        with self.guard(what):
            dist.barrier()
