#include "reports/format.h"

#include <limits>

#include "gtest/gtest.h"

namespace lasnn {
namespace report_internal {
namespace {

TEST(FormatTest, PercentagesAndPointsHaveTwoDecimals) {
  EXPECT_EQ(Pct(0.928), "92.80");
  EXPECT_EQ(Pct(1.0), "100.00");
  EXPECT_EQ(Pct(0), "0.00");
  EXPECT_EQ(Points(0.006), "0.60");
  EXPECT_EQ(Points(-0.0012), "-0.12");
}

TEST(FormatTest, Fixed) {
  EXPECT_EQ(Fixed(0.9166, 2), "0.92");
  EXPECT_EQ(Fixed(87.8349, 3), "87.835");
  EXPECT_EQ(Fixed(4310.4, 0), "4310");
}

TEST(FormatTest, GroupedSeparatesThousands) {
  EXPECT_EQ(Grouped(0), "0");
  EXPECT_EQ(Grouped(999), "999");
  EXPECT_EQ(Grouped(1000), "1,000");
  EXPECT_EQ(Grouped(870826), "870,826");
  EXPECT_EQ(Grouped(1234567), "1,234,567");
  EXPECT_EQ(Grouped(-1234567), "-1,234,567");
}

TEST(FormatTest, CountUsesUnits) {
  EXPECT_EQ(Count(0), "0");
  EXPECT_EQ(Count(755), "755");
  EXPECT_EQ(Count(755100), "755.1 k");
  EXPECT_EQ(Count(1.24e6), "1.24 M");
  EXPECT_EQ(Count(19.09e6), "19.09 M");
  EXPECT_EQ(Count(2.31e9), "2.31 G");
}

TEST(FormatTest, RatioDropsTheDecimalOfIntegers) {
  EXPECT_EQ(Ratio(32), "32x");
  EXPECT_EQ(Ratio(32 + 1e-12), "32x");
  EXPECT_EQ(Ratio(31.75), "31.8x");
  EXPECT_EQ(Ratio(0.5), "0.5x");
}

TEST(FormatTest, IntervalBounds) {
  EXPECT_EQ(RatioBound(16), "16x");
  EXPECT_EQ(RatioBound(0.25), "0.25x");
  EXPECT_EQ(RatioBound(1), "1x");
  EXPECT_EQ(RatioBound(std::numeric_limits<double>::infinity()), "∞");
  EXPECT_EQ(PctRange(0.9128, 0.9432), "91.28–94.32");
  EXPECT_EQ(PointsRange(-0.012, 0.004), "[-1.20, 0.40]");
}

TEST(FormatTest, PctStatShowsMeanAndSampleStdOfSeveralSeeds) {
  EXPECT_EQ(PctStat({}), "-");
  EXPECT_EQ(PctStat({0.9032}), "90.32");
  EXPECT_EQ(PctStat({0.9032}, /*with_n=*/true), "90.32");
  // (92.68 + 92.92) / 2 = 92.80, sample std 0.24 / sqrt(2) = 0.17.
  EXPECT_EQ(PctStat({0.9268, 0.9292}), "92.80 ± 0.17");
  EXPECT_EQ(PctStat({0.9268, 0.9292}, /*with_n=*/true), "92.80 ± 0.17 (n=2)");
}

TEST(FormatTest, HtmlEscapeReplacesEveryMarkupCharacterOnce) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom's & Jerry</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("&lt;"), "&amp;lt;");
  EXPECT_EQ(HtmlEscape("t≤256 ± µJ"), "t≤256 ± µJ");
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
