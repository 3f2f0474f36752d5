#include "reports/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "reports/record_io.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

// A report is built once as blocks, then rendered as Markdown or HTML.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
struct Block {
  enum Kind { kHeading, kParagraph, kTable, kSvg, kCode } kind;
  int level = 2;
  std::string text;  // heading / paragraph / code / svg
  Table table;
};

bool IsTrained(Method m) {
  return m == LASNN_JOINT || m == LASNN_STAGEWISE || m == LOGIT_KD || m == FEATURE_KD ||
         m == DIRECT;
}
bool IsLasnn(Method m) { return m == LASNN_JOINT || m == LASNN_STAGEWISE; }

std::string Pct(double v) { return absl::StrFormat("%.2f", 100 * v); }
std::string Num(double v, int precision) { return absl::StrFormat("%.*f", precision, v); }
std::string Sci(double v) {
  if (v == 0) return "0";
  return absl::StrFormat("%.3g", v);
}

std::string DatasetName(datasets::DatasetKind k) {
  switch (k) {
    case datasets::DATASET_KIND_FASHION_MNIST: return "Fashion-MNIST";
    case datasets::DATASET_KIND_CIFAR10: return "CIFAR-10";
    case datasets::DATASET_KIND_CIFAR100: return "CIFAR-100";
    case datasets::DATASET_KIND_TINY_IMAGENET: return "Tiny ImageNet";
    default: return "unknown dataset";
  }
}

std::string MeanStd(const std::vector<double>& v) {
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  if (v.size() == 1) return Pct(mean);
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  var /= static_cast<double>(v.size() - 1);
  return absl::StrFormat("%.2f ± %.2f (n=%d)", 100 * mean, 100 * std::sqrt(var),
                         static_cast<int>(v.size()));
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Accuracy of a record at its reported T (trained: train T; conversion: t).
double AccuracyAt(const RunRecord& r, int t) {
  if (t < 1 || t > r.accuracy_at_t_size()) return std::nan("");
  return r.accuracy_at_t(t - 1);
}

std::string HtmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string MdEscape(const std::string& s) { return absl::StrReplaceAll(s, {{"|", "\\|"}}); }

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                         "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

struct Series {
  std::string label;
  std::vector<std::pair<int, double>> points;  // (t, accuracy)
  bool markers = false;
};

// Accuracy vs timesteps, log2 x axis.
std::string AccuracyChart(const std::vector<Series>& series, double ann, const std::string& title) {
  const double w = 820, h = 460, left = 60, right = 230, top = 36, bottom = 50;
  const double pw = w - left - right, ph = h - top - bottom;
  int t_max = 8;
  double y_lo = 1.0, y_hi = ann > 0 ? ann : 0.0;
  for (const Series& s : series) {
    for (const auto& [t, a] : s.points) {
      t_max = std::max(t_max, t);
      y_hi = std::max(y_hi, a);
      if (s.markers || t >= 4) y_lo = std::min(y_lo, a);
    }
  }
  int log_max = static_cast<int>(std::ceil(std::log2(static_cast<double>(t_max))));
  y_lo = std::max(0.0, std::floor((y_lo - 0.03) * 20) / 20);
  y_hi = std::min(1.0, std::ceil((y_hi + 0.01) * 20) / 20);
  if (y_hi <= y_lo) y_hi = y_lo + 0.05;
  auto x = [&](double t) { return left + pw * std::log2(t) / log_max; };
  auto y = [&](double a) { return top + ph * (1 - (std::clamp(a, y_lo, y_hi) - y_lo) / (y_hi - y_lo)); };
  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
      "%.0f\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"%s\">\n",
      w, h, w, h, HtmlEscape(title));
  absl::StrAppendFormat(&s, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", w, h);
  absl::StrAppendFormat(&s, "<text x=\"%.0f\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
                        left, HtmlEscape(title));
  // Grid and ticks.
  for (int k = 0; k <= log_max; ++k) {
    const double xv = x(std::pow(2.0, k));
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                          xv, top, xv, top + ph);
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", xv,
                          top + ph + 16, 1 << k);
  }
  const int y_steps = static_cast<int>(std::round((y_hi - y_lo) / 0.05));
  const int y_every = y_steps > 10 ? 2 : 1;
  for (int k = 0; k <= y_steps; k += y_every) {
    const double a = y_lo + 0.05 * k, yv = y(a);
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                          left, yv, left + pw, yv);
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n",
                          left - 6, yv + 4, 100 * a);
  }
  absl::StrAppendFormat(&s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
                        left, top, pw, ph);
  absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">timesteps t (log scale)</text>\n",
                        left + pw / 2, h - 12);
  absl::StrAppendFormat(&s, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">test accuracy (%%)</text>\n",
                        top + ph / 2, top + ph / 2);
  if (ann > 0) {
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"6 4\"/>\n",
                          left, y(ann), left + pw, y(ann));
  }
  // Series and legend.
  double ly = top + 8;
  const double lx = left + pw + 16;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& se = series[i];
    const char* color = kColors[i % 10];
    std::string pts;
    for (const auto& [t, a] : se.points) absl::StrAppendFormat(&pts, "%.1f,%.1f ", x(t), y(a));
    absl::StrAppendFormat(&s, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"%s\"%s/>\n",
                          color, se.markers ? "1.5" : "2", pts,
                          se.markers ? " stroke-dasharray=\"3 2\"" : "");
    if (se.markers) {
      for (const auto& [t, a] : se.points) {
        absl::StrAppendFormat(&s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x(t), y(a), color);
      }
    }
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                          lx, ly, lx + 18, ly, color);
    if (se.markers) absl::StrAppendFormat(&s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", lx + 9, ly, color);
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 24, ly + 4, HtmlEscape(se.label));
    ly += 18;
  }
  if (ann > 0) {
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"6 4\"/>\n",
                          lx, ly, lx + 18, ly);
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\">ANN teacher (%s%%)</text>\n", lx + 24, ly + 4, Pct(ann));
  }
  s += "</svg>";
  return s;
}

