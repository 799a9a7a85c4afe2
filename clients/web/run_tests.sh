#!/usr/bin/env bash
# Installs, builds and tests the web client, the demo, the examples and the
# browser tests:
#   1. npm ci in clients/web, tests/browser and examples/backend-node (skipped
#      when node_modules matches package-lock.json; needs the npm registry)
#   2. checks, one test each: the committed src/gen/ equals a fresh protoc +
#      protoc-gen-es generation from proto/, and clients/web/LICENSE is the
#      repository's LICENSE
#   3. build: the package (`npm run build`: tsc -> dist/, the script-tag
#      bundle), its tests (dist-test/), and the demo (`npm run demo`:
#      type-check, bundle to clients/demo/app.js)
#   4. unit tests (node --test, against an in-process fake gateway)
#   5. tests against the real stack (tests/browser: nats-server, the gateway, the
#      control plane; headless Chromium for pages): the demo, the packed
#      tarball installed into a scratch app outside the repository, and
#      examples/backend-node publishing over gRPC
# The last line is "N passed, N failed"; the exit status is non-zero on any
# failure. Every step has a deadline.
#
# Environment:
#   SB_BIN_DIR           directory with gateway/switchboard-gateway, control/switchboard-control
#                        and tools/devtoken/devtoken
#                        (default: build them with Bazel and use `bazel info bazel-bin`)
#   SB_CHROMIUM          Chromium binary (default /usr/bin/chromium)
#   SB_SKIP_BROWSER=1    skip the browser tests (reported on stderr)
#   SB_DEMO_SCREENSHOT   write a screenshot of two users chatting here (e.g. docs/demo.png)
set -uo pipefail

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$WEB/../.." && pwd)"
BROWSER="$ROOT/tests/browser"
BACKEND_EXAMPLE="$ROOT/examples/backend-node"
TMP="$(mktemp -d -t sb-web-tests.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

PASSED=0
FAILED=0

log() { printf '%s\n' "$*" >&2; }

# npm ci unless node_modules was installed from this exact lock file.
install_deps() {  # DIR
  local dir="$1" stamp sum
  stamp="$dir/node_modules/.sb-lock-sha256"
  sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  log "== npm ci in ${dir#"$ROOT"/}"
  (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
  printf '%s' "$sum" > "$stamp"
}

# Runs `node --test` on PATH (in DIR) and adds its totals; a run that dies
# without a summary counts as one failure.
run_node_tests() {  # NAME DIR TIMEOUT PATH...
  local name="$1" dir="$2" limit="$3"
  shift 3
  local tap="$TMP/$name.tap" rc=0 p f c
  log "== $name tests"
  (cd "$dir" && timeout --kill-after=10 "$limit" node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stderr \
      --test-reporter=tap --test-reporter-destination="$tap" "$@") || rc=$?
  p="$(grep -m1 -E '^# pass [0-9]+' "$tap" 2>/dev/null | grep -oE '[0-9]+' || true)"
  f="$(grep -m1 -E '^# fail [0-9]+' "$tap" 2>/dev/null | grep -oE '[0-9]+' || true)"
  c="$(grep -m1 -E '^# cancelled [0-9]+' "$tap" 2>/dev/null | grep -oE '[0-9]+' || true)"
  if [ -z "$p" ] || [ -z "$f" ]; then
    log "$name tests: no summary (exit status $rc; 124 means the ${limit}s deadline passed)"
    p=0
    f=1
  fi
  f=$((f + ${c:-0}))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  log "$name tests: $p passed, $f failed"
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
}

# Runs one check (a command) as one test.
run_check() {  # NAME COMMAND...
  local name="$1"
  shift
  if timeout 120 "$@" >&2; then
    log "check $name: passed"
    PASSED=$((PASSED + 1))
  else
    log "check $name: FAILED"
    FAILED=$((FAILED + 1))
  fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit
}

# 1. Dependencies.
if ! install_deps "$WEB" || ! install_deps "$BROWSER" || ! install_deps "$BACKEND_EXAMPLE"; then
  log "npm ci failed"
  FAILED=$((FAILED + 1))
  finish
fi

# 2. Checks.
log "== checks"
run_check "src/gen is fresh" node "$WEB/scripts/gen.mjs" --check
run_check "clients/web/LICENSE is the repository's" cmp "$ROOT/LICENSE" "$WEB/LICENSE"

# 3. Build: the package, its tests, the demo.
log "== build"
if ! (cd "$WEB" && timeout 300 npm run --silent build && timeout 120 npm run --silent build:test \
        && timeout 120 npm run --silent demo); then
  log "build failed"
  FAILED=$((FAILED + 1))
  finish
fi

# 4. Unit tests.
run_node_tests unit "$WEB" 180 dist-test/

# 5. Tests against the real stack.
if [ "${SB_SKIP_BROWSER:-}" = "1" ]; then
  log "== browser tests skipped (SB_SKIP_BROWSER=1)"
  finish
fi
CHROMIUM="${SB_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  log "browser tests: $CHROMIUM not found (apt-get install -y chromium)"
  FAILED=$((FAILED + 1))
  finish
fi
if [ -z "${SB_BIN_DIR:-}" ]; then
  log "== bazel build //gateway:switchboard-gateway //control:switchboard-control //tools/devtoken:devtoken"
  if ! (cd "$ROOT" && timeout 1800 bazel build --noshow_progress \
          //gateway:switchboard-gateway //control:switchboard-control //tools/devtoken:devtoken >&2); then
    log "bazel build failed"
    FAILED=$((FAILED + 1))
    finish
  fi
  # Not the bazel-bin symlink: it follows whichever config built last (asan, tsan...).
  SB_BIN_DIR="$(cd "$ROOT" && bazel info bazel-bin 2>/dev/null)"
fi
export SB_BIN_DIR SB_CHROMIUM="$CHROMIUM"
run_node_tests browser "$BROWSER" 600 .

finish
