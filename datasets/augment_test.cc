#include "datasets/augment.h"

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace lasnn::datasets {
namespace {

// A 1-channel 2x3 image [[1, 2, 3], [4, 5, 6]], identity normalisation (scale 1, bias 0), so
// padding shows up as 0.
std::vector<float> Apply(int dy, int dx, bool flip, float scale = 1.0f, float bias = 0.0f) {
  const uint8_t src[6] = {1, 2, 3, 4, 5, 6};
  std::vector<float> dst(6, -99.0f);
  AugmentNormalizeInto(src, 1, 2, 3, SampleAugmentation{dy, dx, flip}, &scale, &bias,
                       dst.data());
  return dst;
}

TEST(AugmentTest, IdentityCopiesPixels) {
  EXPECT_EQ(Apply(0, 0, false), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(AugmentTest, FlipReversesEachRow) {
  EXPECT_EQ(Apply(0, 0, true), (std::vector<float>{3, 2, 1, 6, 5, 4}));
}

TEST(AugmentTest, CropShiftsAndPadsWithZero) {
  EXPECT_EQ(Apply(1, 0, false), (std::vector<float>{4, 5, 6, 0, 0, 0}));
  EXPECT_EQ(Apply(-1, 0, false), (std::vector<float>{0, 0, 0, 1, 2, 3}));
  EXPECT_EQ(Apply(0, 1, false), (std::vector<float>{2, 3, 0, 5, 6, 0}));
  EXPECT_EQ(Apply(0, -1, false), (std::vector<float>{0, 1, 2, 0, 4, 5}));
  EXPECT_EQ(Apply(-1, 2, false), (std::vector<float>{0, 0, 0, 3, 0, 0}));
}

TEST(AugmentTest, FlipAppliesAfterCrop) {
  // Crop dx=1 gives [[2, 3, 0], [5, 6, 0]]; flipping that gives [[0, 3, 2], [0, 6, 5]].
  EXPECT_EQ(Apply(0, 1, true), (std::vector<float>{0, 3, 2, 0, 6, 5}));
  EXPECT_EQ(Apply(0, -1, true), (std::vector<float>{2, 1, 0, 5, 4, 0}));
  EXPECT_EQ(Apply(1, -2, true), (std::vector<float>{4, 0, 0, 0, 0, 0}));
}

TEST(AugmentTest, NormalisesAndPaddingIsNormalisedZero) {
  // mean 0.5, std 0.25: scale = 1 / (255 * 0.25), bias = -2.
  const float scale = 1.0f / (255.0f * 0.25f);
  const float bias = -2.0f;
  std::vector<float> out = Apply(0, 1, false, scale, bias);
  EXPECT_FLOAT_EQ(out[0], 2 * scale + bias);
  EXPECT_FLOAT_EQ(out[2], -2.0f);  // padding: raw 0 -> (0 - 0.5) / 0.25
}

TEST(AugmentTest, PerChannelConstantsAndPlanes) {
  // 2 channels of 1x2: channel 0 = [10, 20], channel 1 = [30, 40].
  const uint8_t src[4] = {10, 20, 30, 40};
  const float scale[2] = {1.0f, 2.0f};
  const float bias[2] = {0.5f, -1.0f};
  float dst[4];
  AugmentNormalizeInto(src, 2, 1, 2, SampleAugmentation{0, 0, true}, scale, bias, dst);
  EXPECT_FLOAT_EQ(dst[0], 20.5f);
  EXPECT_FLOAT_EQ(dst[1], 10.5f);
  EXPECT_FLOAT_EQ(dst[2], 79.0f);
  EXPECT_FLOAT_EQ(dst[3], 59.0f);
}

TEST(AugmentTest, DrawIsDeterministicInRangeAndVaries) {
  std::set<std::pair<int, int>> offsets;
  int flips = 0;
  for (int64_t i = 0; i < 2000; ++i) {
    SampleAugmentation a = DrawAugmentation(3, 1, i, 2, true);
    SampleAugmentation b = DrawAugmentation(3, 1, i, 2, true);
    ASSERT_EQ(a.dy, b.dy);
    ASSERT_EQ(a.dx, b.dx);
    ASSERT_EQ(a.flip, b.flip);
    ASSERT_GE(a.dy, -2);
    ASSERT_LE(a.dy, 2);
    ASSERT_GE(a.dx, -2);
    ASSERT_LE(a.dx, 2);
    offsets.insert({a.dy, a.dx});
    flips += a.flip;
  }
  EXPECT_EQ(offsets.size(), 25u);
  EXPECT_GT(flips, 850);
  EXPECT_LT(flips, 1150);
  SampleAugmentation none = DrawAugmentation(3, 1, 5, 0, false);
  EXPECT_EQ(none.dy, 0);
  EXPECT_EQ(none.dx, 0);
  EXPECT_FALSE(none.flip);
}

TEST(AugmentTest, DrawDependsOnSeedEpochAndIndex) {
  auto key = [](uint64_t seed, int64_t epoch) {
    std::vector<int> v;
    for (int64_t i = 0; i < 64; ++i) {
      SampleAugmentation a = DrawAugmentation(seed, epoch, i, 4, true);
      v.push_back(a.dy * 100 + a.dx * 10 + a.flip);
    }
    return v;
  };
  EXPECT_EQ(key(1, 0), key(1, 0));
  EXPECT_NE(key(1, 0), key(2, 0));
  EXPECT_NE(key(1, 0), key(1, 1));
}

}  // namespace
}  // namespace lasnn::datasets
