"""Side-by-side benchmark: ketorch against Keras 3 (jax, tensorflow, torch backends) and plain torch.

Two parts, each run in fresh processes so imports, caches and memory peaks never leak between
measurements:

* the workloads (``bench/worker.py``, one process per workload and impl): training throughput,
  prediction throughput at each ``--predict-batch`` size (32 and 256 by default), warm-up time
  and peak RSS;
* the seed workflow (``bench/seed_workflow.py``, ``--repeats`` fresh processes per impl): a
  user's script from start to result (import, data, split, build, fit 5 epochs with a validation
  split, evaluate, predict), timed from outside the process, with its peak RSS.

Prints a table for each with ketorch's advantage over every peer per column (above 1.00x,
ketorch is better: faster or smaller) and writes every number to JSON.

Usage:
    bench/.venv/bin/python bench/run.py [--only mlp,lstm,seed] [--impls ketorch,torch]
        [--device cpu|cuda] [--size tiny|small|full] [--threads N] [--predict-batch 32,256]
        [--repeats 3] [--json PATH] [--python PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from seed_workflow import MARKER as SEED_MARKER  # noqa: E402
from seed_workflow import SEED_IMPLS  # noqa: E402
from worker import IMPLS, MARKER, parse_batches  # noqa: E402
from workloads import PREDICT_BATCHES, SIZES, WORKLOADS  # noqa: E402

PEERS = tuple(i for i in IMPLS if not i.startswith("ketorch"))
KERAS_PEERS = tuple(i for i in PEERS if i.startswith("keras-"))
PARTS = (*WORKLOADS, "seed")
# The seed workflow's data set at each --size (the seed's own is 30,000 samples).
SEED_SAMPLES = {"tiny": 640, "small": 10000, "full": 30000}


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
        type=lambda v: _csv(v, PARTS, "only"),
        default=list(PARTS),
        help=f"workloads and parts to run (default: all of {','.join(PARTS)})",
    )
    p.add_argument(
        "--impls",
        type=lambda v: _csv(v, IMPLS, "impls"),
        default=None,
        help=f"implementations to run (default: all of {','.join(IMPLS)}; the seed workflow "
        f"defaults to {','.join(SEED_IMPLS)})",
    )
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--size", choices=SIZES, default="full", help="sample counts (default: full)")
    p.add_argument(
        "--predict-batch",
        type=parse_batches,
        default=PREDICT_BATCHES,
        help="predict batch sizes, comma-separated (default: 32,256)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="fresh processes per impl for the seed workflow; the table shows the median (default 3)",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=1,
        help="fresh processes per workload and impl, interleaved; each column shows the median "
        "(default 1)",
    )
    p.add_argument(
        "--seed-samples",
        type=int,
        default=None,
        help="samples in the seed workflow (default: 30,000 at full, 10,000 at small, 640 at tiny)",
    )
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
    p.add_argument("--timeout", type=float, default=900, help="seconds allowed per process")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats must be at least 1. Received: {args.repeats}")
    if args.runs < 1:
        p.error(f"--runs must be at least 1. Received: {args.runs}")
    return args


def _default_python() -> str:
    venv = HERE / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _child_env() -> dict:
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)  # the child chooses it
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


# ------------------------------------------------------------------------------ workloads ---


def run_worker(
    python: str,
    impl: str,
    workload: str,
    device: str,
    size: str,
    timeout: float,
    threads: int | None = None,
    predict_batches: tuple[int, ...] = PREDICT_BATCHES,
):
    """Run one worker process and return its result dict (``status`` says how it went)."""
    cmd = [python, str(HERE / "worker.py"), "--impl", impl, "--workload", workload]
    cmd += ["--device", device, "--size", size]
    cmd += ["--predict-batch", ",".join(map(str, predict_batches))]
    if threads:
        cmd += ["--threads", str(threads)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=_child_env(), capture_output=True, text=True, timeout=timeout
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


def median_result(runs: list[dict]) -> dict:
    """One result from several runs of the same workload and impl: the first successful run
    with each measured number replaced by its median over the successful runs (``runs`` keeps
    every run's numbers). A single run or no successful run comes back as it is."""
    ok = [r for r in runs if r.get("status") == "ok"]
    if len(runs) == 1 or not ok:
        return runs[0]
    out = dict(ok[0])
    for key in ("train_samples_per_s", "fit_s", "fit_cpu_s", "warmup_s", "peak_rss_mb",
                "predict_samples_per_s", "import_s"):  # fmt: skip
        values = [r[key] for r in ok if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    out["predict"] = {}
    for b, entry in ok[0].get("predict", {}).items():
        rates = [r["predict"][b]["samples_per_s"] for r in ok if b in r.get("predict", {})]
        out["predict"][b] = dict(entry, samples_per_s=statistics.median(rates))
    out["runs"] = [
        {k: r.get(k) for k in ("status", "train_samples_per_s", "fit_cpu_s", "fit_s", "predict")}
        for r in runs
    ]
    return out


def _cores(r: dict) -> str:
    """Cores busy during the timed fit: process CPU time over wall time."""
    if r.get("fit_cpu_s") is None or not r.get("fit_s"):
        return "-"
    return f"{r['fit_cpu_s'] / r['fit_s']:.1f}"


def _predict_rate(r: dict, batch) -> float | None:
    entry = r.get("predict", {}).get(str(batch))
    return entry["samples_per_s"] if entry else None


def ratios(results: list[dict], mine_impl: str = "ketorch") -> dict:
    """``mine_impl``'s advantage over each peer, per workload and measure (> 1: ``mine_impl`` is
    better): throughputs as mine / theirs, warm-up time and peak RSS as theirs / mine.

    Keys: ``train``, ``predict@B`` for each predict batch size ``B``, ``predict`` (the first
    batch size's, as before), ``warmup`` and ``peak_rss``.
    """
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
            rat = {"train": mine["train_samples_per_s"] / theirs["train_samples_per_s"]}
            rat["predict"] = mine["predict_samples_per_s"] / theirs["predict_samples_per_s"]
            for b in mine.get("predict_batches", []):
                m, t = _predict_rate(mine, b), _predict_rate(theirs, b)
                if m and t:
                    rat[f"predict@{b}"] = m / t
            if mine.get("warmup_s") and theirs.get("warmup_s"):
                rat["warmup"] = theirs["warmup_s"] / mine["warmup_s"]
            if mine.get("peak_rss_mb") and theirs.get("peak_rss_mb"):
                rat["peak_rss"] = theirs["peak_rss_mb"] / mine["peak_rss_mb"]
            out.setdefault(workload, {})[peer] = rat
    return out


def _fmt_table(cols: list[str], rows: list[list[str]], left: set[int], group: bool) -> str:
    """Fixed-width columns (``left`` ones left-aligned); ``group``: a blank line whenever the
    first cell changes."""
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(cols)]

    def fmt(row):
        cells = [
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    lines = [fmt(cols), fmt(["-" * w for w in widths])]
    prev = None
    for row in rows:
        if group and prev is not None and row[0] != prev:
            lines.append("")
        prev = row[0]
        lines.append(fmt(row))
    return "\n".join(lines)


def _x(value) -> str:
    if value is None:
        return ""
    return f"{value:.2f}x" if value >= 0.095 else f"{value:.2g}x"


def format_table(
    results: list[dict], device: str, predict_batches: tuple[int, ...] = PREDICT_BATCHES
) -> str:
    """The workload results as a fixed-width text table, one row per workload and impl."""
    rat = ratios(results)
    cols = ["workload", "impl", "train/s"]
    cols += [f"predict@{b}/s" for b in predict_batches]
    cols += ["warm-up s", "peak RSS MB", "fit cores"]
    if device == "cuda":
        cols.append("peak CUDA MB")
    cols += ["x train", *(f"x p@{b}" for b in predict_batches), "x warm-up", "x RSS", "note"]
    rows = []
    for r in results:
        w, impl = r["workload"], r["impl"]
        row = [w, impl]
        ok = r.get("status") == "ok"
        row.append(f"{r['train_samples_per_s']:,.1f}" if ok else "-")
        for b in predict_batches:
            rate = _predict_rate(r, b) if ok else None
            row.append(f"{rate:,.1f}" if rate else "-")
        row.append(f"{r['warmup_s']:.2f}" if r.get("warmup_s") is not None else "-")
        row.append(f"{r['peak_rss_mb']:,.0f}" if r.get("peak_rss_mb") else "-")
        row.append(_cores(r) if ok else "-")
        if device == "cuda":
            row.append(f"{r['peak_cuda_mb']:,.0f}" if r.get("peak_cuda_mb") else "-")
        peer = rat.get(w, {}).get(impl, {})
        row.append(_x(peer.get("train")))
        row += [_x(peer.get(f"predict@{b}")) for b in predict_batches]
        row += [_x(peer.get("warmup")), _x(peer.get("peak_rss"))]
        row.append(_note(r))
        rows.append(row)
    return _fmt_table(cols, rows, left={0, 1, len(cols) - 1}, group=True)


def best_keras(results: list[dict], predict_batches=PREDICT_BATCHES) -> list[str]:
    """One line per workload and ketorch row: its ratio to the fastest Keras backend."""
    lines = []
    for mine_impl in ("ketorch", "ketorch-jit"):
        rat = ratios(results, mine_impl)
        for workload, peers in rat.items():
            keras = {p: v for p, v in peers.items() if p in KERAS_PEERS}
            if not keras:
                continue
            parts = []
            # The fastest peer has the smallest ratio.
            for key in ("train", *(f"predict@{b}" for b in predict_batches)):
                have = {p: v[key] for p, v in keras.items() if key in v}
                if have:
                    best = min(have, key=have.get)
                    parts.append(f"{key} {have[best]:.2f}x ({best})")
            lines.append(f"{workload:<11} {mine_impl:<11} vs fastest Keras: " + ", ".join(parts))
    return lines


def _note(r: dict) -> str:
    if r.get("status") == "skipped":
        return "skipped: " + "; ".join(r.get("notes", []))[-100:]
    if r.get("status") == "error":
        return "error: " + r.get("error", "?")[:100]
    return ""


# -------------------------------------------------------------------------- seed workflow ---


def run_seed_once(
    python: str, impl: str, samples: int, epochs: int, timeout: float, threads: int | None
) -> dict:
    """One fresh process of ``seed_workflow.py``: wall time measured from outside (process start
    to exit) and the child's own peak RSS from ``wait4``."""
    cmd = [python, str(HERE / "seed_workflow.py"), "--impl", impl]
    cmd += ["--samples", str(samples), "--epochs", str(epochs)]
    if threads:
        cmd += ["--threads", str(threads)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_child_env(), stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    run = {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "returncode": proc.returncode}
    for line in reversed(stdout.splitlines()):
        if line.startswith(SEED_MARKER):
            run.update(json.loads(line[len(SEED_MARKER) :]))
            return run
    run["error"] = (
        f"ran past --timeout {timeout:g} s"
        if wall >= timeout
        else f"exited {proc.returncode} without a result"
    )
    run["stderr_tail"] = stderr[-3000:]
    return run


def run_seed(
    python: str,
    impls: list[str],
    samples: int,
    epochs: int,
    repeats: int,
    timeout: float,
    threads: int | None,
    log=None,
) -> list[dict]:
    """``repeats`` fresh processes per impl, interleaved (impl order repeated) so that a burst of
    load on the machine spreads over the impls; returns one summary per impl."""
    runs: dict[str, list[dict]] = {impl: [] for impl in impls}
    n, total = 0, repeats * len(impls)
    for _ in range(repeats):
        for impl in impls:
            if runs[impl] and "error" in runs[impl][-1]:
                continue  # it failed once: don't spend the time again
            run = run_seed_once(python, impl, samples, epochs, timeout, threads)
            runs[impl].append(run)
            n += 1
            if log:
                what = run.get("error") or (
                    f"{run['wall_s']:.1f} s, peak RSS {run['peak_rss_mb']:,.0f} MB, "
                    f"test accuracy {run.get('test_accuracy', float('nan')):.3f}"
                )
                log(f"[seed {n}/{total}] {impl:<16} {what}")
    out = []
    for impl, done in runs.items():
        ok = [r for r in done if "error" not in r]
        summary = {"impl": impl, "samples": samples, "epochs": epochs, "runs": done}
        if not ok:
            summary["status"] = "error"
            summary["error"] = done[-1].get("error", "?") if done else "not run"
            summary["stderr_tail"] = done[-1].get("stderr_tail", "") if done else ""
        else:
            summary["status"] = "ok"
            walls = [r["wall_s"] for r in ok]
            summary["time_to_result_s"] = statistics.median(walls)
            summary["time_min_s"], summary["time_max_s"] = min(walls), max(walls)
            summary["peak_rss_mb"] = statistics.median(r["peak_rss_mb"] for r in ok)
            phases = [r.get("phases", {}) for r in ok]
            summary["phases_median"] = {
                k: statistics.median(p[k] for p in phases if k in p) for k in phases[0]
            }
            summary["test_accuracy"] = ok[-1].get("test_accuracy")
            summary["notes"] = ok[-1].get("notes", [])
        out.append(summary)
    return out


def seed_ratios(seed: list[dict], mine_impl: str = "ketorch") -> dict:
    """Each peer's median time to result and peak RSS divided by ``mine_impl``'s (> 1: faster /
    smaller)."""
    ok = {s["impl"]: s for s in seed if s.get("status") == "ok"}
    mine = ok.get(mine_impl)
    if mine is None:
        return {}
    return {
        impl: {
            "time_to_result": s["time_to_result_s"] / mine["time_to_result_s"],
            "peak_rss": s["peak_rss_mb"] / mine["peak_rss_mb"],
        }
        for impl, s in ok.items()
        if not impl.startswith("ketorch")
    }


def format_seed_table(seed: list[dict]) -> str:
    rat = seed_ratios(seed)
    cols = ["impl", "time to result s", "min-max s", "import s", "fit s", "peak RSS MB"]
    cols += ["test acc", "x time", "x RSS", "note"]
    rows = []
    for s in seed:
        row = [s["impl"]]
        if s.get("status") == "ok":
            ph = s["phases_median"]
            imp = ph.get("python_start_to_main_s", 0) + ph.get("import_framework_s", 0)
            row += [
                f"{s['time_to_result_s']:.2f}",
                f"{s['time_min_s']:.1f}-{s['time_max_s']:.1f}",
                f"{imp:.2f}",
                f"{ph.get('fit_s', float('nan')):.2f}",
                f"{s['peak_rss_mb']:,.0f}",
                f"{s['test_accuracy']:.3f}" if s.get("test_accuracy") is not None else "-",
            ]
            peer = rat.get(s["impl"], {})
            row += [_x(peer.get("time_to_result")), _x(peer.get("peak_rss"))]
            row.append("; ".join(s.get("notes", []))[:80])
        else:
            row += ["-"] * 6 + ["", "", "error: " + s.get("error", "?")[:100]]
        rows.append(row)
    return _fmt_table(cols, rows, left={0, len(cols) - 1}, group=False)


# ----------------------------------------------------------------------------------- main ---


def main(argv=None) -> int:
    args = parse_args(argv)
    python = args.python or _default_python()
    started = dt.datetime.now()
    workloads = [w for w in args.only if w in WORKLOADS]
    impls = args.impls or list(IMPLS)
    seed_impls = args.impls or list(SEED_IMPLS)
    seed_samples = args.seed_samples or SEED_SAMPLES[args.size]
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
        "predict_batches": list(args.predict_batch),
        "optimizer": "rmsprop",
    }

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    # Each round runs every impl once, so a burst of load on a shared machine hits them alike.
    jobs = [(w, i) for w in workloads for _ in range(args.runs) for i in impls]
    runs: dict = {}
    t_all = time.perf_counter()
    for n, (workload, impl) in enumerate(jobs, 1):
        r = run_worker(
            python,
            impl,
            workload,
            args.device,
            args.size,
            args.timeout,
            args.threads,
            args.predict_batch,
        )
        runs.setdefault((workload, impl), []).append(r)
        if r.get("status") == "ok":
            preds = "  ".join(
                f"predict@{b} {_predict_rate(r, b) or 0:,.1f}/s" for b in args.predict_batch
            )
            what = f"train {r['train_samples_per_s']:,.1f}/s  {preds}"
        else:
            what = _note(r)
        log(f"[{n}/{len(jobs)}] {workload:<11} {impl:<16} {what}  ({r['wall_s']:.1f} s)")
    results = [median_result(rs) for rs in runs.values()]

    seed = []
    if "seed" in args.only:
        meta["seed"] = {"samples": seed_samples, "epochs": 5, "repeats": args.repeats}
        seed = run_seed(
            python,
            seed_impls,
            seed_samples,
            5,
            args.repeats,
            args.timeout,
            args.threads,
            log,
        )
    meta["total_s"] = time.perf_counter() - t_all
    meta["loadavg_end"] = list(os.getloadavg())

    print(
        f"\nketorch benchmark: size={args.size} device={args.device} "
        f"threads={args.threads or 'default'} train batch 32, predict batches "
        f"{','.join(map(str, args.predict_batch))}, rmsprop "
        f"({meta['total_s']:.0f} s; load average {meta['loadavg_start'][0]:.1f} -> "
        f"{meta['loadavg_end'][0]:.1f} on {meta['cpu_count']} CPUs)"
    )
    print(
        "x columns: ketorch's advantage over that impl (> 1.00x: ketorch is better) -- "
        "throughput ketorch/impl, time and memory impl/ketorch"
    )
    if results:
        print("\nWorkloads (warm-up: one fit epoch + one predict per batch size, untimed in /s)\n")
        print(format_table(results, args.device, args.predict_batch))
        summary = best_keras(results, args.predict_batch)
        if summary:
            print("\n" + "\n".join(summary))
    if seed:
        print(
            f"\nSeed workflow, time to result: a fresh process per run (import, {seed_samples:,} "
            f"samples, train_test_split, MLP, fit 5 epochs + validation_split=0.2, evaluate, "
            f"predict), wall time from outside, median of {args.repeats}\n"
        )
        print(format_seed_table(seed))
        if args.device == "cuda":
            print("(the seed workflow always runs on the CPU)")

    payload = {
        "meta": meta,
        "results": results,
        "ratios": ratios(results),
        "ratios_jit": ratios(results, "ketorch-jit"),
        "seed": seed,
        "seed_ratios": seed_ratios(seed),
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
    failed = any(r.get("status") == "error" for r in results + seed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
