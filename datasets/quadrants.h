// A tiny learnable task for tests (testonly): 1x8x8 uint8 images of 4 classes, class k lighting
// quadrant k of the image, plus seeded noise. Named "fashion_mnist" so the batcher normalises it
// with that dataset's statistics.
#ifndef LASNN_DATASETS_QUADRANTS_H_
#define LASNN_DATASETS_QUADRANTS_H_

#include <cstdint>

#include "datasets/dataset.h"

namespace lasnn::datasets {

inline constexpr int kQuadrantClasses = 4;

// `n` images [n, 1, 8, 8] (uint8, CPU) and labels [n] (int64) in [0, 4), from LibTorch's default
// generator seeded with `seed`.
Dataset Quadrants(int64_t n, uint64_t seed);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_QUADRANTS_H_
