"""``model.export(...)``: a serving artifact that runs without ketorch's training code.

Formats:

- ``"onnx"``: an ONNX graph through ``torch.onnx.export`` (run it with
  onnxruntime). The batch axis is dynamic; inputs are named after the
  model's inputs.
- ``"torchscript"``: a traced ``torch.jit`` module (``torch.jit.load``).
- ``"torch_export"``: a ``torch.export`` program saved with
  ``torch.export.save`` (``.pt2``; load with ``torch.export.load``).
"""

from __future__ import annotations

import contextlib
import os
import warnings

import torch

from .. import backend
from ..backend._variable import Variable
from .file_utils import atomic_path, path_str

FORMATS = ("onnx", "torchscript", "torch_export")


class _Serving(torch.nn.Module):
    """Positional tensors in, a tensor or tuple of tensors out, inference mode."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        x = inputs[0] if len(inputs) == 1 else list(inputs)
        out = self.model(x, training=False)
        if isinstance(out, dict):
            return tuple(out.values())
        if isinstance(out, (list, tuple)):
            return tuple(out)
        return out


def _example_inputs(model, input_signature):
    if input_signature is not None:
        specs = input_signature if isinstance(input_signature, (list, tuple)) else [input_signature]
        shapes = [(getattr(s, "shape", s), getattr(s, "dtype", "float32")) for s in specs]
        names = [getattr(s, "name", None) or f"input_{i}" for i, s in enumerate(specs)]
    else:
        specs = model._input_specs()
        if not specs:
            raise ValueError(
                f"Model '{model.name}' has no known input shape, so it cannot be exported. "
                "Pass `input_signature=[keras.InputSpec(shape=...)]` or build the model with "
                "`keras.Input`. Received: input_signature=None"
            )
        names = [s[0] for s in specs]
        shapes = [(s[1], s[2]) for s in specs]

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    tensors = []
    for shape, dtype in shapes:
        dims = [2 if d is None else int(d) for d in shape]
        tdtype = backend.torch_dtype(backend.standardize_dtype(dtype or "float32"))
        tensors.append(torch.zeros(dims, dtype=tdtype, device=device))
    return names, tensors


def export_model(
    model, filepath, format: str = "onnx", input_signature=None, verbose=None, **kwargs
):
    """Export ``model`` for inference.

    Args:
        model: A built model.
        filepath: Output file (e.g. ``m.onnx``, ``m.pt``, ``m.pt2``).
        format: ``"onnx"``, ``"torchscript"`` or ``"torch_export"``.
        input_signature: Optional list of ``InputSpec``/shape tuples; defaults
            to the model's inputs.
        verbose: Ignored (Keras compatibility).
        **kwargs: For ``"onnx"``: ``opset_version``.

    Returns:
        The path written.

    Raises:
        ValueError: For an unknown format or an unbuilt model.
    """
    filepath = path_str(filepath)
    if format not in FORMATS:
        raise ValueError(
            f"`format` must be one of {list(FORMATS)} (TensorFlow SavedModel is not available "
            f"on PyTorch). Received: format={format!r}"
        )
    names, example = _example_inputs(model, input_signature)
    serving = _Serving(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = serving(*example)
        n_out = len(outputs) if isinstance(outputs, tuple) else 1
        with warnings.catch_warnings():
            # Tracing warns about deprecations and Python-side shape checks; neither matters.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            with plain_parameters(model):
                _write(format, serving, example, names, n_out, filepath, kwargs)
    finally:
        model.train(was_training)
    return filepath


@contextlib.contextmanager
def plain_parameters(module):
    """Present the model's weights as plain ``nn.Parameter``s while exporters trace it.

    ``torch.export`` treats a Parameter subclass as a tensor subclass it must trace through;
    the Keras variable API (``.assign``, ``.path``) is not needed inside an exported graph.
    """
    swapped = [p for p in module.parameters() if type(p) is Variable]
    for p in swapped:
        p.__class__ = torch.nn.Parameter
    try:
        yield
    finally:
        for p in swapped:
            p.__class__ = Variable


def _write(format, serving, example, names, n_out, filepath, kwargs):
    if format == "onnx":
        _export_onnx(serving, example, names, n_out, filepath, kwargs)
    elif format == "torchscript":
        traced = torch.jit.trace(serving, tuple(example), check_trace=False, strict=False)
        with atomic_path(filepath) as tmp:
            torch.jit.save(traced, tmp)
    else:
        batch = torch.export.Dim("batch", min=1)
        shapes = tuple({0: batch} for _ in example)
        program = torch.export.export(serving, tuple(example), dynamic_shapes={"inputs": shapes})
        with atomic_path(filepath) as tmp:
            torch.export.save(program, tmp)


def _export_onnx(serving, example, names, n_out, filepath, kwargs):
    output_names = [f"output_{i}" for i in range(n_out)]
    dynamic_axes = {name: {0: "batch"} for name in [*names, *output_names]}
    with atomic_path(filepath) as tmp:
        torch.onnx.export(
            serving,
            tuple(example),
            tmp,
            input_names=list(names),
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=kwargs.pop("opset_version", 17),
            dynamo=False,
        )
    if not os.path.exists(filepath):
        raise RuntimeError(f"ONNX export did not produce {filepath}.")
