"""Saved files honour the umask; interrupted saves leave recognisable temporaries that get removed.

Each test writes its files under ``tmp_path``.
"""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import ketorch
from ketorch import callbacks, layers
from ketorch.saving import file_utils

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs umask, SIGKILL and pid probes")
UMASKS = [0o022, 0o077, 0o002, 0o027]


@pytest.fixture
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def _model():
    model = ketorch.Sequential([ketorch.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _walk(root):
    for directory, dirs, files in os.walk(root):
        for name in dirs:
            yield os.path.join(directory, name), True
        for name in files:
            yield os.path.join(directory, name), False


def _temps(directory):
    return sorted(n for n in os.listdir(directory) if file_utils.TEMP_MARKER in n)


# ------------------------------------------------------------------ modes
@pytest.mark.parametrize("umask", UMASKS, indirect=True, ids=oct)
def test_saved_files_honour_the_umask(tmp_path, umask):
    model = _model()
    out = tmp_path / "out"
    model.save(out / "m.keras")
    model.save(out / "dir.keras", zipped=False)
    model.save_weights(out / "m.weights.h5")
    with pytest.warns(UserWarning, match="legacy HDF5"):
        model.save(out / "legacy.h5")
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    cbs = [
        callbacks.ModelCheckpoint(str(out / "ckpt" / "e{epoch}.keras")),
        callbacks.ModelCheckpoint(str(out / "ckpt" / "w.weights.h5"), save_weights_only=True),
        callbacks.BackupAndRestore(str(out / "backup"), delete_checkpoint=False),
        callbacks.CSVLogger(str(out / "log.csv")),
    ]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=cbs)
    found = list(_walk(out))
    names = {os.path.relpath(p, out) for p, _ in found}
    assert {"m.keras", "dir.keras/config.json", "m.weights.h5", "legacy.h5"} <= names
    assert {"ckpt/e2.keras", "ckpt/w.weights.h5", "log.csv"} <= names
    assert "backup/latest.weights.h5" in names
    for path, is_dir in found:
        expected = (0o777 if is_dir else 0o666) & ~umask
        assert _mode(path) == expected, (path, oct(_mode(path)), oct(expected))
        assert file_utils.TEMP_MARKER not in path


@pytest.mark.parametrize("umask", [0o022], indirect=True)
def test_live_plot_file_honours_the_umask(tmp_path, umask):
    pytest.importorskip("matplotlib")
    target = tmp_path / "curves.png"
    model = _model()
    plot = ketorch.utils.LivePlot(to_file=str(target))
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0, callbacks=[plot])
    assert _mode(target) == 0o644
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022], indirect=True)
def test_overwrite_keeps_the_existing_permissions(tmp_path, umask):
    model = _model()
    for name in ("m.keras", "m.weights.h5"):
        path = tmp_path / name
        model.save(path) if name.endswith(".keras") else model.save_weights(path)
        assert _mode(path) == 0o644
        os.chmod(path, 0o640)
        model.save(path) if name.endswith(".keras") else model.save_weights(path)
        assert _mode(path) == 0o640
    assert _temps(tmp_path) == []


def test_failed_save_leaves_no_temporary(tmp_path, monkeypatch):
    from ketorch.saving import h5_io

    def broken(f, model):
        raise RuntimeError("disk full")

    monkeypatch.setattr(h5_io, "write_weights", broken)
    for name in ("m.keras", "m.weights.h5"):
        with pytest.raises(RuntimeError, match="disk full"):
            model = _model()
            model.save(tmp_path / name) if name.endswith(".keras") else model.save_weights(
                tmp_path / name
            )
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ SIGKILL mid-save
_CHILD = textwrap.dedent(
    """
    import os, sys, time
    import ketorch
    from ketorch.saving import h5_io

    target, marker = sys.argv[1], sys.argv[2]
    model = ketorch.Sequential([ketorch.Input((3,)), ketorch.layers.Dense(2)])
    if target.endswith(".keras"):
        model.save(target)  # a good previous version
    else:
        model.save_weights(target)
    write = h5_io.write_weights

    def slow_write(f, model):
        write(f, model)
        open(marker, "w").close()
        time.sleep(600)

    h5_io.write_weights = slow_write
    if target.endswith(".keras"):
        model.save(target)
    else:
        model.save_weights(target)
    """
)


