"""The training API mixed into :class:`~ketorch.Model`: compile, fit, evaluate, predict.

The per-step work is forward, loss, ``backward``, ``optimizer.step()`` and
metric updates on device tensors. Nothing is read back to the host during an
epoch except when the progress bar redraws or a user callback asks for batch
logs.
"""

from __future__ import annotations

import itertools
import math
import signal
import threading
import warnings

import numpy as np
import torch

from .. import backend
from .. import config as _config
from .. import metrics as metrics_mod
from .. import optimizers as optimizers_mod
from ..backend import CALL_CONTEXT
from ..callbacks.callback import Callback
from ..callbacks.callback_list import CallbackList
from ..distribution import data_parallel as dp_mod
from ..distribution.sharding import shard_stream
from ..mixed_precision.autocast import to_float32
from . import data_adapters as da
from .compile_utils import CompileLoss, CompileMetrics
from .custom_steps import CustomStepsMixin

_KERAS2_FIT_KWARGS = ("max_queue_size", "workers", "use_multiprocessing")


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


def _to_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return t


def _rows(x):
    return x.shape[0] if isinstance(x, torch.Tensor) else x[0].shape[0]


def _wants_batch_logs(callbacks, hook):
    # Decided from the user's whole list, identical on every process (collectives follow).
    return any(not isinstance(cb, Callback) or cb._implements(hook) for cb in callbacks or ())


def _pythonify(logs):
    out = {}
    for k in sorted(logs):
        v = logs[k]
        if isinstance(v, torch.Tensor):
            v = float(v.detach())
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


