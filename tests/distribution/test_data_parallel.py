"""DataParallel on 2 CPU processes (gloo) equals one process on the same global batches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch

import ketorch as keras

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _dp_worker as worker  # noqa: E402


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(out, nproc, **env):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **env)
    cmd = [
        sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
        f"--master_port={_free_port()}", os.path.join(HERE, "_dp_worker.py"), str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    ranks = []
    for r in range(nproc):
        arrays = np.load(out / f"rank{r}.npz")
        with open(out / f"rank{r}.json") as f:
            ranks.append((arrays, json.load(f)))
    return ranks


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("dp")
    return out, _torchrun(out, 2, KETORCH_DEVICE="cpu")


@pytest.fixture(scope="module")
def single_process():
    x, y = worker.data()
    model = worker.build()
    batch_losses = worker.BatchLosses()
    hist = model.fit(x, y, batch_size=worker.BATCH, epochs=2, shuffle=False, verbose=0,
                     validation_data=(x[:21], y[:21]), callbacks=[batch_losses])  # fmt: skip
    hist.history["batch_losses"] = batch_losses.losses
    ev = model.evaluate(x, y, batch_size=worker.BATCH, verbose=0, return_dict=True)
    pred = model.predict(x, batch_size=worker.BATCH, verbose=0)
    return model.get_weights(), hist.history, ev, pred


def test_weights_equal_single_process(two_process_run, single_process):
    _, ranks = two_process_run
    weights, _, _, _ = single_process
    for arrays, _ in ranks:
        for i, w in enumerate(weights):
            np.testing.assert_allclose(arrays[f"arr_{i}"], w, atol=1e-5)


def test_custom_keras_train_step_is_averaged_too(two_process_run, single_process):
    # A Keras-style train_step(self, data) that calls optimizer.apply: DataParallel's gradient
    # average runs in the optimizer's step hook, which apply runs as well.
    _, ranks = two_process_run
    expected = np.concatenate([w.ravel() for w in single_process[0]])
    for arrays, _ in ranks:
        np.testing.assert_allclose(arrays["custom_weights"], expected, atol=1e-5)


def test_history_is_global(two_process_run, single_process):
    _, ranks = two_process_run
    _, history, ev, _ = single_process
    for _, logs in ranks:
        assert sorted(logs["history"]) == sorted(k for k in history if k != "batch_losses")
        np.testing.assert_allclose(logs["batch_losses"], history["batch_losses"], rtol=1e-5)
        for key, values in history.items():
            if key == "batch_losses":
                continue
            np.testing.assert_allclose(logs["history"][key], values, rtol=1e-5, atol=1e-6)
        for key, value in ev.items():
            np.testing.assert_allclose(logs["evaluate"][key], value, rtol=1e-5, atol=1e-6)


def test_predict_full_and_ordered_on_every_rank(two_process_run, single_process):
    _, ranks = two_process_run
    pred = single_process[3]
    for arrays, _ in ranks:
        assert arrays["pred"].shape == pred.shape
        np.testing.assert_allclose(arrays["pred"], pred, atol=1e-5)


def test_pydataset_turns_equal_global_batches(two_process_run):
    # PyDataset batches of 4 taken in turns make the global batches of 8 of an array run.
    _, ranks = two_process_run
    x, y = worker.data()
    model = worker.build()
    history = model.fit(x[:48], y[:48], batch_size=8, epochs=2, shuffle=False, verbose=0).history
    flat = np.concatenate([w.ravel() for w in model.get_weights()])
    pred = model.predict(x, verbose=0)
    for arrays, logs in ranks:
        np.testing.assert_allclose(arrays["stream_weights"], flat, atol=1e-5)
        np.testing.assert_allclose(logs["stream_history"]["loss"], history["loss"], rtol=1e-5)
        np.testing.assert_allclose(arrays["stream_pred"], pred, atol=1e-5)


def test_shuffled_epoch_keeps_processes_identical(two_process_run):
    _, ranks = two_process_run
    np.testing.assert_array_equal(ranks[0][0]["shuffled"], ranks[1][0]["shuffled"])


def test_only_rank0_prints_and_writes(two_process_run):
    out, _ = two_process_run
    assert (out / "ckpt0.weights.h5").exists() and (out / "log0.csv").exists()
    assert not (out / "ckpt1.weights.h5").exists() and not (out / "log1.csv").exists()
    assert "Epoch 1/2" in (out / "stdout0.txt").read_text()
    assert (out / "stdout1.txt").read_text().strip() == ""


@pytest.mark.parametrize("mode", ["die", "stall"])
def test_dead_or_stalled_worker_fails_fast(tmp_path, mode):
    import torch.multiprocessing as mp

    ctx = mp.start_processes(
        worker.spawn_entry, args=(2, _free_port(), str(tmp_path), mode), nprocs=2,
        join=False, start_method="spawn",
    )  # fmt: skip
    try:
        ctx.processes[0].join(timeout=60)
        assert not ctx.processes[0].is_alive(), "rank 0 hung"
    finally:
        for p in ctx.processes:
            p.kill()
    with open(tmp_path / "error0.json") as f:
        error = json.load(f)
    assert "rank 0 of 2" in error["message"] and "gradient all-reduce" in error["message"]
    assert "at most 3 s" in error["message"]
    assert error["elapsed"] < 20  # the collective timeout is 3 s


def test_not_distributed_without_torchrun():
    assert keras.distribution.distribution() is None
    assert keras.distribution.get_world_size() == 1
    assert keras.distribution.is_chief()


def test_data_parallel_argument_errors():
    with pytest.raises(ValueError, match="Received: timeout=-1"):
        keras.distribution.DataParallel(timeout=-1)
    with pytest.raises(ValueError, match="Received: backend='mpi'"):
        keras.distribution.DataParallel(backend="mpi")
    with pytest.raises(ValueError, match="DataParallel"):
        keras.distribution.set_distribution("data")
    with pytest.raises(ValueError, match="torchrun --nproc_per_node=2"):
        keras.distribution.DataParallel(devices=["cpu:0", "cpu:1"]).local_device()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("nproc,backend", [(2, "gloo"), (1, "nccl")])
def test_cuda_data_parallel(tmp_path, single_process, nproc, backend):
    # One GPU: two processes share it over gloo; nccl runs its collectives with one process.
    ranks = _torchrun(tmp_path, nproc, DP_DEVICE="cuda:0", DP_BACKEND=backend)
    weights, history, ev, pred = single_process
    for arrays, logs in ranks:
        for i, w in enumerate(weights):
            np.testing.assert_allclose(arrays[f"arr_{i}"], w, atol=1e-4)
        np.testing.assert_allclose(logs["history"]["loss"], history["loss"], rtol=1e-4)
        np.testing.assert_allclose(arrays["pred"], pred, atol=1e-4)
