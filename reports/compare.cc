#include "reports/compare.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/outcomes.h"
#include "benchmarks/experiment/record_io.h"
#include "reports/doc.h"
#include "reports/format.h"
#include "reports/grouping.h"
#include "reports/records.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

using report_internal::DatasetName;
using report_internal::Doc;
using report_internal::ExclusionReason;
using report_internal::Grouped;
using report_internal::GroupName;
using report_internal::IsTrained;
using report_internal::Pct;
using report_internal::Points;
using report_internal::PointsRange;
using report_internal::SeedOf;
using report_internal::StudentOf;
using report_internal::Table;
using report_internal::TrainT;

std::string ExperimentOf(const RunRecord& r) {
  return r.config().name().empty() ? r.config_hash() : r.config().name();
}

// The experiment without its seeds: records of one experiment that differ only in the seed share
// it.
std::string SeedFreeKey(const RunRecord& r) {
  ExperimentConfig c = r.config();
  c.clear_name();
  c.clear_seed();
  if (c.has_train()) c.mutable_train()->clear_seed();
  c.mutable_data()->clear_path();
  c.mutable_data()->clear_decode_threads();
  return c.SerializeAsString();
}

// The t at which a pair is compared (see compare.h).
std::vector<std::pair<int, int>> TimestepsOf(const RunRecord& a, const RunRecord& b) {
  if (IsTrained(a.config().method())) return {{TrainT(a), TrainT(b)}};
  const int len = std::min(a.accuracy_at_t_size(), b.accuracy_at_t_size());
  std::set<int> ts;
  for (const TimestepCost& c : a.costs()) {
    if (c.timesteps() >= 1 && c.timesteps() <= len) ts.insert(c.timesteps());
  }
  if (ts.empty() && len > 0) ts.insert(len);
  std::vector<std::pair<int, int>> out;
  for (int t : ts) out.push_back({t, t});
  return out;
}

double RecordAccuracy(const RunRecord& r, int t) {
  return t >= 1 && t <= r.accuracy_at_t_size() ? r.accuracy_at_t(t - 1) : 0.0;
}

ComparedPair ComparePair(const RunRecord& a, int ta, const RunRecord& b, int tb) {
  ComparedPair p;
  p.experiment = ExperimentOf(a);
  p.seed = SeedOf(a);
  p.t = ta;
  p.accuracy_a = RecordAccuracy(a, ta);
  p.accuracy_b = RecordAccuracy(b, tb);
  p.difference = p.accuracy_b - p.accuracy_a;
  if (!a.has_outcomes() || !b.has_outcomes()) {
    p.verdict = absl::StrCat("unavailable (no per-image outcomes in ",
                             !a.has_outcomes() && !b.has_outcomes() ? "A or B"
                             : !a.has_outcomes()                    ? "A"
                                                                    : "B",
                             ")");
    return p;
  }
  absl::StatusOr<PairedCorrectness> pc = PairOnSharedImages(b.outcomes(), a.outcomes());
  if (!pc.ok()) {
    p.verdict = absl::StrCat("not comparable: ", pc.status().message());
    return p;
  }
  if (tb > static_cast<int>(pc->a.size()) || ta > static_cast<int>(pc->b.size()) || ta < 1 ||
      tb < 1) {
    p.verdict = "unavailable (outcomes shorter than t)";
    return p;
  }
  const std::vector<uint8_t>& cb = pc->a[tb - 1];
  const std::vector<uint8_t>& ca = pc->b[ta - 1];
  auto fraction = [](const std::vector<uint8_t>& c) {
    int64_t k = 0;
    for (uint8_t x : c) k += x;
    return c.empty() ? 0.0 : static_cast<double>(k) / static_cast<double>(c.size());
  };
  p.paired = true;
  p.images = pc->num_images;
  p.accuracy_a = fraction(ca);
  p.accuracy_b = fraction(cb);
  p.difference = p.accuracy_b - p.accuracy_a;
  p.interval = BootstrapDifference(cb, ca);
  p.verdict = Verdict(p.interval);
  return p;
}

