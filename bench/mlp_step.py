"""ms/step of the seed MLP's ``fit`` (784-64-64-10, rmsprop, batch 32): ketorch with its fused
dense training path on and off, and a hand-written torch loop for reference.

The three runs are interleaved in one process and repeated; the table shows the medians of
wall time and of process CPU time (the CPU time is the steadier number on a shared machine:
it leaves out the time other processes held the cores).

    KERAS_BACKEND=torch .venv/bin/python bench/mlp_step.py --threads 1
    KERAS_BACKEND=torch .venv/bin/python bench/mlp_step.py --threads 2 --samples 60000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ketorch as keras  # noqa: E402
from ketorch.trainers import fast_dense  # noqa: E402


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    y = np.zeros((n, 10), dtype=np.float32)
    y[np.arange(n), rng.integers(0, 10, n)] = 1.0
    return x, y


def _model():
    inputs = keras.Input(shape=(784,))
    h = keras.layers.Dense(64, activation="relu")(inputs)
    h = keras.layers.Dense(64, activation="relu")(h)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])
    return model


def _ketorch_runner(fast, x, y, batch):
    model = _model()

    def run(xs, ys):
        fast_dense.ENABLED = fast
        try:
            model.fit(xs, ys, batch_size=batch, epochs=1, verbose=0, shuffle=True)
        finally:
            fast_dense.ENABLED = True

    run(x[: batch * 20], y[: batch * 20])  # warm-up (build, first steps)
    return run


def _torch_runner(x, y, batch):
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7, foreach=True)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run(xs, ys):
        tx, ty = torch.from_numpy(xs), torch.from_numpy(ys).argmax(1)
        perm = torch.randperm(len(tx))
        tx, ty = tx[perm], ty[perm]
        correct = torch.zeros(())
        for s in range(0, len(tx), batch):
            bx, by = tx[s : s + batch], ty[s : s + batch]
            logits = net(bx)
            loss = loss_fn(logits, by)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                correct += (logits.argmax(1) == by).sum()
        float(correct)

    run(x[: batch * 20], y[: batch * 20])
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y = _data(args.samples)
    steps = -(-args.samples // args.batch)
    runners = {
        "ketorch fast path": _ketorch_runner(True, x, y, args.batch),
        "ketorch general path": _ketorch_runner(False, x, y, args.batch),
        "hand-written torch": _torch_runner(x, y, args.batch),
    }
    wall = {name: [] for name in runners}
    cpu = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, run in runners.items():
            t0, c0 = time.perf_counter(), time.process_time()
            run(x, y)
            wall[name].append((time.perf_counter() - t0) / steps * 1e3)
            cpu[name].append((time.process_time() - c0) / steps * 1e3)
    print(f"threads={args.threads} samples={args.samples} batch={args.batch} steps={steps}")
    for label, times in (("wall", wall), ("cpu", cpu)):
        base = statistics.median(times["hand-written torch"])
        for name, ts in times.items():
            med = statistics.median(ts)
            print(
                f"{label:4s} {name:22s} {med:7.3f} ms/step {args.batch / med * 1e3:8.0f} samples/s"
                f"  x{base / med:.2f} of torch loop  (runs: {', '.join(f'{t:.3f}' for t in ts)})"
            )


if __name__ == "__main__":
    main()
