// Packing and reading the per-image outcomes of an evaluation (run_record.proto EvalOutcomes):
// one uint8 class id per image and timestep, so classes must lie in [0, 255].
#ifndef LASNN_BENCHMARKS_EXPERIMENT_OUTCOMES_H_
#define LASNN_BENCHMARKS_EXPERIMENT_OUTCOMES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {

// The outcomes of images first_image .. first_image + labels.size() - 1: labels[i] and
// predicted_at_t[t][i] are the true and predicted classes of image first_image + i (predicted from
// steps 1..t+1). InvalidArgument when a class is outside [0, 255], a prediction row's length
// differs from labels.size(), first_image < 0, or there are more than INT32_MAX images.
absl::StatusOr<EvalOutcomes> PackOutcomes(int64_t first_image, const std::string& images_sha256,
                                          const std::vector<int64_t>& labels,
                                          const std::vector<std::vector<int64_t>>& predicted_at_t);

// OK when `o` is well formed: first_image >= 0, labels and every predicted_at_t entry have
// num_images bytes. Else DataLoss naming the field.
absl::Status CheckOutcomes(const EvalOutcomes& o);

// correct[t][i]: whether image first_image + i was classified correctly from steps 1..t+1.
// Errors as CheckOutcomes.
absl::StatusOr<std::vector<std::vector<bool>>> CorrectAtT(const EvalOutcomes& o);

// Accuracy (fraction in [0, 1]; 0 for no images) at every t, from the outcomes alone. Errors as
// CheckOutcomes.
absl::StatusOr<std::vector<double>> AccuracyFromOutcomes(const EvalOutcomes& o);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_EXPERIMENT_OUTCOMES_H_