class Trainer(CustomStepsMixin):
    """Keras's ``compile``/``fit``/``evaluate``/``predict`` for torch modules."""

    # Class-level defaults so that models made without ``_init_trainer`` still train.
    _dist = None  # the DataParallel runtime while fit/evaluate/predict run distributed
    _grad_scaler = None  # torch.amp.GradScaler for mixed_float16
    _auto_scale_loss = True

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.history = None
        self.stop_training = False
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._torch_optimizer_factory = None
        self._run_eagerly = False
        self._jit_compile = False
        self._compiled_step = None
        self._compiled_predict = None
        self._ketorch_opt = False
        self._steps_per_execution = 1
        self._auto_scale_loss = True
        self._grad_scaler = None
        self._dist = None

    # -------------------------------------------------------------- compile
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
        **kwargs,
    ):
        """Configure the model for training.

        Args:
            optimizer: Name (``"rmsprop"``, ``"adam"``, ``"sgd"``, ...), a
                ketorch optimizer, a ``torch.optim.Optimizer`` instance bound to
                ``model.parameters()``, or a ``torch.optim`` class.
            loss: Loss name, function ``(y_true, y_pred)``, Loss object, or a
                list/dict with one per output.
            loss_weights: Per-output loss coefficients (list or dict).
            metrics: Metric names/objects (list), or per output (dict or list
                of lists). ``"accuracy"``/``"acc"`` is resolved from shapes.
            weighted_metrics: Metrics that receive ``sample_weight``.
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss:
                Accepted for Keras compatibility.

        Raises:
            ValueError: For unknown optimizer, loss or metric names.
        """
        for legacy in ("sample_weight_mode", "target_tensors", "distribute"):
            if legacy in kwargs:
                kwargs.pop(legacy)
                warnings.warn(
                    f"compile(): `{legacy}` is a Keras 2 argument and is ignored.", stacklevel=2
                )
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments: {sorted(kwargs)}")
        self._torch_optimizer_factory = None
        if isinstance(optimizer, torch.optim.Optimizer) and not isinstance(
            optimizer, optimizers_mod.Optimizer
        ):
            self.optimizer = optimizer
        elif (
            isinstance(optimizer, type)
            and issubclass(optimizer, torch.optim.Optimizer)
            and not issubclass(optimizer, optimizers_mod.Optimizer)
        ):
            self._torch_optimizer_factory = optimizer
            self.optimizer = None
        else:
            self.optimizer = optimizers_mod.get(optimizer)
        self.loss = loss
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics)
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._compile_config = {
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
        }
        self._run_eagerly = run_eagerly
        if jit_compile not in (True, False, "auto", None):
            raise ValueError(
                f"`jit_compile` must be True, False or 'auto'. Received: jit_compile={jit_compile!r}"
            )
        self._jit_compile = jit_compile is True
        self._compiled_step = None
        self._compiled_predict = None
        self._steps_per_execution = steps_per_execution
        self._auto_scale_loss = bool(auto_scale_loss)
        self._grad_scaler = None
        self.compiled = True

    def _assert_compiled(self, method):
        if not getattr(self, "compiled", False):
            raise ValueError(
                f"You must call `compile()` before calling `{method}()`. For example: "
                "model.compile(optimizer='adam', loss='mse')"
            )

    @property
    def metrics(self):
        """The loss tracker and compiled metrics (after the first batch)."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_loss is not None and self._compile_loss.built:
            out.extend(self._compile_loss.tracker_metrics())
        if self._compile_metrics is not None and self._compile_metrics.built:
            out.extend(self._compile_metrics.metrics)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        self._custom_logs = None
        for m in self.metrics:
            m.reset_state()

    # ----------------------------------------------------------- structures
    def _data_input_names(self):
        names = getattr(self, "input_names", None)
        if isinstance(names, list) and names:
            return names
        from ..models.sequential import Sequential

        if isinstance(self, Sequential):
            return ["input"]
        return None

    def _data_output_names(self):
        names = getattr(self, "output_names", None)
        if isinstance(names, list) and names:
            return names
        return getattr(self, "_subclass_output_names", None) or ["output"]

    def _model_input(self, x_list):
        return x_list[0] if len(x_list) == 1 else x_list

    def _flat_outputs(self, y_pred):
        if isinstance(y_pred, torch.Tensor):
            return [y_pred]
        if isinstance(y_pred, dict):
            names = self._data_output_names()
            if all(k in y_pred for k in names):
                return [y_pred[k] for k in names]
            self._subclass_output_names = list(y_pred)
            return list(y_pred.values())
        if isinstance(y_pred, (list, tuple)):
            if (
                getattr(self, "_subclass_output_names", None) is None
                and len(y_pred) > 1
                and not getattr(self, "output_names", None)
            ):
                self._subclass_output_names = [f"output_{i + 1}" for i in range(len(y_pred))]
            return list(y_pred)
        raise TypeError(f"The model returned an unsupported output type: {type(y_pred).__name__}")

    def _structure_outputs(self, flat):
        names = getattr(self, "output_names", None)
        struct = getattr(self, "_outputs_struct", None)
        if isinstance(struct, dict):
            return dict(zip(names, flat))
        return flat[0] if len(flat) == 1 else flat

    # ------------------------------------------------------------ preparing
    def _prepare_model(self, x_list):
        """Build on the first batch if needed, move to the device, build the optimizer."""
        if not self.built or not all(layer.built for layer in self._flatten_layers()):
            with torch.no_grad():
                sample = [t[:1] for t in x_list]
                prev = CALL_CONTEXT.training
                CALL_CONTEXT.training = False
                try:
                    self(self._model_input(sample))
                finally:
                    CALL_CONTEXT.training = prev
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

    def _arrays(self, x, y, sample_weight, what):
        x_list = da.flatten_x(x, self._data_input_names())
        x_list = da.convert_x(self, x_list)
        y_list = da.convert_y(da.flatten_y(y, self._data_output_names())) if y is not None else None
        sw = None
        if sample_weight is not None:
            sw = da._to_tensor(sample_weight, "sample_weight").float()
        da.check_cardinality(x_list, y_list, sw)
        da.check_input_shapes(self, x_list)
        return x_list, y_list, sw

    def _check_sparse_labels(self, y_list):
        """Fail before training when sparse labels exceed the output's class count."""
        if y_list is None or self._compile_loss is None:
            return
        from ..losses import get as get_loss

        specs = self._compile_loss._spec
        names = self._data_output_names()
        try:
            from .compile_utils import _per_output

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
        if self._jit_compile:
            step = self._compiled_step
            if step is None:
                from .compiled_step import CompiledTrainStep

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
        CALL_CONTEXT.losses = collector
        try:
            y_pred = self(x, training=True)
        finally:
            CALL_CONTEXT.losses = None
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
        if self._dist is not None:
            self._dist.reduce_gradients(_rows(x))
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

    def _empty_train_step(self):
        """This process's share of the global batch is empty: join the step with zeros."""
        dist = self._dist
        self.optimizer.zero_grad(set_to_none=True)
        dist.zero_gradients()
        if self._grad_scaler is not None:
            self._grad_scaler.scale(torch.zeros((), device=backend.get_device()))
        dist.reduce_gradients(0)
        self._apply_optimizer_step()

    def _global_logs(self):
        """Pythonified logs; summed over processes under DataParallel."""
        if self._dist is not None:
            return self._dist.global_logs(self.metrics, _pythonify)
        return _pythonify(self._logs())

    def _setup_distribution(self):
        dp = dp_mod.active()
        if dp is None:
            return None
        from ..distribution.runtime import setup

        return setup(dp)

    def _custom_step_hook(self, dist):
        # A user's train_step that calls optimizer.step() is synchronised by a pre-step hook.
        if not self._overrides("train_step"):
            return None

        def reduce_before_step(optimizer, args, kwargs):
            if not dist.reduced:
                dist.reduce_gradients(dist.current_n)

        return self.optimizer.register_step_pre_hook(reduce_before_step)

    def _chief_callbacks(self, callbacks, dist):
        """Callbacks that write files (``_chief_only``) run on rank 0 only."""
        if dist is None or dist.is_chief or not callbacks:
            return callbacks
        return [cb for cb in callbacks if not getattr(cb, "_chief_only", False)]

    def _stream_shard(self, data, dist, training, shuffle=False, seed=0):
        if dist is None or dist.shard is None:
            return data, shuffle
        return shard_stream(data, dist.rank, dist.world, training, seed, shuffle)

    def _array_shard(self, dist):
        return dist.shard if dist is not None else None

    @torch.no_grad()
    def _update_metrics(self, loss, x, y, y_pred, sample_weight):
        batch = x.shape[0] if isinstance(x, torch.Tensor) else x[0].shape[0]
        tracker = self._loss_tracker
        # Keras weights the running loss by batch size; two in-place ops, no conversions.
        if tracker.total.device != loss.device:
            tracker.to(loss.device)
        tracker.total.add_(loss.detach(), alpha=batch)
        tracker.count.add_(batch)
        cm = self._compile_metrics
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
        CALL_CONTEXT.losses = collector
        try:
            y_pred = self(x, training=False)
        finally:
            CALL_CONTEXT.losses = None
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
        custom = self.__dict__.get("_custom_logs")
        if custom is not None:
            return custom
        return {m.name: m.result() for m in self.metrics}

    # --------------------------------------------------------------- fit
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
        **kwargs,
    ):
        """Train the model for ``epochs`` epochs; returns a :class:`History`.

        Args:
            x: Inputs: an array/tensor/DataFrame, a list or dict of them (one per
                model input), or a generator / ``PyDataset`` / DataLoader
                yielding ``(x, y)`` or ``(x, y, sample_weight)``.
            y: Targets (arrays), or ``None`` when ``x`` yields them.
            batch_size: Samples per step (default 32) for array inputs.
            epochs: Index of the last epoch (training runs
                ``range(initial_epoch, epochs)``).
            verbose: ``"auto"``/1 progress bar, 2 one line per epoch, 0 silent.
            callbacks: List of :class:`~ketorch.callbacks.Callback`.
            validation_split: Fraction of the arrays (taken from the end,
                before shuffling) held out for validation.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sw)`` or a
                generator / dataset.
            shuffle: Reshuffle array data every epoch (``"batch"`` shuffles
                batch-sized chunks).
            class_weight: ``{class_index: weight}`` applied to the loss.
            sample_weight: Per-sample loss weights.
            initial_epoch: Epoch to start at (for resuming).
            steps_per_epoch: Batches per epoch (needed for endless generators).
            validation_steps: Batches per validation run.
            validation_batch_size: Batch size for validation arrays.
            validation_freq: Validate every N epochs (int) or at the listed epochs.
            **kwargs: Keras 2 arguments ``max_queue_size``, ``workers``,
                ``use_multiprocessing`` (used for generators) and ``nb_epoch``.

        Returns:
            A :class:`~ketorch.callbacks.History`.
        """
        if "nb_epoch" in kwargs:
            warnings.warn("fit(nb_epoch=...) is the Keras 1 name; use epochs=.", stacklevel=2)
            epochs = kwargs.pop("nb_epoch")
        loader_kwargs = {k: kwargs.pop(k) for k in _KERAS2_FIT_KWARGS if k in kwargs}
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments: {sorted(kwargs)}")
        self._assert_compiled("fit")
        verbose = _resolve_verbose(verbose)
        dist = self._setup_distribution()
        if dist is not None:
            outer, self._dist = self._dist, dist
            try:
                return self._fit(
                    x, y, batch_size, epochs, verbose if dist.is_chief else 0, callbacks,
                    validation_split, validation_data, shuffle, class_weight, sample_weight,
                    initial_epoch, steps_per_epoch, validation_steps, validation_batch_size,
                    validation_freq, loader_kwargs,
                )  # fmt: skip
            finally:
                self._dist = outer
        return self._fit(
            x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
            shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch,
            validation_steps, validation_batch_size, validation_freq, loader_kwargs,
        )  # fmt: skip

    def _fit(
        self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
        shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps,
        validation_batch_size, validation_freq, loader_kwargs,
    ):  # fmt: skip
        dist = self._dist
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(
                f"`epochs` must be a non-negative integer. Received: epochs={epochs!r}"
            )
        _check_batch_size(batch_size)
        if x is None:
            raise ValueError("fit() needs training data: pass `x` (and `y`). Received: x=None")
        if not isinstance(validation_split, (int, float)) or isinstance(validation_split, bool):
            raise TypeError(
                "`validation_split` must be a float in [0, 1). "
                f"Received: validation_split={validation_split!r}"
            )
        if not 0 <= validation_split < 1:
            raise ValueError(
                f"`validation_split` must be in [0, 1). Received: validation_split={validation_split}"
            )
        if class_weight is not None and sample_weight is not None:
            raise ValueError(
                "You cannot pass both `class_weight` and `sample_weight`; fold the class weights "
                "into the sample weights."
            )

        x = da.wrap_torch_dataset(x, batch_size, shuffle)
        validation_data = da.wrap_torch_dataset(
            validation_data, validation_batch_size or batch_size, False
        )
        stream = da.is_stream(x)
        if stream:
            if y is not None:
                raise ValueError(
                    "When `x` is a generator or dataset it must yield the targets too, so `y` "
                    "must be None. Received: y of type " + type(y).__name__
                )
            if validation_split:
                raise ValueError(
                    "`validation_split` is only supported for tensors or NumPy arrays; with a "
                    "generator or dataset pass `validation_data` instead."
                )
            device = backend.get_device()
            seed = dist.shared_seed() if dist is not None and shuffle else 0
            x, shuffle = self._stream_shard(x, dist, True, shuffle, seed)
            train = da.StreamBatches(
                x,
                steps_per_epoch,
                self,
                device,
                max_queue_size=loader_kwargs.get("max_queue_size", 10),
                workers=loader_kwargs.get("workers", 1),
                shuffle=shuffle,
                class_weight=class_weight,
            )
            first = None
        else:
            if y is None and self._compile_loss is not None:
                raise ValueError(
                    "fit() needs targets: pass `y` (or a generator/dataset yielding (x, y))."
                )
            x_list, y_list, sw = self._arrays(x, y, sample_weight, "fit")
            if class_weight is not None:
                if len(y_list) > 1:
                    raise ValueError("`class_weight` is only supported for models with one output.")
                sw = da.class_weight_to_sample_weight(y_list[0], class_weight)
            if validation_split and validation_data is None:
                n = x_list[0].shape[0]
                split = int(math.floor(n * (1.0 - validation_split)))
                if split == 0 or split == n:
                    raise ValueError(
                        f"`validation_split={validation_split}` leaves an empty training or "
                        f"validation set with {n} samples."
                    )
                val = (
                    [t[split:] for t in x_list],
                    [t[split:] if t is not None else None for t in y_list],
                    sw[split:] if sw is not None else None,
                )
                validation_data = _SplitData(val)
                x_list = [t[:split] for t in x_list]
                y_list = [t[:split] if t is not None else None for t in y_list]
                sw = sw[:split] if sw is not None else None
            self._check_sparse_labels(y_list)
            device = self._prepare_model(x_list)
            generator = None
            if dist is not None and shuffle:
                generator = torch.Generator().manual_seed(dist.shared_seed())
            train = da.ArrayBatches(
                x_list, y_list, sw, batch_size or 32, shuffle, device,
                shard=self._array_shard(dist), generator=generator,
            )  # fmt: skip
            first = True
        val_batches = None
        if validation_data is not None:
            val_batches = self._validation_batches(
                validation_data,
                validation_batch_size or batch_size or 32,
                validation_steps,
                loader_kwargs,
            )

        steps = steps_per_epoch if steps_per_epoch is not None else train.num_batches
        step_cap = _config.max_steps_per_epoch()
        if step_cap is not None:
            steps = step_cap if steps is None else min(steps, step_cap)
        if _config.max_epochs() is not None:
            epochs = min(epochs, _config.max_epochs())
        sync_batch_logs = dist is not None and _wants_batch_logs(callbacks, "on_train_batch_end")
        cbs = CallbackList(
            self._chief_callbacks(callbacks, dist),
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        progbar = cbs.progbar
        user_batch_logs = cbs.needs_batch_logs["on_train_batch_end"]
        has_batch_begin = cbs.has_batch_hook("on_train_batch_begin")
        self.stop_training = False
        self.train()
        opt_ready = False
        hook = None
        cbs.on_train_begin()
        # A callback (BackupAndRestore) may resume an interrupted run at a later epoch.
        initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
        epoch_logs = {}
        array_epochs = None
        guard = _InterruptGuard(self)
        try:
            guard.install()
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                if stream:
                    batches = train.epoch()
                elif steps_per_epoch is not None:
                    if array_epochs is None:
                        array_epochs = _endless(train)
                    batches = _take(array_epochs, steps_per_epoch)
                else:
                    batches = train.epoch()
                if step_cap is not None:
                    batches = itertools.islice(batches, step_cap)
                step = -1
                for step, (bx, by, bsw) in enumerate(batches):
                    if not opt_ready:
                        if first is None:
                            self._prepare_model(bx)
                            self._check_stream_batch(bx, by)
                        self._prepare_optimizer()
                        opt_ready = True
                        if dist is not None:
                            dist.broadcast_weights(self)
                            dist.prepare_training(self)
                            hook = self._custom_step_hook(dist)
                    try:
                        if has_batch_begin:
                            cbs.on_train_batch_begin(step)
                        if dist is not None:
                            dist.reduced, dist.current_n = False, _rows(bx)
                        if dist is not None and dist.current_n == 0:
                            self._empty_train_step()
                        else:
                            self._run_train_step(self._model_input(bx), by, bsw)
                        if sync_batch_logs:
                            cbs.on_train_batch_end(step, self._global_logs())
                        elif user_batch_logs:
                            cbs.on_train_batch_end(step, _pythonify(self._logs()))
                        elif progbar is not None and progbar.wants_logs(step):
                            progbar.on_train_batch_end(step, self._logs())
                        elif progbar is not None:
                            progbar.on_train_batch_end(step, None)
                    except KeyboardInterrupt:  # from a callback; a real Ctrl-C goes to the guard
                        guard.interrupt()
                    if self.stop_training:
                        break
                if step < 0 and stream and train.exhausted:
                    break
                epoch_logs = self._global_logs()
                if guard.interrupted:
                    guard.report(epoch, step)
                elif val_batches is not None and _should_validate(epoch, validation_freq):
                    cbs.on_test_begin()
                    val_logs = self._run_evaluation(val_batches, cbs_inner=cbs)
                    cbs.on_test_end(val_logs)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                if getattr(self.optimizer, "_lr_schedule", None) is not None:
                    # The issue asks for the scheduled rate in the logs (Keras omits it).
                    epoch_logs.setdefault("learning_rate", float(self.optimizer.learning_rate))
                if not self.stop_training:  # a callback that stopped on NaN already said so
                    self._warn_if_nan(epoch, epoch_logs)
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training or (stream and train.exhausted):
                    break
        finally:
            guard.uninstall()
            if hook is not None:
                hook.remove()
            if stream:
                train.close()
            if val_batches is not None and isinstance(val_batches, da.StreamBatches):
                val_batches.close()
        if isinstance(self.optimizer, optimizers_mod.Optimizer) and opt_ready:
            # With use_ema, Keras swaps the moving-average weights in at the end of fit.
            self.optimizer.finalize_variable_values(self.trainable_weights)
        cbs.on_train_end(epoch_logs)
        self.history = cbs.history
        return cbs.history

    def _check_stream_batch(self, bx, by):
        da.check_input_shapes(self, bx)

    def _validation_batches(self, validation_data, batch_size, steps, loader_kwargs):
        dist = self._dist
        if isinstance(validation_data, _SplitData):
            vx, vy, vsw = validation_data.arrays
            return da.ArrayBatches(
                vx, vy, vsw, batch_size, False, backend.get_device(),
                shard=self._array_shard(dist),
            )  # fmt: skip
        if da.is_stream(validation_data):
            validation_data, _ = self._stream_shard(validation_data, dist, False)
            return da.StreamBatches(
                validation_data,
                steps,
                self,
                backend.get_device(),
                max_queue_size=loader_kwargs.get("max_queue_size", 10),
                workers=loader_kwargs.get("workers", 1),
            )
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
            vx, vy = validation_data[0], validation_data[1]
            vsw = validation_data[2] if len(validation_data) == 3 else None
            x_list, y_list, sw = self._arrays(vx, vy, vsw, "validation_data")
            return da.ArrayBatches(
                x_list, y_list, sw, batch_size, False, backend.get_device(), steps=steps,
                shard=self._array_shard(dist),
            )  # fmt: skip
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight), "
            f"a generator or a dataset. Received: validation_data of type {type(validation_data).__name__}"
        )

    def _run_evaluation(self, batches, cbs_inner=None, verbose=0):
        """Run the test loop over ``batches`` and return pythonified logs."""
        self.reset_metrics()
        was_training = self.training
        self.eval()
        steps = getattr(batches, "steps", None)
        progbar = cbs_inner.progbar if cbs_inner is not None else None
        user_logs = (
            cbs_inner.needs_batch_logs["on_test_batch_end"] if cbs_inner is not None else False
        )
        has_begin = (
            cbs_inner.has_batch_hook("on_test_batch_begin") if cbs_inner is not None else False
        )
        try:
            iterator = batches.epoch()
            for step, (bx, by, bsw) in enumerate(iterator):
                if steps is not None and step >= steps:
                    break
                if step == 0:
                    self._prepare_model(bx)
                if has_begin:
                    cbs_inner.on_test_batch_begin(step)
                if self._dist is not None and _rows(bx) == 0:
                    continue  # an empty share of the last global batch
                self._run_test_step(self._model_input(bx), by, bsw)
                if user_logs:
                    cbs_inner.on_test_batch_end(step, _pythonify(self._logs()))
                elif progbar is not None:
                    progbar.on_test_batch_end(
                        step, self._logs() if progbar.wants_logs(step) else None
                    )
        finally:
            if isinstance(batches, da.StreamBatches) and batches.steps is None:
                batches.close()
            self.train(was_training)
        return self._global_logs()

    def _warn_if_nan(self, epoch, logs):
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(loss):
            warnings.warn(
                f"fit(): the training loss is {loss} at epoch {epoch + 1}; the weights are now "
                "likely corrupted. Lower the learning rate, check the inputs and labels for "
                "NaN/inf, or pass `callbacks=[keras.callbacks.TerminateOnNaN()]` to stop at the "
                "first bad batch.",
                RuntimeWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------- evaluate
    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        **kwargs,
    ):
        """Compute the loss and metrics on data.

        Returns:
            A float (loss only), a list ``[loss, *metrics]`` (compile order),
            or a dict when ``return_dict=True``.
        """
        loader_kwargs = {k: kwargs.pop(k) for k in _KERAS2_FIT_KWARGS if k in kwargs}
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments: {sorted(kwargs)}")
        self._assert_compiled("evaluate")
        verbose = _resolve_verbose(verbose)
        _check_batch_size(batch_size)
        if x is None:
            raise ValueError("evaluate() needs data: pass `x` and `y`. Received: x=None")
        dist = self._setup_distribution()
        outer, self._dist = self._dist, dist
        try:
            return self._evaluate(
                x, y, batch_size, verbose if dist is None or dist.is_chief else 0, sample_weight,
                steps, self._chief_callbacks(callbacks, dist), return_dict, loader_kwargs,
            )  # fmt: skip
        finally:
            self._dist = outer

    def _evaluate(
        self, x, y, batch_size, verbose, sample_weight, steps, callbacks, return_dict,
        loader_kwargs,
    ):  # fmt: skip
        dist = self._dist
        device = backend.get_device()
        x = da.wrap_torch_dataset(x, batch_size, False)
        if da.is_stream(x):
            x, _ = self._stream_shard(x, dist, False)
            batches = da.StreamBatches(
                x, steps, self, device,
                max_queue_size=loader_kwargs.get("max_queue_size", 10),
                workers=loader_kwargs.get("workers", 1),
            )  # fmt: skip
        else:
            if y is None and self._compile_loss is not None:
                raise ValueError("evaluate() needs targets: pass `y` with `x`.")
            x_list, y_list, sw = self._arrays(x, y, sample_weight, "evaluate")
            self._check_sparse_labels(y_list)
            self._prepare_model(x_list)
            batches = da.ArrayBatches(
                x_list, y_list, sw, batch_size or 32, False, device, steps=steps,
                shard=self._array_shard(dist),
            )  # fmt: skip
        n_steps = steps if steps is not None else batches.num_batches
        cbs = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=n_steps,
        )
        cbs.on_test_begin()
        logs = self._run_evaluation(batches, cbs_inner=cbs)
        cbs.on_test_end(logs)
        if isinstance(batches, da.StreamBatches):
            batches.close()
        if return_dict:
            return logs
        ordered = [m.name for m in self.metrics]
        values = [logs[k] for k in ordered if k in logs] + [
            logs[k] for k in sorted(logs) if k not in ordered
        ]
        return values[0] if len(values) == 1 else values

    # -------------------------------------------------------------- predict
    @torch.no_grad()
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Run the model on ``x`` in inference mode; returns numpy array(s).

        Returns:
            A numpy array, or a list / dict of arrays for several outputs.
        """
        loader_kwargs = {k: kwargs.pop(k) for k in _KERAS2_FIT_KWARGS if k in kwargs}
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword arguments: {sorted(kwargs)}")
        verbose = _resolve_verbose(verbose)
        _check_x(x, "predict")
        _check_batch_size(batch_size)
        dist = self._setup_distribution()
        outer, self._dist = self._dist, dist
        try:
            return self._predict(
                x, batch_size, verbose if dist is None or dist.is_chief else 0, steps,
                self._chief_callbacks(callbacks, dist), loader_kwargs,
            )  # fmt: skip
        finally:
            self._dist = outer

    @torch.no_grad()
    def _predict(self, x, batch_size, verbose, steps, callbacks, loader_kwargs):
        dist = self._dist
        device = backend.get_device()
        x = da.wrap_torch_dataset(x, batch_size, False)
        if da.is_stream(x):
            x, _ = self._stream_shard(x, dist, False)
            batches = da.StreamBatches(
                x, steps, self, device,
                max_queue_size=loader_kwargs.get("max_queue_size", 10),
                workers=loader_kwargs.get("workers", 1),
            )  # fmt: skip
        else:
            x_list = da.convert_x(self, da.flatten_x(x, self._data_input_names()))
            da.check_cardinality(x_list, None, None)
            da.check_input_shapes(self, x_list)
            self._prepare_model(x_list)
            batches = da.ArrayBatches(
                x_list, None, None, batch_size or 32, False, device, steps=steps,
                shard=self._array_shard(dist),
            )  # fmt: skip
        n_steps = steps if steps is not None else batches.num_batches
        cbs = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=n_steps,
        )
        was_training = self.training
        self.eval()
        outputs = []
        cbs.on_predict_begin()
        has_user = cbs.needs_batch_logs["on_predict_batch_end"]
        has_begin = cbs.has_batch_hook("on_predict_batch_begin")
        compiled = None
        custom_predict = self._overrides("predict_step")
        if self._jit_compile and dist is None and not custom_predict:
            if self._compiled_predict is None:
                from .compiled_step import CompiledPredictStep

                self._compiled_predict = CompiledPredictStep(self)
            compiled = self._compiled_predict
        try:
            for step, (bx, _, _) in enumerate(batches.epoch()):
                if steps is not None and step >= steps:
                    break
                if step == 0:
                    self._prepare_model(bx)
                if has_begin:
                    cbs.on_predict_batch_begin(step, {})
                if dist is not None and _rows(bx) == 0:
                    outputs.append(None)  # an empty share of the last global batch
                    continue
                mx = self._model_input(bx)
                out = compiled(mx) if compiled is not None and step > 0 else None
                if custom_predict:
                    out = to_float32(self._flat_outputs(self.predict_step((mx,))))
                elif out is None:
                    out = to_float32(self._flat_outputs(self(mx, training=False)))
                outputs.append(out)
                if has_user:
                    cbs.on_predict_batch_end(
                        step, {"outputs": self._structure_outputs([_to_numpy(o) for o in out])}
                    )
                else:
                    cbs.on_predict_batch_end(step, None)
        finally:
            if isinstance(batches, da.StreamBatches):
                batches.close()
            self.train(was_training)
        cbs.on_predict_end()
        if dist is not None:
            local = [None if o is None else [t.cpu().numpy() for t in o] for o in outputs]
            flat = dist.gather_outputs(local)
            if not flat:
                raise ValueError("predict() received no data: the input produced no batches.")
            return self._structure_outputs(flat)
        if not outputs:
            raise ValueError("predict() received no data: the input produced no batches.")
        flat = [torch.cat([o[i] for o in outputs]).cpu().numpy() for i in range(len(outputs[0]))]
        return self._structure_outputs(flat)

    # ----------------------------------------------------------- per batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics)."""
        self._assert_compiled("train_on_batch")
        x_list, y_list, sw = self._arrays(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            sw = da.class_weight_to_sample_weight(y_list[0], class_weight)
        device = self._prepare_model(x_list)
        self._prepare_optimizer()
        bx, by, bsw = da.to_device((x_list, y_list, sw), device)
        self.reset_metrics()
        self.train()
        self._run_train_step(self._model_input(bx), by, bsw)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch, without training."""
        self._assert_compiled("test_on_batch")
        x_list, y_list, sw = self._arrays(x, y, sample_weight, "test_on_batch")
        device = self._prepare_model(x_list)
        bx, by, bsw = da.to_device((x_list, y_list, sw), device)
        self.reset_metrics()
        was = self.training
        self.eval()
        self._run_test_step(self._model_input(bx), by, bsw)
        self.train(was)
        return self._batch_result(return_dict)

    def _batch_result(self, return_dict):
        logs = _pythonify(self._logs())
        if return_dict:
            return logs
        ordered = [m.name for m in self.metrics]
        values = [logs[k] for k in ordered if k in logs]
        return values[0] if len(values) == 1 else values

    @torch.no_grad()
    def predict_on_batch(self, x):
        """Model output for one batch, as numpy array(s)."""
        _check_x(x, "predict_on_batch")
        x_list = da.convert_x(self, da.flatten_x(x, self._data_input_names()))
        da.check_input_shapes(self, x_list)
        device = self._prepare_model(x_list)
        bx = [t.to(device) for t in x_list]
        was = self.training
        self.eval()
        try:
            out = to_float32(self._flat_outputs(self(self._model_input(bx), training=False)))
        finally:
            self.train(was)
        return self._structure_outputs([o.cpu().numpy() for o in out])

    # ------------------------------------------------------ Keras 2 aliases
    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2's class predictions: argmax, or ``p > 0.5`` for one sigmoid unit."""
        warnings.warn(
            "`model.predict_classes()` is deprecated (removed in Keras 2.6+). Use "
            "`np.argmax(model.predict(x), axis=-1)` (softmax) or "
            "`(model.predict(x) > 0.5).astype('int32')` (sigmoid).",
            DeprecationWarning,
            stacklevel=2,
        )
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2's alias of ``predict`` for probability outputs."""
        warnings.warn(
            "`model.predict_proba()` is deprecated (removed in Keras 2.6+); use `model.predict()`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    def fit_generator(
        self,
        generator,
        steps_per_epoch=None,
        epochs=1,
        verbose=1,
        callbacks=None,
        validation_data=None,
        validation_steps=None,
        validation_freq=1,
        class_weight=None,
        max_queue_size=10,
        workers=1,
        use_multiprocessing=False,
        shuffle=True,
        initial_epoch=0,
    ):
        """Deprecated Keras 2 alias of ``fit`` for generators."""
        warnings.warn(
            "`Model.fit_generator` is deprecated and will be removed in a future version. "
            "Please use `Model.fit`, which supports generators.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.fit(
            generator,
            steps_per_epoch=steps_per_epoch,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            validation_steps=validation_steps,
            validation_freq=validation_freq,
            class_weight=class_weight,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
            shuffle=shuffle,
            initial_epoch=initial_epoch,
        )

    def evaluate_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0,
    ):  # fmt: skip
        """Deprecated Keras 2 alias of ``evaluate`` for generators."""
        warnings.warn(
            "`Model.evaluate_generator` is deprecated and will be removed in a future version. "
            "Please use `Model.evaluate`, which supports generators.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.evaluate(
            generator, steps=steps, callbacks=callbacks, verbose=verbose,
            max_queue_size=max_queue_size, workers=workers,
        )  # fmt: skip

    def predict_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0,
    ):  # fmt: skip
        """Deprecated Keras 2 alias of ``predict`` for generators."""
        warnings.warn(
            "`Model.predict_generator` is deprecated and will be removed in a future version. "
            "Please use `Model.predict`, which supports generators.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.predict(
            generator, steps=steps, callbacks=callbacks, verbose=verbose,
            max_queue_size=max_queue_size, workers=workers,
        )  # fmt: skip


