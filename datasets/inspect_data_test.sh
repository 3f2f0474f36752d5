#!/bin/bash
# End-to-end test of //datasets:inspect_data: it summarises a good synthetic dataset and writes
# its contact sheet; on each kind of bad input it exits non-zero with the Status message naming
# the file, and writes no PNG. Everything is written under $TEST_TMPDIR.
set -u
INSPECT="$1"
MAKE="$2"
T="${TEST_TMPDIR:?}/inspect_data_test"
rm -rf "$T"
mkdir -p "$T"
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_error NAME PATTERN... -- ARGS: inspect_data ARGS must exit non-zero, print every
# PATTERN on stderr, and leave no contact sheet.
expect_error() {
  local name="$1"; shift
  local patterns=()
  while [[ "$1" != "--" ]]; do patterns+=("$1"); shift; done
  shift
  local png="$T/$name.png"
  if "$INSPECT" "$@" --out_png="$png" >"$T/$name.out" 2>"$T/$name.err"; then
    fail "$name: exited 0"
    return
  fi
  for p in "${patterns[@]}"; do
    grep -qF -- "$p" "$T/$name.err" || fail "$name: stderr lacks '$p': $(cat "$T/$name.err")"
  done
  [[ ! -e "$png" ]] || fail "$name: wrote $png"
  echo "ok: $name: $(head -c 300 "$T/$name.err")"
}

"$MAKE" --dataset=cifar10 --out_dir="$T/c10" --train_per_class=3 --test_per_class=1 \
  || fail "make_synthetic_data cifar10"
"$MAKE" --dataset=fashion_mnist --out_dir="$T/fm" --gzip=false || fail "make fashion_mnist"
"$MAKE" --dataset=tiny_imagenet --out_dir="$T/tin" --num_classes=2 --train_per_class=1 \
  --test_per_class=1 || fail "make tiny_imagenet"

# A good dataset.
if "$INSPECT" --dataset=cifar10 --data_dir="$T/c10" --out_png="$T/good.png" --num_images=16 \
    >"$T/good.out" 2>"$T/good.err"; then
  grep -q "train: 30 images, 3x32x32" "$T/good.out" || fail "good: $(cat "$T/good.out")"
  grep -q "test: 10 images" "$T/good.out" || fail "good: no test split"
  grep -q "(balanced)" "$T/good.out" || fail "good: no class balance"
  grep -q "mean: " "$T/good.out" || fail "good: no mean"
  [[ -s "$T/good.png" ]] || fail "good: no PNG"
  [[ "$(head -c 4 "$T/good.png" | od -An -c | tr -d ' ')" == "211PNG" ]] || fail "good: not a PNG"
else
  fail "good dataset: $(cat "$T/good.err")"
fi

# Missing directory.
expect_error missing_dir NOT_FOUND "$T/nothing" -- --dataset=cifar10 --data_dir="$T/nothing"

# Missing file.
cp -r "$T/c10" "$T/c10_missing"
rm "$T/c10_missing/test_batch.bin"
expect_error missing_file NOT_FOUND "$T/c10_missing/test_batch.bin" -- \
  --dataset=cifar10 --data_dir="$T/c10_missing"

# CIFAR file whose size is not a multiple of the record size (truncated).
cp -r "$T/c10" "$T/c10_cut"
truncate -s -100 "$T/c10_cut/data_batch_2.bin"
expect_error truncated_cifar DATA_LOSS "$T/c10_cut/data_batch_2.bin" 3073 -- \
  --dataset=cifar10 --data_dir="$T/c10_cut"

# Label out of range (the first record's label byte set to 10).
cp -r "$T/c10" "$T/c10_label"
printf '\x0a' | dd of="$T/c10_label/test_batch.bin" bs=1 seek=0 conv=notrunc status=none
expect_error label_out_of_range DATA_LOSS "$T/c10_label/test_batch.bin" "out of range" -- \
  --dataset=cifar10 --data_dir="$T/c10_label"

# Wrong IDX magic.
cp -r "$T/fm" "$T/fm_magic"
printf '\x00\x00\x08\x01' | dd of="$T/fm_magic/train-images-idx3-ubyte" bs=1 seek=0 \
  conv=notrunc status=none
expect_error wrong_magic DATA_LOSS "$T/fm_magic/train-images-idx3-ubyte" magic -- \
  --dataset=fashion_mnist --data_dir="$T/fm_magic"

# Truncated IDX file.
cp -r "$T/fm" "$T/fm_cut"
truncate -s -5 "$T/fm_cut/t10k-images-idx3-ubyte"
expect_error truncated_idx DATA_LOSS "$T/fm_cut/t10k-images-idx3-ubyte" truncated -- \
  --dataset=fashion_mnist --data_dir="$T/fm_cut"

# Unreadable JPEG.
cp -r "$T/tin" "$T/tin_bad"
bad_jpeg="$(ls "$T"/tin_bad/train/*/images/*.JPEG | head -n 1)"
echo "not a jpeg" >"$bad_jpeg"
expect_error bad_jpeg DATA_LOSS "$bad_jpeg" -- --dataset=tiny_imagenet --data_dir="$T/tin_bad"

# Bad flags.
expect_error bad_flag INVALID_ARGUMENT "--dataset" -- --dataset=mnist

if [[ "$failures" -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
