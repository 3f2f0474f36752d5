// Comparison reports from run records only (benchmarks/run_record.proto): Markdown and a
// self-contained HTML page (inline CSS and SVG charts, no scripts, no network). No LibTorch.
//
// Per dataset: the teacher; the comparison table in the style of the LaSNN paper (method,
// architecture, T, accuracy, gap to the ANN; mean +- std over seeds); accuracy against timesteps
// (log2 t) for every method; the timesteps each method needs to reach the accuracy LaSNN reaches
// at its T, and the speed-up ratio; latency, throughput, synaptic operations and energy; the
// depth table; firing rates; run times and peak memory. Then provenance and the command that
// reproduces the report. Records that are not OK are listed as failed and never enter a table or
// chart as numbers.
#ifndef LASNN_REPORTS_REPORT_H_
#define LASNN_REPORTS_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "benchmarks/run_record.pb.h"

namespace lasnn {

struct ReportOptions {
  std::string title = "LaSNN-Bench report";
  std::string reproduce_command;
  std::string note;  // optional paragraph under the title
};

// "LaSNN (joint)", "MaxNorm conversion", ...
std::string MethodDisplayName(Method method);

std::string MarkdownReport(const std::vector<RunRecord>& records, const ReportOptions& options);
std::string HtmlReport(const std::vector<RunRecord>& records, const ReportOptions& options);

// Reads the records in runs_dir and writes <out_dir>/report.md and report.html atomically.
// NotFound when runs_dir has no records; DataLoss naming a corrupt record.
absl::Status WriteReports(const std::string& runs_dir, const std::string& out_dir,
                          const ReportOptions& options);

}  // namespace lasnn

#endif  // LASNN_REPORTS_REPORT_H_
