#!/usr/bin/env bash
# Crash safety and determinism of the harness, on synthetic Fashion-MNIST files:
#  1. Determinism: the same suite swept twice gives identical records apart from timings.
#  2. Crash safety: a sweep SIGKILLed at several points (mid-epoch, around checkpoint and record
#     writes) and restarted each time ends with the same records as the uninterrupted sweep,
#     re-running only what had no record; no partial record is ever left where a reader would
#     take it for a complete one (every *.pb parses; temporary files never end in .pb).
#     Then targeted kills (LASNN_CRASH_AT): after a step mid-epoch, halfway through a checkpoint
#     write, halfway through a record write; each restart resumes and the records match.
#  3. I/O faults: an unwritable runs directory gives an error naming the path.
set -euo pipefail
lasnn=tools/lasnn
compare=benchmarks/compare_records
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
datasets/make_synthetic_data --dataset=fashion_mnist --out_dir="${tmp}/data" --train_per_class=30 \
    --test_per_class=4 >/dev/null
cat > "${tmp}/suite.textproto" <<SUITE
name: "crash"
base {
  data { kind: DATASET_KIND_FASHION_MNIST path: "${tmp}/data" }
  teacher {
    model {
      name: "t" input { channels: 1 height: 28 width: 28 } num_classes: 10
      layers { conv { out_channels: 4 stride: 2 } } layers { activation {} }
      layers { pool { kind: AVG kernel_size: 2 } } layers { flatten {} }
      layers { linear { out_features: 10 } }
    }
    train { epochs: 3 batch_size: 16 seed: 1 holdout_fraction: 0.1 collapse_epochs: 0 }
  }
  train { epochs: 4 batch_size: 16 eval_batch_size: 32 holdout_fraction: 0.1 collapse_epochs: 0 }
  conversion { calibration_size: 32 spike_norm_timesteps: 4 }
  eval { test_subset: 40 throughput_batch: 8 latency_repeats: 2 }
  threads: 1
}
grids {
  students {
    name: "s" input { channels: 1 height: 28 width: 28 } num_classes: 10
    layers { conv { out_channels: 4 stride: 2 } } layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } } layers { flatten {} }
    layers { linear { out_features: 10 } }
  }
  methods: [LASNN_JOINT, DIRECT]
  timesteps: [2, 4]
}
grids { methods: [CONVERSION_MAX] overrides { eval { t_max: 16 cost_timesteps: [8] } } }
SUITE
sweep() { "${lasnn}" sweep --suite="${tmp}/suite.textproto" --runs="$1" 2>>"${tmp}/sweep.log" >>"${tmp}/sweep.out"; }
check_records() {  # every .pb parses and matches the reference
  for f in "$1"/*.pb; do
    "${compare}" "${tmp}/a/$(basename "${f}")" "${f}" >/dev/null || {
      "${compare}" "${tmp}/a/$(basename "${f}")" "${f}"; echo "FAIL: ${f}" >&2; exit 1; }
  done
}

# 1. Determinism.
sweep "${tmp}/a"
sweep "${tmp}/b"
n=$(ls "${tmp}/a"/*.pb | wc -l)
[[ ${n} -eq 5 ]] || { echo "FAIL: expected 5 records, got ${n}" >&2; exit 1; }
check_records "${tmp}/b"
echo "determinism: ${n} records identical apart from timings"

# 2. Kill at increasing delays, restart each time, until the sweep finishes.
kills=0
for delay in 0.7 1.3 2.1 2.9 3.7 4.6 5.5 6.5; do
  "${lasnn}" sweep --suite="${tmp}/suite.textproto" --runs="${tmp}/c" 2>>"${tmp}/sweep.log" >>"${tmp}/sweep.out" &
  pid=$!
  sleep "${delay}"
  if kill -9 "${pid}" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "${pid}" 2>/dev/null || true
  # What a reader sees after a crash: only complete records.
  for f in "${tmp}/c"/*.pb; do [[ -e "${f}" ]] && "${compare}" "${tmp}/a/$(basename "${f}")" "${f}" >/dev/null; done 2>/dev/null || true
  if ls "${tmp}/c"/*.pb >/dev/null 2>&1; then check_records "${tmp}/c"; fi
done
sweep "${tmp}/c"
[[ $(ls "${tmp}/c"/*.pb | wc -l) -eq 5 ]] || { echo "FAIL: records missing after restarts" >&2; exit 1; }
check_records "${tmp}/c"
# A finished sweep re-run does nothing.
"${lasnn}" sweep --suite="${tmp}/suite.textproto" --runs="${tmp}/c" 2>/dev/null | grep -q "0 ran, 5 skipped" \
    || { echo "FAIL: a finished sweep ran again" >&2; exit 1; }
echo "crash safety: killed ${kills} times, final records identical to the uninterrupted sweep"

# 2b. Targeted kills (LASNN_CRASH_AT, see util/file_util.h): right after a training step in the
# middle of an epoch, halfway through writing a checkpoint, halfway through writing a record. Each
# run must die by SIGKILL there; afterwards every checkpoint.pt loads (the restart resumes from it)
# and every record parses; the restart finishes what is missing.
targeted=0
for point in 'train step:25' 'checkpoint.pt:2' 'checkpoint.pt:5' '.pb:2' 'train step:90'; do
  set +e
  LASNN_CRASH_AT="${point}" "${lasnn}" sweep --suite="${tmp}/suite.textproto" --runs="${tmp}/d" \
      >>"${tmp}/sweep.out" 2>"${tmp}/kill.log"
  rc=$?
  set -e
  if [[ ${rc} -ne 137 ]] || ! grep -q "LASNN_CRASH_AT: killing the process at" "${tmp}/kill.log"; then
    tail -n 20 "${tmp}/kill.log" >&2
    echo "FAIL: LASNN_CRASH_AT='${point}' did not kill the sweep (exit ${rc})" >&2; exit 1
  fi
  targeted=$((targeted + 1))
  case "${point}" in
    checkpoint.pt:*)  # the half-written file is a temporary, never checkpoint.pt itself
      find "${tmp}/d" -name 'checkpoint.pt.tmp.*' | grep -q . \
          || { find "${tmp}/d" >&2; echo "FAIL: no temporary checkpoint" >&2; exit 1; } ;;
  esac
  if ls "${tmp}/d"/*.pb >/dev/null 2>&1; then check_records "${tmp}/d"; fi
done
sweep "${tmp}/d"
grep -q "resuming at epoch" "${tmp}/sweep.log" || { echo "FAIL: no run resumed" >&2; exit 1; }
[[ $(ls "${tmp}/d"/*.pb | wc -l) -eq 5 ]] || { echo "FAIL: records missing (targeted)" >&2; exit 1; }
check_records "${tmp}/d"
echo "targeted kills: ${targeted} (mid-epoch, mid-checkpoint-write, mid-record-write), records identical"

# 3. An unwritable runs directory.
mkdir -p "${tmp}/ro" && chmod 0555 "${tmp}/ro"
if [[ $(id -u) -ne 0 ]]; then
  if "${lasnn}" sweep --suite="${tmp}/suite.textproto" --runs="${tmp}/ro/runs" >"${tmp}/out" 2>"${tmp}/err"; then
    echo "FAIL: sweep into an unwritable directory succeeded" >&2; exit 1
  fi
  grep -q "${tmp}/ro/runs" "${tmp}/err" || { cat "${tmp}/err"; exit 1; }
fi
if "${lasnn}" sweep --suite="${tmp}/suite.textproto" --runs=/dev/full/runs >"${tmp}/out" 2>"${tmp}/err"; then
  echo "FAIL: sweep into /dev/full/runs succeeded" >&2; exit 1
fi
grep -q "/dev/full/runs" "${tmp}/err" || { cat "${tmp}/err"; exit 1; }
echo "I/O faults: errors name the path"
