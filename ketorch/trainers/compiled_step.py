"""``compile(jit_compile=True)``: the whole training step as one ``torch.compile`` graph.

Eager PyTorch pays a few microseconds of dispatch per operator and per autograd node; a small
model's step is mostly that overhead. Here the forward pass, the loss, the gradients
(``torch.func.grad`` over ``functional_call``), the optimizer update and the metric updates
are traced once into a single graph that Inductor compiles to fused C++/Triton kernels.

The compiled step handles full batches of the shape it was compiled for; any other batch (the
last, smaller one of an epoch) goes through the eager step, so nothing is ever recompiled.
Models, optimizers or options the graph cannot express fall back to the eager step with one
warning that names the reason.
"""

from __future__ import annotations

import types
import warnings

import torch

from .. import optimizers as optimizers_mod
from ..backend._core import call_context
from ..mixed_precision.autocast import to_float32
from .run_state import own


def ineligible_reason(model) -> str | None:
    """Why ``model``'s training step cannot be compiled, or None when it can."""
    opt = model.optimizer
    if model._overrides("train_step"):
        return "the model overrides train_step"
    if not isinstance(opt, optimizers_mod.Optimizer):
        return "the optimizer is a torch.optim optimizer, not a ketorch one"
    if opt.use_ema or opt.gradient_accumulation_steps:
        return "use_ema and gradient_accumulation_steps keep Python-side step counters"
    if len(opt.param_groups) != 1:
        return "the optimizer has several parameter groups"
    if model._runtime.distributed:
        return "data-parallel training reduces gradients between processes"
    if model._grad_scaler is not None:
        return "float16 loss scaling skips steps on the host"
    if model._constrained:
        return "weight constraints are applied on the host"
    return _unfriendly_layer(model)


def _unfriendly_layer(model) -> str | None:
    for layer in model._flatten_layers():
        if layer._jit_unfriendly:
            return f"layer '{layer.name}' ({type(layer).__name__}): {layer._jit_unfriendly}"
    return None


def _compile_per_instance(step, method=None):
    """``torch.compile`` of ``method`` (default ``CompiledTrainStep._step``) bound to ``step``,
    with a cache of its own and tensor-only guards.

    Dynamo's guards on every Python object the step touches (layers, optimizer, metrics) cost
    about 50 us a call, as much as the small models' whole graph. Only the tensor guards are
    kept: the learning rate and the optimizer's per-step numbers come in as tensors, and
    ``model.compile()`` or a change of the trainable weights builds a new step. Dynamo caches
    compiled code per code object, so each step gets a copy of ``_step``'s code: without tensor
    identity guards, two models with equal shapes must never share a cache entry.
    """
    method = method or CompiledTrainStep._step
    code = method.__code__.replace(co_name=f"{method.__name__}_{id(step):x}")
    fn = types.FunctionType(code, method.__globals__, code.co_name)
    return torch.compile(
        fn.__get__(step),
        fullgraph=True,
        dynamic=False,
        # The tensor guards check sizes and strides already: Inductor's own per-call size
        # asserts (about 20 a step) are redundant.
        options={
            "guard_filter_fn": torch.compiler.keep_tensor_guards_unsafe,
            "size_asserts": False,
        },
    )


def _signature(*tensors):
    def sig(t):
        if t is None:
            return None
        if isinstance(t, (list, tuple)):
            return tuple(sig(v) for v in t)
        if isinstance(t, dict):
            return tuple((k, sig(v)) for k, v in t.items())
        return (tuple(t.shape), t.dtype, t.device)

    return sig(tensors)


class _CompiledCall:
    """What both compiled steps share: they serve batches of the first batch's shapes only, and
    a failure of the first (compiling) call leaves the model eager with one warning."""

    failed: str | None = None
    signature = None
    ran = False
    reset_on_failure = False  # whether a failed compile also clears Dynamo's caches

    def _same_batch(self, *tensors):
        signature = _signature(*tensors)
        if self.signature is None:
            self.signature = signature
        return signature == self.signature

    def _run(self, what, *args):
        """``self.fn(*args)``, or None (with a warning) when the first call fails to compile."""
        try:
            out = self.fn(*args)
        except Exception as e:  # noqa: BLE001 - the eager path runs instead, with a warning
            if self.ran:
                raise
            self.failed = f"torch.compile could not compile it ({type(e).__name__}: {e})"
            warnings.warn(
                f"jit_compile=True: {what} of model '{self.model.name}' runs eagerly "
                f"because {self.failed[:500]}",
                stacklevel=4,
            )
            if self.reset_on_failure:
                torch._dynamo.reset()
            return None
        self.ran = True
        return out


