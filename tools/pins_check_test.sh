#!/usr/bin/env bash
# The pins check (tools/build/debian_packages.bzl) against a simulated machine: a second Bazel
# (its own output root under TEST_TMPDIR) analyses //util:build_info on this workspace with a fake
# dpkg-query first on --repo_env=PATH and a fake dpkg database (--override_repository=dpkg_status)
# whose versions the test edits between builds, on one Bazel server:
#   1. every package at its pin, optional/sanitizer ones absent: the build goes on, and the
#      generated list and hash say what was installed;
#   2. libabsl-dev upgraded (only the database file changes): the check re-runs and stops the
#      build, naming the package, both versions and tools/setup.sh;
#   3. a required package removed: stops the build ("not installed");
#   4. --repo_env=LASNN_UNPINNED=libabsl-dev: builds, and the override is stamped;
#      an override that names another package does not cover it; one naming a package outside
#      the lock is refused.
set -euo pipefail

# This script is a symlink into the source tree: tools/pins_check_test.sh. --symlink_prefix=/
# keeps the second Bazel from replacing the workspace's bazel-* links.
workspace="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
if [[ ! -f "${workspace}/WORKSPACE" ]]; then
  echo "pins_check_test: no WORKSPACE at ${workspace}" >&2
  exit 1
fi
lock="${workspace}/tools/build/packages.lock"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="${tmp}/home"
mkdir -p "${HOME}" "${tmp}/bin" "${tmp}/dpkg"

fail() { echo "pins_check_test: FAIL: $*" >&2; exit 1; }

# The fake database: "name<TAB>version" lines. The fake dpkg-query answers -W from it in the
# format the rule asks for, and like dpkg-query exits 1 naming the packages it does not know.
db="${tmp}/dpkg/status"
{
  echo '#!/usr/bin/env bash'
  echo "db='${db}'"
  cat <<'EOF'
rc=0
for arg in "$@"; do
  [[ "${arg}" == -* ]] && continue
  line="$(awk -F'\t' -v n="${arg}" '$1 == n' "${db}")"
  if [[ -z "${line}" ]]; then
    echo "dpkg-query: no packages found matching ${arg}" >&2
    rc=1
  else
    printf '%s\tii \t%s\n' "${line%%$'\t'*}" "${line#*$'\t'}"
  fi
done
exit "${rc}"
EOF
} > "${tmp}/bin/dpkg-query"
chmod +x "${tmp}/bin/dpkg-query"
printf 'workspace(name = "dpkg_status")\n' > "${tmp}/dpkg/WORKSPACE"
printf 'exports_files(["status"])\n' > "${tmp}/dpkg/BUILD"
# Every required package at its pin; optional and sanitizer packages absent.
grep -v -e '^#' -e '^optional:' -e '^sanitizers:' "${lock}" | grep '=' | tr -d ' ' \
    | sed 's/=/\t/' > "${db}"
pinned_absl="$(grep '^libabsl-dev=' "${lock}" | cut -d= -f2)"
[[ -n "${pinned_absl}" ]] || fail "libabsl-dev is not in ${lock}"

bazel_() {
  (cd "${workspace}" && bazel --output_user_root="${tmp}/bazel" "$@")
}
trap 'bazel_ shutdown >/dev/null 2>&1 || true' EXIT
common=(
  --noshow_progress
  --nobuild
  --symlink_prefix=/
  "--override_repository=dpkg_status=${tmp}/dpkg"
  "--repo_env=PATH=${tmp}/bin:/usr/bin:/bin"
)
# build RESULT_FILE [FLAGS...]: analyses //util:build_info; stderr in RESULT_FILE.
build() {
  local out="$1"
  shift
  bazel_ build "${common[@]}" "$@" //util:build_info >/dev/null 2>"${out}"
}
generated() { cat "$(bazel_ info output_base 2>/dev/null)/external/debian_packages/$1"; }

# 1. At the pins.
build "${tmp}/1.err" || { cat "${tmp}/1.err" >&2; fail "build at the pins failed"; }
grep -qxF "libabsl-dev=${pinned_absl}" <(generated inputs.txt) \
    || fail "inputs.txt lacks libabsl-dev=${pinned_absl}"
grep -qxF "python3-torch=absent" <(generated inputs.txt) || fail "absent optional not listed"
hash1="$(generated inputs_sha256.txt)"
[[ "${hash1}" == "$(generated inputs.txt | sha256sum | cut -d' ' -f1)" ]] \
    || fail "inputs_sha256.txt is not the SHA-256 of inputs.txt"
grep -qF "${hash1}" <(generated installed_packages.cc) || fail "hash not in installed_packages.cc"

# 2. libabsl-dev upgraded: only the database changed.
sed -i "s/^libabsl-dev\t.*/libabsl-dev\t20230125.3-1/" "${db}"
if build "${tmp}/2.err"; then fail "build went on with libabsl-dev 20230125.3-1 installed"; fi
for want in "libabsl-dev: pinned ${pinned_absl}, installed 20230125.3-1" "tools/setup.sh" \
    "LASNN_UNPINNED"; do
  grep -qF "${want}" "${tmp}/2.err" || { cat "${tmp}/2.err" >&2; fail "message lacks '${want}'"; }
done
if grep -q "libtorch-dev: pinned" "${tmp}/2.err"; then fail "names a package at its pin"; fi

# 3. A required package removed as well.
sed -i '/^munge\t/d' "${db}"
if build "${tmp}/3.err"; then fail "build went on without munge"; fi
grep -qF "munge: pinned" "${tmp}/3.err" && grep -qF "not installed" "${tmp}/3.err" \
    || { cat "${tmp}/3.err" >&2; fail "a missing package is not reported as not installed"; }
grep '^munge=' "${lock}" | tr -d ' ' | sed 's/=/\t/' >> "${db}"

# 4. The override.
if build "${tmp}/4a.err" --repo_env=LASNN_UNPINNED=libtorch-dev; then
  fail "an override of libtorch-dev let the libabsl-dev difference through"
fi
if build "${tmp}/4b.err" --repo_env=LASNN_UNPINNED=libabsl-dev,no-such-package; then
  fail "an override naming a package outside the lock was accepted"
fi
grep -qF "LASNN_UNPINNED names no-such-package" "${tmp}/4b.err" \
    || { cat "${tmp}/4b.err" >&2; fail "an unknown override name is not reported"; }
build "${tmp}/4.err" --repo_env=LASNN_UNPINNED=libabsl-dev \
    || { cat "${tmp}/4.err" >&2; fail "the override did not let the build go on"; }
grep -qF "libabsl-dev: pinned ${pinned_absl}, installed 20230125.3-1" "${tmp}/4.err" \
    || fail "the override does not warn about what it lets through"
grep -qF 'kUnpinnedOverride[] = "libabsl-dev"' <(generated installed_packages.cc) \
    || fail "the override is not stamped"
grep -qxF "libabsl-dev=20230125.3-1" <(generated inputs.txt) || fail "installed version not listed"
[[ "$(generated inputs_sha256.txt)" != "${hash1}" ]] || fail "the hash did not change"

echo "pins_check_test: pass (hash at the pins ${hash1})"
