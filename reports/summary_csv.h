// The summary table of a report as CSV (report.csv beside report.md), with each accuracy's 95%
// interval: over seeds (mean, Student t) when a row has several runs, else over test images
// (seeded paired bootstrap of the run's per-image outcomes, reports/paired_stats.h), else
// unavailable (a record without outcomes). Accuracies in percent, fixed precision, rows in the
// report's order; RFC 4180 quoting.
#ifndef LASNN_REPORTS_SUMMARY_CSV_H_
#define LASNN_REPORTS_SUMMARY_CSV_H_

#include <string>
#include <vector>

#include "benchmarks/experiment/run_record.pb.h"
#include "reports/grouping.h"
#include "reports/paired_stats.h"

namespace lasnn {
namespace report_internal {

struct AccuracyInterval {
  bool available = false;
  Interval interval;  // fractions
  std::string basis;  // "seeds", "images", or why it is unavailable
};

// The 95% interval of the accuracy at t (1-based) of `runs` (one accuracy per run in `acc`).
AccuracyInterval AccuracyIntervalOf(const std::vector<const RunRecord*>& runs,
                                    const std::vector<double>& acc, int t);

// The header line of the summary CSV.
std::string SummaryCsvHeader();

// One line per trained group (at its T) and per conversion row (comparison table t) of `d`.
std::string SummaryCsvRows(const Dataset& d);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_SUMMARY_CSV_H_
