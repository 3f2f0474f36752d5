#!/bin/bash
# Downloads the official CIFAR-10, CIFAR-100 (binary versions) and Tiny ImageNet archives,
# verifies their published MD5 checksums BEFORE unpacking, and unpacks them into DEST:
#   cifar10        DEST/cifar-10-batches-bin   (https://www.cs.toronto.edu/~kriz/cifar.html)
#   cifar100       DEST/cifar-100-binary
#   tiny_imagenet  DEST/tiny-imagenet-200      (http://cs231n.stanford.edu/)
# Fashion-MNIST comes from Debian's dataset-fashion-mnist package instead.
#
# Usage: fetch_datasets.sh [--dest DIR] [--from-file ARCHIVE] [--md5 HEX] DATASET...
#   DATASET          cifar10, cifar100, tiny_imagenet, or all
#   --dest DIR       where to unpack (default: $LASNN_DATA_DIR, else ~/.cache/lasnn-bench/datasets)
#   --from-file F    use the local archive F instead of downloading (one DATASET only); the
#                    checksum is verified all the same
#   --md5 HEX        expect this checksum instead of the published one (one DATASET only; for
#                    mirrors and tests)
# A bad checksum, an archive with unsafe paths, or a failed unpack exits non-zero and leaves
# DEST without the dataset's directory (unpacking goes to a staging directory, then a rename).
# Re-running when the dataset's directory exists does nothing.
set -euo pipefail

readonly -A URL=(
  [cifar10]="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
  [cifar100]="https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
  [tiny_imagenet]="http://cs231n.stanford.edu/tiny-imagenet-200.zip"
)
readonly -A MD5=(
  [cifar10]="c32a1d4ab5d03f1284b67883e8d87530"
  [cifar100]="03b5dce01913d631647c71ecec9e9cb8"
  [tiny_imagenet]="90528d7ca1a48142e341f4ccf6b5d2a0"
)
readonly -A TOP=(
  [cifar10]="cifar-10-batches-bin"
  [cifar100]="cifar-100-binary"
  [tiny_imagenet]="tiny-imagenet-200"
)

die() { echo "fetch_datasets: error: $*" >&2; exit 1; }
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dest="${LASNN_DATA_DIR:-$HOME/.cache/lasnn-bench/datasets}"
from_file=""
md5_override=""
datasets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dest) [[ $# -ge 2 ]] || usage; dest="$2"; shift 2 ;;
    --dest=*) dest="${1#*=}"; shift ;;
    --from-file) [[ $# -ge 2 ]] || usage; from_file="$2"; shift 2 ;;
    --from-file=*) from_file="${1#*=}"; shift ;;
    --md5) [[ $# -ge 2 ]] || usage; md5_override="$2"; shift 2 ;;
    --md5=*) md5_override="${1#*=}"; shift ;;
    -h|--help) usage ;;
    all) datasets+=(cifar10 cifar100 tiny_imagenet); shift ;;
    cifar10|cifar100|tiny_imagenet) datasets+=("$1"); shift ;;
    *) echo "fetch_datasets: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ ${#datasets[@]} -gt 0 ]] || usage
if [[ -n "$from_file" || -n "$md5_override" ]] && [[ ${#datasets[@]} -ne 1 ]]; then
  die "--from-file and --md5 need exactly one DATASET"
fi
if [[ -n "$md5_override" && ! "$md5_override" =~ ^[0-9a-fA-F]{32}$ ]]; then
  die "--md5 '$md5_override' is not 32 hex digits"
fi

mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"

download() {  # URL OUT
  local url="$1" out="$2"
  echo "downloading $url"
  if command -v curl >/dev/null; then
    curl --fail --location --retry 3 --output "$out.part" "$url" || return 1
  elif command -v wget >/dev/null; then
    wget --tries=3 --output-document="$out.part" "$url" || return 1
  else
    die "neither curl nor wget is installed"
  fi
  mv "$out.part" "$out"
}

# Lists the archive's member names, one per line.
list_members() {  # ARCHIVE
  case "$1" in
    *.zip)
      if command -v unzip >/dev/null; then
        unzip -Z1 "$1"
      else
        python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
      fi ;;
    *) tar -tzf "$1" ;;
  esac
}

extract() {  # ARCHIVE DIR
  case "$1" in
    *.zip)
      if command -v unzip >/dev/null; then
        unzip -q "$1" -d "$2"
      else
        python3 -m zipfile -e "$1" "$2"
      fi ;;
    *) tar -xzf "$1" -C "$2" --no-same-owner ;;
  esac
}

fetch_one() {  # DATASET
  local name="$1"
  local top="${TOP[$name]}"
  local expected="${md5_override:-${MD5[$name]}}"
  expected="${expected,,}"
  if [[ -e "$dest/$top" ]]; then
    echo "$name: $dest/$top already exists; nothing to do"
    return 0
  fi
  local archive
  if [[ -n "$from_file" ]]; then
    [[ -f "$from_file" ]] || die "$name: archive '$from_file' not found"
    archive="$from_file"
  else
    mkdir -p "$dest/.downloads"
    archive="$dest/.downloads/$(basename "${URL[$name]}")"
    if [[ ! -f "$archive" ]]; then
      download "${URL[$name]}" "$archive" || die "$name: download of ${URL[$name]} failed"
    fi
  fi

  local actual
  actual="$(md5sum "$archive" | cut -d' ' -f1)"
  if [[ "$actual" != "$expected" ]]; then
    if [[ -z "$from_file" ]]; then
      rm -f "$archive"  # a corrupt download; the next run fetches it again
    fi
    die "$name: checksum mismatch for '$archive': md5 $actual, expected $expected; not unpacked"
  fi
  echo "$name: md5 $actual OK"

  local members
  members="$(list_members "$archive")" || die "$name: cannot list '$archive'"
  if grep -qE '(^/|(^|/)\.\.(/|$))' <<<"$members"; then
    die "$name: '$archive' has absolute or '..' member paths; not unpacked"
  fi
  if grep -qvE "^$top(/|$)" <<<"$members"; then
    die "$name: '$archive' has members outside '$top/'; not unpacked"
  fi

  local staging
  staging="$(mktemp -d "$dest/.unpack.$name.XXXXXX")"
  if ! extract "$archive" "$staging" || [[ ! -d "$staging/$top" ]]; then
    rm -rf "$staging"
    die "$name: unpacking '$archive' failed"
  fi
  mv "$staging/$top" "$dest/$top"
  rmdir "$staging"
  echo "$name: unpacked to $dest/$top"
}

for d in "${datasets[@]}"; do
  fetch_one "$d"
done
