#include "reports/chart.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "reports/format.h"
#include "reports/stats.h"

namespace lasnn {
namespace report_internal {
namespace {

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                               "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939"};
constexpr int kNumColors = sizeof(kColors) / sizeof(kColors[0]);

// Marker `shape` (circle, square, triangle, diamond, then again) centred on (x, y).
std::string Marker(int shape, double x, double y, const char* color) {
  const std::string style = absl::StrFormat(" fill=\"%s\" stroke=\"white\" stroke-width=\"1\"", color);
  switch (shape % 4) {
    case 0:
      return absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"%s/>", x, y, style);
    case 1:
      return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\"%s/>", x - 4,
                             y - 4, style);
    case 2:
      return absl::StrFormat("<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"%s/>", x, y - 5.5,
                             x + 5, y + 3.5, x - 5, y + 3.5, style);
    default:
      return absl::StrFormat("<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"%s/>", x,
                             y - 5.5, x + 5.5, y, x, y + 5.5, x - 5.5, y, style);
  }
}

// The points a chart draws: 1 <= t <= 2^20 and an accuracy in [0, 1].
bool Plottable(int t, double a) { return t >= 1 && t <= (1 << 20) && a >= 0 && a <= 1; }

}  // namespace

std::pair<double, double> Extent(const std::vector<Series>& series, double ann, bool markers_only) {
  double lo = 1, hi = 0;
  for (const Series& s : series) {
    if (markers_only && s.curve) continue;
    for (const auto& [t, a] : s.points) {
      lo = std::min(lo, a);
      hi = std::max(hi, a);
    }
  }
  if (!std::isnan(ann)) {
    lo = std::min(lo, ann);
    hi = std::max(hi, ann);
  }
  return {lo, hi};
}

