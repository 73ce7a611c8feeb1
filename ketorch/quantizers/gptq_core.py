"""Calibration for GPTQ and AWQ: the data, and the block-by-block pass over a model.

``model.quantize("gptq" | "awq", config)`` first gives every selected Dense its
quantized variables (the float kernel stays until calibrated), then runs
:func:`calibrate`: the calibration token windows go through ``pre_block_layers``; for
each of ``sequential_blocks`` in turn, one forward pass over the samples records the
inputs of the block's Dense layers (Hessians for GPTQ, per-channel max magnitudes for
AWQ), those layers are quantized, and the block's outputs (now from quantized layers)
become the next block's inputs.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import torch

from ..layers.core._quantized_layers import dense_set_calibrated
from ..layers.core.dense import Dense
from .awq import AWQ
from .gptq import GPTQ


def _to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def get_dataloader(tokenizer, sequence_length, dataset, num_samples=128, *, seed=42):
    """``num_samples`` token windows of ``sequence_length``, int32 ``(n, 1, length)``.

    Strings are tokenized with ``tokenizer.tokenize``; token arrays are used as they are.
    The tokens are concatenated (repeated when too few) and windows start at evenly
    strided positions shifted by an offset derived from ``seed``, as Keras picks them.
    """
    if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, bytes)):
        raise TypeError(
            "The `dataset` argument must be an iterable (e.g., a list of strings, a generator, "
            f"or a NumPy array). Got type: {type(dataset).__name__}. Please pass the loaded "
            "dataset directly."
        )
    items = list(dataset)
    if not items:
        raise ValueError("Provided dataset is empty.")
    if isinstance(items[0], str):
        pieces = [_to_numpy(tokenizer.tokenize(s)).reshape(-1) for s in items]
    else:
        pieces = [_to_numpy(s).reshape(-1).astype(np.int32, copy=False) for s in items]
    tokens = np.concatenate(pieces, axis=0).astype(np.int32, copy=False)
    needed = num_samples * sequence_length
    if tokens.size < needed:
        tokens = np.tile(tokens, math.ceil(needed / max(1, tokens.size)))
    max_start = tokens.size - sequence_length
    if max_start < 0:
        raise ValueError(
            f"Not enough tokens to form one sample of length {sequence_length} "
            f"(have {tokens.size})."
        )
    stride = max(1, (max_start + 1) // num_samples)
    offset = abs(hash(("gptq-calib", seed))) % (max_start + 1) if max_start > 0 else 0
    starts = (offset + np.arange(num_samples, dtype=np.int64) * stride) % (max_start + 1)
    windows = np.lib.stride_tricks.sliding_window_view(tokens, sequence_length)
    return windows[starts].astype(np.int32)[:, None, :]


def _block_layers(block, mode):
    """The block's leaf Dense layers prepared for ``mode`` and not yet calibrated."""

    found = {}
    for layer in block._flatten_layers():
        if len(layer._flatten_layers()) == 1 and isinstance(layer, Dense):
            if layer.quantization_mode == mode and not getattr(layer, "_calibrated", True):
                found[id(layer)] = layer
    return found


@contextmanager
def _recording(layers, recorders):
    handles = []
    try:
        for name, layer in layers.items():
            rec = recorders[name]
            handles.append(
                layer.register_forward_pre_hook(lambda _m, args, r=rec: r.update(args[0]))
            )
        yield
    finally:
        for h in handles:
            h.remove()


def _batched(x):
    return x[None] if x.dim() == 2 else x


def calibrate(config, structure) -> None:
    """Run the calibration pass of ``config.mode`` over ``structure`` (see module doc)."""

    mode = config.mode
    name = mode.upper()
    if config.dataset is None or config.tokenizer is None:
        raise ValueError(
            f"{name} quantization requires a dataset and a tokenizer. "
            f"Please provide them in the `{name}Config`."
        )
    pre_layers = structure.get("pre_block_layers", [])
    blocks = structure.get("sequential_blocks", [])
    if not blocks:
        raise ValueError("No sequential blocks found in the provided structure to quantize.")
    data = get_dataloader(
        config.tokenizer, config.sequence_length, config.dataset, num_samples=config.num_samples
    )[: config.num_samples]
    recorder_cls = GPTQ if mode == "gptq" else AWQ
    with torch.no_grad():
        inputs = []
        for sample in data:
            x = torch.as_tensor(sample, dtype=torch.int32)
            for layer in pre_layers:
                x = layer(x)
            inputs.append(x)
        n = min(config.num_samples, len(inputs))
        for index, block in enumerate(blocks):
            layers = _block_layers(block, mode)
            if layers:
                recorders = {k: recorder_cls(v, config) for k, v in layers.items()}
                with _recording(layers, recorders):
                    for i in range(n):
                        block(_batched(inputs[i]))
                for key, layer in layers.items():
                    dense_set_calibrated(layer, recorders[key].quantize())
                del recorders
            if index < len(blocks) - 1:
                inputs = [block(_batched(inputs[i]))[0] for i in range(n)]
