#!/usr/bin/env bash
# Runs one fuzz target over its seeds: usage run_fuzzer.sh <binary> <seed dir>...
# Default build: every seed once (a regression test). Under --config=fuzz, where the binary is
# libFuzzer's, fuzzing for $LASNN_FUZZ_SECONDS seconds from those seeds; new inputs go to a
# scratch corpus, and a crashing input is saved under the test's undeclared outputs
# (bazel-testlogs/fuzz/<target>_test/test.outputs/) with the command that reproduces it.
set -euo pipefail
bin="$1"
shift
dirs=()
for d in "$@"; do
  [[ -d "${d}" ]] && dirs+=("${d}")
done
name="$(basename "${bin}")"
seconds="${LASNN_FUZZ_SECONDS:-0}"
if [[ "${seconds}" -gt 0 ]]; then
  # (A binary built without --config=fuzz ignores the flags and runs the seeds once.)
  scratch="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
  artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/"
  mkdir -p "${scratch}" "${artifacts}"
  log="${TEST_TMPDIR:-/tmp}/${name}.log"
  set +e
  "${bin}" -max_total_time="${seconds}" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
      -artifact_prefix="${artifacts}" "${scratch}" "${dirs[@]}" >"${log}" 2>&1
  rc=$?
  set -e
  tail -n 40 "${log}"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -n 1)
  [[ -n "${execs}" ]] || { echo "FUZZ ${name}: not a libFuzzer binary: build with --config=fuzz" >&2; }
  corpus=$(ls "${scratch}" | wc -l)
  echo "FUZZ ${name}: ${execs:-?} executions in ${seconds} s, ${corpus} new corpus inputs, exit ${rc}"
  if [[ ${rc} -ne 0 ]]; then
    echo "FUZZ ${name}: FOUND A CRASH; input in ${artifacts}. Reproduce with" \
         "bazel run --config=fuzz //fuzz:${name} -- <input>; then add it to" \
         "fuzz/regressions/${name}/ and fix it." >&2
    exit 1
  fi
else
  "${bin}" "${dirs[@]}"
fi
