"""Smoke test of the benchmark harness: a tiny run of ketorch and hand-written torch.

Runs in the test environment (ketorch + torch only; ``bench/.venv`` has the Keras peers): two
workloads, predict at two batch sizes, and the seed workflow once per impl. Its numbers mean
nothing; it checks that every part runs and reports.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import run as bench_run  # noqa: E402

IMPLS = ("ketorch", "torch")
WORKLOADS = ("mlp", "cnn")


def test_tiny_run_prints_tables_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--size", "tiny", "--threads", "1"]
    cmd += ["--impls", ",".join(IMPLS), "--only", ",".join((*WORKLOADS, "seed"))]
    cmd += ["--repeats", "1", "--seed-samples", "320"]
    cmd += ["--python", sys.executable, "--json", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("workload"))
    for col in (
        "train/s",
        "predict@32/s",
        "predict@256/s",
        "warm-up s",
        "peak RSS MB",
        "fit cores",
    ):
        assert col in header, header
    for col in ("x train", "x p@32", "x p@256", "x warm-up", "x RSS"):
        assert col in header, header
    seed_header = next(line for line in lines if line.startswith("impl"))
    assert "time to result s" in seed_header and "x time" in seed_header
    assert any(line.split()[:1] == ["torch"] for line in lines[lines.index(seed_header) :])

    payload = json.loads(out.read_text())
    results = {(r["workload"], r["impl"]): r for r in payload["results"]}
    assert set(results) == {(w, i) for w in WORKLOADS for i in IMPLS}
    for key, r in results.items():
        assert r["status"] == "ok", (key, r)
        assert r["train_samples_per_s"] > 0, key
        assert set(r["predict"]) == {"32", "256"}, key
        assert all(p["samples_per_s"] > 0 for p in r["predict"].values()), key
        assert r["warmup_s"] > 0 and r["peak_rss_mb"] > 0, key
        assert r["threads"]["torch_num_threads"] == 1
        assert r["threads"]["cpus_allowed"] == 1  # pinned: one core, whatever the framework
        assert r["fit_cpu_s"] > 0
    for workload in WORKLOADS:
        ratio = payload["ratios"][workload]["torch"]
        for k in ("train", "predict@32", "predict@256", "warmup", "peak_rss"):
            assert ratio[k] > 0, (workload, k)

    seed = {s["impl"]: s for s in payload["seed"]}
    assert set(seed) == set(IMPLS)
    for impl, s in seed.items():
        assert s["status"] == "ok", (impl, s)
        assert s["time_to_result_s"] > s["phases_median"]["fit_s"] > 0
        assert s["peak_rss_mb"] > 0 and 0 <= s["test_accuracy"] <= 1
    assert payload["seed_ratios"]["torch"]["time_to_result"] > 0


def test_predict_batch_option_selects_columns():
    assert bench_run.parse_args([]).predict_batch == (32, 256)
    args = bench_run.parse_args(["--predict-batch", "64", "--only", "seed"])
    assert args.predict_batch == (64,) and args.only == ["seed"]
    r = {
        "workload": "mlp",
        "impl": "ketorch",
        "status": "ok",
        "train_samples_per_s": 10.0,
        "predict_samples_per_s": 20.0,
        "predict_batches": [64],
        "predict": {"64": {"samples": 64, "predict_s": 1.0, "samples_per_s": 64.0}},
        "warmup_s": 1.0,
        "peak_rss_mb": 100.0,
    }
    peer = dict(r, impl="torch", train_samples_per_s=5.0, warmup_s=0.5, peak_rss_mb=300.0)
    peer["predict"] = {"64": {"samples": 64, "predict_s": 0.5, "samples_per_s": 128.0}}
    table = bench_run.format_table([r, peer], "cpu", (64,))
    assert "predict@64/s" in table and "predict@256/s" not in table
    ratio = bench_run.ratios([r, peer])["mlp"]["torch"]
    assert ratio["train"] == 2.0 and ratio["predict@64"] == 0.5
    assert ratio["warmup"] == 0.5 and ratio["peak_rss"] == 3.0


def test_runs_are_merged_by_their_median():
    def run(train, p32, status="ok"):
        return {
            "status": status, "impl": "ketorch", "workload": "mlp", "train_samples_per_s": train,
            "fit_s": 1.0 / train, "predict": {"32": {"samples": 64, "samples_per_s": p32}},
        }  # fmt: skip

    merged = bench_run.median_result([run(10.0, 5.0), run(30.0, 1.0), run(20.0, 9.0)])
    assert merged["train_samples_per_s"] == 20.0
    assert merged["predict"]["32"] == {"samples": 64, "samples_per_s": 5.0}
    assert len(merged["runs"]) == 3
    failed = {"status": "error", "impl": "ketorch", "workload": "mlp", "error": "boom"}
    assert bench_run.median_result([failed, run(4.0, 2.0)])["train_samples_per_s"] == 4.0
    assert bench_run.median_result([failed]) is failed
