#include "reports/paired_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "benchmarks/experiment/outcomes.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (multiply-shift; bias below 2^-32 for n < 2^32).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

 private:
  uint64_t state_;
};

// How often each of n images is drawn in one resample of n draws.
void DrawWeights(SplitMix64& rng, std::vector<uint32_t>& w) {
  std::fill(w.begin(), w.end(), 0u);
  const uint32_t n = static_cast<uint32_t>(w.size());
  for (uint32_t k = 0; k < n; ++k) ++w[rng.Below(n)];
}

// sum c[i] * w[i]. The weights of a resample sum to the number of images n, so the sum is at most
// 255 n: below 2^32 it is accumulated in 32 bits, which the compiler vectorises (the bootstrap
// of a 256-step curve over 10,000 images spends its time here); exact either way.
int64_t WeightedSum(const std::vector<uint8_t>& c, const std::vector<uint32_t>& w) {
  if (c.size() < (size_t{1} << 24)) {
    uint32_t s = 0;
    for (size_t i = 0; i < c.size(); ++i) s += static_cast<uint32_t>(c[i]) * w[i];
    return s;
  }
  int64_t s = 0;
  for (size_t i = 0; i < c.size(); ++i) s += static_cast<int64_t>(c[i]) * w[i];
  return s;
}

// The 2.5th and 97.5th percentiles (nearest rank on the sorted values).
Interval Percentiles(std::vector<double> v) {
  if (v.empty()) return {kNaN, kNaN};
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    const size_t k = static_cast<size_t>(std::floor(q * static_cast<double>(v.size() - 1) + 0.5));
    return v[std::min(k, v.size() - 1)];
  };
  return {at(0.025), at(0.975)};
}

double Accuracy(const std::vector<uint8_t>& c) {
  int64_t k = 0;
  for (uint8_t x : c) k += x;
  return c.empty() ? 0.0 : static_cast<double>(k) / static_cast<double>(c.size());
}

// Rows of `o` restricted to images [first, first + n) (o's own indices shifted by first_image).
Correctness Slice(const EvalOutcomes& o, int32_t first, int32_t n) {
  Correctness out(o.predicted_at_t_size());
  const size_t off = static_cast<size_t>(first - o.first_image());
  for (int t = 0; t < o.predicted_at_t_size(); ++t) {
    out[t].resize(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
      out[t][i] = o.predicted_at_t(t)[off + i] == o.labels()[off + i];
    }
  }
  return out;
}

// Student-t 0.975 quantiles for 1..30 degrees of freedom; 1.96 beyond.
double TQuantile(size_t df) {
  static constexpr double kT[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                  2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                  2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                  2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  return df >= 1 && df <= 30 ? kT[df - 1] : 1.96;
}

// OK when well-formed `a` and `b` share an image, agree on the labels of the shared images, and
// carry the same images_sha256 when they cover the same images; else InvalidArgument.
absl::Status CheckSameTestSet(const EvalOutcomes& a, const EvalOutcomes& b) {
  const int64_t first = std::max(a.first_image(), b.first_image());
  const int64_t end = std::min(static_cast<int64_t>(a.first_image()) + a.num_images(),
                               static_cast<int64_t>(b.first_image()) + b.num_images());
  if (end <= first) {
    return absl::InvalidArgumentError(absl::StrCat(
        "outcomes share no image: [", a.first_image(), ", ", a.first_image() + a.num_images(),
        ") and [", b.first_image(), ", ", b.first_image() + b.num_images(), ")"));
  }
  if (a.first_image() == b.first_image() && a.num_images() == b.num_images() &&
      !a.images_sha256().empty() && !b.images_sha256().empty() &&
      a.images_sha256() != b.images_sha256()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "outcomes of images [", a.first_image(), ", ", a.first_image() + a.num_images(),
        ") carry different images_sha256: they were not evaluated on the same test set"));
  }
  const size_t n = static_cast<size_t>(end - first);
  if (a.labels().compare(first - a.first_image(), n, b.labels(), first - b.first_image(), n) !=
      0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "outcomes disagree on the labels of images [", first, ", ", end,
        "): they were not evaluated on the same test set"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PairedCorrectness> PairOnSharedImages(const EvalOutcomes& a,
                                                     const EvalOutcomes& b) {
  LASNN_RETURN_IF_ERROR(CheckOutcomes(a));
  LASNN_RETURN_IF_ERROR(CheckOutcomes(b));
  LASNN_RETURN_IF_ERROR(CheckSameTestSet(a, b));
  const int64_t first = std::max(a.first_image(), b.first_image());
  const int64_t end = std::min(static_cast<int64_t>(a.first_image()) + a.num_images(),
                               static_cast<int64_t>(b.first_image()) + b.num_images());
  const int32_t n = static_cast<int32_t>(end - first);
  PairedCorrectness p;
  p.first_image = static_cast<int32_t>(first);
  p.num_images = n;
  p.a = Slice(a, p.first_image, n);
  p.b = Slice(b, p.first_image, n);
  return p;
}

Interval BootstrapAccuracy(const std::vector<uint8_t>& correct, int resamples, uint64_t seed) {
  if (correct.empty()) return {0, 0};
  SplitMix64 rng(seed);
  std::vector<uint32_t> w(correct.size());
  std::vector<double> stats;
  stats.reserve(resamples);
  const double n = static_cast<double>(correct.size());
  for (int r = 0; r < resamples; ++r) {
    DrawWeights(rng, w);
    stats.push_back(static_cast<double>(WeightedSum(correct, w)) / n);
  }
  return Percentiles(std::move(stats));
}

Interval BootstrapDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                             int resamples, uint64_t seed) {
  if (a.size() != b.size()) return {kNaN, kNaN};
  if (a.empty()) return {0, 0};
  SplitMix64 rng(seed);
  std::vector<uint32_t> w(a.size());
  std::vector<double> stats;
  stats.reserve(resamples);
  const double n = static_cast<double>(a.size());
  for (int r = 0; r < resamples; ++r) {
    DrawWeights(rng, w);
    stats.push_back(static_cast<double>(WeightedSum(a, w) - WeightedSum(b, w)) / n);
  }
  return Percentiles(std::move(stats));
}

