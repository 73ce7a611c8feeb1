"""``Model.quantize``: quantize every leaf layer that has a quantized form."""

from __future__ import annotations

import re
import warnings

from ..quantizers.gptq_core import calibrate
from ..quantizers.quantization_config import validate_and_resolve_config


def _selected(layer, filters) -> bool:
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(p, layer.name) for p in filters)
    return bool(filters(layer))


def quantize_model(model, mode=None, config=None, filters=None, **kwargs) -> None:
    """Quantize the leaf layers of ``model`` (see :meth:`Model.quantize`)."""

    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(
            f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}"
        )
    if filters is not None and not (isinstance(filters, (str, list, tuple)) or callable(filters)):
        raise ValueError(
            "The `filters` argument must be a regex string, a list of regex strings, or a "
            f"callable. Received: {type(filters)}"
        )
    resolved = validate_and_resolve_config(mode, config)
    changed = False
    for layer in model._flatten_layers():
        if not _selected(layer, filters) or len(layer._flatten_layers()) != 1:
            continue
        try:
            layer.quantize(mode, type_check=type_check, config=config)
            changed = True
        except NotImplementedError as e:
            warnings.warn(str(e), stacklevel=3)
    if resolved.mode in ("gptq", "awq"):
        structure = resolved.quantization_layer_structure
        if structure is None:
            structure = model.get_quantization_layer_structure(resolved.mode)
        if structure is None:
            raise ValueError(
                f"For mode='{resolved.mode}', a valid quantization structure must be provided "
                "either via `config.quantization_layer_structure` or by overriding "
                "`model.get_quantization_layer_structure(mode)`. The structure should be a "
                "dictionary with keys 'pre_block_layers' and 'sequential_blocks'."
            )
        calibrate(resolved, structure)
    if changed:
        for attr in ("train_function", "test_function", "predict_function"):
            if hasattr(model, attr):
                setattr(model, attr, None)