// Everything about one dataset's OK records.
class DatasetSection {
 public:
  explicit DatasetSection(std::vector<const RunRecord*> records) : records_(std::move(records)) {
    for (const RunRecord* r : records_) {
      if (r->has_teacher() && r->teacher().has_test_accuracy() && !teacher_) teacher_ = &r->teacher();
    }
  }

  void Build(std::vector<Block>& out) const {
    const datasets::DatasetKind kind = records_.front()->config().data().kind();
    out.push_back({Block::kHeading, 2, DatasetName(kind), {}});
    Teacher(out);
    Comparison(out);
    Chart(out, DatasetName(kind));
    Speedup(out);
    Costs(out);
    Depth(out);
    Firing(out);
    Times(out);
  }

 private:
  // Trained records grouped by (method, student, T) -> records over seeds.
  using Key = std::tuple<int, std::string, int>;
  std::map<Key, std::vector<const RunRecord*>> Trained() const {
    std::map<Key, std::vector<const RunRecord*>> g;
    for (const RunRecord* r : records_) {
      if (IsTrained(r->config().method())) {
        g[{r->config().method(), r->student_name(), r->train_timesteps()}].push_back(r);
      }
    }
    return g;
  }
  std::vector<const RunRecord*> Conversions() const {
    std::vector<const RunRecord*> v;
    for (const RunRecord* r : records_) {
      if (!IsTrained(r->config().method())) v.push_back(r);
    }
    std::stable_sort(v.begin(), v.end(), [](const RunRecord* a, const RunRecord* b) {
      return a->config().method() < b->config().method();
    });
    return v;
  }
  double TeacherAccuracy() const { return teacher_ ? teacher_->test_accuracy() : 0; }
  // The ANN accuracy a record is compared with: its own, else (direct training has no teacher)
  // that of a trained record evaluated on the same test images, else the teacher's.
  double AnnOf(const RunRecord& r) const {
    if (r.has_ann_accuracy()) return r.ann_accuracy();
    for (const RunRecord* o : records_) {
      if (o->has_ann_accuracy() && IsTrained(o->config().method()) &&
          o->eval_subset() == r.eval_subset()) {
        return o->ann_accuracy();
      }
    }
    return TeacherAccuracy();
  }

