#include "lasnn/training/distill_loss.h"

#include <ATen/ATen.h>

namespace lasnn {

at::Tensor AttentionMap(const at::Tensor& features, double p) {
  TORCH_CHECK(features.dim() == 4, "AttentionMap expects [B, C, H, W], got ", features.sizes());
  TORCH_CHECK(features.is_floating_point(), "AttentionMap expects a floating tensor");
  at::Tensor q = features.abs().pow(p).mean(/*dim=*/1).flatten(1);  // [B, H*W]
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
