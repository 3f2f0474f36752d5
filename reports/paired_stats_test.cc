#include "reports/paired_stats.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "benchmarks/experiment/outcomes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

// n images, the first k correct.
std::vector<uint8_t> FirstCorrect(int n, int k) {
  std::vector<uint8_t> c(n, 0);
  for (int i = 0; i < k; ++i) c[i] = 1;
  return c;
}

TEST(PairedStatsTest, AccuracyIntervalCoversTheEstimateAndShrinksWithImages) {
  const Interval small = BootstrapAccuracy(FirstCorrect(100, 80));
  const Interval large = BootstrapAccuracy(FirstCorrect(10000, 8000));
  EXPECT_TRUE(small.Contains(0.8));
  EXPECT_TRUE(large.Contains(0.8));
  // The binomial standard error is 0.04 at n = 100 and 0.004 at n = 10000.
  EXPECT_NEAR(small.hi - small.lo, 4 * 0.04, 0.04);
  EXPECT_NEAR(large.hi - large.lo, 4 * 0.004, 0.004);
}

TEST(PairedStatsTest, FixedSeedIsDeterministic) {
  const std::vector<uint8_t> c = FirstCorrect(500, 300);
  const Interval a = BootstrapAccuracy(c), b = BootstrapAccuracy(c);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  const Interval other = BootstrapAccuracy(c, kBootstrapResamples, kBootstrapSeed + 1);
  EXPECT_TRUE(other.lo != a.lo || other.hi != a.hi);
}

TEST(PairedStatsTest, PairedDifferenceResolvesWhatUnpairedNoiseWouldHide) {
  // b equals a except on 30 of 2000 images, where only a is right: a 1.5-point difference, far
  // smaller than either accuracy's own interval, but every resample sees it.
  std::vector<uint8_t> a(2000), b(2000);
  for (int i = 0; i < 2000; ++i) a[i] = b[i] = (i % 2 == 0);
  for (int i = 1; i < 60; i += 2) a[i] = 1;
  const Interval d = BootstrapDifference(a, b);
  EXPECT_GT(d.lo, 0);
  EXPECT_TRUE(d.Contains(0.015));
  // Identical outcomes: the interval is exactly 0.
  const Interval same = BootstrapDifference(b, b);
  EXPECT_EQ(same.lo, 0);
  EXPECT_EQ(same.hi, 0);
  EXPECT_TRUE(std::isnan(BootstrapDifference(a, FirstCorrect(3, 1)).lo));
}

TEST(PairedStatsTest, TimestepRatio) {
  // Reference: 80% at T = 4. Curve: 10%, 50%, 79.5%, 90% at t = 1..4, ... up to t = 8.
  const int n = 2000;
  const std::vector<uint8_t> ref = FirstCorrect(n, 1600);
  Correctness curve = {FirstCorrect(n, 200), FirstCorrect(n, 1000), FirstCorrect(n, 1590),
                       FirstCorrect(n, 1800)};
  for (int t = 4; t < 8; ++t) curve.push_back(FirstCorrect(n, 1900));
  EXPECT_EQ(FirstReaching(curve, 0.8, 0.01), 3);
  EXPECT_EQ(FirstReaching(curve, 0.8, 0.0), 4);
  EXPECT_EQ(FirstReaching(curve, 0.99, 0.0), -1);
  const Interval r = BootstrapTimestepRatio(curve, ref, 4, 0.01);
  EXPECT_GE(r.lo, 0.75 - 1e-12);
  EXPECT_LE(r.hi, 1.0 + 1e-12);
  // A curve that never gets there: the ratio is unbounded.
  const Interval never = BootstrapTimestepRatio({FirstCorrect(n, 10)}, ref, 4, 0.01);
  EXPECT_TRUE(std::isinf(never.lo));
}

TEST(PairedStatsTest, SeedMeanInterval) {
  const MeanInterval one = SeedMeanInterval({0.9});
  EXPECT_EQ(one.mean, 0.9);
  EXPECT_EQ(one.interval.lo, 0.9);
  const MeanInterval three = SeedMeanInterval({0.80, 0.82, 0.84});
  EXPECT_NEAR(three.mean, 0.82, 1e-12);
  // std 0.02, se 0.02 / sqrt(3), t(2) = 4.303.
  EXPECT_NEAR(three.interval.hi - three.mean, 4.303 * 0.02 / std::sqrt(3.0), 1e-9);
  EXPECT_TRUE(std::isnan(SeedMeanInterval({}).mean));
}