class _InterruptGuard:
    """Turns Ctrl-C during ``fit`` into a stop at the end of the current step.

    The first SIGINT only sets ``model.stop_training``: the loop finishes the
    step, records the epoch so far and returns the History, leaving the model
    usable and savable. A second SIGINT raises ``KeyboardInterrupt`` at once.
    Installed only in the main thread and only over Python's default handler,
    so handlers a user installed are left alone.
    """

    def __init__(self, model):
        self.model = model
        self.interrupted = False
        self._previous = None

    def install(self):
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return
        self._previous = signal.signal(signal.SIGINT, self._on_sigint)

    def uninstall(self):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_sigint(self, signum, frame):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupt()

    def interrupt(self):
        self.interrupted = True
        self.model.stop_training = True

    def report(self, epoch, step):
        warnings.warn(
            f"fit(): interrupted (Ctrl-C) at epoch {epoch + 1}, step {step + 1}; stopped after "
            "that step and returned the History so far. Press Ctrl-C twice to abort at once.",
            RuntimeWarning,
            stacklevel=3,
        )


class _SplitData:
    """The held-out tail of the arrays, from ``validation_split``."""

    def __init__(self, arrays):
        self.arrays = arrays


def _check_batch_size(batch_size):
    if batch_size is not None and (
        not isinstance(batch_size, (int, np.integer))
        or isinstance(batch_size, bool)
        or batch_size <= 0
    ):
        raise ValueError(
            f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}"
        )


def _check_x(x, method):
    if x is None:
        raise ValueError(f"{method}() needs input data. Received: x=None")


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def _endless(batches):
    while True:
        yield from batches.epoch()


def _take(iterator, n):
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return
