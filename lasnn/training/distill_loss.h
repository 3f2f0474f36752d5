// Distillation losses for ANN-to-SNN knowledge distillation.
//
// - Attention maps (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): for a
//   feature tensor A [B, C, H, W], Q = mean over C of |A|^p (p = 2), flattened to [B, H*W] and
//   L2-normalised per sample. Teacher side: the ANN activation; student side: the SNN firing rate
//   (spikes averaged over T). Channel counts of the two sides may differ; spatial sizes must match.
// - Attention-transfer loss of a pair: mean((Qs - Qt)^2) over batch and positions (LaSNN's
//   "attention scheme", arXiv 2304.09101, as described in DESIGN.md).
// - Logit KD (Hinton et al. 2015): KL(softmax(zt / tau) || softmax(zs / tau)), averaged over the
//   batch, times tau^2.
// - Layer pairing: taps are paired by spatial resolution (teacher's last tap of each resolution
//   with the student's last tap of the same resolution).
#ifndef LASNN_LASNN_DISTILL_LOSS_H_
#define LASNN_LASNN_DISTILL_LOSS_H_

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lasnn {

// features: float [B, C, H, W] (any device). Returns [B, H*W], each row of unit L2 norm (rows
// that are all zero stay zero). p: the exponent applied to |A| before averaging over channels.
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

// Pairs student and teacher taps of equal spatial resolution, shallow (largest) to deep, using
// the last tap of each resolution on each side. Resolutions that only one side has are skipped.
// InvalidArgument if no resolution is shared (the message lists both sides' resolutions).
absl::StatusOr<std::vector<TapPair>> PairTapsByResolution(const std::vector<TapShape>& student,
                                                          const std::vector<TapShape>& teacher);

}  // namespace lasnn

#endif  // LASNN_LASNN_DISTILL_LOSS_H_
