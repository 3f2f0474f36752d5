// Top-1 accuracy of a model on a dataset: for an SNN, at every t <= T_max from one simulation
// (the cumulative mean of the logits over steps 1..t), in a fixed order (dataset order, eval mode,
// no augmentation). Results do not depend on the evaluation batch size.
#ifndef LASNN_LASNN_EVALUATE_H_
#define LASNN_LASNN_EVALUATE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/batcher.h"
#include "lasnn/core/encoder.h"
#include "datasets/dataset.h"
#include "lasnn/models/model.h"

namespace lasnn {

struct EvalOptions {
  int64_t timesteps = 1;  // T_max for an SNN; ignored for an ANN
  int64_t batch_size = 256;
  int64_t max_samples = 0;  // 0: the whole dataset; else its first max_samples
  bool keep_predictions = false;  // fill EvalResult::predictions
  // An SNN whose encoder is not direct: the seed of its Poisson draws (InputEncoder, stream 0).
  uint64_t encoding_seed = 0;
  c10::Device device = c10::Device(c10::kCPU);
};

struct EvalResult {
  int64_t num_samples = 0;
  // ANN: one entry. SNN: accuracy_at_t[t-1] = top-1 (fraction in [0, 1]) using steps 1..t.
  std::vector<double> accuracy_at_t;
  // With EvalOptions::keep_predictions: int64 [steps, num_samples] on the CPU, the class
  // predicted for each evaluated image (dataset order) from steps 1..t (steps = 1 for an ANN);
  // else undefined.
  at::Tensor predictions;
  double final_accuracy() const { return accuracy_at_t.empty() ? 0.0 : accuracy_at_t.back(); }
};

// The input encoder of an SNN fed `kind` (nullopt for DIRECT): it normalises with `options`'
// mean and std after encoding (Poisson draws seeded by `seed`), and `options` are switched to raw
// images (datasets::UseRawImages), which it encodes.
std::optional<InputEncoder> MoveNormalisationToEncoder(EncoderSpec::Kind kind, uint64_t seed,
                                                       datasets::BatcherOptions& options);

// Runs `model` in eval mode under NoGradGuard (restores its previous train/eval mode).
// Normalisation is the dataset's (dataset_info.h); an SNN whose encoder is not direct gets the
// code of the raw images, normalised after encoding (lasnn/core/encoder.h InputEncoder), keyed by
// the images' indices in `dataset`. Errors: InvalidArgument for bad options or a
// dataset/model shape mismatch (naming both shapes).
absl::StatusOr<EvalResult> EvaluateAccuracy(Model& model, const datasets::Dataset& dataset,
                                            const EvalOptions& options);

}  // namespace lasnn

#endif  // LASNN_LASNN_EVALUATE_H_
