#!/usr/bin/env bash
# Offline validation of deploy/ (docs/kubernetes.md):
#   1. npm ci in tests/deploy (skipped when node_modules matches package-lock.json;
#      the only step that needs the network)
#   2. render every overlay in deploy/overlays with `kubectl kustomize`
#   3. validate.mjs: every rendered object against the Kubernetes and Prometheus
#      Operator schemas (kubernetes-models) with unknown fields refused, then
#      Switchboard's invariants (flags exist in main.cc, probes, ports, selectors,
#      drain vs grace period, NATS cluster shape, NetworkPolicies, Dockerfiles)
#      and self-tests that break a copy of an overlay and expect a failure.
# One line per check, "ok - NAME" or "not ok - NAME"; the last line is
# "N passed, N failed"; the exit status is non-zero on any failure.
#
# Environment:
#   SB_KUBECTL   kubectl binary (default: kubectl on PATH, else /usr/bin/kubectl)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TMP="$(mktemp -d -t sb-deploy-tests.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

PASSED=0
FAILED=0

log() { printf '%s\n' "$*" >&2; }
ok() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
not_ok() {  # NAME [DETAIL_FILE]
  echo "not ok - $1"
  FAILED=$((FAILED + 1))
  if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/#   /' "$2" | head -n 40; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit
}

# 1. Dependencies: npm ci unless node_modules was installed from this exact lock.
install_deps() {
  local stamp sum
  stamp="$HERE/node_modules/.sb-lock-sha256"
  sum="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  log "== npm ci in tests/deploy"
  (cd "$HERE" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
  printf '%s' "$sum" > "$stamp"
}
if ! command -v node >/dev/null 2>&1; then
  not_ok "node is installed (Node 20+)"
  finish
fi
if install_deps 2>"$TMP/npm.err"; then
  ok "npm ci: kubernetes-models and @kubernetes-models/prometheus-operator installed"
else
  not_ok "npm ci: kubernetes-models and @kubernetes-models/prometheus-operator installed" "$TMP/npm.err"
  finish
fi

# 2. Render every overlay.
KUBECTL="${SB_KUBECTL:-$(command -v kubectl || echo /usr/bin/kubectl)}"
if [ ! -x "$KUBECTL" ]; then
  not_ok "kubectl is installed ($KUBECTL)"
  finish
fi
rendered=()
for dir in "$ROOT"/deploy/overlays/*/; do
  name="$(basename "$dir")"
  if timeout 60 "$KUBECTL" kustomize "$dir" > "$TMP/$name.yaml" 2> "$TMP/$name.err"; then
    ok "$name: kubectl kustomize deploy/overlays/$name renders"
    rendered+=("$name=$TMP/$name.yaml")
  else
    not_ok "$name: kubectl kustomize deploy/overlays/$name renders" "$TMP/$name.err"
  fi
done
if [ ${#rendered[@]} -eq 0 ]; then
  not_ok "at least one overlay rendered"
  finish
fi

# 3. Schemas and invariants; its "ok"/"not ok" lines are this suite's.
(cd "$HERE" && timeout 120 node validate.mjs --root="$ROOT" "${rendered[@]}") > "$TMP/validate.out" 2>&1
rc=$?
cat "$TMP/validate.out"
p=$(grep -c '^ok - ' "$TMP/validate.out" || true)
f=$(grep -c '^not ok - ' "$TMP/validate.out" || true)
PASSED=$((PASSED + p))
FAILED=$((FAILED + f))
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
  not_ok "validate.mjs ran to the end (exit status $rc; 124 means the deadline passed)"
fi
finish
