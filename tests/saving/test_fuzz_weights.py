"""Mutated weight files: loading works or raises ``ValueError`` and leaves the model unchanged.

Valid `.keras`, `.weights.h5` and legacy `.h5` files of one small model (Dense layers, a
BatchNormalization with non-trainable state, an Adam optimizer with built state) are mutated
two ways: byte-level (flipped bytes, truncation) and structurally with h5py (dataset shapes,
dtypes, attributes, missing or extra datasets and groups). Each mutated file is loaded into a
fresh copy of the model; the load must either succeed or raise ``ValueError`` (a subclass is
fine), must finish within a time limit, and after a failure every weight and optimizer slot must
be bit-identical to before. Each test checks its own cases (nothing is shared across tests
except the valid files, rebuilt on demand).
"""

from __future__ import annotations

import contextlib
import signal
import warnings

import h5py
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ketorch

KINDS = ("keras", "weights.h5", "h5")
_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
_TIME_LIMIT_S = 30


def _model():
    ketorch.utils.set_random_seed(1)
    model = ketorch.Sequential(
        [
            ketorch.Input((5,)),
            ketorch.layers.Dense(4, name="d1"),
            ketorch.layers.BatchNormalization(name="bn"),
            ketorch.layers.Dense(2, name="d2"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 5)), rng.normal(size=(16, 2)), epochs=1, verbose=0)
    return model


def _valid(tmp_path_factory, kind):
    """(path of a valid file of ``kind``, a model of the same architecture)."""
    root = tmp_path_factory.getbasetemp() / "fuzz_weights_valid"
    root.mkdir(exist_ok=True)
    path = root / f"ok.{kind}"
    if not path.exists():
        model = _model()
        if kind == "weights.h5":
            model.save_weights(str(path))
        else:
            model.save(str(path))
    return path


def _snapshot(model):
    state = [w.detach().clone() for w in model.weights]
    opt = model.optimizer
    slots = [v.detach().clone() for v in getattr(opt, "variables", [])] if opt else []
    return state, slots


def _same(a, b):
    return len(a) == len(b) and all(
        x.shape == y.shape and x.dtype == y.dtype and torch.equal(x, y) for x, y in zip(a, b)
    )


