"""One benchmark measurement in its own process: one impl, one workload, one device.

Builds the model, makes the data (numpy, fixed seed), warms up (timed apart: ``warmup_s``), then
times one epoch of ``fit`` and one pass of ``predict`` at each prediction batch size, and prints one
line ``BENCH_RESULT {json}`` on stdout.

Usage:
    python bench/worker.py --impl ketorch --workload mlp --device cpu --size tiny
        [--predict-batch 32,256] [--threads N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import sys
import time
import traceback

IMPLS = ("ketorch", "ketorch-jit", "keras-jax", "keras-tensorflow", "keras-torch", "torch")
MARKER = "BENCH_RESULT "

# Where a ketorch layer lives when ketorch.layers does not (yet) export it.
_KETORCH_FALLBACKS = {
    "LSTM": "ketorch.layers.recurrent",
    "Conv2D": "ketorch.layers.convolutional",
    "MaxPooling2D": "ketorch.layers.pooling",
    "MultiHeadAttention": "ketorch.layers.attention",
    "LayerNormalization": "ketorch.layers.normalization",
    "Add": "ketorch.layers.merging",
    "GlobalAveragePooling1D": "ketorch.layers.pooling",
}


class Skip(Exception):
    """The workload cannot run on this impl (a layer or device is missing)."""


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", required=True, choices=IMPLS)
    p.add_argument("--workload", required=True)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--size", default="full")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: each's own)")
    p.add_argument(
        "--predict-batch",
        type=parse_batches,
        default=None,
        help="comma-separated predict batch sizes (default: 32,256)",
    )
    return p.parse_args(argv)


def parse_batches(value: str) -> tuple[int, ...]:
    """``"32,256"`` -> ``(32, 256)``: positive, distinct, in the order given."""
    try:
        items = tuple(dict.fromkeys(int(v) for v in value.split(",") if v.strip()))
    except ValueError:
        items = ()
    if not items or any(b < 1 for b in items):
        raise argparse.ArgumentTypeError(
            f"--predict-batch takes positive integers separated by commas. Received: {value!r}"
        )
    return items


def _predict_counts(plan, batches) -> dict[int, int]:
    """Samples predicted at each batch size: the plan's count, cut to a multiple of the batch when
    it holds at least one full batch (so no partial last batch makes jax/tensorflow recompile)."""
    return {b: (plan.predict // b) * b if plan.predict >= b else plan.predict for b in batches}


def _set_env(impl: str, device: str, threads: int | None) -> None:
    """Environment that must be in place before the framework is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if threads:
        _pin_cpus(threads)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
        if threads == 1:
            flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ["KETORCH_DEVICE"] = device
    if impl.startswith("keras-"):
        os.environ["KERAS_BACKEND"] = impl.split("-", 1)[1]


def _pin_cpus(threads: int) -> None:
    """Run this process (and every thread it starts) on ``threads`` CPUs.

    Thread-count variables alone do not hold every framework to ``threads`` cores: XLA's CPU
    runtime keeps its own pool (Keras-jax's convolutions used both cores of a 2-core machine
    under ``--threads 1``: process CPU time twice the wall time). The affinity mask does, for
    every impl alike.
    """
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    if threads < len(cpus):
        os.sched_setaffinity(0, cpus[:threads])


