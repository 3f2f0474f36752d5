#!/usr/bin/env bash
# Training throughput of one process vs two data-parallel processes (Gloo on loopback) on the same
# global batch, for the Fashion-MNIST small student SNN at T=4 (real data, a fixed step budget).
# On a 2-core machine the point is the overhead of c10d, not a speed-up: the 1-process run uses
# 2 threads, each of the 2 processes 1 thread.
#   bazel build //lasnn:train && benchmarks/data_parallel_throughput.sh [STEPS]
set -euo pipefail
steps="${1:-150}"
train="bazel-bin/lasnn/train"
out="$(mktemp -d)"
common=(--model=fmnist_student_small --snn --method=direct --timesteps=4 --epochs=1
        --max_steps_per_epoch="${steps}" --seed=1)
rate() { grep -o 'done: .*(\([0-9.]*\) img/s' "$1" | sed 's/.*(\([0-9.]*\) img\/s/\1/' | tail -1; }
start=$(date +%s.%N)
"${train}" "${common[@]}" --batch_size=64 --threads=2 --run_dir="${out}/one" 2>"${out}/one.log" >/dev/null
one_s=$(echo "$(date +%s.%N) - ${start}" | bc)
start=$(date +%s.%N)
for r in 0 1; do
  "${train}" "${common[@]}" --batch_size=32 --threads=1 --world_size=2 --rank=${r} \
      --rendezvous="file:${out}/store" --run_dir="${out}/two" 2>"${out}/two${r}.log" >/dev/null &
done
wait
two_s=$(echo "$(date +%s.%N) - ${start}" | bc)
one=$(rate "${out}/one.log"); two=$(rate "${out}/two0.log")
printf '%-34s %12s %14s %10s\n' "setup" "global batch" "train img/s" "wall s"
printf '%-34s %12s %14s %10.1f\n' "1 process x 2 threads" 64 "${one}" "${one_s}"
printf '%-34s %12s %14s %10.1f\n' "2 processes x 1 thread (Gloo)" 64 \
    "$(echo "${two} * 2" | bc)" "${two_s}"
echo "(2-process img/s = rank 0's images/s x 2; wall time includes start-up and evaluation)"
