#include "reports/report.h"

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
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "reports/record_io.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

// Accuracies are fractions in the records; "1 point" is one percentage point.
constexpr double kOnePoint = 0.01;
// Accuracies of n images are multiples of 1/n; a mean over seeds may differ from such a value by
// rounding only, which must not decide whether a threshold is reached.
constexpr double kEps = 1e-9;

// ------------------------------------------------------------------------------------------------
// The document: built once as blocks, rendered as Markdown or HTML.

struct Table {
  std::vector<std::string> header;
  int text_columns = 1;  // the first columns hold text (left-aligned); the rest numbers
  std::vector<std::vector<std::string>> rows;
};

struct Block {
  enum Kind { kHeading, kParagraph, kList, kTable, kChart, kCode };
  Kind kind = kParagraph;
  int level = 0;                   // kHeading
  std::string text;                // heading, paragraph, code, chart SVG
  std::string alt;                 // kChart: the Markdown stand-in
  std::vector<std::string> items;  // kList
  Table table;
};

class Doc {
 public:
  void Heading(int level, std::string text) {
    Block b;
    b.kind = Block::kHeading;
    b.level = level;
    b.text = std::move(text);
    blocks_.push_back(std::move(b));
  }
  void Paragraph(std::string text) { Add(Block::kParagraph, std::move(text)); }
  void Code(std::string text) { Add(Block::kCode, std::move(text)); }
  void List(std::vector<std::string> items) {
    if (items.empty()) return;
    Block b;
    b.kind = Block::kList;
    b.items = std::move(items);
    blocks_.push_back(std::move(b));
  }
  void AddTable(Table table) {
    Block b;
    b.kind = Block::kTable;
    b.table = std::move(table);
    blocks_.push_back(std::move(b));
  }
  void Chart(std::string svg, std::string alt) {
    Block b;
    b.kind = Block::kChart;
    b.text = std::move(svg);
    b.alt = std::move(alt);
    blocks_.push_back(std::move(b));
  }
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  void Add(Block::Kind kind, std::string text) {
    Block b;
    b.kind = kind;
    b.text = std::move(text);
    blocks_.push_back(std::move(b));
  }
  std::vector<Block> blocks_;
};

// ------------------------------------------------------------------------------------------------
// Number formatting (fixed precision everywhere).

std::string Pct(double fraction) { return absl::StrFormat("%.2f", 100 * fraction); }
std::string Points(double fraction_diff) { return absl::StrFormat("%.2f", 100 * fraction_diff); }
std::string Fixed(double v, int precision) { return absl::StrFormat("%.*f", precision, v); }

