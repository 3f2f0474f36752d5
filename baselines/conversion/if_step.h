// One step of a layer of integrate-and-fire neurons, the inner loop of every conversion
// simulation (baselines/conversion/conversion.h):
//   u += current;  s = (u >= theta);  u -= theta * s (reset by subtraction) or u *= 1 - s (to
//   zero);  returns theta * s (spikes scaled by the threshold).
// theta is 0-d (one threshold per layer) or [C] (per channel, C = current.size(1)).
#ifndef LASNN_BASELINES_CONVERSION_IF_STEP_H_
#define LASNN_BASELINES_CONVERSION_IF_STEP_H_

#include <ATen/core/Tensor.h>

namespace lasnn::conversion {

// Updates u in place and returns theta * s. When spike_counts is not null, also writes each
// sample's number of spikes this step into it (int64 [B], B = current.size(0), allocated here).
// On the CPU, for contiguous float32 / float64 u and current of one shape and theta of their
// dtype, one fused pass parallel over the samples (at::parallel_for); elsewhere IfStepReference
// and a reduction. Both give the same bits: the fused loop makes the same float operations in the
// same order (compiled without contraction into fused multiply-adds; if_step_test checks).
at::Tensor IfStep(at::Tensor& u, const at::Tensor& current, const at::Tensor& theta,
                  bool reset_by_subtraction, at::Tensor* spike_counts = nullptr);

// theta (0-d, or [C]) viewed to broadcast against current [B, C, ...]: [1, C, 1, ...].
at::Tensor BroadcastThreshold(const at::Tensor& theta, const at::Tensor& current);

// The same step from LibTorch tensor operations (any device).
at::Tensor IfStepReference(at::Tensor& u, const at::Tensor& current, const at::Tensor& theta,
                           bool reset_by_subtraction);

}  // namespace lasnn::conversion

#endif  // LASNN_BASELINES_CONVERSION_IF_STEP_H_
