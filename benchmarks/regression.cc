#include "benchmarks/regression.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/experiment/outcomes.h"
#include "reports/paired_stats.h"

namespace lasnn {
namespace {

// The record's name without "<suite>/<dataset>/".
std::string ShortName(const RunRecord& r) {
  std::vector<std::string> parts = absl::StrSplit(r.config().name(), '/');
  if (parts.size() <= 2) return r.config().name();
  return absl::StrJoin(parts.begin() + 2, parts.end(), "/");
}

}  // namespace

absl::StatusOr<std::map<std::string, double>> RegressionMetrics(
    const std::vector<RunRecord>& records) {
  std::map<std::string, double> m;
  for (const RunRecord& r : records) {
    if (r.status() != RunRecord::OK) {
      return absl::FailedPreconditionError(absl::StrCat(
          r.config().name(), " (record ", r.config_hash(), ") is ",
          RunRecord::Status_Name(r.status()), ": ", r.status_message()));
    }
    const std::string name = ShortName(r);
    const int n = r.accuracy_at_t_size();
    if (n == 0) {
      return absl::FailedPreconditionError(absl::StrCat(r.config().name(), " has no accuracy"));
    }
    if (r.has_teacher() && r.teacher().has_test_accuracy()) {
      m["teacher/" + r.teacher().model_name()] = r.teacher().test_accuracy();
    }
    if (IsTrainedMethod(r.config().method())) {
      m[name] = r.accuracy_at_t(r.train_timesteps() - 1);
    } else {
      m[absl::StrCat(name, "@t", n)] = r.accuracy_at_t(n - 1);
      for (const TimestepCost& c : r.costs()) {
        if (c.timesteps() <= n) m[absl::StrCat(name, "@t", c.timesteps())] =
            r.accuracy_at_t(c.timesteps() - 1);
      }
      m["ann/" + r.student_name()] = r.ann_accuracy();
    }
  }
  // What distillation adds: LaSNN minus direct / logit KD at the same student, T and seed.
  std::map<std::string, double> gaps;
  for (const auto& [key, value] : m) {
    if (key.rfind("lasnn_joint/", 0) != 0) continue;
    const std::string rest = key.substr(std::string("lasnn_joint/").size());
    for (const char* other : {"direct", "logit_kd"}) {
      auto it = m.find(absl::StrCat(other, "/", rest));
      if (it != m.end()) gaps[absl::StrCat("gap/lasnn_joint-", other, "/", rest)] = value - it->second;
    }
  }
  m.insert(gaps.begin(), gaps.end());
  return m;
}

std::map<std::string, int64_t> RegressionImageCounts(const std::vector<RunRecord>& records) {
  constexpr int64_t kFashionMnistTest = 10000;
  std::map<std::string, int64_t> counts;
  for (const RunRecord& r : records) {
    const std::string name = ShortName(r);
    int64_t n = r.eval_subset() > 0 ? r.eval_subset() : kFashionMnistTest;
    if (r.has_outcomes() && r.outcomes().num_images() > 0) n = r.outcomes().num_images();
    if (r.has_teacher()) counts["teacher/" + r.teacher().model_name()] = kFashionMnistTest;
    if (IsTrainedMethod(r.config().method())) {
      counts[name] = n;
      continue;
    }
    counts[absl::StrCat(name, "@t", r.accuracy_at_t_size())] = n;
    for (const TimestepCost& c : r.costs()) counts[absl::StrCat(name, "@t", c.timesteps())] = n;
    counts["ann/" + r.student_name()] = n;
  }
  return counts;
}

AccuracyBands WidenForOtherHardware(const AccuracyBands& bands,
                                    const std::map<std::string, int64_t>& images) {
  std::map<std::string, double> golden;
  for (const AccuracyBand& b : bands.band()) golden[b.metric()] = b.golden();
  auto variance = [&](const std::string& metric) {  // p (1 - p) / n, or -1 when unknown
    const auto g = golden.find(metric);
    const auto n = images.find(metric);
    if (g == golden.end() || n == images.end() || n->second <= 0) return -1.0;
    return g->second * (1 - g->second) / static_cast<double>(n->second);
  };
  AccuracyBands out = bands;
  for (AccuracyBand& b : *out.mutable_band()) {
    if (b.metric().rfind("gap/", 0) == 0) {
      // "gap/<a>-<b>/<rest>": accuracies "<a>/<rest>" and "<b>/<rest>".
      const std::string body = b.metric().substr(4);
      const size_t dash = body.find('-'), slash = body.find('/');
      if (dash == std::string::npos || slash == std::string::npos || dash > slash) continue;
      const std::string rest = body.substr(slash);
      const double va = variance(body.substr(0, dash) + rest);
      const double vb = variance(body.substr(dash + 1, slash - dash - 1) + rest);
      if (va < 0 || vb < 0) continue;
      b.set_low(std::min(b.low(), b.golden() - 1.96 * std::sqrt(2 * (va + vb))));
      continue;
    }
    const double v = variance(b.metric());
    if (v < 0) continue;
    const double half = 1.96 * std::sqrt(2 * v);
    b.set_low(std::min(b.low(), b.golden() - half));
    b.set_high(std::max(b.high(), b.golden() + half));
  }
  return out;
}

AccuracyBands MakeBands(const std::map<std::string, double>& metrics, double tolerance) {
  AccuracyBands bands;
  for (const auto& [key, value] : metrics) {
    AccuracyBand* b = bands.add_band();
    b->set_metric(key);
    b->set_golden(value);
    b->set_low(value - tolerance);
    b->set_high(key.rfind("gap/", 0) == 0 ? 1.0 : value + tolerance);
  }
  return bands;
}

std::vector<BandCheck> CheckBands(const std::map<std::string, double>& metrics,
                                  const AccuracyBands& bands) {
  std::vector<BandCheck> rows;
  std::map<std::string, bool> banded;
  for (const AccuracyBand& b : bands.band()) {
    BandCheck c;
    c.metric = b.metric();
    c.golden = b.golden();
    c.low = b.low();
    c.high = b.high();
    banded[b.metric()] = true;
    auto it = metrics.find(b.metric());
    if (it == metrics.end()) {
      c.value = std::numeric_limits<double>::quiet_NaN();
      c.note = "missing";
    } else {
      c.value = it->second;
      if (c.value < c.low) {
        c.note = "below band";
      } else if (c.value > c.high) {
        c.note = "above band";
      } else {
        c.ok = true;
      }
    }
    rows.push_back(c);
  }
  for (const auto& [key, value] : metrics) {
    if (banded.count(key)) continue;
    BandCheck c;
    c.metric = key;
    c.value = value;
    c.golden = c.low = c.high = std::numeric_limits<double>::quiet_NaN();
    c.note = "not in the bands file";
    rows.push_back(c);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const BandCheck& a, const BandCheck& b) { return !a.ok && b.ok; });
  return rows;
}

