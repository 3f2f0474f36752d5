#!/usr/bin/env bash
# Checks the layer order of tools/build/layers.bzl against the real dependency graph: `bazel query`
# over every package of this workspace (a second Bazel with its own output base under TEST_TMPDIR).
# Fails, naming each edge, when a package depends on a package of a higher layer, and names every
# package that layers.bzl does not list.
#
#   layer_test.sh LAYERS_TXT     (one line a layer, bottom first; written by //tools/build:layers)
set -euo pipefail

layers="$(readlink -f "$1")"
# This script is a symlink into the source tree: tools/build/layer_test.sh.
workspace="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
[[ -f "${workspace}/WORKSPACE" ]] || { echo "layer_test: no WORKSPACE at ${workspace}" >&2; exit 1; }
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="${tmp}/home"
mkdir -p "${HOME}"

query() {
  (cd "${workspace}" && bazel --output_user_root="${tmp}/bazel" --batch query \
      --noshow_progress --noimplicit_deps --nohost_deps "$@" 2>"${tmp}/query.err") || {
    cat "${tmp}/query.err" >&2
    echo "layer_test: bazel query failed" >&2
    exit 1
  }
}

# Every directory of the workspace that holds a package, except Bazel's convenience symlinks
# (bazel-*), which a second Bazel would otherwise descend into, and directories without a BUILD
# file (results/ of the reproduction targets, which `bazel query` would refuse).
universe="//:*"
for dir in "${workspace}"/*/; do
  dir="${dir%/}"
  [[ -L "${dir}" ]] && continue
  [[ -z "$(find "${dir}" \( -name BUILD -o -name BUILD.bazel \) -print -quit)" ]] && continue
  universe+=" + //$(basename "${dir}")/..."
done
query "${universe}" --output=package > "${tmp}/packages"
query "deps(${universe}, 1)" --output=graph --nograph:factored > "${tmp}/graph"

awk -v layers="${layers}" -v packages="${tmp}/packages" '
  BEGIN {
    rank = 0
    while ((getline line < layers) > 0) {
      n = split(line, pkgs, " ")
      for (i = 1; i <= n; i++) layer[pkgs[i]] = rank
      rank++
    }
    bad = 0
    while ((getline p < packages) > 0) {
      if (!(("//" p) in layer)) {
        printf "layer_test: package //%s is not listed in tools/build/layers.bzl\n", p
        bad = 1
      }
    }
  }
  function pkg(label) {
    gsub(/"/, "", label)
    sub(/:.*/, "", label)
    return label
  }
  / -> / {
    from = pkg($1); to = pkg($3)
    if (from !~ /^\/\// || to !~ /^\/\//) next   # external repositories
    if (from == to) next
    if (!(from in layer) || !(to in layer)) next  # reported above
    if (layer[to] >= layer[from]) {
      printf "layer_test: %s (layer %d) depends on %s (layer %d): %s -> %s\n", from, layer[from], \
          to, layer[to], $1, $3
      bad = 1
    }
    edges++
  }
  END {
    if (bad) exit 1
    printf "layer_test: %d cross-package edges, every one points down; %d layers\n", edges, rank
  }
' "${tmp}/graph"
