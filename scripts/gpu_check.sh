#!/usr/bin/env bash
# GPU check (for a session with a CUDA machine; about 5-8 minutes):
#   1. the CUDA-marked tests (pytest -m cuda): mixed precision and DataParallel on the GPU;
#   2. bench/ workloads (ketorch and the hand-written torch loop) on --device cuda, in float32,
#      mixed_float16 and mixed_bfloat16 (KETORCH_DTYPE_POLICY; the torch impl stays float32).
# Results land in $OUT (device machine) or ./out/gpu_check otherwise.
# Usage: bash scripts/gpu_check.sh [python]   (default: python3, the GPU machine's torch)
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
DEST="${OUT:-out/gpu_check}"
mkdir -p "$DEST"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 KERAS_BACKEND=torch
"$PY" - <<'PYEOF' 2>&1 | tee "$DEST/env.txt"
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")
PYEOF
status=0
timeout 240 "$PY" -m pytest -m cuda -q -p no:cacheprovider tests/mixed_precision tests/distribution \
    2>&1 | tee "$DEST/pytest_cuda.txt" || status=1
for policy in float32 mixed_float16 mixed_bfloat16; do
    impls=ketorch
    [ "$policy" = float32 ] && impls=ketorch,torch
    KETORCH_DTYPE_POLICY=$policy timeout 150 "$PY" bench/run.py --device cuda --size small \
        --impls "$impls" --python "$PY" --timeout 120 --json "$DEST/bench_$policy.json" \
        2>&1 | tee "$DEST/bench_$policy.txt" || status=1
done
exit $status