  void Teacher(std::vector<Block>& out) const {
    if (!teacher_) return;
    out.push_back({Block::kParagraph, 0,
                   absl::StrFormat("ANN teacher **%s**: test accuracy %s%% (whole test set), %d "
                                   "parameters, weights SHA-256 %s…%s.",
                                   teacher_->model_name(), Pct(teacher_->test_accuracy()),
                                   static_cast<int>(teacher_->parameters()),
                                   teacher_->weights_sha256().substr(0, 12),
                                   teacher_->cache_key().empty()
                                       ? ""
                                       : absl::StrCat(" (cache key ", teacher_->cache_key(), ")")),
                   {}});
  }

  std::vector<int> ConversionRowsT(const RunRecord& r) const {
    std::set<int> ts;
    for (const TimestepCost& c : r.costs()) ts.insert(c.timesteps());
    if (ts.empty()) {
      for (int t : {16, 32, 64, 128, 256}) ts.insert(t);
    }
    std::vector<int> v;
    for (int t : ts) {
      if (t <= r.accuracy_at_t_size()) v.push_back(t);
    }
    return v;
  }

  void Comparison(std::vector<Block>& out) const {
    out.push_back({Block::kHeading, 3, "Comparison", {}});
    Table t;
    t.header = {"Method", "Architecture", "T", "Accuracy (%)", "Gap to ANN (points)",
                "ANN (%)", "Test images"};
    for (const auto& [key, rs] : Trained()) {
      std::vector<double> acc;
      double ann = 0;
      for (const RunRecord* r : rs) {
        acc.push_back(AccuracyAt(*r, r->train_timesteps()));
        ann += AnnOf(*r);
      }
      ann /= static_cast<double>(rs.size());
      t.rows.push_back({MethodDisplayName(static_cast<Method>(std::get<0>(key))), std::get<1>(key),
                        absl::StrCat(std::get<2>(key)), MeanStd(acc),
                        Num(100 * (ann - Mean(acc)), 2), ann > 0 ? Pct(ann) : "-",
                        absl::StrCat(rs.front()->eval_samples())});
    }
    for (const RunRecord* r : Conversions()) {
      const double ann = AnnOf(*r);
      for (int T : ConversionRowsT(*r)) {
        t.rows.push_back({MethodDisplayName(r->config().method()), r->student_name(),
                          absl::StrCat(T), Pct(AccuracyAt(*r, T)),
                          Num(100 * (ann - AccuracyAt(*r, T)), 2), Pct(ann),
                          absl::StrCat(r->eval_samples())});
      }
      const int within = r->timesteps_within_1pt();
      t.rows.push_back({MethodDisplayName(r->config().method()), r->student_name(),
                        within > 0 ? absl::StrCat(within) : "-",
                        within > 0 ? Pct(AccuracyAt(*r, within)) : "-",
                        within > 0 ? "first t within 1 point"
                                   : absl::StrCat("never within 1 point (t≤", r->accuracy_at_t_size(), ")"),
                        Pct(ann), absl::StrCat(r->eval_samples())});
    }
    out.push_back({Block::kTable, 0, "", t});
    std::set<int> subsets;
    for (const RunRecord* r : records_) {
      if (r->eval_subset() > 0) subsets.insert(r->eval_subset());
    }
    if (!subsets.empty()) {
      std::vector<std::string> parts;
      for (const RunRecord* r : Conversions()) {
        if (r->eval_subset() > 0) {
          parts.push_back(absl::StrCat(MethodDisplayName(r->config().method()), " on the first ",
                                       r->eval_subset(), " test images"));
        }
      }
      std::set<int> trained_subsets;
      for (const auto& [key, rs] : Trained()) {
        for (const RunRecord* r : rs) {
          if (r->eval_subset() > 0) trained_subsets.insert(r->eval_subset());
        }
      }
      for (int s : trained_subsets) {
        parts.push_back(absl::StrCat("trained SNNs on the first ", s, " test images"));
      }
      out.push_back({Block::kParagraph, 0,
                     absl::StrCat("Evaluation subsets: ", absl::StrJoin(parts, "; "),
                                  ". The ANN accuracy of each row is measured on the same images; "
                                  "the teacher line above uses the whole test set."),
                     {}});
    }
  }

