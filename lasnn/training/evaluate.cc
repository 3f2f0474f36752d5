#include "lasnn/training/evaluate.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "datasets/batcher.h"
#include "lasnn/core/encoder.h"
#include "lasnn/training/data_split.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

}  // namespace

std::optional<InputEncoder> MoveNormalisationToEncoder(EncoderSpec::Kind kind, uint64_t seed,
                                                       datasets::BatcherOptions& options) {
  if (kind == EncoderSpec::DIRECT) return std::nullopt;
  std::optional<InputEncoder> encoder(std::in_place, InputCodeOf(kind),
                                      std::vector<double>(options.mean.begin(), options.mean.end()),
                                      std::vector<double>(options.std.begin(), options.std.end()),
                                      seed);
  datasets::UseRawImages(options);
  return encoder;
}

absl::StatusOr<EvalResult> EvaluateAccuracy(Model& model, const datasets::Dataset& dataset,
                                            const EvalOptions& options) {
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation batch_size must be >= 1, got ", options.batch_size));
  }
  if (options.timesteps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation timesteps must be >= 1, got ", options.timesteps));
  }
  const ModelPlan& plan = model->plan();
  const FeatureShape& in = plan.input_shape;
  if (dataset.images.dim() != 4 || in.size() != 3 || dataset.images.size(1) != in[0] ||
      dataset.images.size(2) != in[1] || dataset.images.size(3) != in[2]) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset '", dataset.name, "' images are ", ShapeString(dataset.images.sizes().vec()),
        " [N, C, H, W] but the model expects [N, ", absl::StrJoin(in, ", "), "]"));
  }
  datasets::Dataset data =
      options.max_samples > 0 ? TakeFirst(dataset, options.max_samples) : dataset;
  LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions bopts,
                         datasets::DefaultBatcherOptions(data.name, /*training=*/false));
  bopts.batch_size = options.batch_size;
  bopts.device = options.device;
  const bool snn = model->mode() == Mode::kSnn;
  const std::optional<InputEncoder> encoder = MoveNormalisationToEncoder(
      snn ? model->encoding() : EncoderSpec::DIRECT, options.encoding_seed, bopts);
  LASNN_ASSIGN_OR_RETURN(auto batcher, datasets::Batcher::Create(data, bopts));

  const int64_t steps = snn ? options.timesteps : 1;
  const bool was_training = model->is_training();
  model->eval();
  at::Tensor correct = at::zeros({steps}, at::TensorOptions(at::kLong).device(options.device));
  std::vector<at::Tensor> predictions;
  absl::Status run = TorchCall("evaluation", [&]() -> absl::Status {
    torch::NoGradGuard no_grad;
    LASNN_RETURN_IF_ERROR(batcher->StartEpoch(0));
    while (true) {
      absl::StatusOr<datasets::Batch> batch = batcher->Next();
      if (absl::IsOutOfRange(batch.status())) break;
      LASNN_RETURN_IF_ERROR(batch.status());
      ForwardOptions fopts;
      fopts.timesteps = steps;
      fopts.cumulative_logits = true;
      fopts.taps = false;
      const at::Tensor input =
          encoder ? encoder->Encode(batch->images, batch->indices, /*stream=*/0, steps)
                  : batch->images;
      ModelOutput out = model->forward(input, fopts);
      at::Tensor pred = out.cumulative_logits.argmax(/*dim=*/2);  // [T, B]
      correct += pred.eq(batch->labels.unsqueeze(0)).sum(/*dim=*/1);
      if (options.keep_predictions) predictions.push_back(pred);
    }
    return absl::OkStatus();
  });
  model->train(was_training);
  LASNN_RETURN_IF_ERROR(run);
  EvalResult result;
  result.num_samples = data.images.size(0);
  at::Tensor c = correct.cpu();
  if (options.keep_predictions) {
    result.predictions = predictions.empty()
                             ? at::zeros({steps, 0}, at::TensorOptions(at::kLong))
                             : at::cat(predictions, /*dim=*/1).cpu();
  }
  for (int64_t t = 0; t < steps; ++t) {
    result.accuracy_at_t.push_back(static_cast<double>(c[t].item<int64_t>()) /
                                   static_cast<double>(std::max<int64_t>(1, result.num_samples)));
  }
  return result;
}

}  // namespace lasnn
