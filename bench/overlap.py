"""Does loading overlap with training? (issue 6)

A PyDataset whose ``__getitem__`` sleeps about as long as one training step is
trained two ways: sequentially (load a batch, then train on it: ``train_on_batch``
in a loop) and with ``fit``, which loads ahead in background threads. With
overlap the epoch takes about max(load, compute) instead of load + compute.

Run: ``.venv/bin/python bench/overlap.py`` (prints the times and their ratio).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

import ketorch as keras


def build(width):
    model = keras.Sequential(
        [
            keras.Input((width,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile("rmsprop", "mse")
    return model


class SlowData(keras.utils.PyDataset):
    def __init__(self, n_batches, batch, width, delay, workers):
        super().__init__(workers=workers, max_queue_size=8)
        self.n_batches, self.batch, self.width, self.delay = n_batches, batch, width, delay
        rng = np.random.default_rng(0)
        self.x = rng.random((batch, width)).astype("float32")
        self.y = rng.random((batch, 1)).astype("float32")

    def __len__(self):
        return self.n_batches

    def __getitem__(self, i):
        time.sleep(self.delay)  # stands for decoding/augmenting: releases the GIL like real I/O
        return self.x, self.y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = build(args.width)
    data = SlowData(args.batches, args.batch, args.width, 0.0, args.workers)
    model.fit(data, verbose=0)  # warm-up
    t = time.perf_counter()
    for i in range(len(data)):
        model.train_on_batch(*data[i])
    step = (time.perf_counter() - t) / len(data)
    data.delay = step  # loading a batch costs as much as training on it

    t = time.perf_counter()
    for i in range(len(data)):
        model.train_on_batch(*data[i])
    sequential = time.perf_counter() - t
    t = time.perf_counter()
    model.fit(data, verbose=0, shuffle=False)
    overlapped = time.perf_counter() - t
    result = {
        "step_s": round(step, 4),
        "load_s_per_batch": round(step, 4),
        "sequential_epoch_s": round(sequential, 3),
        "fit_with_prefetch_epoch_s": round(overlapped, 3),
        "ratio": round(overlapped / sequential, 3),
        "ideal_ratio": 0.5,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
