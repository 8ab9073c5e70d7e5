#!/usr/bin/env bash
# Set up spikemem in ./.venv (Python 3.11, CPU PyTorch, every optional target) and run the
# demo network. Usage: bash scripts/setup.sh [--no-demo]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# the CPU build of PyTorch first (the package itself accepts any torch >= 2.1, e.g. CUDA builds)
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[all,dev]"
# norse requires torchvision, which cannot import beside the CPU torch build; norse runs without it
.venv/bin/python -m pip install -q --no-deps "norse>=1.1"
if [ "${1:-}" != "--no-demo" ]; then
  .venv/bin/spikemem demo
fi