  void Chart(std::vector<Block>& out, const std::string& dataset) const {
    std::vector<Series> series;
    for (const RunRecord* r : Conversions()) {
      Series s;
      s.label = MethodDisplayName(r->config().method());
      for (int t = 1; t <= r->accuracy_at_t_size(); ++t) s.points.push_back({t, r->accuracy_at_t(t - 1)});
      series.push_back(std::move(s));
    }
    std::map<std::pair<int, std::string>, std::map<int, std::vector<double>>> trained;
    for (const auto& [key, rs] : Trained()) {
      for (const RunRecord* r : rs) {
        trained[{std::get<0>(key), std::get<1>(key)}][std::get<2>(key)].push_back(
            AccuracyAt(*r, r->train_timesteps()));
      }
    }
    for (const auto& [key, by_t] : trained) {
      Series s;
      s.markers = true;
      s.label = absl::StrCat(MethodDisplayName(static_cast<Method>(key.first)), ", ", key.second);
      for (const auto& [t, acc] : by_t) s.points.push_back({t, Mean(acc)});
      series.push_back(std::move(s));
    }
    if (series.empty()) return;
    out.push_back({Block::kHeading, 3, "Accuracy vs timesteps", {}});
    out.push_back({Block::kParagraph, 0,
                   "Conversion curves: the accuracy after t steps of one simulation, for every t. "
                   "Trained SNNs (dots): each trained and evaluated at its own T.",
                   {}});
    out.push_back({Block::kSvg, 0, AccuracyChart(series, TeacherAccuracy(),
                                                 absl::StrCat(dataset, ": accuracy vs timesteps")),
                   {}});
  }

