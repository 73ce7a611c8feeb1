"""plot_model: a real PNG from graphviz, and clear errors when pydot or dot is missing."""

import shutil
import sys

import pytest

import ketorch
from ketorch.utils import model_visualization as mv

pydot = pytest.importorskip("pydot")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")


def _png_size(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size


def _functional():
    a = ketorch.Input((8,), name="a")
    b = ketorch.Input((4,), name="b")
    x = ketorch.layers.Dense(6, activation="relu", name="da")(a)
    y = ketorch.layers.Dense(6, name="db")(b)
    merged = ketorch.layers.Concatenate(name="cat")([x, y])
    out = ketorch.layers.Dense(1, activation="sigmoid", name="out")(merged)
    return ketorch.Model([a, b], out, name="two_towers")


@needs_dot
def test_sequential_png(tmp_path):
    model = ketorch.Sequential(
        [ketorch.Input((4,)), ketorch.layers.Dense(8, activation="relu"), ketorch.layers.Dense(1)]
    )
    path = tmp_path / "out" / "model.png"
    mv.plot_model(model, to_file=path, show_shapes=True)
    width, height = _png_size(path)
    assert 50 < width < 5000 and 150 < height < 10000  # three stacked boxes
    assert height > width


@needs_dot
def test_functional_graph_edges_and_labels(tmp_path):
    model = _functional()
    dot = mv.model_to_dot(model, show_shapes=True, show_dtype=True, show_layer_activations=True,
                          show_trainable=True)  # fmt: skip
    source = dot.to_string()
    assert len(dot.get_edges()) == 5  # a->da, b->db, da->cat, db->cat, cat->out
    for text in ("a (InputLayer)", "cat (Concatenate)", "(None, 12)", "relu", "sigmoid",
                 "float32", "Trainable"):  # fmt: skip
        assert text in source, text
    path = tmp_path / "model.png"
    mv.plot_model(model, to_file=str(path), rankdir="LR", dpi=96)
    width, height = _png_size(path)
    assert width > height  # left to right


@needs_dot
def test_nested_model_and_other_formats(tmp_path):
    inner = ketorch.Sequential([ketorch.Input((8,)), ketorch.layers.Dense(3, name="inner_dense")],
                               name="inner")  # fmt: skip
    inputs = ketorch.Input((8,))
    outputs = ketorch.layers.Dense(1)(inner(inputs))
    model = ketorch.Model(inputs, outputs)
    expanded = mv.model_to_dot(model, expand_nested=True).to_string()
    assert "cluster" in expanded and "inner_dense" in expanded
    assert "inner_dense" not in mv.model_to_dot(model).to_string()
    svg = tmp_path / "model.svg"
    mv.plot_model(model, to_file=svg, expand_nested=True)
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_errors(monkeypatch):
    model = ketorch.Sequential([ketorch.Input((4,)), ketorch.layers.Dense(1)])
    with pytest.raises(ValueError, match="rankdir='XY'"):
        mv.plot_model(model, rankdir="XY")
    with pytest.raises(ValueError, match="not been built"):
        mv.plot_model(ketorch.Sequential([ketorch.layers.Dense(1)]))
    monkeypatch.setattr(mv.shutil, "which", lambda name: None)
    with pytest.raises(OSError, match="graphviz"):
        mv.plot_model(model)
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match="pip install pydot"):
        mv.plot_model(model)
