// The summary table of a report as CSV (report.csv beside report.md), with each accuracy's 95%
// interval (reports/intervals.h AccuracyIntervalOf): over seeds (mean, Student t) when a row has
// several runs, else over test images (seeded bootstrap of the run's per-image outcomes), else
// unavailable (a record without outcomes). Accuracies in percent, fixed precision, rows in the
// report's order; RFC 4180 quoting.
#ifndef LASNN_REPORTS_SUMMARY_CSV_H_
#define LASNN_REPORTS_SUMMARY_CSV_H_

#include <string>
#include <vector>

#include "benchmarks/experiment/run_record.pb.h"
#include "reports/grouping.h"
#include "reports/intervals.h"

namespace lasnn {
namespace report_internal {

// The header line of the summary CSV.
std::string SummaryCsvHeader();

// One line per trained group (at its T) and per conversion row (comparison table t) of `d`.
std::string SummaryCsvRows(const Dataset& d);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_SUMMARY_CSV_H_
