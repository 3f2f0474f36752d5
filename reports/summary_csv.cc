#include "reports/summary_csv.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "reports/format.h"
#include "reports/intervals.h"
#include "reports/records.h"
#include "reports/stats.h"

namespace lasnn {
namespace report_internal {
namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::vector<std::string> quoted;
  for (const std::string& f : fields) quoted.push_back(CsvField(f));
  return absl::StrCat(absl::StrJoin(quoted, ","), "\n");
}

std::string PctOrEmpty(double v) { return std::isnan(v) ? "" : Pct(v); }

std::vector<std::string> Row(const std::string& dataset, Method method, const std::string& student,
                             int t, const std::vector<const RunRecord*>& runs,
                             const std::vector<double>& acc, const std::vector<double>& ann) {
  const AccuracyInterval ci = AccuracyIntervalOf(runs, acc, t);
  bool ann_known = !ann.empty();
  for (double a : ann) ann_known = ann_known && !std::isnan(a);
  return {dataset,
          MethodDisplayName(method),
          student,
          absl::StrCat(t),
          PctOrEmpty(Mean(acc)),
          ci.available ? Pct(ci.interval.lo) : "",
          ci.available ? Pct(ci.interval.hi) : "",
          ci.basis,
          ann_known ? Pct(Mean(ann)) : "",
          GapOf(ann, acc) == "-" ? "" : GapOf(ann, acc),
          absl::StrCat(runs.size()),
          SamplesOf(runs)};
}

}  // namespace

std::string SummaryCsvHeader() {
  return CsvLine({"dataset", "method", "student", "T", "accuracy_pct", "ci95_low_pct",
                  "ci95_high_pct", "ci95_basis", "ann_accuracy_pct", "gap_points", "seeds",
                  "test_images"});
}

std::string SummaryCsvRows(const Dataset& d) {
  const std::string dataset = DatasetName(d.kind);
  std::string csv;
  for (const TrainedGroup& g : d.trained) {
    absl::StrAppend(&csv, CsvLine(Row(dataset, g.method, g.student, g.T, g.runs, g.acc, g.ann)));
  }
  for (const ConversionGroup& g : d.conversions) {
    for (int t : ConversionRowsT(g)) {
      absl::StrAppend(
          &csv, CsvLine(Row(dataset, g.method, g.student, t, g.runs, AccuraciesAt(g, t), g.ann)));
    }
  }
  return csv;
}

}  // namespace report_internal
}  // namespace lasnn
