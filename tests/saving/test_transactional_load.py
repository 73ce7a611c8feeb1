"""A failed `load_weights` leaves the model and its optimizer bit-identical to before.

Every file is generated here from a model with other values, then damaged in its
*last* layer (or in the optimizer state), so a loader that assigned layer by layer
would already have overwritten the layers before it when the error comes.
"""

import warnings
import zipfile

import h5py
import numpy as np
import pytest
import torch

import ketorch
from ketorch import layers

_X = np.linspace(-1, 1, 32, dtype="float32").reshape(8, 4)
_Y = np.linspace(0, 1, 8, dtype="float32").reshape(8, 1)
_LAST = "layers/dense_2/vars"  # Keras 3 layout: the group of the last Dense
_LEGACY_LAST = "model_weights/d2/seq/d2"  # <layer>/<model name>/<layer>


def _model(seed, epochs):
    ketorch.utils.set_random_seed(seed)
    model = ketorch.Sequential(
        [
            ketorch.Input((4,)),
            layers.Dense(8, name="d0"),
            layers.BatchNormalization(name="bn"),
            layers.Dense(3, name="d1"),
            layers.Dense(1, name="d2"),
        ],
        name="seq",  # fixed: legacy files nest weights under the model's name
    )
    model.compile("adam", "mse")
    if epochs:
        model.fit(_X * seed, _Y, batch_size=4, epochs=epochs, verbose=0)
    return model


def _state(model):
    opt = model.optimizer
    tensors = [w.detach().clone() for w in model.weights]
    if opt.built:
        tensors += [torch.as_tensor(v).detach().clone() for v in opt.variables]
    return opt.built, tensors


