#!/usr/bin/env bash
# Bring your own teacher through the harness: an experiment whose teacher is a PyTorch
# nn.Sequential saved with TorchScript (lasnn/interop/testdata/torchscript_teacher.pt) converts and writes
# an OK record carrying the file's SHA-256; an unsupported TorchScript model gives a FAILED record
# whose message names the modules that did not map.
set -euo pipefail
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
datasets/make_synthetic_data --dataset=fashion_mnist --out_dir="${tmp}/data" --train_per_class=4 \
    --test_per_class=2 >/dev/null
config() {
  cat <<CFG
data { kind: DATASET_KIND_FASHION_MNIST path: "${tmp}/data" }
teacher { torchscript_file: "$1" }
method: CONVERSION_ROBUST
conversion { calibration_size: 16 }
eval { t_max: 8 test_subset: 16 cost_timesteps: [4] throughput_batch: 8 latency_repeats: 2 }
threads: 1
CFG
}
config "${PWD}/lasnn/interop/testdata/torchscript_teacher.pt" > "${tmp}/ok.textproto"
tools/lasnn run --config="${tmp}/ok.textproto" --runs="${tmp}/runs" > "${tmp}/out" 2>"${tmp}/err" \
    || { cat "${tmp}/err"; echo "FAIL: TorchScript teacher run failed" >&2; exit 1; }
json="$(tail -1 "${tmp}/out")"
grep -q '"status": "OK"' "${json}" || { cat "${json}"; exit 1; }
sha="$(sha256sum lasnn/interop/testdata/torchscript_teacher.pt | cut -d' ' -f1)"
grep -q "\"weights_sha256\": \"${sha}\"" "${json}" || { echo "FAIL: teacher checksum missing" >&2; exit 1; }
config "${PWD}/lasnn/interop/testdata/torchscript_unsupported.pt" > "${tmp}/bad.textproto"
if tools/lasnn run --config="${tmp}/bad.textproto" --runs="${tmp}/runs_bad" >"${tmp}/out" 2>"${tmp}/err"; then
  echo "FAIL: an unsupported TorchScript teacher was accepted" >&2; exit 1
fi
grep -q "Sigmoid" "${tmp}/err" || { cat "${tmp}/err"; echo "FAIL: the error does not name the unmapped module" >&2; exit 1; }
echo "TorchScript teacher: OK record; unsupported model named in the error"
