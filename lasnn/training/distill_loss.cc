#include "lasnn/training/distill_loss.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

namespace lasnn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The backward of q = x.abs().pow(2).mean(1) ([B, C, N] -> [B, N]) in one pass: (g / C) * (2 x),
// the product that the op-by-op chain's backward (mean, pow, abs) forms, to the bit. x: a
// contiguous [B, C, N] CPU tensor (float or double).
at::Tensor ChannelMeanOfSquaresBackward(const at::Tensor& x, const at::Tensor& grad_q) {
  const int64_t batch = x.size(0), channels = x.size(1), n = x.size(2);
  at::Tensor grad_x = at::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "ChannelMeanOfSquaresBackward", [&] {
    const scalar_t* in = x.data_ptr<scalar_t>();
    const scalar_t* g = grad_q.data_ptr<scalar_t>();
    scalar_t* gx = grad_x.data_ptr<scalar_t>();
    const scalar_t c_s = static_cast<scalar_t>(channels);
    at::parallel_for(0, batch * channels, 1, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const scalar_t* __restrict__ gb = g + (r / channels) * n;
        const scalar_t* __restrict__ xr = in + r * n;
        scalar_t* __restrict__ out = gx + r * n;
        for (int64_t i = 0; i < n; ++i) out[i] = (gb[i] / c_s) * (scalar_t(2) * xr[i]);
      }
    });
  });
  return grad_x;
}

class ChannelMeanOfSquaresFunction
    : public torch::autograd::Function<ChannelMeanOfSquaresFunction> {
 public:
  // Forward: ATen's own square and channel mean (x * x is what abs().pow(2) computes), so the map
  // is the op-by-op one to the bit; one tensor fewer than abs, pow, mean.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    return (x * x).mean(/*dim=*/1);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    return {ChannelMeanOfSquaresBackward(x, grad_outputs[0].contiguous())};
  }
};

// mean over C of |features|^p, [B, H*W]. A student's map (p = 2, a contiguous CPU tensor that
// needs a gradient) takes the fused backward; everything else, the teacher's maps included, the
// op-by-op chain. Double backward through the fused path is not supported.
at::Tensor ChannelMeanOfPowers(const at::Tensor& features, double p) {
  if (p == 2.0 && features.is_cpu() && features.is_contiguous() &&
      (features.scalar_type() == at::kFloat || features.scalar_type() == at::kDouble) &&
      c10::GradMode::is_enabled() && features.requires_grad()) {
    return ChannelMeanOfSquaresFunction::apply(features.flatten(2));  // [B, C, H*W], a view
  }
  return features.abs().pow(p).mean(/*dim=*/1).flatten(1);
}

}  // namespace

at::Tensor AttentionMap(const at::Tensor& features, double p) {
  TORCH_CHECK(features.dim() == 4, "AttentionMap expects [B, C, H, W], got ", features.sizes());
  TORCH_CHECK(features.is_floating_point(), "AttentionMap expects a floating tensor");
  at::Tensor q = ChannelMeanOfPowers(features, p);  // [B, H*W]
  at::Tensor norm = q.norm(2, /*dim=*/{1}, /*keepdim=*/true).clamp_min(1e-12);
  return q / norm;
}

at::Tensor FiringRate(const at::Tensor& spikes) {
  TORCH_CHECK(spikes.dim() >= 2, "FiringRate expects [T, B, ...], got ", spikes.sizes());
  return spikes.mean(/*dim=*/0);
}

at::Tensor AttentionTransferLoss(const at::Tensor& student, const at::Tensor& teacher, double p) {
  TORCH_CHECK(student.dim() == 4 && teacher.dim() == 4,
              "AttentionTransferLoss expects [B, C, H, W] on both sides, got ", student.sizes(),
              " and ", teacher.sizes());
  TORCH_CHECK(student.size(0) == teacher.size(0) && student.size(2) == teacher.size(2) &&
                  student.size(3) == teacher.size(3),
              "AttentionTransferLoss: batch and spatial sizes differ: student ", student.sizes(),
              " vs teacher ", teacher.sizes());
  return (AttentionMap(student, p) - AttentionMap(teacher, p)).pow(2).mean();
}

at::Tensor AttentionTransferLossToMap(const at::Tensor& student, const at::Tensor& teacher_map,
                                      double p) {
  TORCH_CHECK(student.dim() == 4 && teacher_map.dim() == 2 &&
                  teacher_map.size(0) == student.size(0) &&
                  teacher_map.size(1) == student.size(2) * student.size(3),
              "AttentionTransferLossToMap: student ", student.sizes(), " needs a [B, H*W] map, got ",
              teacher_map.sizes());
  return (AttentionMap(student, p) - teacher_map).pow(2).mean();
}

at::Tensor LogitKdLoss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                       double tau) {
  TORCH_CHECK(student_logits.sizes() == teacher_logits.sizes(),
              "LogitKdLoss: logits differ in shape: ", student_logits.sizes(), " vs ",
              teacher_logits.sizes());
  TORCH_CHECK(student_logits.dim() == 2, "LogitKdLoss expects [B, K]");
  TORCH_CHECK(tau > 0, "LogitKdLoss: tau must be > 0");
  at::Tensor log_ps = at::log_softmax(student_logits / tau, /*dim=*/1);
  at::Tensor log_pt = at::log_softmax(teacher_logits / tau, /*dim=*/1);
  at::Tensor kl = (log_pt.exp() * (log_pt - log_ps)).sum(/*dim=*/1).mean();
  return kl * (tau * tau);
}

at::Tensor AttentionPairLoss(const at::Tensor& student, const at::Tensor& teacher_map, double p,
                             PairNormalization normalization) {
  if (normalization == PairNormalization::kPositionMean) {
    return AttentionTransferLossToMap(student, teacher_map, p);
  }
  TORCH_CHECK(student.dim() == 4 && teacher_map.dim() == 2 &&
                  teacher_map.size(0) == student.size(0) &&
                  teacher_map.size(1) == student.size(2) * student.size(3),
              "AttentionPairLoss: student ", student.sizes(), " needs a [B, H*W] map, got ",
              teacher_map.sizes());
  return (AttentionMap(student, p) - teacher_map).pow(2).sum(/*dim=*/1).mean();  // [B] -> []
}

at::Tensor WeightedAttentionLoss(const std::vector<at::Tensor>& students,
                                 const std::vector<at::Tensor>& teacher_maps,
                                 const std::vector<double>& weights, double p,
                                 PairNormalization normalization, const at::Tensor& like) {
  TORCH_CHECK(students.size() == teacher_maps.size() && students.size() == weights.size(),
              "WeightedAttentionLoss: ", students.size(), " students, ", teacher_maps.size(),
              " teacher maps and ", weights.size(), " weights");
  at::Tensor total = at::zeros({}, like.options());
  for (size_t k = 0; k < students.size(); ++k) {
    total = total + AttentionPairLoss(students[k], teacher_maps[k], p, normalization) * weights[k];
  }
  return total;
}

std::vector<double> DefaultPairWeights(int64_t num_pairs, PairNormalization normalization) {
  if (num_pairs <= 0) return {};
  const double w = normalization == PairNormalization::kPairMean
                       ? 1.0 / static_cast<double>(num_pairs)
                       : 1.0;
  return std::vector<double>(static_cast<size_t>(num_pairs), w);
}

}  // namespace lasnn
