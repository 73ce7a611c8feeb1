"""Side-by-side benchmark: ketorch against Keras 3 (jax, tensorflow, torch backends) and plain torch.

Each (workload, impl) pair runs in its own process (``bench/worker.py``), so imports, caches and
memory peaks never leak between measurements. Prints a table with training and prediction
throughput (samples/s), peak RSS, and ketorch's throughput divided by each peer's; writes every
number to JSON.

Usage:
    bench/.venv/bin/python bench/run.py [--only mlp,lstm] [--impls ketorch,torch]
        [--device cpu|cuda] [--size tiny|small|full] [--json PATH] [--python PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from worker import IMPLS, MARKER  # noqa: E402
from workloads import SIZES, WORKLOADS  # noqa: E402

PEERS = tuple(i for i in IMPLS if not i.startswith("ketorch"))
KERAS_PEERS = tuple(i for i in PEERS if i.startswith("keras-"))


def _csv(value: str, allowed: tuple[str, ...], arg: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise argparse.ArgumentTypeError(
            f"--{arg} takes a comma-separated list of {', '.join(allowed)}. Received: {arg}={value}"
        )
    return items


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--only",
        type=lambda v: _csv(v, WORKLOADS, "only"),
        default=list(WORKLOADS),
        help=f"workloads to run (default: all of {','.join(WORKLOADS)})",
    )
    p.add_argument(
        "--impls",
        type=lambda v: _csv(v, IMPLS, "impls"),
        default=list(IMPLS),
        help=f"implementations to run (default: all of {','.join(IMPLS)})",
    )
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--size", choices=SIZES, default="full", help="sample counts (default: full)")
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="write the results here instead of bench/results/<timestamp>.json and latest.json",
    )
    p.add_argument(
        "--python",
        default=None,
        help="interpreter for the workers (default: bench/.venv/bin/python, else this one)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for every impl (default: leave torch/TF/XLA at their own defaults)",
    )
    p.add_argument("--timeout", type=float, default=900, help="seconds allowed per worker")
    return p.parse_args(argv)


def _default_python() -> str:
    venv = HERE / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def run_worker(
    python: str,
    impl: str,
    workload: str,
    device: str,
    size: str,
    timeout: float,
    threads: int | None = None,
):
    """Run one worker process and return its result dict (``status`` says how it went)."""
    cmd = [python, str(HERE / "worker.py"), "--impl", impl, "--workload", workload]
    cmd += ["--device", device, "--size", size]
    if threads:
        cmd += ["--threads", str(threads)]
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)  # the worker chooses it
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {
            "impl": impl,
            "workload": workload,
            "status": "error",
            "error": f"worker ran past --timeout {timeout:g} s",
            "wall_s": time.perf_counter() - t0,
        }
    wall = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER) :])
            result["wall_s"] = wall
            return result
    return {
        "impl": impl,
        "workload": workload,
        "status": "error",
        "error": f"worker exited {proc.returncode} without a result",
        "stderr_tail": proc.stderr[-3000:],
        "wall_s": wall,
    }


def ratios(results: list[dict], mine_impl: str = "ketorch") -> dict:
    """``mine_impl``'s throughput divided by each peer's, per workload (> 1: ketorch is faster)."""
    by_key = {(r["workload"], r["impl"]): r for r in results if r.get("status") == "ok"}
    out: dict = {}
    for workload in dict.fromkeys(r["workload"] for r in results):
        mine = by_key.get((workload, mine_impl))
        if mine is None:
            continue
        for peer in PEERS:
            theirs = by_key.get((workload, peer))
            if theirs is None:
                continue
            out.setdefault(workload, {})[peer] = {
                "train": mine["train_samples_per_s"] / theirs["train_samples_per_s"],
                "predict": mine["predict_samples_per_s"] / theirs["predict_samples_per_s"],
            }
    return out


def format_table(results: list[dict], device: str) -> str:
    """The results as a fixed-width text table, one row per workload and impl."""
    rat = ratios(results)
    cols = ["workload", "impl", "train/s", "predict/s", "warm-up s", "peak RSS MB"]
    if device == "cuda":
        cols.append("peak CUDA MB")
    cols += ["ketorch/impl train", "ketorch/impl predict", "note"]
    rows = []
    for r in results:
        w, impl = r["workload"], r["impl"]
        row = [w, impl]
        if r.get("status") == "ok":
            row += [f"{r['train_samples_per_s']:,.1f}", f"{r['predict_samples_per_s']:,.1f}"]
        else:
            row += ["-", "-"]
        row.append(f"{r['warmup_s']:.1f}" if r.get("warmup_s") is not None else "-")
        row.append(f"{r['peak_rss_mb']:,.0f}" if r.get("peak_rss_mb") else "-")
        if device == "cuda":
            row.append(f"{r['peak_cuda_mb']:,.0f}" if r.get("peak_cuda_mb") else "-")
        peer = rat.get(w, {}).get(impl)
        row += [f"{peer['train']:.2f}x", f"{peer['predict']:.2f}x"] if peer else ["", ""]
        row.append(_note(r))
        rows.append(row)
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    numeric = set(range(2, len(cols) - 1))

    def fmt(row):
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    lines = [fmt(cols), fmt(["-" * w for w in widths])]
    prev = None
    for row in rows:
        if prev is not None and row[0] != prev:
            lines.append("")
        prev = row[0]
        lines.append(fmt(row))
    return "\n".join(lines)


def best_keras(results: list[dict]) -> list[str]:
    """One line per workload and ketorch row: its ratio to the fastest Keras backend."""
    lines = []
    for mine_impl in ("ketorch", "ketorch-jit"):
        rat = ratios(results, mine_impl)
        for workload, peers in rat.items():
            keras = {p: v for p, v in peers.items() if p in KERAS_PEERS}
            if not keras:
                continue
            # The fastest peer has the smallest ratio.
            tp = min(keras, key=lambda p: keras[p]["train"])
            pp = min(keras, key=lambda p: keras[p]["predict"])
            lines.append(
                f"{workload:<11} {mine_impl:<11} vs fastest Keras: train "
                f"{keras[tp]['train']:.2f}x ({tp}), predict {keras[pp]['predict']:.2f}x ({pp})"
            )
    return lines


def _note(r: dict) -> str:
    if r.get("status") == "skipped":
        return "skipped: " + "; ".join(r.get("notes", []))[-100:]
    if r.get("status") == "error":
        return "error: " + r.get("error", "?")[:100]
    return ""


def main(argv=None) -> int:
    args = parse_args(argv)
    python = args.python or _default_python()
    started = dt.datetime.now()
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "size": args.size,
        "device": args.device,
        "threads": args.threads or "default",
        "python": python,
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
        "batch_size": 32,
        "optimizer": "rmsprop",
    }
    jobs = [(w, i) for w in args.only for i in args.impls]
    results = []
    t_all = time.perf_counter()
    for n, (workload, impl) in enumerate(jobs, 1):
        r = run_worker(python, impl, workload, args.device, args.size, args.timeout, args.threads)
        results.append(r)
        if r.get("status") == "ok":
            what = f"train {r['train_samples_per_s']:,.1f}/s  predict {r['predict_samples_per_s']:,.1f}/s"
        else:
            what = _note(r)
        print(
            f"[{n}/{len(jobs)}] {workload:<11} {impl:<16} {what}  ({r['wall_s']:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
    meta["total_s"] = time.perf_counter() - t_all
    meta["loadavg_end"] = list(os.getloadavg())

    table = format_table(results, args.device)
    print(
        f"\nketorch benchmark: size={args.size} device={args.device} "
        f"threads={args.threads or 'default'} batch=32 rmsprop "
        f"({meta['total_s']:.0f} s; load average {meta['loadavg_start'][0]:.1f} -> "
        f"{meta['loadavg_end'][0]:.1f} on {meta['cpu_count']} CPUs)"
    )
    print("ratio columns: ketorch's throughput / that impl's (> 1.00x: ketorch is faster)\n")
    print(table)
    summary = best_keras(results)
    if summary:
        print("\n" + "\n".join(summary))

    payload = {
        "meta": meta,
        "results": results,
        "ratios": ratios(results),
        "ratios_jit": ratios(results, "ketorch-jit"),
    }
    if args.json is not None:
        targets = [args.json]
    else:
        stamp = started.strftime("%Y%m%d-%H%M%S")
        targets = [HERE / "results" / f"{stamp}.json", HERE / "results" / "latest.json"]
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults: {', '.join(str(p) for p in targets)}")
    return 0 if all(r.get("status") != "error" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
