"""Long runs do not leak: repeated fit, predict_on_batch and build/compile/discard cycles.

Resident memory (VmRSS from /proc, or psutil when installed) is sampled after a
warm-up and again at the end, with ``gc.collect()`` before each reading. The
bounds are a few MiB: far above allocator noise (measured growth is under
0.5 MiB) and far below what a per-call leak of even one batch of activations
would add over hundreds of calls. Discarded models must also be freed (checked
with weak references), which catches reference leaks RSS is too coarse to see.
"""

from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pytest

import ketorch as keras

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="needs /proc to read resident memory"
)

FIT_CALLS = 200
PREDICT_CALLS = 2000
BUILD_CYCLES = 50
# MiB of resident growth tolerated after warm-up.
FIT_BOUND_MB = 8.0
PREDICT_BOUND_MB = 4.0
BUILD_BOUND_MB = 8.0


def rss_mb() -> float:
    """Resident set size of this process in MiB, after a full garbage collection."""
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmRSS missing from /proc/self/status")


def _data(n=256):
    rng = np.random.default_rng(0)
    return rng.random((n, 16), dtype=np.float32), rng.random((n, 1), dtype=np.float32)


def _model():
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(1),
        ]
    )
    model.compile("adam", "mse", metrics=["mae"])
    return model


def _growth(fn, calls, warmup):
    for _ in range(warmup):
        fn()
    before = rss_mb()
    for _ in range(calls):
        fn()
    return rss_mb() - before


def test_repeated_fit_keeps_memory_flat(record_property):
    x, y = _data()
    model = _model()
    growth = _growth(
        lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0, validation_split=0.25),
        FIT_CALLS,
        warmup=20,
    )
    record_property("fit_growth_mb", growth)
    print(f"\n{FIT_CALLS} fit calls: RSS growth {growth:.2f} MiB")
    assert growth < FIT_BOUND_MB


def test_repeated_predict_on_batch_keeps_memory_flat(record_property):
    x, _ = _data(32)
    model = _model()
    growth = _growth(lambda: model.predict_on_batch(x), PREDICT_CALLS, warmup=200)
    record_property("predict_on_batch_growth_mb", growth)
    print(f"\n{PREDICT_CALLS} predict_on_batch calls: RSS growth {growth:.2f} MiB")
    assert growth < PREDICT_BOUND_MB


def test_build_compile_discard_cycles_free_models(record_property):
    x, y = _data(64)
    refs = []

    def cycle():
        model = _model()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        model.predict(x, verbose=0)
        refs.append(weakref.ref(model))

    growth = _growth(cycle, BUILD_CYCLES, warmup=10)
    gc.collect()
    alive = sum(r() is not None for r in refs)
    record_property("build_cycle_growth_mb", growth)
    print(f"\n{BUILD_CYCLES} build/compile/fit/discard cycles: RSS growth {growth:.2f} MiB")
    assert alive == 0, f"{alive} discarded models are still referenced somewhere"
    assert growth < BUILD_BOUND_MB