int FirstReaching(const Correctness& curve, double target, double gap) {
  for (size_t t = 0; t < curve.size(); ++t) {
    if (Accuracy(curve[t]) >= target - gap - 1e-12) return static_cast<int>(t) + 1;
  }
  return -1;
}

Interval BootstrapTimestepRatio(const Correctness& curve, const std::vector<uint8_t>& reference,
                                int reference_t, double gap, int resamples, uint64_t seed) {
  if (reference.empty() || reference_t < 1) return {kNaN, kNaN};
  for (const std::vector<uint8_t>& row : curve) {
    if (row.size() != reference.size()) return {kNaN, kNaN};
  }
  SplitMix64 rng(seed);
  std::vector<uint32_t> w(reference.size());
  std::vector<double> stats;
  stats.reserve(resamples);
  // Compare counts: a row reaches the target when count >= ref_count - gap * n.
  const double n = static_cast<double>(reference.size());
  for (int r = 0; r < resamples; ++r) {
    DrawWeights(rng, w);
    const double need = static_cast<double>(WeightedSum(reference, w)) - gap * n - 1e-9;
    double ratio = kInf;
    for (size_t t = 0; t < curve.size(); ++t) {
      if (static_cast<double>(WeightedSum(curve[t], w)) >= need) {
        ratio = static_cast<double>(t + 1) / reference_t;
        break;
      }
    }
    stats.push_back(ratio);
  }
  return Percentiles(std::move(stats));
}

double PooledAccuracy(const PooledRow& row) {
  if (row.counts.empty() || row.runs < 1) return 0.0;
  int64_t k = 0;
  for (uint8_t x : row.counts) k += x;
  return static_cast<double>(k) /
         (static_cast<double>(row.runs) * static_cast<double>(row.counts.size()));
}

absl::StatusOr<PooledOnSharedImages> PoolOnSharedImages(
    const std::vector<std::vector<const EvalOutcomes*>>& groups) {
  bool any = false;
  int64_t first = 0, end = std::numeric_limits<int64_t>::max();
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].empty() || groups[g].size() > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("group ", g, " has ", groups[g].size(), " runs (1 to 255 can be pooled)"));
    }
    for (const EvalOutcomes* o : groups[g]) {
      LASNN_RETURN_IF_ERROR(CheckOutcomes(*o));
      any = true;
      first = std::max<int64_t>(first, o->first_image());
      end = std::min<int64_t>(end, static_cast<int64_t>(o->first_image()) + o->num_images());
    }
  }
  if (!any) return absl::InvalidArgumentError("no outcomes to pool");
  // Every pair: a shared image, the same labels, the same images.
  std::vector<const EvalOutcomes*> all;
  for (const auto& group : groups) all.insert(all.end(), group.begin(), group.end());
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = i + 1; j < all.size(); ++j) {
      if (all[i] != all[j]) LASNN_RETURN_IF_ERROR(CheckSameTestSet(*all[i], *all[j]));
    }
  }
  if (end <= first) {
    return absl::InvalidArgumentError(
        absl::StrCat("the outcomes share no image common to all of them (images [", first, ", ",
                     end, "))"));
  }
  PooledOnSharedImages p;
  p.first_image = static_cast<int32_t>(first);
  p.num_images = static_cast<int32_t>(end - first);
  for (const auto& group : groups) {
    int len = std::numeric_limits<int>::max();
    for (const EvalOutcomes* o : group) len = std::min(len, o->predicted_at_t_size());
    std::vector<PooledRow> rows(static_cast<size_t>(len));
    for (int t = 0; t < len; ++t) {
      rows[t].timesteps = t + 1;
      rows[t].runs = static_cast<int>(group.size());
      rows[t].counts.assign(static_cast<size_t>(p.num_images), 0);
    }
    for (const EvalOutcomes* o : group) {
      const Correctness c = Slice(*o, p.first_image, p.num_images);
      for (int t = 0; t < len; ++t) {
        for (int32_t i = 0; i < p.num_images; ++i) rows[t].counts[i] += c[t][i];
      }
    }
    p.rows.push_back(std::move(rows));
  }
  return p;
}