def _rss_mb() -> float:
    """Current resident set size (psutil when installed, else /proc)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _Layers:
    """``ketorch.layers``, with layers not exported yet taken from their submodules."""

    def __init__(self, layers, notes):
        self._layers = layers
        self._notes = notes

    def __getattr__(self, name):
        if hasattr(self._layers, name):
            return getattr(self._layers, name)
        module_name = _KETORCH_FALLBACKS.get(name)
        if module_name:
            import importlib

            try:
                value = getattr(importlib.import_module(module_name), name)
            except (ImportError, AttributeError):
                value = None
            if value is not None:
                note = f"ketorch.layers lacks {name}; used {module_name}.{name}"
                if note not in self._notes:
                    self._notes.append(note)
                return value
        raise Skip(f"ketorch.layers has no {name}")


# ------------------------------------------------------------------------ Keras-API impls ---


def _run_keras(args, plan, result):
    import numpy as np
    from workloads import LAYERS_NEEDED, build_keras_model, dims_for, make_data

    t0 = time.perf_counter()
    if args.impl.startswith("ketorch"):
        import ketorch as keras

        layers = _Layers(keras.layers, result["notes"])
    else:
        import keras

        layers = keras.layers
        if keras.backend.backend() != args.impl.split("-", 1)[1]:
            raise RuntimeError(f"keras picked backend {keras.backend.backend()}")
    result["import_s"] = time.perf_counter() - t0
    result["versions"] = _versions(args.impl, keras)
    result["threads"] = _threads(args.impl)
    _check_device(args.impl, args.device)
    result["rss_after_import_mb"] = _rss_mb()

    for name in LAYERS_NEEDED[args.workload]:
        getattr(layers, name)  # raises Skip early with a clear note

    keras.utils.set_random_seed(args.seed)
    dims = dims_for(args.size)
    x, y = make_data(args.workload, plan.train, args.seed, dims)
    xp, _ = make_data(args.workload, plan.predict, args.seed + 1, dims)
    x = x[0] if len(x) == 1 else x
    xp = xp[0] if len(xp) == 1 else xp
    extra = {"jit_compile": True} if args.impl == "ketorch-jit" else {}
    model = build_keras_model(keras, layers, args.workload, dims, **extra)
    result["params"] = int(model.count_params())

    def head(a, n):
        return [v[:n] for v in a] if isinstance(a, list) else a[:n]

    counts = _predict_counts(plan, args.predict_batch)
    t0 = time.perf_counter()
    model.fit(head(x, plan.warmup), y[: plan.warmup], batch_size=32, epochs=1, verbose=0)
    _sync(args)
    result["warmup_fit_s"] = time.perf_counter() - t0
    for b, n in counts.items():  # one warm-up predict per batch size: jax/tf compile per shape
        model.predict(head(xp, min(n, max(b, plan.warmup // b * b))), batch_size=b, verbose=0)
    _sync(args)
    result["warmup_s"] = time.perf_counter() - t0
    result["warmup_predict_s"] = result["warmup_s"] - result["warmup_fit_s"]
    _reset_cuda_peak(args)

    t0, c0 = time.perf_counter(), time.process_time()
    history = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    _sync(args)
    result["fit_s"] = time.perf_counter() - t0
    result["fit_cpu_s"] = time.process_time() - c0
    result["final_loss"] = float(history.history["loss"][-1])

    for b, n in counts.items():
        t0 = time.perf_counter()
        out = model.predict(head(xp, n), batch_size=b, verbose=0)
        _sync(args)
        _record_predict(result, b, n, time.perf_counter() - t0)
        result["predict_shape"] = list(np.asarray(out).shape)


def _record_predict(result: dict, batch: int, samples: int, seconds: float) -> None:
    result["predict"][str(batch)] = {
        "samples": samples,
        "predict_s": seconds,
        "samples_per_s": samples / seconds,
    }


def _sync(args):
    if args.device != "cuda":
        return
    if args.impl in ("ketorch", "ketorch-jit", "keras-torch", "torch"):
        import torch

        torch.cuda.synchronize()


def _reset_cuda_peak(args):
    if args.device == "cuda" and args.impl in ("ketorch", "ketorch-jit", "keras-torch", "torch"):
        import torch

        torch.cuda.reset_peak_memory_stats()


# ----------------------------------------------------------------- hand-written torch impl ---


def _run_torch(args, plan, result):
    t0 = time.perf_counter()
    import numpy as np
    import torch
    from torch import nn
    from workloads import BATCH_SIZE, build_torch_model, dims_for, make_data

    result["import_s"] = time.perf_counter() - t0
    result["versions"] = _versions("torch", None)
    result["threads"] = _threads("torch")
    _check_device("torch", args.device)
    result["rss_after_import_mb"] = _rss_mb()
    device = torch.device(args.device)

    torch.manual_seed(args.seed)
    dims = dims_for(args.size)
    x, y = make_data(args.workload, plan.train, args.seed, dims)
    xp, _ = make_data(args.workload, plan.predict, args.seed + 1, dims)
    net, kind = build_torch_model(args.workload, dims)
    net = net.to(device)
    result["params"] = sum(p.numel() for p in net.parameters())

    def to_tensor(a):
        t = torch.from_numpy(a)
        if t.dtype == torch.int32:
            t = t.long()
        if t.dim() == 4:  # NHWC data -> NCHW view in channels_last memory, no copy
            t = t.permute(0, 3, 1, 2)
        return t.to(device)

    # The transformer computes positions itself; it only takes the tokens.
    xt, yt, xpt = to_tensor(x[0]), torch.from_numpy(y).to(device), to_tensor(xp[0])
    if kind == "multiclass":
        loss_fn = nn.CrossEntropyLoss()
        yt = yt.argmax(dim=1)
    else:
        loss_fn = nn.BCEWithLogitsLoss()

    def train_epoch(xs, ys):
        net.train()
        n = xs.shape[0]
        perm = torch.randperm(n, device=device)
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for i in range(0, n, BATCH_SIZE):
            idx = perm[i : i + BATCH_SIZE]
            xb, yb = xs[idx], ys[idx]
            opt.zero_grad(set_to_none=True)
            logits = net(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            with torch.no_grad():
                total_loss += loss.detach() * xb.shape[0]
                if kind == "multiclass":
                    correct += (logits.argmax(dim=1) == yb).sum()
                else:
                    correct += ((logits > 0).to(yb.dtype) == yb).sum()
        return (total_loss / n).item(), (correct.double() / n).item()

    @torch.inference_mode()
    def predict(xs, batch_size):
        net.eval()
        outs = []
        for i in range(0, xs.shape[0], batch_size):
            logits = net(xs[i : i + batch_size])
            outs.append(logits.softmax(dim=1) if kind == "multiclass" else logits.sigmoid())
        return torch.cat(outs).cpu().numpy()

    counts = _predict_counts(plan, args.predict_batch)
    t0 = time.perf_counter()
    # Built inside the warm-up, as the Keras impls build theirs in their first fit (the first
    # torch.optim optimizer imports torch._dynamo: seconds).
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    train_epoch(xt[: plan.warmup], yt[: plan.warmup])
    _sync(args)
    result["warmup_fit_s"] = time.perf_counter() - t0
    for b, n in counts.items():
        predict(xpt[: min(n, max(b, plan.warmup // b * b))], b)
    _sync(args)
    result["warmup_s"] = time.perf_counter() - t0
    result["warmup_predict_s"] = result["warmup_s"] - result["warmup_fit_s"]
    _reset_cuda_peak(args)

    t0, c0 = time.perf_counter(), time.process_time()
    loss, _ = train_epoch(xt, yt)
    _sync(args)
    result["fit_s"] = time.perf_counter() - t0
    result["fit_cpu_s"] = time.process_time() - c0
    result["final_loss"] = loss

    for b, n in counts.items():
        t0 = time.perf_counter()
        out = predict(xpt[:n], b)  # ends with .cpu().numpy(): synchronised
        _record_predict(result, b, n, time.perf_counter() - t0)
        result["predict_shape"] = list(np.asarray(out).shape)


# ------------------------------------------------------------------------------- helpers ---


def _check_device(impl: str, device: str) -> None:
    if device != "cuda":
        return
    if impl in ("ketorch", "ketorch-jit", "keras-torch", "torch"):
        import torch

        if not torch.cuda.is_available():
            raise Skip("torch sees no CUDA device")
    elif impl == "keras-jax":
        import jax

        if not any(d.platform == "gpu" for d in jax.devices()):
            raise Skip("jax sees no GPU (install jax[cuda12] to benchmark it on CUDA)")
    elif impl == "keras-tensorflow":
        import tensorflow as tf

        if not tf.config.list_physical_devices("GPU"):
            raise Skip("tensorflow sees no GPU (tensorflow-cpu has none)")


def _versions(impl: str, keras) -> dict:
    import numpy
    import torch

    out = {"python": platform.python_version(), "numpy": numpy.__version__}
    if impl != "keras-jax" and impl != "keras-tensorflow":
        out["torch"] = torch.__version__
    if keras is not None:
        out[keras.__name__] = getattr(keras, "__version__", "?")
    if impl == "keras-jax":
        import jax

        out["jax"] = jax.__version__
    if impl == "keras-tensorflow":
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    return out


def _threads(impl: str) -> dict:
    import torch

    out = {"cpu_count": os.cpu_count(), "torch_num_threads": torch.get_num_threads()}
    if hasattr(os, "sched_getaffinity"):
        out["cpus_allowed"] = len(os.sched_getaffinity(0))
    if impl == "keras-tensorflow":
        import tensorflow as tf

        out["tf_intra_op"] = tf.config.threading.get_intra_op_parallelism_threads()
        out["tf_inter_op"] = tf.config.threading.get_inter_op_parallelism_threads()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "XLA_FLAGS"):
        if os.environ.get(var):
            out[var] = os.environ[var]
    return out


def _cuda_peak_mb(args) -> float | None:
    if args.device != "cuda":
        return None
    try:
        if args.impl in ("ketorch", "ketorch-jit", "keras-torch", "torch"):
            import torch

            return torch.cuda.max_memory_allocated() / 2**20
        if args.impl == "keras-jax":
            import jax

            stats = jax.devices()[0].memory_stats() or {}
            return stats.get("peak_bytes_in_use", 0) / 2**20
        if args.impl == "keras-tensorflow":
            import tensorflow as tf

            return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    except Exception:  # noqa: BLE001 - memory stats are best effort
        return None
    return None


def main(argv=None) -> int:
    args = _parse(argv)
    _set_env(args.impl, args.device, args.threads)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from workloads import PREDICT_BATCHES, WORKLOADS, dims_for, plan_for

    if args.predict_batch is None:
        args.predict_batch = PREDICT_BATCHES

    if args.workload not in WORKLOADS:
        raise SystemExit(f"--workload must be one of {WORKLOADS}. Received: {args.workload}")
    plan = plan_for(args.workload, args.size)
    result = {
        "impl": args.impl,
        "workload": args.workload,
        "device": args.device,
        "size": args.size,
        "batch_size": 32,
        "predict_batches": list(args.predict_batch),
        "predict": {},
        "train_samples": plan.train,
        "predict_samples": plan.predict,
        "warmup_samples": plan.warmup,
        "dims": dataclasses.asdict(dims_for(args.size)),
        "status": "ok",
        "notes": [],
        "loadavg_1m": os.getloadavg()[0],
    }
    try:
        if args.impl == "torch":
            _run_torch(args, plan, result)
        else:
            _run_keras(args, plan, result)
        result["train_samples_per_s"] = plan.train / result["fit_s"]
        # The first batch size's numbers also under the old flat keys.
        first = result["predict"][str(args.predict_batch[0])]
        result["predict_s"] = first["predict_s"]
        result["predict_samples_per_s"] = first["samples_per_s"]
    except Skip as e:
        result["status"] = "skipped"
        result["notes"].append(str(e))
    except Exception as e:  # noqa: BLE001 - reported, not raised: the parent goes on
        result["status"] = "error"
        result["error"] = f"{type(e).__name__}: {e}"
        result["traceback"] = traceback.format_exc()[-4000:]
    result["peak_rss_mb"] = _peak_rss_mb()
    result["peak_cuda_mb"] = _cuda_peak_mb(args)
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
