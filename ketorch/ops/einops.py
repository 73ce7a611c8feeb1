"""``keras.ops.einops``: ``rearrange`` with the einops pattern language.

A pattern ``"left -> right"`` names the axes of the input (left) and of the output (right).
Axis names are identifiers; ``(a b)`` is one axis made of ``a`` and ``b`` (``a`` varying
slowest); ``...`` stands for any number of axes (on the right it may also be grouped,
``(...)``); ``1`` and ``()`` are axes of length 1. Both sides must use the same names.
"""

from __future__ import annotations

import functools
import math as _pymath
import re

from ._common import to_tensor
from .operation import keras_op

__all__ = ["rearrange"]

_ELLIPSIS = "..."
_TOKENS = re.compile(r"\.\.\.|…|\(|\)|[^\s()]+")


def _members(group):
    return (_ELLIPSIS,) if group == _ELLIPSIS else group


def _error(message, pattern):
    return ValueError(f"ops.rearrange: {message}. Received: pattern={pattern!r}")


def _parse_side(text, pattern, side):
    """One side of a pattern: a tuple of groups, each a tuple of axis names."""
    groups, current = [], None
    for token in _TOKENS.findall(text):
        if token == "(":
            if current is not None:
                raise _error("nested parentheses are not allowed", pattern)
            current = []
        elif token == ")":
            if current is None:
                raise _error("unbalanced parentheses", pattern)
            groups.append(tuple(current))
            current = None
        else:
            if token == "…":
                token = _ELLIPSIS
            if token == _ELLIPSIS:
                if current is not None and side == "left":
                    raise _error(
                        "an ellipsis inside parentheses is only allowed on the right", pattern
                    )
                name = _ELLIPSIS
            elif token == "1":
                name = None  # a unit axis: contributes nothing
            elif token.isidentifier():
                name = token
            elif token.isdigit():
                raise _error(
                    f"anonymous axes other than 1 are not allowed (found {token!r})", pattern
                )
            else:
                raise _error(f"{token!r} is not a valid axis name", pattern)
            if current is not None:
                if name is not None:
                    current.append(name)
            elif name == _ELLIPSIS:
                groups.append(_ELLIPSIS)  # top level: stands for separate axes
            else:
                groups.append(() if name is None else (name,))
    if current is not None:
        raise _error("unbalanced parentheses", pattern)
    names = [n for g in groups for n in _members(g)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _error(f"axes {repeated} appear more than once on the {side} side", pattern)
    return tuple(groups)


@functools.lru_cache(maxsize=256)
def _parse(pattern):
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise _error("the pattern must have the form 'left -> right'", pattern)
    left_text, right_text = pattern.split("->")
    left = _parse_side(left_text, pattern, "left")
    right = _parse_side(right_text, pattern, "right")
    left_names = {n for g in left for n in _members(g)}
    right_names = {n for g in right for n in _members(g)}
    if left_names != right_names:
        only_left = sorted(left_names - right_names)
        only_right = sorted(right_names - left_names)
        raise _error(
            f"both sides must name the same axes (only on the left: {only_left}, only on the "
            f"right: {only_right})",
            pattern,
        )
    return left, right


def _expand(groups, n_ellipsis):
    """Replace ``...`` with ``n_ellipsis`` internal axis names: separate axes at top level,
    merged into one inside parentheses."""
    names = tuple(f"…{i}" for i in range(n_ellipsis))
    out = []
    for g in groups:
        if g == _ELLIPSIS:
            out.extend((n,) for n in names)
        elif _ELLIPSIS in g:
            i = g.index(_ELLIPSIS)
            out.append(g[:i] + names + g[i + 1 :])
        else:
            out.append(g)
    return out


@keras_op
def rearrange(tensor, pattern, **axes_lengths):
    """Reorder, merge and split axes with an einops pattern.

    Args:
        tensor: Input tensor (a list of tensors is stacked on a new first axis).
        pattern: ``"left -> right"``, e.g. ``"b h w c -> b c h w"``, ``"b (h p) w -> b h (p w)"``
            or ``"b ... c -> b c ..."``.
        **axes_lengths: Sizes of axes that cannot be inferred (one unknown size per group of
            the left side is inferred).

    Returns:
        The rearranged tensor (a view of ``tensor`` where possible).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.rearrange(torch.zeros(2, 6, 5), "b (h p) w -> (b h) p w", p=3).shape
    torch.Size([4, 3, 5])
    """
    left, right = _parse(pattern)
    x = to_tensor(tensor)
    has_ellipsis = _ELLIPSIS in left
    if has_ellipsis:
        n_ellipsis = x.ndim - (len(left) - 1)
        if n_ellipsis < 0:
            raise _error(f"the input has rank {x.ndim}, fewer axes than the pattern names", pattern)
    else:
        n_ellipsis = 0
        if x.ndim != len(left):
            raise _error(
                f"the input has rank {x.ndim} but the left side names {len(left)} axes", pattern
            )
    left = _expand(left, n_ellipsis)
    right = _expand(right, n_ellipsis)
    names = {n for g in left for n in g}
    lengths = {}
    for name, value in axes_lengths.items():
        if name not in names:
            raise _error(f"axis {name!r} given in axes_lengths is not in the pattern", pattern)
        lengths[name] = int(value)
    for group, dim in zip(left, x.shape):
        unknown = [n for n in group if n not in lengths]
        known = _pymath.prod(lengths[n] for n in group if n in lengths)
        if len(unknown) > 1:
            raise _error(
                f"cannot infer the sizes of {unknown} from one axis of size {dim}; pass all but "
                "one of them as keyword arguments",
                pattern,
            )
        if unknown:
            if known <= 0 or dim % known:
                raise _error(
                    f"axis of size {dim} cannot be split into {group} with the given sizes",
                    pattern,
                )
            lengths[unknown[0]] = dim // known
        elif known != dim:
            raise _error(
                f"axis of size {dim} does not match the sizes of {group} (product {known})",
                pattern,
            )
    elementary = [n for g in left for n in g]
    split_shape = tuple(lengths[n] for n in elementary)
    if split_shape != tuple(x.shape):
        x = x.reshape(split_shape)
    order = [elementary.index(n) for g in right for n in g]
    if order != list(range(len(order))):
        x = x.permute(order)
    out_shape = tuple(_pymath.prod(lengths[n] for n in g) for g in right)
    if out_shape != tuple(x.shape):
        x = x.reshape(out_shape)
    return x
