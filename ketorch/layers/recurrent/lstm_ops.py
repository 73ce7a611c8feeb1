"""LSTM kernels in Keras's weight layout: torch's fused kernel and a generic time loop.

All functions take batch-first inputs ``(batch, time, features)`` and return
``(outputs, h, c)`` where ``outputs`` is ``(batch, time, units)``.

Masks follow Keras 3: a masked step leaves ``h`` and ``c`` unchanged, and its
output is the previous output (zeros before the first unmasked step), or zeros
when ``zero_output_for_mask``. The fused path handles any mask by moving each
row's unmasked steps to the front (a stable sort), running the kernel, and
gathering every output back from the index of the last unmasked step.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


def _params(kernel, recurrent_kernel, bias):
    # torch wants (4U, D) / (4U, U): the transposes are free views. It adds two
    # biases; Keras has one, so the recurrent one is zeros (made per call, so a
    # tensor from an inference-mode call is never reused in a training graph).
    if bias is None:
        return [kernel.T, recurrent_kernel.T], False
    return [kernel.T, recurrent_kernel.T, bias, torch.zeros_like(bias)], True


def fused_lstm(x, h0, c0, kernel, recurrent_kernel, bias):
    """Unmasked LSTM with tanh/sigmoid through ``torch.lstm`` (oneDNN / cuDNN)."""
    params, has_bias = _params(kernel, recurrent_kernel, bias)
    out, h, c = torch.lstm(
        x,
        (h0.unsqueeze(0), c0.unsqueeze(0)),
        params,
        has_bias,
        1,
        0.0,
        torch.is_grad_enabled(),
        False,
        True,
    )
    return out, h[0], c[0]


def _fused_packed(x, lengths, h0, c0, kernel, recurrent_kernel, bias):
    """Fused LSTM over right-padded rows of ``lengths`` steps (exact final ``h``, ``c``)."""
    params, has_bias = _params(kernel, recurrent_kernel, bias)
    # pack_padded_sequence needs lengths on the host: one sync per call.
    packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), True, enforce_sorted=False)
    order, unorder = packed.sorted_indices, packed.unsorted_indices
    hx = (h0.index_select(0, order).unsqueeze(0), c0.index_select(0, order).unsqueeze(0))
    data, h, c = torch.lstm(
        packed.data,
        packed.batch_sizes,
        hx,
        params,
        has_bias,
        1,
        0.0,
        torch.is_grad_enabled(),
        False,
    )
    packed_out = PackedSequence(data, packed.batch_sizes, order, unorder)
    out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=x.shape[1])
    return out, h[0].index_select(0, unorder), c[0].index_select(0, unorder)


def fused_lstm_masked(x, mask, h0, c0, kernel, recurrent_kernel, bias, need_cell, zero_output):
    """Masked LSTM with tanh/sigmoid through the fused kernel.

    Args:
        x: ``(batch, time, features)``.
        mask: Bool ``(batch, time)``; True marks steps to process.
        need_cell: Whether exact final states are needed (``return_state`` or
            ``stateful``); this packs the sequences, which reads the lengths on
            the host. Otherwise no host sync happens.
        zero_output_for_mask: Output zeros at masked steps instead of the
            previous output.
    """
    order = torch.sort((~mask).to(torch.uint8), dim=1, stable=True).indices
    xc = x.gather(1, order.unsqueeze(-1).expand_as(x))
    count = mask.cumsum(1)  # unmasked steps seen so far, per row
    length = count[:, -1]
    if need_cell:
        out_c, h, c = _fused_packed(xc, length, h0, c0, kernel, recurrent_kernel, bias)
        seen = (length > 0).unsqueeze(-1)
        h, c = torch.where(seen, h, h0), torch.where(seen, c, c0)
    else:
        out_c, h, c = fused_lstm(xc, h0, c0, kernel, recurrent_kernel, bias)
        h = c = None
    idx = (count - 1).clamp(min=0)
    out = out_c.gather(1, idx.unsqueeze(-1).expand(-1, -1, out_c.shape[-1]))
    keep = mask if zero_output else count > 0
    out = out * keep.unsqueeze(-1).to(out.dtype)
    return out, h, c


def generic_lstm(
    x,
    h,
    c,
    kernel,
    recurrent_kernel,
    bias,
    activation,
    recurrent_activation,
    mask=None,
    input_masks=None,
    recurrent_masks=None,
    zero_output=False,
    return_sequences=True,
):
    """LSTM as a time loop, for any activations, masks and recurrent dropout.

    The input projection of all steps is one matmul before the loop.

    Args:
        mask: Optional bool ``(batch, time)``.
        input_masks: Optional dropout multipliers: ``(batch, features)`` shared
            by the four gates, or ``(4, batch, features)`` one per gate.
        recurrent_masks: Optional ``(4, batch, units)`` multipliers of ``h``,
            one per gate.
    """
    units = recurrent_kernel.shape[0]
    if input_masks is None:
        xp = x @ kernel
    elif input_masks.dim() == 2:
        xp = (x * input_masks.unsqueeze(1)) @ kernel
    else:
        blocks = kernel.split(units, dim=1)
        xp = torch.cat([(x * m.unsqueeze(1)) @ k for m, k in zip(input_masks, blocks)], dim=-1)
    if bias is not None:
        xp = xp + bias
    xp = xp.transpose(0, 1).contiguous()  # (time, batch, 4U): one slice per step
    rk_blocks = None
    if recurrent_masks is not None:
        rk_blocks = recurrent_kernel.view(units, 4, units).permute(1, 0, 2)  # (4, U, U)
    steps = mask.transpose(0, 1).unsqueeze(-1) if mask is not None else None
    act, ract = activation, recurrent_activation
    outs = []
    for t in range(xp.shape[0]):
        if rk_blocks is None:
            z = torch.addmm(xp[t], h, recurrent_kernel)
        else:
            rec = torch.bmm(h.unsqueeze(0) * recurrent_masks, rk_blocks)  # (4, B, U)
            z = xp[t] + rec.permute(1, 0, 2).reshape(h.shape[0], 4 * units)
        i, f, g, o = z.chunk(4, dim=1)
        c_new = ract(f) * c + ract(i) * act(g)
        h_new = ract(o) * act(c_new)
        if steps is None:
            h, c = h_new, c_new
        else:
            h = torch.where(steps[t], h_new, h)
            c = torch.where(steps[t], c_new, c)
        if return_sequences:
            outs.append(h)
    out = torch.stack(outs, dim=1) if return_sequences else h.unsqueeze(1)
    if mask is not None:
        # While carried, `h` equals the previous output, except before the first
        # unmasked step, where Keras outputs zeros rather than the initial state.
        keep = mask if zero_output else mask.cumsum(1) > 0
        if not return_sequences:
            keep = keep[:, -1:]
        out = out * keep.unsqueeze(-1).to(out.dtype)
    return out, h, c


def dropout_masks(shape, rate, count, like, generator=None):
    """Inverted-dropout multipliers: ``count`` masks of ``shape`` (or one when ``count`` is None)."""
    full = shape if count is None else (count, *shape)
    keep = 1.0 - rate
    if generator is None:
        m = torch.empty(full, dtype=like.dtype, device=like.device).bernoulli_(keep)
    else:
        m = torch.empty(full, dtype=like.dtype).bernoulli_(keep, generator=generator)
        m = m.to(like.device)
    return m / keep
