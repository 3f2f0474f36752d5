// The accuracy-against-timesteps chart of the reports (reports/report.h) as inline SVG: x is
// log2 t from 1 to 256 (or the next power of two above the longest series), y is test accuracy
// in percent; conversion curves as lines, trained SNNs as markers, the ANN teacher dashed, a
// legend right of the plot. Self-contained: no scripts, no url() references; the only URL is the
// SVG namespace. Accuracies are fractions in [0, 1]; t is 1-based.
#ifndef LASNN_REPORTS_CHART_H_
#define LASNN_REPORTS_CHART_H_

#include <string>
#include <utility>
#include <vector>

namespace lasnn {
namespace report_internal {

struct Series {
  std::string label;
  std::vector<std::pair<int, double>> points;  // (t, accuracy fraction)
  bool curve = true;  // a conversion's curve (line) or trained results (markers)
};

// The lowest and highest accuracy among the points of `series` (only the marker series when
// `markers_only`) and `ann` (NaN: none). (1, 0) when there is no point at all.
std::pair<double, double> Extent(const std::vector<Series>& series, double ann, bool markers_only);

// An <svg> element titled `title` (escaped) with y over [lo, hi] (fractions; NaN: 0 / 1; clamped
// to [0, 1]) rounded out to the tick step, and the ANN's dashed line labelled `ann_label` unless
// `ann` is NaN or outside [0, 1]. Records are data from disk: only points with 1 <= t <= 2^20
// and an accuracy in [0, 1] are drawn, and what lies outside the plot area is clipped, so a
// corrupt or hand-edited record cannot break the chart. Colours and marker shapes follow the
// order of `all_series`.
std::string AccuracyChart(const std::string& title, const std::vector<Series>& all_series,
                          double ann, const std::string& ann_label, double lo, double hi);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_CHART_H_
