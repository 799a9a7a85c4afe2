#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with --config=fuzz and fuzzes each
# for a bounded time on a scratch copy of its seed corpus (corpus/<target>/).
# Inputs that once broke a target (regressions/<target>/) are replayed first.
#
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET=30] [TARGET...]
#   TARGET: names such as jwt_fuzz; default: every target tagged fuzz_target
#   (ws_frame_reader_fuzz, client_frame_fuzz, room_name_fuzz, jwt_fuzz,
#   http_upgrade_fuzz, control_request_fuzz; see README.md).
# Prints per target the executions, coverage (cov:) and any crash, leak,
# timeout or OOM with its input and reason. The scratch directory is removed
# unless something was found (or FUZZ_KEEP_DIR=1).
# Exit status: 0 nothing found, 1 a crash (or leak, timeout, OOM, failing
# regression input), 2 usage or build error.
# Environment: FUZZ_BUILD_TIMEOUT (seconds for the build, default 3600),
# TMPDIR (where the scratch directory goes).
#
# Fuzzing runs in libFuzzer's fork mode with -ignore_crashes=1: a crash does not
# end the run, so one known bug cannot hide others found in the same time.

set -uo pipefail

readonly SECONDS_PER_TARGET="${1:-30}"
if [[ $# -gt 0 ]]; then shift; fi
if ! [[ "${SECONDS_PER_TARGET}" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET=30] [TARGET...]" >&2
  exit 2
fi
readonly BUILD_TIMEOUT="${FUZZ_BUILD_TIMEOUT:-3600}"
# Per-input limits, the same for replays and fuzzing.
readonly LIMITS=(-timeout=5 -rss_limit_mb=2048)

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
[[ -f WORKSPACE ]] || { echo "run.sh: workspace root not found" >&2; exit 2; }

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  query_out="$(bazel query --noshow_progress \
    'attr(tags, "\bfuzz_target\b", kind(cc_binary, //tests/fuzz:*))' 2>/dev/null)" ||
    { echo "run.sh: bazel query failed" >&2; exit 2; }
  mapfile -t targets < <(sed -n 's|^//tests/fuzz:||p' <<<"${query_out}")
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "run.sh: no fuzz targets" >&2; exit 2; }

echo "== building ${targets[*]} (--config=fuzz)"
if ! timeout "${BUILD_TIMEOUT}" bazel build --config=fuzz "${targets[@]/#/\/\/tests\/fuzz:}"; then
  echo "run.sh: build failed" >&2
  exit 2
fi
bin_dir="$(bazel info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz" || exit 2

work="$(mktemp -d "${TMPDIR:-/tmp}/sb-fuzz.XXXXXX")" || exit 2
found=0
summary=()

# Replays `input` alone with `bin`; prints the first line that says what broke.
reason_of() {
  local bin="$1" input="$2"
  timeout 120 "${bin}" "${LIMITS[@]}" "${input}" 2>&1 |
    grep -a -m1 -E 'check failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' |
    cut -c1-200
}

hex_of() { od -An -tx1 -v -N 64 "$1" | tr -d ' \n'; }

for target in "${targets[@]}"; do
  dir="${work}/${target}"
  mkdir -p "${dir}/corpus" "${dir}/artifacts" "${dir}/tmp"
  cp "${bin_dir}/${target}" "${dir}/" || { echo "run.sh: no binary for ${target}" >&2; exit 2; }
  bin="${dir}/${target}"
  if [[ -d "tests/fuzz/corpus/${target}" ]]; then
    cp -R "tests/fuzz/corpus/${target}/." "${dir}/corpus/"
  fi
  echo "== ${target}: ${SECONDS_PER_TARGET}s on $(find "${dir}/corpus" -type f | wc -l) seeds"

  bad_regressions=0
  for input in "tests/fuzz/regressions/${target}"/*; do
    [[ -f "${input}" ]] || continue
    if ! timeout 120 "${bin}" "${LIMITS[@]}" "${input}" >"${dir}/regression.log" 2>&1; then
      bad_regressions=$((bad_regressions + 1))
      echo "  FAILING REGRESSION ${input}: $(reason_of "${bin}" "${input}")"
    fi
  done

  (cd "${dir}" && TMPDIR="${dir}/tmp" timeout --kill-after=10 $((SECONDS_PER_TARGET + 120)) \
    "${bin}" -fork=1 -ignore_crashes=1 -max_total_time="${SECONDS_PER_TARGET}" "${LIMITS[@]}" \
    -artifact_prefix="${dir}/artifacts/" corpus >"${dir}/fuzz.log" 2>&1)
  rc=$?
  # Fork mode prints "#<executions>: cov: <edges> ft: .. corp: <inputs> .." per job.
  stats="$(grep -a -E '^#[0-9]+: cov:' "${dir}/fuzz.log" | tail -n 1)"
  execs="$(sed -E 's/^#([0-9]+):.*/\1/' <<<"${stats}")"
  cov="$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"${stats}")"
  corp="$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"${stats}")"

  mapfile -t artifacts < <(find "${dir}/artifacts" -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  result="ok"
  if [[ ${rc} -ne 0 ]]; then
    result="FUZZER FAILED (exit ${rc}, see ${dir}/fuzz.log)"
    found=1
  fi
  if [[ ${#artifacts[@]} -gt 0 || ${bad_regressions} -gt 0 ]]; then
    result="FOUND ${#artifacts[@]} new input(s), ${bad_regressions} failing regression(s)"
    found=1
  fi
  echo "  executions: ${execs:-?}  cov: ${cov:-?}  corpus: ${corp:-?}  result: ${result}"
  shown=0
  for artifact in "${artifacts[@]}"; do
    if [[ ${shown} -ge 5 ]]; then echo "  ... see ${dir}/artifacts"; break; fi
    echo "  $(basename "${artifact}"): $(reason_of "${bin}" "${artifact}")"
    echo "    input (hex, first 64 bytes): $(hex_of "${artifact}")"
    echo "    replay: ${bin} ${artifact}"
    shown=$((shown + 1))
  done
  summary+=("$(printf '%-22s %12s %7s  %s' "${target}" "${execs:-?}" "${cov:-?}" "${result}")")
done

echo
printf '%-22s %12s %7s  %s\n' target executions cov result
printf '%s\n' "${summary[@]}"
if [[ ${found} -ne 0 || "${FUZZ_KEEP_DIR:-0}" == 1 ]]; then
  echo "scratch directory kept: ${work}"
else
  rm -rf "${work}"
fi
exit "${found}"
