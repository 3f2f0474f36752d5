#include "reports/compare.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmarks/experiment/outcomes.h"
#include "benchmarks/experiment/record_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

constexpr int kImages = 2000;

// Outcomes on images 0 .. kImages - 1 (label: index mod 10), right where rows[t][i].
EvalOutcomes Outcomes(const std::vector<std::vector<bool>>& rows) {
  std::vector<int64_t> labels(kImages);
  for (int i = 0; i < kImages; ++i) labels[i] = i % 10;
  std::vector<std::vector<int64_t>> pred;
  for (const std::vector<bool>& row : rows) {
    std::vector<int64_t> p(kImages);
    for (int i = 0; i < kImages; ++i) p[i] = row[i] ? labels[i] : (labels[i] + 3) % 10;
    pred.push_back(p);
  }
  absl::StatusOr<EvalOutcomes> o = PackOutcomes(0, "fixture-images", labels, pred);
  EXPECT_THAT(o, IsOk());
  return o.ok() ? *o : EvalOutcomes();
}

// Right on the first k images.
std::vector<bool> FirstRight(int k) {
  std::vector<bool> v(kImages, false);
  for (int i = 0; i < k; ++i) v[i] = true;
  return v;
}

// `base` with `gain` more images right (taken from the wrong ones, from the end) and `loss` fewer
// (from the right ones, from the start): a planted difference of (gain - loss) / kImages, on
// gain + loss discordant images.
std::vector<bool> Plant(std::vector<bool> base, int gain, int loss) {
  for (int i = kImages - 1; i >= 0 && gain > 0; --i) {
    if (!base[i]) {
      base[i] = true;
      --gain;
    }
  }
  for (int i = 0; i < kImages && loss > 0; ++i) {
    if (base[i]) {
      base[i] = false;
      --loss;
    }
  }
  return base;
}

double Accuracy(const std::vector<bool>& row) {
  int k = 0;
  for (bool b : row) k += b;
  return static_cast<double>(k) / kImages;
}

// A trained record at T whose last step has `right` (earlier steps: half of the images).
RunRecord Trained(const std::string& name, Method m, int T, uint64_t seed,
                  const std::vector<bool>& right, bool outcomes = true) {
  RunRecord r;
  r.set_config_hash(absl::StrCat(name, "_", static_cast<int>(m), "_T", T, "_s", seed));
  r.mutable_config()->set_name(absl::StrCat(name, "/T", T, "/seed", seed));
  r.mutable_config()->set_method(m);
  r.mutable_config()->set_seed(seed);
  r.mutable_config()->mutable_train()->set_timesteps(T);
  r.mutable_config()->mutable_train()->set_seed(seed);
  r.set_status(RunRecord::OK);
  r.set_student_name("student");
  r.set_train_timesteps(T);
  std::vector<std::vector<bool>> rows(T, FirstRight(kImages / 2));
  rows[T - 1] = right;
  for (const auto& row : rows) r.add_accuracy_at_t(Accuracy(row));
  r.set_eval_samples(kImages);
  if (outcomes) *r.mutable_outcomes() = Outcomes(rows);
  return r;
}

// A MaxNorm conversion whose curve reaches `right` at t = 16 (cost timesteps 8 and 16).
RunRecord Conversion(uint64_t seed, const std::vector<bool>& right) {
  RunRecord r;
  r.set_config_hash(absl::StrCat("conv", seed));
  r.mutable_config()->set_name(absl::StrCat("maxnorm/seed", seed));
  r.mutable_config()->set_method(CONVERSION_MAX);
  r.mutable_config()->set_seed(seed);
  r.set_status(RunRecord::OK);
  std::vector<std::vector<bool>> rows;
  for (int t = 1; t <= 16; ++t) rows.push_back(t < 16 ? FirstRight(100 * t) : right);
  for (const auto& row : rows) r.add_accuracy_at_t(Accuracy(row));
  r.add_costs()->set_timesteps(8);
  r.add_costs()->set_timesteps(16);
  r.set_eval_samples(kImages);
  *r.mutable_outcomes() = Outcomes(rows);
  return r;
}

const ComparedPair* Find(const RecordSetComparison& c, const std::string& experiment, int t) {
  for (const ComparedPair& p : c.pairs) {
    if (p.experiment == experiment && p.t == t) return &p;
  }
  return nullptr;
}