class CompiledTrainStep(_CompiledCall):
    """One model's compiled training step.

    Call it with a batch; it returns the loss tensor, or None when the batch must take the
    eager step (a batch of another shape, or a model the graph cannot express).
    """

    reset_on_failure = True

    def __init__(self, model):
        self.model = model
        self.failed = ineligible_reason(model)
        if self.failed is not None:
            return
        self.params = list(model.trainable_weights)
        # Every path of every parameter: a layer reachable under two module paths must see the
        # swapped value under both.
        names = {}
        for n, p in model.named_parameters(remove_duplicate=False):
            names.setdefault(id(p), []).append(n)
        if any(id(p) not in names for p in self.params):
            self.failed = "a trainable weight is not a registered parameter of the model"
            return
        self.names = [names[id(p)] for p in self.params]
        # Layers keep each parameter in their __dict__ too, for fast eager attribute access;
        # functional_call swaps `_parameters`, which the __dict__ entry would shadow.
        for module in model.modules():
            for name in list(module._parameters):
                module.__dict__.pop(name, None)
        index = {id(p): i for i, p in enumerate(self.params)}
        self.regularized = [(index[id(w)], reg) for w, reg in model._regularized]
        opt = model.optimizer
        device = self.params[0].device if self.params else torch.device("cpu")
        self.lr = torch.zeros((), device=device)
        self.scalars = {}
        self.uses_schedule = opt._lr_schedule is not None
        self.fn = _compile_per_instance(self)

    # ---------------------------------------------------------------- the traced step
    def _loss(self, values, x, y, sample_weight):
        model = self.model
        collector = []
        updates = []
        ctx = call_context()
        ctx.losses = collector
        ctx.state_updates = updates
        try:
            y_pred = torch.func.functional_call(
                model,
                {n: v for paths, v in zip(self.names, values) for n in paths},
                (x,),
                {"training": True},
                strict=False,
            )
        finally:
            ctx.losses = None
        try:
            y_pred = to_float32(model._flat_outputs(y_pred))
            # per-output loss trackers; the model's own (see run_state.own)
            loss = own(model, "_compile_loss")(y, y_pred, sample_weight)
        finally:
            ctx.state_updates = None
        for extra in collector:
            loss = loss + extra
        for i, reg in self.regularized:
            loss = loss + reg(values[i])
        scaled = model.optimizer.scale_loss(loss)
        aux = (loss.detach(), [p.detach() for p in y_pred], [v for _, v in updates])
        self._state_targets = [t for t, _ in updates]
        return scaled, aux

    def _step(self, x, y, sample_weight, lr, scalars):
        grads, (loss, y_pred, new_state) = torch.func.grad(self._loss, has_aux=True)(
            self.params, x, y, sample_weight
        )
        with torch.no_grad():
            for target, value in zip(self._state_targets, new_state):
                if callable(target):  # a deferred metric update
                    target(value)
                else:
                    target.copy_(value)
            self.model.optimizer._apply_traced(self.params, list(grads), lr, scalars)
            model = self.model
            model._update_metrics(
                loss, x, y, y_pred, sample_weight,
                own(model, "_loss_tracker"), own(model, "_compile_metrics"),
            )  # fmt: skip
        return loss

    # ---------------------------------------------------------------- the host side
    def __call__(self, x, y, sample_weight=None):
        if self.failed is not None or not self._same_batch(x, y, sample_weight):
            return None
        opt = self.model.optimizer
        lr = opt._current_lr() if self.uses_schedule else opt.param_groups[0]["lr"]
        self.lr.fill_(lr)
        for key, value in opt._prepare_update(opt._update_count()).items():
            if key not in self.scalars:
                self.scalars[key] = torch.zeros((), device=self.lr.device)
            self.scalars[key].fill_(float(value))
        loss = self._run("the training step", x, y, sample_weight, self.lr, self.scalars)
        if loss is not None:
            opt._step_count += 1
        return loss


class CompiledPredictStep(_CompiledCall):
    """One model's compiled inference forward pass, for ``predict`` with ``jit_compile=True``.

    Call it with a batch (under ``no_grad``); it returns the float32 outputs as a list, or None
    when the batch must take the eager path (another shape, or a model left eager).
    """

    def __init__(self, model):
        self.model = model
        self.failed = _unfriendly_layer(model)
        if self.failed is None:
            self.fn = _compile_per_instance(self, CompiledPredictStep._forward)

    def _forward(self, x):
        return to_float32(self.model._flat_outputs(self.model(x, training=False)))

    def __call__(self, x):
        if self.failed is not None or not self._same_batch(x):
            return None
        return self._run("predict()", x)
