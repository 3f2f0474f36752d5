#!/usr/bin/env bash
# Reproducible binaries: builds TARGETs in two clean copies of this work tree at different paths,
# each with its own output base and no disk cache, and compares the SHA-256 of every binary and
# shared object they produced. Exits 0 when all are identical; otherwise lists each file that
# differs, says whether it embeds its build path, and lists the object files that differ in it
# (the place to look for the cause). Two cold builds: minutes of both cores per target set, so it
# is run by hand, never by `bazel test`.
#
#   tools/check_reproducible_build.sh [--keep] [--work=DIR] [TARGET...]
#     TARGET   default: the main binaries (the CLI, training, reproduction and report mains)
#     --work   where the copies and output bases go (default: a new directory under /tmp); the
#              second copy's path is longer than the first's, so a leaked path cannot match
#     --keep   keep the copies and output bases afterwards
# A copy holds the tracked and the untracked, not ignored files of the work tree as they are now
# (`git ls-files --cached --others --exclude-standard`): uncommitted changes are built too.
set -euo pipefail

src="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
keep=0
work=""
targets=()
for arg in "$@"; do
  case "${arg}" in
    --keep) keep=1 ;;
    --work=*) work="${arg#--work=}" ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "check_reproducible_build: unknown flag '${arg}'" >&2; exit 2 ;;
    *) targets+=("${arg}") ;;
  esac
done
if [[ "${#targets[@]}" -eq 0 ]]; then
  targets=(
    //tools:lasnn
    //tools:build_info
    //lasnn:train
    //lasnn/interop:import_torchscript
    //baselines/conversion:convert
    //datasets:inspect_data
    //datasets:make_synthetic_data
    //benchmarks:reproduce_fmnist
    //benchmarks:compare_records
    //reports:make_report
  )
fi
if [[ -z "${work}" ]]; then work="$(mktemp -d /tmp/lasnn-repro.XXXXXX)"; fi
mkdir -p "${work}"
work="$(cd "${work}" && pwd)"
clones=("${work}/a/lasnn-bench" "${work}/b/second/copy/lasnn-bench")

cleanup() {
  for i in 0 1; do
    if [[ -d "${work}/base${i}" ]]; then
      (cd "${clones[$i]}" && bazel --output_base="${work}/base${i}" shutdown) >/dev/null 2>&1 \
          || true
    fi
  done
  if [[ "${keep}" -eq 0 ]]; then
    chmod -R u+w "${work}" 2>/dev/null || true
    rm -rf "${work}"
  fi
}
trap cleanup EXIT

echo "check_reproducible_build: ${#targets[@]} target(s); copies under ${work}" >&2
(cd "${src}" && git ls-files -z --cached --others --exclude-standard) \
    | (cd "${src}" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) \
    > "${work}/files"
# Both copies first: the work tree may change while the first one builds.
for i in 0 1; do
  mkdir -p "${clones[$i]}"
  (cd "${src}" && tar --null -cf - -T "${work}/files") | tar -xf - -C "${clones[$i]}"
done
for i in 0 1; do
  start="$(date +%s)"
  if ! (cd "${clones[$i]}" && bazel --output_base="${work}/base${i}" build --disk_cache= \
        --noshow_progress "${targets[@]}") >"${work}/build${i}.log" 2>&1; then
    tail -n 40 "${work}/build${i}.log" >&2
    echo "check_reproducible_build: build $((i + 1)) failed (log: ${work}/build${i}.log)" >&2
    keep=1
    exit 1
  fi
  echo "check_reproducible_build: build $((i + 1)) of 2 in ${clones[$i]}:" \
       "$(($(date +%s) - start)) s" >&2
done

# SHA-256 of each ELF file and archive under bazel-bin: "binary" (executables and shared objects,
# the result) and "object" (.o/.a, to locate a difference). Bazel marks every output executable, so
# files are told by their magic number; its own metadata (runfiles manifests, which list absolute
# execroot paths by design, .params files) is not a build result. Runfiles trees are not followed.
hashes() {
  local bin="$1"
  (cd "${bin}" && find . -type f -not -path '*.runfiles/*' -print0 | sort -z \
      | while IFS= read -r -d '' f; do
          magic="$(head -c 8 "${f}" | tr -d '\0' | od -An -c | tr -d ' \n')"
          if [[ "${magic}" == 177ELF* || "${f}" == *.a ]]; then sha256sum "${f}"; fi
        done)
}
for i in 0 1; do
  hashes "$(cd "${clones[$i]}" && readlink -f bazel-bin)" > "${work}/sha${i}"
done

is_object() { [[ "$1" == *.o || "$1" == *.a ]]; }
binaries=0
objects=0
differ=()
while read -r sum path; do
  other="$(awk -v p="${path}" '$2 == p { print $1 }' "${work}/sha1")"
  if is_object "${path}"; then objects=$((objects + 1)); else binaries=$((binaries + 1)); fi
  [[ "${other}" == "${sum}" ]] && continue
  differ+=("${path}")
done < "${work}/sha0"
while read -r _ path; do
  awk -v p="${path}" '$2 == p { found = 1 } END { exit !found }' "${work}/sha0" \
      || differ+=("${path}")
done < "${work}/sha1"

diff_objects=()
for path in "${differ[@]+"${differ[@]}"}"; do
  is_object "${path}" && diff_objects+=("${path}")
done
n_bin_diff=$((${#differ[@]} - ${#diff_objects[@]}))
echo "binaries and shared objects: ${binaries}, differing: ${n_bin_diff}"
echo "object files and archives:   ${objects}, differing: ${#diff_objects[@]}"
for path in "${differ[@]+"${differ[@]}"}"; do
  is_object "${path}" && continue
  note=""
  for i in 0 1; do
    f="$(readlink -f "${clones[$i]}/bazel-bin")/${path}"
    if [[ ! -f "${f}" ]]; then note+=" [missing in copy $((i + 1))]"; continue; fi
    if grep -qaF "${clones[$i]}" "${f}" || grep -qaF "${work}/base${i}" "${f}"; then
      note+=" [copy $((i + 1)) embeds its build path]"
    fi
  done
  echo "DIFFERS ${path}${note}"
done
for path in "${diff_objects[@]+"${diff_objects[@]}"}"; do
  echo "  object differs: ${path}"
done
if [[ "${#differ[@]}" -eq 0 ]]; then
  echo "check_reproducible_build: identical" \
       "(${binaries} binaries/shared objects, ${objects} objects)"
  exit 0
fi
keep=1
echo "check_reproducible_build: ${#differ[@]} output(s) differ; copies kept in ${work}" >&2
exit 1
