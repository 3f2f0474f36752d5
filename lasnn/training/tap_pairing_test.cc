#include "lasnn/training/tap_pairing.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

TEST(TapPairingTest, PairsTapsByResolutionShallowToDeep) {
  std::vector<TapShape> teacher = {{"t1", 28, 28}, {"t2", 28, 28}, {"t3", 14, 14}, {"t4", 7, 7}};
  std::vector<TapShape> student = {{"s1", 28, 28}, {"s2", 14, 14}, {"s3", 7, 7}, {"s4", 1, 1}};
  auto pairs = PairTapsByResolution(student, teacher);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[0].student, "s1");
  EXPECT_EQ((*pairs)[0].teacher, "t2");  // the last teacher tap at 28x28
  EXPECT_EQ((*pairs)[1].teacher, "t3");
  EXPECT_EQ((*pairs)[2].student, "s3");
  EXPECT_EQ((*pairs)[2].height, 7);
}

TEST(TapPairingTest, NoSharedResolutionIsInvalidArgument) {
  auto pairs = PairTapsByResolution({{"s", 5, 5}}, {{"t", 4, 4}});
  ASSERT_FALSE(pairs.ok());
  EXPECT_EQ(pairs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pairs.status().message().find("t 4x4"), std::string::npos);
}

// VGG-11 <-> VGG-16 on 32x32 images: the 2x2 pair is skipped by default (minimum 4x4), and kept
// with no minimum.
TEST(TapPairingTest, PairsBelowTheMinimumSizeAreSkipped) {
  const std::vector<TapShape> student = {
      {"stage1", 32, 32}, {"stage2", 16, 16}, {"stage3", 8, 8}, {"stage4", 4, 4}, {"stage5", 2, 2}};
  const std::vector<TapShape> teacher = student;
  auto pairing = PairTaps(student, teacher, /*min_size=*/4);
  ASSERT_THAT(pairing, IsOk());
  ASSERT_EQ(pairing->pairs.size(), 4u);
  EXPECT_EQ(pairing->pairs.back().height, 4);
  ASSERT_EQ(pairing->skipped.size(), 1u);
  EXPECT_EQ(pairing->skipped[0].student, "stage5");
  EXPECT_EQ(pairing->skipped[0].height, 2);
  EXPECT_EQ(DescribePairs(pairing->skipped), "stage5 <-> stage5 2x2");

  auto all = PairTaps(student, teacher, /*min_size=*/0);
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->pairs.size(), 5u);
  EXPECT_TRUE(all->skipped.empty());

  // A non-square map is skipped when either side is below the minimum.
  auto wide = PairTaps({{"s", 2, 8}}, {{"t", 2, 8}, {"u", 8, 8}}, 4);
  ASSERT_FALSE(wide.ok());
  EXPECT_THAT(wide.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("train.distill.attention_min_size = 4")));
  EXPECT_THAT(wide.status().message(), HasSubstr("s <-> t 2x8"));
}

TEST(TapPairingTest, TapShapesOfAPlan) {
  ModelPlan plan;
  plan.taps.push_back(TapInfo{"stage1", {16, 28, 28}, 1});
  plan.taps.push_back(TapInfo{"stage2", {32, 14, 14}, 4});
  const std::vector<TapShape> shapes = TapShapesOf(plan);
  ASSERT_EQ(shapes.size(), 2u);
  EXPECT_EQ(shapes[1].name, "stage2");
  EXPECT_EQ(shapes[1].height, 14);
  EXPECT_EQ(shapes[1].width, 14);
}

}  // namespace
}  // namespace lasnn
