#include "lasnn/training/distill_loss.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

namespace lasnn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// q[b, i] = sum over c of x[b, c, i]^2, in channel order, / C: what x.abs().pow(2).mean(1)
// computes, in one pass over x instead of three tensors; backward writes (g / C) * (2 x), the
// product that the op-by-op chain's backward (mean, pow, abs) forms, in one pass too. x: a
// contiguous [B, C, N] CPU tensor (float or double).
at::Tensor ChannelMeanOfSquaresForward(const at::Tensor& x) {
  const int64_t batch = x.size(0), channels = x.size(1), n = x.size(2);
  at::Tensor q = at::empty({batch, n}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "ChannelMeanOfSquares", [&] {
    const scalar_t* in = x.data_ptr<scalar_t>();
    scalar_t* out = q.data_ptr<scalar_t>();
    const scalar_t c_s = static_cast<scalar_t>(channels);
    at::parallel_for(0, batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        scalar_t* __restrict__ o = out + b * n;
        std::fill(o, o + n, scalar_t(0));
        for (int64_t c = 0; c < channels; ++c) {
          const scalar_t* __restrict__ xc = in + (b * channels + c) * n;
          for (int64_t i = 0; i < n; ++i) o[i] += xc[i] * xc[i];
        }
        for (int64_t i = 0; i < n; ++i) o[i] = o[i] / c_s;
      }
    });
  });
  return q;
}

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
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    return ChannelMeanOfSquaresForward(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    return {ChannelMeanOfSquaresBackward(x, grad_outputs[0].contiguous())};
  }
};

// mean over C of |features|^p, [B, H*W].
at::Tensor ChannelMeanOfPowers(const at::Tensor& features, double p) {
  if (p == 2.0 && features.is_cpu() && features.is_contiguous() &&
      (features.scalar_type() == at::kFloat || features.scalar_type() == at::kDouble)) {
    const at::Tensor x = features.flatten(2);  // [B, C, H*W], a view
    if (c10::GradMode::is_enabled() && features.requires_grad()) {
      return ChannelMeanOfSquaresFunction::apply(x);
    }
    return ChannelMeanOfSquaresForward(x);
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