std::string Describe(const RunRecord& r) {
  return absl::StrCat(GroupName(r.config().method(), StudentOf(r), true), ", ",
                      DatasetName(r.config().data().kind()),
                      IsTrained(r.config().method()) ? absl::StrCat(", T = ", TrainT(r)) : "");
}

}  // namespace

std::string Verdict(const Interval& interval) {
  return interval.lo > 0 || interval.hi < 0 ? kResolved : kUnresolved;
}

absl::StatusOr<RecordSetComparison> CompareRecordSets(const std::vector<RunRecord>& a,
                                                      const std::string& a_dir,
                                                      const std::vector<RunRecord>& b,
                                                      const std::string& b_dir) {
  for (const auto& [records, dir] : {std::make_pair(&a, &a_dir), std::make_pair(&b, &b_dir)}) {
    for (const RunRecord& r : *records) {
      if (!r.has_outcomes()) continue;
      if (absl::Status s = CheckOutcomes(r.outcomes()); !s.ok()) {
        return absl::DataLossError(
            absl::StrCat(JoinPath(*dir, r.config_hash() + ".pb"), ": ", s.message()));
      }
    }
  }
  // A in a fixed order: experiment name, then config hash.
  std::vector<const RunRecord*> as;
  for (const RunRecord& r : a) as.push_back(&r);
  std::sort(as.begin(), as.end(), [](const RunRecord* x, const RunRecord* y) {
    return std::make_tuple(ExperimentOf(*x), x->config_hash()) <
           std::make_tuple(ExperimentOf(*y), y->config_hash());
  });
  std::map<std::string, const RunRecord*> b_by_hash;
  std::map<std::pair<std::string, uint64_t>, std::vector<const RunRecord*>> b_by_name;
  for (const RunRecord& r : b) {
    b_by_hash[r.config_hash()] = &r;
    if (!r.config().name().empty()) b_by_name[{r.config().name(), SeedOf(r)}].push_back(&r);
  }
  std::set<const RunRecord*> b_used;
  std::vector<std::pair<const RunRecord*, const RunRecord*>> matched(as.size(), {nullptr, nullptr});
  std::vector<std::string> how(as.size());
  for (size_t i = 0; i < as.size(); ++i) {
    auto it = b_by_hash.find(as[i]->config_hash());
    if (it != b_by_hash.end()) {
      matched[i] = {as[i], it->second};
      how[i] = "config hash";
      b_used.insert(it->second);
    }
  }
  for (size_t i = 0; i < as.size(); ++i) {
    if (matched[i].second != nullptr || as[i]->config().name().empty()) continue;
    auto it = b_by_name.find({as[i]->config().name(), SeedOf(*as[i])});
    if (it == b_by_name.end() || it->second.size() != 1 || b_used.count(it->second[0]) > 0) {
      continue;
    }
    matched[i] = {as[i], it->second[0]};
    how[i] = "name and seed";
    b_used.insert(it->second[0]);
  }

  RecordSetComparison out;
  // Each compared pair with its seed-free key (for the seeds table), its records and B's t.
  struct Keyed {
    std::string key;
    int t;
    size_t index;  // into out.pairs
    const RunRecord* a;
    const RunRecord* b;
    int tb;
  };
  // (seed-free key, t) -> pairs, in order of first appearance.
  std::vector<std::pair<std::string, int>> seed_keys;
  std::map<std::pair<std::string, int>, std::vector<const Keyed*>> by_key;
  std::map<std::pair<std::string, int>, std::string> described;
  std::vector<Keyed> keyed;
  for (size_t i = 0; i < as.size(); ++i) {
    const RunRecord& ra = *as[i];
    if (matched[i].second == nullptr) {
      out.only_in_a.push_back(ExperimentOf(ra));
      continue;
    }
    const RunRecord& rb = *matched[i].second;
    const std::string why_a = ExclusionReason(ra), why_b = ExclusionReason(rb);
    if (!why_a.empty() || !why_b.empty() || ra.config().method() != rb.config().method()) {
      std::string why;
      if (!why_a.empty()) why = absl::StrCat("A: ", report_internal::StatusName(ra), " ", why_a);
      if (!why_b.empty()) {
        absl::StrAppend(&why, why.empty() ? "" : "; ", "B: ", report_internal::StatusName(rb),
                        " ", why_b);
      }
      if (why.empty()) why = "different methods";
      out.not_compared.push_back(absl::StrCat(ExperimentOf(ra), " (", why, ")"));
      continue;
    }
    for (const auto& [ta, tb] : TimestepsOf(ra, rb)) {
      ComparedPair p = ComparePair(ra, ta, rb, tb);
      p.matched_by = how[i];
      out.pairs.push_back(std::move(p));
      keyed.push_back(Keyed{SeedFreeKey(ra), ta, out.pairs.size() - 1, &ra, &rb, tb});
      described[{SeedFreeKey(ra), ta}] = Describe(ra);
    }
  }
  for (const RunRecord& r : b) {
    if (b_used.count(&r) == 0) out.only_in_b.push_back(ExperimentOf(r));
  }
  std::sort(out.only_in_b.begin(), out.only_in_b.end());
  for (const Keyed& x : keyed) {
    const std::pair<std::string, int> k{x.key, x.t};
    if (by_key.find(k) == by_key.end()) seed_keys.push_back(k);
    by_key[k].push_back(&x);
  }
  for (const auto& k : seed_keys) {
    const std::vector<const Keyed*>& ps = by_key[k];
    std::set<uint64_t> seeds;
    std::vector<double> diffs;
    std::vector<const EvalOutcomes*> oa, ob;
    for (const Keyed* x : ps) {
      const ComparedPair& p = out.pairs[x->index];
      seeds.insert(p.seed);
      if (p.paired) diffs.push_back(p.difference);
      oa.push_back(&x->a->outcomes());
      ob.push_back(&x->b->outcomes());
    }
    if (seeds.size() < 2 || seeds.size() != ps.size() || diffs.size() != ps.size()) continue;
    SeedsComparison s;
    s.experiment = described[k];
    s.t = k.second;
    s.seeds = static_cast<int>(diffs.size());
    s.difference = SeedMeanInterval(diffs);
    // All seeds are evaluated on the same images: widen to the images' bootstrap of the pooled
    // difference, so that seeds agreeing by chance do not make a point of the interval.
    absl::StatusOr<PooledOnSharedImages> pooled = PoolOnSharedImages({ob, oa});
    const int tb = ps.front()->tb;
    if (pooled.ok() && tb <= static_cast<int>(pooled->rows[0].size()) &&
        s.t <= static_cast<int>(pooled->rows[1].size())) {
      s.difference.interval =
          Hull(s.difference.interval,
               BootstrapPooledDifference(pooled->rows[0][tb - 1], pooled->rows[1][s.t - 1]));
    }
    s.verdict = Verdict(s.difference.interval);
    out.seeds.push_back(std::move(s));
  }
  return out;
}

