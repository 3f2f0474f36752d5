// Accuracy regression on real Fashion-MNIST: runs benchmarks/suites/fmnist_regression.textproto
// (fixed seeds, a few minutes on 2 CPU cores) and compares every accuracy with the golden bands in
// benchmarks/golden/fmnist_regression_bands.textproto. On failure it prints a table of what moved.
// It always prints why the bands stay fixed, with the test images' noise of each metric beside
// its band (regression.h BandsVersusNoise). On other hardware than the bands' the bands widen to
// the test images' noise (regression.h WidenForOtherHardware).
// After an intended change: `bazel run //benchmarks:update_regression_bands` (prints the diff).
// LASNN_REGRESSION_RUNS=<dir> keeps (and reuses) the records in <dir>.
#include <cstdlib>
#include <iostream>

#include "benchmarks/experiment/record_io.h"
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
  auto records = ReadRecords(runs);
  ASSERT_TRUE(records.ok()) << records.status();
  // Bands measured on other hardware: floating-point differences in the kernels change training
  // as another seed would, so only a move beyond the test images' noise fails.
  const std::string here = HardwareDescription();
  const bool same_hardware = !bands.hardware().empty() && bands.hardware() == here;
  const AccuracyBands checked =
      same_hardware ? bands : WidenForOtherHardware(bands, RegressionImageCounts(*records));
  std::cout << "bands measured on: "
            << (bands.hardware().empty() ? "unknown hardware" : bands.hardware())
            << "; this machine: " << here << "\n"
            << (same_hardware
                    ? "same hardware: the fixed bands apply (fixed seeds give identical runs)\n"
                    : "other hardware: each band widened to the 95% noise of two independent "
                      "runs on its test images (1.96 sqrt(2 p (1 - p) / n)); regenerate the "
                      "bands on this hardware for the tight check\n");
  const std::vector<BandCheck> rows = CheckBands(*metrics, checked);
  const std::string table = FormatBandTable(rows);
  std::cout << table;
  std::cout << "\n" << BandsVersusNoise(*records, checked);
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
