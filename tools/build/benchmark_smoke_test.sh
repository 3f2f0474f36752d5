#!/usr/bin/env bash
# Smoke test of a Google Benchmark binary (lasnn_cc_benchmark's <name>_smoke_test): runs the
# benchmarks that match the filter once each (--benchmark_min_time=0) and fails if the binary
# fails, if no benchmark matched, or if one reported an error (SkipWithError).
# Usage: benchmark_smoke_test.sh <benchmark binary> <--benchmark_filter regex>
set -euo pipefail
bin="$1"
filter="$2"
out="${TEST_TMPDIR:-$(mktemp -d)}/benchmark.json"
"${bin}" --benchmark_min_time=0 --benchmark_filter="${filter}" \
  --benchmark_out="${out}" --benchmark_out_format=json
python3 - "${out}" "${filter}" <<'PY'
import json
import sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
if not runs:
    sys.exit(f"FAIL: no benchmark matches the filter '{sys.argv[2]}'")
failed = [r["name"] for r in runs if r.get("error_occurred")]
if failed:
    sys.exit("FAIL: benchmarks reported errors: " + ", ".join(failed))
print(f"{len(runs)} benchmark(s) ran once each")
PY
