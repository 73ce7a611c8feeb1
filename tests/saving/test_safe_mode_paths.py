"""Safe mode never reads a file a config names; vocabulary files are read within bounds.

Each test writes its own model files and "secret" files under ``tmp_path``.
"""

import builtins
import json
import os
import signal
import threading
import zipfile

import h5py
import numpy as np
import pytest

import ketorch
from ketorch import layers
from ketorch.layers.preprocessing import vocabulary_file
from ketorch.saving import serialization

LOOKUPS = {
    "StringLookup": lambda: layers.StringLookup(vocabulary=["a", "b"]),
    "IntegerLookup": lambda: layers.IntegerLookup(vocabulary=[7, 8]),
    "TextVectorization": lambda: layers.TextVectorization(vocabulary=["a", "b"]),
}
SECRET = {
    "StringLookup": "alpha\nbeta\n",
    "IntegerLookup": "11\n12\n",
    "TextVectorization": "alpha\nbeta\n",
}


@pytest.fixture(autouse=True)
def _no_hang():
    """A FIFO that is opened for reading would block: fail instead of hanging the run."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def _timeout(signum, frame):
        raise TimeoutError("the test blocked (a FIFO was opened?)")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    path = str(tmp_path / "fifo")
    os.mkfifo(path)  # opened for reading, this would block until a writer comes
    return path


def _secret(tmp_path, kind="StringLookup"):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET[kind])
    return str(path)


def _with_vocabulary_path(config, path):
    """The model config with every layer's `vocabulary` replaced by ``path``."""
    for layer in config["config"]["layers"]:
        layer["config"]["vocabulary"] = path
    return config


def _hostile_keras(tmp_path, kind, path, fmt="zip"):
    model = ketorch.Sequential([LOOKUPS[kind]()])
    if fmt == "h5":
        target = str(tmp_path / "hostile.h5")
        with pytest.warns(UserWarning, match="legacy HDF5"):
            model.save(target)
        with h5py.File(target, "r+") as f:
            config = json.loads(f.attrs["model_config"])
            f.attrs["model_config"] = json.dumps(_with_vocabulary_path(config, path))
        return target
    if fmt == "dir":
        target = str(tmp_path / "hostile_dir.keras")
        model.save(target, zipped=False)
        config_path = os.path.join(target, "config.json")
        with open(config_path) as f:
            config = json.load(f)
        with open(config_path, "w") as f:
            json.dump(_with_vocabulary_path(config, path), f)
        return target
    clean, target = str(tmp_path / "clean.keras"), str(tmp_path / "hostile.keras")
    model.save(clean)
    with zipfile.ZipFile(clean) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "config.json":
                data = json.dumps(_with_vocabulary_path(json.loads(data), path))
            zout.writestr(name, data)
    return target


class _PathSpy:
    """Records every file-system call that names one of ``paths``."""

    def __init__(self, monkeypatch, paths):
        self.paths = {os.fspath(p) for p in paths}
        self.calls = []
        for module, name in (
            (os, "stat"),
            (os, "lstat"),
            (os, "open"),
            (os.path, "exists"),
            (os.path, "isfile"),
            (builtins, "open"),
        ):
            monkeypatch.setattr(module, name, self._wrap(getattr(module, name), name))

    def _wrap(self, original, name):
        def spy(path, *args, **kwargs):
            if isinstance(path, (str, os.PathLike)) and os.fspath(path) in self.paths:
                self.calls.append((name, os.fspath(path)))
            return original(path, *args, **kwargs)

        return spy


# ------------------------------------------------------------------ safe mode refuses
@pytest.mark.parametrize("fmt", ["zip", "dir", "h5"])
@pytest.mark.parametrize("kind", sorted(LOOKUPS))
def test_config_path_refused_without_touching_it(tmp_path, monkeypatch, kind, fmt):
    secret = _secret(tmp_path, kind)
    hostile = _hostile_keras(tmp_path, kind, secret, fmt)
    spy = _PathSpy(monkeypatch, [secret])
    pattern = rf"{kind} layer .* names the file '{secret}' in its config argument `vocabulary`"
    with pytest.raises(ValueError, match=pattern) as info:
        ketorch.saving.load_model(hostile)
    assert "safe_mode=False" in str(info.value)
    assert spy.calls == []


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "fifo", "missing", "directory"])
def test_any_named_resource_refused(tmp_path, target):
    if target == "fifo":
        target = _fifo(tmp_path)
    elif target == "missing":
        target = str(tmp_path / "no_such_file.txt")
    elif target == "directory":
        target = str(tmp_path)
    hostile = _hostile_keras(tmp_path, "StringLookup", target)
    with pytest.raises(ValueError, match="safe_mode=False"):
        ketorch.saving.load_model(hostile)


def test_deserialize_keras_object_refuses_by_default(tmp_path):
    secret = _secret(tmp_path)
    config = ketorch.saving.serialize_keras_object(layers.StringLookup(vocabulary=["a"]))
    config["config"]["vocabulary"] = secret
    with pytest.raises(ValueError, match="safe_mode=False"):
        ketorch.saving.deserialize_keras_object(config)
    layer = ketorch.saving.deserialize_keras_object(config, safe_mode=False)
    assert layer.get_vocabulary() == ["[UNK]", "alpha", "beta"]


# ------------------------------------------------------------------ safe_mode=False
@pytest.mark.parametrize("fmt", ["zip", "dir", "h5"])
@pytest.mark.parametrize("kind", sorted(LOOKUPS))
def test_unsafe_mode_reads_a_regular_file(tmp_path, kind, fmt):
    secret = _secret(tmp_path, kind)
    hostile = _hostile_keras(tmp_path, kind, secret, fmt)
    loaded = ketorch.saving.load_model(hostile, safe_mode=False)
    tokens = loaded.layers[0].get_vocabulary(include_special_tokens=False)
    expected = [11, 12] if kind == "IntegerLookup" else ["alpha", "beta"]
    assert tokens == expected


