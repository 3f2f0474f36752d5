// Accuracy regression on real Fashion-MNIST: runs benchmarks/suites/fmnist_regression.textproto
// (fixed seeds, a few minutes on 2 CPU cores) and compares every accuracy with the golden bands in
// benchmarks/golden/fmnist_regression_bands.textproto. On failure it prints a table of what moved.
// After an intended change: `bazel run //benchmarks:update_regression_bands` (prints the diff).
// LASNN_REGRESSION_RUNS=<dir> keeps (and reuses) the records in <dir>.
#include <cstdlib>
#include <iostream>

#include "benchmarks/regression.h"
#include "benchmarks/regression_runner.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/test_tmpdir.h"
#include "util/text_proto.h"

namespace lasnn {
namespace {

TEST(FmnistRegressionTest, AccuraciesStayInTheirGoldenBands) {
  auto parsed = ParseTextProtoFile<AccuracyBands>(kRegressionBands);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const AccuracyBands& bands = *parsed;
  ASSERT_GT(bands.band_size(), 0);
  const char* env = std::getenv("LASNN_REGRESSION_RUNS");
  const std::string runs = env != nullptr ? env : TestTmpPath("regression_runs");
  auto metrics = RunRegressionSuite(kRegressionSuite, runs);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  const std::vector<BandCheck> rows = CheckBands(*metrics, bands);
  const std::string table = FormatBandTable(rows);
  std::cout << table;
  int failures = 0;
  for (const BandCheck& r : rows) failures += r.ok ? 0 : 1;
  EXPECT_EQ(failures, 0) << failures << " metric(s) moved out of their golden bands ("
                         << kRegressionBands << "):\n"
                         << table
                         << "If the change is intended: bazel run "
                            "//benchmarks:update_regression_bands";
}

}  // namespace
}  // namespace lasnn
