#include "benchmarks/regression.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "benchmarks/experiment/outcomes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

// A LaSNN record at T = 1 on n images, k right; with per-image outcomes when `outcomes`.
RunRecord Trained(const std::string& name, int n, int k, bool outcomes) {
  RunRecord r;
  r.set_config_hash(name);
  r.mutable_config()->set_name("fmnist_regression/fashion_mnist/" + name);
  r.mutable_config()->set_method(LASNN_JOINT);
  r.set_status(RunRecord::OK);
  r.set_train_timesteps(1);
  r.add_accuracy_at_t(static_cast<double>(k) / n);
  if (outcomes) {
    std::vector<int64_t> labels(n, 3), pred(n, 4);
    for (int i = 0; i < k; ++i) pred[i] = 3;
    absl::StatusOr<EvalOutcomes> o = PackOutcomes(0, "", labels, {pred});
    EXPECT_THAT(o, IsOk());
    *r.mutable_outcomes() = *o;
  }
  return r;
}

// The fields of the line of `metric` (metric, band, images, noise); empty when there is none.
std::vector<std::string> FieldsOf(const std::string& text, const std::string& metric) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!f.empty() && f[0] == metric) return f;
  }
  return {};
}

TEST(RegressionTest, BandsVersusNoiseSaysWhyAndShowsTheImagesNoise) {
  std::vector<RunRecord> records = {Trained("lasnn_joint/s/T1/seed1", 2000, 1600, true),
                                    Trained("direct/s/T1/seed1", 2000, 1500, false)};
  // The teacher's outcomes (the whole test split in real records): 90% of 10,000 images.
  TeacherResult* teacher = records[0].mutable_teacher();
  teacher->set_model_name("t");
  teacher->set_test_accuracy(0.9);
  *teacher->mutable_outcomes() = Trained("teacher", 10000, 9000, true).outcomes();
  auto metrics = RegressionMetrics(records);
  ASSERT_THAT(metrics, IsOk());
  const AccuracyBands bands = MakeBands(*metrics, 0.006);
  const std::string text = BandsVersusNoise(records, bands);
  EXPECT_THAT(text, HasSubstr("Why fixed bands remain"));
  EXPECT_THAT(text, HasSubstr("lasnn -- compare --a="));
  // 80% of 2,000 images: binomial standard error 0.89 points, 95% half-width about 1.75.
  const std::vector<std::string> lasnn = FieldsOf(text, "lasnn_joint/s/T1/seed1");
  ASSERT_EQ(lasnn.size(), 4u) << text;
  EXPECT_EQ(lasnn[1], "0.60");
  EXPECT_EQ(lasnn[2], "2000");
  EXPECT_NEAR(std::stod(lasnn[3]), 1.75, 0.25);
  const std::vector<std::string> t = FieldsOf(text, "teacher/t");
  ASSERT_EQ(t.size(), 4u) << text;
  EXPECT_EQ(t[2], "10000");
  EXPECT_NEAR(std::stod(t[3]), 0.59, 0.1);  // 1.96 * sqrt(.09 / 10000) = 0.59 points
  const std::vector<std::string> direct = FieldsOf(text, "direct/s/T1/seed1");
  ASSERT_EQ(direct.size(), 4u) << text;
  EXPECT_EQ(direct[3], "-");  // no outcomes
  // The gap's band has a lower bound only: its half-width is golden - low.
  const std::vector<std::string> gap = FieldsOf(text, "gap/lasnn_joint-direct/s/T1/seed1");
  ASSERT_EQ(gap.size(), 4u) << text;
  EXPECT_EQ(gap[1], "0.60");
  EXPECT_EQ(gap[3], "-");
}

AccuracyBand Band(const std::string& metric, double golden, double low, double high) {
  AccuracyBand b;
  b.set_metric(metric);
  b.set_golden(golden);
  b.set_low(low);
  b.set_high(high);
  return b;
}

TEST(RegressionTest, OtherHardwareWidensBandsToTheNoiseOfTwoRuns) {
  AccuracyBands bands;
  *bands.add_band() = Band("lasnn_joint/s/T2/seed1", 0.85, 0.844, 0.856);
  *bands.add_band() = Band("direct/s/T2/seed1", 0.84, 0.834, 0.846);
  *bands.add_band() = Band("gap/lasnn_joint-direct/s/T2/seed1", 0.01, 0.004, 1.0);
  *bands.add_band() = Band("teacher/t", 0.9, 0.894, 0.906);
  *bands.add_band() = Band("no_count", 0.5, 0.49, 0.51);
  const std::map<std::string, int64_t> images = {
      {"lasnn_joint/s/T2/seed1", 2000}, {"direct/s/T2/seed1", 2000}, {"teacher/t", 10000}};
  const AccuracyBands w = WidenForOtherHardware(bands, images);
  ASSERT_EQ(w.band_size(), 5);
  const double half = 1.96 * std::sqrt(2 * 0.85 * 0.15 / 2000);  // 0.0221
  EXPECT_NEAR(w.band(0).low(), 0.85 - half, 1e-12);
  EXPECT_NEAR(w.band(0).high(), 0.85 + half, 1e-12);
  const double gap = 1.96 * std::sqrt(2 * (0.85 * 0.15 + 0.84 * 0.16) / 2000);
  EXPECT_NEAR(w.band(2).low(), 0.01 - gap, 1e-12);
  EXPECT_EQ(w.band(2).high(), 1.0);
  EXPECT_NEAR(w.band(3).high() - w.band(3).golden(), 1.96 * std::sqrt(2 * 0.09 / 10000), 1e-12);
  // Without an image count, and where the fixed band is already wider, the band stays.
  EXPECT_EQ(w.band(4).low(), 0.49);
  AccuracyBands wide;
  *wide.add_band() = Band("teacher/t", 0.9, 0.5, 1.0);
  EXPECT_EQ(WidenForOtherHardware(wide, images).band(0).low(), 0.5);
}

TEST(RegressionTest, ImageCountsComeFromTheEvaluatedImages) {
  RunRecord trained;
  trained.mutable_config()->set_name("suite/fashion_mnist/direct/s/T2/seed1");
  trained.mutable_config()->set_method(DIRECT);
  trained.set_eval_subset(2000);
  RunRecord conversion;
  conversion.mutable_config()->set_name("suite/fashion_mnist/conversion_max/seed1");
  conversion.mutable_config()->set_method(CONVERSION_MAX);
  conversion.set_student_name("t");
  conversion.set_eval_subset(500);
  for (int t = 0; t < 64; ++t) conversion.add_accuracy_at_t(0.5);
  conversion.add_costs()->set_timesteps(16);
  conversion.mutable_teacher()->set_model_name("t");
  const std::map<std::string, int64_t> n = RegressionImageCounts({trained, conversion});
  EXPECT_EQ(n.at("direct/s/T2/seed1"), 2000);
  EXPECT_EQ(n.at("conversion_max/seed1@t64"), 500);
  EXPECT_EQ(n.at("conversion_max/seed1@t16"), 500);
  EXPECT_EQ(n.at("ann/t"), 500);
  EXPECT_EQ(n.at("teacher/t"), 10000);
}

}  // namespace
}  // namespace lasnn
