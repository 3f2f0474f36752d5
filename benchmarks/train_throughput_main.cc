// bazel run //benchmarks:train_throughput -- [--model=<ModelSpec textproto>] [--threads=2]
//     [--json=<file>] [--iters=N] [--warmup=N] [--batch=64]
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

absl::Status Run(const char* argv0) {
  lasnn::ThroughputOptions options;
  options.model_path = absl::GetFlag(FLAGS_model);
  if (options.model_path.empty()) options.model_path = DefaultModelPath(argv0);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.json_path = absl::GetFlag(FLAGS_json);
  options.iters = absl::GetFlag(FLAGS_iters);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.batch = absl::GetFlag(FLAGS_batch);
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
