#!/usr/bin/env bash
# Two CPU processes training data-parallel over Gloo on loopback (rendezvous through a c10d
# FileStore) end with the weights of one process trained on the same global batches (within
# 1e-4: only the order of floating-point sums differs), and both ranks hold identical weights.
set -euo pipefail
bin=lasnn/training/data_parallel_check
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
for mode in ann snn; do
  snn=$([[ ${mode} == snn ]] && echo true || echo false)
  "${bin}" --snn=${snn} --world_size=1 --rank=0 --batch_size=16 --out="${tmp}/${mode}_single.pt" \
      --run_dir="${tmp}/${mode}_single"
  rm -f "${tmp}/${mode}_store"
  "${bin}" --snn=${snn} --world_size=2 --rank=0 --batch_size=8 --rendezvous="file:${tmp}/${mode}_store" \
      --out="${tmp}/${mode}_dp.pt" --run_dir="${tmp}/${mode}_dp" & p0=$!
  "${bin}" --snn=${snn} --world_size=2 --rank=1 --batch_size=8 --rendezvous="file:${tmp}/${mode}_store" \
      --out="${tmp}/${mode}_dp.pt" --run_dir="${tmp}/${mode}_dp" & p1=$!
  wait ${p0}; wait ${p1}
  # The ranks agree exactly (gradients all-reduced, buffers averaged).
  "${bin}" --snn=${snn} --compare="${tmp}/${mode}_dp.pt.rank0,${tmp}/${mode}_dp.pt.rank1" --tolerance=0
  if [[ ${mode} == ann ]]; then
    "${bin}" --compare="${tmp}/ann_single.pt,${tmp}/ann_dp.pt" --tolerance=1e-4
  fi
  # Only rank 0 wrote the run directory's files.
  [[ -f "${tmp}/${mode}_dp/checkpoint.pt" && -f "${tmp}/${mode}_dp/metrics.csv" ]]
done
echo "data-parallel: ok"
