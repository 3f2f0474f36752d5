// Multi-step spiking neurons (LIF / IF) with surrogate gradients, for surrogate-gradient BPTT
// training (LaSNN, arXiv 2304.09101; defaults follow the first author's SASTC code: LIF, decay 0.5,
// threshold 1, hard reset, triangle surrogate of width 1) and for ANN-to-SNN conversion (QCFS,
// Bu et al. 2022, needs IF: decay 1, reset by subtraction, init_membrane 0.5).
//
// Tensor layout: every SNN tensor in this project is time-major, [T, B, ...] (T timesteps first,
// then the batch, then the feature dimensions). Layers that are not neurons fold T into the batch
// ([T*B, ...]) so they run once for all timesteps.
//
// Dynamics, for t = 1..T, with membrane u[0] = init_membrane * threshold:
//   h[t] = decay * u[t-1] + I[t]                 (charge; IF is decay = 1)
//   s[t] = H(h[t] - threshold)                   (Heaviside spike; surrogate gradient in backward)
//   u[t] = h[t] * (1 - s[t])                     (reset to zero, "hard")
//   u[t] = h[t] - threshold * s[t]               (reset by subtraction, "soft")
// With detach_reset, s[t] in the reset term is treated as a constant by backward.
// H(x) = 1 for x >= 0, else 0. Surrogates (x = h - threshold, w = width; see surrogate.h):
//   triangle: dS/dx = max(0, w - |x|) / w^2        (default, w = 1; as in SASTC / TET)
//   arctan:   dS/dx = (w / 2) / (1 + (pi/2 * w * x)^2)   (SpikingJelly's ATan, alpha = w)
//   sigmoid:  dS/dx = w * sig(w x) * (1 - sig(w x))      (SpikingJelly's Sigmoid, alpha = w)
// Backward is full BPTT through the membrane recurrence u[t-1] -> h[t], including the reset path
// (the gradient through s[t] in u[t]) unless detach_reset. init_membrane is a constant (no
// gradient).
//
// Preconditions (TORCH_CHECK, c10::Error naming the function and the value): input is defined,
// [T, B, ...] with dim >= 2 and T >= 1, of a floating dtype (float32 or float64 for the fused CPU
// kernel); decay and init_membrane finite; threshold and surrogate_width finite and > 0.
#ifndef LASNN_LASNN_NEURON_H_
#define LASNN_LASNN_NEURON_H_

#include <ATen/core/Tensor.h>

#include "lasnn/core/surrogate.h"

namespace lasnn {

enum class ResetMode { kZero, kSubtract };

struct NeuronOptions {
  double decay = 0.5;  // LIF leak; 1.0 gives IF
  double threshold = 1.0;
  ResetMode reset = ResetMode::kZero;
  bool detach_reset = false;
  double init_membrane = 0.0;  // initial membrane as a fraction of the threshold (QCFS: 0.5)
  Surrogate surrogate = Surrogate::kTriangle;
  double surrogate_width = 1.0;
};

// Fused multi-step neuron: one custom autograd function runs all T steps forward and computes the
// whole BPTT backward itself. input: [T, B, ...] float32/float64 on CPU or CUDA. Returns spikes of
// the same shape, dtype and device (values 0 or 1), contiguous. Differentiable w.r.t. input.
// Forward spikes equal MultiStepNeuronReference's exactly; input gradients agree up to rounding.
// CPU: one pass per element over t, parallelised with at::parallel_for over the B*... elements
// (at::get_num_threads() threads), no per-step tensors. Saves for backward only a reference to the
// input (copied only if some input[t] is not contiguous); backward recomputes h per block of
// elements. The input's time stride is free: RepeatOverTime(x, T) (encoder.h, stride 0 over T) is
// read and saved without materialising T copies.
// CUDA (or any non-CPU device): the same math from per-step tensor ops without an autograd graph;
// saves h, one [T, B, ...] tensor of the input's dtype.
// Saves nothing when no gradient is needed (grad mode off or input not requiring grad).
// Double backward is not supported.
at::Tensor MultiStepNeuron(const at::Tensor& input, const NeuronOptions& options);

// MultiStepNeuron that also returns the firing rate, the mean over T of the spikes ([B, ...],
// equal to spikes.mean(0) to the bit), from the same pass. Both outputs are differentiable; the
// rate's gradient joins each step's spike gradient inside the BPTT pass, so no [T, B, ...]
// gradient is built for it (nor added to the spikes' one) as spikes.mean(0) would: what a
// distillation loss on the rate (LaSNN's attention maps) costs in backward is one [B, ...] read.
// Input gradients equal those of MultiStepNeuron followed by spikes.mean(0) (to the bit on the
// CPU; up to rounding elsewhere). Same preconditions and devices as MultiStepNeuron.
struct SpikesAndRate {
  at::Tensor spikes;  // [T, B, ...]
  at::Tensor rate;    // [B, ...]
};
SpikesAndRate MultiStepNeuronWithRate(const at::Tensor& input, const NeuronOptions& options);

// Reference: the same neuron built op by op from autograd-tracked tensor operations (a few graph
// nodes and saved [B, ...] tensors per step). Forward spikes equal MultiStepNeuron's exactly.
// Same preconditions, shapes and devices as MultiStepNeuron; backward matches it up to rounding.
at::Tensor MultiStepNeuronReference(const at::Tensor& input, const NeuronOptions& options);

namespace neuron_internal {

// The fused autograd function with the device-generic tensor-op kernels (the CUDA path), run on
// any device: lets CPU-only tests check the CUDA path's math. Same contract as MultiStepNeuron.
at::Tensor MultiStepNeuronTensorOps(const at::Tensor& input, const NeuronOptions& options);
SpikesAndRate MultiStepNeuronWithRateTensorOps(const at::Tensor& input,
                                               const NeuronOptions& options);

}  // namespace neuron_internal

}  // namespace lasnn

#endif  // LASNN_LASNN_NEURON_H_
