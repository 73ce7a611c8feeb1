"""ModelParallel on 2 CPU processes (gloo): weights sharded from creation, same predictions
and training as one process, whole checkpoints; and the layout API objects (DeviceMesh, TensorLayout, LayoutMap)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import ketorch as keras

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _mp_worker as worker  # noqa: E402

dist = keras.distribution
CPUS = ["cpu:0", "cpu:1"]
MESHES = ["1d", "2d"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mp")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", KETORCH_DEVICE="cpu")
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
        f"--master_port={_free_port()}", os.path.join(HERE, "_mp_worker.py"), str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    runs = {}
    for kind in MESHES:
        ranks = []
        for r in range(2):
            with open(out / kind / f"rank{r}.json") as f:
                ranks.append((np.load(out / kind / f"rank{r}.npz"), json.load(f)))
        runs[kind] = (out / kind, ranks)
    return runs


@pytest.fixture(scope="module")
def single_process():
    x, y = worker.data()
    model = worker.build()
    after_one = worker.build()
    after_one.fit(x, y, batch_size=worker.BATCH, epochs=1, shuffle=False, verbose=0)
    hist = model.fit(x, y, batch_size=worker.BATCH, epochs=worker.EPOCHS, shuffle=False,
                     verbose=0, validation_data=(x[:21], y[:21]))  # fmt: skip
    ev = model.evaluate(x, y, batch_size=worker.BATCH, verbose=0, return_dict=True)
    pred = model.predict(x, batch_size=worker.BATCH, verbose=0)
    return model, hist.history, ev, pred, after_one.get_weights()


def _assert_weights(actual, expected, atol=1e-5):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, atol=atol)


@pytest.mark.parametrize("kind", MESHES)
def test_each_process_holds_its_shard_during_fit(two_process_run, kind):
    _, ranks = two_process_run[kind]
    u = worker.UNITS
    # dense kernels split by columns (5 + 4 of 9), their biases too, head kernel by rows
    full = [[6, u], [u], [u, u], [u], [u, 3], [3]]
    assert ranks[0][1]["shapes"] == [[6, 5], [5], [u, 5], [5], [5, 3], [3]]
    assert ranks[1][1]["shapes"] == [[6, 4], [4], [u, 4], [4], [4, 3], [3]]
    # Backward gathers dense_b's and head's kernels again (dense_a's input needs no gradient)
    # instead of keeping the whole weights from the forward pass: 2 per step, 7 steps an epoch.
    for _, logs in ranks:
        assert logs["regathers"] == 2 * 7 * worker.EPOCHS
    for s0, s1, f in zip(ranks[0][1]["shapes"], ranks[1][1]["shapes"], full):
        split = [i for i, (a, b) in enumerate(zip(s0, s1)) if a != f[i] or b != f[i]]
        for i in split:
            assert s0[i] + s1[i] == f[i]


@pytest.mark.parametrize("kind", MESHES)
def test_weights_are_split_from_creation(two_process_run, kind):
    # ModelParallel set before building: right after the build, before any fit, each
    # process's split weights hold only their piece (own compact storage, not a view).
    _, ranks = two_process_run[kind]
    for _, logs in ranks:
        assert [c[0] for c in logs["created"]] == logs["shapes"]
        for _, numel, storage, is_view in logs["created"]:
            assert storage == numel and not is_view
    u = worker.UNITS
    full_numel = [6 * u, u, u * u, u, u * 3, 3]
    for c0, c1, f in zip(ranks[0][1]["created"], ranks[1][1]["created"], full_numel):
        if c0[1] != f:  # split: 5 / 4 of the 9 units each, together the whole weight
            assert c0[1] + c1[1] == f and 9 * max(c0[1], c1[1]) == 5 * f

    x, _ = worker.data()
    expected = worker.build().predict(x, batch_size=worker.BATCH, verbose=0)  # same seed
    for arrays, _ in ranks:
        np.testing.assert_allclose(arrays["pred_before"], expected, atol=1e-6)


@pytest.mark.parametrize("kind", MESHES)
def test_training_equals_single_process(two_process_run, single_process, kind):
    _, ranks = two_process_run[kind]
    model, history, ev, pred, _ = single_process
    for arrays, logs in ranks:
        _assert_weights([arrays[f"arr_{i}"] for i in range(len(model.weights))],
                        model.get_weights())  # fmt: skip
        assert sorted(logs["history"]) == sorted(history)
        for key, values in history.items():
            np.testing.assert_allclose(logs["history"][key], values, rtol=1e-5, atol=1e-6)
        for key, value in ev.items():
            np.testing.assert_allclose(logs["evaluate"][key], value, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(arrays["pred"], pred, atol=1e-5)
        # load_weights under the distribution: whole file, pieces kept
        np.testing.assert_allclose(arrays["pred_loaded"], pred, atol=1e-5)
        assert logs["loaded_shapes"] == logs["shapes"]


@pytest.mark.parametrize("kind", MESHES)
def test_checkpoints_are_whole_and_load_in_one_process(two_process_run, single_process, kind):
    out, _ = two_process_run[kind]
    model, _, _, pred, after_one = single_process
    x, _ = worker.data()
    loaded = keras.saving.load_model(out / "model.keras")
    _assert_weights(loaded.get_weights(), model.get_weights())
    np.testing.assert_allclose(loaded.predict(x, verbose=0), pred, atol=1e-5)
    plain = worker.build(seed=7)
    plain.load_weights(out / "model.weights.h5")
    _assert_weights(plain.get_weights(), model.get_weights())
    # ModelCheckpoint during fit: whole weights (epoch 1) and whole optimizer slots
    plain.load_weights(out / "epoch1.weights.h5")
    _assert_weights(plain.get_weights(), after_one)
    ckpt = keras.saving.load_model(out / "ckpt.keras")
    _assert_weights(ckpt.get_weights(), model.get_weights())
    for a, e in zip(ckpt.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), atol=1e-5)


def test_checkpoint_loads_in_real_keras(two_process_run, single_process):
    real = pytest.importorskip("keras")
    if real.backend.backend() != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    out, _ = two_process_run["1d"]
    model = single_process[0]
    loaded = real.saving.load_model(str(out / "model.keras"))
    _assert_weights(loaded.get_weights(), model.get_weights())


@pytest.mark.parametrize("kind", MESHES)
def test_distribute_tensor_gives_local_shards(two_process_run, kind):
    _, ranks = two_process_run[kind]
    full = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(ranks[0][0]["piece"], full[:, :2])
    np.testing.assert_array_equal(ranks[1][0]["piece"], full[:, 2:])
    for arrays, _ in ranks:
        np.testing.assert_array_equal(arrays["whole"], full)


# ------------------------------------------------------------------ API objects
def test_device_mesh():
    mesh = dist.DeviceMesh((1, 2), ["batch", "model"], devices=CPUS)
    assert mesh.shape == (1, 2) and mesh.axis_names == ["batch", "model"]
    assert mesh.devices.shape == (1, 2) and mesh.devices[0, 1] == "cpu:1"
    assert "shape=(1, 2)" in repr(mesh)


def test_device_mesh_errors():
    with pytest.raises(ValueError, match="must not be empty"):
        dist.DeviceMesh((), [], devices=CPUS)
    with pytest.raises(ValueError, match=r"one entry per mesh axis.*axis_names=\['a'\]"):
        dist.DeviceMesh((1, 2), ["a"], devices=CPUS)
    with pytest.raises(ValueError, match=r"needs prod\(shape\)=4 devices.*devices.shape=\(2,\)"):
        dist.DeviceMesh((2, 2), ["a", "b"], devices=CPUS)
    with pytest.raises(ValueError, match="unique"):
        dist.DeviceMesh((1, 2), ["a", "a"], devices=CPUS)
    with pytest.raises(ValueError, match=r"positive integers. Received: shape=\(0, 2\)"):
        dist.DeviceMesh((0, 2), ["a", "b"], devices=CPUS)


def test_tensor_layout():
    mesh = dist.DeviceMesh((2,), ["model"], devices=CPUS)
    layout = dist.TensorLayout((None, "model"))
    assert layout.device_mesh is None and not dist.TensorLayout((None, None)).is_sharded
    layout.device_mesh = mesh
    assert layout.device_mesh is mesh and layout.axes == (None, "model") and layout.is_sharded
    with pytest.raises(ValueError, match="cannot be replaced"):
        layout.device_mesh = mesh
    with pytest.raises(ValueError, match=r"\['data'\] are not axes of the device mesh"):
        dist.TensorLayout(("data", None), mesh)
    with pytest.raises(ValueError, match="only one tensor dimension"):
        dist.TensorLayout(("model", "model"))


def test_layout_map_lookup_and_errors():
    mesh = dist.DeviceMesh((2,), ["model"], devices=CPUS)
    layouts = dist.LayoutMap(mesh)
    layouts[".*dense.*kernel"] = (None, "model")
    layouts["dense_1/bias"] = dist.TensorLayout(("model",))
    layouts[".*conv.*"] = [None, None, None, "model"]
    assert len(layouts) == 3 and list(layouts)[0] == ".*dense.*kernel"
    assert layouts["sequential/dense_2/kernel"].axes == (None, "model")
    assert layouts["dense_1/bias"].device_mesh is mesh
    assert layouts["dense_2/bias"] is None  # no key matches the whole path
    assert layouts.get("embedding/embeddings") is None
    with pytest.raises(ValueError, match="already in the LayoutMap"):
        layouts["dense_1/bias"] = ("model",)
    with pytest.raises(ValueError, match="must be TensorLayouts or tuples.*type str"):
        layouts["x"] = "model"
    with pytest.raises(ValueError, match=r"matches several LayoutMap keys"):
        layouts["conv_dense/kernel"]
    with pytest.raises(ValueError, match="are not axes of the device mesh"):
        layouts["other"] = ("batch",)
    del layouts[".*conv.*"]
    assert layouts["conv_dense/kernel"].axes == (None, "model")


def test_model_parallel_arguments():
    mesh = dist.DeviceMesh((1, 2), ["batch", "model"], devices=CPUS)
    layouts = dist.LayoutMap(mesh)
    layouts[".*kernel"] = (None, "model")
    mp = dist.ModelParallel(layout_map=layouts)
    assert mp.batch_dim_name == "batch" and mp.device_mesh is mesh and mp.num_model_replicas == 1
    dense = keras.layers.Dense(3, name="dense")
    dense.build((None, 4))
    assert mp.get_variable_layout(dense.kernel).axes == (None, "model")
    assert mp.get_variable_layout(dense.bias).axes == (None,)
    assert mp.get_data_layout((8, 4)).axes == ("batch", None)
    with pytest.raises(ValueError, match="needs a `layout_map`"):
        dist.ModelParallel()
    with pytest.raises(ValueError, match="must be a LayoutMap. Received: layout_map of type dict"):
        dist.ModelParallel(layout_map={})
    with pytest.raises(ValueError, match="Received: batch_dim_name='data'"):
        dist.ModelParallel(layout_map=layouts, batch_dim_name="data")
    with pytest.raises(ValueError, match="torchrun --nproc_per_node=2"):
        mp.local_device()
    dist.set_distribution(mp)
    try:
        assert dist.distribution() is mp
    finally:
        dist.set_distribution(None)


def test_distribute_tensor_single_process_and_errors():
    mesh = dist.DeviceMesh((1,), ["model"], devices=["cpu:0"])
    t = dist.distribute_tensor(np.ones((2, 4), "float32"), dist.TensorLayout((None, "model"), mesh))
    np.testing.assert_array_equal(np.asarray(t), np.ones((2, 4)))
    with pytest.raises(ValueError, match="has 1 axes but the tensor has rank 2"):
        dist.distribute_tensor(np.ones((2, 4)), dist.TensorLayout(("model",), mesh))
    with pytest.raises(ValueError, match="TensorLayout with a device mesh"):
        dist.distribute_tensor(np.ones((2, 4)), dist.TensorLayout((None, None)))
