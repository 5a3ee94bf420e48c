#!/usr/bin/env bash
# Installs the course tooling, skipping whatever is already present.
# Idempotent; safe to run on every `make test`.
#
#   scripts/course-deps.sh notebooks   Python venv (.venv/) with Jupyter's client
#                                      packages, evcxr_jupyter, the `rust` kernel
#   scripts/course-deps.sh book        mdbook + mdbook-katex
#   scripts/course-deps.sh             both
#
# Versions are pinned here and in scripts/requirements-notebooks.txt; a tool
# present at another version is reinstalled at the pinned one.
set -euo pipefail
cd "$(dirname "$0")/.."

EVCXR_VERSION=0.22.0
MDBOOK_VERSION=0.5.4
MDBOOK_KATEX_VERSION=0.10.0
VENV=.venv
REQUIREMENTS=scripts/requirements-notebooks.txt
CARGO=${CARGO:-cargo}
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

log() { echo "course-deps: $*"; }

# The version cargo recorded for an installed binary ("" when it is not
# installed by cargo); `evcxr_jupyter` has no --version flag, so this is the
# one check that works for every tool.
installed_version() { # installed_version CRATE BINARY
  command -v "$2" >/dev/null 2>&1 || return 0
  "$CARGO" install --list 2>/dev/null | grep -E "^$1 v[^ ]+:$" | head -n 1 | sed -E 's/^[^ ]+ v([^:]+):$/\1/'
}

cargo_tool() { # cargo_tool BINARY CRATE VERSION
  local bin=$1 crate=$2 want=$3 have
  have=$(installed_version "$crate" "$bin")
  if [ "$have" = "$want" ]; then
    log "$bin $have present, skipping"
    return 0
  fi
  log "installing $crate $want (found: ${have:-none}); this compiles from source"
  local start=$SECONDS
  "$CARGO" install "$crate" --version "=$want" --locked --quiet
  log "installed $crate $want in $((SECONDS - start)) s"
}

python_venv() {
  local py=${PYTHON:-python3}
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV with $($py --version)"
    if ! "$py" -m venv "$VENV"; then
      # Debian's own Python ships venv separately.
      if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        log "installing python3-venv with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
      else
        echo "course-deps: '$py -m venv' failed; install Python's venv module (Debian: python3-venv)" >&2
        exit 1
      fi
    fi
  fi
  # pip's own check is quick; the stamp skips even that when nothing changed.
  local stamp="$VENV/.requirements.stamp"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$REQUIREMENTS"; then
    log "$VENV has the pinned Jupyter client packages, skipping"
  else
    log "installing $REQUIREMENTS into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$stamp"
  fi
}

rust_kernel() {
  # The kernelspec must exist and point at an evcxr_jupyter that runs.
  local argv0
  argv0=$("$VENV/bin/python" - <<'EOF' 2>/dev/null || true
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print(KernelSpecManager().get_kernel_spec("rust").argv[0])
except NoSuchKernel:
    pass
EOF
)
  if [ -n "$argv0" ] && [ -x "$argv0" ]; then
    log "Jupyter kernel 'rust' present ($argv0), skipping"
  else
    log "registering the Jupyter kernel 'rust' (evcxr_jupyter --install)"
    evcxr_jupyter --install
  fi
  kernel_blas_env
}

# The kernel loads OpenBLAS into its own process: pin one thread and, on a CPU
# with AVX2 and FMA, the Haswell kernels in its kernelspec, so that argmin's
# solvers print the book's numbers in a learner's Jupyter too (see the
# README's "Reproducibility"). Rewritten only when it differs.
kernel_blas_env() {
  local coretype=""
  if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null; then
    coretype=Haswell
  fi
  CORETYPE="$coretype" "$VENV/bin/python" - <<'EOF'
import json, os
from jupyter_client.kernelspec import KernelSpecManager
spec = KernelSpecManager().get_kernel_spec("rust")
path = os.path.join(spec.resource_dir, "kernel.json")
with open(path) as f:
    data = json.load(f)
env = dict(data.get("env") or {})
want = dict(env, OPENBLAS_NUM_THREADS="1")
if os.environ["CORETYPE"]:
    want["OPENBLAS_CORETYPE"] = os.environ["CORETYPE"]
if want != env:
    data["env"] = want
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    print(f"course-deps: kernel 'rust' runs with {want}")
EOF
}

notebooks() { python_venv; cargo_tool evcxr_jupyter evcxr_jupyter "$EVCXR_VERSION"; rust_kernel; }
book() { cargo_tool mdbook mdbook "$MDBOOK_VERSION"; cargo_tool mdbook-katex mdbook-katex "$MDBOOK_KATEX_VERSION"; }

case "${1:-all}" in
  notebooks) notebooks ;;
  book) book ;;
  all) notebooks; book ;;
  *) echo "usage: $0 [notebooks|book|all]" >&2; exit 2 ;;
esac
