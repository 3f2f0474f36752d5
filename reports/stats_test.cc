#include "reports/stats.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace lasnn {
namespace report_internal {
namespace {

TEST(StatsTest, MeanOfNoValueIsNan) { EXPECT_TRUE(std::isnan(Mean({}))); }

TEST(StatsTest, Mean) {
  EXPECT_DOUBLE_EQ(Mean({0.5}), 0.5);
  EXPECT_DOUBLE_EQ(Mean({1, 2, 3, 4}), 2.5);
}

TEST(StatsTest, StdDevIsTheSampleStandardDeviation) {
  // Squared deviations from 2.5: 2.25 + 0.25 + 0.25 + 2.25 = 5, over n - 1 = 3.
  EXPECT_NEAR(StdDev({1, 2, 3, 4}), std::sqrt(5.0 / 3.0), 1e-12);
  // Two seeds of the fixture: |0.9292 - 0.9268| / sqrt(2).
  EXPECT_NEAR(StdDev({0.9268, 0.9292}), 0.0024 / std::sqrt(2.0), 1e-12);
}

TEST(StatsTest, StdDevOfFewerThanTwoValuesIsZero) {
  EXPECT_EQ(StdDev({}), 0);
  EXPECT_EQ(StdDev({0.93}), 0);
  EXPECT_EQ(StdDev({0.93, 0.93}), 0);
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
