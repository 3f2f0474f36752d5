// bazel run //benchmarks:train_throughput -- [--model=<ModelSpec textproto>] [--threads=2]
//     [--json=<file>] [--iters=N] [--warmup=N] [--batch=64] [--timesteps=1,2,4,8] [--memory]
//     [--distill_students=fmnist_student_small,fmnist_student_deeper] [--distill_timesteps=2,4,8]
//     [--distill_steps=20] [--distill_repeats=3] [--distill_compare_unfrozen]
// Training / inference throughput of a model's ANN and SNN twins and the SNN step's peak memory
// (benchmarks/train_throughput.h). Default model: benchmarks/configs/fmnist_cnn.textproto.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "benchmarks/train_throughput.h"
#include "util/file_util.h"

ABSL_FLAG(std::string, model, "",
          "text-format lasnn.ModelSpec; default: benchmarks/configs/fmnist_cnn.textproto");
ABSL_FLAG(int, threads, 2, "intra-op threads (at::set_num_threads)");
ABSL_FLAG(std::string, json, "", "also write the figures as JSON to this file");
ABSL_FLAG(int, iters, 30, "timed iterations per measurement");
ABSL_FLAG(int, warmup, 5, "untimed warm-up iterations per measurement");
ABSL_FLAG(int, batch, 64, "batch size");
ABSL_FLAG(std::string, timesteps, "1,2,4,8", "SNN rows' T, comma-separated (empty: ANN only)");
ABSL_FLAG(bool, memory, true, "measure the peak memory of the training step");
ABSL_FLAG(std::string, distill_students, "fmnist_student_small,fmnist_student_deeper",
          "student presets of the distillation rows, comma-separated (empty: none)");
ABSL_FLAG(std::string, distill_timesteps, "2,4,8", "T of the distillation rows");
ABSL_FLAG(int, distill_steps, 20, "steps per epoch of a distillation measurement");
ABSL_FLAG(int, distill_repeats, 3, "distillation runs per row (median)");
ABSL_FLAG(bool, distill_compare_unfrozen, true,
          "also measure distillation with the teacher run as built (not frozen)");
ABSL_FLAG(std::string, peak_memory_child, "",
          "internal: <ann|snn>:<T>:<steps> runs the peak-memory measurement in this process");

namespace {

constexpr char kDefaultModel[] = "benchmarks/configs/fmnist_cnn.textproto";

// The default config from the runfiles (bazel run's working directory, or RUNFILES_DIR, or
// <argv0>.runfiles).
std::string DefaultModelPath(const char* argv0) {
  std::vector<std::string> candidates = {kDefaultModel};
  if (const char* dir = std::getenv("RUNFILES_DIR")) {
    candidates.push_back(lasnn::JoinPath(lasnn::JoinPath(dir, "lasnn_bench"), kDefaultModel));
  }
  candidates.push_back(
      lasnn::JoinPath(absl::StrCat(argv0, ".runfiles/lasnn_bench"), kDefaultModel));
  for (const std::string& c : candidates) {
    if (lasnn::PathExists(c)) return c;
  }
  return kDefaultModel;
}

absl::StatusOr<std::vector<int>> IntList(const std::string& flag, const std::string& value) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " must be comma-separated integers >= 1, got ", value));
    }
    out.push_back(v);
  }
  return out;
}

absl::Status Run(const char* argv0) {
  lasnn::ThroughputOptions options;
  options.model_path = absl::GetFlag(FLAGS_model);
  if (options.model_path.empty()) options.model_path = DefaultModelPath(argv0);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.json_path = absl::GetFlag(FLAGS_json);
  options.iters = absl::GetFlag(FLAGS_iters);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.batch = absl::GetFlag(FLAGS_batch);
  auto timesteps = IntList("timesteps", absl::GetFlag(FLAGS_timesteps));
  if (!timesteps.ok()) return timesteps.status();
  options.timesteps = *timesteps;
  options.memory = absl::GetFlag(FLAGS_memory);
  options.distill_students =
      absl::StrSplit(absl::GetFlag(FLAGS_distill_students), ',', absl::SkipEmpty());
  auto distill_timesteps = IntList("distill_timesteps", absl::GetFlag(FLAGS_distill_timesteps));
  if (!distill_timesteps.ok()) return distill_timesteps.status();
  options.distill_timesteps = *distill_timesteps;
  options.distill_steps = absl::GetFlag(FLAGS_distill_steps);
  options.distill_repeats = absl::GetFlag(FLAGS_distill_repeats);
  options.distill_compare_unfrozen = absl::GetFlag(FLAGS_distill_compare_unfrozen);
  const std::string child = absl::GetFlag(FLAGS_peak_memory_child);
  if (child.empty()) return lasnn::RunTrainThroughput(options);
  std::vector<std::string> parts = absl::StrSplit(child, ':');
  int t = 0;
  int steps = 0;
  if (parts.size() != 3 || (parts[0] != "ann" && parts[0] != "snn") ||
      !absl::SimpleAtoi(parts[1], &t) || !absl::SimpleAtoi(parts[2], &steps)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--peak_memory_child must be <ann|snn>:<T>:<steps>, got ", child));
  }
  return lasnn::RunPeakMemoryChild(options, parts[0] == "snn", t, steps);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = Run(argv[0]);
  if (!status.ok()) {
    std::fprintf(stderr, "train_throughput: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