  void Speedup(std::vector<Block>& out) const {
    // The reference: the LaSNN result with the smallest T within 1 point of its ANN, else the
    // most accurate LaSNN result.
    const RunRecord* best = nullptr;
    double best_acc = -1;
    bool best_within = false;
    for (const auto& [key, rs] : Trained()) {
      if (!IsLasnn(static_cast<Method>(std::get<0>(key)))) continue;
      for (const RunRecord* r : rs) {
        const double a = AccuracyAt(*r, r->train_timesteps());
        const bool within = AnnOf(*r) - a <= 0.01;
        const bool better = best == nullptr || (within && !best_within) ||
                            (within && best_within && r->train_timesteps() < best->train_timesteps()) ||
                            (!within && !best_within && a > best_acc);
        if (better) {
          best = r;
          best_acc = a;
          best_within = within;
        }
      }
    }
    if (best == nullptr) return;
    const int T = best->train_timesteps();
    out.push_back({Block::kHeading, 3, "Timesteps to match LaSNN", {}});
    out.push_back({Block::kParagraph, 0,
                   absl::StrFormat("Reference: %s (%s) reaches %s%% at T = %d. For every other "
                                   "method, the fewest timesteps at which it reaches that accuracy.",
                                   MethodDisplayName(best->config().method()), best->student_name(),
                                   Pct(best_acc), T),
                   {}});
    Table t;
    t.header = {"Method", "Architecture", "Timesteps to reach it", "LaSNN speed-up"};
    std::vector<std::string> sentences;
    for (const RunRecord* r : Conversions()) {
      int need = -1;
      for (int i = 0; i < r->accuracy_at_t_size(); ++i) {
        if (r->accuracy_at_t(i) >= best_acc) {
          need = i + 1;
          break;
        }
      }
      const std::string name = MethodDisplayName(r->config().method());
      if (need > 0) {
        const double ratio = static_cast<double>(need) / T;
        t.rows.push_back({name, r->student_name(), absl::StrCat(need), Num(ratio, 1) + "x"});
        sentences.push_back(absl::StrFormat("LaSNN needs %sx fewer timesteps than %s (%d vs %d).",
                                            Num(ratio, 1), name, T, need));
      } else {
        t.rows.push_back({name, r->student_name(),
                          absl::StrCat("not reached within t≤", r->accuracy_at_t_size()),
                          absl::StrCat(">", Num(static_cast<double>(r->accuracy_at_t_size()) / T, 0), "x")});
        sentences.push_back(absl::StrFormat("%s does not reach it within t≤%d (LaSNN: T = %d).",
                                            name, r->accuracy_at_t_size(), T));
      }
    }
    std::map<std::pair<int, std::string>, int> trained_need;
    for (const auto& [key, rs] : Trained()) {
      const Method m = static_cast<Method>(std::get<0>(key));
      if (m == best->config().method() && std::get<1>(key) == best->student_name()) continue;
      std::vector<double> acc;
      for (const RunRecord* r : rs) acc.push_back(AccuracyAt(*r, r->train_timesteps()));
      auto k = std::make_pair(std::get<0>(key), std::get<1>(key));
      if (!trained_need.count(k)) trained_need[k] = -1;
      if (Mean(acc) >= best_acc && (trained_need[k] < 0 || std::get<2>(key) < trained_need[k])) {
        trained_need[k] = std::get<2>(key);
      }
    }
    for (const auto& [k, need] : trained_need) {
      const std::string name = MethodDisplayName(static_cast<Method>(k.first));
      t.rows.push_back({name, k.second, need > 0 ? absl::StrCat("T = ", need) : "not reached at the T trained",
                        need > 0 ? Num(static_cast<double>(need) / T, 1) + "x" : "-"});
    }
    out.push_back({Block::kTable, 0, "", t});
    if (!sentences.empty()) out.push_back({Block::kParagraph, 0, absl::StrJoin(sentences, " "), {}});
  }

  void Costs(std::vector<Block>& out) const {
    out.push_back({Block::kHeading, 3, "Latency and energy", {}});
    Table t;
    t.header = {"Method", "Architecture", "T", "Latency (ms, batch 1)", "Throughput (img/s)",
                "ACs / image", "MACs / image", "Energy (µJ / image)", "Energy vs ANN"};
    const double ann_energy = teacher_ && teacher_->has_ops() ? teacher_->ops().energy_uj() : 0;
    if (teacher_ && teacher_->has_ops()) {
      t.rows.push_back({"ANN teacher", teacher_->model_name(), "-", Num(teacher_->latency_ms(), 2),
                        Num(teacher_->throughput_img_s(), 0), "0", Sci(teacher_->ops().macs()),
                        Num(ann_energy, 2), "1.00x"});
    }
    auto add = [&](const RunRecord& r) {
      for (const TimestepCost& c : r.costs()) {
        t.rows.push_back({MethodDisplayName(r.config().method()), r.student_name(),
                          absl::StrCat(c.timesteps()), Num(c.latency_ms(), 2),
                          Num(c.throughput_img_s(), 0), Sci(c.ops().acs()), Sci(c.ops().macs()),
                          Num(c.ops().energy_uj(), 2),
                          ann_energy > 0 ? Num(c.ops().energy_uj() / ann_energy, 2) + "x" : "-"});
      }
    };
    for (const auto& [key, rs] : Trained()) add(*rs.front());
    for (const RunRecord* r : Conversions()) add(*r);
    out.push_back({Block::kTable, 0, "", t});
    const RunRecord* any = records_.front();
    out.push_back({Block::kParagraph, 0,
                   absl::StrFormat("Energy: %.2f pJ per accumulate (AC, spike-driven synapse) and "
                                   "%.2f pJ per multiply-accumulate (MAC), 45 nm CMOS (Horowitz, "
                                   "ISSCC 2014). Layers fed by the analog image count MACs (once: "
                                   "direct encoding makes them time-invariant); layers fed by "
                                   "spikes count ACs = synapses x firing rate x T. Latency and "
                                   "throughput are measured on this machine's CPU; single-seed "
                                   "rows for trained SNNs.",
                                   any->config().energy().pj_per_ac(),
                                   any->config().energy().pj_per_mac()),
                   {}});
  }

