"""Loading is safe: no code runs, hostile or damaged files give a clear ValueError."""

import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import ketorch
import ketorch.saving
from ketorch import layers


def _small_model():
    model = ketorch.Sequential([ketorch.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.compile("adam", "mse")
    return model


def _rewrite(src, dst, replace=None, extra=None, drop=()):
    """Copy a .keras zip, replacing/adding/dropping members."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)


@pytest.fixture
def saved(tmp_path):
    path = str(tmp_path / "ok.keras")
    _small_model().save(path)
    return path


def _config(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("config.json"))


# ------------------------------------------------------------------ custom objects
def test_custom_objects_and_registration(tmp_path):
    class Doubler(layers.Layer):
        def call(self, x):
            return 2 * x

    model = ketorch.Sequential([ketorch.Input((3,)), Doubler(), layers.Dense(1)])
    path = str(tmp_path / "c.keras")
    model.save(path)
    with pytest.raises(ValueError, match="Could not locate class 'Doubler'"):
        ketorch.saving.load_model(path)
    loaded = ketorch.saving.load_model(path, custom_objects={"Doubler": Doubler})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with ketorch.saving.custom_object_scope({"Doubler": Doubler}):
        ketorch.saving.load_model(path)

    @ketorch.saving.register_keras_serializable(package="SafetyTest")
    class Tripler(layers.Layer):
        def call(self, x):
            return 3 * x

    model = ketorch.Sequential([ketorch.Input((3,)), Tripler()])
    model.save(path)
    assert _config(path)["config"]["layers"][1]["registered_name"] == "SafetyTest>Tripler"
    assert isinstance(ketorch.saving.load_model(path).layers[0], Tripler)


def test_lambda_refused_in_safe_mode(tmp_path):
    model = ketorch.Sequential([ketorch.Input((3,)), layers.Lambda(lambda t: t + 1)])
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        ketorch.saving.load_model(path)
    loaded = ketorch.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(np.zeros((1, 3), "float32"), verbose=0), 1.0)


# ------------------------------------------------------------------ hostile archives
def test_zip_slip_member_refused(saved, tmp_path):
    bad = str(tmp_path / "slip.keras")
    _rewrite(saved, bad, extra={"../../evil.txt": b"owned", "assets/x": b""})
    before = set(os.listdir(tmp_path.parent))
    with pytest.raises(ValueError, match="unsafe path"):
        ketorch.saving.load_model(bad)
    assert set(os.listdir(tmp_path.parent)) == before
    assert not os.path.exists(tmp_path.parent.parent / "evil.txt")


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5"])
def test_missing_member(saved, tmp_path, member):
    bad = str(tmp_path / "missing.keras")
    _rewrite(saved, bad, drop=(member,))
    with pytest.raises(ValueError, match=f"'{member}' is missing"):
        ketorch.saving.load_model(bad)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9])
def test_truncated_file(saved, tmp_path, cut):
    data = open(saved, "rb").read()
    bad = tmp_path / "cut.keras"
    bad.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ValueError):
        ketorch.saving.load_model(str(bad))


def test_not_a_model_file(tmp_path):
    bad = tmp_path / "junk.keras"
    bad.write_bytes(b"hello, I am not a zip file" * 10)
    with pytest.raises(ValueError, match="not a valid .keras"):
        ketorch.saving.load_model(str(bad))
    with pytest.raises(ValueError, match="File not found"):
        ketorch.saving.load_model(str(tmp_path / "absent.keras"))


def test_bad_json_and_absurd_shapes(saved, tmp_path):
    bad = str(tmp_path / "json.keras")
    _rewrite(saved, bad, replace={"config.json": b"{not json"})
    with pytest.raises(ValueError, match="not valid JSON"):
        ketorch.saving.load_model(bad)
    config = _config(saved)
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 10**9, 10**9]
    _rewrite(saved, bad, replace={"config.json": json.dumps(config).encode()})
    with pytest.raises(ValueError, match="values per sample"):
        ketorch.saving.load_model(bad)


def test_huge_declared_weight_does_not_allocate(saved, tmp_path):
    config = _config(saved)
    config["config"]["layers"][1]["config"]["units"] = 10**11  # 1.2 TB of kernel
    bad = str(tmp_path / "huge.keras")
    _rewrite(saved, bad, replace={"config.json": json.dumps(config).encode()})
    with pytest.raises(ValueError, match="more than the weights file holds"):
        ketorch.saving.load_model(bad)


def _with_weights(saved, tmp_path, edit):
    with zipfile.ZipFile(saved) as z:
        (tmp_path / "w.h5").write_bytes(z.read("model.weights.h5"))
    with h5py.File(tmp_path / "w.h5", "a") as f:
        edit(f)
    bad = str(tmp_path / "edited.keras")
    _rewrite(saved, bad, replace={"model.weights.h5": (tmp_path / "w.h5").read_bytes()})
    return bad


def test_wrong_dtype_and_shape_in_weights(saved, tmp_path):
    def strings(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", data=np.array([b"a", b"b"]))

    with pytest.raises(ValueError, match="numeric"):
        ketorch.saving.load_model(_with_weights(saved, tmp_path, strings))

    def absurd(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset(
            "0", shape=(2**40, 2**20), dtype="float32", chunks=(1, 1), compression="gzip"
        )

    with pytest.raises(ValueError, match="shape"):
        ketorch.saving.load_model(_with_weights(saved, tmp_path, absurd))


def test_links_to_other_files_refused(saved, tmp_path):
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["data"] = np.zeros((3, 2), "float32")

    def external(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.ExternalLink(str(secret), "data")

    with pytest.raises(ValueError, match="ExternalLink"):
        ketorch.saving.load_model(_with_weights(saved, tmp_path, external))
