"""The fit, evaluate and predict loops over an :class:`EpochIterator` (validation is
the evaluate loop). The per-batch work is the model's step; these loops only fetch
batches, call callbacks and read logs back to the host when something needs them.
"""

from __future__ import annotations

import math
import signal
import threading
import warnings

import numpy as np
import torch

from .. import config as _config
from .. import optimizers as optimizers_mod
from ..callbacks.callback_list import CallbackList
from ..mixed_precision.autocast import to_float32
from . import data_adapters as da
from . import fast_dense
from .compiled_step import CompiledPredictStep
from .epoch_iterator import EpochIterator
from .run_state import inference_mode


def _to_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return t


def rows(x):
    """The batch size of one batch (a tensor or a list of them)."""
    return x.shape[0] if isinstance(x, torch.Tensor) else x[0].shape[0]


def pythonify(logs):
    """Logs as plain floats (device tensors read back), keys sorted."""
    out = {}
    for k in sorted(logs):
        v = logs[k]
        if isinstance(v, torch.Tensor):
            v = float(v.detach())
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


def _check_fit_args(x, epochs, batch_size, validation_split):
    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"`epochs` must be a non-negative integer. Received: epochs={epochs!r}")
    check_batch_size(batch_size)
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


def _fit_adapters(
    model, x, y, sample_weight, class_weight, batch_size, shuffle, validation_data,
    validation_split, validation_batch_size, loader_kwargs,
):  # fmt: skip
    """The training adapter and the validation adapter (``None`` without validation)."""
    rt = model._runtime
    shard = rt.shard
    seed = rt.shuffle_seed(shuffle)
    train = da.get_data_adapter(
        model, x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
        class_weight=class_weight, shard=shard, seed=seed, training=True, what="fit",
        targets_required=model._compile_loss is not None, **loader_kwargs,
    )  # fmt: skip
    val_data = None
    val_batch_size = validation_batch_size or batch_size or 32
    if validation_data is not None:
        vx, vy, vsw = da.unpack_validation_data(validation_data)
        val_data = da.get_data_adapter(
            model, vx, vy, vsw, batch_size=val_batch_size, shard=shard, what="validation",
            **loader_kwargs,
        )  # fmt: skip
    elif validation_split:
        val_data = train.split_validation(validation_split, val_batch_size)
    if isinstance(train, da.ArrayDataAdapter):
        model._check_sparse_labels(train.y)
        model._prepare_model(train.x)
    return train, val_data


def _start_training(model, bx, check_inputs):
    """Build the optimizer at the first batch (and sync processes); returns a step hook."""
    if check_inputs:  # a stream: the first batch shows the input shapes
        model._prepare_model(bx)
        da.check_input_shapes(model, bx)
    model._prepare_optimizer()
    return model._runtime.start_training(model)


def _train_group(model, group):
    """The training steps of one ``steps_per_execution`` run of batches."""
    train_batch = model._runtime.train_batch
    for bx, by, bsw in group:
        train_batch(model, bx, by, bsw)


def _train_batch_end(model, cbs, step, sync_batch_logs, user_batch_logs):
    """Batch-end callbacks; logs are read back to the host only when someone reads them."""
    progbar = cbs.progbar
    if sync_batch_logs:
        cbs.on_train_batch_end(step, model._global_logs())
    elif user_batch_logs:
        cbs.on_train_batch_end(step, pythonify(model._logs()))
    elif progbar is not None:
        progbar.on_train_batch_end(step, model._logs() if progbar.wants_logs(step) else None)


def _validate(model, val_batches, cbs):
    """Validation is the evaluate loop; returns its logs with ``val_`` keys."""
    cbs.on_test_begin()
    with inference_mode(model):
        val_logs = run_evaluation(model, val_batches, cbs_inner=cbs)
    cbs.on_test_end(val_logs)
    return {f"val_{k}": v for k, v in val_logs.items()}


def _fit_callbacks(model, callbacks, verbose, epochs, steps):
    return CallbackList(
        model._runtime.chief_callbacks(callbacks),
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )


class _FitState:
    """What one ``fit`` call carries between epochs."""

    def __init__(self, model, train, cbs, stream, callbacks):
        self.train, self.cbs, self.stream = train, cbs, stream
        # From the user's whole list (before rank-0-only callbacks are dropped): the same
        # decision on every process, as the collectives it adds must match.
        self.sync_batch_logs = model._runtime.wants_batch_sync(callbacks)
        self.user_batch_logs = cbs.needs_batch_logs["on_train_batch_end"]
        self.has_batch_begin = cbs.has_batch_hook("on_train_batch_begin")
        self.started = False
        self.hook = None
        self.guard = _InterruptGuard(model)


