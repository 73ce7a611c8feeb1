"""Cost of the ``keras.ops`` dispatch in a custom layer, against the same layer in plain torch.

A Transformer block with a positional embedding, written twice with identical math: once with
``ketorch.ops`` (as Keras 3 code is written) and once with ``torch`` calls. Both train in
ketorch's ``fit`` on the same data; the runs alternate and the median epoch time of each is
reported, with the ratio. A micro-benchmark of single small ops shows the per-call cost.

Run: .venv/bin/python bench/ops_overhead.py [--epochs 7] [--samples 2048] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import ketorch as keras
from ketorch import ops


def block_class(use_ops: bool):
    o = ops if use_ops else None

    class Block(keras.layers.Layer):
        def __init__(self, maxlen, vocab, dim, heads, **kwargs):
            super().__init__(**kwargs)
            self.dim, self.heads = dim, heads
            self.tok = keras.layers.Embedding(vocab, dim)
            self.pos = keras.layers.Embedding(maxlen, dim)
            self.qkv = keras.layers.Dense(3 * dim)
            self.out = keras.layers.Dense(dim)
            self.ff1 = keras.layers.Dense(2 * dim, activation="relu")
            self.ff2 = keras.layers.Dense(dim)

        def _norm(self, x):
            if use_ops:
                mean = o.mean(x, axis=-1, keepdims=True)
                var = o.var(x, axis=-1, keepdims=True)
                return (x - mean) * o.rsqrt(var + 1e-6)
            mean = torch.mean(x, dim=-1, keepdim=True)
            var = torch.var(x, dim=-1, keepdim=True, unbiased=False)
            return (x - mean) * torch.rsqrt(var + 1e-6)

        def call(self, tokens):
            d, h = self.dim, self.heads
            if use_ops:
                n = o.shape(tokens)[-1]
                x = self.tok(tokens) + self.pos(o.arange(0, n, 1))
                q, k, v = o.split(self.qkv(x), 3, axis=-1)
                q = o.transpose(o.reshape(q, (-1, n, h, d // h)), (0, 2, 1, 3))
                k = o.transpose(o.reshape(k, (-1, n, h, d // h)), (0, 2, 3, 1))
                v = o.transpose(o.reshape(v, (-1, n, h, d // h)), (0, 2, 1, 3))
                att = o.softmax(o.matmul(q, k) * (1.0 / (d // h) ** 0.5), axis=-1)
                a = o.reshape(o.transpose(o.matmul(att, v), (0, 2, 1, 3)), (-1, n, d))
                x = self._norm(x + self.out(a))
                return o.mean(self._norm(x + self.ff2(self.ff1(x))), axis=1)
            n = tokens.shape[-1]
            x = self.tok(tokens) + self.pos(torch.arange(0, n, 1, device=tokens.device))
            q, k, v = torch.split(self.qkv(x), d, dim=-1)
            q = q.reshape(-1, n, h, d // h).permute(0, 2, 1, 3)
            k = k.reshape(-1, n, h, d // h).permute(0, 2, 3, 1)
            v = v.reshape(-1, n, h, d // h).permute(0, 2, 1, 3)
            att = torch.softmax(torch.matmul(q, k) * (1.0 / (d // h) ** 0.5), dim=-1)
            a = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(-1, n, d)
            x = self._norm(x + self.out(a))
            return torch.mean(self._norm(x + self.ff2(self.ff1(x))), dim=1)

    return Block


def build(use_ops, maxlen, vocab=2000, dim=64, heads=4):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    x = block_class(use_ops)(maxlen, vocab, dim, heads)(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    return model


def micro(n=20000):
    a, b = torch.randn(8, 8), torch.randn(8, 8)
    rows = []
    for name, f_ops, f_torch in (
        ("add", lambda: ops.add(a, b), lambda: torch.add(a, b)),
        ("matmul", lambda: ops.matmul(a, b), lambda: torch.matmul(a, b)),
        ("mean(axis=-1)", lambda: ops.mean(a, axis=-1), lambda: torch.mean(a, dim=-1)),
        ("softmax", lambda: ops.softmax(a), lambda: torch.softmax(a, dim=-1)),
        ("reshape", lambda: ops.reshape(a, (4, 16)), lambda: torch.reshape(a, (4, 16))),
    ):
        times = {}
        for label, fn in (("ops", f_ops), ("torch", f_torch)):
            for _ in range(1000):
                fn()
            t = time.perf_counter()
            for _ in range(n):
                fn()
            times[label] = (time.perf_counter() - t) / n * 1e6
        rows.append((name, times["ops"], times["torch"]))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--maxlen", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2000, (args.samples, args.maxlen)).astype("int32")
    y = rng.integers(0, 2, (args.samples, 1)).astype("float32")
    models = {"ops": build(True, args.maxlen), "torch": build(False, args.maxlen)}
    models["torch"].set_weights(models["ops"].get_weights())
    for m in models.values():  # warm-up
        m.fit(x[:256], y[:256], batch_size=32, epochs=1, verbose=0)
    times = {k: [] for k in models}
    for _ in range(args.epochs):
        for label, m in models.items():
            t = time.perf_counter()
            m.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
            times[label].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    steps = args.samples // 32
    print(f"Transformer block, {steps} steps/epoch, median of {args.epochs} alternating epochs")
    for k in ("ops", "torch"):
        print(f"  {k:6s} {med[k]:.3f} s/epoch  {med[k] / steps * 1e3:.2f} ms/step")
    print(f"  ops / torch time ratio: {med['ops'] / med['torch']:.3f}")
    print("Single small ops (8x8 float32), microseconds per call:")
    for name, t_ops, t_torch in micro():
        print(f"  {name:14s} ops {t_ops:6.2f}  torch {t_torch:6.2f}  (+{t_ops - t_torch:.2f})")


if __name__ == "__main__":
    main()
