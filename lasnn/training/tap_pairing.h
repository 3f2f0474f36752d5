// Which student and teacher taps distillation compares (no LibTorch dependency, so that config
// validation can count the pairs before any tensor exists).
//
// Taps are paired by spatial resolution (DESIGN.md): for each resolution both sides have, the
// last tap of that resolution on each side, shallow (largest) to deep. LaSNN's attention pairs
// further skip resolutions smaller than a minimum size in height or width
// (DistillConfig.attention_min_size, default 4): a 2x2 map has four positions, and Zagoruyko &
// Komodakis matched maps of 8x8 and up.
#ifndef LASNN_LASNN_TRAINING_TAP_PAIRING_H_
#define LASNN_LASNN_TRAINING_TAP_PAIRING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lasnn/models/model_spec.h"

namespace lasnn {

// A tap's identity for pairing: name and spatial size.
struct TapShape {
  std::string name;
  int64_t height = 0;
  int64_t width = 0;
};

struct TapPair {
  std::string student;
  std::string teacher;
  int64_t height = 0;
  int64_t width = 0;
};

struct TapPairing {
  std::vector<TapPair> pairs;    // used, shallow to deep
  std::vector<TapPair> skipped;  // shared resolutions below the minimum size, shallow to deep
};

// Pairs student and teacher taps of equal spatial resolution, shallow (largest area) to deep,
// using the last tap of each resolution on each side; resolutions that only one side has are
// ignored, and shared ones with height or width below `min_size` go to `skipped` (min_size 0 or 1:
// none). InvalidArgument if no resolution is shared (the message lists both sides'
// resolutions) or if every shared one is below min_size (the message names
// train.distill.attention_min_size).
absl::StatusOr<TapPairing> PairTaps(const std::vector<TapShape>& student,
                                    const std::vector<TapShape>& teacher, int64_t min_size = 0);

// PairTaps(...).pairs with no minimum size.
absl::StatusOr<std::vector<TapPair>> PairTapsByResolution(const std::vector<TapShape>& student,
                                                          const std::vector<TapShape>& teacher);

// The taps of a plan (ModelPlan::taps) as TapShapes.
std::vector<TapShape> TapShapesOf(const ModelPlan& plan);

// "stage1 <-> stage2 28x28, stage2 <-> stage4 14x14" (student <-> teacher, H x W).
std::string DescribePairs(const std::vector<TapPair>& pairs);

}  // namespace lasnn

#endif  // LASNN_LASNN_TRAINING_TAP_PAIRING_H_