// 870826 -> "870,826".
std::string Grouped(int64_t v) {
  std::string digits = absl::StrCat(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

// Operation counts: "755.1 k", "1.24 M", "2.31 G".
std::string Count(double v) {
  if (v < 1e3) return absl::StrFormat("%.0f", v);
  if (v < 1e6) return absl::StrFormat("%.1f k", v / 1e3);
  if (v < 1e9) return absl::StrFormat("%.2f M", v / 1e6);
  return absl::StrFormat("%.2f G", v / 1e9);
}

// 32 -> "32x", 31.75 -> "31.8x".
std::string Ratio(double r) {
  if (std::fabs(r - std::round(r)) < 1e-9) return absl::StrFormat("%.0fx", r);
  return absl::StrFormat("%.1fx", r);
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / static_cast<double>(v.size());
}

// Sample standard deviation (n - 1); 0 for one value.
double StdDev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// "92.80" for one run, "92.80 ± 0.17" for several; with_n appends " (n=2)".
std::string PctStat(const std::vector<double>& v, bool with_n = false) {
  if (v.empty()) return "-";
  if (v.size() == 1) return Pct(v[0]);
  std::string s = absl::StrFormat("%.2f ± %.2f", 100 * Mean(v), 100 * StdDev(v));
  if (with_n) absl::StrAppend(&s, " (n=", v.size(), ")");
  return s;
}

// ------------------------------------------------------------------------------------------------
// Records.

bool IsTrained(Method m) {
  return m == LASNN_JOINT || m == LASNN_STAGEWISE || m == LOGIT_KD || m == FEATURE_KD ||
         m == DIRECT;
}
bool IsLasnn(Method m) { return m == LASNN_JOINT || m == LASNN_STAGEWISE; }
bool IsConversion(Method m) { return m != METHOD_UNSPECIFIED && !IsTrained(m); }

std::string DatasetName(int kind) {
  switch (kind) {
    case datasets::DATASET_KIND_FASHION_MNIST: return "Fashion-MNIST";
    case datasets::DATASET_KIND_CIFAR10: return "CIFAR-10";
    case datasets::DATASET_KIND_CIFAR100: return "CIFAR-100";
    case datasets::DATASET_KIND_TINY_IMAGENET: return "Tiny ImageNet";
    default: return "Unknown dataset";
  }
}

std::string StatusName(const RunRecord& r) {
  const std::string& name = RunRecord::Status_Name(r.status());
  return name.empty() ? absl::StrCat("status ", static_cast<int>(r.status())) : name;
}

// The architecture a record evaluates (a conversion's is the teacher's, or its QCFS variant).
std::string StudentOf(const RunRecord& r) {
  if (!r.student_name().empty()) return r.student_name();
  if (r.config().has_student() && !r.config().student().name().empty()) {
    return r.config().student().name();
  }
  if (IsConversion(r.config().method()) && r.config().teacher().has_model()) {
    return r.config().teacher().model().name();
  }
  return "-";
}

int TrainT(const RunRecord& r) {
  if (r.train_timesteps() > 0) return r.train_timesteps();
  return IsTrained(r.config().method()) ? r.config().train().timesteps() : 0;
}

uint64_t SeedOf(const RunRecord& r) { return r.config().seed(); }

// Empty if the record can be tabulated, else why not.
std::string ExclusionReason(const RunRecord& r) {
  if (r.status() != RunRecord::OK) {
    return r.status_message().empty() ? "-" : r.status_message();
  }
  const Method m = r.config().method();
  if (m == METHOD_UNSPECIFIED) return "no method in the record's config";
  if (IsTrained(m)) {
    if (r.train_timesteps() < 1) return "no train_timesteps";
    if (r.accuracy_at_t_size() < r.train_timesteps()) {
      return absl::StrCat("no accuracy at T = ", r.train_timesteps());
    }
  } else if (r.accuracy_at_t_size() == 0) {
    return "no accuracy curve";
  }
  return "";
}

// Records in a fixed order independent of the input order.
bool RecordLess(const RunRecord* a, const RunRecord* b) {
  return std::make_tuple(static_cast<int>(a->config().method()), a->student_parameters(),
                         StudentOf(*a), TrainT(*a), SeedOf(*a), a->config_hash(),
                         a->config().name()) <
         std::make_tuple(static_cast<int>(b->config().method()), b->student_parameters(),
                         StudentOf(*b), TrainT(*b), SeedOf(*b), b->config_hash(),
                         b->config().name());
}

// Distinct eval_samples of the runs: "10000", or "1000 / 2000".
std::string SamplesOf(const std::vector<const RunRecord*>& runs) {
  std::set<int> s;
  for (const RunRecord* r : runs) s.insert(r->eval_samples());
  return absl::StrJoin(s, " / ");
}

// ------------------------------------------------------------------------------------------------
// One dataset's tabulated records, grouped.

// Runs of one trained method on one student at one T (one per seed).
struct TrainedGroup {
  Method method;
  std::string student;
  int64_t params = 0;
  int T = 0;
  std::vector<const RunRecord*> runs;
  std::vector<double> acc;  // accuracy at T, per run
  std::vector<double> ann;  // the ANN's accuracy, per run (NaN if unknown)
};

// Runs of one conversion method (one per seed).
struct ConversionGroup {
  Method method;
  std::string student;
  int64_t params = 0;
  std::vector<const RunRecord*> runs;
  std::vector<double> curve;  // mean accuracy_at_t over runs (the shortest run's length)
  std::vector<double> ann;    // per run
};

struct Dataset {
  int kind = 0;
  std::vector<const RunRecord*> records;  // tabulated, in RecordLess order
  const TeacherResult* teacher = nullptr;  // the teacher most records name
  std::vector<const TeacherResult*> other_teachers;
  std::vector<TrainedGroup> trained;        // by method, student size, student, T
  std::vector<ConversionGroup> conversions;  // by method, student
};

double AnnOf(const RunRecord& r, const TeacherResult* teacher) {
  if (r.has_ann_accuracy()) return r.ann_accuracy();
  if (r.has_teacher() && r.teacher().has_test_accuracy()) return r.teacher().test_accuracy();
  if (teacher != nullptr) return teacher->test_accuracy();
  return std::nan("");
}

Dataset MakeDataset(int kind, std::vector<const RunRecord*> records) {
  Dataset d;
  d.kind = kind;
  std::sort(records.begin(), records.end(), RecordLess);
  d.records = records;
  std::map<std::pair<std::string, std::string>, std::pair<int, const TeacherResult*>> teachers;
  for (const RunRecord* r : records) {
    if (!r->has_teacher()) continue;
    auto& t = teachers[{r->teacher().model_name(), r->teacher().weights_sha256()}];
    if (t.second == nullptr) t.second = &r->teacher();
    ++t.first;
  }
  int most = 0;
  for (const auto& [key, t] : teachers) {
    if (t.first > most) {
      most = t.first;
      d.teacher = t.second;
    }
  }
  for (const auto& [key, t] : teachers) {
    if (t.second != d.teacher) d.other_teachers.push_back(t.second);
  }
  for (const RunRecord* r : records) {
    const Method m = r->config().method();
    const std::string student = StudentOf(*r);
    if (IsTrained(m)) {
      const int T = r->train_timesteps();
      if (d.trained.empty() || d.trained.back().method != m || d.trained.back().student != student ||
          d.trained.back().T != T) {
        d.trained.push_back(TrainedGroup{m, student, r->student_parameters(), T, {}, {}, {}});
      }
      TrainedGroup& g = d.trained.back();
      g.runs.push_back(r);
      g.acc.push_back(r->accuracy_at_t(T - 1));
      g.ann.push_back(AnnOf(*r, d.teacher));
    } else {
      if (d.conversions.empty() || d.conversions.back().method != m ||
          d.conversions.back().student != student) {
        d.conversions.push_back(ConversionGroup{m, student, r->student_parameters(), {}, {}, {}});
      }
      ConversionGroup& g = d.conversions.back();
      g.runs.push_back(r);
      g.ann.push_back(AnnOf(*r, d.teacher));
    }
  }
  for (ConversionGroup& g : d.conversions) {
    int len = g.runs.front()->accuracy_at_t_size();
    for (const RunRecord* r : g.runs) len = std::min(len, r->accuracy_at_t_size());
    g.curve.assign(len, 0.0);
    for (const RunRecord* r : g.runs) {
      for (int t = 0; t < len; ++t) g.curve[t] += r->accuracy_at_t(t) / g.runs.size();
    }
  }
  return d;
}

std::string GroupName(Method m, const std::string& student, bool with_student) {
  return with_student ? absl::StrCat(MethodDisplayName(m), " on ", student)
                      : MethodDisplayName(m);
}

// Accuracies at t (1-based) of a conversion group's runs.
std::vector<double> AccuraciesAt(const ConversionGroup& g, int t) {
  std::vector<double> v;
  for (const RunRecord* r : g.runs) v.push_back(r->accuracy_at_t(t - 1));
  return v;
}

// Mean over runs of (ANN - accuracy), "-" when an ANN accuracy is unknown.
std::string GapOf(const std::vector<double>& ann, const std::vector<double>& acc) {
  std::vector<double> gaps;
  for (size_t i = 0; i < acc.size(); ++i) {
    if (std::isnan(ann[i])) return "-";
    gaps.push_back(ann[i] - acc[i]);
  }
  return Points(Mean(gaps));
}

std::string AnnCell(const std::vector<double>& ann) {
  for (double a : ann) {
    if (std::isnan(a)) return "-";
  }
  return Pct(Mean(ann));
}

// First t (1-based) with accuracy within 1 point of the ANN: the record's own field, else
// computed as the harness does; -1 if never.
int WithinOnePoint(const RunRecord& r, double ann) {
  if (r.has_timesteps_within_1pt()) return r.timesteps_within_1pt();
  if (std::isnan(ann)) return -1;
  for (int t = 0; t < r.accuracy_at_t_size(); ++t) {
    if (r.accuracy_at_t(t) >= ann - kOnePoint) return t + 1;
  }
  return -1;
}

// The t of a conversion's comparison rows: its cost timesteps, else 16..256, up to its curve.
std::vector<int> ConversionRowsT(const ConversionGroup& g) {
  std::set<int> ts;
  for (const RunRecord* r : g.runs) {
    for (const TimestepCost& c : r->costs()) ts.insert(c.timesteps());
  }
  if (ts.empty()) ts = {16, 32, 64, 128, 256};
  std::vector<int> v;
  for (int t : ts) {
    if (t >= 1 && t <= static_cast<int>(g.curve.size())) v.push_back(t);
  }
  if (v.empty() && !g.curve.empty()) v.push_back(static_cast<int>(g.curve.size()));
  return v;
}

// "Trained SNNs evaluated on the whole test set (10000 images). Conversion curves evaluated on
// the first 1000 test images."
std::vector<std::string> EvaluationSentences(const Dataset& d) {
  std::vector<std::string> out;
  for (bool trained : {true, false}) {
    // (subset, samples) -> method names
    std::map<std::pair<int, int>, std::set<std::string>> sets;
    std::set<std::string> all;
    for (const RunRecord* r : d.records) {
      if (IsTrained(r->config().method()) != trained) continue;
      sets[{r->eval_subset(), r->eval_samples()}].insert(MethodDisplayName(r->config().method()));
      all.insert(MethodDisplayName(r->config().method()));
    }
    for (const auto& [key, methods] : sets) {
      std::string who = trained ? "Trained SNNs" : "Conversion curves";
      if (sets.size() > 1) {
        absl::StrAppend(&who, " (", absl::StrJoin(methods, ", "), ")");
      }
      const auto [subset, samples] = key;
      if (subset > 0) {
        std::string s = absl::StrCat(who, " evaluated on the first ", subset, " test images");
        if (samples != subset) absl::StrAppend(&s, " (", samples, " evaluated)");
        out.push_back(s + ".");
      } else {
        out.push_back(absl::StrCat(who, " evaluated on the whole test set (", samples,
                                   " images)."));
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// The accuracy-vs-timesteps chart (inline SVG).

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

struct Series {
  std::string label;
  std::vector<std::pair<int, double>> points;  // (t, accuracy fraction)
  bool curve = true;  // a conversion's curve (line) or trained results (markers)
};

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                               "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939"};
constexpr int kNumColors = sizeof(kColors) / sizeof(kColors[0]);

std::string Marker(int shape, double x, double y, const char* color) {
  const std::string style = absl::StrFormat(" fill=\"%s\" stroke=\"white\" stroke-width=\"1\"", color);
  switch (shape % 4) {
    case 0:
      return absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"%s/>", x, y, style);
    case 1:
      return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\"%s/>", x - 4,
                             y - 4, style);
    case 2:
      return absl::StrFormat("<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"%s/>", x, y - 5.5,
                             x + 5, y + 3.5, x - 5, y + 3.5, style);
    default:
      return absl::StrFormat("<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"%s/>", x,
                             y - 5.5, x + 5.5, y, x, y + 5.5, x - 5.5, y, style);
  }
}

// Accuracy bounds (fractions) of the points of `series` and `ann` (NaN: none).
std::pair<double, double> Extent(const std::vector<Series>& series, double ann, bool markers_only) {
  double lo = 1, hi = 0;
  for (const Series& s : series) {
    if (markers_only && s.curve) continue;
    for (const auto& [t, a] : s.points) {
      lo = std::min(lo, a);
      hi = std::max(hi, a);
    }
  }
  if (!std::isnan(ann)) {
    lo = std::min(lo, ann);
    hi = std::max(hi, ann);
  }
  return {lo, hi};
}

// x: log2 t from 1 to 256 (or the next power of two above the longest series); y: accuracy (%)
// over [lo, hi] (fractions) rounded out to the tick step. Lines and markers outside the plot
// area are clipped (a nested <svg>, so no url() reference is needed).
// Records are data from disk: only points with 1 <= t <= 2^20 and an accuracy in [0, 1] are
// drawn (a corrupt or hand-edited record must not break the chart's arithmetic).
bool Plottable(int t, double a) { return t >= 1 && t <= (1 << 20) && a >= 0 && a <= 1; }

std::string AccuracyChart(const std::string& title, const std::vector<Series>& all_series,
                          double ann, const std::string& ann_label, double lo, double hi) {
  const double width = 820, height = 450;
  const double x0 = 62, x1 = 478, y0 = 44, y1 = 386;
  std::vector<Series> series = all_series;
  for (Series& se : series) {
    se.points.erase(std::remove_if(se.points.begin(), se.points.end(),
                                   [](const auto& p) { return !Plottable(p.first, p.second); }),
                    se.points.end());
  }
  if (!(ann >= 0 && ann <= 1)) ann = std::nan("");
  int t_max = 256;
  for (const Series& s : series) {
    for (const auto& [t, a] : s.points) t_max = std::max(t_max, t);
  }
  lo = std::isnan(lo) ? 0 : std::clamp(lo, 0.0, 1.0);
  hi = std::isnan(hi) ? 1 : std::clamp(hi, 0.0, 1.0);
  if (lo > hi) lo = 0, hi = 1;
  const double span = 100 * (hi - lo);
  const int step = span > 40 ? 10 : span > 15 ? 5 : span > 6 ? 2 : 1;
  const int y_lo = std::max(0, static_cast<int>(std::floor(100 * lo / step + kEps)) * step);
  int y_hi = std::min(100, static_cast<int>(std::ceil(100 * hi / step - kEps)) * step);
  if (y_hi <= y_lo) y_hi = y_lo + step;
  int log_max = 0;
  while ((1 << log_max) < t_max) ++log_max;
  auto x = [&](double t) { return x0 + (x1 - x0) * std::log2(t) / log_max; };
  auto y = [&](double a) { return y1 - (y1 - y0) * (100 * a - y_lo) / (y_hi - y_lo); };

  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
      "%.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"%s\">\n",
      width, height, width, height, Escape(title));
  absl::StrAppendFormat(&s, "<title>%s</title>\n", Escape(title));
  absl::StrAppendFormat(&s, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", width,
                        height);
  absl::StrAppendFormat(&s,
                        "<text x=\"%.0f\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
                        x0, Escape(title));
  s += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n";
  for (int k = 0; k <= log_max; ++k) {
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                          x(1 << k), y0, x(1 << k), y1);
  }
  for (int v = y_lo; v <= y_hi; v += step) {
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0,
                          y(v / 100.0), x1, y(v / 100.0));
  }
  s += "</g>\n<g fill=\"#333\">\n";
  for (int k = 0; k <= log_max; ++k) {
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n",
                          x(1 << k), y1 + 18, 1 << k);
  }
  for (int v = y_lo; v <= y_hi; v += step) {
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n",
                          x0 - 8, y(v / 100.0) + 4, v);
  }
  absl::StrAppendFormat(&s,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">timesteps t (log2 "
                        "scale)</text>\n",
                        (x0 + x1) / 2, y1 + 44);
  absl::StrAppendFormat(&s,
                        "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 "
                        "20 %.1f)\">test accuracy (%%)</text>\n",
                        (y0 + y1) / 2, (y0 + y1) / 2);
  s += "</g>\n";
  // The plot area: a nested viewport in the same coordinates, which clips what lies above or
  // below it (with a margin left and right for the markers at t = 1 and t = t_max).
  const double cx0 = x0 - 8, cw = x1 - x0 + 16;
  absl::StrAppendFormat(&s,
                        "<svg x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" viewBox=\"%.1f "
                        "%.1f %.1f %.1f\" overflow=\"hidden\">\n",
                        cx0, y0, cw, y1 - y0, cx0, y0, cw, y1 - y0);
  if (!std::isnan(ann)) {
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
                          "stroke-width=\"1.5\" stroke-dasharray=\"7 4\"/>\n",
                          x0, y(ann), x1, y(ann));
  }
  int shape = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& se = series[i];
    const char* color = kColors[i % kNumColors];
    std::string pts;
    for (const auto& [t, a] : se.points) {
      absl::StrAppendFormat(&pts, "%s%.1f,%.1f", pts.empty() ? "" : " ", x(t), y(a));
    }
    absl::StrAppendFormat(&s, "<g>\n<title>%s</title>\n", Escape(se.label));
    if (se.curve) {
      absl::StrAppendFormat(&s,
                            "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                            "stroke-linejoin=\"round\" points=\"%s\"/>\n",
                            color, pts);
    } else {
      if (se.points.size() > 1) {
        absl::StrAppendFormat(&s,
                              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" "
                              "stroke-dasharray=\"4 3\" points=\"%s\"/>\n",
                              color, pts);
      }
      for (const auto& [t, a] : se.points) s += Marker(shape, x(t), y(a), color) + "\n";
      ++shape;
    }
    s += "</g>\n";
  }
  s += "</svg>\n";
  absl::StrAppendFormat(&s,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                        "stroke=\"#444\"/>\n",
                        x0, y0, x1 - x0, y1 - y0);
  // The legend, right of the plot.
  const int entries = static_cast<int>(series.size()) + (std::isnan(ann) ? 0 : 1);
  const double lx = x1 + 16, ly0 = y0 + 6;
  const double row = entries > 0 ? std::min(20.0, (height - ly0 - 10) / entries) : 20;
  shape = 0;
  s += "<g font-size=\"11.5\">\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& se = series[i];
    const char* color = kColors[i % kNumColors];
    const double ly = ly0 + row * i;
    if (se.curve) {
      absl::StrAppendFormat(&s,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-width=\"2.5\"/>\n",
                            lx, ly, lx + 22, ly, color);
    } else {
      absl::StrAppendFormat(&s,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\n",
                            lx, ly, lx + 22, ly, color);
      s += Marker(shape++, lx + 11, ly, color) + "\n";
    }
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 28, ly + 4,
                          Escape(se.label));
  }
  if (!std::isnan(ann)) {
    const double ly = ly0 + row * series.size();
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
                          "stroke-width=\"1.5\" stroke-dasharray=\"7 4\"/>\n",
                          lx, ly, lx + 22, ly);
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 28, ly + 4,
                          Escape(ann_label));
  }
  s += "</g>\n</svg>";
  return s;
}

