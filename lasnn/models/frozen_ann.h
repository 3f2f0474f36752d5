// A frozen ANN for inference-only use (the fixed teacher of distillation): every batch norm folded
// into the convolution before it, the weights copied once (detached, no autograd), and a forward
// that runs under c10::InferenceMode with in-place activations.
//
// Folding (eval-mode batch norm, eps 1e-5 as torch::nn::BatchNorm2d's default):
//   w' = w * g / sqrt(v + eps),  b' = (b - m) * g / sqrt(v + eps) + beta.
// The logits and taps equal the source model's eval-mode ones up to float rounding (the fold
// reorders the arithmetic), not bit for bit. Supports every planned layer kind (conv, ReLU or QCFS
// activation, max / average / global pooling, flatten, linear, dropout as identity, basic residual
// blocks). The copy does not follow later changes to the source model's weights: freeze again.
#ifndef LASNN_LASNN_MODELS_FROZEN_ANN_H_
#define LASNN_LASNN_MODELS_FROZEN_ANN_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.h"

namespace lasnn {

struct FrozenAnnOptions {
  // Runs the convolutions on channels-last (NHWC) tensors; taps are then channels-last too (same
  // shapes and values, another memory format).
  bool channels_last = false;
};

// One conv with its batch norm folded in.
struct FoldedConv {
  at::Tensor weight;  // [O, I, k, k]
  at::Tensor bias;    // [O], always defined
  int64_t stride = 1;
  int64_t padding = 0;
};

class FrozenAnn {
 public:
  // Freezes `ann` (Mode::kAnn, any device; the copy lives on the same device). InvalidArgument
  // for an SNN twin.
  static absl::StatusOr<FrozenAnn> Create(const Model& ann, const FrozenAnnOptions& options = {});

  // x: float [B, C, H, W] on the model's device. Returns the logits [B, K] and, when `taps`, the
  // taps "stage1", ... ([B, C, H, W]), as ModelImpl::forward in eval mode. Inference tensors:
  // they carry no autograd history and cannot be saved for backward by autograd ops (use them
  // only as constants of a loss, as the distillation losses do).
  ModelOutput Forward(const at::Tensor& x, bool taps) const;

  const ModelPlan& plan() const { return plan_; }

 private:
  at::Tensor Activate(at::Tensor x, size_t index) const;

  ModelPlan plan_;
  FrozenAnnOptions options_;
  // Aligned with plan_.layers. kConv: convs[0]; kBasicBlock: conv1, conv2 [, shortcut]; kLinear:
  // linear weight/bias in convs[0] (stride/padding unused).
  std::vector<std::vector<FoldedConv>> layers_;
  std::vector<at::Tensor> qcfs_lambda_;  // per plan layer; defined for QCFS activations
  // Per plan layer: a QCFS ANN's residual block's {act1, act2} lambdas; else empty.
  std::vector<std::vector<at::Tensor>> qcfs_block_lambdas_;
};

}  // namespace lasnn

#endif  // LASNN_LASNN_MODELS_FROZEN_ANN_H_