def test_enable_unsafe_deserialization_allows_paths(tmp_path, monkeypatch):
    hostile = _hostile_keras(tmp_path, "StringLookup", _secret(tmp_path))
    monkeypatch.setattr(serialization, "_UNSAFE_GLOBALLY", [True])
    loaded = ketorch.saving.load_model(hostile)
    assert loaded.layers[0].get_vocabulary() == ["[UNK]", "alpha", "beta"]


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "directory"])
def test_unsafe_mode_still_refuses_non_regular_files(tmp_path, target):
    if target == "fifo":
        target = _fifo(tmp_path)
    elif target == "directory":
        target = str(tmp_path)
    hostile = _hostile_keras(tmp_path, "StringLookup", target)
    with pytest.raises(ValueError, match="only from regular files"):
        ketorch.saving.load_model(hostile, safe_mode=False)


def test_unsafe_mode_caps_the_file_size(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_text("".join(f"token{i}\n" for i in range(200)))
    hostile = _hostile_keras(tmp_path, "StringLookup", str(big))
    monkeypatch.setattr(vocabulary_file, "MAX_VOCABULARY_FILE_BYTES", 1000)
    with pytest.raises(ValueError, match="larger than 1000 bytes"):
        ketorch.saving.load_model(hostile, safe_mode=False)
    monkeypatch.setattr(vocabulary_file, "MAX_VOCABULARY_FILE_BYTES", 1 << 20)
    loaded = ketorch.saving.load_model(hostile, safe_mode=False)
    assert loaded.layers[0].vocabulary_size() == 201


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        layers.StringLookup(vocabulary=str(tmp_path / "nope.txt"))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="is not UTF-8 text"):
        layers.StringLookup(vocabulary=str(bad))


# ------------------------------------------------------------------ user code keeps paths
def test_user_code_reads_vocabulary_files(tmp_path):
    words = _secret(tmp_path)
    ints = tmp_path / "ints.txt"
    ints.write_text("11\n12\n")
    assert layers.StringLookup(vocabulary=words).get_vocabulary() == ["[UNK]", "alpha", "beta"]
    assert layers.StringLookup(vocabulary=tmp_path / "secret.txt").vocabulary_size() == 3
    assert layers.IntegerLookup(vocabulary=str(ints)).get_vocabulary() == [-1, 11, 12]
    vectorizer = layers.TextVectorization(vocabulary=words)
    assert vectorizer.get_vocabulary() == ["", "[UNK]", "alpha", "beta"]
    np.testing.assert_array_equal(vectorizer(["beta alpha zeta"]).numpy(), [[3, 2, 1]])
    config = layers.StringLookup(vocabulary=["x"]).get_config()
    config["vocabulary"] = words  # from_config called by user code is not a load (as in Keras)
    assert layers.StringLookup.from_config(config).vocabulary_size() == 3


def test_user_code_in_another_thread_is_not_a_load(tmp_path):
    words = _secret(tmp_path)
    result = {}

    def build():
        try:
            result["size"] = layers.StringLookup(vocabulary=words).vocabulary_size()
        except ValueError as e:
            result["error"] = e

    with serialization.safe_mode_scope(True):
        assert serialization.loading_in_safe_mode()
        with pytest.raises(ValueError, match="safe_mode=False"):
            layers.StringLookup(vocabulary=words)
        worker = threading.Thread(target=build)
        worker.start()
        worker.join()
    assert result == {"size": 3}
    assert not serialization.loading_in_safe_mode()


# ------------------------------------------------------------------ archive vocabularies load
def test_file_vocabulary_travels_inside_the_archive(tmp_path):
    words = _secret(tmp_path)
    model = ketorch.Sequential([layers.StringLookup(vocabulary=words)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    os.remove(words)  # the loaded model must not need the original file
    with zipfile.ZipFile(path) as zf:
        layer_config = json.loads(zf.read("config.json"))["config"]["layers"][0]["config"]
        assert layer_config["vocabulary"] is None
        assert any(n.endswith("vocabulary.txt") for n in zf.namelist())
    loaded = ketorch.saving.load_model(path)
    assert loaded.layers[0].get_vocabulary() == ["[UNK]", "alpha", "beta"]


def test_adapted_vocabulary_loads_in_safe_mode(tmp_path):
    vectorizer = layers.TextVectorization()
    vectorizer.adapt(["b a", "b c", "b"])
    path = str(tmp_path / "tv.keras")
    ketorch.Sequential([vectorizer]).save(path)
    loaded = ketorch.saving.load_model(path)
    assert loaded.layers[0].get_vocabulary() == vectorizer.get_vocabulary()


@ketorch.saving.register_keras_serializable(package="SafeModePaths")
class _AssetVocabulary(layers.Layer):
    """Hands its assets' vocabulary file to a lookup by path, as custom layers may."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lookup = layers.StringLookup()

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, "words.txt"), "w") as f:
            f.write("\n".join(self.lookup.get_vocabulary(include_special_tokens=False)))

    def load_assets(self, dir_path):
        self.lookup.set_vocabulary(os.path.join(dir_path, "words.txt"))


def test_asset_paths_given_by_load_assets_keep_loading(tmp_path):
    layer = _AssetVocabulary()
    layer.lookup.set_vocabulary(["x", "y"])
    path = str(tmp_path / "assets.keras")
    ketorch.Sequential([layer]).save(path)
    loaded = ketorch.saving.load_model(path)
    assert loaded.layers[0].lookup.get_vocabulary() == ["[UNK]", "x", "y"]