std::string FormatBandTable(const std::vector<BandCheck>& rows) {
  size_t width = 6;
  for (const BandCheck& r : rows) width = std::max(width, r.metric.size());
  auto pct = [](double v) {
    return std::isnan(v) ? std::string("-") : absl::StrFormat("%.2f", 100 * v);
  };
  std::string out = absl::StrFormat("%-*s %8s %8s %17s %7s  %s\n", static_cast<int>(width),
                                    "metric", "value%", "golden%", "band%", "delta", "verdict");
  for (const BandCheck& r : rows) {
    const std::string band = std::isnan(r.low) ? "-"
                             : absl::StrCat(pct(r.low), "..", r.high >= 1.0 ? "" : pct(r.high));
    const std::string delta = std::isnan(r.value) || std::isnan(r.golden)
                                  ? "-"
                                  : absl::StrFormat("%+.2f", 100 * (r.value - r.golden));
    absl::StrAppendFormat(&out, "%-*s %8s %8s %17s %7s  %s\n", static_cast<int>(width), r.metric,
                          pct(r.value), pct(r.golden), band, delta, r.ok ? "ok" : r.note);
  }
  return out;
}

std::string BandsVersusNoise(const std::vector<RunRecord>& records, const AccuracyBands& bands) {
  // metric -> (images, bootstrap half-width) for the records with outcomes.
  std::map<std::string, std::pair<int, double>> noise;
  auto add_from = [&](const EvalOutcomes& o, const std::string& metric, int t) {
    absl::StatusOr<std::vector<std::vector<bool>>> correct = CorrectAtT(o);
    if (!correct.ok() || t < 1 || t > static_cast<int>(correct->size())) return;
    const std::vector<bool>& row = (*correct)[t - 1];
    const Interval ci = BootstrapAccuracy(std::vector<uint8_t>(row.begin(), row.end()));
    noise[metric] = {static_cast<int>(row.size()), (ci.hi - ci.lo) / 2};
  };
  for (const RunRecord& r : records) {
    if (r.status() != RunRecord::OK) continue;
    if (r.has_teacher() && r.teacher().has_outcomes()) {
      add_from(r.teacher().outcomes(), "teacher/" + r.teacher().model_name(), 1);
    }
    if (!r.has_outcomes()) continue;
    auto add = [&](const std::string& metric, int t) { add_from(r.outcomes(), metric, t); };
    const std::string name = ShortName(r);
    const int n = r.accuracy_at_t_size();
    if (IsTrainedMethod(r.config().method())) {
      add(name, r.train_timesteps());
    } else {
      add(absl::StrCat(name, "@t", n), n);
      for (const TimestepCost& c : r.costs()) add(absl::StrCat(name, "@t", c.timesteps()), c.timesteps());
    }
  }
  std::string out =
      "Why fixed bands remain: the suite runs with fixed seeds, and the same seed on the same\n"
      "machine gives identical metrics, so a metric outside its band means the code or its\n"
      "numerics changed, not that the test images were drawn differently. The test images'\n"
      "noise (bootstrap 95% half-width over the evaluated images, beside each band's\n"
      "half-width below) says how far a number may be trusted, not whether the code changed. No\n"
      "reference record set with per-image outcomes is checked in; to ask whether two commits\n"
      "differ beyond noise, run this suite at both and compare the record directories:\n"
      "  bazel run //tools:lasnn -- compare --a=<runs of one> --b=<runs of the other>\n";
  size_t width = 6;
  for (const AccuracyBand& b : bands.band()) width = std::max(width, b.metric().size());
  absl::StrAppendFormat(&out, "%-*s %8s %8s %16s\n", static_cast<int>(width), "metric", "band+-",
                        "images", "noise+-95%");
  for (const AccuracyBand& b : bands.band()) {
    const double half = b.metric().rfind("gap/", 0) == 0 ? b.golden() - b.low()
                                                          : (b.high() - b.low()) / 2;
    auto it = noise.find(b.metric());
    absl::StrAppendFormat(
        &out, "%-*s %8s %8s %16s\n", static_cast<int>(width), b.metric(),
        absl::StrFormat("%.2f", 100 * half),
        it == noise.end() ? "-" : absl::StrCat(it->second.first),
        it == noise.end() ? "-" : absl::StrFormat("%.2f", 100 * it->second.second));
  }
  return out;
}

}  // namespace lasnn