def _assert_same(model, before):
    built, tensors = _state(model)
    assert built == before[0]
    assert len(tensors) == len(before[1])
    for a, b in zip(tensors, before[1]):
        assert a.dtype == b.dtype and torch.equal(a, b)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A trained model's files: `.weights.h5`, `.keras` and legacy `.h5`."""
    root = tmp_path_factory.mktemp("source")
    model = _model(seed=3, epochs=2)
    paths = {
        "weights": root / "src.weights.h5",
        "keras": root / "src.keras",
        "legacy": root / "src.h5",
    }
    model.save_weights(str(paths["weights"]))
    model.save(str(paths["keras"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(str(paths["legacy"]))
    return paths, [w.detach().clone() for w in model.weights]


def _corrupt_chunk(path, dataset):
    """Rewrite ``dataset`` gzip-chunked, then overwrite its stored chunk with garbage."""
    with h5py.File(path, "a") as f:
        data = f[dataset][()]
        del f[dataset]
        ds = f.create_dataset(dataset, data=data, chunks=data.shape or None, compression="gzip")
        info = ds.id.get_chunk_info(0)
    with open(path, "r+b") as raw:
        raw.seek(info.byte_offset)
        raw.write(b"\xff" * info.size)


def _damage(path, kind, last):
    """Damage the h5 file at ``path``; ``last`` is the last layer's weight group."""
    kernel = f"{last}/0" if last == _LAST else f"{last}/kernel"
    if kind == "corrupt_chunk":
        _corrupt_chunk(path, kernel)
        return
    with h5py.File(path, "a") as f:
        if kind == "shape":
            del f[kernel]
            f[kernel] = np.zeros((3, 2), "float32")
        elif kind == "missing_dataset":
            del f[f"{last}/1" if last == _LAST else kernel]  # Keras 3: the bias, the last one
        elif kind == "missing_layer":
            del f["layers/dense_2" if last == _LAST else "model_weights/d2"]
        elif kind == "strings":
            del f[kernel]
            f[kernel] = np.array([[b"a"], [b"b"], [b"c"]])
        elif kind == "nan_iteration":
            del f["optimizer/vars/0"]
            f["optimizer/vars/0"] = np.float64("nan")
        else:
            raise AssertionError(kind)


def _copy(src, dst):
    dst.write_bytes(src.read_bytes())
    return dst


def _damaged_archive(source_archive, tmp_path, kind):
    with zipfile.ZipFile(source_archive) as z:
        members = {n: z.read(n) for n in z.namelist()}
    h5 = tmp_path / "inner.h5"
    h5.write_bytes(members["model.weights.h5"])
    _damage(h5, kind, _LAST)
    members["model.weights.h5"] = h5.read_bytes()
    path = tmp_path / "damaged.keras"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


_KERAS3_KINDS = [
    ("shape", "has shape"),
    ("missing_dataset", "expected 2 variables, the file has 1"),
    ("missing_layer", "no group"),
    ("strings", "numeric"),
    ("corrupt_chunk", "Cannot read the data of 'layers/dense_2/vars/0'"),
    ("nan_iteration", "iteration count"),
]


@pytest.mark.parametrize("trained", [True, False], ids=["optimizer_built", "optimizer_unbuilt"])
@pytest.mark.parametrize("kind, message", _KERAS3_KINDS, ids=[k for k, _ in _KERAS3_KINDS])
@pytest.mark.parametrize("fmt", ["weights", "keras"])
def test_failed_keras3_load_changes_nothing(source, tmp_path, fmt, kind, message, trained):
    paths, _ = source
    if fmt == "weights":
        path = _copy(paths["weights"], tmp_path / "damaged.weights.h5")
        _damage(path, kind, _LAST)
    else:
        path = _damaged_archive(paths["keras"], tmp_path, kind)
    model = _model(seed=1, epochs=1 if trained else 0)
    before = _state(model)
    with pytest.raises(ValueError, match=message):
        model.load_weights(str(path))
    _assert_same(model, before)


_LEGACY_KINDS = [
    ("shape", "expects \\(3, 1\\)"),
    ("missing_dataset", "no dataset 'seq/d2/kernel'"),
    ("missing_layer", "lists layer 'd2' but has no group"),
    ("strings", "numeric"),
    ("corrupt_chunk", "Cannot read the data of 'seq/d2/kernel'"),
]


@pytest.mark.parametrize("kind, message", _LEGACY_KINDS, ids=[k for k, _ in _LEGACY_KINDS])
@pytest.mark.parametrize("by_name", [False, True], ids=["by_order", "by_name"])
def test_failed_legacy_load_changes_nothing(source, tmp_path, kind, message, by_name):
    paths, _ = source
    path = _copy(paths["legacy"], tmp_path / "damaged.h5")
    _damage(path, kind, _LEGACY_LAST)
    model = _model(seed=1, epochs=1)
    before = _state(model)
    with pytest.raises(ValueError, match=message):
        model.load_weights(str(path), by_name=by_name)
    _assert_same(model, before)


@pytest.mark.parametrize("fmt", ["weights", "keras", "legacy"])
def test_undamaged_files_still_load_everything(source, fmt):
    paths, expected = source
    model = _model(seed=1, epochs=1)
    model.load_weights(str(paths[fmt]))
    for w, e in zip(model.weights, expected):
        assert torch.equal(w.detach(), e)


def test_load_model_names_the_damaged_dataset(source, tmp_path):
    paths, _ = source
    damaged = _damaged_archive(paths["keras"], tmp_path, "corrupt_chunk")
    with pytest.raises(ValueError, match="'layers/dense_2/vars/0'"):
        ketorch.saving.load_model(str(damaged))


def test_skip_mismatch_assigns_only_what_fits(source, tmp_path):
    paths, expected = source
    path = _copy(paths["weights"], tmp_path / "shape.weights.h5")
    _damage(path, "shape", _LAST)
    model = _model(seed=1, epochs=1)
    before = [w.detach().clone() for w in model.weights]
    with pytest.warns(UserWarning, match="Skipping weights of layer 'd2'"):
        model.load_weights(str(path), skip_mismatch=True)
    last = {id(w) for w in model.layers[-1].weights}
    for w, old, new in zip(model.weights, before, expected):
        assert torch.equal(w.detach(), old if id(w) in last else new)
