#!/usr/bin/env bash
# Checks that the reference docs cover what the code has (run from the repo
# root by `./switchboard test`; no build needed):
#  - every command-line flag of the gateway and the control plane is in
#    docs/operations.md as --name;
#  - every metric name the processes register (a "switchboard_..." string in
#    gateway/, control/, common/ and fanout/) is in docs/operations.md;
#  - every close code of the client protocol (CloseCode in
#    proto/switchboard/client/v1) is in docs/protocol.md §7 (its table, or
#    its text for the codes the gateway never sends).
# Then self-tests: each check must fail on a copy of the docs with one item
# removed. Prints "ok -"/"not ok -" per check and "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/../.."

passed=0
failed=0
report() {  # report <0|1> <text>
  if [ "$1" -eq 0 ]; then
    echo "ok - $2"; passed=$((passed + 1))
  else
    echo "not ok - $2"; failed=$((failed + 1))
  fi
}

flags() {
  grep -ho 'ABSL_FLAG([^,]*, *[a-z_0-9]*' gateway/main.cc control/main.cc |
    sed 's/.*, *//' | sort -u
}
metrics() {
  grep -rhoE '"switchboard_[a-z0-9_]+' gateway control common fanout --include=*.cc |
    tr -d '"' | sort -u
}
close_codes() {
  grep -hoE 'CLOSE_CODE_[A-Z_]+ = [0-9]+' proto/switchboard/client/v1/*.proto |
    awk '$3 != 0 {print $3}' | sort -un
}

# check_* <operations.md> / <protocol.md>: prints what is missing, fails if any.
check_flags() {
  local missing=0 f
  for f in $(flags); do
    grep -q -- "\`--$f\`" "$1" || { echo "  flag --$f is not in $1"; missing=1; }
  done
  return "$missing"
}
check_metrics() {
  local missing=0 m
  for m in $(metrics); do
    grep -q "\`$m" "$1" || { echo "  metric $m is not in $1"; missing=1; }
  done
  return "$missing"
}
check_close_codes() {
  local missing=0 c table
  # Section 7: a row of its table ("| 4005 | ...") or a mention in its text.
  table="$(sed -n '/^## 7\. Close codes/,/^## 8/p' "$1")"
  for c in $(close_codes); do
    grep -qw "$c" <<<"$table" || { echo "  close code $c is not in $1 §7"; missing=1; }
  done
  return "$missing"
}

n_flags=$(flags | wc -l)
n_metrics=$(metrics | wc -l)
n_codes=$(close_codes | wc -l)
[ "$n_flags" -gt 40 ] && [ "$n_metrics" -gt 20 ] && [ "$n_codes" -gt 15 ]
report $? "found $n_flags flags, $n_metrics metric names and $n_codes close codes to check"

check_flags docs/operations.md
report $? "docs/operations.md documents all $n_flags gateway and control flags"
check_metrics docs/operations.md
report $? "docs/operations.md documents all $n_metrics metric names"
check_close_codes docs/protocol.md
report $? "docs/protocol.md §7 lists all $n_codes close codes"

# Self-tests: each check must notice one missing item.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
flag="$(flags | grep -m1 handshake_timeout)"
grep -v -- "\`--$flag\`" docs/operations.md > "$tmp/ops-no-flag.md"
! check_flags "$tmp/ops-no-flag.md" > /dev/null
report $? "self-test: the flag check notices --$flag missing"
metric=switchboard_gateway_accept_refusals_total
grep -v "$metric" docs/operations.md > "$tmp/ops-no-metric.md"
! check_metrics "$tmp/ops-no-metric.md" > /dev/null
report $? "self-test: the metric check notices $metric missing"
grep -v '^| 4009 |' docs/protocol.md > "$tmp/protocol-no-4009.md"
! check_close_codes "$tmp/protocol-no-4009.md" > /dev/null
report $? "self-test: the close-code check notices 4009 missing"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
