"""``model.summary()``: Keras 3's box-drawn layer table and parameter totals."""

from __future__ import annotations

import shutil
import sys

from ..layers.input_layer import InputLayer


def _fmt_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_fmt_shape(v)}" for k, v in shape.items()) + "}"
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return "[" + ", ".join(_fmt_shape(s) for s in shape) + "]"
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _readable_size(num_bytes):
    units = ["B", "KB", "MB", "GB", "TB"]
    i = 0
    size = float(num_bytes)
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:.2f} {units[i]}"


def _count(weights):
    return int(sum(w.numel() for w in weights))


def _bytes(weights):
    return int(sum(w.numel() * w.element_size() for w in weights))


def _distribute(total, ratios):
    """Split ``total`` columns in proportion to ``ratios`` (rounding as rich does)."""
    out = []
    remaining_total, remaining_ratio = total, sum(ratios)
    for r in ratios:
        share = round(r * remaining_total / remaining_ratio) if remaining_ratio else 0
        out.append(share)
        remaining_total -= share
        remaining_ratio -= r
    return out


def _wrap(text, width):
    if len(text) <= width:
        return [text]
    lines, cur = [], ""
    for part in text.split(" "):
        if cur and len(cur) + 1 + len(part) > width:
            lines.append(cur)
            cur = part
        else:
            cur = f"{cur} {part}" if cur else part
        while len(cur) > width:
            lines.append(cur[:width])
            cur = cur[width:]
    if cur:
        lines.append(cur)
    return lines


def _layer_output_shape(layer):
    try:
        if layer._inbound_nodes:
            out = layer._inbound_nodes[-1].outputs
            if isinstance(out, (list, tuple)):
                return [t.shape for t in out]
            if isinstance(out, dict):
                return {k: t.shape for k, t in out.items()}
            return out.shape
    except (AttributeError, IndexError):
        pass
    return None


def _connected_to(layer, model):
    names = []
    if not layer._inbound_nodes:
        return ["-"]
    node = layer._inbound_nodes[-1]
    for t in node.input_tensors:
        src, node_index, tensor_index = t._keras_history
        names.append(f"{src.name}[{node_index}][{tensor_index}]")
    return names or ["-"]


def print_summary(
    model,
    line_length=None,
    positions=None,
    print_fn=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
):
    """Print (or pass to ``print_fn``) the summary table of ``model``."""
    from ..models.functional import Functional  # import cycle

    sequential_like = True
    if isinstance(model, Functional):
        sequential_like = _is_chain(model)
    layers = model._operations if isinstance(model, Functional) else model.layers
    if layer_range is not None:
        names = [layer.name for layer in layers]
        start, end = names.index(layer_range[0]), names.index(layer_range[1]) + 1
        layers = layers[start:end]

    if sequential_like:
        headers = ["Layer (type)", "Output Shape", "Param #"]
        positions = positions or [0.45, 0.80, 1.0]
        default_len = 88
    else:
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        default_len = 108
    if show_trainable:
        headers.append("Trainable")
        positions = [p * 0.88 for p in positions] + [1.0]
    if line_length is None:
        line_length = default_len
        term = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
        line_length = min(line_length, term - 4)
    if positions[-1] <= 1:
        positions = [int(p * line_length) for p in positions]
    bounds = [0, *positions]
    ratios = [b - a for a, b in zip(bounds, bounds[1:])]
    inner = _distribute(line_length - len(headers) - 1 - 2 * len(headers), ratios)
    inner = [max(w, 1) for w in inner]
    right = {"Param #"}

    def cell(text, width, header):
        return text.rjust(width) if header in right else text.ljust(width)

    def row(values, left, sep, end):
        wrapped = [_wrap(v, w) if isinstance(v, str) else v for v, w in zip(values, inner)]
        height = max(len(w) for w in wrapped)
        out = []
        for i in range(height):
            parts = [
                " " + cell(w[i] if i < len(w) else "", width, h) + " "
                for w, width, h in zip(wrapped, inner, headers)
            ]
            out.append(left + sep.join(parts) + end)
        return out

    def rule(left, mid, right_, fill):
        return left + mid.join(fill * (w + 2) for w in inner) + right_

    lines = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━")]
    lines += row(headers, "┃", "┃", "┃")
    lines.append(rule("┡", "╇", "┩", "━"))
    for i, layer in enumerate(layers):
        shape = _layer_output_shape(layer)
        built = layer.built
        params = f"{layer.count_params():,}" if built else "0 (unbuilt)"
        values = [f"{layer.name} ({type(layer).__name__})", _fmt_shape(shape), params]
        if not sequential_like:
            conns = _connected_to(layer, model)
            values.append([c + ("," if j < len(conns) - 1 else "") for j, c in enumerate(conns)])
        if show_trainable:
            values.append("Y" if layer.trainable else "N")
        lines += row(values, "│", "│", "│")
        if i < len(layers) - 1:
            lines.append(rule("├", "┼", "┤", "─"))
    lines.append(rule("└", "┴", "┘", "─"))

    trainable = model.trainable_weights if model.built else []
    non_trainable = model.non_trainable_weights if model.built else []
    opt_vars = _optimizer_variables(model)
    total = _count(trainable) + _count(non_trainable) + _count(opt_vars)
    total_bytes = _bytes(trainable) + _bytes(non_trainable) + _bytes(opt_vars)
    lines.append(f" Total params: {total:,} ({_readable_size(total_bytes)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({_readable_size(_bytes(trainable))})")
    lines.append(
        f" Non-trainable params: {_count(non_trainable):,} "
        f"({_readable_size(_bytes(non_trainable))})"
    )
    if opt_vars:
        lines.append(
            f" Optimizer params: {_count(opt_vars):,} ({_readable_size(_bytes(opt_vars))})"
        )
    text = "\n".join(lines)
    if print_fn is None:
        print(text)
    else:
        for line in lines:
            print_fn(line)
    return text


def _is_chain(model):
    """A Functional model drawn like a Sequential one: one input, one output, a chain."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    consumers = {}
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            continue
        if len(layer._inbound_nodes) != 1:
            return False
        inputs = layer._inbound_nodes[0].input_tensors
        if len(inputs) != 1:
            return False
        key = id(inputs[0])
        consumers[key] = consumers.get(key, 0) + 1
        if consumers[key] > 1:
            return False
    return True


def _optimizer_variables(model):
    opt = getattr(model, "optimizer", None)
    if opt is None or not getattr(opt, "built", False):
        return []
    try:
        return [v for v in opt.variables if hasattr(v, "numel")]
    except (AttributeError, TypeError):
        return []
