// The accuracy-regression check: run a small suite with fixed seeds (benchmarks/suites/
// fmnist_regression.textproto), turn its records into named accuracy metrics, and compare them
// with golden bands checked into the repository (benchmarks/regression.proto). Used by
// //benchmarks:fmnist_regression_test and //benchmarks:update_regression_bands.
#ifndef LASNN_BENCHMARKS_REGRESSION_H_
#define LASNN_BENCHMARKS_REGRESSION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/regression.pb.h"
#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {

// Metrics of the records (fractions):
//   "<method>/<student>/T<T>/seed<s>"    trained SNN: test accuracy at its T
//   "<method>/seed<s>@t<t>"              conversion: accuracy at t_max and at each cost T
//   "ann/<model>"                        the ANN a conversion compares with (QCFS: its own ANN)
//   "teacher/<model>"                    teacher test accuracy
//   "gap/<a>-<b>/<student>/T<T>/seed<s>" accuracy of method a minus method b (lasnn_joint minus
//                                        direct and minus logit_kd): what distillation adds
// A record that is not OK is an error naming it.
absl::StatusOr<std::map<std::string, double>> RegressionMetrics(
    const std::vector<RunRecord>& records);

// Bands golden +- tolerance for accuracies; gaps get only a lower bound (golden - tolerance).
AccuracyBands MakeBands(const std::map<std::string, double>& metrics, double tolerance);

struct BandCheck {
  std::string metric;
  double value = 0;           // NaN when the metric is missing
  double golden = 0, low = 0, high = 0;
  bool ok = false;
  std::string note;           // "missing", "below band", "above band", "not in the bands file"
};

// One row per band and per metric without a band (the latter fail too, so that a changed
// suite forces regenerating the bands).
std::vector<BandCheck> CheckBands(const std::map<std::string, double>& metrics,
                                  const AccuracyBands& bands);

// A fixed-width table: metric, value, golden, band, delta, verdict; failing rows first.
std::string FormatBandTable(const std::vector<BandCheck>& rows);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_REGRESSION_H_