def _train_epoch(model, state) -> int:
    """The training steps of one epoch; returns the index of the last step run (-1: none)."""
    cbs = state.cbs
    step = -1
    for first_step, step, group in state.train.groups(model._steps_per_execution):
        if not state.started:
            state.hook = _start_training(model, group[0][0], state.stream)
            state.started = True
        try:
            if state.has_batch_begin:
                cbs.on_train_batch_begin(first_step)
            _train_group(model, group)
            _train_batch_end(model, cbs, step, state.sync_batch_logs, state.user_batch_logs)
        except KeyboardInterrupt:  # from a callback; a real Ctrl-C goes to the guard
            state.guard.interrupt()
        if model.stop_training:
            break
    return step


def _epoch_logs(model, state, epoch, step, val_batches, validation_freq) -> dict:
    logs = model._global_logs()
    if state.guard.interrupted:
        state.guard.report(epoch, step)
    elif val_batches is not None and _should_validate(epoch, validation_freq):
        logs.update(_validate(model, val_batches, state.cbs))
    if getattr(model.optimizer, "_lr_schedule", None) is not None:
        # The issue asks for the scheduled rate in the logs (Keras omits it).
        logs.setdefault("learning_rate", float(model.optimizer.learning_rate))
    if not model.stop_training:  # a callback that stopped on NaN already said so
        _warn_if_nan(model, epoch, logs)
    return logs


def fit_loop(
    model, x, y, *, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
    shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps,
    validation_batch_size, validation_freq, loader_kwargs,
):  # fmt: skip
    """The body of ``Model.fit`` (arguments as documented there)."""
    _check_fit_args(x, epochs, batch_size, validation_split)
    train, val_data = _fit_adapters(
        model, x, y, sample_weight, class_weight, batch_size, shuffle, validation_data,
        validation_split, validation_batch_size, loader_kwargs,
    )  # fmt: skip
    stream = not isinstance(train, da.ArrayDataAdapter)
    train = EpochIterator(train, steps_per_epoch, _config.max_steps_per_epoch())
    val_batches = None if val_data is None else EpochIterator(val_data, validation_steps)
    if _config.max_epochs() is not None:
        epochs = min(epochs, _config.max_epochs())
    cbs = _fit_callbacks(model, callbacks, verbose, epochs, train.num_batches)
    state = _FitState(model, train, cbs, stream, callbacks)
    model.stop_training = False
    model.train()
    cbs.on_train_begin()
    # A callback (BackupAndRestore) may resume an interrupted run at a later epoch.
    initial_epoch = model.__dict__.pop("_initial_epoch", None) or initial_epoch
    epoch_logs = {}
    try:
        state.guard.install()
        for epoch in range(initial_epoch, epochs):
            model.reset_metrics()
            cbs.on_epoch_begin(epoch)
            step = _train_epoch(model, state)
            if step < 0 and train.exhausted:
                break
            epoch_logs = _epoch_logs(model, state, epoch, step, val_batches, validation_freq)
            cbs.on_epoch_end(epoch, epoch_logs)
            if model.stop_training or train.exhausted:
                break
    finally:
        state.guard.uninstall()
        if state.hook is not None:
            state.hook.remove()
        train.close()
        if val_batches is not None:
            val_batches.close()
    if isinstance(model.optimizer, optimizers_mod.Optimizer) and state.started:
        # With use_ema, Keras swaps the moving-average weights in at the end of fit.
        model.optimizer.finalize_variable_values(model.trainable_weights)
    cbs.on_train_end(epoch_logs)
    model.history = cbs.history
    return cbs.history


def run_evaluation(model, batches, cbs_inner=None):
    """Run the test loop over ``batches`` and return pythonified logs (the caller puts the
    model in inference mode)."""
    model.reset_metrics()
    skips = model._runtime.skips
    progbar = cbs_inner.progbar if cbs_inner is not None else None
    user_logs = cbs_inner.needs_batch_logs["on_test_batch_end"] if cbs_inner is not None else False
    has_begin = cbs_inner.has_batch_hook("on_test_batch_begin") if cbs_inner is not None else False
    fused = None  # a chain of Dense layers: the fused evaluation step (made on the first batch)
    try:
        for first_step, step, group in batches.groups(model._steps_per_execution):
            if first_step == 0:
                model._prepare_model(group[0][0])
                fused = fast_dense.evaluator(model)
            if has_begin:
                cbs_inner.on_test_batch_begin(first_step)
            for bx, by, bsw in group:
                if skips(bx):
                    continue  # an empty share of the last global batch
                mx = model._model_input(bx)
                if fused is None or fused(mx, by, bsw) is None:
                    model._run_test_step(mx, by, bsw)
            if user_logs:
                cbs_inner.on_test_batch_end(step, pythonify(model._logs()))
            elif progbar is not None:
                progbar.on_test_batch_end(step, model._logs() if progbar.wants_logs(step) else None)
    finally:
        if batches.steps is None:
            batches.close()
    return model._global_logs()


