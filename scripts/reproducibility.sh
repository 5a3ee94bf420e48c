#!/usr/bin/env bash
# Same numbers on every machine, checked on this one (make reproducibility,
# part of make test):
#
# 1. the fingerprint example (every optimizer on five problems, full-batch and
#    on mini-batches, and the dense curvature, hashed bit for bit) gives the
#    same bits at every SIMD level this CPU has (QVG_SIMD) and at every
#    OpenBLAS thread count;
# 2. with OpenBLAS's kernels switched (OPENBLAS_CORETYPE=Sandybridge, kernels
#    without FMA) only argmin's own solvers may change (they compute through
#    ndarray and OpenBLAS; the Makefile pins OpenBLAS's kernels for them): the
#    crate's optimizers and curvature must not;
# 3. with OpenBLAS pinned as the Makefile pins it (Haswell kernels, one
#    thread, on a CPU with AVX2 and FMA), the digest is the one the README
#    publishes, measured on another machine: the same bits across machines;
# 4. the rounding-stress run: the course's claims hold with the data one bit
#    off, at the narrowest level, three BLAS threads and other BLAS kernels.
#
# Prints "reproducibility: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}

passed=0
failed=0
pass() { echo "reproducibility: ok: $*"; passed=$((passed + 1)); }
fail() { echo "reproducibility: FAILED: $*" >&2; failed=$((failed + 1)); }

"$CARGO" build --locked --profile test --example fingerprint --quiet
fp=target/debug/examples/fingerprint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }

"$fp" > "$work/reference.txt"
echo "reproducibility: reference $(tail -n 1 "$work/reference.txt") (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}, OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-auto})"

settings=("QVG_SIMD=portable OPENBLAS_NUM_THREADS=3" "QVG_SIMD=portable OPENBLAS_NUM_THREADS=1")
if has avx2 && has fma; then settings+=("QVG_SIMD=avx2 OPENBLAS_NUM_THREADS=2"); fi
if has avx512f && has fma; then settings+=("QVG_SIMD=avx512 OPENBLAS_NUM_THREADS=4"); fi
for s in "${settings[@]}"; do
  # shellcheck disable=SC2086 # word splitting of the settings is intended
  env $s "$fp" > "$work/run.txt" 2> "$work/err.txt"
  if cmp -s "$work/reference.txt" "$work/run.txt"; then
    pass "$s: the same bits"
  else
    fail "$s: $(diff "$work/reference.txt" "$work/run.txt" | grep -c '^>') lines differ:"
    diff "$work/reference.txt" "$work/run.txt" | grep '^>' | head -n 20 >&2
  fi
done

# The digest the README publishes ("Reproducibility"), where the pin applies.
published=$(grep -oE 'fingerprint [0-9a-f]{16}' README.md | head -n 1 | cut -d' ' -f2)
if [ "${OPENBLAS_CORETYPE:-}" = Haswell ] && [ "${OPENBLAS_NUM_THREADS:-}" = 1 ]; then
  got=$(tail -n 1 "$work/reference.txt" | cut -d' ' -f2)
  if [ "$got" = "$published" ]; then
    pass "fingerprint $got: the digest the README publishes"
  else
    fail "fingerprint $got, but the README publishes $published: this machine computes other bits (or a change moved them on purpose: then update the README's digest and say why)"
  fi
else
  echo "reproducibility: skipped the published digest (OpenBLAS not pinned to Haswell kernels and one thread here)"
fi

# argmin's own solvers, which may follow OpenBLAS's kernels.
argmin_kinds='(sd|argmin-newton|bfgs|lbfgs|trust-region)$'
if has avx; then
  OPENBLAS_CORETYPE=Sandybridge "$fp" > "$work/kernels.txt"
  moved=$(diff "$work/reference.txt" "$work/kernels.txt" | sed -n 's/^> //p' | grep -v '^fingerprint' || true)
  ours=$(echo "$moved" | awk 'NF { print $1, $2, $3 }' | grep -Ev " $argmin_kinds" || true)
  if [ -z "$ours" ]; then
    pass "OPENBLAS_CORETYPE=Sandybridge: only argmin's solvers moved ($(echo "$moved" | grep -c . || true) runs)"
  else
    fail "OPENBLAS_CORETYPE=Sandybridge moved the crate's own results:"
    echo "$ours" >&2
  fi
fi

# The rounding-stress run: the course's pins once more with every input of
# the data one bit off (QVG_PERTURB=1), at the narrowest SIMD level, three
# BLAS threads and, where the CPU has them, OpenBLAS's other kernels for
# argmin's solvers. A pin that quotes one run's number is skipped there
# (`data::perturbed()`); every claim must hold.
stress="QVG_PERTURB=1 QVG_SIMD=portable OPENBLAS_NUM_THREADS=3"
if has avx; then stress="$stress OPENBLAS_CORETYPE=Sandybridge"; fi
# shellcheck disable=SC2086 # word splitting of the settings is intended
if env $stress "$CARGO" test --locked --quiet --test course > "$work/course.txt" 2>&1; then
  pass "the course's claims under $stress"
else
  fail "the course's claims under $stress:"
  grep -E "panicked|left|right|FAILED" "$work/course.txt" | head -n 30 >&2
fi

echo "reproducibility: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
