#!/usr/bin/env bash
# GPU check: on a machine with a CUDA LibTorch (LIBTORCH_HOME) and the Debian packages
# (tools/setup.sh), builds; runs the CUDA tests (fused LIF CUDA parity in neuron_test, models on
# CUDA in model_test: they skip themselves without a GPU); runs one CIFAR-shaped synthetic
# experiment of every method on the GPU; prints each record's status, accuracy at T_max and
# timings. About 5 minutes after the build on one modern GPU.
#
#   tools/gpu_check.sh            the real check (needs LIBTORCH_HOME and a visible GPU)
#   tools/gpu_check.sh --dry_run  checks the script and its CPU fallbacks here: the same sweep on
#                                 the CPU with a tiny budget; says that no GPU is present
# In the dry run, LASNN_BIN_DIR (set by //tools:gpu_check_dry_run_test) holds prebuilt
# tools/lasnn and datasets/make_synthetic_data; without it they are built with bazel.
set -euo pipefail
dry_run=0
[[ "${1:-}" == "--dry_run" ]] && dry_run=1
tmp="${TEST_TMPDIR:-$(mktemp -d)}"

gpu_present() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q GPU; }

if (( dry_run )); then
  gpu_present && echo "gpu_check: a GPU is present, but this is a dry run on the CPU" \
              || echo "gpu_check: no GPU present; dry run on the CPU"
  device=cpu epochs=1 per_class=4 t_max=4
else
  [[ -n "${LIBTORCH_HOME:-}" && -e "${LIBTORCH_HOME}/lib/libtorch_cuda.so" ]] || {
    echo "gpu_check: LIBTORCH_HOME must point at a CUDA LibTorch (lib/libtorch_cuda.so)" >&2; exit 1; }
  gpu_present || { echo "gpu_check: no GPU visible (nvidia-smi -L)" >&2; exit 1; }
  device=cuda epochs=2 per_class=100 t_max=16
fi

if [[ -n "${LASNN_BIN_DIR:-}" ]]; then
  bin="${LASNN_BIN_DIR}"
else
  bazel build //tools:lasnn //datasets:make_synthetic_data
  bin="$(bazel info bazel-bin)"
  if (( ! dry_run )); then
    bazel test --test_output=errors //lasnn/core:neuron_test //lasnn/models:model_test
  fi
fi

"${bin}/datasets/make_synthetic_data" --dataset=cifar10 --out_dir="${tmp}/data" \
    --train_per_class="${per_class}" --test_per_class="$(( per_class / 4 + 1 ))" >/dev/null
cat > "${tmp}/suite.textproto" <<SUITE
name: "gpu_check"
base {
  data { kind: DATASET_KIND_CIFAR10 path: "${tmp}/data" }
  teacher {
    model {
      name: "t" input { channels: 3 height: 32 width: 32 } num_classes: 10
      layers { conv { out_channels: 16 } } layers { activation {} }
      layers { pool { kind: AVG kernel_size: 2 } }
      layers { conv { out_channels: 32 } } layers { activation {} }
      layers { pool { kind: AVG kernel_size: 2 } } layers { flatten {} }
      layers { linear { out_features: 10 } }
    }
    train { epochs: ${epochs} batch_size: 32 seed: 1 holdout_fraction: 0.1 collapse_epochs: 0 }
  }
  train { epochs: ${epochs} batch_size: 32 eval_batch_size: 64 holdout_fraction: 0.1
          collapse_epochs: 0 }
  conversion { calibration_size: 64 spike_norm_timesteps: 8
               qcfs_train { epochs: ${epochs} batch_size: 32 seed: 1 holdout_fraction: 0.1
                            collapse_epochs: 0 } }
  eval { t_max: ${t_max} cost_timesteps: [4] throughput_batch: 16 latency_repeats: 2 }
  device: "${device}"
  threads: 2
}
grids {
  students {
    name: "s" input { channels: 3 height: 32 width: 32 } num_classes: 10
    layers { conv { out_channels: 8 } } layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { conv { out_channels: 16 } } layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } } layers { flatten {} }
    layers { linear { out_features: 10 } }
  }
  methods: [DIRECT, LOGIT_KD, FEATURE_KD, LASNN_JOINT]
  timesteps: [4]
}
grids { methods: [CONVERSION_MAX, CONVERSION_ROBUST, SPIKE_NORM, QCFS] }
SUITE
"${bin}/tools/lasnn" sweep --suite="${tmp}/suite.textproto" --runs="${tmp}/runs" 2>"${tmp}/sweep.log" \
    || { tail -n 30 "${tmp}/sweep.log" >&2; exit 1; }

# Summary: one line per record, from the JSON twins.
field() { grep -m1 "\"$1\"" "$2" | sed -e 's/^[^:]*: *//' -e 's/[",]//g'; }
printf '%-22s %-8s %-10s %-12s %-14s %s\n' method status acc@Tmax train_s latency_ms gpu_model
n=0 bad=0
for j in "${tmp}/runs"/*.json; do
  n=$((n + 1))
  status=$(field status "${j}")
  [[ "${status}" == OK ]] || bad=$((bad + 1))
  acc=$(tr -d '\n ' < "${j}" | grep -o '"accuracyAtT":\[[^]]*\]\|"accuracy_at_t":\[[^]]*\]' \
        | sed -e 's/.*,//' -e 's/.*\[//' -e 's/\]//')
  printf '%-22s %-8s %-10s %-12s %-14s %s\n' "$(field method "${j}")" "${status}" "${acc:-none}" \
      "$(field train_seconds "${j}")" "$(field latency_ms "${j}")" "$(field gpu_model "${j}")"
done
echo "gpu_check: ${n} records, ${bad} not OK, device ${device}"
(( n == 8 && bad == 0 )) || { echo "gpu_check: FAILED" >&2; exit 1; }
echo "gpu_check: passed"
