#!/usr/bin/env bash
# Executes every notebook under notebooks/ through Jupyter with the real Evcxr
# kernel (`rust`), failing on any cell error, timeout or dead kernel, and on a
# committed notebook that carries outputs. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# Standard library only: a notebook committed with outputs fails at once,
# before ten minutes of installing.
python3 scripts/run_notebooks.py --check-only

bash scripts/course-deps.sh notebooks
.venv/bin/python scripts/run_notebooks.py "$@"
