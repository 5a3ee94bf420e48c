#!/usr/bin/env bash
# Executes the notebooks under notebooks/ through Jupyter with the real Evcxr
# kernel (`rust`), failing on any cell error, timeout or dead kernel, and on a
# committed notebook that carries outputs; then compares each committed book
# chapter with the one its executed notebook gives (scripts/course.py check),
# or, with --write, regenerates the chapters (scripts/course.py write).
# Installs what is missing first.
#
#   scripts/notebooks.sh [NOTEBOOK ...]           make notebooks (part of make test)
#   scripts/notebooks.sh --write [NOTEBOOK ...]   make course
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# Evcxr compiles every cell as a crate of its own and needs cargo's
# incremental mode for it: with CARGO_INCREMENTAL=0 (as CI sets for the Rust
# checks, to save disk) every cell after `:dep` fails with "Subprocess
# terminated with status: exit status: 99".
unset CARGO_INCREMENTAL

mode=check
if [ "${1:-}" = --write ]; then mode=write; shift; fi

# Standard library only: a notebook committed with outputs fails at once,
# before ten minutes of installing.
python3 scripts/run_notebooks.py --check-only "$@"

bash scripts/course-deps.sh notebooks
rc=0
.venv/bin/python scripts/run_notebooks.py "$@" || rc=$?
# Chapters of the notebooks that ran cleanly are still checked (or written)
# when another notebook failed; a failed one is reported again here.
python3 scripts/course.py "$mode" "$@" || rc=$?
exit "$rc"
