"""The optimizer update of the fused Dense step (``fast_dense.py``) on flat buffers.

The weights, their gradients and each optimizer slot are moved into one tensor each; the
parameters and slots become views into those buffers and keep their identity, so
``get_weights``, saving and the optimizer's variables see the same objects. An element-wise
update rule then runs as a handful of kernels over one buffer instead of a handful per
weight, with the same number in every element.
"""

from __future__ import annotations

import torch

from .. import optimizers as optimizers_mod
from ..optimizers._helpers import f32, to_scalar

# Optimizers whose update is element-wise (no per-tensor norms or shapes): their update on
# one flat buffer holding every weight is the update of each weight, element by element.
_FLAT_OPTIMIZERS = tuple(
    getattr(optimizers_mod, name)
    for name in ("SGD", "RMSprop", "Adam", "AdamW", "Nadam", "Adamax", "Adagrad")
)


class FlatUpdate:
    """The optimizer's update on flat buffers: the weights, their gradients and each slot
    live in one tensor each (the parameters and slots become views into them, keeping
    their identity), so an element-wise update is a handful of kernels instead of a
    handful per weight. Made only where that changes no number."""

    __slots__ = (
        "opt", "params", "ptrs", "state", "groups", "flat_p", "flat_g", "grad_views", "slots",
        "slot_refs", "scratch",
    )  # fmt: skip

    @classmethod
    def make(cls, model, params):
        opt = model.optimizer
        if (
            type(opt) not in _FLAT_OPTIMIZERS
            or not model._ketorch_opt
            or not opt.built
            or len(opt.param_groups) != 1
            or [id(p) for p in opt.param_groups[0]["params"]] != [id(p) for p in params]
            or opt._step_hooks("pre")
            or opt._step_hooks("post")
            or opt.use_ema
            or opt.gradient_accumulation_steps
            or opt.loss_scale_factor is not None
            or opt.clipnorm
            or opt.global_clipnorm
            or opt._wd_excluded_ids
            or opt._wd_excluded_pattern is not None
            or len({p.device for p in params}) != 1
        ):
            return None
        names = [name for names, _ in opt._own_slot_groups() for name in names]
        for p in params:
            for name in names:
                slot = opt.state[p].get(name)
                if slot is None or slot.shape != p.shape or slot.dtype != p.dtype:
                    return None
        previous = model.__dict__.get("_fast_dense_flat")
        if previous is not None and previous.reusable(model, params):
            return previous  # the layout of the last run still holds: no copies
        self = cls()
        self.opt, self.params = opt, params
        self.flat_p = _flatten(params)
        self.slots = {name: [_flatten([opt.state[p][name] for p in params])] for name in names}
        self.flat_g = torch.empty_like(self.flat_p)
        self.scratch = []  # buffers the flat-buffer updates below write their temporaries to
        self.grad_views = _views(self.flat_g, params)
        self.ptrs = [p.data_ptr() for p in params]
        self.state, self.groups = opt.state, opt.param_groups
        self.slot_refs = [
            (p, name, opt.state[p][name], opt.state[p][name].data_ptr())
            for p in params
            for name in names
        ]
        model.__dict__["_fast_dense_flat"] = self
        return self

    def reusable(self, model, params):
        """Whether a later run (another ``fit``, each ``train_on_batch``) can keep this
        layout: the same weights and slot tensors, still views into these buffers."""
        if [id(p) for p in params] != [id(p) for p in self.params] or not self.valid(model):
            return False
        state = self.opt.state
        return all(
            state[p].get(name) is slot and slot.data_ptr() == ptr
            for p, name, slot, ptr in self.slot_refs
        )

    def valid(self, model):
        """Whether the layout still holds (nothing replaced a weight or the optimizer state)."""
        opt = self.opt
        if model.optimizer is not opt or opt.state is not self.state:
            return False
        if opt.param_groups is not self.groups:
            return False
        for p, ptr in zip(self.params, self.ptrs):
            if p.data_ptr() != ptr:
                return False
        return True

    def apply(self):
        """``Optimizer._apply`` on the flat buffers, in its order."""
        opt = self.opt
        grads = opt._clip_gradients([self.flat_g])
        scheduled_lr = opt._current_lr()
        scalars = opt._prepare_update(opt._update_count())
        group = opt.param_groups[0]
        lr = group["lr"] if scheduled_lr is None else scheduled_lr
        opt._apply_weight_decay([self.flat_p], group["weight_decay"], lr)
        update = _IN_PLACE.get(type(opt))
        if update is None or not update(self, opt, grads[0], lr, scalars):
            opt._update([self.flat_p], grads, self.slots, lr, scalars)
        opt._finish_step()

    def _buffers(self, k):
        """``k`` scratch buffers shaped like the flat weights (made once, then reused)."""
        while len(self.scratch) < k:
            self.scratch.append(torch.empty_like(self.flat_p))
        return self.scratch


# The update rules of the most used optimizers, written to keep their temporaries in the
# scratch buffers: the same kernels in the same order as the optimizer's own ``_update``
# (so the same numbers), without allocating a weight-sized tensor per temporary each step
# (a fresh allocation that size costs more than the arithmetic here). Each returns False
# when an option it does not cover is set; the optimizer's ``_update`` then runs.


def _rmsprop(flat, opt, grad, lr, scalars):
    if opt.centered or opt.momentum > 0 or isinstance(lr, torch.Tensor):
        return False
    (velocity,) = flat.slots["velocity"]
    denominator = flat._buffers(1)[0]
    velocity.mul_(opt.rho)
    velocity.addcmul_(grad, grad, value=1 - opt.rho)
    torch.add(velocity, opt.epsilon, out=denominator)
    denominator.sqrt_()
    flat.flat_p.addcdiv_(grad, denominator, value=-float(lr))
    return True


def _adam(flat, opt, grad, lr, scalars):
    if opt.amsgrad:
        return False
    alpha = to_scalar(f32(lr) * scalars["numerator"] / scalars["denominator"])
    if isinstance(alpha, torch.Tensor):
        return False
    (momentum,), (velocity,) = flat.slots["momentum"], flat.slots["velocity"]
    first, second = flat._buffers(2)[:2]
    momentum.mul_(opt.beta_1)
    momentum.add_(grad, alpha=1 - opt.beta_1)
    velocity.mul_(opt.beta_2)
    torch.mul(grad, grad, out=first)
    velocity.add_(first, alpha=1 - opt.beta_2)
    torch.sqrt(velocity, out=first)
    first.add_(opt.epsilon)
    torch.mul(momentum, alpha, out=second)
    second.div_(first)
    flat.flat_p.sub_(second)
    return True


_IN_PLACE = {
    optimizers_mod.RMSprop: _rmsprop,
    optimizers_mod.Adam: _adam,
    optimizers_mod.AdamW: _adam,  # AdamW's decay runs before, in _apply_weight_decay
}


def _views(flat, like):
    out, start = [], 0
    for t in like:
        n = t.numel()
        out.append(flat[start : start + n].view(t.shape))
        start += n
    return out


def _flatten(tensors):
    """One buffer holding ``tensors``, which become views into it (same objects, same values)."""
    flat = torch.cat([t.detach().reshape(-1) for t in tensors])
    for t, view in zip(tensors, _views(flat, tensors)):
        t.data = view
    return flat
