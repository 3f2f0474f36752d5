// The dataset inspector behind //datasets:inspect_data: loads a dataset (load_dataset.h) and
// prints, per split, the image count and shape, the class balance and the per-channel mean/std
// of pixels scaled to [0, 1]; writes a PNG contact sheet of the first training images so a user
// can see that the data is right.
#ifndef LASNN_DATASETS_INSPECT_H_
#define LASNN_DATASETS_INSPECT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "datasets/dataset.h"
#include "datasets/dataset.pb.h"

namespace lasnn::datasets {

struct SplitSummary {
  int64_t count = 0;
  std::vector<int64_t> class_counts;  // num_classes entries
  std::vector<double> mean;           // per channel, pixels in [0, 1]
  std::vector<double> std;            // per channel, population std, pixels in [0, 1]
};

// Counts, class balance and channel statistics of `d` (uint8 [N, C, H, W], labels in range).
SplitSummary Summarize(const Dataset& d);

// Human-readable lines for one split: count and shape, class counts (each class when there are
// at most 20, else min/max), mean and std.
std::string FormatSummary(const Dataset& d, const SplitSummary& s);

// Writes a grid of the first min(num_images, N) images of `d` (RGB or gray, each tile scaled up
// by an integer factor to at least 56 pixels) as a PNG, atomically (a temporary file renamed
// over `path`). InvalidArgument if num_images < 1, `path` does not end in ".png", or `d` is
// empty; file errors name the path.
absl::Status WriteContactSheet(const Dataset& d, int64_t num_images, const std::string& path);

struct InspectOptions {
  DatasetSpec spec;
  std::string out_png;       // empty: no contact sheet
  int64_t num_images = 64;
};

// Loads options.spec, prints both splits' summaries to `out`, and writes the contact sheet of
// the training split. Returns the first error (LoadDataset's, WriteContactSheet's) unchanged.
absl::Status RunInspect(const InspectOptions& options, std::ostream& out);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_INSPECT_H_