TEST(CompareTest, PlantedDifferencesBelowAndAboveTheNoise) {
  const std::vector<bool> base = FirstRight(1800);  // 90%
  // Small: +0.10 points on 40 discordant images (21 gained, 19 lost): within noise.
  // Large: +3.00 points, 60 images gained and none lost: resolved.
  const std::vector<RunRecord> a = {Trained("small", LASNN_JOINT, 4, 1, base),
                                    Trained("large", LOGIT_KD, 4, 1, base)};
  const std::vector<RunRecord> b = {Trained("small", LASNN_JOINT, 4, 1, Plant(base, 21, 19)),
                                    Trained("large", LOGIT_KD, 4, 1, Plant(base, 60, 0))};
  absl::StatusOr<RecordSetComparison> c = CompareRecordSets(a, "A", b, "B");
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->pairs.size(), 2u);
  const ComparedPair* small = Find(*c, "small/T4/seed1", 4);
  const ComparedPair* large = Find(*c, "large/T4/seed1", 4);
  ASSERT_NE(small, nullptr);
  ASSERT_NE(large, nullptr);
  EXPECT_TRUE(small->paired);
  EXPECT_NEAR(small->difference, 0.001, 1e-12);
  EXPECT_TRUE(small->interval.Contains(0));
  EXPECT_EQ(small->verdict, kUnresolved);
  EXPECT_EQ(small->matched_by, "config hash");
  EXPECT_EQ(small->images, kImages);
  EXPECT_NEAR(large->difference, 0.03, 1e-12);
  EXPECT_GT(large->interval.lo, 0);
  EXPECT_EQ(large->verdict, kResolved);
  EXPECT_TRUE(c->seeds.empty());
  EXPECT_TRUE(c->only_in_a.empty());
  EXPECT_TRUE(c->only_in_b.empty());
}

TEST(CompareTest, SeedsConversionsAndMatchingByName) {
  const std::vector<bool> base = FirstRight(1800);
  std::vector<RunRecord> a, b;
  // Three seeds of one experiment, each 1.5 points better in B: resolved over the seeds.
  for (uint64_t s = 1; s <= 3; ++s) {
    a.push_back(Trained("seeds", LASNN_JOINT, 2, s, base));
    b.push_back(Trained("seeds", LASNN_JOINT, 2, s, Plant(base, 30 + static_cast<int>(s), 0)));
  }
  // Three seeds that move by -0.5, +0.05, +0.5 points: unresolved over the seeds.
  const int moves[3][2] = {{0, 10}, {1, 0}, {10, 0}};
  for (uint64_t s = 1; s <= 3; ++s) {
    a.push_back(Trained("noisy", DIRECT, 2, s, base));
    b.push_back(Trained("noisy", DIRECT, 2, s, Plant(base, moves[s - 1][0], moves[s - 1][1])));
  }
  // A conversion compared at its cost timesteps 8 and 16.
  a.push_back(Conversion(1, base));
  b.push_back(Conversion(1, Plant(base, 100, 0)));
  // Same name and seed, another config hash (a default changed); and records on one side only.
  a.push_back(Trained("renamed", LOGIT_KD, 4, 1, base));
  RunRecord moved = Trained("renamed", LOGIT_KD, 4, 1, base);
  moved.set_config_hash("changed_default");
  b.push_back(moved);
  a.push_back(Trained("only_a", LOGIT_KD, 8, 1, base));
  b.push_back(Trained("only_b", LOGIT_KD, 8, 1, base));
  // A diverged record in B and one without outcomes in A.
  RunRecord diverged = Trained("diverged", DIRECT, 8, 1, base);
  a.push_back(diverged);
  diverged.set_status(RunRecord::DIVERGED);
  diverged.set_status_message("loss is NaN");
  b.push_back(diverged);
  a.push_back(Trained("old", DIRECT, 1, 1, base, /*outcomes=*/false));
  b.push_back(Trained("old", DIRECT, 1, 1, base));

  absl::StatusOr<RecordSetComparison> c = CompareRecordSets(a, "A", b, "B");
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->seeds.size(), 2u);
  for (const SeedsComparison& s : c->seeds) {
    EXPECT_EQ(s.seeds, 3);
    EXPECT_EQ(s.t, 2);
    if (s.experiment.find("LaSNN") != std::string::npos) {
      EXPECT_NEAR(s.difference.mean, 0.016, 1e-12);  // (31 + 32 + 33) / 3 / 2000
      EXPECT_EQ(s.verdict, kResolved);
    } else {
      EXPECT_NE(s.experiment.find("Direct"), std::string::npos) << s.experiment;
      EXPECT_EQ(s.verdict, kUnresolved);
    }
  }
  const ComparedPair* t8 = Find(*c, "maxnorm/seed1", 8);
  const ComparedPair* t16 = Find(*c, "maxnorm/seed1", 16);
  ASSERT_NE(t8, nullptr);
  ASSERT_NE(t16, nullptr);
  EXPECT_EQ(t8->difference, 0);
  EXPECT_EQ(t8->verdict, kUnresolved);
  EXPECT_NEAR(t16->difference, 0.05, 1e-12);
  EXPECT_EQ(t16->verdict, kResolved);
  const ComparedPair* renamed = Find(*c, "renamed/T4/seed1", 4);
  ASSERT_NE(renamed, nullptr);
  EXPECT_EQ(renamed->matched_by, "name and seed");
  const ComparedPair* old = Find(*c, "old/T1/seed1", 1);
  ASSERT_NE(old, nullptr);
  EXPECT_FALSE(old->paired);
  EXPECT_EQ(old->verdict, "unavailable (no per-image outcomes in A)");
  EXPECT_EQ(c->only_in_a, std::vector<std::string>{"only_a/T8/seed1"});
  EXPECT_EQ(c->only_in_b, std::vector<std::string>{"only_b/T8/seed1"});
  ASSERT_EQ(c->not_compared.size(), 1u);
  EXPECT_THAT(c->not_compared[0], HasSubstr("B: DIVERGED loss is NaN"));

  const std::string text = FormatComparison(*c, "A dir", "B dir");
  EXPECT_THAT(text, HasSubstr("| maxnorm/seed1 | 1 | 16 | 90.00 | 95.00 | 5.00 | ["));
  EXPECT_THAT(text, HasSubstr("## Over seeds"));
  EXPECT_THAT(text, HasSubstr("Only in A: only_a/T8/seed1."));
  EXPECT_THAT(text, HasSubstr("Only in B: only_b/T8/seed1."));
  EXPECT_THAT(text, HasSubstr("Summary: 10 comparisons"));
}

