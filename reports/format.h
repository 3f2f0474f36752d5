// Fixed-precision text for the numbers and record strings of the reports (reports/report.h), so
// that a report depends only on its records and can be compared with golden files. Accuracies
// are fractions in [0, 1] (benchmarks/experiment/run_record.proto); they print as percentages.
#ifndef LASNN_REPORTS_FORMAT_H_
#define LASNN_REPORTS_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace lasnn {
namespace report_internal {

// An accuracy as a percentage with two decimals: 0.928 -> "92.80".
std::string Pct(double fraction);

// A difference of accuracies in percentage points, two decimals: 0.006 -> "0.60".
std::string Points(double fraction_diff);

// `v` with `precision` decimals: Fixed(0.9166, 2) -> "0.92".
std::string Fixed(double v, int precision);

// Thousands separated by commas: 870826 -> "870,826", -1234 -> "-1,234".
std::string Grouped(int64_t v);

// Operation counts: below 1000 as an integer ("755"), then "755.1 k", "1.24 M", "2.31 G".
std::string Count(double v);

// A ratio: "32x" when within 1e-9 of an integer, else one decimal ("31.8x").
std::string Ratio(double r);

// A bound of a ratio's interval: "∞" for +infinity, two decimals below 1 ("0.25x"), else as
// Ratio.
std::string RatioBound(double r);

// A 95% interval of fractions as percentages, "91.28–94.32".
std::string PctRange(double lo, double hi);

// A 95% interval of a difference of fractions in points, "[-1.20, 0.40]".
std::string PointsRange(double lo, double hi);

// Accuracies of the seeds of one result: "-" for none, "92.80" for one, "92.80 ± 0.17" (mean ±
// sample standard deviation, stats.h) for several; with_n appends " (n=2)" to the last form.
std::string PctStat(const std::vector<double>& v, bool with_n = false);

// `s` with & < > " ' replaced by their character references, for HTML text and attributes and
// for SVG text.
std::string HtmlEscape(const std::string& s);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_FORMAT_H_
