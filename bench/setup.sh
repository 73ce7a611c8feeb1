#!/usr/bin/env bash
# Create bench/.venv, the benchmark's own environment (separate from the test .venv), holding
# ketorch and its peers: Keras 3 with the jax, tensorflow and torch backends, and plain torch
# (plus scikit-learn, whose train_test_split the seed workflow uses).
#
# torch is pinned to the 2.13.0 CPU wheel that this machine has on disk; asking for a plain
# `torch` would pull a multi-GB CUDA build. Idempotent: when everything already imports, it
# only checks and returns (a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=bench/.venv
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
export TF_CPP_MIN_LOG_LEVEL=3
TORCH_VERSION=${KETORCH_TORCH_VERSION:-2.13.0}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
BPY="$VENV/bin/python"

check() {
  # Every peer must import, and torch must still be the pinned build.
  "$BPY" - "$TORCH_VERSION" <<'EOF'
import sys
import torch
want = sys.argv[1]
if not torch.__version__.startswith(want):
    sys.exit(f"bench/.venv has torch {torch.__version__}, expected {want}")
import jax, numpy, h5py, psutil, sklearn, tensorflow  # noqa: E401,F401
import ketorch  # noqa: F401
EOF
  for backend in jax tensorflow torch; do
    KERAS_BACKEND=$backend TF_CPP_MIN_LOG_LEVEL=3 "$BPY" -c \
      "import keras, sys; b = keras.backend.backend(); sys.exit(0 if b == '$backend' else 'backend ' + b)"
  done
}

quick_check() {
  # Installed versions only (no imports): enough to skip the install on a rerun.
  "$BPY" - "$TORCH_VERSION" <<'EOF'
import importlib.metadata as md
import importlib.util
import sys
for name in ("jax", "jaxlib", "keras", "numpy", "h5py", "psutil", "scikit-learn"):
    md.version(name)
if importlib.util.find_spec("tensorflow") is None:
    sys.exit("no tensorflow")
if not md.version("torch").startswith(sys.argv[1]) or importlib.util.find_spec("ketorch") is None:
    sys.exit("torch or ketorch missing")
EOF
}

if quick_check >/dev/null 2>&1; then
  echo "bench/.venv ready (torch $TORCH_VERSION, keras on jax/tensorflow/torch, ketorch)"
  exit 0
fi

echo "Installing the benchmark environment into $VENV (first run takes a few minutes)..."
"$BPY" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# torch first, pinned; then the rest with torch held at that version so nothing swaps it.
"$BPY" -m pip install -q "torch==$TORCH_VERSION"
CONSTRAINTS=$(mktemp)
trap 'rm -f "$CONSTRAINTS"' EXIT
echo "torch==$TORCH_VERSION" >"$CONSTRAINTS"
TF_PKG=tensorflow-cpu
if ! "$BPY" -m pip download -q --no-deps -d "$(mktemp -d)" tensorflow-cpu >/dev/null 2>&1; then
  TF_PKG=tensorflow
fi
"$BPY" -m pip install -q -c "$CONSTRAINTS" numpy h5py psutil scikit-learn keras "jax[cpu]" "$TF_PKG"
"$BPY" -m pip install -q -c "$CONSTRAINTS" --no-deps -e "$ROOT"

if ! check; then
  echo "bench/setup.sh: the benchmark environment does not import cleanly" >&2
  exit 1
fi
echo "bench/.venv ready (torch $TORCH_VERSION, keras on jax/tensorflow/torch, ketorch, $TF_PKG)"
