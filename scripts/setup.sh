#!/usr/bin/env bash
# Create .venv and install ketorch with its test/demo dependencies.
# torch is pinned to the CPU build that this machine has on disk; the package
# metadata itself only asks for torch>=2.3.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# graphviz's `dot` draws plot_model() images; optional (those tests skip without it).
command -v dot >/dev/null || { (apt-get update -qq && apt-get install -y -qq graphviz) >/dev/null 2>&1; } \
  || echo "graphviz not installed: plot_model tests will skip"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q "torch==${KETORCH_TORCH_VERSION:-2.13.0}"
.venv/bin/python -m pip install -q -e ".[test]"
