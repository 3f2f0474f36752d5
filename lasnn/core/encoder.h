// Input encoders: turn an analog batch x [B, ...] into a time-major SNN input [T, B, ...]
// (the layout of neuron.h).
//
// - Direct encoding (the default of LaSNN / SASTC): the analog image itself is the input current at
//   every step. RepeatOverTime gives that as a view, without materialising T copies.
// - Poisson rate coding: each pixel in [0, 1] is the per-step spike probability, drawn
//   independently per step and element from a seeded generator.
// - Latency (time-to-first-spike) coding: each positive pixel spikes once, brighter pixels earlier.
#ifndef LASNN_LASNN_ENCODER_H_
#define LASNN_LASNN_ENCODER_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace lasnn {

// x: [B, ...], any dtype and device; steps >= 1. Returns x broadcast over a new leading time
// dimension, [steps, B, ...]: a view of x (time stride 0, no copy), differentiable (backward sums
// the time dimension). MultiStepNeuron reads such a view without copying it; reshaping it to
// [T*B, ...] copies.
//
// Why this suffices for direct encoding: the layers before the first neuron see the same input at
// every step, so they are time-invariant. A first conv (+ BN) without a neuron can run once on
// [B, ...] and its output be broadcast with RepeatOverTime: conv is per-sample, and BN's batch
// statistics over T identical copies equal those over one copy (only the unbiased running-variance
// factor n / (n - 1) differs: n = B*H*W instead of T*B*H*W). This saves T-1 of the first layer's
// T runs, forward and backward.
at::Tensor RepeatOverTime(const at::Tensor& x, int64_t steps);

// Direct encoding: the analog input fed unchanged at every step. x: [B, ...], floating, any device.
// Returns RepeatOverTime(x, steps), [steps, B, ...], a view of x.
at::Tensor DirectEncode(const at::Tensor& x, int64_t steps);

// Poisson rate coding. x: [B, ...], floating, values in [0, 1] (the per-step spike probability);
// steps >= 1. Returns [steps, B, ...] of x's dtype and device holding 0/1, with
// out[t] = (u[t] < x), u[t] ~ U[0, 1) drawn from `generator` (which must be for x's device).
// The same generator state, shape, dtype and device give the same spikes.
// Not differentiable.
at::Tensor PoissonEncode(const at::Tensor& x, int64_t steps, at::Generator generator);

// Poisson rate coding from a seed: the uniforms are drawn on the CPU from a generator seeded with
// `seed` and moved to x's device, so the same seed, shape and dtype give the same spikes on every
// device. Same contract as above otherwise.
at::Tensor PoissonEncode(const at::Tensor& x, int64_t steps, uint64_t seed);

// Latency (time-to-first-spike) coding. x: [B, ...], floating, values in [0, 1]; steps >= 1.
// Returns [steps, B, ...] of x's dtype and device: each element with x > 0 spikes exactly once, at
// step round((1 - x) * (steps - 1)) (0-based; computed in x's dtype, ties to even as at::round),
// so x = 1 spikes at step 0 and tiny x at the last step; x = 0 never spikes. Deterministic, not
// differentiable.
at::Tensor LatencyEncode(const at::Tensor& x, int64_t steps);

// How images become an SNN's input (lasnn/models EncoderSpec.Kind names the same codes).
enum class InputCode { kDirect, kPoisson, kLatency };

// The input pipeline of training, evaluation and conversion: raw images in [0, 1] are encoded,
// then normalised per channel, (s - mean[c]) / std[c], so that a rate code's mean over steps is
// the normalised image an ANN sees (and a converted SNN's input averages to its ANN's input).
//  - Direct: the normalised image itself ([B, ...]; the model repeats it over the steps).
//  - Poisson: each element's spike at step t is u < x, with u uniform in [0, 1) (24 bits) drawn
//    from SplitMix64 keyed by (seed, stream, dataset index of the image, t, element): the same
//    image gets the same train at any batch size, thread count or device, and on resume.
//    `stream` separates draws: 0 for evaluation, 1 + epoch in training.
//  - Latency: LatencyEncode's code (spike at round((1 - x) * (steps - 1)) for x > 0).
// Every output is on the device and of the dtype of `raw`.
class InputEncoder {
 public:
  // mean, std: one entry per channel (std > 0; TORCH_CHECK); seed keys the Poisson draws.
  InputEncoder(InputCode code, std::vector<double> mean, std::vector<double> std, uint64_t seed);

  InputCode code() const { return code_; }

  // (raw - mean) / std per channel; raw: float [B, C, ...].
  at::Tensor Normalise(const at::Tensor& raw) const;

  // Steps [first, first + count) of the `steps`-step code of raw (float [B, C, ...], values in
  // [0, 1]: the batcher's raw images are, by construction; not checked, which would read the
  // values back to the host at every step), normalised: [count, B, C, ...]. indices: int64 [B] on
  // the CPU, the images' dataset indices. Direct: Normalise(raw) repeated over the count steps (a
  // view). TORCH_CHECK on bad shapes or steps outside [0, steps). No host read; the Poisson
  // uniforms are drawn on the CPU and copied to raw's device.
  at::Tensor EncodeSteps(const at::Tensor& raw, const at::Tensor& indices, uint64_t stream,
                         int64_t steps, int64_t first, int64_t count) const;

  // The code of EncodeSteps before normalisation: the spikes, 0 / 1 of raw's dtype,
  // [count, B, C, ...]. Poisson and latency only (TORCH_CHECK).
  at::Tensor CodeSteps(const at::Tensor& raw, const at::Tensor& indices, uint64_t stream,
                       int64_t steps, int64_t first, int64_t count) const;

  // The model's input for `steps` steps: Normalise(raw) [B, C, ...] for direct encoding (the model
  // repeats it), else EncodeSteps(raw, indices, stream, steps, 0, steps) [steps, B, C, ...].
  at::Tensor Encode(const at::Tensor& raw, const at::Tensor& indices, uint64_t stream,
                    int64_t steps) const;

 private:
  InputCode code_;
  std::vector<double> mean_, std_;
  uint64_t seed_;
};

}  // namespace lasnn

#endif  // LASNN_LASNN_ENCODER_H_