// ------------------------------------------------------------------------------------------------
// Sections.

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

void CostSection(const Dataset& d, Doc& doc) {
  doc.Heading(3, "Latency and energy");
  Table t;
  t.header = {"Method",           "Student architecture", "T",
              "Latency (ms, batch 1)", "Throughput (img/s)", "ACs / image",
              "MACs / image",     "Energy (µJ / image)",  "Energy vs ANN"};
  t.text_columns = 2;
  const double ann_energy =
      d.teacher != nullptr && d.teacher->has_ops() ? d.teacher->ops().energy_uj() : 0;
  auto ratio = [&](double e) { return ann_energy > 0 ? Fixed(e / ann_energy, 3) + "x" : "-"; };
  if (d.teacher != nullptr && d.teacher->has_ops()) {
    const OpCount& o = d.teacher->ops();
    t.rows.push_back({"ANN teacher", d.teacher->model_name(), "ANN",
                      Fixed(d.teacher->latency_ms(), 2), Fixed(d.teacher->throughput_img_s(), 0),
                      Count(o.acs()), Count(o.macs()), Fixed(o.energy_uj(), 3), ratio(o.energy_uj())});
  }
  bool averaged = false;
  auto add = [&](Method m, const std::string& student, const std::vector<const RunRecord*>& runs,
                 int train_T) {
    std::map<int, std::vector<const TimestepCost*>> by_t;
    for (const RunRecord* r : runs) {
      for (const TimestepCost& c : r->costs()) by_t[c.timesteps()].push_back(&c);
    }
    for (const auto& [T, costs] : by_t) {
      double lat = 0, tput = 0, acs = 0, macs = 0, energy = 0;
      for (const TimestepCost* c : costs) {
        lat += c->latency_ms() / costs.size();
        tput += c->throughput_img_s() / costs.size();
        acs += c->ops().acs() / costs.size();
        macs += c->ops().macs() / costs.size();
        energy += c->ops().energy_uj() / costs.size();
      }
      averaged = averaged || costs.size() > 1;
      std::string t_cell = absl::StrCat(T);
      if (train_T > 0 && T != train_T) absl::StrAppend(&t_cell, " (trained at ", train_T, ")");
      t.rows.push_back({MethodDisplayName(m), student, t_cell, Fixed(lat, 2), Fixed(tput, 0),
                        Count(acs), Count(macs), Fixed(energy, 3), ratio(energy)});
    }
  };
  for (const TrainedGroup& g : d.trained) add(g.method, g.student, g.runs, g.T);
  for (const ConversionGroup& g : d.conversions) add(g.method, g.student, g.runs, 0);
  doc.AddTable(std::move(t));
  std::set<std::pair<double, double>> pj;
  for (const RunRecord* r : d.records) {
    pj.insert({r->config().energy().pj_per_ac(), r->config().energy().pj_per_mac()});
  }
  std::vector<std::string> pj_text;
  for (const auto& [ac, mac] : pj) {
    pj_text.push_back(absl::StrFormat("%.2f pJ per AC and %.2f pJ per MAC", ac, mac));
  }
  doc.Paragraph(absl::StrCat(
      "Energy = ACs × E_AC + MACs × E_MAC with ", absl::StrJoin(pj_text, "; "),
      " (the run configs; the defaults are the 45 nm CMOS figures of Horowitz, ISSCC 2014). "
      "ACs: accumulates of layers fed by spikes (dense operations × firing rate of the layer "
      "feeding them × T); MACs: layers that see the analog image (direct encoding, counted once), "
      "and every layer of the ANN. Latency: one image (batch 1), median of repeats; throughput "
      "as measured by the harness, on the machines under Provenance.",
      averaged ? " Rows of several seeds average their measurements." : ""));
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

void FiringSection(const Dataset& d, Doc& doc) {
  // Records by architecture and layer list, in the dataset's order.
  std::vector<std::pair<std::string, std::vector<const RunRecord*>>> tables;
  std::map<std::string, size_t> index;
  for (const RunRecord* r : d.records) {
    if (r->firing_size() == 0) continue;
    std::vector<std::string> layers;
    for (const LayerFiring& f : r->firing()) layers.push_back(f.layer());
    const std::string key = absl::StrCat(StudentOf(*r), "|", absl::StrJoin(layers, ","));
    auto [it, added] = index.insert({key, tables.size()});
    if (added) tables.push_back({StudentOf(*r), {}});
    tables[it->second].second.push_back(r);
  }
  if (tables.empty()) return;
  doc.Heading(3, "Firing rates");
  doc.Paragraph(
      "Spikes per neuron per timestep of each spiking layer, in forward order: trained SNNs at "
      "their T, conversions over the whole simulation (t = the curve's length).");
  std::stable_sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.second.front()->student_parameters(), a.first) <
           std::make_pair(b.second.front()->student_parameters(), b.first);
  });
  for (const auto& [student, runs] : tables) {
    doc.Heading(4, absl::StrCat(student, " (", Grouped(runs.front()->student_parameters()),
                                " parameters)"));
    Table t;
    t.header = {"Method", "T", "Seed"};
    t.text_columns = 1;
    for (const LayerFiring& f : runs.front()->firing()) t.header.push_back(f.layer());
    t.header.push_back("Mean");
    for (const RunRecord* r : runs) {
      std::vector<std::string> row = {
          MethodDisplayName(r->config().method()),
          IsTrained(r->config().method()) ? absl::StrCat(r->train_timesteps())
                                          : absl::StrCat("t = ", r->accuracy_at_t_size()),
          absl::StrCat(SeedOf(*r))};
      double sum = 0;
      for (const LayerFiring& f : r->firing()) {
        row.push_back(Fixed(f.rate(), 3));
        sum += f.rate();
      }
      row.push_back(Fixed(sum / r->firing_size(), 3));
      t.rows.push_back(std::move(row));
    }
    doc.AddTable(std::move(t));
  }
}

