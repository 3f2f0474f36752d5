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
#include "reports/intervals.h"
#include "reports/paired_stats.h"
#include "reports/records.h"
#include "reports/reference.h"
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
    if (!t.reference_file().empty()) {
      absl::StrAppend(&s, ", the reference weights shipped as ", t.reference_file(),
                      " (not trained in this run; `--from_scratch` trains it from its config)");
    }
    if (!t.cache_key().empty()) absl::StrAppend(&s, ", cache key ", t.cache_key());
    if (t.train_seconds() > 0) absl::StrAppend(&s, ", trained in ", Fixed(t.train_seconds(), 1), " s");
    return s + ".";
  };
  doc.Paragraph(absl::StrCat("ANN teacher ", line(*d.teacher)));
  for (const TeacherResult* t : d.other_teachers) {
    doc.Paragraph(absl::StrCat("Also in these records, another teacher: ", line(*t)));
  }
  // The QCFS ANNs (one per weights file), in record order.
  std::set<std::string> seen;
  for (const RunRecord* r : d.records) {
    if (!r->has_qcfs_ann() || !seen.insert(r->qcfs_ann().weights_sha256()).second) continue;
    doc.Paragraph(absl::StrCat("QCFS ANN ", line(r->qcfs_ann())));
  }
}

namespace {

// The 95% interval cell of an accuracy: "91.28–94.32 (seeds)", "92.31–93.27 (images)", or why
// there is none.
std::string IntervalCell(const std::vector<const RunRecord*>& runs, const std::vector<double>& acc,
                         int t) {
  const AccuracyInterval ci = AccuracyIntervalOf(runs, acc, t);
  if (!ci.available) return ci.basis == "unavailable (no per-image outcomes)"
                                ? "no per-image outcomes"
                                : ci.basis;
  return absl::StrCat(PctRange(ci.interval.lo, ci.interval.hi), " (", ci.basis, ")");
}

// A difference cell: "-0.40 [-1.20, 0.40]", with its basis when it is not one run's images,
// "reference" for the reference itself, or why there is none.
std::string DifferenceCell(const Difference& d) {
  if (!d.available) return d.basis;
  std::string s = absl::StrCat(Points(d.estimate), " ", PointsRange(d.interval.lo, d.interval.hi));
  if (d.basis != "images") absl::StrAppend(&s, " (", d.basis, ")");
  return s;
}

std::string ImagesCell(const Difference& vs_ref, const Difference& vs_ann) {
  std::set<int32_t> n;
  for (const Difference* d : {&vs_ref, &vs_ann}) {
    if (d->available) n.insert(d->images);
  }
  if (n.empty()) return "-";
  return absl::StrJoin(n, " / ");
}

}  // namespace

