#!/usr/bin/env bash
# Trains the Fashion-MNIST SNN student with every training method (direct, logit-KD, feature-KD,
# LaSNN joint, LaSNN curriculum, LaSNN stage by stage) on several seeds with the same budget, and prints mean and spread
# of the test accuracy at t = 1, 2, 4, 8 (students trained at T=4, evaluated at every t <= 8 from
# one simulation).
#
#   benchmarks/fmnist_method_comparison.sh TEACHER_RUN_DIR OUT_DIR [EPOCHS] [SEEDS...]
#
# TEACHER_RUN_DIR holds best_weights.pt of an fmnist_vgg teacher (see
# benchmarks/configs/fmnist_teacher.textproto). Each run goes to OUT_DIR/<method>_s<seed>/;
# finished runs are skipped, interrupted ones resume.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
teacher_dir="$1"; out="$2"; epochs="${3:-3}"; shift 3 || shift $#
seeds=("$@"); [[ ${#seeds[@]} -gt 0 ]] || seeds=(1 2 3)
bazel build -c opt //lasnn:train >/dev/null 2>&1 || bazel build -c opt //lasnn:train
train=bazel-bin/lasnn/train
config="${PWD}/benchmarks/configs/fmnist_student.textproto"
mkdir -p "${out}"
methods=(direct logit_kd feature_kd lasnn_joint lasnn_curriculum lasnn_stage_by_stage)
for seed in "${seeds[@]}"; do
  for m in "${methods[@]}"; do
    dir="${out}/${m}_s${seed}"
    [[ -f "${dir}/test_accuracy.csv" ]] && continue
    args=(--config="${config}" --model=fmnist_student_small --snn --epochs="${epochs}"
          --seed="${seed}" --eval_timesteps=8 --run_dir="${dir}")
    case "${m}" in
      direct) args+=(--method=direct) ;;
      logit_kd|feature_kd) args+=(--method="${m}") ;;
      lasnn_joint) args+=(--method=lasnn --paradigm=joint) ;;
      lasnn_curriculum) args+=(--method=lasnn --paradigm=curriculum) ;;
      lasnn_stage_by_stage) args+=(--method=lasnn --paradigm=stage_by_stage) ;;
    esac
    if [[ "${m}" != direct ]]; then
      args+=(--teacher_model=fmnist_vgg --teacher_weights="${teacher_dir}/best_weights.pt")
    fi
    [[ -f "${dir}/checkpoint.pt" ]] && args+=(--resume)
    echo "== ${m} seed ${seed}: ${train} ${args[*]}" >&2
    # A diverged or collapsed run is reported as such (no number), and the sweep goes on.
    if ! "${train}" "${args[@]}" 2> >(grep -E "done|error|diverged|collapsed" >&2); then
      echo "== ${m} seed ${seed}: FAILED (see ${dir}/metrics.csv)" >&2
    fi
  done
done
# Summary: mean and spread (min..max) over the seeds whose run finished of test accuracy at t = 1, 2, 4, 8.
printf '%-22s %-22s %-22s %-22s %-22s\n' method t=1 t=2 t=4 t=8
for m in "${methods[@]}"; do
  line=$(printf '%-22s' "${m}")
  for t in 1 2 4 8; do
    vals=$(for seed in "${seeds[@]}"; do
      f="${out}/${m}_s${seed}/test_accuracy.csv"
      [[ -f "${f}" ]] && awk -F, -v t="${t}" '$1==t {print 100*$2}' "${f}"
    done)
    line+=$(echo "${vals}" | awk 'NF {n++; s+=$1; if(n==1||$1<mn)mn=$1; if(n==1||$1>mx)mx=$1}
      END {if (n) printf " %6.2f [%6.2f..%6.2f]", s/n, mn, mx; else printf " %22s", "no run"}')
  done
  echo "${line}"
done