def _warn_if_nan(model, epoch, logs):
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


def evaluate_loop(
    model, x, y, *, batch_size, verbose, sample_weight, steps, callbacks, return_dict,
    loader_kwargs,
):  # fmt: skip
    """The body of ``Model.evaluate``."""
    batches = da.get_data_adapter(
        model, x, y, sample_weight, batch_size=batch_size, shard=model._runtime.shard,
        what="evaluate",
        targets_required=model._compile_loss is not None, **loader_kwargs,
    )  # fmt: skip
    if isinstance(batches, da.ArrayDataAdapter):
        model._check_sparse_labels(batches.y)
        model._prepare_model(batches.x)
    batches = EpochIterator(batches, steps)
    cbs = CallbackList(
        callbacks,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=1,
        steps=batches.num_batches,
    )
    cbs.on_test_begin()
    logs = run_evaluation(model, batches, cbs_inner=cbs)
    cbs.on_test_end(logs)
    batches.close()
    if return_dict:
        return logs
    ordered = [m.name for m in model.metrics]
    values = [logs[k] for k in ordered if k in logs] + [
        logs[k] for k in sorted(logs) if k not in ordered
    ]
    return values[0] if len(values) == 1 else values


def _predict_runner(model, rt):
    """A function from one batch (and its step index) to the model's flat float32 outputs
    (``None`` for an empty share of the last global batch)."""
    custom_predict = model._overrides("predict_step")
    compiled = None
    if model._jit_compile and not rt.distributed and not custom_predict:
        if model._compiled_predict is None:
            model._compiled_predict = CompiledPredictStep(model)
        compiled = model._compiled_predict
    # A chain of Dense layers runs its kernels directly (None: the model is not one).
    direct = None if custom_predict or compiled is not None else fast_dense.inference(model)

    def run(bx, step):
        if rt.skips(bx):
            return None
        mx = model._model_input(bx)
        if custom_predict:
            return to_float32(model._flat_outputs(model.predict_step((mx,))))
        if direct is not None:
            out = direct(mx)
            if out is not None:
                return out
        # The first step runs eagerly (it builds the model); the compiled step may decline
        # a batch (another shape) and return None.
        out = compiled(mx) if compiled is not None and step > 0 else None
        if out is not None:
            return out
        return to_float32(model._flat_outputs(model(mx, training=False)))

    return run


def _group_outputs(produced):
    """The numpy outputs of a ``steps_per_execution`` run of batches, concatenated."""
    produced = [o for o in produced if o is not None]
    if not produced:
        return []
    if len(produced) == 1:
        return [_to_numpy(o) for o in produced[0]]
    return [np.concatenate([_to_numpy(o[i]) for o in produced]) for i in range(len(produced[0]))]


@torch.no_grad()
def predict_loop(model, x, *, batch_size, verbose, steps, callbacks, loader_kwargs):
    """The body of ``Model.predict``."""
    rt = model._runtime
    batches = da.get_data_adapter(
        model, x, batch_size=batch_size, shard=rt.shard, what="predict", **loader_kwargs,
    )  # fmt: skip
    if isinstance(batches, da.ArrayDataAdapter):
        model._prepare_model(batches.x)
    batches = EpochIterator(batches, steps)
    cbs = CallbackList(
        callbacks,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=1,
        steps=batches.num_batches,
    )
    outputs = []
    cbs.on_predict_begin()
    has_user = cbs.needs_batch_logs["on_predict_batch_end"]
    has_begin = cbs.has_batch_hook("on_predict_batch_begin")
    run = _predict_runner(model, rt)
    try:
        for first_step, step, group in batches.groups(model._steps_per_execution):
            if first_step == 0:
                model._prepare_model(group[0][0])
            if has_begin:
                cbs.on_predict_batch_begin(first_step, {})
            produced = [run(bx, first_step + i) for i, (bx, _, _) in enumerate(group)]
            outputs.extend(produced)
            if has_user:
                logs = {"outputs": model._structure_outputs(_group_outputs(produced))}
                cbs.on_predict_batch_end(step, logs)
            else:
                cbs.on_predict_batch_end(step, None)
    finally:
        batches.close()
    cbs.on_predict_end()
    flat = rt.gather_predictions(outputs)
    if not flat:
        raise ValueError("predict() received no data: the input produced no batches.")
    return model._structure_outputs(flat)


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


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def check_batch_size(batch_size):
    if batch_size is not None and (
        not isinstance(batch_size, (int, np.integer))
        or isinstance(batch_size, bool)
        or batch_size <= 0
    ):
        raise ValueError(
            f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}"
        )
