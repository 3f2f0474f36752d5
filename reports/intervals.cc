#include "reports/intervals.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/experiment/outcomes.h"
#include "reports/records.h"

namespace lasnn {
namespace report_internal {
namespace {

constexpr char kNoOutcomes[] = "no per-image outcomes";

double Fraction(const std::vector<uint8_t>& c) {
  int64_t k = 0;
  for (uint8_t x : c) k += x;
  return c.empty() ? 0.0 : static_cast<double>(k) / static_cast<double>(c.size());
}

bool AllHaveOutcomes(const std::vector<const RunRecord*>& runs) {
  return !runs.empty() && std::all_of(runs.begin(), runs.end(), [](const RunRecord* r) {
           return r->has_outcomes();
         });
}

std::vector<const EvalOutcomes*> OutcomesOf(const std::vector<const RunRecord*>& runs) {
  std::vector<const EvalOutcomes*> v;
  for (const RunRecord* r : runs) v.push_back(&r->outcomes());
  return v;
}

// The correctness rows of a one-run-each pair at t_a and t_b, or why there are none.
struct PairRows {
  std::string error;
  std::vector<uint8_t> a, b;
};
PairRows PairAt(const EvalOutcomes& a, int ta, const EvalOutcomes& b, int tb) {
  PairRows out;
  absl::StatusOr<PairedCorrectness> p = PairOnSharedImages(a, b);
  if (!p.ok()) {
    out.error = absl::StrCat("not comparable: ", p.status().message());
    return out;
  }
  if (ta < 1 || tb < 1 || ta > static_cast<int>(p->a.size()) ||
      tb > static_cast<int>(p->b.size())) {
    out.error = "outcomes shorter than t";
    return out;
  }
  out.a = std::move(p->a[ta - 1]);
  out.b = std::move(p->b[tb - 1]);
  return out;
}

// Student-t over per-seed differences.
Difference SeedDifference(const std::vector<PairRows>& pairs, const std::string& basis) {
  Difference d;
  std::vector<double> diffs;
  d.images = std::numeric_limits<int32_t>::max();
  for (const PairRows& p : pairs) {
    if (!p.error.empty()) {
      d.basis = p.error;
      d.images = 0;
      return d;
    }
    diffs.push_back(Fraction(p.a) - Fraction(p.b));
    d.images = std::min(d.images, static_cast<int32_t>(p.a.size()));
  }
  const MeanInterval m = SeedMeanInterval(diffs);
  d.available = true;
  d.estimate = m.mean;
  d.interval = m.interval;
  d.basis = basis;
  return d;
}

Difference OneRunDifference(const PairRows& p) {
  Difference d;
  if (!p.error.empty()) {
    d.basis = p.error;
    return d;
  }
  d.available = true;
  d.estimate = Fraction(p.a) - Fraction(p.b);
  d.interval = BootstrapDifference(p.a, p.b);
  d.basis = "images";
  d.images = static_cast<int32_t>(p.a.size());
  return d;
}

// The paired bootstrap of the pooled accuracies of a (at ta) minus b (at tb) on the images all of
// them evaluated; available false (basis: why) when they cannot be pooled.
Difference PooledDifference(const std::vector<const EvalOutcomes*>& a, int ta,
                            const std::vector<const EvalOutcomes*>& b, int tb) {
  Difference d;
  absl::StatusOr<PooledOnSharedImages> p = PoolOnSharedImages({a, b});
  if (!p.ok()) {
    d.basis = absl::StrCat("not comparable: ", p.status().message());
    return d;
  }
  if (ta < 1 || tb < 1 || ta > static_cast<int>(p->rows[0].size()) ||
      tb > static_cast<int>(p->rows[1].size())) {
    d.basis = "outcomes shorter than t";
    return d;
  }
  const PooledRow& ra = p->rows[0][ta - 1];
  const PooledRow& rb = p->rows[1][tb - 1];
  d.available = true;
  d.estimate = PooledAccuracy(ra) - PooledAccuracy(rb);
  d.interval = BootstrapPooledDifference(ra, rb);
  d.basis = absl::StrCat("images, seeds pooled (", a.size(), " vs ", b.size(), ")");
  d.images = p->num_images;
  return d;
}

// A Student-t difference over seeds widened to contain the pooled bootstrap over the images.
Difference WithImageNoise(Difference seeds, const Difference& pooled) {
  if (!seeds.available || !pooled.available) return seeds;
  seeds.interval = Hull(seeds.interval, pooled.interval);
  absl::StrAppend(&seeds.basis, " and images");
  return seeds;
}

// seed -> run, or empty when a seed repeats.
std::map<uint64_t, const RunRecord*> BySeed(const std::vector<const RunRecord*>& runs) {
  std::map<uint64_t, const RunRecord*> m;
  for (const RunRecord* r : runs) {
    if (!m.emplace(SeedOf(*r), r).second) return {};
  }
  return m;
}

}  // namespace

AccuracyInterval AccuracyIntervalOf(const std::vector<const RunRecord*>& runs,
                                    const std::vector<double>& acc, int t) {
  AccuracyInterval out;
  if (acc.size() > 1) {
    out.available = true;
    out.interval = SeedMeanInterval(acc).interval;
    out.basis = "seeds";
    if (AllHaveOutcomes(runs)) {
      absl::StatusOr<PooledOnSharedImages> p = PoolOnSharedImages({OutcomesOf(runs)});
      if (p.ok() && t >= 1 && t <= static_cast<int>(p->rows[0].size())) {
        out.interval = Hull(out.interval, BootstrapPooledAccuracy(p->rows[0][t - 1]));
        out.basis = "seeds and images";
      }
    }
    return out;
  }
  if (runs.size() != 1 || !runs[0]->has_outcomes()) {
    out.basis = absl::StrCat("unavailable (", kNoOutcomes, ")");
    return out;
  }
  const EvalOutcomes& o = runs[0]->outcomes();
  absl::StatusOr<std::vector<std::vector<bool>>> correct = CorrectAtT(o);
  if (!correct.ok() || t < 1 || t > static_cast<int>(correct->size())) {
    out.basis = "unavailable (malformed or short outcomes)";
    return out;
  }
  const std::vector<bool>& row = (*correct)[t - 1];
  out.available = true;
  out.interval = BootstrapAccuracy(std::vector<uint8_t>(row.begin(), row.end()));
  out.basis = "images";
  return out;
}

Difference DifferenceOf(const RunsAt& a, const RunsAt& b) {
  Difference d;
  if (!AllHaveOutcomes(a.runs) || !AllHaveOutcomes(b.runs)) {
    d.basis = kNoOutcomes;
    return d;
  }
  if (a.runs.size() == 1 && b.runs.size() == 1) {
    return OneRunDifference(PairAt(a.runs[0]->outcomes(), a.t, b.runs[0]->outcomes(), b.t));
  }
  const std::map<uint64_t, const RunRecord*> sa = BySeed(a.runs), sb = BySeed(b.runs);
  std::vector<PairRows> pairs;
  for (const auto& [seed, ra] : sa) {
    auto it = sb.find(seed);
    if (it != sb.end()) pairs.push_back(PairAt(ra->outcomes(), a.t, it->second->outcomes(), b.t));
  }
  const Difference pooled = PooledDifference(OutcomesOf(a.runs), a.t, OutcomesOf(b.runs), b.t);
  if (pairs.size() >= 2) {
    return WithImageNoise(
        SeedDifference(pairs, absl::StrCat(pairs.size(), " seeds, paired by seed,")), pooled);
  }
  return pooled;
}

Difference DifferenceVsAnn(const RunsAt& a, const TeacherResult* teacher) {
  Difference d;
  if (!AllHaveOutcomes(a.runs)) {
    d.basis = kNoOutcomes;
    return d;
  }
  std::vector<PairRows> pairs;
  std::vector<const EvalOutcomes*> anns;
  for (const RunRecord* r : a.runs) {
    const EvalOutcomes* ann = nullptr;
    if (r->config().method() == QCFS) {
      if (!r->qcfs_ann().has_outcomes()) {
        d.basis = "its ANN (QCFS-trained) has no per-image outcomes";
        return d;
      }
      ann = &r->qcfs_ann().outcomes();
    } else if (r->has_teacher()) {
      if (r->teacher().has_outcomes()) ann = &r->teacher().outcomes();
    } else if (teacher != nullptr && teacher->has_outcomes()) {
      ann = &teacher->outcomes();
    }
    if (ann == nullptr) {
      d.basis = "the ANN has no per-image outcomes";
      return d;
    }
    pairs.push_back(PairAt(r->outcomes(), a.t, *ann, 1));
    anns.push_back(ann);
  }
  if (pairs.size() == 1) return OneRunDifference(pairs[0]);
  return WithImageNoise(SeedDifference(pairs, absl::StrCat(pairs.size(), " seeds")),
                        PooledDifference(OutcomesOf(a.runs), a.t, anns, 1));
}

ReachRatio ReachRatioOf(const std::vector<RunsAt>& rows, const RunsAt& reference) {
  ReachRatio out;
  // Pool each distinct set of runs once (a conversion's rows share theirs).
  std::vector<std::vector<const RunRecord*>> sets;
  auto set_of = [&](const std::vector<const RunRecord*>& runs) {
    for (size_t i = 0; i < sets.size(); ++i) {
      if (sets[i] == runs) return i;
    }
    sets.push_back(runs);
    return sets.size() - 1;
  };
  const size_t ref_set = set_of(reference.runs);
  std::vector<size_t> row_set;
  for (const RunsAt& r : rows) row_set.push_back(set_of(r.runs));
  for (const auto& runs : sets) {
    if (!AllHaveOutcomes(runs)) {
      out.why = kNoOutcomes;
      return out;
    }
  }
  if (rows.empty()) {
    out.why = "nothing to compare";
    return out;
  }
  std::vector<std::vector<const EvalOutcomes*>> groups;
  for (const auto& runs : sets) groups.push_back(OutcomesOf(runs));
  absl::StatusOr<PooledOnSharedImages> p = PoolOnSharedImages(groups);
  if (!p.ok()) {
    out.why = absl::StrCat("not comparable: ", p.status().message());
    return out;
  }
  auto row_at = [&](size_t set, int t) -> const PooledRow* {
    const std::vector<PooledRow>& v = p->rows[set];
    return t >= 1 && t <= static_cast<int>(v.size()) ? &v[t - 1] : nullptr;
  };
  const PooledRow* ref = row_at(ref_set, reference.t);
  std::vector<PooledRow> candidates;
  for (size_t k = 0; k < rows.size(); ++k) {
    const PooledRow* r = row_at(row_set[k], rows[k].t);
    if (ref == nullptr || r == nullptr) {
      out.why = "outcomes shorter than t";
      return out;
    }
    candidates.push_back(*r);
  }
  out.available = true;
  out.images = p->num_images;
  out.reference_accuracy = PooledAccuracy(*ref);
  out.max_timesteps = candidates.back().timesteps;
  out.need = FirstRowReaching(candidates, *ref);
  out.ratio = out.need > 0 ? static_cast<double>(out.need) / reference.t
                           : std::numeric_limits<double>::infinity();
  out.interval = BootstrapReachRatio(candidates, *ref);
  return out;
}

}  // namespace report_internal
}  // namespace lasnn
