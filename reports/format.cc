#include "reports/format.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "reports/stats.h"

namespace lasnn {
namespace report_internal {

std::string Pct(double fraction) { return absl::StrFormat("%.2f", 100 * fraction); }
std::string Points(double fraction_diff) { return absl::StrFormat("%.2f", 100 * fraction_diff); }
std::string Fixed(double v, int precision) { return absl::StrFormat("%.*f", precision, v); }

std::string Grouped(int64_t v) {
  std::string digits = absl::StrCat(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string Count(double v) {
  if (v < 1e3) return absl::StrFormat("%.0f", v);
  if (v < 1e6) return absl::StrFormat("%.1f k", v / 1e3);
  if (v < 1e9) return absl::StrFormat("%.2f M", v / 1e6);
  return absl::StrFormat("%.2f G", v / 1e9);
}

std::string Ratio(double r) {
  if (std::fabs(r - std::round(r)) < 1e-9) return absl::StrFormat("%.0fx", r);
  return absl::StrFormat("%.1fx", r);
}

std::string RatioBound(double r) {
  if (std::isinf(r) && r > 0) return "∞";
  if (r < 1 - 1e-9) return absl::StrFormat("%.2fx", r);
  return Ratio(r);
}

std::string PctRange(double lo, double hi) { return absl::StrCat(Pct(lo), "–", Pct(hi)); }

std::string PointsRange(double lo, double hi) {
  return absl::StrCat("[", Points(lo), ", ", Points(hi), "]");
}

std::string PctStat(const std::vector<double>& v, bool with_n) {
  if (v.empty()) return "-";
  if (v.size() == 1) return Pct(v[0]);
  std::string s = absl::StrFormat("%.2f ± %.2f", 100 * Mean(v), 100 * StdDev(v));
  if (with_n) absl::StrAppend(&s, " (n=", v.size(), ")");
  return s;
}

std::string HtmlEscape(const std::string& s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

}  // namespace report_internal
}  // namespace lasnn
