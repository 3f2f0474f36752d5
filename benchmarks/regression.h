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

// The number of test images behind each accuracy metric of RegressionMetrics(records): the
// record's evaluated images (its per-image outcomes, else eval_subset, else the 10,000 images of
// the Fashion-MNIST test set), the teacher's whole test set; gaps are not counted.
std::map<std::string, int64_t> RegressionImageCounts(const std::vector<RunRecord>& records);

// `bands` for a machine other than the one they were measured on: each accuracy band widened
// to at least golden +- 1.96 * sqrt(2 p (1 - p) / n) (p the golden accuracy, n its images in
// `images`): the 95% half-width of the difference between two independent accuracies on n
// images, what another seed's run may differ by. A gap's lower bound widens by
// 1.96 * sqrt(2 (pa (1 - pa) + pb (1 - pb)) / n) from its two accuracies' goldens. Bands of
// metrics without an image count are kept.
AccuracyBands WidenForOtherHardware(const AccuracyBands& bands,
                                    const std::map<std::string, int64_t>& images);

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

// Why the check keeps fixed bands rather than asking whether a metric "moved beyond noise"
// (reports/compare.h), and the test images' noise beside each band: for every accuracy metric
// (RegressionMetrics names) of a record with per-image outcomes, the half-width of its bootstrap
// 95% interval over the evaluated images (reports/paired_stats.h BootstrapAccuracy), next to the
// band's half-width (gaps: golden - low); "-" without outcomes. Fixed-width text.
std::string BandsVersusNoise(const std::vector<RunRecord>& records, const AccuracyBands& bands);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_REGRESSION_H_
