#include "datasets/rng.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace lasnn::datasets {
namespace {

TEST(RngTest, SplitMix64MatchesReferenceSequence) {
  // First outputs of the reference SplitMix64 (Vigna's splitmix64.c) seeded with 1234567.
  SplitMix64 rng(1234567);
  EXPECT_EQ(rng.Next(), 6457827717110365317ULL);
  EXPECT_EQ(rng.Next(), 3203168211198807973ULL);
  EXPECT_EQ(rng.Next(), 9817491932198370423ULL);
}

TEST(RngTest, BelowStaysInRangeAndCoversIt) {
  SplitMix64 rng(7);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 5000; ++i) {
    uint64_t v = rng.Below(5);
    ASSERT_LT(v, 5u);
    ++counts[v];
  }
  for (int c : counts) {
    EXPECT_GT(c, 850);
    EXPECT_LT(c, 1150);
  }
}

TEST(RngTest, PermutationIsAPermutationAndDependsOnSeed) {
  std::vector<int64_t> a = SeededPermutation(1000, 42);
  std::vector<int64_t> b = SeededPermutation(1000, 42);
  std::vector<int64_t> c = SeededPermutation(1000, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  std::vector<int64_t> identity(1000);
  for (int64_t i = 0; i < 1000; ++i) identity[i] = i;
  EXPECT_NE(a, identity);
}

TEST(RngTest, MixSeedSeparatesKeys) {
  EXPECT_NE(MixSeed(1, 2), MixSeed(2, 1));
  EXPECT_NE(MixSeed(0, 0), MixSeed(0, 1));
  EXPECT_EQ(MixSeed(5, 9), MixSeed(5, 9));
}

}  // namespace
}  // namespace lasnn::datasets
