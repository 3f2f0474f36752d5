#include "datasets/quadrants.h"

#include <ATen/ATen.h>

namespace lasnn::datasets {

Dataset Quadrants(int64_t n, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor labels = at::randint(0, kQuadrantClasses, {n}, at::kLong);
  at::Tensor images = at::randint(0, 60, {n, 1, 8, 8}, at::kByte);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = labels[i].item<int64_t>();
    images[i][0].narrow(0, (k / 2) * 4, 4).narrow(1, (k % 2) * 4, 4).add_(150);
  }
  Dataset d;
  d.name = "fashion_mnist";
  d.split = "train";
  d.images = images.contiguous();
  d.labels = labels;
  d.num_classes = kQuadrantClasses;
  return d;
}

}  // namespace lasnn::datasets
