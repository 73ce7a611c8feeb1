"""Fused training, evaluation and prediction for the most common model: a chain of ``Dense``
layers ending in a softmax or sigmoid cross-entropy (the seed MLP, ``Input -> Dense(relu) ...
-> Dense(softmax)``).

The general eager step builds an autograd graph of about thirty nodes per batch and walks
it back; for a model this small that bookkeeping costs more than the arithmetic. Here the
forward pass runs under ``no_grad`` with the kernels ``Dense.call`` uses (activations in
place on the fresh ``addmm`` output), and the backward pass calls the kernels autograd would
(``threshold_backward``, ``mm`` on the saved activations). The softmax cross-entropy and its
gradient come from ``log_softmax`` in closed form, Keras's clip of the probabilities
included (see ``_Plan._loss``): equal to the general step within float rounding, and
checked against Keras by parity tests. The optimizer runs on the flat buffers of
``flat_update.py`` (or as usual on ``p.grad``), and the metrics update from the same
predictions.

:func:`evaluator` gives the matching evaluation step (``evaluate`` and the validation pass
of ``fit``) and :func:`inference` the forward pass ``predict`` runs.

The training plan is made once per ``fit`` (on its first step with a built loss) and only
when nothing could tell the difference: otherwise ``train_step`` declines and the general
step runs. :func:`why_not` says which condition failed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import activations
from ..distribution.local_runtime import LOCAL
from ..layers.core.dense import Dense
from ..losses import classes as loss_classes
from ..losses import probabilistic as prob
from ..losses.loss import EPSILON
from ..metrics import accuracy_metrics
from .flat_update import FlatUpdate

ENABLED = True
"""Private switch: ``False`` makes every model take the general step (tests, benchmarks)."""

# The clip's bounds on the log scale, as float32 numbers (``log(1e-7)``, ``log(1 - 1e-7)``).
_LOG_EPS = float(torch.tensor(EPSILON).log())
_LOG_ONE_MINUS_EPS = float(torch.tensor(1.0 - EPSILON).log())

_UNPLANNED = "unplanned"  # a string: survives copy.deepcopy(model) as itself

# Hidden activations and the backward kernel autograd uses for each (on the saved output).
_HIDDEN = {
    activations.relu: "relu",
    activations.linear: "linear",
    activations.tanh: "tanh",
    activations.sigmoid: "sigmoid",
}
_LOSS_TYPES = (
    loss_classes.LossFunctionWrapper,
    loss_classes.CategoricalCrossentropy,
    loss_classes.SparseCategoricalCrossentropy,
    loss_classes.BinaryCrossentropy,
)
# Loss function -> (its kind, the output activation it must follow).
_LOSS_KINDS = {
    prob.categorical_crossentropy: ("categorical", activations.softmax),
    prob.sparse_categorical_crossentropy: ("sparse", activations.softmax),
    prob.binary_crossentropy: ("binary", activations.sigmoid),
}


# Methods a subclass could override to change what a step does.
_STEP_METHODS = (
    "train_step", "compute_loss", "compute_metrics", "_run_train_step", "_update_metrics",
    "_apply_optimizer_step", "__call__", "forward", "call", "_model_input", "_flat_outputs",
)  # fmt: skip


_ACCURACIES = {
    accuracy_metrics.CategoricalAccuracy: "categorical",
    accuracy_metrics.SparseCategoricalAccuracy: "sparse",
}


def reset(model) -> None:
    """Forget the plan (called when a ``fit`` or ``train_on_batch`` prepares the optimizer)."""
    model.__dict__["_fast_dense_plan"] = _UNPLANNED


def train_step(model, x, y, sample_weight):
    """The fused step on this batch, or ``None`` when the general step must run."""
    plan = model.__dict__.get("_fast_dense_plan")
    if plan is None:
        return None
    if not isinstance(plan, _Plan):
        closs = model._compile_loss
        if closs is None or not closs.built or not model._compile_metrics.built:
            return None  # the first general step builds them; plan on the next one
        plan = model.__dict__["_fast_dense_plan"] = _Plan.make(model)
        if plan is None:
            return None
    return plan.step(model, x, y, sample_weight)


def evaluator(model):
    """A function computing one evaluation step of ``model`` fused (forward pass with the
    Dense kernels, the loss from ``log_softmax``, the metrics updated as the training step
    updates them) and returning its loss, or ``None`` when the general ``test_step`` must
    run: for a batch the fused step does not cover, and for every batch of a model that
    does not qualify. Made once per evaluation run (each ``evaluate``, each validation
    pass); the plan is made on the first batch after the loss and metrics are built."""
    if not ENABLED or _model_reason(model, _TEST_METHODS) is not None:
        return None
    plan = None

    def run(x, y, sample_weight):
        nonlocal plan
        if plan is None:
            closs = model._compile_loss
            if closs is None or not closs.built or not model._compile_metrics.built:
                return None  # the general step builds them on the first batch
            plan = _Plan.make(model, flat=False) or False
        if plan is False:
            return None
        return plan.evaluate(model, x, y, sample_weight)

    return run


def fused_steps(model) -> int:
    """How many steps of the current plan ran fused (tests check the path is taken)."""
    plan = model.__dict__.get("_fast_dense_plan")
    return plan.steps if isinstance(plan, _Plan) else 0


def why_not(model) -> str | None:
    """Why ``model`` takes the general step (``None``: it qualifies for the fused one)."""
    return _check(model)[0]


def inference(model):
    """A function running ``model``'s forward pass on one predict batch with Dense's own
    kernels (``addmm`` and the activation, in place on the fresh output), or ``None`` when
    the model is not a plain chain of float32 Dense layers. It returns ``None`` for a batch
    it does not cover (the general call then runs). Made once per ``predict``: it skips the
    per-layer ``__call__`` bookkeeping (masks, hooks, autocast, name scopes), none of which
    does anything for such a model."""
    if not ENABLED or model._has_hooks() or model._overrides("predict_step"):
        return None
    if _model_reason(model, _CALL_METHODS) is not None:
        return None
    layers = _chain(model)
    if isinstance(layers, str) or any(_layer_reason(layer) for layer in layers):
        return None
    steps = []
    for layer in layers:
        act = None if layer._linear_act else activations.INPLACE.get(layer.activation)
        if act is None and not layer._linear_act:
            act = layer.activation
        steps.append((layer, act))
    in_dim = layers[0].kernel.shape[0]

    def run(x):
        if (
            type(x) is not torch.Tensor
            or x.dtype != torch.float32
            or x.dim() != 2
            or x.shape[1] != in_dim
            or torch.is_grad_enabled()
            or torch.is_autocast_enabled()
        ):
            return None
        for layer, act in steps:
            bias = layer.bias
            kernel = layer.kernel
            x = torch.addmm(bias, x, kernel) if bias is not None else F.linear(x, kernel.T)
            if act is not None:
                x = act(x)
        return [x]

    return run


def _chain(model):
    """The Dense layers of ``model`` in order when it is a plain chain, else a reason."""
    from ..models.functional import Functional  # import cycle
    from ..models.sequential import Sequential  # import cycle

    if isinstance(model, Sequential):
        layers = list(model._stack)
    elif isinstance(model, Functional):
        if len(model._input_tensors) != 1 or len(model._output_tensors) != 1:
            return "the model has several inputs or outputs"
        layers, slot = [], 0
        for layer, single, _args, _kwargs, out_slots, _ in model._steps:
            if single != slot or len(out_slots) != 1:
                return "the layers do not form a single chain"
            layers.append(layer)
            slot = out_slots[0]
        if model._output_slots != [slot]:
            return "the layers do not form a single chain"
    else:
        return "the model is neither Sequential nor Functional"
    if not layers:
        return "the model has no layers"
    for layer in layers:
        if type(layer) is not Dense:
            return f"layer '{layer.name}' is a {type(layer).__name__}, not a Dense layer"
    return layers


# Methods a subclass could override to change what a forward call does.
_CALL_METHODS = ("__call__", "forward", "call", "_model_input", "_flat_outputs")
# ... and what an evaluation step does (with _STEP_METHODS, checked by the plan).
_TEST_METHODS = ("test_step", "_run_test_step")


def _model_reason(model, methods):
    """Why ``model`` is not a plain Sequential/Functional for the fused paths (``None``: it
    is one, and it overrides none of ``methods``)."""
    from ..models.functional import Functional  # import cycle
    from ..models.sequential import Sequential  # import cycle

    cls = type(model)
    base = Sequential if isinstance(model, Sequential) else Functional
    if not isinstance(model, base):
        return "the model is neither Sequential nor Functional"
    for name in methods:
        if getattr(cls, name, None) is not getattr(base, name, None):
            return f"the model overrides {name}()"
    return None


def _layer_reason(layer):
    """Why a Dense ``layer`` does not run on the fused paths (``None``: it does)."""
    if (
        layer.quantization_mode is not None
        or layer.lora_enabled
        or layer._dtype != "float32"
        or layer.activity_regularizer is not None
        or layer._has_hooks()
        or not layer.built
        or layer.kernel.dtype != torch.float32
    ):
        return (
            f"layer '{layer.name}' is quantized, LoRA, mixed precision, hooked, unbuilt "
            "or has an activity regularizer"
        )
    return None


def _check(model):
    """``(reason, None)`` when the fused step does not apply, else ``(None, plan parts)``."""
    if not ENABLED:
        return "disabled", None
    reason = _model_reason(model, _STEP_METHODS)
    if reason is not None:
        return reason, None
    if model._jit_compile:
        return "jit_compile=True", None
    if model._runtime is not LOCAL:
        return "a distribution is active", None
    # (an evaluation before any fit plans too: the attributes ``fit`` sets may be missing)
    if model._grad_scaler is not None or getattr(model, "_scales_loss", False):
        return "the loss is scaled", None
    if any(
        getattr(w, "_keras_regularizer", None) is not None
        or getattr(w, "_keras_constraint", None) is not None
        for w in model.trainable_weights
    ):
        return "a weight has a regularizer or constraint", None
    if model.activity_regularizer is not None or model._has_hooks():
        return "the model has an activity regularizer or module hooks", None
    layers = _chain(model)
    if isinstance(layers, str):
        return layers, None
    acts = []
    for i, layer in enumerate(layers):
        reason = _layer_reason(layer) or (
            f"layer '{layer.name}' is frozen" if not layer.trainable else None
        )
        if reason is not None:
            return reason, None
        if i < len(layers) - 1:
            kind = _HIDDEN.get(layer.activation)
            if kind is None:
                return f"layer '{layer.name}' has an activation without a fused backward", None
            acts.append(kind)
    closs = model._compile_loss
    if len(closs.losses) != 1 or closs.weights != [1.0] or closs.trackers != [None]:
        return "the loss is not a single unweighted loss", None
    loss = closs.losses[0]
    if type(loss) not in _LOSS_TYPES or loss.fn not in _LOSS_KINDS:
        return "the loss is not a probability cross-entropy", None
    kind, out_act = _LOSS_KINDS[loss.fn]
    kw = dict(loss._fn_kwargs)
    smoothing = kw.pop("label_smoothing", 0.0) or 0.0
    if (
        kw.pop("from_logits", False)
        or kw.pop("axis", -1) != -1
        or kw.pop("ignore_class", None) is not None
        or kw
        or loss.reduction not in ("sum_over_batch_size", "mean")
        or loss._dtype != "float32"
    ):
        return "the loss has options without a fused backward", None
    if layers[-1].activation is not out_act:
        return f"the last layer's activation does not match the loss '{loss.name}'", None
    params = [p for layer in layers for p in (layer.kernel, layer.bias) if p is not None]
    if [id(p) for p in model.trainable_weights] != [id(p) for p in params]:
        return "the trainable weights are not exactly the Dense kernels and biases", None
    if any(p.dtype != torch.float32 for p in params):
        return "a weight is not float32", None
    return None, (layers, acts, kind, float(smoothing), params)


class _Plan:
    """The fused step of one model (made once per ``fit``)."""

    __slots__ = (
        "layers", "acts", "kind", "smoothing", "params", "in_dim", "steps", "_consts", "flat",
        "_metric_plan", "_kernels_t",
    )  # fmt: skip

    @classmethod
    def make(cls, model, flat=True):
        reason, parts = _check(model)
        if reason is not None:
            return None
        plan = cls()
        plan.layers = [(layer.kernel, layer.bias) for layer in parts[0]]
        plan.acts, plan.kind, plan.smoothing, plan.params = parts[1:]
        plan.in_dim = plan.layers[0][0].shape[0]
        plan.steps = 0
        plan._consts = {}
        plan.flat = FlatUpdate.make(model, plan.params) if flat else None
        # The kernels as the backward pass multiplies by them; kept while the flat layout
        # (checked every step) says the weights still live where these views point.
        plan._kernels_t = [kernel.detach().t() for kernel, _ in plan.layers]
        plan._metric_plan = (None, None, None)
        return plan

    def _seed(self, n, k, device):
        """The gradient reaching the binary per-sample losses, as autograd forms it:
        ``-1/n/k`` rounded in float32."""
        key = (n, k, device)
        seed = self._consts.get(key)
        if seed is None:
            one = torch.ones((), device=device)
            seed = self._consts[key] = float((one / n / k).neg())
        return seed

    def step(self, model, x, y, sample_weight):
        if not self._covers(x, y, sample_weight):
            return None
        t = y[0]
        with torch.no_grad():
            flat = self.flat
            if flat is not None and not flat.valid(model):
                flat = self.flat = None
            kernels_t = self._kernels_t if flat is not None else None
            out, log_y = self._forward(x)
            parts = self._loss(t, out[-1], log_y)
            if parts is None:
                return None
            loss, g = parts
            if flat is not None:
                self._backward(out, g, flat.grad_views, kernels_t)
                flat.apply()
            else:
                grads = self._backward(out, g, None, None)
                for p, gp in zip(self.params, grads):
                    p.grad = gp
        self.steps += 1
        if flat is None:
            model._apply_optimizer_step()
        self._update_metrics(model, loss, x, y, out[-1])
        return loss

    def evaluate(self, model, x, y, sample_weight):
        """One fused evaluation step: the loss (``None``: the general step must run)."""
        if not self._covers(x, y, sample_weight):
            return None
        with torch.no_grad():
            out, log_y = self._forward(x)
            parts = self._loss(y[0], out[-1], log_y, grad=False)
            if parts is None:
                return None
        self._update_metrics(model, parts[0], x, y, out[-1])
        return parts[0]

    def _covers(self, x, y, sample_weight):
        """Whether this batch is one the fused step handles."""
        return not (
            sample_weight is not None
            or type(x) is not torch.Tensor
            or x.dtype != torch.float32
            or x.dim() != 2
            or x.shape[1] != self.in_dim
            or x.shape[0] == 0
            or y is None
            or len(y) != 1
            or torch.is_autocast_enabled()
        )

    def _update_metrics(self, model, loss, x, y, y_pred):
        """``Trainer._update_metrics`` with the accuracies counted directly (the same sums:
        whole numbers of matches, exact in float32)."""
        tracker, cm = model._loss_tracker, model._compile_metrics
        cached_cm, entries, plan = self._metric_plan
        if cm is not cached_cm or cm.entries is not entries:
            plan = [(m, _ACCURACIES.get(type(m))) for _, m, _ in cm.entries]
            self._metric_plan = (cm, cm.entries, plan)
        device = y_pred.device
        if tracker.total.device != device or any(
            getattr(m, "device", device) != device for m, _ in plan
        ):
            model._update_metrics(loss, x, y, [y_pred], None)  # moves the states first
            return
        n = y_pred.shape[0]
        with torch.no_grad():
            tracker.total.add_(loss, alpha=n)
            tracker.count.add_(n)
            t = y[0]
            for metric, kind in plan:
                if kind == "categorical" and t.shape == y_pred.shape and not metric._fn_kwargs:
                    hits = t.argmax(dim=-1) == y_pred.argmax(dim=-1)
                elif kind == "sparse" and t.dim() == 1 and not metric._fn_kwargs:
                    labels = t if t.dtype == torch.float32 else t.float()
                    hits = labels == y_pred.argmax(dim=-1).float()
                else:
                    metric.update_state(t, y_pred)
                    continue
                metric.total.add_(hits.sum())
                metric.count.add_(n)

    # -------------------------------------------------------------- passes
    def _forward(self, x):
        """The input and every layer's output (after its activation), and the log of the
        softmax output (``None`` for the sigmoid one). Activations run in place on the
        fresh ``addmm`` results."""
        out = [x]
        last = len(self.layers) - 1
        log_y = None
        for i, (kernel, bias) in enumerate(self.layers):
            z = torch.addmm(bias, x, kernel) if bias is not None else torch.mm(x, kernel)
            if i < last:
                act = self.acts[i]
                if act == "relu":
                    x = z.relu_()
                elif act == "tanh":
                    x = z.tanh_()
                elif act == "sigmoid":
                    x = z.sigmoid_()
                else:
                    x = z
            elif self.kind == "binary":
                x = z.sigmoid_()
            else:
                log_y = torch.log_softmax(z, dim=-1)
                x = torch.exp(log_y)
            out.append(x)
        return out, log_y

    def _loss(self, t, y, log_y, grad=True):
        """The loss and its gradient w.r.t. the last layer's pre-activation (``None`` for
        the gradient when ``grad`` is false).

        Softmax + (sparse) categorical cross-entropy on probabilities, as Keras computes it:
        ``-sum(t * log(clip(y, eps, 1 - eps)))`` per sample, averaged over the batch. With
        ``log_y = log_softmax(z)`` the clipped log is ``log_y`` clamped to
        ``[log(eps), log(1 - eps)]`` (the same numbers up to float rounding, without a
        ``log`` of an underflowed zero), and the gradient autograd forms through the clip,
        the normalization and the softmax reduces to ``(y * sum(t') - t') / n``, where ``t'``
        is ``t`` with the clipped entries zeroed (the clip passes no gradient there). Five
        kernels instead of about twenty; equal to the general step within float rounding.
        """
        kind = self.kind
        n = y.shape[0]
        if kind == "binary":
            return self._binary_loss(t, y, n, grad)
        consts = self._scalars(n)
        if kind == "sparse":
            if t.dim() == 2 and t.shape[1] == 1:
                t = t.squeeze(1)
            if t.shape != y.shape[:1]:
                return None
            if t.dtype != torch.float32:
                t = t.float()  # as Loss.__call__ casts targets first
            labels = t.long().unsqueeze(1)
            picked = log_y.gather(1, labels)
            clipped = torch.clamp(picked, _LOG_EPS, _LOG_ONE_MINUS_EPS)
            total = clipped.sum()
            if not grad:
                return total.mul_(consts[0]), None
            kept = (clipped == picked) * consts[1]  # 1/n where the clip passes gradient
            g = y * kept
            g.scatter_add_(1, labels, kept.neg_())
            return total.mul_(consts[0]), g
        t = self._dense_targets(t, y, y.shape[-1])
        if t is None:
            return None
        clipped = torch.clamp(log_y, _LOG_EPS, _LOG_ONE_MINUS_EPS)
        total = torch.dot(t.reshape(-1), clipped.reshape(-1))
        if not grad:
            return total.mul_(consts[0]), None
        kept = t * (clipped == log_y)
        g = torch.addcmul(kept, y, kept.sum(-1, keepdim=True), value=-1.0)
        return total.mul_(consts[0]), g.mul_(consts[0])

    def _dense_targets(self, t, y, classes):
        """Targets shaped like the predictions ``y``, float32, label smoothing applied
        (``t * (1 - s) + s / classes``), or ``None`` when their shape does not fit."""
        if t.dim() == 1 and y.shape[1] == 1:
            t = t.unsqueeze(-1)
        if t.shape != y.shape:
            return None
        if t.dtype != torch.float32:
            t = t.float()
        if self.smoothing:
            s = self.smoothing
            t = t * (1.0 - s) + s / classes
        return t

    def _scalars(self, n):
        """``(-1/n, 1/n)`` rounded in float32 as the general step rounds them."""
        got = self._consts.get(n)
        if got is None:
            inv = float(torch.ones(()) / n)
            got = self._consts[n] = (-inv, inv)
        return got

    def _binary_loss(self, t, y, n, grad):
        """Sigmoid + binary cross-entropy with autograd's kernels in autograd's order (the
        gradient ``None`` when ``grad`` is false)."""
        t = self._dense_targets(t, y, 2)  # Keras: 0.5 * s, the same number
        if t is None:
            return None
        p = torch.clamp(y, EPSILON, 1.0 - EPSILON)
        neg_p = -p
        bce = -(t * torch.log(p) + (1.0 - t) * torch.log1p(neg_p))
        per = bce.mean(dim=-1)
        loss = per.sum() / n
        if not grad:
            return loss, None
        g = self._seed(n, y.shape[-1], y.device)
        g_p = (g * t) / p - (g * (1.0 - t)) / (neg_p + 1)
        g_p = torch.where(p == y, g_p, 0.0)
        return loss, torch.ops.aten.sigmoid_backward(g_p, y)

    def _backward(self, out, g, into, kernels_t):
        """Kernel and bias gradients in parameter order (written into the views ``into``
        when given). ``kernels_t``: the kernels' transposed views, when they are known to
        still be the weights' storage."""
        grads = []
        k = len(self.params)
        for i in range(len(self.layers) - 1, -1, -1):
            kernel, bias = self.layers[i]
            if into is None:
                if bias is not None:
                    grads.append(g.sum(0))
                grads.append(out[i].t().mm(g))
            else:
                if bias is not None:
                    k -= 1
                    torch.sum(g, 0, out=into[k])
                k -= 1
                torch.mm(out[i].t(), g, out=into[k])
            if i:
                g = g.mm(kernels_t[i] if kernels_t is not None else kernel.t())
                act, h = self.acts[i - 1], out[i]
                if act == "relu":
                    g = torch.ops.aten.threshold_backward(g, h, 0)
                elif act == "tanh":
                    g = torch.ops.aten.tanh_backward(g, h)
                elif act == "sigmoid":
                    g = torch.ops.aten.sigmoid_backward(g, h)
        grads.reverse()
        return grads
