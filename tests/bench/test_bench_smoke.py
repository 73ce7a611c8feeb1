"""Smoke test of the benchmark harness: a tiny run of three impls on three workloads."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPLS = ("ketorch", "torch", "keras-torch")
WORKLOADS = ("mlp", "lstm", "cnn")


def test_tiny_run_prints_table_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--size", "tiny"]
    cmd += ["--impls", ",".join(IMPLS), "--only", ",".join(WORKLOADS)]
    cmd += ["--python", sys.executable, "--json", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    header = next(line for line in proc.stdout.splitlines() if line.startswith("workload"))
    assert "train/s" in header and "predict/s" in header and "peak RSS MB" in header
    for impl in ("torch", "keras-torch"):
        assert "ketorch/impl train" in header
        assert any(line.split()[1:2] == [impl] for line in proc.stdout.splitlines() if line)

    payload = json.loads(out.read_text())
    results = {(r["workload"], r["impl"]): r for r in payload["results"]}
    assert set(results) == {(w, i) for w in WORKLOADS for i in IMPLS}
    for key, r in results.items():
        assert r["status"] == "ok", (key, r)
        assert r["train_samples_per_s"] > 0 and r["predict_samples_per_s"] > 0, key
        assert r["peak_rss_mb"] > 0, key
        assert r["threads"]["torch_num_threads"] >= 1
    for workload in WORKLOADS:
        for peer in ("torch", "keras-torch"):
            ratio = payload["ratios"][workload][peer]
            assert ratio["train"] > 0 and ratio["predict"] > 0
