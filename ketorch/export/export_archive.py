"""``ExportArchive``: named inference endpoints written as ``torch.export`` programs."""

from __future__ import annotations

import contextlib
import json
import os
import warnings

import torch

from ..backend._core import torch_dtype
from ..layers.layer import Layer
from ..saving.export import plain_parameters
from ..saving.file_utils import atomic_path, path_str

FORMATS = ("torch_export",)
MANIFEST = "manifest.json"


class _Endpoint(torch.nn.Module):
    """Positional tensors in, ``fn``'s outputs out; the tracked layers are submodules, so
    their weights become parameters of the exported program instead of constants."""

    def __init__(self, fn, resources):
        super().__init__()
        self.fn = fn
        self.resources = torch.nn.ModuleList(resources)

    def forward(self, *args):
        return self.fn(*args)


def _is_shape(entry) -> bool:
    return isinstance(entry, (list, tuple)) and all(d is None or isinstance(d, int) for d in entry)


def _spec_of(spec):
    """A signature entry as ``(shape, dtype)``, or a list/dict of them for a structured
    argument (e.g. ``[spec_a, spec_b]`` for a model with two inputs)."""
    if isinstance(spec, dict):
        return {key: _spec_of(value) for key, value in spec.items()}
    if not hasattr(spec, "shape") and isinstance(spec, (list, tuple)) and not _is_shape(spec):
        return [_spec_of(value) for value in spec]
    shape = getattr(spec, "shape", spec)
    if shape is None or not _is_shape(shape):
        raise ValueError(f"Every input signature entry needs a shape. Received: {spec!r}")
    dtype = getattr(spec, "dtype", None) or "float32"
    return tuple(None if d is None else int(d) for d in shape), str(dtype)


def _map_specs(fn, spec):
    if isinstance(spec, dict):
        return {key: _map_specs(fn, value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_map_specs(fn, value) for value in spec]
    return fn(*spec)


def _describe(spec):
    return _map_specs(lambda shape, dtype: {"shape": list(shape), "dtype": dtype}, spec)


def _example(shape, dtype) -> torch.Tensor:
    concrete = tuple(2 if d is None else d for d in shape)
    tdtype = torch_dtype(dtype)
    if tdtype.is_floating_point:
        generator = torch.Generator().manual_seed(0)
        return torch.rand(concrete, generator=generator).to(tdtype)
    return torch.zeros(concrete, dtype=tdtype)


def _dynamic_axes(shape, dtype):
    return {axis: torch.export.Dim.AUTO for axis, d in enumerate(shape) if d is None} or None


def _layers_used_by(fn) -> list[Layer]:
    """Layers an endpoint visibly uses: a bound method's owner and closure variables."""
    found = []
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, Layer):
        found.append(owner)
    for cell in getattr(fn, "__closure__", None) or ():
        with contextlib.suppress(ValueError):  # an empty cell
            if isinstance(cell.cell_contents, Layer):
                found.append(cell.cell_contents)
    return found


