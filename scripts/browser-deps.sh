#!/usr/bin/env bash
# Installs what the browser test (scripts/browser/test.mjs) needs, skipping
# whatever is already present. Idempotent; safe to run on every `make test`.
#   - Chromium from Debian's `chromium` package (apt-get, as root), at
#     /usr/bin/chromium or $CHROMIUM;
#   - Node.js and npm from Debian, if `node` is missing;
#   - playwright-core, pinned in scripts/browser/package.json and its
#     committed package-lock.json, with `npm ci` when node_modules is missing
#     or older than the lockfile. playwright-core drives the system
#     Chromium: it downloads no browser of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
DIR=scripts/browser
log() { echo "browser-deps: $*"; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "browser-deps: $* missing; install it (Debian: apt-get install $*)" >&2
    exit 1
  fi
  local start=$SECONDS
  log "installing $* with apt-get"
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  log "installed $* in $((SECONDS - start)) s"
}

if [ -x "$CHROMIUM" ]; then
  log "chromium present ($CHROMIUM), skipping"
else
  apt_install chromium
fi

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  log "node $(node --version) and npm present, skipping"
else
  apt_install nodejs npm
fi

# npm ci rewrites node_modules from the lockfile; the stamp says which
# lockfile it was.
stamp=$DIR/node_modules/.package-lock.stamp
if [ -f "$stamp" ] && cmp -s "$stamp" "$DIR/package-lock.json" && [ -d "$DIR/node_modules/playwright-core" ]; then
  log "playwright-core present, skipping"
else
  start=$SECONDS
  log "installing playwright-core (npm ci)"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$DIR/package-lock.json" "$stamp"
  log "installed playwright-core in $((SECONDS - start)) s"
fi
