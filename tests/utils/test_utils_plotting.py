import os
import subprocess
import sys

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ketorch.utils import plot_history  # noqa: E402

LOGS = {
    "accuracy": [0.5, 0.7, 0.8],
    "loss": [1.0, 0.6, 0.4],
    "val_accuracy": [0.45, 0.6, 0.7],
    "val_loss": [1.1, 0.8, 0.7],
}


class FakeHistory:
    def __init__(self, logs, epoch=None):
        self.history = logs
        self.epoch = list(range(len(logs["loss"]))) if epoch is None else epoch


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_writes_png_and_returns_figure(tmp_path):
    target = tmp_path / "sub" / "history.png"
    fig = plot_history(FakeHistory(LOGS), to_file=str(target), title="Run")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loss_ax = fig.axes[0]
    assert loss_ax.get_title() == "loss" and loss_ax.get_xlabel() == "Epoch"
    train, val = loss_ax.get_lines()
    assert list(train.get_xdata()) == [1, 2, 3]
    assert list(val.get_ydata()) == LOGS["val_loss"]
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["training", "validation"]


def test_path_alias_and_plain_dict(tmp_path):
    target = tmp_path / "h.png"
    fig = plot_history(LOGS, path=target)
    assert target.exists() and len(fig.axes) == 2


def test_epoch_offset_used_for_x_axis():
    fig = plot_history(FakeHistory({"loss": [1.0, 0.5]}, epoch=[4, 5]))
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [5, 6]


def test_metrics_selection_and_layout():
    logs = dict(LOGS, mae=[1, 2, 3], mse=[3, 2, 1], auc=[0.1, 0.2, 0.3])
    assert len(plot_history(logs).axes) == 5
    fig = plot_history(logs, metrics="accuracy")
    assert [ax.get_title() for ax in fig.axes] == ["accuracy"]
    with pytest.raises(ValueError, match="Received: metrics=\\['nope'\\]"):
        plot_history(logs, metrics=["nope"])


def test_comparison_mode_labels():
    fig = plot_history([LOGS, FakeHistory(LOGS)], labels=["adam", "sgd"])
    assert len(fig.axes) == 2
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["adam training", "adam validation", "sgd training", "sgd validation"]
    fig = plot_history([LOGS, LOGS])
    assert fig.axes[0].get_legend().get_texts()[2].get_text() == "run 2 training"
    with pytest.raises(ValueError, match="labels"):
        plot_history([LOGS, LOGS], labels=["only one"])


def test_bad_history_type():
    with pytest.raises(TypeError, match="Received: history=3"):
        plot_history(3)


def test_backend_not_changed_when_pyplot_loaded():
    before = matplotlib.get_backend()
    plot_history(LOGS)
    assert matplotlib.get_backend() == before


def test_headless_process_gets_agg(tmp_path):
    code = (
        "import matplotlib; from ketorch.utils import plot_history; "
        f"plot_history({{'loss': [1, 0.5]}}, to_file={str(tmp_path / 'h.png')!r}); "
        "print(matplotlib.get_backend().lower())"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")
    }
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "agg"
    assert (tmp_path / "h.png").exists()


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(LOGS)