class ExportArchive:
    """Collects inference endpoints of layers and models and writes them for serving.

    Keras writes a TensorFlow SavedModel; ketorch has no TensorFlow, so it writes a folder
    with one ``torch.export`` program per endpoint (``<name>.pt2``, reloaded with
    ``torch.export.load(path).module()``), the variable collections in ``variables.pt``
    (``torch.load(..., weights_only=True)``) and a ``manifest.json`` describing the
    endpoints. Dimensions given as ``None`` in an input signature stay dynamic where the
    computation allows it. For ONNX or TorchScript files use ``model.export``.

    Args:
        format: ``"torch_export"`` (the default and only format; Keras's
            ``"saved_model"`` needs TensorFlow).

    Example:
        >>> import os, tempfile
        >>> import torch
        >>> import ketorch as keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> archive = keras.export.ExportArchive()
        >>> archive.track(model)
        >>> _ = archive.add_endpoint(
        ...     "serve", model, input_signature=[keras.InputSpec(shape=(None, 3))])
        >>> path = os.path.join(tempfile.mkdtemp(), "exported")
        >>> archive.write_out(path, verbose=False)
        >>> program = torch.export.load(os.path.join(path, "serve.pt2")).module()
        >>> x = torch.ones(5, 3)
        >>> bool(torch.allclose(program(x), model(x, training=False)))
        True
    """

    def __init__(self, format: str = "torch_export"):
        if format not in FORMATS:
            raise ValueError(
                f"Unsupported format: {format!r}. ketorch writes {list(FORMATS)} archives "
                "(a TensorFlow SavedModel needs TensorFlow)."
            )
        self.format = format
        self._tracked: list[Layer] = []
        self._endpoints: dict[str, tuple] = {}
        self._collections: dict[str, list] = {}

    # ----------------------------------------------------------------- registration
    def track(self, resource) -> None:
        """Registers a layer or model whose weights the endpoints use.

        Endpoints built from a layer's own method or from a function that closes over a
        layer find it without this call; other functions need their layers tracked.

        Args:
            resource: A built ketorch ``Layer`` or ``Model``.
        """
        if not isinstance(resource, Layer):
            raise ValueError(
                "Invalid resource type. Expected a ketorch `Layer` or `Model`. "
                f"Received: {resource!r} of type {type(resource)}"
            )
        if not resource.built:
            raise ValueError(
                "The layer provided has not yet been built. It must be built before export. "
                f"Received: {resource!r}"
            )
        if all(resource is not r for r in self._tracked):
            self._tracked.append(resource)

    @property
    def variables(self) -> list:
        """The weights of the tracked layers."""
        return [w for layer in self._tracked for w in layer.weights]

    @property
    def trainable_variables(self) -> list:
        return [w for layer in self._tracked for w in layer.trainable_weights]

    @property
    def non_trainable_variables(self) -> list:
        return [w for layer in self._tracked for w in layer.non_trainable_weights]

    def add_endpoint(self, name: str, fn, input_signature=None, **kwargs):
        """Registers ``fn`` as endpoint ``name``, called with one tensor per signature entry.

        Args:
            name: Endpoint name (also the program's file name, ``<name>.pt2``).
            fn: A callable of tensors (a model, a layer's method, a lambda...).
            input_signature: A list with one entry per positional argument of ``fn``: an
                ``InputSpec``, ``KerasTensor`` or shape tuple, or a list/dict of them for an
                argument that is a structure (``[[spec_a, spec_b]]`` for a two-input
                model). ``None`` dimensions are exported as dynamic.
            **kwargs: Not supported (Keras passes them to ``tf.function`` or jax2tf).

        Returns:
            ``fn``.
        """
        if name in self._endpoints:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Endpoint names must be Python identifiers. Received: name={name!r}")
        if kwargs:
            raise ValueError(f"Unsupported keyword arguments for a torch export: {sorted(kwargs)}")
        if not callable(fn):
            raise ValueError(f"`fn` must be callable. Received: fn={fn!r}")
        if input_signature is None:
            raise ValueError(
                "You must provide an `input_signature` when exporting with ketorch, e.g. "
                "`input_signature=[keras.InputSpec(shape=(None, 3))]`. "
                f"Received: input_signature={input_signature}"
            )
        if not isinstance(input_signature, (list, tuple)):
            input_signature = [input_signature]
        specs = [_spec_of(s) for s in input_signature]
        for layer in _layers_used_by(fn) + ([fn] if isinstance(fn, Layer) else []):
            self.track(layer)
        self._endpoints[name] = (fn, specs)
        return fn

    def track_and_add_endpoint(self, name: str, resource, input_signature, **kwargs):
        """`track` ``resource`` and add it (its ``__call__``) as endpoint ``name``."""
        self.track(resource)
        return self.add_endpoint(name, resource, input_signature, **kwargs)

    def add_variable_collection(self, name: str, variables) -> None:
        """Saves a named list of variables alongside the endpoints (in ``variables.pt``).

        Args:
            name: Collection name.
            variables: A list of tensors or variables.
        """
        if not isinstance(variables, (list, tuple, set)):
            raise ValueError(
                "Expected `variables` to be a list/tuple/set. "
                f"Received: variables={variables!r} of type {type(variables)}"
            )
        variables = list(variables)
        for v in variables:
            if not isinstance(v, torch.Tensor):
                raise ValueError(
                    "Expected all elements in `variables` to be tensors or variables. "
                    f"Received: {v!r} of type {type(v)}"
                )
        self._collections[name] = variables

    # ----------------------------------------------------------------------- output
    def _export_endpoint(self, fn, specs):
        examples = tuple(_map_specs(_example, spec) for spec in specs)
        dynamic = tuple(_map_specs(_dynamic_axes, spec) for spec in specs)
        module = _Endpoint(fn, self._tracked)
        return torch.export.export(module, examples, dynamic_shapes={"args": dynamic})

    def write_out(self, filepath, options=None, verbose: bool = True) -> None:
        """Writes the archive folder: ``<endpoint>.pt2`` files, ``variables.pt`` and
        ``manifest.json``.

        Args:
            filepath: Folder to write (created if missing).
            options: Not supported (Keras passes TensorFlow SaveOptions).
            verbose: Print the endpoints written.
        """
        if options is not None:
            raise ValueError(f"`options` is not supported by ketorch. Received: {options!r}")
        if not self._endpoints:
            raise ValueError("No endpoints have been set yet. Call add_endpoint().")
        folder = path_str(filepath)
        os.makedirs(folder, exist_ok=True)
        manifest = {"format": self.format, "endpoints": {}, "variable_collections": {}}
        training_modes = [(layer, layer.training) for layer in self._tracked]
        try:
            for layer in self._tracked:
                layer.eval()
            with contextlib.ExitStack() as stack, warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                for layer in self._tracked:
                    stack.enter_context(plain_parameters(layer))
                for name, (fn, specs) in self._endpoints.items():
                    program = self._export_endpoint(fn, specs)
                    with atomic_path(os.path.join(folder, f"{name}.pt2")) as tmp:
                        torch.export.save(program, tmp)
                    manifest["endpoints"][name] = {
                        "file": f"{name}.pt2",
                        "inputs": [_describe(spec) for spec in specs],
                    }
        finally:
            for layer, mode in training_modes:
                layer.train(mode)
        collections = {
            name: [v.detach().cpu().clone() for v in variables]
            for name, variables in self._collections.items()
        }
        manifest["variable_collections"] = {k: len(v) for k, v in collections.items()}
        with atomic_path(os.path.join(folder, "variables.pt")) as tmp:
            torch.save(collections, tmp)
        with atomic_path(os.path.join(folder, MANIFEST)) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(manifest, f, indent=2)
        if verbose:
            print(f"Saved artifact at '{folder}'. Endpoints (torch.export programs):")
            for name, entry in manifest["endpoints"].items():
                print(f"* {name}: {entry['file']} inputs={entry['inputs']}")