void TimeSection(const Dataset& d, Doc& doc) {
  doc.Heading(3, "Run times and memory");
  Table t;
  t.header = {"Method", "Student architecture", "T", "Seed", "Train (s)", "Convert (s)",
              "Evaluate (s)", "Peak memory (MiB)", "Record"};
  t.text_columns = 2;
  for (const RunRecord* r : d.records) {
    t.rows.push_back({MethodDisplayName(r->config().method()), StudentOf(*r),
                      IsTrained(r->config().method()) ? absl::StrCat(r->train_timesteps()) : "-",
                      absl::StrCat(SeedOf(*r)), Fixed(r->train_seconds(), 1),
                      Fixed(r->convert_seconds(), 1), Fixed(r->eval_seconds(), 1),
                      Fixed(static_cast<double>(r->peak_memory_bytes()) / (1 << 20), 0),
                      r->config_hash()});
  }
  doc.AddTable(std::move(t));
  std::string note =
      "Train: the student's training (QCFS: its QCFS ANN's training, 0 when served from the "
      "cache). Peak memory: the peak resident set of the process that ran the experiment.";
  if (d.teacher != nullptr) {
    absl::StrAppend(&note, " The teacher's training (", Fixed(d.teacher->train_seconds(), 1),
                    " s; 0 when served from the cache) is shared and not included.");
  }
  doc.Paragraph(note);
}