  void Depth(std::vector<Block>& out) const {
    std::map<std::string, int64_t> params;
    std::map<int, std::map<int, std::map<std::string, std::vector<double>>>> acc;  // method, T, student
    for (const auto& [key, rs] : Trained()) {
      for (const RunRecord* r : rs) {
        params[r->student_name()] = r->student_parameters();
        acc[std::get<0>(key)][std::get<2>(key)][std::get<1>(key)].push_back(
            AccuracyAt(*r, r->train_timesteps()));
      }
    }
    if (params.size() < 2) return;
    out.push_back({Block::kHeading, 3, "Depth", {}});
    Table t;
    t.header = {"Method", "T"};
    for (const auto& [name, p] : params) t.header.push_back(absl::StrCat(name, " (", p, " params)"));
    for (const auto& [m, by_t] : acc) {
      for (const auto& [T, by_student] : by_t) {
        std::vector<std::string> row = {MethodDisplayName(static_cast<Method>(m)), absl::StrCat(T)};
        for (const auto& [name, p] : params) {
          auto it = by_student.find(name);
          row.push_back(it == by_student.end() ? "-" : MeanStd(it->second));
        }
        t.rows.push_back(row);
      }
    }
    out.push_back({Block::kTable, 0, "", t});
  }

  void Firing(std::vector<Block>& out) const {
    out.push_back({Block::kHeading, 3, "Firing rates (spikes per neuron per step)", {}});
    Table t;
    t.header = {"Method", "Architecture", "T", "Per layer (forward order)", "Mean"};
    auto add = [&](const RunRecord& r, const std::string& T) {
      std::vector<std::string> parts;
      double sum = 0;
      for (const LayerFiring& f : r.firing()) {
        parts.push_back(absl::StrFormat("%s %.3f", f.layer(), f.rate()));
        sum += f.rate();
      }
      t.rows.push_back({MethodDisplayName(r.config().method()), r.student_name(), T,
                        absl::StrJoin(parts, ", "),
                        r.firing_size() > 0 ? Num(sum / r.firing_size(), 3) : "-"});
    };
    for (const auto& [key, rs] : Trained()) add(*rs.front(), absl::StrCat(std::get<2>(key)));
    for (const RunRecord* r : Conversions()) add(*r, absl::StrCat(r->accuracy_at_t_size()));
    out.push_back({Block::kTable, 0, "", t});
  }

