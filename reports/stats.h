// Summary statistics of accuracies for the reports (reports/report.h): the mean and the sample
// standard deviation over seeds, and the tolerances the report compares accuracies with.
// Accuracies are fractions in [0, 1], as in the run records
// (benchmarks/experiment/run_record.proto).
#ifndef LASNN_REPORTS_STATS_H_
#define LASNN_REPORTS_STATS_H_

#include <vector>

namespace lasnn {
namespace report_internal {

// "1 point" is one percentage point of accuracy (a fraction of 0.01).
inline constexpr double kOnePoint = 0.01;
// Accuracies of n images are multiples of 1/n; a mean over seeds may differ from such a value by
// rounding only, which must not decide whether a threshold is reached: compare with this slack.
inline constexpr double kEps = 1e-9;

// Arithmetic mean; NaN for an empty vector.
double Mean(const std::vector<double>& v);

// Sample standard deviation (divisor n - 1); 0 for fewer than two values.
double StdDev(const std::vector<double>& v);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_STATS_H_