void ProvenanceSection(const std::vector<RunRecord>& records, const std::vector<Dataset>& datasets,
                       const ReportOptions& options, Doc& doc) {
  doc.Heading(2, "Provenance");
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string,
                         std::string, std::string, std::string, int>;
  struct Seen {
    int count = 0;
    std::string first, last;
  };
  std::map<Key, Seen> builds;
  std::string first, last;
  std::set<std::string> suites, commands;
  bool any_gpu = false;
  for (const RunRecord& r : records) {
    const Provenance& p = r.provenance();
    Seen& s = builds[{p.git_commit(), p.libtorch_version(), p.abseil_version(),
                      p.protobuf_version(), p.opencv_version(), p.compiler(), p.cpu_model(),
                      p.gpu_model(), p.threads()}];
    ++s.count;
    const std::string& date = p.date_utc();
    if (!date.empty()) {
      if (s.first.empty() || date < s.first) s.first = date;
      if (date > s.last) s.last = date;
      if (first.empty() || date < first) first = date;
      if (date > last) last = date;
    }
    if (!r.suite().empty()) suites.insert(r.suite());
    if (!p.command().empty()) commands.insert(p.command());
    any_gpu = any_gpu || !p.gpu_model().empty();
  }
  std::vector<std::pair<Key, Seen>> sorted(builds.begin(), builds.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.first < b.second.first;
  });
  Table t;
  t.header = {"Build and machine"};
  for (const auto& [key, seen] : sorted) {
    t.header.push_back(absl::StrCat(seen.count, seen.count == 1 ? " record" : " records"));
  }
  t.text_columns = static_cast<int>(t.header.size());
  auto row = [&](const std::string& name, auto field) {
    std::vector<std::string> cells = {name};
    for (const auto& [key, seen] : sorted) {
      std::string v = field(key, seen);
      cells.push_back(v.empty() ? "-" : v);
    }
    t.rows.push_back(std::move(cells));
  };
  row("Git commit", [](const Key& k, const Seen&) { return std::get<0>(k); });
  row("LibTorch", [](const Key& k, const Seen&) { return std::get<1>(k); });
  row("Abseil", [](const Key& k, const Seen&) { return std::get<2>(k); });
  row("Protobuf", [](const Key& k, const Seen&) { return std::get<3>(k); });
  row("OpenCV", [](const Key& k, const Seen&) { return std::get<4>(k); });
  row("Compiler", [](const Key& k, const Seen&) { return std::get<5>(k); });
  row("CPU", [](const Key& k, const Seen&) { return std::get<6>(k); });
  if (any_gpu) row("GPU", [](const Key& k, const Seen&) { return std::get<7>(k); });
  row("Threads", [](const Key& k, const Seen&) { return absl::StrCat(std::get<8>(k)); });
  row("Dates (UTC)", [](const Key&, const Seen& s) {
    return s.first == s.last ? s.first : absl::StrCat(s.first, " to ", s.last);
  });
  doc.AddTable(std::move(t));
  std::vector<std::string> facts;
  if (!first.empty()) {
    facts.push_back(absl::StrCat("Runs dated ", first, " to ", last, " (UTC, from the records)."));
  }
  if (!suites.empty()) {
    facts.push_back(absl::StrCat(suites.size() == 1 ? "Suite: " : "Suites: ",
                                 absl::StrJoin(suites, ", "), "."));
  }
  if (!facts.empty()) doc.Paragraph(absl::StrJoin(facts, " "));
  std::vector<std::string> evaluation;
  for (const Dataset& d : datasets) {
    evaluation.push_back(
        absl::StrCat(DatasetName(d.kind), ": ", absl::StrJoin(EvaluationSentences(d), " ")));
  }
  if (!evaluation.empty()) {
    doc.Paragraph("Evaluation subsets (accuracy of the ANN rows is measured on the same images):");
    doc.List(std::move(evaluation));
  }
  std::string reproduce = options.reproduce_command;
  if (reproduce.empty() && commands.size() == 1) reproduce = *commands.begin();
  if (!commands.empty() && (commands.size() > 1 || *commands.begin() != reproduce)) {
    doc.Paragraph("The records were produced by:");
    doc.Code(absl::StrJoin(commands, "\n"));
  }
  if (!reproduce.empty()) {
    doc.Paragraph("Reproduce with:");
    doc.Code(reproduce);
  }
}

