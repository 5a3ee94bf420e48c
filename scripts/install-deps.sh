#!/usr/bin/env bash
# Installs the system libraries the crate links against, skipping what is
# already present. Idempotent; safe to run on every `make`.
#   - OpenBLAS (+ LAPACK) for ndarray-linalg: Debian/Ubuntu `libopenblas-dev`,
#     macOS `brew install openblas`.
set -euo pipefail

have_openblas() {
  if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openblas 2>/dev/null; then
    return 0
  fi
  ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so ' && return 0
  [ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || [ -e /usr/lib/aarch64-linux-gnu/libopenblas.so ] \
    || [ -e /usr/lib/libopenblas.so ] || [ -e /opt/homebrew/opt/openblas/lib/libopenblas.dylib ] \
    || [ -e /usr/local/opt/openblas/lib/libopenblas.dylib ]
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "install-deps: need root to run: $*" >&2; return 1; fi
}

if have_openblas; then
  echo "install-deps: OpenBLAS present, skipping"
else
  if command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: installing libopenblas-dev with apt-get"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libopenblas-dev pkg-config >/dev/null
  elif command -v brew >/dev/null 2>&1; then
    brew install openblas
  else
    echo "install-deps: please install OpenBLAS (with LAPACK) for your system" >&2
    exit 1
  fi
fi