@contextlib.contextmanager
def _time_limit(seconds):
    def fail(signum, frame):
        raise TimeoutError(f"loading took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _check_load(path, kind):
    """Load ``path`` into a fresh model: success, or ValueError with the model unchanged."""
    model = _model()
    before = _snapshot(model)
    with warnings.catch_warnings(), _time_limit(_TIME_LIMIT_S):
        warnings.simplefilter("ignore")
        try:
            model.load_weights(str(path))
        except ValueError:
            after = _snapshot(model)
            assert _same(before[0], after[0]), f"a failed load changed the weights ({kind})"
            assert _same(before[1], after[1]), f"a failed load changed optimizer state ({kind})"
            outcome = "refused"
        else:
            outcome = "loaded"
        if kind == "keras":  # the whole-model loader too
            try:
                ketorch.saving.load_model(str(path))
            except ValueError:
                pass
    return outcome


def _mutate_bytes(raw: bytes, data) -> bytes:
    out = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        i = data.draw(st.integers(0, len(out) - 1), label="offset")
        out[i] ^= data.draw(st.integers(1, 255), label="xor")
    if data.draw(st.booleans(), label="truncate"):
        out = out[: data.draw(st.integers(0, len(out)), label="length")]
    return bytes(out)


@pytest.mark.parametrize("kind", KINDS)
@_SETTINGS
@given(data=st.data())
def test_flipped_and_truncated_bytes(tmp_path_factory, kind, data):
    src = _valid(tmp_path_factory, kind)
    path = src.parent / f"bytes_{kind.replace('.', '_')}.{kind}"
    path.write_bytes(_mutate_bytes(src.read_bytes(), data))
    assert _check_load(path, kind) in ("loaded", "refused")


def _h5_members(f):
    found = []
    f.visititems(lambda name, obj: found.append((name, obj)))
    return found


def _structural_mutation(h5: h5py.File, data):
    members = _h5_members(h5)
    datasets = [n for n, o in members if isinstance(o, h5py.Dataset)]
    groups = [n for n, o in members if isinstance(o, h5py.Group)]
    attr_owners = [n for n, o in members if len(o.attrs)] + (["/"] if len(h5.attrs) else [])
    choices = ["shape", "dtype", "delete", "extra_dataset"]
    if attr_owners:
        choices.append("attr")
    if groups:
        choices.append("delete_group")
    what = data.draw(st.sampled_from(choices), label="mutation")
    if what in ("shape", "dtype", "delete") and datasets:
        name = data.draw(st.sampled_from(datasets), label="dataset")
        old = h5[name][()]
        del h5[name]
        if what == "shape":
            new_shape = data.draw(
                st.lists(st.integers(0, 6), min_size=0, max_size=3).map(tuple), label="shape"
            )
            h5.create_dataset(name, data=np.ones(new_shape, dtype="float32"))
        elif what == "dtype":
            dtype = data.draw(
                st.sampled_from([">f4", "<f8", "float16", "int32", "uint8", "bool", "S3"]),
                label="dtype",
            )
            arr = np.asarray(old)
            if dtype == "S3":
                h5.create_dataset(name, data=np.full(arr.shape, b"abc", dtype="S3"))
            else:
                h5.create_dataset(name, data=arr.astype(dtype))
    elif what == "extra_dataset":
        target = data.draw(st.sampled_from(groups or ["/"]), label="group")
        h5[target].create_dataset("zz_extra", data=np.zeros((3,), "float32"))
    elif what == "delete_group" and groups:
        name = data.draw(st.sampled_from(groups), label="group")
        if name in h5:
            del h5[name]
    elif what == "attr":
        owner = data.draw(st.sampled_from(attr_owners), label="owner")
        obj = h5[owner]
        key = data.draw(st.sampled_from(sorted(obj.attrs.keys())), label="attr")
        value = data.draw(
            st.sampled_from([b"", "nonsense", np.array([], dtype="S1"), 7, np.arange(3)]),
            label="value",
        )
        obj.attrs[key] = value
    return what


@pytest.mark.parametrize("kind", ("weights.h5", "h5"))
@_SETTINGS
@given(data=st.data())
def test_structural_h5_mutations(tmp_path_factory, kind, data):
    src = _valid(tmp_path_factory, kind)
    path = src.parent / f"struct_{kind.replace('.', '_')}.{kind}"
    path.write_bytes(src.read_bytes())
    with h5py.File(path, "r+") as h5:
        _structural_mutation(h5, data)
    assert _check_load(path, kind) in ("loaded", "refused")


@_SETTINGS
@given(data=st.data())
def test_structural_mutations_inside_keras_archive(tmp_path_factory, data):
    import zipfile

    src = _valid(tmp_path_factory, "keras")
    work = src.parent / "inner.weights.h5"
    with zipfile.ZipFile(src) as z:
        work.write_bytes(z.read("model.weights.h5"))
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with h5py.File(work, "r+") as h5:
        _structural_mutation(h5, data)
    path = src.parent / "struct.keras"
    with zipfile.ZipFile(path, "w") as z:
        for name, payload in members:
            z.writestr(name, work.read_bytes() if name == "model.weights.h5" else payload)
    assert _check_load(path, "keras") in ("loaded", "refused")


def test_a_shape_change_is_refused_and_leaves_the_model_unchanged(tmp_path_factory, tmp_path):
    """One deterministic case per format, so the property above cannot pass vacuously."""
    for kind in ("weights.h5", "h5"):
        path = tmp_path / f"bad.{kind}"
        path.write_bytes(_valid(tmp_path_factory, kind).read_bytes())
        with h5py.File(path, "r+") as h5:
            # the last kernel: a loader that assigns as it reads has changed d1 by then
            name = [n for n, o in _h5_members(h5) if isinstance(o, h5py.Dataset)
                    and o.ndim == 2 and "optimizer" not in n][-1]  # fmt: skip
            assert "d2" in name or "dense_1" in name
            del h5[name]
            h5.create_dataset(name, data=np.ones((7, 7), "float32"))
        assert _check_load(path, kind) == "refused"
