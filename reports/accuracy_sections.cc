#include "reports/accuracy_sections.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "reports/chart.h"
#include "reports/doc.h"
#include "reports/format.h"
#include "reports/grouping.h"
#include "reports/records.h"
#include "reports/stats.h"

namespace lasnn {
namespace report_internal {

void TeacherSection(const Dataset& d, Doc& doc) {
  if (d.teacher == nullptr) {
    doc.Paragraph("No ANN teacher in these records.");
    return;
  }
  auto line = [](const TeacherResult& t) {
    std::string s = absl::StrCat(t.model_name(), ", test accuracy ", Pct(t.test_accuracy()),
                                 "% on the whole test set, ", Grouped(t.parameters()),
                                 " parameters, weights SHA-256 ",
                                 t.weights_sha256().empty() ? "unknown"
                                                            : t.weights_sha256().substr(0, 12),
                                 t.weights_sha256().size() > 12 ? "…" : "");
    if (!t.cache_key().empty()) absl::StrAppend(&s, ", cache key ", t.cache_key());
    if (t.train_seconds() > 0) absl::StrAppend(&s, ", trained in ", Fixed(t.train_seconds(), 1), " s");
    return s + ".";
  };
  doc.Paragraph(absl::StrCat("ANN teacher ", line(*d.teacher)));
  for (const TeacherResult* t : d.other_teachers) {
    doc.Paragraph(absl::StrCat("Also in these records, another teacher: ", line(*t)));
  }
}

void ComparisonSection(const Dataset& d, Doc& doc) {
  doc.Heading(3, "Comparison");
  Table t;
  t.header = {"Method", "Student architecture", "T", "Accuracy (%)", "Gap to ANN (points)",
              "ANN accuracy (%)", "Seeds", "Test images"};
  t.text_columns = 2;
  for (const TrainedGroup& g : d.trained) {
    t.rows.push_back({MethodDisplayName(g.method), g.student, absl::StrCat(g.T), PctStat(g.acc),
                      GapOf(g.ann, g.acc), AnnCell(g.ann), absl::StrCat(g.runs.size()),
                      SamplesOf(g.runs)});
  }
  for (const ConversionGroup& g : d.conversions) {
    const std::string name = MethodDisplayName(g.method);
    for (int T : ConversionRowsT(g)) {
      const std::vector<double> acc = AccuraciesAt(g, T);
      t.rows.push_back({name, g.student, absl::StrCat(T), PctStat(acc), GapOf(g.ann, acc),
                        AnnCell(g.ann), absl::StrCat(g.runs.size()), SamplesOf(g.runs)});
    }
    std::set<int> within;
    for (size_t i = 0; i < g.runs.size(); ++i) within.insert(WithinOnePoint(*g.runs[i], g.ann[i]));
    std::vector<std::string> row = {name, g.student, "", "-", "-", AnnCell(g.ann),
                                    absl::StrCat(g.runs.size()), SamplesOf(g.runs)};
    if (within.size() > 1) {
      std::vector<std::string> parts;
      for (int w : within) parts.push_back(w > 0 ? absl::StrCat(w) : "never");
      row[2] = absl::StrCat(absl::StrJoin(parts, " / "), " (first t within 1 pt, per seed)");
    } else if (*within.begin() > 0) {
      const int w = *within.begin();
      row[2] = absl::StrCat(w, " (first t within 1 pt)");
      if (w <= static_cast<int>(g.curve.size())) {
        const std::vector<double> acc = AccuraciesAt(g, w);
        row[3] = PctStat(acc);
        row[4] = GapOf(g.ann, acc);
      }
    } else {
      row[2] = absl::StrCat("never (t≤", g.curve.size(), ")");
    }
    t.rows.push_back(row);
  }
  doc.AddTable(std::move(t));
  std::vector<std::string> notes = {
      "T: for a trained SNN, the timesteps it was trained and evaluated with (accuracy of its "
      "T-step output); for a conversion, the simulation length t (accuracy after t steps), with "
      "the first t within 1 point of its ANN."};
  notes.push_back(
      "Gap to ANN = ANN accuracy − SNN accuracy in percentage points; the ANN is the teacher "
      "evaluated on the same test images (QCFS: its own QCFS-trained ANN; Direct training has no "
      "teacher and is compared with the dataset's teacher).");
  notes.push_back("Several seeds: mean ± sample standard deviation.");
  for (const std::string& s : EvaluationSentences(d)) notes.push_back(s);
  doc.Paragraph(absl::StrJoin(notes, " "));
}

void ChartSection(const Dataset& d, Doc& doc) {
  std::vector<Series> series;
  for (const ConversionGroup& g : d.conversions) {
    Series s;
    s.label = MethodDisplayName(g.method);
    for (size_t t = 1; t <= g.curve.size(); ++t) s.points.push_back({static_cast<int>(t), g.curve[t - 1]});
    series.push_back(std::move(s));
  }
  for (size_t i = 0; i < d.trained.size();) {
    Series s;
    s.curve = false;
    s.label = absl::StrCat(MethodDisplayName(d.trained[i].method), ", ", d.trained[i].student);
    size_t j = i;
    for (; j < d.trained.size() && d.trained[j].method == d.trained[i].method &&
           d.trained[j].student == d.trained[i].student;
         ++j) {
      s.points.push_back({d.trained[j].T, Mean(d.trained[j].acc)});
    }
    series.push_back(std::move(s));
    i = j;
  }
  if (series.empty()) return;
  doc.Heading(3, "Accuracy vs timesteps");
  const double ann = d.teacher != nullptr ? d.teacher->test_accuracy() : std::nan("");
  const std::string ann_label =
      d.teacher != nullptr ? absl::StrCat("ANN teacher (", Pct(ann), "%)") : "";
  const std::string title = absl::StrCat(DatasetName(d.kind), ": test accuracy vs timesteps");
  const auto [lo, hi] = Extent(series, ann, /*markers_only=*/false);
  doc.Chart(AccuracyChart(title, series, ann, ann_label, lo, hi),
            "The charts (accuracy against log2 t) are in report.html; the table below lists the "
            "conversion curves they plot at powers of two, the trained SNNs are in the comparison "
            "table.");
  // A second chart on the band of the trained SNNs and the ANN when the first compresses it.
  auto [zoom_lo, zoom_hi] = Extent(series, ann, /*markers_only=*/true);
  zoom_lo -= kOnePoint;
  zoom_hi += kOnePoint / 2;
  const bool has_markers = std::any_of(series.begin(), series.end(),
                                       [](const Series& se) { return !se.curve; });
  if (has_markers && zoom_lo < zoom_hi && zoom_hi - zoom_lo < 0.5 * (hi - lo)) {
    doc.Chart(AccuracyChart(absl::StrCat(title, " (top band)"), series, ann, ann_label,
                            std::max(zoom_lo, 0.0), std::min(zoom_hi, 1.0)),
              "");
  }
  doc.Paragraph(
      "Lines: conversion curves, the accuracy after t steps of one simulation for every t (mean "
      "over seeds). Markers: trained SNNs, each trained and evaluated at its own T (mean over "
      "seeds). Dashed: the ANN teacher on the whole test set. The second chart, when present, "
      "shows the band of the trained SNNs and the ANN at a finer scale.");
  if (d.conversions.empty()) return;
  Table t;
  size_t longest = 0;
  for (const ConversionGroup& g : d.conversions) longest = std::max(longest, g.curve.size());
  t.header = {"Accuracy (%) at t =", "Student architecture"};
  t.text_columns = 2;
  std::vector<int> ts;
  for (size_t p = 1; p <= longest; p *= 2) {
    ts.push_back(static_cast<int>(p));
    t.header.push_back(absl::StrCat(p));
  }
  for (const ConversionGroup& g : d.conversions) {
    std::vector<std::string> row = {MethodDisplayName(g.method), g.student};
    for (int p : ts) row.push_back(p <= static_cast<int>(g.curve.size()) ? Pct(g.curve[p - 1]) : "-");
    t.rows.push_back(std::move(row));
  }
  doc.AddTable(std::move(t));
}

void MatchSection(const Dataset& d, Doc& doc) {
  // The reference: the LaSNN group with the smallest T whose mean accuracy is within 1 point of
  // its ANN (ties: the more accurate), else the most accurate LaSNN group (ties: the smaller T).
  const TrainedGroup* ref = nullptr;
  bool ref_within = false;
  for (const TrainedGroup& g : d.trained) {
    if (!IsLasnn(g.method)) continue;
    const double acc = Mean(g.acc), ann = Mean(g.ann);
    const bool within = !std::isnan(ann) && acc >= ann - kOnePoint - kEps;
    bool better = ref == nullptr;
    if (!better && within != ref_within) better = within;
    if (!better && within == ref_within) {
      const double ref_acc = Mean(ref->acc);
      better = within ? (g.T < ref->T || (g.T == ref->T && acc > ref_acc + kEps))
                      : (acc > ref_acc + kEps || (std::fabs(acc - ref_acc) <= kEps && g.T < ref->T));
    }
    if (better) {
      ref = &g;
      ref_within = within;
    }
  }
  doc.Heading(3, "Timesteps to match LaSNN");
  if (ref == nullptr) {
    doc.Paragraph("No LaSNN result for this dataset: nothing to compare with.");
    return;
  }
  const double A = Mean(ref->acc);
  const int T = ref->T;
  doc.Paragraph(absl::StrCat(
      "Reference: ", MethodDisplayName(ref->method), " on ", ref->student, " at T = ", T,
      " reaches ", Pct(A), "%",
      ref->runs.size() > 1 ? absl::StrCat(" (mean of ", ref->runs.size(), " seeds)") : "",
      ref_within ? ", the smallest T within 1 point of its ANN"
                 : ", its best accuracy (no LaSNN result comes within 1 point of its ANN)",
      ". For every other method: the fewest timesteps at which it reaches that accuracy "
      "(conversions: the first t of the mean curve; trained SNNs: the smallest T trained), and "
      "that number over LaSNN's T."));
  Table t;
  t.header = {"Method", "Student architecture", "Reaches the reference at", "Timesteps vs LaSNN",
              "Test images"};
  t.text_columns = 2;
  std::vector<std::string> sentences;
  auto sentence = [&](const std::string& name, double ratio, const std::string& detail) {
    if (ratio > 1 + 1e-9) {
      return absl::StrCat("LaSNN needs ", Ratio(ratio), " fewer timesteps than ", name, " (",
                          detail, ").");
    }
    if (ratio < 1 - 1e-9) {
      return absl::StrCat(name, " needs ", Ratio(1 / ratio), " fewer timesteps than LaSNN (",
                          detail, ").");
    }
    return absl::StrCat("LaSNN and ", name, " need the same number of timesteps (", detail, ").");
  };
  for (const ConversionGroup& g : d.conversions) {
    const std::string name = MethodDisplayName(g.method);
    int need = -1;
    for (size_t i = 0; i < g.curve.size(); ++i) {
      if (g.curve[i] >= A - kEps) {
        need = static_cast<int>(i) + 1;
        break;
      }
    }
    if (need > 0) {
      const double ratio = static_cast<double>(need) / T;
      t.rows.push_back({name, g.student, absl::StrCat("t = ", need), Ratio(ratio),
                        SamplesOf(g.runs)});
      sentences.push_back(sentence(name, ratio, absl::StrCat("T = ", T, " vs t = ", need)));
    } else {
      const int n = static_cast<int>(g.curve.size());
      t.rows.push_back({name, g.student, absl::StrCat("not reached within t≤", n),
                        n > T ? absl::StrCat("> ", Ratio(static_cast<double>(n) / T)) : "-",
                        SamplesOf(g.runs)});
      sentences.push_back(absl::StrCat(name, ": not reached within t≤", n, "."));
    }
  }
  for (size_t i = 0; i < d.trained.size();) {
    size_t j = i;
    int need = -1, t_max = 0;
    for (; j < d.trained.size() && d.trained[j].method == d.trained[i].method &&
           d.trained[j].student == d.trained[i].student;
         ++j) {
      t_max = std::max(t_max, d.trained[j].T);
      if (need < 0 && Mean(d.trained[j].acc) >= A - kEps) need = d.trained[j].T;
    }
    const TrainedGroup& g = d.trained[i];
    i = j;
    if (g.method == ref->method && g.student == ref->student) continue;
    const std::string name = GroupName(g.method, g.student, true);
    std::vector<const RunRecord*> runs;
    for (size_t k = &g - d.trained.data(); k < j; ++k) {
      runs.insert(runs.end(), d.trained[k].runs.begin(), d.trained[k].runs.end());
    }
    if (need > 0) {
      const double ratio = static_cast<double>(need) / T;
      t.rows.push_back({MethodDisplayName(g.method), g.student, absl::StrCat("T = ", need),
                        Ratio(ratio), SamplesOf(runs)});
      sentences.push_back(sentence(name, ratio, absl::StrCat("T = ", T, " vs T = ", need)));
    } else {
      t.rows.push_back({MethodDisplayName(g.method), g.student,
                        absl::StrCat("not reached within T≤", t_max), "-", SamplesOf(runs)});
      sentences.push_back(absl::StrCat(name, ": not reached within T≤", t_max, "."));
    }
  }
  doc.AddTable(std::move(t));
  doc.List(std::move(sentences));
  std::set<int> samples;
  for (const RunRecord* r : d.records) samples.insert(r->eval_samples());
  if (samples.size() > 1) {
    doc.Paragraph(absl::StrCat(
        "The reference accuracy is measured on ", SamplesOf(ref->runs),
        " test images; methods evaluated on other test images (column Test images) are compared "
        "with it across these sets."));
  }
}

void DepthSection(const Dataset& d, Doc& doc) {
  if (d.trained.empty()) return;
  doc.Heading(3, "Depth");
  std::set<int> ts;
  for (const TrainedGroup& g : d.trained) ts.insert(g.T);
  // (params, student, method) -> T -> group
  std::map<std::tuple<int64_t, std::string, int>, std::map<int, const TrainedGroup*>> rows;
  for (const TrainedGroup& g : d.trained) rows[{g.params, g.student, g.method}][g.T] = &g;
  Table t;
  t.header = {"Student architecture", "Method", "Parameters"};
  t.text_columns = 2;
  for (int T : ts) t.header.push_back(absl::StrCat("T = ", T));
  for (const auto& [key, by_t] : rows) {
    const auto& [params, student, method] = key;
    std::vector<std::string> row = {student, MethodDisplayName(static_cast<Method>(method)),
                                    Grouped(params)};
    for (int T : ts) {
      auto it = by_t.find(T);
      row.push_back(it == by_t.end() ? "-" : PctStat(it->second->acc, /*with_n=*/true));
    }
    t.rows.push_back(std::move(row));
  }
  doc.AddTable(std::move(t));
  doc.Paragraph("Accuracy (%) of the trained SNNs by student architecture and T; n = seeds.");
}

}  // namespace report_internal
}  // namespace lasnn
