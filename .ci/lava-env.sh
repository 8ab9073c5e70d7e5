#!/usr/bin/env bash
# Create the Python 3.10 environment that runs the Lava tests (tests/lava/).
# lava-nc 0.10 installs and imports only on Python 3.10 and needs these pins.
# Usage: .ci/lava-env.sh [VENV_DIR]   (default: .venv310 in the repository root)
# Then:  VENV_DIR/bin/python -m pytest tests/lava -q
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv310}"
py310="${PYTHON310:-/root/.pyenv/versions/3.10.13/bin/python}"
if [ ! -x "$venv/bin/python" ]; then
    "$py310" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "lava-nc>=0.10" "numpy<2" "networkx<=2.8.7" \
    "asteval<0.10" "scipy<1.15" matplotlib tqdm tomli pytest
"$venv/bin/python" -m pip install --quiet --no-deps -e "$root"
"$venv/bin/python" -c "import lava.magma, spikemem; print('lava env ok:', spikemem.__file__)"
