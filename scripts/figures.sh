#!/usr/bin/env bash
# Regenerates every figure the course book uses, from the crate's own code,
# into book/src/figures/. Deterministic: the races are seeded, the grid and
# the encoders are deterministic, so the same code gives the same bytes (run it
# twice and `git status` stays clean).
#
#   paths.png, journey.gif   the main job's default output: the reference race
#                            on the output-weight slice, exactly what `make demo`
#                            writes (the book's introduction shows these two)
#
# Chapters that need other figures add them here, from an example or the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
OUT=book/src/figures

"$CARGO" build --release --locked --quiet --bin quad-vs-grad
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The main job with its default flags, quiet, writing into a scratch directory.
./target/release/quad-vs-grad --quiet --out-dir "$tmp"

mkdir -p "$OUT"
for f in paths.png journey.gif; do
  [ -s "$tmp/$f" ] || { echo "figures: the main job did not write $f" >&2; exit 1; }
  cp "$tmp/$f" "$OUT/$f"
done
( cd "$OUT" && for f in paths.png journey.gif; do
    printf 'figures: %-12s %8d bytes  sha256 %s\n' "$f" "$(wc -c <"$f")" "$(sha256sum "$f" | cut -c1-16)"
  done )
