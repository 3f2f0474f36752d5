#include "datasets/inspect.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "datasets/load_dataset.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn::datasets {

SplitSummary Summarize(const Dataset& d) {
  SplitSummary s;
  const int64_t n = d.images.size(0), c = d.images.size(1);
  const int64_t plane = d.images.size(2) * d.images.size(3);
  s.count = n;
  s.class_counts.assign(static_cast<size_t>(d.num_classes), 0);
  const int64_t* labels = d.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (labels[i] >= 0 && labels[i] < d.num_classes) ++s.class_counts[labels[i]];
  }
  // Exact per-channel histograms, then moments from them.
  std::vector<std::array<uint64_t, 256>> hist(static_cast<size_t>(c));
  for (auto& h : hist) h.fill(0);
  const uint8_t* p = d.images.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const uint8_t* q = p + (i * c + ch) * plane;
      uint64_t* h = hist[ch].data();
      for (int64_t k = 0; k < plane; ++k) ++h[q[k]];
    }
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    double count = 0, sum = 0, sum_sq = 0;
    for (int v = 0; v < 256; ++v) {
      const double x = v / 255.0;
      count += hist[ch][v];
      sum += hist[ch][v] * x;
      sum_sq += hist[ch][v] * x * x;
    }
    const double mean = count > 0 ? sum / count : 0.0;
    s.mean.push_back(mean);
    s.std.push_back(count > 0 ? std::sqrt(std::max(0.0, sum_sq / count - mean * mean)) : 0.0);
  }
  return s;
}

std::string FormatSummary(const Dataset& d, const SplitSummary& s) {
  std::string out = absl::StrCat(d.split, ": ", s.count, " images, ", d.images.size(1), "x",
                                 d.images.size(2), "x", d.images.size(3), " (CxHxW), ",
                                 d.num_classes, " classes\n");
  if (!s.class_counts.empty()) {
    const auto [lo, hi] = std::minmax_element(s.class_counts.begin(), s.class_counts.end());
    absl::StrAppend(&out, "  class balance: min ", *lo, ", max ", *hi,
                    *lo == *hi ? " (balanced)\n" : "\n");
    if (s.class_counts.size() <= 20) {
      for (size_t k = 0; k < s.class_counts.size(); ++k) {
        const std::string name = k < d.class_names.size() ? d.class_names[k] : "";
        char line[128];
        std::snprintf(line, sizeof(line), "    %3d %-14s %7lld  %5.2f%%\n", static_cast<int>(k),
                      name.c_str(), static_cast<long long>(s.class_counts[k]),
                      s.count > 0 ? 100.0 * s.class_counts[k] / s.count : 0.0);
        out += line;
      }
    }
  }
  auto fmt = [](const std::vector<double>& v) {
    return absl::StrJoin(v, ", ", [](std::string* o, double x) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.4f", x);
      o->append(buf);
    });
  };
  absl::StrAppend(&out, "  mean: ", fmt(s.mean), "\n  std:  ", fmt(s.std), "\n");
  return out;
}

absl::Status WriteContactSheet(const Dataset& d, int64_t num_images, const std::string& path) {
  if (num_images < 1) {
    return absl::InvalidArgumentError(absl::StrCat("num_images must be >= 1, got ", num_images));
  }
  if (!absl::EndsWithIgnoreCase(path, ".png")) {
    return absl::InvalidArgumentError(absl::StrCat("contact sheet '", path,
                                                   "' must have a .png name"));
  }
  const int64_t n = std::min<int64_t>(num_images, d.images.size(0));
  if (n == 0) {
    return absl::InvalidArgumentError(absl::StrCat("no images in ", d.name, "/", d.split));
  }
  const int64_t c = d.images.size(1), h = d.images.size(2), w = d.images.size(3);
  const int64_t scale = std::max<int64_t>(1, (56 + std::min(h, w) - 1) / std::min(h, w));
  const int64_t cols = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t rows = (n + cols - 1) / cols;
  constexpr int64_t kGap = 2;
  const int64_t th = h * scale + kGap, tw = w * scale + kGap;
  cv::Mat sheet(static_cast<int>(rows * th + kGap), static_cast<int>(cols * tw + kGap),
                c == 1 ? CV_8UC1 : CV_8UC3, cv::Scalar::all(64));
  const uint8_t* p = d.images.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t oy = kGap + (i / cols) * th, ox = kGap + (i % cols) * tw;
    for (int64_t y = 0; y < h * scale; ++y) {
      uint8_t* row = sheet.ptr<uint8_t>(static_cast<int>(oy + y));
      for (int64_t x = 0; x < w * scale; ++x) {
        const int64_t src = (y / scale) * w + (x / scale);
        if (c == 1) {
          row[ox + x] = p[i * h * w + src];
        } else {
          for (int64_t ch = 0; ch < 3; ++ch) {  // RGB planes -> BGR pixels
            row[3 * (ox + x) + (2 - ch)] = p[(i * c + ch) * h * w + src];
          }
        }
      }
    }
  }
  std::vector<uchar> png;
  if (!cv::imencode(".png", sheet, png)) {
    return absl::InternalError(absl::StrCat("PNG encoding failed for '", path, "'"));
  }
  return WriteFileAtomically(path, absl::string_view(reinterpret_cast<const char*>(png.data()),
                                                     png.size()));
}

absl::Status RunInspect(const InspectOptions& options, std::ostream& out) {
  if (!options.out_png.empty()) {
    // Fail on a bad output name before spending time loading.
    if (options.num_images < 1 || !absl::EndsWithIgnoreCase(options.out_png, ".png")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--out_png must end in .png and --num_images be >= 1 (got '", options.out_png, "', ",
          options.num_images, ")"));
    }
  }
  LASNN_ASSIGN_OR_RETURN(DatasetSplits splits, LoadDataset(options.spec));
  out << "dataset: " << splits.train.name << "\n";
  for (const Dataset* d : {&splits.train, &splits.test}) {
    out << FormatSummary(*d, Summarize(*d));
  }
  if (!options.out_png.empty()) {
    LASNN_RETURN_IF_ERROR(WriteContactSheet(splits.train, options.num_images, options.out_png));
    out << "contact sheet: " << options.out_png << " (first "
        << std::min<int64_t>(options.num_images, splits.train.images.size(0)) << " "
        << splits.train.split << " images)\n";
  }
  return absl::OkStatus();
}

}  // namespace lasnn::datasets
