#include "benchmarks/regression.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmarks/experiment/experiment_config.h"

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

}  // namespace lasnn
