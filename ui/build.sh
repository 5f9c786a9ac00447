#!/usr/bin/env bash
# Build the web UI into kestra_stream/webserver/ui_dist (served by the webserver under /ui/).
# Idempotent: skips when the sources, the lockfile and this script are unchanged since the last build
# (a hash stored in ui_dist/.build-hash). `--force` rebuilds. Needs Node.js >= 20 and npm.
set -euo pipefail
cd "$(dirname "$0")"
OUT=../kestra_stream/webserver/ui_dist
STAMP="$OUT/.build-hash"

hash_sources() {
  { find src -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum package.json package-lock.json index.html vite.config.ts tsconfig.json build.sh
  } | sha256sum | cut -d' ' -f1
}

want=$(hash_sources)
if [[ "${1:-}" != "--force" && -f "$STAMP" && -f "$OUT/index.html" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "ui: up to date ($OUT)"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "ui: npm not found; install Node.js >= 20 to build the UI (the server answers /ui/ with a placeholder)" >&2
  exit 1
fi
# npm ci only when node_modules doesn't match the lockfile
if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s <(sha256sum package-lock.json | cut -d' ' -f1) node_modules/.lock-hash 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json | cut -d' ' -f1 > node_modules/.lock-hash
fi
npm run build --silent
echo "$want" > "$STAMP"
echo "ui: built into $OUT"
