#!/usr/bin/env bash
# The foreign-device test: the pipeline on LibTorch's lazy (TorchScript) device, which runs on the
# CPU and aborts when a CPU tensor is mixed into its ops. Each case runs in its own process (a
# check failure aborts it); a failure names the case. Cases: SNN direct training; LaSNN joint with
# a teacher (attention maps, KD); LaSNN stage by stage (frozen stages, partial forwards); feature
# KD (aligners); evaluation at every t; conversion (calibration by every normalisation,
# simulation); QCFS (training and conversion); Poisson input (LaSNN training, evaluation against
# the CPU's, conversion) and latency input (direct training, QCFS conversion); and a
# two-experiment harness sweep (LaSNN joint, MaxNorm conversion) through `lasnn sweep` that must
# write two OK records and a report; and `lasnn/train --device=lazy`.
set -uo pipefail
check=tools/lazy_device_check
lasnn=tools/lasnn
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failed=()

run_case() {  # name, command...
  local name="$1"; shift
  if "$@" >"${tmp}/${name}.log" 2>&1; then
    echo "ok: ${name}"
  else
    echo "FAIL: lazy device case '${name}' (exit $?); its log:" >&2
    tail -n 25 "${tmp}/${name}.log" | cut -c1-400 >&2
    failed+=("${name}")
  fi
}

for c in snn_direct lasnn_joint lasnn_stage_by_stage feature_kd evaluate conversion qcfs poisson \
    latency; do
  mkdir -p "${tmp}/${c}"
  run_case "${c}" "${check}" --case_name="${c}" --tmp_dir="${tmp}/${c}"
done

harness_sweep() {
  datasets/make_synthetic_data --dataset=fashion_mnist --out_dir="${tmp}/data" \
      --train_per_class=6 --test_per_class=2 || return 1
  cat > "${tmp}/suite.textproto" <<SUITE
name: "lazy"
base {
  data { kind: DATASET_KIND_FASHION_MNIST path: "${tmp}/data" }
  teacher {
    model {
      name: "t" input { channels: 1 height: 28 width: 28 } num_classes: 10
      layers { conv { out_channels: 4 stride: 2 } } layers { activation {} }
      layers { pool { kind: AVG kernel_size: 2 } } layers { flatten {} }
      layers { linear { out_features: 10 } }
    }
    train { epochs: 1 batch_size: 16 seed: 1 holdout_fraction: 0.1 collapse_epochs: 0 }
  }
  train { epochs: 1 batch_size: 16 eval_batch_size: 20 holdout_fraction: 0.1 collapse_epochs: 0 }
  conversion { calibration_size: 16 }
  eval { t_max: 4 cost_timesteps: [2] test_subset: 20 throughput_batch: 4 latency_repeats: 1 }
  device: "lazy"
  threads: 1
}
grids {
  students {
    name: "s" input { channels: 1 height: 28 width: 28 } num_classes: 10
    layers { conv { out_channels: 4 stride: 2 } } layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } } layers { flatten {} }
    layers { linear { out_features: 10 } }
  }
  methods: [LASNN_JOINT]
  timesteps: [2]
}
grids { methods: [CONVERSION_MAX] }
SUITE
  "${lasnn}" sweep --suite="${tmp}/suite.textproto" --runs="${tmp}/runs" || return 1
  "${lasnn}" report --runs="${tmp}/runs" --out="${tmp}/report" || return 1
  local n
  n=$(ls "${tmp}/runs"/*.pb | wc -l)
  [[ ${n} -eq 2 ]] || { echo "expected 2 records, got ${n}"; return 1; }
  for j in "${tmp}/runs"/*.json; do
    grep -q '"status": "OK"' "${j}" || { echo "${j} is not OK:"; cat "${j}"; return 1; }
    grep -q '"gpu_model": "lazy' "${j}" || { echo "${j} does not name the lazy device"; return 1; }
  done
  [[ -s "${tmp}/report/report.md" ]] || { echo "no report.md"; return 1; }
}
run_case harness_sweep harness_sweep

# lasnn/train --device=lazy: the single-model front door (training with checkpoints, the final
# test evaluation on the device, the TorchScript export moved back to the CPU).
train_binary() {
  [[ -d "${tmp}/data" ]] || datasets/make_synthetic_data --dataset=fashion_mnist \
      --out_dir="${tmp}/data" --train_per_class=6 --test_per_class=2 || return 1
  cat > "${tmp}/student.textproto" <<MODEL
name: "s" input { channels: 1 height: 28 width: 28 } num_classes: 10
layers { conv { out_channels: 4 stride: 2 } } layers { activation {} }
layers { pool { kind: AVG kernel_size: 2 } } layers { flatten {} }
layers { linear { out_features: 10 } }
MODEL
  lasnn/train --device=lazy --model="${tmp}/student.textproto" --snn --timesteps=2 \
      --method=direct --epochs=1 --max_steps_per_epoch=2 --batch_size=8 --threads=1 \
      --data_dir="${tmp}/data" --run_dir="${tmp}/train_run" || return 1
  [[ -s "${tmp}/train_run/test_accuracy.csv" && -s "${tmp}/train_run/model.torchscript.pt" ]] || {
    echo "lasnn/train wrote no test_accuracy.csv or TorchScript export"; return 1; }
}
run_case train_binary train_binary

if (( ${#failed[@]} > 0 )); then
  echo "FAIL: lazy device cases failed: ${failed[*]}" >&2
  exit 1
fi
echo "PASS: every lazy device case"
