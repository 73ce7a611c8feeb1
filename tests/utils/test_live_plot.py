"""LivePlot (in-place redraw per epoch) and plot_history's comparison mode."""

import sys
import types

import numpy as np
import pytest

import ketorch
from ketorch.utils import live_plot


def _png_size(path):
    from PIL import Image

    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size


def _fit(callbacks, epochs=4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = ketorch.Sequential([ketorch.Input((3,)), ketorch.layers.Dense(1)])
    model.compile(ketorch.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return model.fit(x, y, epochs=epochs, validation_split=0.25, verbose=0, callbacks=callbacks)


def test_writes_and_updates_png_outside_notebooks(tmp_path):
    path = tmp_path / "curves" / "live.png"
    live = live_plot.LivePlot(to_file=path, every=2)
    _fit([live], epochs=5)
    assert live.draw_count == 3  # epochs 2 and 4, then the last one at train end
    width, height = _png_size(path)
    assert 300 < width < 3000 and 200 < height < 2000
    assert sorted(live.logs) == ["loss", "mae", "val_loss", "val_mae"]
    assert not [p for p in path.parent.iterdir() if p.name != "live.png"]  # no temp files left


def test_updates_one_display_handle_in_notebooks(monkeypatch, tmp_path):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def display(obj, display_id=None):
        shown.append(("display", obj))
        assert display_id is True
        return Handle()

    ipython = types.ModuleType("IPython")
    ipython.display = types.SimpleNamespace(display=display)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setattr(live_plot, "_in_notebook", lambda: True)
    monkeypatch.chdir(tmp_path)
    live = live_plot.LivePlot(metrics="loss")
    _fit([live], epochs=4)
    assert [kind for kind, _ in shown] == ["display", "update", "update", "update"]
    assert not list(tmp_path.iterdir())  # nothing written unless to_file is given


def test_bad_every():
    with pytest.raises(ValueError, match="every=0"):
        live_plot.LivePlot(every=0)


def test_plot_history_comparison_mode(tmp_path):
    h1 = _fit([], epochs=3)
    h2 = _fit([], epochs=5)
    path = tmp_path / "compare.png"
    fig = ketorch.utils.plot_history([h1, h2], labels=["short", "long"], to_file=path)
    assert len(fig.axes) == 2  # loss, mae
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["short training", "short validation", "long training", "long validation"]
    width, height = _png_size(path)
    assert width > 500 and height > 200