TEST(CompareTest, DifferentTestSetsAreNotCompared) {
  const RunRecord a = Trained("x", LASNN_JOINT, 1, 1, FirstRight(1800));
  RunRecord b = a;
  b.mutable_outcomes()->set_images_sha256("other-images");
  absl::StatusOr<RecordSetComparison> c = CompareRecordSets({a}, "A", {b}, "B");
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->pairs.size(), 1u);
  EXPECT_FALSE(c->pairs[0].paired);
  EXPECT_THAT(c->pairs[0].verdict, HasSubstr("not comparable"));
}

TEST(CompareTest, DirectoriesAndBadInput) {
  const std::string a = TestTmpPath("cmp_a"), b = TestTmpPath("cmp_b");
  const std::vector<bool> base = FirstRight(1800);
  ASSERT_THAT(WriteRecord(a, Trained("large", LOGIT_KD, 4, 1, base)), IsOk());
  ASSERT_THAT(WriteRecord(b, Trained("large", LOGIT_KD, 4, 1, Plant(base, 60, 0))), IsOk());
  absl::StatusOr<std::string> text = CompareRecordDirs(a, b);
  ASSERT_THAT(text, IsOk());
  EXPECT_THAT(*text, HasSubstr("| large/T4/seed1 | 1 | 4 | 90.00 | 93.00 | 3.00 | ["));
  EXPECT_THAT(*text, HasSubstr("| resolved | config hash |"));
  EXPECT_THAT(*text, HasSubstr(absl::StrCat("A: ", a, " (1 records)")));

  EXPECT_THAT(CompareRecordDirs(TestTmpPath("cmp_missing"), b).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cmp_missing")));
  const std::string empty = TestTmpPath("cmp_empty");
  ASSERT_THAT(MakeDirectories(empty), IsOk());
  EXPECT_THAT(CompareRecordDirs(a, empty).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no run records (*.pb) in")));
  // Malformed outcomes name the record file.
  const std::string bad = TestTmpPath("cmp_bad");
  RunRecord broken = Trained("large", LOGIT_KD, 4, 1, base);
  broken.mutable_outcomes()->mutable_predicted_at_t(0)->resize(7);
  ASSERT_THAT(WriteRecord(bad, broken), IsOk());
  EXPECT_THAT(CompareRecordDirs(a, bad).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(JoinPath(bad, broken.config_hash() + ".pb"))));
  // A file that is not a record.
  const std::string corrupt = TestTmpPath("cmp_corrupt");
  ASSERT_THAT(MakeDirectories(corrupt), IsOk());
  ASSERT_THAT(WriteFileAtomically(JoinPath(corrupt, "junk.pb"), "\xff\xff\xff"), IsOk());
  EXPECT_THAT(CompareRecordDirs(corrupt, b).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("junk.pb")));
}

}  // namespace
}  // namespace lasnn
