#include "benchmarks/regression_runner.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/harness/harness.h"
#include "benchmarks/harness/provenance.h"
#include "benchmarks/regression.h"
#include "benchmarks/experiment/record_io.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {

std::string HardwareDescription(const std::string& cpuinfo_path) {
  std::string isa = "no avx2";
  const absl::StatusOr<std::string> text = ReadFileToString(cpuinfo_path);
  if (text.ok()) {
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      if (!absl::StartsWith(line, "flags")) continue;
      const std::vector<absl::string_view> flags = absl::StrSplit(line, ' ');
      auto has = [&](absl::string_view f) {
        return std::find(flags.begin(), flags.end(), f) != flags.end();
      };
      isa = has("avx512f") ? "avx512f" : has("avx2") ? "avx2" : "no avx2";
      break;
    }
  }
  return absl::StrCat(CpuModel(cpuinfo_path), "; ", isa);
}

absl::StatusOr<std::map<std::string, double>> RunRegressionSuite(const std::string& suite_file,
                                                                 const std::string& runs_dir) {
  LASNN_ASSIGN_OR_RETURN(SuiteConfig suite, LoadSuiteFile(suite_file));
  LASNN_ASSIGN_OR_RETURN(std::vector<ExperimentConfig> experiments, ExpandSuite(suite));
  HarnessOptions options;
  options.runs_dir = runs_dir;
  options.suite = suite.name();
  options.command = "bazel test //benchmarks:fmnist_regression_test";
  Harness harness(options);
  LASNN_ASSIGN_OR_RETURN(SweepSummary summary, harness.Sweep(experiments));
  (void)summary;
  std::vector<RunRecord> records;
  for (const ExperimentConfig& c : experiments) {
    LASNN_ASSIGN_OR_RETURN(RunRecord r, ReadRecord(JoinPath(runs_dir, ConfigHash(c) + ".pb")));
    records.push_back(std::move(r));
  }
  return RegressionMetrics(records);
}

}  // namespace lasnn