Interval BootstrapPooledAccuracy(const PooledRow& row, int resamples, uint64_t seed) {
  if (row.counts.empty() || row.runs < 1) return {0, 0};
  SplitMix64 rng(seed);
  std::vector<uint32_t> w(row.counts.size());
  std::vector<double> stats;
  stats.reserve(resamples);
  const double denom = static_cast<double>(row.counts.size()) * row.runs;
  for (int r = 0; r < resamples; ++r) {
    DrawWeights(rng, w);
    stats.push_back(static_cast<double>(WeightedSum(row.counts, w)) / denom);
  }
  return Percentiles(std::move(stats));
}

Interval Hull(const Interval& a, const Interval& b) {
  auto lo = [](double x, double y) { return std::isnan(x) ? y : std::isnan(y) ? x : std::min(x, y); };
  auto hi = [](double x, double y) { return std::isnan(x) ? y : std::isnan(y) ? x : std::max(x, y); };
  return {lo(a.lo, b.lo), hi(a.hi, b.hi)};
}

Interval BootstrapPooledDifference(const PooledRow& a, const PooledRow& b, int resamples,
                                   uint64_t seed) {
  if (a.counts.size() != b.counts.size() || a.runs < 1 || b.runs < 1) return {kNaN, kNaN};
  if (a.counts.empty()) return {0, 0};
  SplitMix64 rng(seed);
  std::vector<uint32_t> w(a.counts.size());
  std::vector<double> stats;
  stats.reserve(resamples);
  // (sum(w a) / runs_a - sum(w b) / runs_b) / n, with integer numerators until the last step.
  const double denom = static_cast<double>(a.counts.size()) * a.runs * b.runs;
  for (int r = 0; r < resamples; ++r) {
    DrawWeights(rng, w);
    const int64_t num = WeightedSum(a.counts, w) * b.runs - WeightedSum(b.counts, w) * a.runs;
    stats.push_back(static_cast<double>(num) / denom);
  }
  return Percentiles(std::move(stats));
}

namespace {

// Whether `row` reaches `reference` under image weights `w` (exact integer comparison).
bool Reaches(const PooledRow& row, const PooledRow& reference, const std::vector<uint32_t>& w) {
  return WeightedSum(row.counts, w) * reference.runs >= WeightedSum(reference.counts, w) * row.runs;
}

}  // namespace

int FirstRowReaching(const std::vector<PooledRow>& rows, const PooledRow& reference) {
  const std::vector<uint32_t> ones(reference.counts.size(), 1u);
  for (const PooledRow& row : rows) {
    if (row.counts.size() == reference.counts.size() && Reaches(row, reference, ones)) {
      return row.timesteps;
    }
  }
  return -1;
}

Interval BootstrapReachRatio(const std::vector<PooledRow>& rows, const PooledRow& reference,
                             int resamples, uint64_t seed) {
  if (reference.counts.empty() || reference.timesteps < 1 || reference.runs < 1) {
    return {kNaN, kNaN};
  }
  for (const PooledRow& row : rows) {
    if (row.counts.size() != reference.counts.size() || row.runs < 1) return {kNaN, kNaN};
  }
  SplitMix64 rng(seed);
  std::vector<uint32_t> w(reference.counts.size());
  std::vector<double> stats;
  stats.reserve(resamples);
  for (int r = 0; r < resamples; ++r) {
    DrawWeights(rng, w);
    const int64_t ref_sum = WeightedSum(reference.counts, w);
    double ratio = kInf;
    for (const PooledRow& row : rows) {
      if (WeightedSum(row.counts, w) * reference.runs >= ref_sum * row.runs) {
        ratio = static_cast<double>(row.timesteps) / reference.timesteps;
        break;
      }
    }
    stats.push_back(ratio);
  }
  return Percentiles(std::move(stats));
}

MeanInterval SeedMeanInterval(const std::vector<double>& values) {
  MeanInterval m;
  if (values.empty()) return {kNaN, {kNaN, kNaN}};
  double sum = 0;
  for (double v : values) sum += v;
  m.mean = sum / static_cast<double>(values.size());
  if (values.size() == 1) {
    m.interval = {m.mean, m.mean};
    return m;
  }
  double ss = 0;
  for (double v : values) ss += (v - m.mean) * (v - m.mean);
  const double se = std::sqrt(ss / static_cast<double>(values.size() - 1)) /
                    std::sqrt(static_cast<double>(values.size()));
  const double h = TQuantile(values.size() - 1) * se;
  m.interval = {m.mean - h, m.mean + h};
  return m;
}

}  // namespace lasnn