Doc BuildReport(const std::vector<RunRecord>& records, const ReportOptions& options) {
  Doc doc;
  doc.Heading(1, options.title);
  if (!options.note.empty()) doc.Paragraph(options.note);

  std::map<int, std::vector<const RunRecord*>> by_dataset;
  std::vector<std::pair<const RunRecord*, std::string>> excluded;
  std::map<std::string, int> by_status;
  for (const RunRecord& r : records) {
    const std::string reason = ExclusionReason(r);
    if (reason.empty()) {
      by_dataset[r.config().data().kind()].push_back(&r);
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
  std::vector<Dataset> datasets;
  for (auto& [kind, rs] : by_dataset) datasets.push_back(MakeDataset(kind, rs));

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
    ChartSection(d, doc);
    MatchSection(d, doc);
    CostSection(d, doc);
    DepthSection(d, doc);
    FiringSection(d, doc);
    TimeSection(d, doc);
  }
  ProvenanceSection(records, datasets, options, doc);
  return doc;
}

// ------------------------------------------------------------------------------------------------
// Rendering.

std::string MdCell(const std::string& s) {
  return absl::StrReplaceAll(s, {{"|", "\\|"}, {"\r", " "}, {"\n", " "}});
}

// A fence longer than any run of backticks in the text.
std::string Fence(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string RenderMarkdown(const Doc& doc) {
  std::string s;
  for (const Block& b : doc.blocks()) {
    switch (b.kind) {
      case Block::kHeading:
        absl::StrAppend(&s, std::string(b.level, '#'), " ", MdCell(b.text), "\n\n");
        break;
      case Block::kParagraph:
        absl::StrAppend(&s, b.text, "\n\n");
        break;
      case Block::kList:
        for (const std::string& item : b.items) absl::StrAppend(&s, "- ", item, "\n");
        s += "\n";
        break;
      case Block::kCode: {
        const std::string fence = Fence(b.text);
        absl::StrAppend(&s, fence, "\n", b.text, "\n", fence, "\n\n");
        break;
      }
      case Block::kChart:
        if (!b.alt.empty()) absl::StrAppend(&s, "_", b.alt, "_\n\n");
        break;
      case Block::kTable: {
        const Table& t = b.table;
        std::vector<std::string> cells;
        for (const std::string& c : t.header) cells.push_back(MdCell(c));
        absl::StrAppend(&s, "| ", absl::StrJoin(cells, " | "), " |\n|");
        for (size_t i = 0; i < t.header.size(); ++i) {
          s += static_cast<int>(i) < t.text_columns ? " :--- |" : " ---: |";
        }
        s += "\n";
        for (const auto& row : t.rows) {
          cells.clear();
          for (const std::string& c : row) cells.push_back(MdCell(c));
          absl::StrAppend(&s, "| ", absl::StrJoin(cells, " | "), " |\n");
        }
        s += "\n";
        break;
      }
    }
  }
  return s;
}

constexpr char kCss[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1180px;"
    "margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n"
    "h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:13px}\n"
    "th,td{border:1px solid #d0d0d0;padding:3px 8px;text-align:right;vertical-align:top}\n"
    "th{background:#f0f0f0}\n"
    "th.l,td.l{text-align:left}\n"
    "tbody tr:nth-child(even) td{background:#fafafa}\n"
    "pre{background:#f4f4f4;padding:.6em .8em;overflow-x:auto}\n"
    "figure{margin:1em 0}\n"
    "svg{max-width:100%;height:auto}\n";

std::string RenderHtml(const Doc& doc, const std::string& title) {
  std::string s = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      Escape(title), "</title>\n<style>\n", kCss, "</style>\n</head>\n<body>\n");
  for (const Block& b : doc.blocks()) {
    switch (b.kind) {
      case Block::kHeading:
        absl::StrAppend(&s, "<h", b.level, ">", Escape(b.text), "</h", b.level, ">\n");
        break;
      case Block::kParagraph:
        absl::StrAppend(&s, "<p>", Escape(b.text), "</p>\n");
        break;
      case Block::kList:
        s += "<ul>\n";
        for (const std::string& item : b.items) absl::StrAppend(&s, "<li>", Escape(item), "</li>\n");
        s += "</ul>\n";
        break;
      case Block::kCode:
        absl::StrAppend(&s, "<pre><code>", Escape(b.text), "</code></pre>\n");
        break;
      case Block::kChart:
        absl::StrAppend(&s, "<figure>\n", b.text, "\n</figure>\n");
        break;
      case Block::kTable: {
        const Table& t = b.table;
        auto cls = [&](size_t i) { return static_cast<int>(i) < t.text_columns ? " class=\"l\"" : ""; };
        s += "<table>\n<thead><tr>";
        for (size_t i = 0; i < t.header.size(); ++i) {
          absl::StrAppend(&s, "<th", cls(i), ">", Escape(t.header[i]), "</th>");
        }
        s += "</tr></thead>\n<tbody>\n";
        for (const auto& row : t.rows) {
          s += "<tr>";
          for (size_t i = 0; i < row.size(); ++i) {
            absl::StrAppend(&s, "<td", cls(i), ">", Escape(row[i]), "</td>");
          }
          s += "</tr>\n";
        }
        s += "</tbody>\n</table>\n";
        break;
      }
    }
  }
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace

std::string MethodDisplayName(Method method) {
  switch (method) {
    case LASNN_JOINT: return "LaSNN (joint)";
    case LASNN_STAGEWISE: return "LaSNN (stagewise)";
    case LOGIT_KD: return "Logit KD";
    case FEATURE_KD: return "Feature KD";
    case DIRECT: return "Direct (surrogate BPTT)";
    case CONVERSION_MAX: return "MaxNorm conversion";
    case CONVERSION_ROBUST: return "RobustNorm conversion";
    case CONVERSION_ROBUST_PER_CHANNEL: return "RobustNorm (per-channel) conversion";
    case SPIKE_NORM: return "Spike-Norm conversion";
    case QCFS: return "QCFS conversion";
    default: return "unknown method";
  }
}

std::string MarkdownReport(const std::vector<RunRecord>& records, const ReportOptions& options) {
  return RenderMarkdown(BuildReport(records, options));
}

std::string HtmlReport(const std::vector<RunRecord>& records, const ReportOptions& options) {
  return RenderHtml(BuildReport(records, options), options.title);
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
  return WriteFileAtomically(JoinPath(out_dir, "report.html"), HtmlReport(records, options));
}

}  // namespace lasnn
