// Runs the accuracy-regression suite into a directory and returns its metrics (shared by the
// regression test and the band updater).
#ifndef LASNN_BENCHMARKS_REGRESSION_RUNNER_H_
#define LASNN_BENCHMARKS_REGRESSION_RUNNER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace lasnn {

inline constexpr char kRegressionSuite[] = "benchmarks/suites/fmnist_regression.textproto";
inline constexpr char kRegressionBands[] = "benchmarks/golden/fmnist_regression_bands.textproto";

// Sweeps `suite_file` into runs_dir (resuming finished records) and returns
// RegressionMetrics of its records.
absl::StatusOr<std::map<std::string, double>> RunRegressionSuite(const std::string& suite_file,
                                                                 const std::string& runs_dir);

// This machine as far as the regression's numbers depend on it: the CPU model of
// `cpuinfo_path` and the widest x86 vector ISA it lists (avx512f, avx2, or neither), e.g.
// "AMD EPYC; avx2". LibTorch and OpenBLAS choose their kernels by that ISA.
std::string HardwareDescription(const std::string& cpuinfo_path = "/proc/cpuinfo");

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_REGRESSION_RUNNER_H_
