"""Single-state recurrent kernels (SimpleRNN, GRU) in Keras's weight layout.

Every function takes batch-first inputs ``(batch, time, features)`` and
returns ``(outputs, h)``: ``outputs`` is ``(batch, time, units)`` (or
``(batch, 1, units)`` for the loops when only the last step is wanted) and
``h`` the final state.

Masks follow Keras 3 (and :mod:`.lstm_ops`): a masked step keeps the state,
and its output is the previous output (zeros before the first unmasked step)
or zeros with ``zero_output``. The fused kernels handle any mask by moving
each row's unmasked steps to the front; since the state of these layers *is*
their output, the exact final state is read back from the outputs, so no
host sync is needed.
"""

from __future__ import annotations

import torch


def _zr_swap(w, units, dim):
    """Swap the first two ``units``-wide blocks: Keras's z, r, h -> torch's r, z, n."""
    z, r, h = w.split(units, dim=dim)
    return torch.cat([r, z, h], dim=dim)


def simple_rnn_params(kernel, recurrent_kernel, bias):
    """torch ``rnn_tanh``/``rnn_relu`` parameters (its second bias is zeros)."""
    if bias is None:
        return [kernel.T, recurrent_kernel.T], False
    return [kernel.T, recurrent_kernel.T, bias, torch.zeros_like(bias)], True


def gru_params(kernel, recurrent_kernel, bias):
    """torch ``gru`` parameters from a reset_after=True Keras GRU (copies, grads flow)."""
    units = recurrent_kernel.shape[0]
    params = [_zr_swap(kernel, units, 1).T, _zr_swap(recurrent_kernel, units, 1).T]
    if bias is None:
        return params, False
    return [*params, _zr_swap(bias[0], units, 0), _zr_swap(bias[1], units, 0)], True


def fused_simple_rnn(x, h0, kernel, recurrent_kernel, bias, relu=False):
    """Unmasked SimpleRNN with tanh (or relu) through torch's fused kernel."""
    params, has_bias = simple_rnn_params(kernel, recurrent_kernel, bias)
    fn = torch.rnn_relu if relu else torch.rnn_tanh
    out, h = fn(x, h0.unsqueeze(0), params, has_bias, 1, 0.0, torch.is_grad_enabled(), False, True)
    return out, h[0]


def fused_gru(x, h0, kernel, recurrent_kernel, bias):
    """Unmasked reset_after=True GRU with tanh/sigmoid through ``torch.gru``."""
    params, has_bias = gru_params(kernel, recurrent_kernel, bias)
    out, h = torch.gru(
        x, h0.unsqueeze(0), params, has_bias, 1, 0.0, torch.is_grad_enabled(), False, True
    )
    return out, h[0]


def fused_masked(run, x, mask, h0, zero_output):
    """Run the unmasked fused ``run(x, h0) -> (out, h)`` under a bool ``(batch, time)`` mask."""
    order = torch.sort((~mask).to(torch.uint8), dim=1, stable=True).indices
    xc = x.gather(1, order.unsqueeze(-1).expand_as(x))
    out_c, _ = run(xc, h0)
    count = mask.cumsum(1)  # unmasked steps seen so far, per row
    idx = (count - 1).clamp(min=0)
    out = out_c.gather(1, idx.unsqueeze(-1).expand(-1, -1, out_c.shape[-1]))
    length = count[:, -1:]
    h = out_c.gather(1, (length - 1).clamp(min=0).unsqueeze(-1).expand(-1, 1, out_c.shape[-1]))
    h = torch.where(length > 0, h[:, 0], h0)
    keep = mask if zero_output else count > 0
    return out * keep.unsqueeze(-1).to(out.dtype), h


def _finish(outs, h, mask, zero_output, return_sequences):
    out = torch.stack(outs, dim=1) if return_sequences else h.unsqueeze(1)
    if mask is not None:
        # While carried, `h` equals the previous output, except before the first
        # unmasked step, where Keras outputs zeros rather than the initial state.
        keep = mask if zero_output else mask.cumsum(1) > 0
        if not return_sequences:
            keep = keep[:, -1:]
        out = out * keep.unsqueeze(-1).to(out.dtype)
    return out, h


