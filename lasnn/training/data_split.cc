#include "lasnn/training/data_split.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "datasets/rng.h"

namespace lasnn {

absl::StatusOr<TrainHoldout> SplitHoldout(const datasets::Dataset& dataset, double fraction,
                                          uint64_t seed) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("holdout_fraction must be in [0, 1), got ", fraction));
  }
  const int64_t n = dataset.images.size(0);
  const int64_t n_holdout = static_cast<int64_t>(std::llround(fraction * n));
  if (n_holdout >= n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "holdout_fraction ", fraction, " leaves no training sample of ", n));
  }
  std::vector<int64_t> perm =
      datasets::SeededPermutation(n, datasets::MixSeed(seed, 0x686f6c646f7574ULL));
  std::vector<int64_t> held(perm.begin(), perm.begin() + n_holdout);
  std::vector<int64_t> kept(perm.begin() + n_holdout, perm.end());
  std::sort(held.begin(), held.end());
  std::sort(kept.begin(), kept.end());
  auto take = [&](const std::vector<int64_t>& idx, const char* split) {
    datasets::Dataset part = dataset;
    part.split = split;
    at::Tensor index = at::tensor(idx, at::kLong);
    part.images = dataset.images.index_select(0, index).contiguous();
    part.labels = dataset.labels.index_select(0, index).contiguous();
    return part;
  };
  return TrainHoldout{take(kept, "train"), take(held, "holdout")};
}

datasets::Dataset TakeFirst(const datasets::Dataset& dataset, int64_t n) {
  datasets::Dataset part = dataset;
  const int64_t k = std::min<int64_t>(n, dataset.images.size(0));
  part.images = dataset.images.narrow(0, 0, k);
  part.labels = dataset.labels.narrow(0, 0, k);
  return part;
}

}  // namespace lasnn
