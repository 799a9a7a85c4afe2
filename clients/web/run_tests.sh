#!/usr/bin/env bash
# Installs, builds and tests the web client, the demo and the browser tests:
#   1. npm ci in clients/web and tests/browser (skipped when node_modules matches
#      package-lock.json; the only step that needs the network)
#   2. build: protoc + protoc-gen-es -> src/gen, tsc -> dist/ and dist-test/,
#      type-check the demo and bundle it to clients/demo/app.js
#   3. unit tests (node --test, against an in-process fake gateway)
#   4. browser tests (headless Chromium + nats-server + the real gateway)
# The last line is "N passed, N failed"; the exit status is non-zero on any
# failure. Every step has a deadline.
#
# Environment:
#   SB_BIN_DIR           directory with gateway/switchboard-gateway and tools/devtoken/devtoken
#                        (default: build them with Bazel and use `bazel info bazel-bin`)
#   SB_CHROMIUM          Chromium binary (default /usr/bin/chromium)
#   SB_SKIP_BROWSER=1    skip the browser tests (reported on stderr)
#   SB_DEMO_SCREENSHOT   write a screenshot of two users chatting here (e.g. docs/demo.png)
set -uo pipefail

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$WEB/../.." && pwd)"
BROWSER="$ROOT/tests/browser"
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

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit
}

# 1. Dependencies.
if ! install_deps "$WEB" || ! install_deps "$BROWSER"; then
  log "npm ci failed"
  FAILED=$((FAILED + 1))
  finish
fi

# 2. Build (generated types, library, tests, demo bundle).
log "== build"
if ! (cd "$WEB" && timeout 300 npm run --silent build); then
  log "build failed"
  FAILED=$((FAILED + 1))
  finish
fi

# 3. Unit tests.
run_node_tests unit "$WEB" 180 dist-test/

# 4. Browser tests against the real stack.
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
  log "== bazel build //gateway:switchboard-gateway //tools/devtoken:devtoken"
  if ! (cd "$ROOT" && timeout 1800 bazel build --noshow_progress \
          //gateway:switchboard-gateway //tools/devtoken:devtoken >&2); then
    log "bazel build failed"
    FAILED=$((FAILED + 1))
    finish
  fi
  # Not the bazel-bin symlink: it follows whichever config built last (asan, tsan...).
  SB_BIN_DIR="$(cd "$ROOT" && bazel info bazel-bin 2>/dev/null)"
fi
export SB_BIN_DIR SB_CHROMIUM="$CHROMIUM"
run_node_tests browser "$BROWSER" 480 .

finish
