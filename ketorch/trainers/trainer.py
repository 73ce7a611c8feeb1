"""The training API mixed into :class:`~ketorch.Model`: compile, fit, evaluate, predict.

The per-step work is forward, loss, ``backward``, ``optimizer.step()`` and
metric updates on device tensors. Nothing is read back to the host during an
epoch except when the progress bar redraws or a user callback asks for batch
logs.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .. import metrics as metrics_mod
from .. import optimizers as optimizers_mod
from ..distribution.local_runtime import LOCAL
from ..mixed_precision.autocast import to_float32
from . import data_adapters as da
from . import loops
from .compile_utils import CompileLoss, CompileMetrics
from .custom_steps import CustomStepsMixin
from .keras2_aliases import Keras2TrainerMixin
from .loops import check_batch_size, pythonify
from .run_state import (
    RunLocal,
    fit_scope,
    inference_mode,
    metrics_scope,
)
from .steps import StepsMixin

# Keras 2 loader arguments: the queue depth and thread count of stream prefetching.
# ``use_multiprocessing`` is accepted and ignored (as on Keras's torch backend).
_KERAS2_FIT_KWARGS = ("max_queue_size", "workers")


def _resolve_optimizer(optimizer):
    """``(optimizer, torch_optimizer_class)``: a plain ``torch.optim`` class is instantiated
    later, when the parameters exist."""
    if isinstance(optimizer, torch.optim.Optimizer) and not isinstance(
        optimizer, optimizers_mod.Optimizer
    ):
        return optimizer, None
    if (
        isinstance(optimizer, type)
        and issubclass(optimizer, torch.optim.Optimizer)
        and not issubclass(optimizer, optimizers_mod.Optimizer)
    ):
        return None, optimizer
    return optimizers_mod.get(optimizer), None


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


class Trainer(StepsMixin, Keras2TrainerMixin, CustomStepsMixin):
    """Keras's ``compile``/``fit``/``evaluate``/``predict`` for torch modules."""

    # Class-level defaults so that models made without ``_init_trainer`` still train.
    _runtime = LOCAL  # a distribution's runtime while fit/evaluate/predict run under it
    _grad_scaler = None  # torch.amp.GradScaler for mixed_float16
    _auto_scale_loss = True
    # The metric containers and custom-step logs: a run that starts while another run of the
    # model holds them (evaluate in a fit callback or in another thread) sees private copies.
    _loss_tracker = RunLocal()
    _compile_loss = RunLocal()
    _compile_metrics = RunLocal()
    _custom_logs = RunLocal()

    def __getstate__(self):
        # The runs in progress (locks, per-thread metric copies) belong to this object only:
        # copies and pickles start with none.
        state = super().__getstate__()
        state.pop("_run_state", None)
        state.pop("_run_overrides", None)
        return state

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
        self._runtime = LOCAL

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
            run_eagerly: Run every step eagerly; forces ``jit_compile=False``.
            steps_per_execution: Batches per Python-level loop iteration;
                batch-level callbacks and the progress bar see every N-th batch.
            jit_compile: ``True`` compiles the training step (forward, loss,
                backward and optimizer update) and ``predict``'s forward pass
                with ``torch.compile``; a layer that cannot be compiled keeps
                the model eager with a warning. ``"auto"`` and ``False`` run
                eagerly (as Keras does on torch).
            auto_scale_loss: With a ``mixed_float16`` policy, scale the loss
                dynamically to avoid float16 gradient underflow.

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
        self.optimizer, self._torch_optimizer_factory = _resolve_optimizer(optimizer)
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
        if jit_compile not in (True, False, "auto", None):
            raise ValueError(
                f"`jit_compile` must be True, False or 'auto'. Received: jit_compile={jit_compile!r}"
            )
        self._run_eagerly = bool(run_eagerly)
        # "auto" means eager on torch, as in Keras; run_eagerly wins over jit_compile.
        self.jit_compile = jit_compile is True and not run_eagerly
        if (
            not isinstance(steps_per_execution, (int, np.integer))
            or isinstance(steps_per_execution, bool)
            or steps_per_execution < 1
        ):
            raise ValueError(
                "`steps_per_execution` must be a positive integer. "
                f"Received: steps_per_execution={steps_per_execution!r}"
            )
        self._steps_per_execution = int(steps_per_execution)
        self._auto_scale_loss = bool(auto_scale_loss)
        self._grad_scaler = None
        self.compiled = True

    @property
    def run_eagerly(self):
        """Whether steps run as plain Python (no ``torch.compile``); turns ``jit_compile`` off."""
        return getattr(self, "_run_eagerly", False)

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        if value:
            self.jit_compile = False

    @property
    def jit_compile(self):
        """Whether the train step and predict run as one ``torch.compile`` graph."""
        return getattr(self, "_jit_compile", False)

    @jit_compile.setter
    def jit_compile(self, value):
        self._jit_compile = bool(value) and not self.run_eagerly
        self._compiled_step = None
        self._compiled_predict = None

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
        from ..models.sequential import Sequential  # models subclass this Trainer

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
            **kwargs: Keras 2 arguments: ``max_queue_size`` and ``workers``
                (queue depth and threads prefetching generators and datasets),
                ``use_multiprocessing`` (accepted and ignored, as on Keras's
                torch backend; loading runs in threads) and ``nb_epoch``.

        Returns:
            A :class:`~ketorch.callbacks.History`.
        """
        if "nb_epoch" in kwargs:
            warnings.warn("fit(nb_epoch=...) is the Keras 1 name; use epochs=.", stacklevel=2)
            epochs = kwargs.pop("nb_epoch")
        loader_kwargs = {k: kwargs.pop(k) for k in _KERAS2_FIT_KWARGS if k in kwargs}
        kwargs.pop("use_multiprocessing", None)
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments: {sorted(kwargs)}")
        self._assert_compiled("fit")
        verbose = _resolve_verbose(verbose)
        # One fit of a model at a time (a nested one from a callback raises); its metrics are
        # its own even while evaluate() runs in a callback or another thread.
        with fit_scope(self), metrics_scope(self):
            rt = self._setup_runtime()
            outer, self._runtime = self._runtime, rt
            try:
                return loops.fit_loop(
                    self, x, y, batch_size=batch_size, epochs=epochs,
                    verbose=rt.verbose(verbose), callbacks=callbacks,
                    validation_split=validation_split, validation_data=validation_data,
                    shuffle=shuffle, class_weight=class_weight, sample_weight=sample_weight,
                    initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                    validation_steps=validation_steps,
                    validation_batch_size=validation_batch_size,
                    validation_freq=validation_freq, loader_kwargs=loader_kwargs,
                )  # fmt: skip
            finally:
                self._runtime = outer

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
        kwargs.pop("use_multiprocessing", None)
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments: {sorted(kwargs)}")
        self._assert_compiled("evaluate")
        verbose = _resolve_verbose(verbose)
        check_batch_size(batch_size)
        if x is None:
            raise ValueError("evaluate() needs data: pass `x` and `y`. Received: x=None")
        rt = self._setup_runtime()
        outer, self._runtime = self._runtime, rt
        try:
            # Inside a fit callback or beside a fit in another thread: private metrics.
            with metrics_scope(self), inference_mode(self):
                return loops.evaluate_loop(
                    self, x, y, batch_size=batch_size,
                    verbose=rt.verbose(verbose),
                    sample_weight=sample_weight, steps=steps,
                    callbacks=rt.chief_callbacks(callbacks), return_dict=return_dict,
                    loader_kwargs=loader_kwargs,
                )  # fmt: skip
        finally:
            self._runtime = outer

    # -------------------------------------------------------------- predict
    @torch.no_grad()
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Run the model on ``x`` in inference mode; returns numpy array(s).

        Returns:
            A numpy array, or a list / dict of arrays for several outputs.
        """
        loader_kwargs = {k: kwargs.pop(k) for k in _KERAS2_FIT_KWARGS if k in kwargs}
        kwargs.pop("use_multiprocessing", None)
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword arguments: {sorted(kwargs)}")
        verbose = _resolve_verbose(verbose)
        _check_x(x, "predict")
        check_batch_size(batch_size)
        rt = self._setup_runtime()
        outer, self._runtime = self._runtime, rt
        try:
            with inference_mode(self):
                return loops.predict_loop(
                    self, x, batch_size=batch_size,
                    verbose=rt.verbose(verbose), steps=steps,
                    callbacks=rt.chief_callbacks(callbacks), loader_kwargs=loader_kwargs,
                )  # fmt: skip
        finally:
            self._runtime = outer

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
        with metrics_scope(self):
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
        with metrics_scope(self), inference_mode(self):
            self.reset_metrics()
            self._run_test_step(self._model_input(bx), by, bsw)
            return self._batch_result(return_dict)

    def _batch_result(self, return_dict):
        logs = pythonify(self._logs())
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
        with inference_mode(self):
            out = to_float32(self._flat_outputs(self(self._model_input(bx), training=False)))
        return self._structure_outputs([o.cpu().numpy() for o in out])


def _check_x(x, method):
    if x is None:
        raise ValueError(f"{method}() needs input data. Received: x=None")
