#include "reports/report.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/record_io.h"
#include "reports/accuracy_sections.h"
#include "reports/doc.h"
#include "reports/grouping.h"
#include "reports/records.h"
#include "reports/run_sections.h"
#include "reports/summary_csv.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

using report_internal::ChartSection;
using report_internal::ComparisonSection;
using report_internal::CostSection;
using report_internal::Dataset;
using report_internal::DatasetName;
using report_internal::DepthSection;
using report_internal::DifferencesSection;
using report_internal::Doc;
using report_internal::ExclusionReason;
using report_internal::FiringSection;
using report_internal::MakeDataset;
using report_internal::MatchSection;
using report_internal::ProvenanceSection;
using report_internal::RenderHtml;
using report_internal::RenderMarkdown;
using report_internal::StatusName;
using report_internal::StudentOf;
using report_internal::Table;
using report_internal::TeacherSection;
using report_internal::TimeSection;
using report_internal::TrainT;

// The tabulated records (records.h: ExclusionReason empty) grouped per dataset, by
// config.data.kind.
std::vector<Dataset> Datasets(const std::vector<RunRecord>& records) {
  std::map<int, std::vector<const RunRecord*>> by_dataset;
  for (const RunRecord& r : records) {
    if (ExclusionReason(r).empty()) by_dataset[r.config().data().kind()].push_back(&r);
  }
  std::vector<Dataset> datasets;
  for (auto& [kind, rs] : by_dataset) datasets.push_back(MakeDataset(kind, rs));
  return datasets;
}

// Records -> blocks: the title and note, run status with the failed / excluded runs, the sections
// of each dataset (by config.data.kind), provenance.
Doc BuildReport(const std::vector<RunRecord>& records, const ReportOptions& options) {
  Doc doc;
  doc.Heading(1, options.title);
  if (!options.note.empty()) doc.Paragraph(options.note);

  std::vector<std::pair<const RunRecord*, std::string>> excluded;
  std::map<std::string, int> by_status;
  for (const RunRecord& r : records) {
    const std::string reason = ExclusionReason(r);
    if (reason.empty()) {
      ++by_status["OK"];
    } else {
      excluded.push_back({&r, reason});
      ++by_status[r.status() == RunRecord::OK ? "OK but excluded" : StatusName(r)];
    }
  }
  std::sort(excluded.begin(), excluded.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.first->config().name(), a.first->config_hash()) <
           std::make_tuple(b.first->config().name(), b.first->config_hash());
  });
  const std::vector<Dataset> datasets = Datasets(records);

  doc.Heading(2, "Run status");
  std::vector<std::string> counts;
  for (const auto& [status, n] : by_status) counts.push_back(absl::StrCat(n, " ", status));
  doc.Paragraph(absl::StrCat(
      records.size(), " run records: ", absl::StrJoin(counts, ", "),
      ". Every number in this report comes from a run record; records that are not OK are listed "
      "below and enter no other table or chart."));
  if (!excluded.empty()) {
    doc.Heading(3, "Failed / excluded runs");
    Table t;
    t.header = {"Experiment", "Dataset", "Method", "Student architecture", "T", "Status",
                "Message", "Record"};
    t.text_columns = 8;
    for (const auto& [r, reason] : excluded) {
      const int T = TrainT(*r);
      t.rows.push_back({r->config().name(), DatasetName(r->config().data().kind()),
                        MethodDisplayName(r->config().method()), StudentOf(*r),
                        T > 0 ? absl::StrCat(T) : "-",
                        r->status() == RunRecord::OK ? "OK (excluded)" : StatusName(*r), reason,
                        r->config_hash()});
    }
    doc.AddTable(std::move(t));
  }

  for (const Dataset& d : datasets) {
    doc.Heading(2, DatasetName(d.kind));
    TeacherSection(d, doc);
    ComparisonSection(d, doc);
    DifferencesSection(d, doc);
    ChartSection(d, doc);
    MatchSection(d, doc);
    CostSection(d, doc);
    DepthSection(d, doc);
    FiringSection(d, doc);
    TimeSection(d, doc);
  }
  ProvenanceSection(records, datasets, options.reproduce_command, doc);
  return doc;
}

}  // namespace

std::string MarkdownReport(const std::vector<RunRecord>& records, const ReportOptions& options) {
  return RenderMarkdown(BuildReport(records, options));
}

std::string HtmlReport(const std::vector<RunRecord>& records, const ReportOptions& options) {
  return RenderHtml(BuildReport(records, options), options.title);
}

std::string SummaryCsv(const std::vector<RunRecord>& records) {
  std::string csv = report_internal::SummaryCsvHeader();
  for (const Dataset& d : Datasets(records)) {
    absl::StrAppend(&csv, report_internal::SummaryCsvRows(d));
  }
  return csv;
}

absl::Status WriteReports(const std::string& runs_dir, const std::string& out_dir,
                          const ReportOptions& options) {
  LASNN_ASSIGN_OR_RETURN(const std::vector<RunRecord> records, ReadRecords(runs_dir));
  if (records.empty()) {
    return absl::NotFoundError(absl::StrCat("no run records (*.pb) in ", runs_dir));
  }
  LASNN_RETURN_IF_ERROR(MakeDirectories(out_dir));
  LASNN_RETURN_IF_ERROR(
      WriteFileAtomically(JoinPath(out_dir, "report.md"), MarkdownReport(records, options)));
  LASNN_RETURN_IF_ERROR(
      WriteFileAtomically(JoinPath(out_dir, "report.csv"), SummaryCsv(records)));
  return WriteFileAtomically(JoinPath(out_dir, "report.html"), HtmlReport(records, options));
}

}  // namespace lasnn
