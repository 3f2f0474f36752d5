#!/usr/bin/env bash
# Smoke test of //benchmarks:train_throughput: a tiny model, batch 2, one timed iteration and no
# warm-up on one thread; the binary must succeed and its --json output must parse and hold an
# ANN row, an SNN row per timestep, the step ratios, the peak-memory measurements, the distillation
# rows (logit KD and LaSNN joint, small student, T=2, teacher frozen and as built: one step per
# epoch) and the environment.
# Usage: train_throughput_smoke_test.sh <train_throughput binary> <model textproto>
set -euo pipefail
bin="$1"
model="$2"
json="${TEST_TMPDIR:-$(mktemp -d)}/throughput.json"
"${bin}" --model="${model}" --threads=1 --batch=2 --iters=1 --warmup=0 --json="${json}" \
  --distill_students=fmnist_student_small --distill_timesteps=2 --distill_steps=2 \
  --distill_repeats=1
python3 - "${json}" <<'PY'
import json
import sys

r = json.load(open(sys.argv[1]))
def check(ok, what):
    if not ok:
        sys.exit(f"FAIL: {what}: {json.dumps(r)[:2000]}")
check(r.get("model_name") == "tiny_throughput", "model_name")
check(r.get("batch") == 2 and r.get("iters") == 1 and r.get("threads") == 1, "options")
rows = r.get("rows", [])
modes = sorted((row["mode"], row.get("timesteps", 0)) for row in rows)
check(("ann", 1) in modes, "no ANN row")
check({t for m, t in modes if m == "snn"} == {1, 2, 4, 8}, "SNN rows")
for row in rows:
    for kind in ("train", "inference"):
        s = row.get(kind, {})
        check(s.get("iterations") == 1 and s.get("median_ms", 0) > 0, f"{kind} timing")
check(len(r.get("ratios", [])) == 3, "ratios")
check(len(r.get("memory", [])) == 3, "memory measurements")
distill = r.get("distill", [])
check(sorted((d["method"], d["teacher_path"]) for d in distill) ==
      [("lasnn_curriculum", "frozen"), ("lasnn_joint", "as_built"), ("lasnn_joint", "frozen"),
       ("lasnn_stage_by_stage", "frozen"), ("logit_kd", "as_built"), ("logit_kd", "frozen")],
      "distillation rows")
for d in distill:
    check(d.get("student") == "fmnist_student_small" and d.get("teacher") == "fmnist_vgg" and
          d.get("timesteps") == 2 and d.get("images_per_s_median", 0) > 0 and
          len(d.get("images_per_s", [])) == 1 and
          d.get("images_per_s_whole_run_median", 0) > 0, "distillation row")
env = r.get("environment", {})
check(env.get("threads") == 1 and env.get("cpu_model") and env.get("libtorch_version") and
      env.get("openblas_coretype") and env.get("omp_num_threads"), "environment")
print(f"train_throughput JSON: {len(rows)} rows, {len(r['memory'])} memory measurements")
PY
