// Comparison reports made from run records only (benchmarks/experiment/run_record.proto): Markdown and a
// self-contained HTML5 page (inline CSS and inline SVG charts; no scripts, no external resources).
// No LibTorch dependency.
//
// Contents: run status, with every record that is not OK in a "Failed / excluded runs" table (such
// a record never enters another table or a chart as a number); then per dataset
// (config.data.kind): the ANN teacher; the comparison table in the style of the LaSNN paper
// (method, student architecture, T, accuracy with its 95% interval, gap to the ANN); paired
// differences against the LaSNN reference and the ANN on the images both evaluated, with 95%
// intervals (reports/intervals.h); accuracy against timesteps (log2 t) for every method; the
// timesteps each method needs to reach the accuracy of the LaSNN reference (reports/reference.h,
// never chosen by test accuracy), the ratio to LaSNN's T and its 95% interval, "N x fewer" only
// when that interval excludes 1; latency, throughput,
// synaptic operations and energy against the ANN; accuracy by student depth; firing rates per
// layer; run times and peak memory. Last, provenance (builds, machines, dates, evaluation
// subsets) and the command that reproduces the report.
//
// Output depends only on the set of records (not their order) and the options: no current time,
// fixed numeric precision, so it can be compared with golden files.
#ifndef LASNN_REPORTS_REPORT_H_
#define LASNN_REPORTS_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {

struct ReportOptions {
  std::string title = "LaSNN-Bench report";
  // Shown after "Reproduce with:"; when empty, the records' own command if they all share one.
  std::string reproduce_command;
  std::string note;  // optional paragraph under the title
};

// "LaSNN (joint)", "MaxNorm conversion", ...; "unknown method" for METHOD_UNSPECIFIED.
std::string MethodDisplayName(Method method);

std::string MarkdownReport(const std::vector<RunRecord>& records, const ReportOptions& options);
std::string HtmlReport(const std::vector<RunRecord>& records, const ReportOptions& options);

// The comparison table of every dataset as CSV, one row per trained group and conversion row, with
// each accuracy's 95% interval and its basis (seeds, images, or unavailable for records without
// per-image outcomes); reports/summary_csv.h.
std::string SummaryCsv(const std::vector<RunRecord>& records);

// Reads the records in `runs_dir` (benchmarks/experiment/record_io.h) and writes
// <out_dir>/report.md, <out_dir>/report.csv (SummaryCsv) and <out_dir>/report.html atomically,
// creating out_dir. NotFound when runs_dir is missing or holds no records; DataLoss naming a
// corrupt record; errors writing name the path.
absl::Status WriteReports(const std::string& runs_dir, const std::string& out_dir,
                          const ReportOptions& options);

}  // namespace lasnn

#endif  // LASNN_REPORTS_REPORT_H_