def _killed_mid_save(tmp_path, name):
    target, marker = str(tmp_path / name), str(tmp_path / "marker")
    env = {**os.environ, "KERAS_BACKEND": "torch", "KETORCH_DEVICE": "cpu"}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, target, marker], env=env)
    try:
        deadline = time.monotonic() + 300
        while not os.path.exists(marker):
            assert child.poll() is None, "the child ended before the save started"
            assert time.monotonic() < deadline, "the child never reached the save"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()  # reaped: its pid no longer runs
    os.remove(marker)
    leftovers = _temps(tmp_path)
    assert leftovers, "the killed save left no temporary file"
    for leftover in leftovers:
        assert leftover.startswith(f".{name}{file_utils.TEMP_MARKER}")
    return target, leftovers


@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5"])
@pytest.mark.parametrize("then", ["save", "load"])
def test_sigkill_leftovers_removed_on_next_use(tmp_path, name, then):
    target, _ = _killed_mid_save(tmp_path, name)
    model = ketorch.Sequential([ketorch.Input((3,)), layers.Dense(2)])
    if then == "save":
        model.save(target) if name.endswith(".keras") else model.save_weights(target)
    elif name.endswith(".keras"):
        ketorch.saving.load_model(target)  # the previous version is intact
    else:
        model.load_weights(target)
    assert _temps(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == [name]


def test_backup_and_restore_removes_leftovers(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    target, _ = _killed_mid_save(backup, "latest.weights.h5")
    model = ketorch.Sequential([ketorch.Input((3,)), layers.Dense(2)])  # the child's model
    model.compile("sgd", "mse")
    model.fit(
        np.ones((4, 3), "float32"),
        np.ones((4, 2), "float32"),
        verbose=0,
        callbacks=[callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)],
    )
    assert _temps(backup) == []
    assert os.path.exists(target)


# ------------------------------------------------------------------ which leftovers are stale
def _fake_temp(directory, target, host=None, pid=None, suffix="abcd0123"):
    host = host or file_utils._host_tag()
    pid = os.getpid() if pid is None else pid
    path = os.path.join(directory, f".{target}{file_utils.TEMP_MARKER}{host}-{pid}-{suffix}")
    with open(path, "wb") as f:
        f.write(b"partial")
    return path


def test_only_stale_temporaries_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [
            _fake_temp(tmp_path, "m.keras", pid=dead.pid),
            _fake_temp(tmp_path, "m.keras"),  # this process, but no save owns it
            _fake_temp(tmp_path, "m.keras", host="0f0f0f0f", suffix="old"),
        ]
        old = time.time() - file_utils.FOREIGN_STALE_SECONDS - 60
        os.utime(stale[-1], (old, old))
        kept = [
            _fake_temp(tmp_path, "m.keras", pid=alive.pid),  # a save running elsewhere
            _fake_temp(tmp_path, "m.keras", host="0f0f0f0f", suffix="new"),  # recent, other host
            _fake_temp(tmp_path, "other.keras", pid=dead.pid),  # another target
            str(tmp_path / f".m.keras{file_utils.TEMP_MARKER}not-ours"),
        ]
        open(kept[-1], "wb").close()
        with file_utils.temp_beside(str(tmp_path / "m.keras")) as in_flight:
            removed = file_utils.remove_stale_temps(tmp_path / "m.keras")
            assert os.path.exists(in_flight)  # a save of this process in progress
        assert sorted(removed) == sorted(stale)
        assert all(os.path.exists(p) for p in kept)
    finally:
        alive.kill()
        alive.wait()