std::string FormatComparison(const RecordSetComparison& c, const std::string& a_label,
                             const std::string& b_label) {
  Doc doc;
  doc.Heading(1, "Record comparison");
  doc.Paragraph(absl::StrCat(
      "A: ", a_label, ". B: ", b_label,
      ". Each record of A is matched with the record of B that has the same config hash, else "
      "the same experiment name and seed. Accuracies and B − A in percentage points on the test "
      "images both evaluated (column Images), with the 95% paired-bootstrap interval (",
      Grouped(kBootstrapResamples), " resamples, fixed seed): \"", kResolved,
      "\" when the interval excludes 0, \"", kUnresolved,
      "\" when it contains 0. Records without per-image outcomes show their own accuracies and "
      "no interval."));
  Table t;
  t.header = {"Experiment", "Seed", "t", "A (%)", "B (%)", "B − A (points)", "95% interval",
              "Images", "Verdict", "Matched by"};
  t.text_columns = 1;
  std::map<std::string, int> counts;
  for (const ComparedPair& p : c.pairs) {
    t.rows.push_back({p.experiment, absl::StrCat(p.seed), absl::StrCat(p.t), Pct(p.accuracy_a),
                      Pct(p.accuracy_b), Points(p.difference),
                      p.paired ? PointsRange(p.interval.lo, p.interval.hi) : "-",
                      p.paired ? absl::StrCat(p.images) : "-", p.verdict, p.matched_by});
    ++counts[p.verdict == kResolved     ? "resolved"
             : p.verdict == kUnresolved ? "unresolved (within noise)"
                                        : "without an interval"];
  }
  if (t.rows.empty()) {
    doc.Paragraph("No experiment of A matched one of B.");
  } else {
    doc.AddTable(std::move(t));
  }
  if (!c.seeds.empty()) {
    doc.Heading(2, "Over seeds");
    doc.Paragraph(
        "Where several seeds of one experiment matched: the mean of their paired differences "
        "B − A with its Student-t 95% interval over the seeds, widened where needed to contain "
        "the paired bootstrap over the images of the seed-averaged difference (the seeds share "
        "their test images, so the seeds alone do not show the test set's noise).");
    Table s;
    s.header = {"Experiment", "t", "Seeds", "Mean B − A (points)", "95% interval", "Verdict"};
    s.text_columns = 1;
    for (const SeedsComparison& x : c.seeds) {
      s.rows.push_back({x.experiment, absl::StrCat(x.t), absl::StrCat(x.seeds),
                        Points(x.difference.mean),
                        PointsRange(x.difference.interval.lo, x.difference.interval.hi),
                        x.verdict});
    }
    doc.AddTable(std::move(s));
  }
  if (!c.not_compared.empty()) {
    doc.Paragraph(absl::StrCat("Matched but not compared: ", absl::StrJoin(c.not_compared, "; "),
                               "."));
  }
  if (!c.only_in_a.empty()) {
    doc.Paragraph(absl::StrCat("Only in A: ", absl::StrJoin(c.only_in_a, ", "), "."));
  }
  if (!c.only_in_b.empty()) {
    doc.Paragraph(absl::StrCat("Only in B: ", absl::StrJoin(c.only_in_b, ", "), "."));
  }
  std::vector<std::string> parts;
  for (const auto& [verdict, n] : counts) parts.push_back(absl::StrCat(n, " ", verdict));
  doc.Paragraph(absl::StrCat("Summary: ", c.pairs.size(), " comparisons",
                             parts.empty() ? "" : absl::StrCat(": ", absl::StrJoin(parts, ", ")),
                             "; ", c.only_in_a.size(), " only in A, ", c.only_in_b.size(),
                             " only in B, ", c.not_compared.size(), " not compared."));
  return report_internal::RenderMarkdown(doc);
}

absl::StatusOr<std::string> CompareRecordDirs(const std::string& a_dir, const std::string& b_dir) {
  LASNN_ASSIGN_OR_RETURN(const std::vector<RunRecord> a, ReadRecords(a_dir));
  LASNN_ASSIGN_OR_RETURN(const std::vector<RunRecord> b, ReadRecords(b_dir));
  for (const auto& [records, dir] : {std::make_pair(&a, &a_dir), std::make_pair(&b, &b_dir)}) {
    if (records->empty()) {
      return absl::NotFoundError(absl::StrCat("no run records (*.pb) in ", *dir));
    }
  }
  LASNN_ASSIGN_OR_RETURN(const RecordSetComparison c, CompareRecordSets(a, a_dir, b, b_dir));
  return FormatComparison(c, absl::StrCat(a_dir, " (", a.size(), " records)"),
                          absl::StrCat(b_dir, " (", b.size(), " records)"));
}

}  // namespace lasnn
