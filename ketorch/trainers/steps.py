"""The per-batch work: preparing the model and optimizer, ``train_step``, ``test_step``.

Eager steps (``compiled_step.py`` holds the ``jit_compile`` versions); the loops in
``loops.py`` call these once per batch.
"""

from __future__ import annotations

import warnings

import torch

from .. import backend
from .. import optimizers as optimizers_mod
from ..backend._core import PER_THREAD
from ..distribution import data_parallel as dp_mod
from ..distribution import runtime as runtime_mod
from ..distribution.local_runtime import LOCAL
from ..losses import get as get_loss
from ..mixed_precision.autocast import to_float32
from . import data_adapters as da
from . import fast_dense
from .compile_utils import _per_output
from .compiled_step import CompiledTrainStep
from .loops import pythonify, rows
from .run_state import (
    has_private_metrics,
)

# Keras 2 loader arguments: the queue depth and thread count of stream prefetching.
# ``use_multiprocessing`` is accepted and ignored (as on Keras's torch backend).
_KERAS2_FIT_KWARGS = ("max_queue_size", "workers")


class StepsMixin:
    """Train/test steps and what they need (mixed into :class:`Trainer`)."""

    # ------------------------------------------------------------ preparing
    def _prepare_model(self, x_list):
        """Build on the first batch if needed, move to the device, build the optimizer."""
        if not self.built or not all(layer.built for layer in self._flatten_layers()):
            with torch.no_grad():
                sample = [t[:1] for t in x_list]
                ctx = PER_THREAD.ctx
                prev = ctx.training
                ctx.training = False
                try:
                    self(self._model_input(sample))
                finally:
                    ctx.training = prev
        device = backend.get_device()
        if any(p.device != device for p in self.parameters()):
            self.to(device)
        return device

    def _prepare_optimizer(self):
        params = self.trainable_weights
        if self._torch_optimizer_factory is not None and self.optimizer is None:
            self.optimizer = self._torch_optimizer_factory(params)
        opt = self.optimizer
        if isinstance(opt, optimizers_mod.Optimizer) and not opt.built:
            opt.build(params)
        step = self._compiled_step
        if step is not None and [id(p) for p in getattr(step, "params", ())] != [
            id(p) for p in params
        ]:
            self._compiled_step = None  # the trainable weights changed: trace again
        self._regularized = [
            (w, w._keras_regularizer)
            for w in params
            if getattr(w, "_keras_regularizer", None) is not None
        ]
        self._constrained = [
            (w, w._keras_constraint)
            for w in params
            if getattr(w, "_keras_constraint", None) is not None
        ]
        self._scales_loss = getattr(opt, "loss_scale_factor", None) is not None
        self._ketorch_opt = isinstance(opt, optimizers_mod.Optimizer)
        if (
            self._grad_scaler is None
            and self._auto_scale_loss
            and any(layer._dtype == "mixed_float16" for layer in self._flatten_layers())
        ):
            # float16 needs loss scaling (Keras wraps the optimizer in a LossScaleOptimizer):
            # dynamic scale from 2**15, halved and the step skipped on inf/NaN gradients.
            device = next(iter(params), None)
            device_type = device.device.type if device is not None else "cpu"
            self._grad_scaler = torch.amp.GradScaler(
                device_type, init_scale=2.0**15, growth_interval=2000
            )
        fast_dense.reset(self)  # the fused Dense step is planned again on this run's first step

    def _arrays(self, x, y, sample_weight, what):
        return da.model_arrays(self, x, y, sample_weight)

    def _check_sparse_labels(self, y_list):
        """Fail before training when sparse labels exceed the output's class count."""
        if y_list is None or self._compile_loss is None:
            return
        specs = self._compile_loss._spec
        names = self._data_output_names()
        try:
            per = _per_output(specs, names, "loss")
        except ValueError:
            return
        out_shapes = getattr(self, "output_shape", None)
        try:
            out_shapes = [out_shapes] if len(names) == 1 else list(out_shapes)
        except TypeError:
            return
        for spec, yt, shape in zip(per, y_list, out_shapes or []):
            if spec is None or yt is None or not shape or shape[-1] is None:
                continue
            fn = get_loss(spec) if isinstance(spec, str) else spec
            fname = getattr(fn, "__name__", type(fn).__name__).lower()
            if "sparse_categorical" not in fname and "sparsecategorical" not in fname:
                continue
            if getattr(fn, "ignore_class", None) is not None:
                continue
            n_classes = shape[-1]
            lo, hi = float(yt.min()), float(yt.max())
            if lo < 0 or hi >= n_classes:
                raise ValueError(
                    f"Labels for `sparse_categorical_crossentropy` must be integers in "
                    f"[0, {n_classes}) because the model's output has {n_classes} classes; "
                    f"received labels in [{lo:g}, {hi:g}]. Check the number of units of the "
                    "last layer or the labels."
                )

    # ----------------------------------------------------------------- steps
    def _run_train_step(self, x, y, sample_weight):
        """The compiled step when ``jit_compile=True`` covers this batch, else ``train_step``."""
        if self._takes_data("train_step"):
            return self._run_custom_step("train_step", x, y, sample_weight)
        loss = fast_dense.train_step(self, x, y, sample_weight)  # None: it does not apply
        if loss is not None:
            return loss
        # The compiled step updates the model's own metric objects: a run holding private
        # copies (it started while another run held them) takes the eager step.
        if self._jit_compile and not has_private_metrics(self):
            step = self._compiled_step
            if step is None:
                step = self._compiled_step = CompiledTrainStep(self)
                if step.failed is not None:
                    warnings.warn(
                        f"jit_compile=True: the training step of model '{self.name}' runs "
                        f"eagerly because {step.failed}.",
                        stacklevel=4,
                    )
            closs = self._compile_loss
            if (
                step.failed is None
                and closs is not None
                and closs.built
                and self._compile_metrics.built
            ):
                loss = step(x, y, sample_weight)
                if loss is not None:
                    return loss
        return self.train_step(x, y, sample_weight)

    def train_step(self, x, y, sample_weight=None):
        """One optimisation step on a batch; returns the (device) loss tensor."""
        collector = []
        ctx = PER_THREAD.ctx  # this thread's: a predict() elsewhere adds nothing to it
        ctx.losses = collector
        try:
            y_pred = self(x, training=True)
        finally:
            ctx.losses = None
        y_pred = to_float32(self._flat_outputs(y_pred))  # the loss runs in float32
        closs = self._compile_loss
        if closs is None:  # compiled without a loss: the model's own losses are the loss
            if not collector and not self._regularized:
                raise ValueError(
                    f"Model '{self.name}' was compiled without a loss and adds none of its "
                    "own (`add_loss`, regularizers), so `fit()` has no loss to minimise. Pass "
                    "`loss=` to `compile()`."
                )
            loss = torch.zeros((), device=y_pred[0].device)
        else:
            if not closs.built:
                closs.build(self._data_output_names(), y, y_pred)
            loss = closs(y, y_pred, sample_weight)
        for extra in collector:
            loss = loss + extra
        for w, reg in self._regularized:
            loss = loss + reg(w)
        opt = self.optimizer
        if self._ketorch_opt:
            opt._trainer_zero_grad()
        else:
            opt.zero_grad(set_to_none=True)
        if not loss.requires_grad:  # nothing trainable reaches the loss (as Keras: no step)
            self._update_metrics(loss, x, y, y_pred, sample_weight)
            return loss
        scaled = opt.scale_loss(loss) if self._scales_loss else loss
        if self._grad_scaler is not None:
            scaled = self._grad_scaler.scale(scaled)
        scaled.backward()
        self._runtime.after_backward(rows(x))
        self._apply_optimizer_step()
        self._update_metrics(loss, x, y, y_pred, sample_weight)
        return loss

    def _apply_optimizer_step(self):
        """``optimizer.step()`` (through the float16 loss scaler), then the constraints."""
        scaler = self._grad_scaler
        if scaler is not None:
            scaler.step(self.optimizer)
            scaler.update()
        elif self._ketorch_opt:
            self.optimizer._trainer_step()
        else:
            self.optimizer.step()
        if self._constrained:
            with torch.no_grad():
                for w, constraint in self._constrained:
                    w.copy_(constraint(w))

    def _global_logs(self):
        """Pythonified logs; summed over processes under a distribution."""
        return self._runtime.logs(self, pythonify)

    def _setup_runtime(self):
        """The runtime of this fit/evaluate/predict: the distribution's, else the local one."""
        dp = dp_mod.active()
        if dp is None:
            return LOCAL
        rt = runtime_mod.setup(dp)
        rt._model = self
        return rt

    @torch.no_grad()
    def _update_metrics(self, loss, x, y, y_pred, sample_weight, tracker=None, cm=None):
        batch = x.shape[0] if isinstance(x, torch.Tensor) else x[0].shape[0]
        if tracker is None:
            tracker, cm = self._loss_tracker, self._compile_metrics
        # Keras weights the running loss by batch size; two in-place ops, no conversions.
        if tracker.total.device != loss.device:
            tracker.to(loss.device)
        tracker.total.add_(loss.detach(), alpha=batch)
        tracker.count.add_(batch)
        if not cm.built:
            cm.build(self._data_output_names(), y, y_pred)
        if cm.entries:
            cm.update_state(y, [p.detach() for p in y_pred], sample_weight)

    def _run_test_step(self, x, y, sample_weight):
        if self._takes_data("test_step"):
            with torch.no_grad():
                return self._run_custom_step("test_step", x, y, sample_weight)
        return self.test_step(x, y, sample_weight)

    @torch.no_grad()
    def test_step(self, x, y, sample_weight=None):
        collector = []
        ctx = PER_THREAD.ctx
        ctx.losses = collector
        try:
            y_pred = self(x, training=False)
        finally:
            ctx.losses = None
        y_pred = to_float32(self._flat_outputs(y_pred))
        closs = self._compile_loss
        if closs is not None:
            if not closs.built:
                closs.build(self._data_output_names(), y, y_pred)
            loss = closs(y, y_pred, sample_weight)
        else:
            loss = torch.zeros((), device=y_pred[0].device)
        for extra in collector:
            loss = loss + extra
        for w, reg in getattr(self, "_regularized", ()):
            loss = loss + reg(w)
        self._update_metrics(loss, x, y, y_pred, sample_weight)
        return loss

    def _logs(self):
        custom = self._custom_logs
        if custom is not None:
            return custom
        return {m.name: m.result() for m in self.metrics}
