"""Drawing a model's layer graph with graphviz (`plot_model`, `model_to_dot`)."""

from __future__ import annotations

import html
import os
import shutil
from typing import Any

from ..layers.input_layer import InputLayer

_INSTALL_PYDOT = (
    "You must install pydot (`pip install pydot`) for `plot_model` to work; it also needs "
    "the graphviz `dot` program."
)
_INSTALL_DOT = (
    "`plot_model` needs the graphviz `dot` program, which was not found on the PATH. Install "
    "graphviz (`apt-get install graphviz`, `brew install graphviz`, `conda install graphviz`, "
    "or the installer from graphviz.org) and try again."
)


def _import_pydot() -> Any:
    try:
        import pydot
    except ImportError as e:
        raise ImportError(_INSTALL_PYDOT) from e
    return pydot


def _check_dot() -> None:
    if shutil.which("dot") is None:
        raise OSError(_INSTALL_DOT)


def _format_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return ", ".join(_format_shape(s) for s in shape)
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {_format_shape(v)}" for k, v in shape.items())
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _shape_of(layer: Any, attr: str) -> str:
    try:
        return _format_shape(getattr(layer, attr))
    except (AttributeError, ValueError, TypeError, IndexError):
        return "?"


def _label(layer: Any, options: dict[str, bool]) -> str:
    """An HTML-like graphviz label: a title row, then one row per requested detail."""
    cls = type(layer).__name__
    title = f"{layer.name} ({cls})" if options["show_layer_names"] else cls
    rows = [f'<TR><TD COLSPAN="2"><B>{html.escape(title)}</B></TD></TR>']
    details = []
    if options["show_layer_activations"]:
        activation = getattr(layer, "activation", None)
        if activation is not None:
            name = getattr(activation, "__name__", type(activation).__name__)
            details.append(("Activation", name))
    if options["show_dtype"]:
        details.append(("dtype", str(getattr(layer, "dtype", "?"))))
    if options["show_shapes"]:
        if cls != "InputLayer":
            details.append(("Input shape", _shape_of(layer, "input_shape")))
        details.append(("Output shape", _shape_of(layer, "output_shape")))
    if options["show_trainable"]:
        details.append(("Trainable", str(getattr(layer, "trainable", "?"))))
    for key, value in details:
        rows.append(f"<TR><TD>{html.escape(key)}</TD><TD>{html.escape(value)}</TD></TR>")
    table = '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
    return f"<{table}{''.join(rows)}</TABLE>>"


def _graph_layers(model: Any) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """The model's layers (InputLayers included) and its (source, target) layer edges."""

    input_layer = getattr(model, "_input_layer", None)
    if hasattr(model, "_stack"):  # Sequential: a chain
        layers = ([input_layer] if input_layer is not None else []) + list(model.layers)
        return layers, list(zip(layers[:-1], layers[1:]))
    layers = list(getattr(model, "_operations", model.layers))
    known = {id(layer) for layer in layers}
    edges = []
    for layer in layers:
        if isinstance(layer, InputLayer):
            continue
        for node in getattr(layer, "_inbound_nodes", []):
            parents = [t._keras_history[0] for t in node.input_tensors]
            if not parents or not all(id(p) in known for p in parents):
                continue  # a call of a shared layer in another model
            for parent in parents:
                if (parent, layer) not in edges:
                    edges.append((parent, layer))
    return layers, edges


def _is_model(layer: Any) -> bool:
    return hasattr(layer, "layers") and (hasattr(layer, "_stack") or hasattr(layer, "_steps"))


def _add_model(pydot: Any, graph: Any, model: Any, options: dict, prefix: str) -> tuple:
    """Adds the model's nodes and edges; returns its entry and exit node ids."""
    layers, edges = _graph_layers(model)
    ends: dict[int, tuple[list[str], list[str]]] = {}
    for layer in layers:
        node_id = f"{prefix}{id(layer)}"
        if options["expand_nested"] and _is_model(layer):
            cluster = pydot.Cluster(
                node_id, label=f"{layer.name} ({type(layer).__name__})", style="dashed"
            )
            inner = _add_model(pydot, cluster, layer, options, prefix=f"{node_id}_")
            graph.add_subgraph(cluster)
            ends[id(layer)] = inner
        else:
            graph.add_node(pydot.Node(node_id, label=_label(layer, options), shape="plain"))
            ends[id(layer)] = ([node_id], [node_id])
    for source, target in edges:
        for tail in ends[id(source)][1]:
            for head in ends[id(target)][0]:
                graph.add_edge(pydot.Edge(tail, head))
    targets = {id(t) for _, t in edges}
    sources = {id(s) for s, _ in edges}
    entry = [n for layer in layers if id(layer) not in targets for n in ends[id(layer)][0]]
    exits = [n for layer in layers if id(layer) not in sources for n in ends[id(layer)][1]]
    return entry, exits


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    **kwargs: Any,
) -> Any:
    """Builds the `pydot.Dot` graph of a model's layers (see `plot_model`).

    Returns:
        A `pydot.Dot` (or a `pydot.Cluster` when `subgraph=True`).
    """
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}. Received: {kwargs}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"`rankdir` must be 'TB' or 'LR'. Received: rankdir={rankdir!r}")
    if not getattr(model, "built", False):
        raise ValueError(
            "This model has not been built yet, so it has no graph to draw. Build it by "
            "calling it on data, or give it an `Input` first. "
            f"Received: model={getattr(model, 'name', model)!r} (unbuilt)"
        )
    pydot = _import_pydot()
    if subgraph:
        graph = pydot.Cluster(style="dashed", graph_name=model.name, label=model.name)
    else:
        graph = pydot.Dot()
        graph.set("rankdir", rankdir)
        graph.set("concentrate", True)
        graph.set("dpi", dpi)
        graph.set_node_defaults(shape="plain", fontname="Helvetica")
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "expand_nested": expand_nested,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    _add_model(pydot, graph, model, options, prefix="n")
    return graph


def plot_model(
    model: Any,
    to_file: str | os.PathLike = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    **kwargs: Any,
) -> Any:
    """Draws the model's layer graph to an image file.

    Needs the `pydot` package and the graphviz `dot` program; without them it
    raises ImportError or OSError saying what to install.

    Args:
        model: A built Sequential or Functional model.
        to_file: Output path; the extension picks the format (png, svg, pdf, ...).
        show_shapes: Show each layer's input and output shapes.
        show_dtype: Show each layer's dtype.
        show_layer_names: Show layer names next to their class names.
        rankdir: `"TB"` (top to bottom) or `"LR"` (left to right).
        expand_nested: Draw nested models' layers inside a dashed box.
        dpi: Image resolution.
        show_layer_activations: Show the activation of layers that have one.
        show_trainable: Show whether each layer is trainable.
        **kwargs: Nothing else is accepted.

    Returns:
        An `IPython.display.Image` of the file when IPython is installed (so a
        notebook shows it), otherwise None.

    Example:
        >>> import ketorch as keras
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        >>> keras.utils.plot_model(model, to_file="model.png", show_shapes=True)  # doctest: +SKIP
    """
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        **kwargs,
    )
    _check_dot()
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    directory = os.path.dirname(to_file)
    if directory:
        os.makedirs(directory, exist_ok=True)
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
