#!/usr/bin/env bash
# Set everything up, then run the tutorial workflow end to end (writes PNGs to out/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python examples/demo.py "$@"