  void Times(std::vector<Block>& out) const {
    out.push_back({Block::kHeading, 3, "Run times and memory", {}});
    Table t;
    t.header = {"Experiment", "Train (s)", "Convert (s)", "Evaluate (s)", "Peak memory (MiB)",
                "Record"};
    for (const RunRecord* r : records_) {
      t.rows.push_back({r->config().name(), Num(r->train_seconds(), 0), Num(r->convert_seconds(), 1),
                        Num(r->eval_seconds(), 0),
                        Num(static_cast<double>(r->peak_memory_bytes()) / (1 << 20), 0),
                        r->config_hash()});
    }
    out.push_back({Block::kTable, 0, "", t});
    out.push_back({Block::kParagraph, 0,
                   "Train time of a conversion row is that of its QCFS ANN (0 when cached); "
                   "teacher training is not included (it is shared and cached).",
                   {}});
  }

  std::vector<const RunRecord*> records_;
  const TeacherResult* teacher_ = nullptr;
};

std::vector<Block> BuildReport(const std::vector<RunRecord>& records, const ReportOptions& o) {
  std::vector<Block> out;
  out.push_back({Block::kHeading, 1, o.title, {}});
  if (!o.note.empty()) out.push_back({Block::kParagraph, 0, o.note, {}});
  int ok = 0;
  std::vector<const RunRecord*> failed;
  std::map<int, std::vector<const RunRecord*>> by_dataset;
  for (const RunRecord& r : records) {
    if (r.status() == RunRecord::OK && r.accuracy_at_t_size() > 0) {
      ++ok;
      by_dataset[r.config().data().kind()].push_back(&r);
    } else {
      failed.push_back(&r);
    }
  }
  out.push_back({Block::kParagraph, 0,
                 absl::StrFormat("%d run records: %d OK, %d failed or excluded. Every number below "
                                 "comes from a run record.",
                                 static_cast<int>(records.size()), ok,
                                 static_cast<int>(failed.size())),
                 {}});
  for (auto& [kind, rs] : by_dataset) DatasetSection(rs).Build(out);
  if (!failed.empty()) {
    out.push_back({Block::kHeading, 2, "Failed / excluded runs", {}});
    Table t;
    t.header = {"Experiment", "Method", "Status", "Message", "Record"};
    for (const RunRecord* r : failed) {
      t.rows.push_back({r->config().name(), MethodDisplayName(r->config().method()),
                        RunRecord::Status_Name(r->status()), r->status_message(), r->config_hash()});
    }
    out.push_back({Block::kTable, 0, "", t});
  }
  out.push_back({Block::kHeading, 2, "Provenance", {}});
  std::set<std::string> lines;
  std::string first_date, last_date;
  for (const RunRecord& r : records) {
    const Provenance& p = r.provenance();
    lines.insert(absl::StrCat("commit ", p.git_commit(), "; LibTorch ", p.libtorch_version(),
                              ", Abseil ", p.abseil_version(), ", Protobuf ", p.protobuf_version(),
                              ", OpenCV ", p.opencv_version(), ", ", p.compiler(), "; CPU ",
                              p.cpu_model(), p.gpu_model().empty() ? "" : ", GPU " + p.gpu_model(),
                              "; ", p.threads(), " threads"));
    if (first_date.empty() || p.date_utc() < first_date) first_date = p.date_utc();
    if (p.date_utc() > last_date) last_date = p.date_utc();
  }
  Table t;
  t.header = {"Build and machine"};
  for (const std::string& l : lines) t.rows.push_back({l});
  out.push_back({Block::kTable, 0, "", t});
  out.push_back({Block::kParagraph, 0,
                 absl::StrCat("Runs dated ", first_date, " to ", last_date, " (UTC)."), {}});
  if (!o.reproduce_command.empty()) {
    out.push_back({Block::kParagraph, 0, "Reproduce with:", {}});
    out.push_back({Block::kCode, 0, o.reproduce_command, {}});
  }
  return out;
}

