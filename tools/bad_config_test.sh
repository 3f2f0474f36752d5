#!/usr/bin/env bash
# Every hostile or broken config in benchmarks/testdata/bad_configs/ must make `lasnn run` exit 1
# with the error its first line names ("# expect: <text>"), before anything is trained or written.
# Bad suites (a name that would escape the results directory) are refused too.
set -euo pipefail
lasnn="tools/lasnn"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
n=0
for config in benchmarks/testdata/bad_configs/*.textproto; do
  expect="$(head -1 "${config}" | sed 's/^# expect: //')"
  runs="${tmp}/runs_$(basename "${config}" .textproto)"
  if "${lasnn}" run --config="${config}" --runs="${runs}" >"${tmp}/out" 2>"${tmp}/err"; then
    echo "FAIL: ${config} was accepted" >&2; exit 1
  fi
  if ! grep -qF -- "${expect}" "${tmp}/err"; then
    echo "FAIL: ${config}: expected an error containing '${expect}', got:" >&2
    cat "${tmp}/err" >&2; exit 1
  fi
  grep -qF -- "${config}" "${tmp}/err" || { echo "FAIL: ${config}: error does not name the file" >&2; cat "${tmp}/err" >&2; exit 1; }
  [[ ! -e "${runs}" ]] || { echo "FAIL: ${config}: wrote ${runs}" >&2; exit 1; }
  n=$((n + 1))
done
# Suite names become directory names: no path separators or dots.
for name in '../../escape' '/abs/path' 'a/b' '' 'x.y'; do
  printf 'name: "%s"\ngrids { methods: [DIRECT] }\n' "${name}" > "${tmp}/suite.textproto"
  if "${lasnn}" sweep --suite="${tmp}/suite.textproto" --list >"${tmp}/out" 2>"${tmp}/err"; then
    echo "FAIL: suite name '${name}' was accepted" >&2; exit 1
  fi
  grep -q "name must be 1-64 letters" "${tmp}/err" || { cat "${tmp}/err" >&2; exit 1; }
  n=$((n + 1))
done
echo "${n} bad configs rejected with the expected errors"