TEST(PairedStatsTest, PairsOnlyTheSharedImages) {
  // a: images 0..5, b: images 2..9; both label image i as i % 3.
  std::vector<int64_t> la, lb;
  for (int i = 0; i < 6; ++i) la.push_back(i % 3);
  for (int i = 2; i < 10; ++i) lb.push_back(i % 3);
  std::vector<int64_t> pa = la, pb = lb;
  pa[3] = 9;  // a wrong on image 3
  pb[0] = 9;  // b wrong on image 2
  absl::StatusOr<EvalOutcomes> a = PackOutcomes(0, "", la, {pa});
  absl::StatusOr<EvalOutcomes> b = PackOutcomes(2, "", lb, {pb});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  absl::StatusOr<PairedCorrectness> p = PairOnSharedImages(*a, *b);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->first_image, 2);
  EXPECT_EQ(p->num_images, 4);
  EXPECT_EQ(p->a[0], (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_EQ(p->b[0], (std::vector<uint8_t>{0, 1, 1, 1}));

  absl::StatusOr<EvalOutcomes> far = PackOutcomes(100, "", {0}, {{0}});
  ASSERT_THAT(far, IsOk());
  EXPECT_THAT(PairOnSharedImages(*a, *far).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share no image")));
  absl::StatusOr<EvalOutcomes> relabelled = PackOutcomes(0, "", {2, 2}, {{2, 2}});
  ASSERT_THAT(relabelled, IsOk());
  EXPECT_THAT(PairOnSharedImages(*a, *relabelled).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("same test set")));
}

TEST(PairedStatsTest, SameRangeWithDifferentImagesIsAnotherTestSet) {
  absl::StatusOr<EvalOutcomes> a = PackOutcomes(0, "aaaa", {1, 2}, {{1, 2}});
  absl::StatusOr<EvalOutcomes> b = PackOutcomes(0, "bbbb", {1, 2}, {{1, 2}});
  absl::StatusOr<EvalOutcomes> unknown = PackOutcomes(0, "", {1, 2}, {{1, 2}});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(unknown, IsOk());
  EXPECT_THAT(PairOnSharedImages(*a, *b).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("images_sha256")));
  EXPECT_THAT(PairOnSharedImages(*a, *unknown), IsOk());
  EvalOutcomes broken = *a;
  broken.mutable_labels()->resize(1);
  EXPECT_THAT(PairOnSharedImages(broken, *a).status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PairedStatsTest, PoolsRunsOnTheImagesAllEvaluated) {
  // Two runs of one method (images 0..5 and 1..6) and one of another (images 2..9); labels i % 3.
  auto make = [](int first, int n, int wrong_image, int steps) {
    std::vector<int64_t> labels;
    for (int i = first; i < first + n; ++i) labels.push_back(i % 3);
    std::vector<std::vector<int64_t>> pred(steps, labels);
    pred.back()[wrong_image - first] = 7;
    absl::StatusOr<EvalOutcomes> o = PackOutcomes(first, "", labels, pred);
    EXPECT_THAT(o, IsOk());
    return *o;
  };
  const EvalOutcomes a1 = make(0, 6, 2, 2), a2 = make(1, 6, 3, 3), b = make(2, 8, 2, 1);
  absl::StatusOr<PooledOnSharedImages> p = PoolOnSharedImages({{&a1, &a2}, {&b}});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->first_image, 2);
  EXPECT_EQ(p->num_images, 4);  // images 2..5
  ASSERT_EQ(p->rows.size(), 2u);
  ASSERT_EQ(p->rows[0].size(), 2u);  // the shorter run has 2 steps
  EXPECT_EQ(p->rows[0][1].timesteps, 2);
  EXPECT_EQ(p->rows[0][1].runs, 2);
  EXPECT_EQ(p->rows[0][1].counts, (std::vector<uint8_t>{1, 2, 2, 2}));
  EXPECT_EQ(p->rows[0][0].counts, (std::vector<uint8_t>{2, 2, 2, 2}));
  EXPECT_EQ(p->rows[1][0].counts, (std::vector<uint8_t>{0, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(PooledAccuracy(p->rows[0][1]), 7.0 / 8);

  const EvalOutcomes far = make(20, 2, 20, 1);
  EXPECT_THAT(PoolOnSharedImages({{&a1}, {&far}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share no image")));
  EXPECT_THAT(PoolOnSharedImages({{&a1}, {}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PairedStatsTest, PooledDifferenceAndReachRatio) {
  // One run equals BootstrapDifference.
  std::vector<uint8_t> a(2000), b(2000);
  for (int i = 0; i < 2000; ++i) a[i] = b[i] = (i % 2 == 0);
  for (int i = 1; i < 60; i += 2) a[i] = 1;
  const Interval d1 = BootstrapDifference(a, b);
  const Interval d2 = BootstrapPooledDifference(PooledRow{1, 1, a}, PooledRow{1, 1, b});
  EXPECT_EQ(d1.lo, d2.lo);
  EXPECT_EQ(d1.hi, d2.hi);
  // Two runs pooled: counts 0..2, the mean accuracy.
  std::vector<uint8_t> two(2000);
  for (int i = 0; i < 2000; ++i) two[i] = static_cast<uint8_t>(a[i] + b[i]);
  const PooledRow pooled{1, 2, two};
  EXPECT_DOUBLE_EQ(PooledAccuracy(pooled), (1030.0 + 1000.0) / 4000);
  const Interval half = BootstrapPooledDifference(pooled, PooledRow{1, 1, b});
  EXPECT_GT(half.lo, 0);
  EXPECT_TRUE(half.Contains(0.0075));
  EXPECT_TRUE(std::isnan(BootstrapPooledDifference(pooled, PooledRow{1, 1, {1}}).lo));

  // Reach ratio against a 2-run reference (80% mean) at T = 4: rows at t = 8 (50%) and 16 (90%).
  PooledRow ref80{4, 2, std::vector<uint8_t>(1000, 0)};
  const PooledRow r8{8, 1, FirstCorrect(1000, 500)}, r16{16, 1, FirstCorrect(1000, 900)};
  for (int i = 0; i < 1000; ++i) ref80.counts[i] = i < 700 ? 2 : (i < 900 ? 1 : 0);  // 80%
  EXPECT_EQ(FirstRowReaching({r8, r16}, ref80), 16);
  EXPECT_EQ(FirstRowReaching({r8}, ref80), -1);
  const Interval ratio = BootstrapReachRatio({r8, r16}, ref80);
  EXPECT_EQ(ratio.lo, 4);
  EXPECT_EQ(ratio.hi, 4);
  EXPECT_TRUE(std::isinf(BootstrapReachRatio({r8}, ref80).lo));
  EXPECT_TRUE(std::isnan(BootstrapReachRatio({PooledRow{8, 1, {1}}}, ref80).lo));
}

}  // namespace
}  // namespace lasnn