std::string RenderMarkdown(const std::vector<Block>& blocks) {
  std::string s;
  for (const Block& b : blocks) {
    switch (b.kind) {
      case Block::kHeading:
        absl::StrAppend(&s, std::string(b.level, '#'), " ", b.text, "\n\n");
        break;
      case Block::kParagraph:
        absl::StrAppend(&s, b.text, "\n\n");
        break;
      case Block::kCode:
        absl::StrAppend(&s, "```\n", b.text, "\n```\n\n");
        break;
      case Block::kSvg:
        absl::StrAppend(&s, "(Chart: see report.html.)\n\n");
        break;
      case Block::kTable: {
        std::vector<std::string> h;
        for (const std::string& c : b.table.header) h.push_back(MdEscape(c));
        absl::StrAppend(&s, "| ", absl::StrJoin(h, " | "), " |\n|");
        for (size_t i = 0; i < h.size(); ++i) absl::StrAppend(&s, i == 0 ? " --- |" : " ---: |");
        s += "\n";
        for (const auto& row : b.table.rows) {
          std::vector<std::string> r;
          for (const std::string& c : row) r.push_back(MdEscape(c));
          absl::StrAppend(&s, "| ", absl::StrJoin(r, " | "), " |\n");
        }
        s += "\n";
        break;
      }
    }
  }
  return s;
}

std::string InlineMarkdown(const std::string& text) {
  // **bold** only.
  std::string e = HtmlEscape(text), out;
  bool open = false;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e.compare(i, 2, "**") == 0) {
      out += open ? "</b>" : "<b>";
      open = !open;
      ++i;
    } else {
      out += e[i];
    }
  }
  if (open) out += "</b>";
  return out;
}

std::string RenderHtml(const std::vector<Block>& blocks, const std::string& title) {
  std::string s = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
      HtmlEscape(title),
      "</title>\n<style>\nbody{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 "
      "1em;color:#222}\ntable{border-collapse:collapse;margin:0.5em 0 1.2em;font-size:13px}\n"
      "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\nth{background:#f0f0f0}\n"
      "td:first-child,th:first-child{text-align:left}\ntr:nth-child(even) td{background:#fafafa}\n"
      "pre{background:#f4f4f4;padding:0.6em;overflow-x:auto}\nsvg{max-width:100%;height:auto}\n"
      "</style>\n</head>\n<body>\n");
  for (const Block& b : blocks) {
    switch (b.kind) {
      case Block::kHeading:
        absl::StrAppend(&s, "<h", b.level, ">", HtmlEscape(b.text), "</h", b.level, ">\n");
        break;
      case Block::kParagraph:
        absl::StrAppend(&s, "<p>", InlineMarkdown(b.text), "</p>\n");
        break;
      case Block::kCode:
        absl::StrAppend(&s, "<pre>", HtmlEscape(b.text), "</pre>\n");
        break;
      case Block::kSvg:
        absl::StrAppend(&s, "<figure>\n", b.text, "\n</figure>\n");
        break;
      case Block::kTable:
        s += "<table>\n<tr>";
        for (const std::string& c : b.table.header) absl::StrAppend(&s, "<th>", HtmlEscape(c), "</th>");
        s += "</tr>\n";
        for (const auto& row : b.table.rows) {
          s += "<tr>";
          for (const std::string& c : row) absl::StrAppend(&s, "<td>", HtmlEscape(c), "</td>");
          s += "</tr>\n";
        }
        s += "</table>\n";
        break;
    }
  }
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace

std::string MethodDisplayName(Method m) {
  switch (m) {
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
  LASNN_ASSIGN_OR_RETURN(std::vector<RunRecord> records, ReadRecords(runs_dir));
  if (records.empty()) {
    return absl::NotFoundError(absl::StrCat("no run records (*.pb) in ", runs_dir));
  }
  LASNN_RETURN_IF_ERROR(MakeDirectories(out_dir));
  LASNN_RETURN_IF_ERROR(
      WriteFileAtomically(JoinPath(out_dir, "report.md"), MarkdownReport(records, options)));
  return WriteFileAtomically(JoinPath(out_dir, "report.html"), HtmlReport(records, options));
}

}  // namespace lasnn
