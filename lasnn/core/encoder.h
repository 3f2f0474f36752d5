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

}  // namespace lasnn

#endif  // LASNN_LASNN_ENCODER_H_