def _project(x, kernel, bias, input_masks, blocks):
    """Input projection of all steps at once, with per-sequence dropout masks."""
    if input_masks is None:
        xp = x @ kernel
    elif input_masks.dim() == 2:
        xp = (x * input_masks.unsqueeze(1)) @ kernel
    else:
        kb = kernel.split(kernel.shape[1] // blocks, dim=1)
        xp = torch.cat([(x * m.unsqueeze(1)) @ k for m, k in zip(input_masks, kb)], dim=-1)
    if bias is not None:
        xp = xp + bias
    return xp.transpose(0, 1).contiguous()  # (time, batch, k*U): one slice per step


def generic_simple_rnn(
    x,
    h,
    kernel,
    recurrent_kernel,
    bias,
    activation,
    mask=None,
    input_mask=None,
    recurrent_mask=None,
    zero_output=False,
    return_sequences=True,
):
    """SimpleRNN as a time loop, for any activation and recurrent dropout.

    Args:
        input_mask: Optional ``(batch, features)`` dropout multipliers.
        recurrent_mask: Optional ``(batch, units)`` multipliers of ``h``.
    """
    xp = _project(x, kernel, bias, input_mask, 1)
    steps = mask.transpose(0, 1).unsqueeze(-1) if mask is not None else None
    outs = []
    for t in range(xp.shape[0]):
        hr = h if recurrent_mask is None else h * recurrent_mask
        h_new = activation(torch.addmm(xp[t], hr, recurrent_kernel))
        h = h_new if steps is None else torch.where(steps[t], h_new, h)
        if return_sequences:
            outs.append(h)
    return _finish(outs, h, mask, zero_output, return_sequences)


def generic_gru(
    x,
    h,
    kernel,
    recurrent_kernel,
    bias,
    activation,
    recurrent_activation,
    reset_after=True,
    mask=None,
    input_masks=None,
    recurrent_masks=None,
    zero_output=False,
    return_sequences=True,
):
    """GRU as a time loop: any activations, both ``reset_after`` variants, recurrent dropout.

    Args:
        bias: None, ``(2, 3U)`` (input and recurrent biases, reset_after=True)
            or ``(3U,)`` (reset_after=False).
        input_masks: Optional dropout multipliers: ``(batch, features)`` shared
            by the gates, or ``(3, batch, features)`` one per gate.
        recurrent_masks: Optional ``(3, batch, units)`` multipliers of ``h``.
    """
    units = recurrent_kernel.shape[0]
    in_bias = rec_bias = None
    if bias is not None:
        in_bias, rec_bias = (bias[0], bias[1]) if bias.dim() == 2 else (bias, None)
    xp = _project(x, kernel, in_bias, input_masks, 3)
    rk_zr, rk_h = recurrent_kernel[:, : 2 * units], recurrent_kernel[:, 2 * units :]
    if recurrent_masks is not None:
        rk_blocks = recurrent_kernel.view(units, 3, units).permute(1, 0, 2)  # (3, U, U)
    steps = mask.transpose(0, 1).unsqueeze(-1) if mask is not None else None
    act, ract = activation, recurrent_activation
    outs = []
    for t in range(xp.shape[0]):
        x_z, x_r, x_h = xp[t].chunk(3, dim=1)
        if recurrent_masks is None:
            if reset_after:
                inner = h @ recurrent_kernel
                if rec_bias is not None:
                    inner = inner + rec_bias
                r_z, r_r, r_h = inner.chunk(3, dim=1)
            else:
                r_z, r_r = (h @ rk_zr).chunk(2, dim=1)
            z, r = ract(x_z + r_z), ract(x_r + r_r)
            hh_in = r * r_h if reset_after else (r * h) @ rk_h
        else:
            hm = h.unsqueeze(0) * recurrent_masks  # (3, B, U)
            if reset_after:
                inner = torch.bmm(hm, rk_blocks)
                if rec_bias is not None:
                    inner = inner + rec_bias.view(3, 1, units)
                r_z, r_r, r_h = inner.unbind(0)
            else:
                r_z, r_r = torch.bmm(hm[:2], rk_blocks[:2]).unbind(0)
            z, r = ract(x_z + r_z), ract(x_r + r_r)
            hh_in = r * r_h if reset_after else (r * hm[2]) @ rk_h
        hh = act(x_h + hh_in)
        h_new = z * h + (1.0 - z) * hh
        h = h_new if steps is None else torch.where(steps[t], h_new, h)
        if return_sequences:
            outs.append(h)
    return _finish(outs, h, mask, zero_output, return_sequences)
