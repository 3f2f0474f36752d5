#!/bin/bash
# Fails if the checkpoint and tensor-file libraries (their .a/.so files, given as arguments)
# reference LibTorch's archive reader, torch::load, the TorchScript loader or the unpickler: our
# checkpoint and weights loads must never parse pickles. As a check that nm sees the code at all,
# they must reference TensorFile::Open and mmap.
set -euo pipefail
symbols="$(for f in "$@"; do nm -C "$f" 2>/dev/null || true; done)"
[[ -n "${symbols}" ]] || { echo "FAIL: nm printed nothing for: $*" >&2; exit 1; }
for required in 'lasnn::TensorFile::Open' ' mmap'; do
  grep -qF -- "${required}" <<<"${symbols}" \
      || { echo "FAIL: no reference to '${required}': is nm reading the libraries?" >&2; exit 1; }
done
forbidden='torch::serialize::InputArchive|torch::load|torch::jit::load|torch::jit::import|Unpickler|unpickl|pickle_load|PyTorchStreamReader'
if grep -E -- "${forbidden}" <<<"${symbols}"; then
  echo "FAIL: the checkpoint code references LibTorch's archive/pickle readers (above)" >&2
  exit 1
fi
echo "PASS: no reference to LibTorch's unpickler in $# libraries"