std::string AccuracyChart(const std::string& title, const std::vector<Series>& all_series,
                          double ann, const std::string& ann_label, double lo, double hi) {
  const double width = 820, height = 450;
  const double x0 = 62, x1 = 478, y0 = 44, y1 = 386;
  std::vector<Series> series = all_series;
  for (Series& se : series) {
    se.points.erase(std::remove_if(se.points.begin(), se.points.end(),
                                   [](const auto& p) { return !Plottable(p.first, p.second); }),
                    se.points.end());
  }
  if (!(ann >= 0 && ann <= 1)) ann = std::nan("");
  int t_max = 256;
  for (const Series& s : series) {
    for (const auto& [t, a] : s.points) t_max = std::max(t_max, t);
  }
  lo = std::isnan(lo) ? 0 : std::clamp(lo, 0.0, 1.0);
  hi = std::isnan(hi) ? 1 : std::clamp(hi, 0.0, 1.0);
  if (lo > hi) lo = 0, hi = 1;
  const double span = 100 * (hi - lo);
  const int step = span > 40 ? 10 : span > 15 ? 5 : span > 6 ? 2 : 1;
  const int y_lo = std::max(0, static_cast<int>(std::floor(100 * lo / step + kEps)) * step);
  int y_hi = std::min(100, static_cast<int>(std::ceil(100 * hi / step - kEps)) * step);
  if (y_hi <= y_lo) y_hi = y_lo + step;
  int log_max = 0;
  while ((1 << log_max) < t_max) ++log_max;
  auto x = [&](double t) { return x0 + (x1 - x0) * std::log2(t) / log_max; };
  auto y = [&](double a) { return y1 - (y1 - y0) * (100 * a - y_lo) / (y_hi - y_lo); };

  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
      "%.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"%s\">\n",
      width, height, width, height, HtmlEscape(title));
  absl::StrAppendFormat(&s, "<title>%s</title>\n", HtmlEscape(title));
  absl::StrAppendFormat(&s, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", width,
                        height);
  absl::StrAppendFormat(&s,
                        "<text x=\"%.0f\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
                        x0, HtmlEscape(title));
  s += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n";
  for (int k = 0; k <= log_max; ++k) {
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                          x(1 << k), y0, x(1 << k), y1);
  }
  for (int v = y_lo; v <= y_hi; v += step) {
    absl::StrAppendFormat(&s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0,
                          y(v / 100.0), x1, y(v / 100.0));
  }
  s += "</g>\n<g fill=\"#333\">\n";
  for (int k = 0; k <= log_max; ++k) {
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n",
                          x(1 << k), y1 + 18, 1 << k);
  }
  for (int v = y_lo; v <= y_hi; v += step) {
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n",
                          x0 - 8, y(v / 100.0) + 4, v);
  }
  absl::StrAppendFormat(&s,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">timesteps t (log2 "
                        "scale)</text>\n",
                        (x0 + x1) / 2, y1 + 44);
  absl::StrAppendFormat(&s,
                        "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 "
                        "20 %.1f)\">test accuracy (%%)</text>\n",
                        (y0 + y1) / 2, (y0 + y1) / 2);
  s += "</g>\n";
  // The plot area: a nested viewport in the same coordinates, which clips what lies above or
  // below it (with a margin left and right for the markers at t = 1 and t = t_max).
  const double cx0 = x0 - 8, cw = x1 - x0 + 16;
  absl::StrAppendFormat(&s,
                        "<svg x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" viewBox=\"%.1f "
                        "%.1f %.1f %.1f\" overflow=\"hidden\">\n",
                        cx0, y0, cw, y1 - y0, cx0, y0, cw, y1 - y0);
  if (!std::isnan(ann)) {
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
                          "stroke-width=\"1.5\" stroke-dasharray=\"7 4\"/>\n",
                          x0, y(ann), x1, y(ann));
  }
  int shape = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& se = series[i];
    const char* color = kColors[i % kNumColors];
    std::string pts;
    for (const auto& [t, a] : se.points) {
      absl::StrAppendFormat(&pts, "%s%.1f,%.1f", pts.empty() ? "" : " ", x(t), y(a));
    }
    absl::StrAppendFormat(&s, "<g>\n<title>%s</title>\n", HtmlEscape(se.label));
    if (se.curve) {
      absl::StrAppendFormat(&s,
                            "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                            "stroke-linejoin=\"round\" points=\"%s\"/>\n",
                            color, pts);
    } else {
      if (se.points.size() > 1) {
        absl::StrAppendFormat(&s,
                              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" "
                              "stroke-dasharray=\"4 3\" points=\"%s\"/>\n",
                              color, pts);
      }
      for (const auto& [t, a] : se.points) s += Marker(shape, x(t), y(a), color) + "\n";
      ++shape;
    }
    s += "</g>\n";
  }
  s += "</svg>\n";
  absl::StrAppendFormat(&s,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                        "stroke=\"#444\"/>\n",
                        x0, y0, x1 - x0, y1 - y0);
  // The legend, right of the plot.
  const int entries = static_cast<int>(series.size()) + (std::isnan(ann) ? 0 : 1);
  const double lx = x1 + 16, ly0 = y0 + 6;
  const double row = entries > 0 ? std::min(20.0, (height - ly0 - 10) / entries) : 20;
  shape = 0;
  s += "<g font-size=\"11.5\">\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& se = series[i];
    const char* color = kColors[i % kNumColors];
    const double ly = ly0 + row * i;
    if (se.curve) {
      absl::StrAppendFormat(&s,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-width=\"2.5\"/>\n",
                            lx, ly, lx + 22, ly, color);
    } else {
      absl::StrAppendFormat(&s,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\n",
                            lx, ly, lx + 22, ly, color);
      s += Marker(shape++, lx + 11, ly, color) + "\n";
    }
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 28, ly + 4,
                          HtmlEscape(se.label));
  }
  if (!std::isnan(ann)) {
    const double ly = ly0 + row * series.size();
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
                          "stroke-width=\"1.5\" stroke-dasharray=\"7 4\"/>\n",
                          lx, ly, lx + 22, ly);
    absl::StrAppendFormat(&s, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 28, ly + 4,
                          HtmlEscape(ann_label));
  }
  s += "</g>\n</svg>";
  return s;
}

}  // namespace report_internal
}  // namespace lasnn
