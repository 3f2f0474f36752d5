// Held-out split of a training set, for best-checkpoint selection and collapse detection (the
// test set is never used for either).
#ifndef LASNN_LASNN_DATA_SPLIT_H_
#define LASNN_LASNN_DATA_SPLIT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "datasets/dataset.h"

namespace lasnn {

struct TrainHoldout {
  datasets::Dataset train;    // the remaining samples, in their original order
  datasets::Dataset holdout;  // round(fraction * N) samples, in their original order
};

// Splits `dataset` by a seeded permutation: a pure function of (N, fraction, seed). The parts are
// copies (contiguous). fraction in [0, 1); 0 gives an empty holdout. InvalidArgument otherwise,
// or when the holdout would leave no training sample.
absl::StatusOr<TrainHoldout> SplitHoldout(const datasets::Dataset& dataset, double fraction,
                                          uint64_t seed);

// The first `n` samples (or all, if fewer) of `dataset`, in order (a view, no copy).
datasets::Dataset TakeFirst(const datasets::Dataset& dataset, int64_t n);

}  // namespace lasnn

#endif  // LASNN_LASNN_DATA_SPLIT_H_
