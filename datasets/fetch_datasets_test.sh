#!/bin/bash
# Tests fetch_datasets.sh offline on locally built archives: a wrong checksum refuses to unpack
# (non-zero exit, nothing unpacked), the right one unpacks, unsafe archives are refused, and no
# download tool is ever run. Everything is written under $TEST_TMPDIR.
set -u
FETCH="$(pwd)/$1"
T="${TEST_TMPDIR:?}/fetch_datasets_test"
rm -rf "$T"
mkdir -p "$T/src/cifar-10-batches-bin" "$T/bin"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Stub download tools: any network attempt is recorded and fails.
for tool in curl wget; do
  printf '#!/bin/sh\necho "$0 $*" >> "%s/network_used"\nexit 1\n' "$T" >"$T/bin/$tool"
  chmod +x "$T/bin/$tool"
done
export PATH="$T/bin:$PATH"
export HOME="$T/home"

head -c 3073 /dev/zero >"$T/src/cifar-10-batches-bin/data_batch_1.bin"
echo "airplane" >"$T/src/cifar-10-batches-bin/batches.meta.txt"
tar -czf "$T/cifar-10-binary.tar.gz" -C "$T/src" cifar-10-batches-bin
right="$(md5sum "$T/cifar-10-binary.tar.gz" | cut -d' ' -f1)"
wrong="00000000000000000000000000000000"

# 1. The published checksum does not match this local archive: refused.
if "$FETCH" --dest "$T/d1" --from-file "$T/cifar-10-binary.tar.gz" cifar10 >"$T/1.log" 2>&1; then
  fail "official checksum accepted a different archive"
fi
grep -q "checksum mismatch" "$T/1.log" || fail "no mismatch message: $(cat "$T/1.log")"
[[ -z "$(ls -A "$T/d1")" ]] || fail "something was unpacked: $(ls -A "$T/d1")"

# 2. An explicit wrong checksum: refused, nothing unpacked.
if "$FETCH" --dest "$T/d2" --from-file "$T/cifar-10-binary.tar.gz" --md5 "$wrong" cifar10 \
    >"$T/2.log" 2>&1; then
  fail "wrong checksum accepted"
fi
[[ ! -e "$T/d2/cifar-10-batches-bin" ]] || fail "unpacked despite wrong checksum"
[[ -z "$(ls -A "$T/d2")" ]] || fail "left files behind: $(ls -A "$T/d2")"

# 3. The right checksum: unpacked, contents intact.
if ! "$FETCH" --dest "$T/d3" --from-file "$T/cifar-10-binary.tar.gz" --md5 "$right" cifar10 \
    >"$T/3.log" 2>&1; then
  fail "right checksum refused: $(cat "$T/3.log")"
fi
cmp -s "$T/src/cifar-10-batches-bin/data_batch_1.bin" "$T/d3/cifar-10-batches-bin/data_batch_1.bin" \
  || fail "unpacked file differs"
[[ -z "$(ls -A "$T/d3" | grep -v '^cifar-10-batches-bin$')" ]] || fail "staging left: $(ls -A "$T/d3")"

# 4. Re-running is a no-op.
"$FETCH" --dest "$T/d3" --from-file "$T/cifar-10-binary.tar.gz" --md5 "$right" cifar10 \
  >"$T/4.log" 2>&1 || fail "re-run failed: $(cat "$T/4.log")"
grep -q "already exists" "$T/4.log" || fail "re-run did not skip"

# 5. An archive with a '..' member is refused even with the right checksum.
mkdir -p "$T/evil/in/cifar-10-batches-bin"
echo x >"$T/evil/escape"
(cd "$T/evil/in" && tar -czPf "$T/evil.tar.gz" cifar-10-batches-bin cifar-10-batches-bin/../../escape)
tar -tzf "$T/evil.tar.gz" 2>/dev/null | grep -qF '../../escape' || fail "test archive lacks '..'"
evil_md5="$(md5sum "$T/evil.tar.gz" | cut -d' ' -f1)"
if "$FETCH" --dest "$T/d5" --from-file "$T/evil.tar.gz" --md5 "$evil_md5" cifar10 \
    >"$T/5.log" 2>&1; then
  fail "unsafe archive accepted"
fi
grep -qF "'..'" "$T/5.log" || fail "unsafe archive: wrong reason: $(cat "$T/5.log")"
[[ -z "$(ls -A "$T/d5")" ]] || fail "unsafe archive unpacked: $(ls -A "$T/d5")"

# 6. A Tiny ImageNet zip, verified then unpacked.
if command -v zip >/dev/null; then
  mkdir -p "$T/zsrc/tiny-imagenet-200/val"
  echo "n01443537" >"$T/zsrc/tiny-imagenet-200/wnids.txt"
  (cd "$T/zsrc" && zip -qr "$T/tiny-imagenet-200.zip" tiny-imagenet-200)
  zmd5="$(md5sum "$T/tiny-imagenet-200.zip" | cut -d' ' -f1)"
  if "$FETCH" --dest "$T/d6" --from-file "$T/tiny-imagenet-200.zip" tiny_imagenet \
      >"$T/6a.log" 2>&1; then
    fail "zip with the wrong (published) checksum accepted"
  fi
  [[ -z "$(ls -A "$T/d6")" ]] || fail "zip unpacked despite mismatch"
  "$FETCH" --dest "$T/d6" --from-file "$T/tiny-imagenet-200.zip" --md5 "$zmd5" tiny_imagenet \
    >"$T/6b.log" 2>&1 || fail "zip refused: $(cat "$T/6b.log")"
  cmp -s "$T/zsrc/tiny-imagenet-200/wnids.txt" "$T/d6/tiny-imagenet-200/wnids.txt" \
    || fail "zip contents differ"
fi

# 7. Bad usage.
"$FETCH" --dest "$T/d7" >/dev/null 2>&1 && fail "no dataset accepted"
"$FETCH" --dest "$T/d7" --md5 xyz cifar10 >/dev/null 2>&1 && fail "malformed md5 accepted"
"$FETCH" --dest "$T/d7" --from-file "$T/none.tar.gz" cifar10 >/dev/null 2>&1 \
  && fail "missing archive accepted"

[[ ! -e "$T/network_used" ]] || fail "network tool was run: $(cat "$T/network_used")"
if [[ "$failures" -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
