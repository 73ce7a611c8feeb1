#!/usr/bin/env bash
# Set everything up, then run lint and the test suite (parity tests use real Keras on torch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export KERAS_BACKEND=torch
.venv/bin/ruff check ketorch tests examples bench
.venv/bin/ruff format --check ketorch tests examples bench
.venv/bin/python -m pytest tests "$@"
