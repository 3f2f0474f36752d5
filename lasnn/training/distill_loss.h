// Distillation losses for ANN-to-SNN knowledge distillation.
//
// - Attention maps (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): for a
//   feature tensor A [B, C, H, W], Q = mean over C of |A|^p (p = 2), flattened to [B, H*W] and
//   L2-normalised per sample. Teacher side: the ANN activation; student side: the SNN firing rate
//   (spikes averaged over T). Channel counts of the two sides may differ; spatial sizes must match.
// - Attention-transfer loss of a pair (LaSNN's "attention scheme", arXiv 2304.09101, as described
//   in DESIGN.md): AttentionTransferLoss is mean((Qs - Qt)^2) over batch and positions, as in
//   Zagoruyko & Komodakis' code; AttentionPairLoss also offers the balanced normalisation.
// - Logit KD (Hinton et al. 2015): KL(softmax(zt / tau) || softmax(zs / tau)), averaged over the
//   batch, times tau^2.
// - Layer pairing (lasnn/training/tap_pairing.h): taps are paired by spatial resolution
//   (teacher's last tap of each resolution with the student's last tap of the same resolution).
// - Balanced pairs: each pair's loss is normalised so that pairs of every resolution weigh alike
//   (PairNormalization::kPairMean), then weighted; the former per-position mean is kept as
//   kPositionMean.
#ifndef LASNN_LASNN_DISTILL_LOSS_H_
#define LASNN_LASNN_DISTILL_LOSS_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace lasnn {

// features: float [B, C, H, W] (any device). Returns [B, H*W], each row of unit L2 norm (rows
// that are all zero stay zero). p: the exponent applied to |A| before averaging over channels.
// With p = 2 on a contiguous CPU tensor that needs a gradient (a student's firing rate), the
// backward of the channel mean is one fused pass, equal to the op-by-op chain's to the bit; double
// backward is not supported there.
at::Tensor AttentionMap(const at::Tensor& features, double p = 2.0);

// spikes: [T, B, C, H, W] (time-major). Returns the firing rate [B, C, H, W] (mean over T).
at::Tensor FiringRate(const at::Tensor& spikes);

// mean((AttentionMap(student) - AttentionMap(teacher))^2). student, teacher: [B, Cs, H, W] and
// [B, Ct, H, W]; TORCH_CHECK on mismatched B, H or W. Gradient flows to `student` only if the
// caller passes a detached teacher (the trainer does).
at::Tensor AttentionTransferLoss(const at::Tensor& student, const at::Tensor& teacher,
                                 double p = 2.0);

// mean((AttentionMap(student, p) - teacher_map)^2), where teacher_map = AttentionMap(teacher, p)
// [B, H*W] computed once (e.g. under inference mode); equal to AttentionTransferLoss(student,
// teacher, p). TORCH_CHECK when the map's shape is not [B, H*W] of the student's.
at::Tensor AttentionTransferLossToMap(const at::Tensor& student, const at::Tensor& teacher_map,
                                      double p = 2.0);

// Hinton KD: tau^2 * mean over batch of KL(softmax(teacher/tau) || softmax(student/tau)).
// student_logits, teacher_logits: [B, K].
at::Tensor LogitKdLoss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                       double tau);

// How one attention pair's loss is normalised (DistillConfig.attention_normalization).
enum class PairNormalization {
  // The batch mean of ||Qs - Qt||^2 summed over the H*W positions: the squared distance of two
  // unit vectors, in [0, 4] whatever H*W, so pairs of every resolution weigh alike.
  kPairMean,
  // mean((Qs - Qt)^2) over batch and positions, = ||Qs - Qt||^2 / (H*W) (AttentionTransferLoss):
  // a pair weighs about 1 / (H*W), so the deepest pair dominates a sum.
  kPositionMean,
};

// One attention pair's loss against a teacher map computed once (as AttentionTransferLossToMap):
// student [B, C, H, W], teacher_map [B, H*W]; a 0-d tensor of the student's dtype and device.
// TORCH_CHECK on mismatched shapes.
at::Tensor AttentionPairLoss(const at::Tensor& student, const at::Tensor& teacher_map, double p,
                             PairNormalization normalization);

// The attention term of several pairs: sum over k of weights[k] * AttentionPairLoss(students[k],
// teacher_maps[k], p, normalization), a 0-d tensor on the students' device (0 when there are no
// pairs: then `like` gives its dtype and device). TORCH_CHECK that the three lists have one entry
// per pair.
at::Tensor WeightedAttentionLoss(const std::vector<at::Tensor>& students,
                                 const std::vector<at::Tensor>& teacher_maps,
                                 const std::vector<double>& weights, double p,
                                 PairNormalization normalization, const at::Tensor& like);

// The weight of each of `num_pairs` pairs when the config gives none: kPairMean 1 / num_pairs (the
// attention term is the pairs' mean), kPositionMean 1 (their sum, as before issue 17).
std::vector<double> DefaultPairWeights(int64_t num_pairs, PairNormalization normalization);

}  // namespace lasnn

#endif  // LASNN_LASNN_DISTILL_LOSS_H_
