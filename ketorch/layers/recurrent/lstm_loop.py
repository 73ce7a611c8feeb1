"""An LSTM time loop with a hand-written backward, for activations torch's fused kernel lacks.

Keras 2 code often builds ``LSTM(recurrent_activation="hard_sigmoid")``, which ``torch.lstm``
(oneDNN / cuDNN) cannot run. Under autograd, the generic loop in ``lstm_ops`` records about
fifteen operators per timestep and as many backward nodes. Here one ``autograd.Function`` runs
the loop without recording anything (seven operators a step), keeps the gate activations, and
computes the backward pass through time by hand: everything that does not depend on the
recurrence (the activation derivatives, which are functions of the saved outputs) is computed
for all steps at once, leaving five operators a step, and the recurrent kernel's gradient is one
matmul over all steps.

Only unmasked sequences without recurrent dropout take this path; ``lstm.py`` sends the rest to
``generic_lstm``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import activations


def _between_0_and_1(y, slope):
    return ((y > 0) & (y < 1)).to(y.dtype) * slope


# activation -> derivative written in terms of the activation's output.
_DERIVATIVES = {
    activations.tanh: lambda y: 1 - y * y,
    torch.tanh: lambda y: 1 - y * y,
    activations.sigmoid: lambda y: y * (1 - y),
    torch.sigmoid: lambda y: y * (1 - y),
    activations.hard_sigmoid: lambda y: _between_0_and_1(y, 1.0 / 6.0),
    F.hardsigmoid: lambda y: _between_0_and_1(y, 1.0 / 6.0),
    activations.hard_sigmoid_keras2: lambda y: _between_0_and_1(y, 0.2),
    activations.linear: lambda y: torch.ones_like(y),
}


def supports(activation, recurrent_activation) -> bool:
    """Whether ``loop_lstm`` knows the derivatives of both activations."""
    return activation in _DERIVATIVES and recurrent_activation in _DERIVATIVES


class _LoopLSTM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xp, h0, c0, recurrent_kernel, act, ract):
        # xp: (time, batch, 4U), the input projection plus bias of every step.
        h, c = h0, c0
        hs, cs, gates, gs, cell_acts = [], [], [], [], []
        for t in range(xp.shape[0]):
            h, c, a, g, tc = _lstm_step(xp[t], h, c, recurrent_kernel, act, ract)
            hs.append(h)
            cs.append(c)
            gates.append(a)
            gs.append(g)
            cell_acts.append(tc)
        hs = torch.stack(hs)
        cs = torch.stack(cs)
        saved = (torch.stack(gates), torch.stack(gs), torch.stack(cell_acts))
        ctx.save_for_backward(h0, c0, recurrent_kernel, hs, cs, *saved)
        ctx.act, ctx.ract = act, ract
        ctx.set_materialize_grads(False)
        return hs, cs[-1]

    @staticmethod
    def backward(ctx, d_hs, d_c_last):
        h0, c0, recurrent_kernel, hs, cs, gates, g, cell_acts = ctx.saved_tensors
        time, batch, units = hs.shape
        dact, dract = _DERIVATIVES[ctx.act], _DERIVATIVES[ctx.ract]
        i, f, o = gates[..., :units], gates[..., units : 2 * units], gates[..., 3 * units :]
        c_prev = torch.cat([c0.unsqueeze(0), cs[:-1]])
        # Everything that does not depend on the recurrence, for all steps at once:
        # dz_{i,f,g} = dc * p_{i,f,g}; dz_o = dh * p_o; dc_t += dh * q.
        p = torch.cat([g * dract(i), c_prev * dract(f), i * dact(g)], dim=-1)
        p = p.view(time, batch, 3, units)
        p_o = cell_acts * dract(o)
        q = o * dact(cell_acts)
        dz = hs.new_empty(time, batch, 4 * units)
        dz_ifg = dz[..., : 3 * units].view(time, batch, 3, units)
        dz_o = dz[..., 3 * units :]
        rk_t = recurrent_kernel.t()
        dh = torch.zeros_like(h0) if d_hs is None else d_hs[-1].clone()
        dc = torch.zeros_like(c0) if d_c_last is None else d_c_last.clone()
        for t in range(time - 1, -1, -1):
            if t < time - 1 and d_hs is not None:
                dh = dh + d_hs[t]
            dc = torch.addcmul(dc, dh, q[t])
            torch.mul(p[t], dc.unsqueeze(1), out=dz_ifg[t])
            torch.mul(dh, p_o[t], out=dz_o[t])
            dc = dc * f[t]
            dh = torch.mm(dz[t], rk_t)
        h_prev = torch.cat([h0.unsqueeze(0), hs[:-1]])
        d_rk = h_prev.reshape(-1, units).t() @ dz.reshape(-1, 4 * units)
        return dz, dh, dc, d_rk, None, None


def loop_lstm(
    x, h0, c0, kernel, recurrent_kernel, bias, activation, recurrent_activation, sequences=True
):
    """LSTM over batch-first ``x`` with any activations in ``_DERIVATIVES``.

    Returns:
        ``(outputs (batch, time, U), h, c)``, as the functions of ``lstm_ops``.
    """
    xp = x @ kernel
    if bias is not None:
        xp = xp + bias
    xp = xp.transpose(0, 1).contiguous()
    if torch.is_grad_enabled() and _needs_grad(xp, h0, c0, recurrent_kernel):
        hs, c = _LoopLSTM.apply(xp, h0, c0, recurrent_kernel, activation, recurrent_activation)
        return hs.transpose(0, 1), hs[-1], c
    return _inference(xp, h0, c0, recurrent_kernel, activation, recurrent_activation, sequences)


def _lstm_step(xp_t, h, c, recurrent_kernel, act, ract):
    """One timestep: the new ``h`` and ``c``, and what backward needs (gates, g, act(c))."""
    units = recurrent_kernel.shape[0]
    z = torch.addmm(xp_t, h, recurrent_kernel)
    a = ract(z)  # i, f and o (the g block of `a` is unused)
    g = act(z[:, 2 * units : 3 * units])
    c = torch.addcmul(a[:, units : 2 * units] * c, a[:, :units], g)
    tc = act(c)
    return a[:, 3 * units :] * tc, c, a, g, tc


def _inference(xp, h, c, recurrent_kernel, act, ract, sequences):
    """The forward loop alone; outputs of every step only when ``sequences``."""
    hs = []
    for t in range(xp.shape[0]):
        h, c = _lstm_step(xp[t], h, c, recurrent_kernel, act, ract)[:2]
        if sequences:
            hs.append(h)
    out = torch.stack(hs, dim=1) if sequences else h.unsqueeze(1)
    return out, h, c


def _needs_grad(*tensors):
    return any(t.requires_grad for t in tensors)
