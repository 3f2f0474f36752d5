#include "benchmarks/regression_runner.h"

#include <vector>

#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/harness/harness.h"
#include "benchmarks/regression.h"
#include "benchmarks/experiment/record_io.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {

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
