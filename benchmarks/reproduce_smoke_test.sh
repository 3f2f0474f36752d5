#!/usr/bin/env bash
# Smoke test of the reproduction targets: each paper-scale target refuses on a CPU without a step
# budget (exit 1, a message saying why and what to pass), and runs its whole grid end to end with
# --smoke (synthetic data in the official formats, tiny widths, T <= 2, 2 steps), producing a
# report with every method. Checks the pipeline, not accuracy.
set -euo pipefail
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Records per suite: 20 trained (5 methods x 2 students x T = 1, 2 in smoke runs) + 5 conversions
# of the VGG-16 teacher, + 10 of the ResNet-20 and ResNet-18 teachers on CIFAR.
declare -A expected=([cifar10]=35 [cifar100]=35 [tinyimagenet]=25)
for target in cifar10 cifar100 tinyimagenet; do
  bin="benchmarks/reproduce_${target}"
  args=(--target="reproduce_${target}" --suite="benchmarks/suites/${target}.textproto" --gpu_scale)
  # 1. Refusal on a CPU without a budget.
  if "${bin}" "${args[@]}" --out="${tmp}/${target}_refused" >"${tmp}/out" 2>"${tmp}/err"; then
    if ! grep -q "CUDA" "${tmp}/err"; then fail "${target}: ran on a CPU without a budget"; fi
  fi
  grep -q "max_steps_per_epoch" "${tmp}/err" || { cat "${tmp}/err"; fail "${target}: refusal does not say how to give a budget"; }
  [[ ! -e "${tmp}/${target}_refused/report.html" ]] || fail "${target}: wrote a report while refusing"
  # 2. The whole grid, tiny.
  out="${tmp}/${target}"
  "${bin}" "${args[@]}" --smoke --out="${out}" >"${tmp}/log" 2>&1 || { tail -40 "${tmp}/log"; fail "${target}: smoke run failed"; }
  for f in report.md report.html; do [[ -s "${out}/${f}" ]] || fail "${target}: no ${f}"; done
  for method in "LaSNN (joint)" "LaSNN (curriculum)" "Logit KD" "Feature KD" "Direct (surrogate BPTT)" \
                "MaxNorm conversion (improved: soft reset, analog input)" \
                "RobustNorm conversion (percentile incl. zeros)" \
                "RobustNorm (per-channel) conversion (percentile incl. zeros)" \
                "Spike-Norm conversion (improved: soft reset, analog input)" "QCFS conversion"; do
    grep -qF "| ${method} |" "${out}/report.md" || fail "${target}: report lacks ${method}"
  done
  records=$(ls "${out}/runs/"*.pb | wc -l)
  [[ "${records}" -eq "${expected[${target}]}" ]] \
      || fail "${target}: expected ${expected[${target}]} records, found ${records}"
  # 3. Resume: a second run skips every finished experiment.
  "${bin}" "${args[@]}" --smoke --out="${out}" >"${tmp}/log2" 2>&1 || fail "${target}: rerun failed"
  grep -q "0 ran, ${records} from earlier records" "${tmp}/log2" || { tail -5 "${tmp}/log2"; fail "${target}: rerun did not resume"; }
  echo "${target}: ok (${records} records)"
done
