#include "reports/chart.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace lasnn {
namespace report_internal {
namespace {

std::vector<Series> SomeSeries() {
  Series curve;
  curve.label = "MaxNorm conversion";
  curve.points = {{1, 0.1}, {2, 0.5}, {4, 0.9}};
  Series markers;
  markers.label = "LaSNN (joint), student";
  markers.curve = false;
  markers.points = {{2, 0.92}, {4, 0.928}};
  return {curve, markers};
}

TEST(ChartTest, Extent) {
  const std::vector<Series> series = SomeSeries();
  const auto [lo, hi] = Extent(series, 0.934, /*markers_only=*/false);
  EXPECT_DOUBLE_EQ(lo, 0.1);
  EXPECT_DOUBLE_EQ(hi, 0.934);
  const auto [zoom_lo, zoom_hi] = Extent(series, std::nan(""), /*markers_only=*/true);
  EXPECT_DOUBLE_EQ(zoom_lo, 0.92);
  EXPECT_DOUBLE_EQ(zoom_hi, 0.928);
  const auto [none_lo, none_hi] = Extent({}, std::nan(""), /*markers_only=*/false);
  EXPECT_DOUBLE_EQ(none_lo, 1);
  EXPECT_DOUBLE_EQ(none_hi, 0);
}

TEST(ChartTest, IsOneSelfContainedSvgElementWithEscapedText) {
  const std::string svg =
      AccuracyChart("A <b> & B", SomeSeries(), 0.934, "ANN teacher (93.40%)", 0.1, 0.934);
  EXPECT_TRUE(absl::StartsWith(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" "));
  EXPECT_TRUE(absl::EndsWith(svg, "</svg>"));
  EXPECT_TRUE(absl::StrContains(svg, "<title>A &lt;b&gt; &amp; B</title>"));
  EXPECT_FALSE(absl::StrContains(svg, "<b>"));
  EXPECT_FALSE(absl::StrContains(svg, "url("));
  EXPECT_TRUE(absl::StrContains(svg, "<polyline"));
  EXPECT_TRUE(absl::StrContains(svg, ">ANN teacher (93.40%)</text>"));
  EXPECT_TRUE(absl::StrContains(svg, ">256</text>"));  // the x axis reaches t = 256
  EXPECT_FALSE(absl::StrContains(svg, ">512</text>"));
}

TEST(ChartTest, WithoutAnnThereIsNoDashedTeacherLine) {
  const std::string svg = AccuracyChart("t", SomeSeries(), std::nan(""), "", 0.1, 0.93);
  EXPECT_FALSE(absl::StrContains(svg, "stroke-dasharray=\"7 4\""));
  const std::string with_ann = AccuracyChart("t", SomeSeries(), 0.93, "ANN", 0.1, 0.93);
  EXPECT_TRUE(absl::StrContains(with_ann, "stroke-dasharray=\"7 4\""));
}

TEST(ChartTest, PointsOutsideTheDomainAreNotDrawn) {
  const std::string clean = AccuracyChart("t", SomeSeries(), 0.934, "ANN", 0.1, 0.934);
  std::vector<Series> corrupt = SomeSeries();
  corrupt[0].points.push_back({0, 0.5});
  corrupt[0].points.push_back({-3, 0.5});
  corrupt[0].points.push_back({8, 1.5});
  corrupt[0].points.push_back({8, std::nan("")});
  corrupt[1].points.push_back({(1 << 20) + 1, 0.9});
  EXPECT_EQ(AccuracyChart("t", corrupt, 0.934, "ANN", 0.1, 0.934), clean);
}

TEST(ChartTest, LongSeriesWidenTheTimeAxis) {
  std::vector<Series> series = SomeSeries();
  series[0].points.push_back({300, 0.93});
  const std::string svg = AccuracyChart("t", series, 0.934, "ANN", 0.1, 0.934);
  EXPECT_TRUE(absl::StrContains(svg, ">512</text>"));
}

TEST(ChartTest, DegenerateBoundsStillGiveAChart) {
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{
           {std::nan(""), std::nan("")}, {0.9, 0.1}, {0.5, 0.5}, {-2, 7}}) {
    const std::string svg = AccuracyChart("t", SomeSeries(), 0.934, "ANN", lo, hi);
    EXPECT_TRUE(absl::EndsWith(svg, "</svg>")) << lo << " " << hi;
    EXPECT_FALSE(absl::StrContains(svg, "nan")) << lo << " " << hi;
    EXPECT_FALSE(absl::StrContains(svg, "inf")) << lo << " " << hi;
  }
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