void ComparisonSection(const Dataset& d, Doc& doc) {
  doc.Heading(3, "Comparison");
  Table t;
  t.header = {"Method", "Student architecture", "T", "Accuracy (%)", "95% interval (%)",
              "Gap to ANN (points)", "ANN accuracy (%)", "Seeds", "Test images"};
  t.text_columns = 2;
  for (const TrainedGroup& g : d.trained) {
    t.rows.push_back({MethodDisplayName(g.method), g.student, absl::StrCat(g.T), Pct(Mean(g.acc)),
                      IntervalCell(g.runs, g.acc, g.T), GapOf(g.ann, g.acc), AnnCell(g.ann),
                      absl::StrCat(g.runs.size()), SamplesOf(g.runs)});
  }
  for (const ConversionGroup& g : d.conversions) {
    const std::string name = MethodDisplayName(g.method);
    for (int T : ConversionRowsT(g)) {
      const std::vector<double> acc = AccuraciesAt(g, T);
      t.rows.push_back({name, g.student, absl::StrCat(T), Pct(Mean(acc)),
                        IntervalCell(g.runs, acc, T), GapOf(g.ann, acc), AnnCell(g.ann),
                        absl::StrCat(g.runs.size()), SamplesOf(g.runs)});
    }
    std::set<int> within;
    for (size_t i = 0; i < g.runs.size(); ++i) within.insert(WithinOnePoint(*g.runs[i], g.ann[i]));
    std::vector<std::string> row = {name, g.student, "", "-", "-", "-", AnnCell(g.ann),
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
        row[3] = Pct(Mean(acc));
        row[4] = IntervalCell(g.runs, acc, w);
        row[5] = GapOf(g.ann, acc);
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
      "teacher and is compared with the dataset's teacher, on its images where both carry "
      "per-image outcomes, else on the teacher's).");
  notes.push_back(absl::StrCat(
      "Accuracy: the mean over seeds. 95% interval: for one run, the bootstrap over its test "
      "images (images; ",
      Grouped(kBootstrapResamples),
      " resamples, fixed seed); for several seeds, the Student-t interval of their mean, widened "
      "to contain the bootstrap over the test images of their pooled accuracy (seeds and images; "
      "the seeds share their test images, so they alone do not show the test set's noise), or "
      "the Student-t interval alone where a record has no per-image outcomes (seeds); none for "
      "one run without per-image outcomes."));
  for (const std::string& s : EvaluationSentences(d)) notes.push_back(s);
  doc.Paragraph(absl::StrJoin(notes, " "));
}

void DifferencesSection(const Dataset& d, Doc& doc) {
  const Reference ref = ChooseReference(d);
  const bool any_outcomes = std::any_of(d.records.begin(), d.records.end(),
                                        [](const RunRecord* r) { return r->has_outcomes(); });
  if (!any_outcomes) return;
  Table t;
  t.header = {"Method", "Student architecture", "T", "This − LaSNN reference (points)",
              "This − its ANN (points)", "Images compared"};
  t.text_columns = 2;
  std::vector<std::string> left_out;  // results without per-image outcomes
  auto add = [&](Method m, const std::string& student, int T, const RunsAt& runs, bool is_ref) {
    if (!std::all_of(runs.runs.begin(), runs.runs.end(),
                     [](const RunRecord* r) { return r->has_outcomes(); })) {
      const std::string name = GroupName(m, student, true);
      if (left_out.empty() || left_out.back() != name) left_out.push_back(name);
      return;
    }
    const Difference vs_ann = DifferenceVsAnn(runs, d.teacher);
    Difference vs_ref;
    std::string ref_cell = "-";
    if (is_ref) {
      ref_cell = "reference";
    } else if (ref.group != nullptr) {
      vs_ref = DifferenceOf(runs, RunsAt{ref.group->runs, ref.group->T});
      ref_cell = DifferenceCell(vs_ref);
    }
    t.rows.push_back({MethodDisplayName(m), student, absl::StrCat(T), ref_cell,
                      DifferenceCell(vs_ann), ImagesCell(vs_ref, vs_ann)});
  };
  for (const TrainedGroup& g : d.trained) {
    add(g.method, g.student, g.T, RunsAt{g.runs, g.T}, &g == ref.group);
  }
  for (const ConversionGroup& g : d.conversions) {
    for (int T : ConversionRowsT(g)) add(g.method, g.student, T, RunsAt{g.runs, T}, false);
  }
  if (t.rows.empty()) return;  // no result with outcomes for every run
  doc.Heading(3, "Paired differences");
  doc.AddTable(std::move(t));
  std::string reference =
      ref.group == nullptr
          ? "There is no LaSNN reference in these records."
          : absl::StrCat("The LaSNN reference is ", MethodDisplayName(ref.group->method), " on ",
                         ref.group->student, " at T = ", ref.group->T,
                         " (see Timesteps to match LaSNN).");
  doc.Paragraph(absl::StrCat(
      "Differences in accuracy between two results, computed only on the test images both "
      "evaluated (column Images compared), in percentage points (negative: less accurate than "
      "the other), with their 95% interval: the paired bootstrap over those images (",
      Grouped(kBootstrapResamples),
      " resamples, fixed seed; several seeds on one side are pooled per image); with at least two "
      "seeds in common, the Student-t interval of the per-seed differences, widened to contain "
      "that bootstrap. An interval that excludes 0 resolves the difference; one that contains 0 "
      "does not (within noise). ",
      reference,
      " The ANN is the run's teacher (its per-image outcomes); for QCFS its own QCFS-trained ANN "
      "(older records do not carry its outcomes).",
      left_out.empty()
          ? ""
          : absl::StrCat(" Not in the table, for want of per-image outcomes (older records): ",
                         absl::StrJoin(left_out, "; "), ".")));
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

namespace {

// "16x–64x" (a ratio's 95% interval), or that no resample reached the reference.
std::string RatioRange(const Interval& iv) {
  if (std::isinf(iv.lo)) return "never reached in any resample";
  return absl::StrCat(RatioBound(iv.lo), "–", RatioBound(iv.hi));
}

// The row and sentence of one method against the reference, from the paired ratio when both have
// outcomes, else from the records' accuracies without an interval (and without a claim).
struct MatchRow {
  std::vector<std::string> cells;
  std::string sentence;
};

// The method against the reference at comparable timesteps (`at`: the reference minus the method,
// with the method's timesteps `at_t`): a direction the ratio's interval gives is claimed only when
// this difference resolves it too, since the ratio's bootstrap pools seeds and does not see how
// much they vary.
struct AtReferenceT {
  Difference reference_minus_method;
  std::string unit;
  int t = 0;
};

// "; at t = 4 the reference minus it is 0.68 [-0.36, 1.73] points, which includes 0" or "".
std::string Unresolved(const AtReferenceT& at, bool lasnn_fewer) {
  const Difference& d = at.reference_minus_method;
  const bool resolved = d.available && (lasnn_fewer ? d.interval.lo > 0 : d.interval.hi < 0);
  if (resolved) return "";
  if (!d.available) {
    return absl::StrCat("; at ", at.unit, " = ", at.t, " the difference has no interval (",
                        d.basis, ")");
  }
  return absl::StrCat("; at ", at.unit, " = ", at.t, " LaSNN minus it is ", Points(d.estimate),
                      " ", PointsRange(d.interval.lo, d.interval.hi),
                      " points, an interval that includes 0 once seeds are counted");
}

MatchRow PairedMatch(const std::string& method, const std::string& student,
                     const std::string& name, const std::string& unit, int ref_T,
                     const ReachRatio& r, const AtReferenceT& at) {
  MatchRow m;
  const std::string images = absl::StrCat(r.images, " (shared)");
  const std::string range = RatioRange(r.interval);
  const std::string tail = absl::StrCat("95% interval ", range, ", ", r.images,
                                        " shared test images");
  if (r.need > 0) {
    m.cells = {method, student, absl::StrCat(unit, " = ", r.need), Ratio(r.ratio), range,
               Pct(r.reference_accuracy), images};
    const std::string detail = absl::StrCat("T = ", ref_T, " vs ", unit, " = ", r.need);
    const bool lasnn_fewer = r.interval.lo > 1 + 1e-9;
    const bool it_fewer = r.interval.hi < 1 - 1e-9;
    const std::string unresolved = Unresolved(at, lasnn_fewer);
    if (lasnn_fewer && unresolved.empty()) {
      m.sentence = absl::StrCat("LaSNN needs ", Ratio(r.ratio), " fewer timesteps than ", name,
                                " (", detail, "; ", tail, ").");
    } else if (it_fewer && unresolved.empty()) {
      m.sentence = absl::StrCat(name, " needs ", Ratio(1 / r.ratio), " fewer timesteps than LaSNN (",
                                detail, "; ", tail, ").");
    } else if (lasnn_fewer || it_fewer) {
      m.sentence = absl::StrCat("LaSNN vs ", name,
                                ": the budget does not resolve which needs fewer timesteps (",
                                detail, ", ratio ", Ratio(r.ratio), "; ", tail, unresolved,
                                ").");
    } else {
      m.sentence = absl::StrCat("LaSNN vs ", name,
                                ": the budget does not resolve which needs fewer timesteps (",
                                detail, ", ratio ", Ratio(r.ratio), "; ", tail,
                                ", which includes 1).");
    }
    return m;
  }
  const double bound = static_cast<double>(r.max_timesteps) / ref_T;
  m.cells = {method, student, absl::StrCat("not reached within ", unit, "≤", r.max_timesteps),
             bound > 1 ? absl::StrCat("> ", Ratio(bound)) : "-", range,
             Pct(r.reference_accuracy), images};
  const std::string unresolved = Unresolved(at, /*lasnn_fewer=*/true);
  if (r.interval.lo > 1 + 1e-9 && unresolved.empty()) {
    m.sentence = absl::StrCat(name, ": not reached within ", unit, "≤", r.max_timesteps,
                              "; LaSNN needs fewer timesteps (", tail, ").");
  } else if (r.interval.lo > 1 + 1e-9) {
    m.sentence = absl::StrCat(name, ": not reached within ", unit, "≤", r.max_timesteps,
                              " on these images, but the budget does not resolve whether LaSNN "
                              "needs fewer timesteps (", tail, unresolved, ").");
  } else {
    m.sentence = absl::StrCat(name, ": not reached within ", unit, "≤", r.max_timesteps,
                              " on these images, but the budget does not resolve whether LaSNN "
                              "needs fewer timesteps (", tail, ", which includes 1).");
  }
  return m;
}

MatchRow UnpairedMatch(const std::string& method, const std::string& student,
                       const std::string& name, const std::string& unit, int ref_T, int need,
                       int max_t, const std::string& why, const std::string& samples,
                       double ref_acc) {
  MatchRow m;
  const std::string images = absl::StrCat(samples, " (not paired)");
  if (need > 0) {
    m.cells = {method,   student, absl::StrCat(unit, " = ", need),
               Ratio(static_cast<double>(need) / ref_T), why,
               absl::StrCat(Pct(ref_acc), " (its own images)"), images};
    m.sentence = absl::StrCat(name, " reaches the reference's accuracy at ", unit, " = ", need,
                              " (", Ratio(static_cast<double>(need) / ref_T),
                              " LaSNN's T = ", ref_T, "); ", why,
                              ", so no interval and no claim.");
  } else {
    const double bound = static_cast<double>(max_t) / ref_T;
    m.cells = {method, student, absl::StrCat("not reached within ", unit, "≤", max_t),
               bound > 1 ? absl::StrCat("> ", Ratio(bound)) : "-", why,
               absl::StrCat(Pct(ref_acc), " (its own images)"), images};
    m.sentence = absl::StrCat(name, ": not reached within ", unit, "≤", max_t, " (", why,
                              ", so no interval).");
  }
  return m;
}

}  // namespace

void MatchSection(const Dataset& d, Doc& doc) {
  const Reference reference = ChooseReference(d);
  const TrainedGroup* ref = reference.group;
  doc.Heading(3, "Timesteps to match LaSNN");
  if (ref == nullptr) {
    doc.Paragraph(absl::StrCat(
        "No LaSNN result for this dataset: nothing to compare with.",
        reference.note.empty() ? "" : absl::StrCat(" ", reference.note)));
    return;
  }
  const double A = Mean(ref->acc);
  const int T = ref->T;
  const AccuracyInterval ref_ci = AccuracyIntervalOf(ref->runs, ref->acc, T);
  doc.Paragraph(absl::StrCat(
      "Reference: ", MethodDisplayName(ref->method), " on ", ref->student, " at T = ", T,
      ", chosen without the test set: ", reference.rule, ". ",
      reference.note.empty() ? "" : absl::StrCat(reference.note, " "), "It reaches ", Pct(A),
      "% on its ", SamplesOf(ref->runs), " test images (",
      ref->runs.size() > 1 ? absl::StrCat("mean of ", ref->runs.size(), " seeds, ") : "",
      ref_ci.available
          ? absl::StrCat("95% interval ", PctRange(ref_ci.interval.lo, ref_ci.interval.hi), ")")
          : "no per-image outcomes)",
      ". For every other method: the fewest timesteps at which it reaches the reference's "
      "accuracy on the test images both evaluated (conversions: the first t of the curve; "
      "trained SNNs: the smallest T trained; several seeds are pooled per image), that number "
      "over LaSNN's T, and the ratio's 95% interval (paired bootstrap over the shared images, ",
      Grouped(kBootstrapResamples),
      " resamples, fixed seed). \"N x fewer timesteps\" is stated only when that interval "
      "excludes 1 and, at LaSNN's T (a trained method: its T nearest), the paired difference "
      "with seeds counted (see Paired differences) excludes 0 in the same direction; otherwise "
      "the budget (images, seeds, timesteps) does not resolve it."));
  Table t;
  t.header = {"Method", "Student architecture", "Reaches the reference at", "Timesteps vs LaSNN",
              "95% interval", "Reference accuracy on these images (%)", "Images compared"};
  t.text_columns = 2;
  std::vector<std::string> sentences;
  bool unpaired = false;
  const RunsAt ref_runs{ref->runs, T};
  for (const ConversionGroup& g : d.conversions) {
    const std::string name = MethodDisplayName(g.method);
    std::vector<RunsAt> rows;
    for (size_t i = 1; i <= g.curve.size(); ++i) rows.push_back(RunsAt{g.runs, static_cast<int>(i)});
    const ReachRatio r = ReachRatioOf(rows, ref_runs);
    MatchRow m;
    if (r.available) {
      const int at_t = std::min<int>(T, static_cast<int>(g.curve.size()));
      const AtReferenceT at{DifferenceOf(ref_runs, RunsAt{g.runs, at_t}), "t", at_t};
      m = PairedMatch(name, g.student, name, "t", T, r, at);
    } else {
      int need = -1;
      for (size_t i = 0; i < g.curve.size(); ++i) {
        if (g.curve[i] >= A - kEps) {
          need = static_cast<int>(i) + 1;
          break;
        }
      }
      unpaired = true;
      m = UnpairedMatch(name, g.student, name, "t", T, need, static_cast<int>(g.curve.size()),
                        r.why, SamplesOf(g.runs), A);
    }
    t.rows.push_back(std::move(m.cells));
    sentences.push_back(std::move(m.sentence));
  }
  for (size_t i = 0; i < d.trained.size();) {
    size_t j = i;
    int need = -1, t_max = 0;
    std::vector<RunsAt> rows;
    std::vector<const RunRecord*> runs;
    for (; j < d.trained.size() && d.trained[j].method == d.trained[i].method &&
           d.trained[j].student == d.trained[i].student;
         ++j) {
      t_max = std::max(t_max, d.trained[j].T);
      if (need < 0 && Mean(d.trained[j].acc) >= A - kEps) need = d.trained[j].T;
      rows.push_back(RunsAt{d.trained[j].runs, d.trained[j].T});
      runs.insert(runs.end(), d.trained[j].runs.begin(), d.trained[j].runs.end());
    }
    const TrainedGroup& g = d.trained[i];
    i = j;
    if (g.method == ref->method && g.student == ref->student) continue;
    const std::string name = GroupName(g.method, g.student, true);
    const ReachRatio r = ReachRatioOf(rows, ref_runs);
    MatchRow m;
    if (r.available) {
      // The group's T nearest the reference's: the largest at most T, else the smallest.
      const RunsAt* near = &rows.front();
      for (const RunsAt& row : rows) {
        if (row.t <= T) near = &row;
      }
      const AtReferenceT at{DifferenceOf(ref_runs, *near), "T", near->t};
      m = PairedMatch(MethodDisplayName(g.method), g.student, name, "T", T, r, at);
    } else {
      unpaired = true;
      m = UnpairedMatch(MethodDisplayName(g.method), g.student, name, "T", T, need, t_max, r.why,
                        SamplesOf(runs), A);
    }
    t.rows.push_back(std::move(m.cells));
    sentences.push_back(std::move(m.sentence));
  }
  doc.AddTable(std::move(t));
  doc.List(std::move(sentences));
  if (unpaired) {
    doc.Paragraph(absl::StrCat(
        "Rows marked \"not paired\" compare the records' accuracies without per-image outcomes: "
        "the reference's ", Pct(A), "% on its ", SamplesOf(ref->runs),
        " test images against the method's accuracies on its own test images (column Images "
        "compared), with no interval."));
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
