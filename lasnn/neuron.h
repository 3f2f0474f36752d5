// Multi-step spiking neurons (LIF / IF) with surrogate gradients.
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
// Surrogates (x = h - threshold, w = width):
//   triangle: dS/dx = max(0, w - |x|) / w^2        (default, w = 1; as in SASTC / TET)
//   arctan:   dS/dx = (w / 2) / (1 + (pi/2 * w * x)^2)   (SpikingJelly's ATan, alpha = w)
//   sigmoid:  dS/dx = w * sig(w x) * (1 - sig(w x))      (SpikingJelly's Sigmoid, alpha = w)
#ifndef LASNN_LASNN_NEURON_H_
#define LASNN_LASNN_NEURON_H_

#include <ATen/core/Tensor.h>

namespace lasnn {

enum class Surrogate { kTriangle, kArctan, kSigmoid };
enum class ResetMode { kZero, kSubtract };

struct NeuronOptions {
  double decay = 0.5;          // LIF leak; 1.0 gives IF
  double threshold = 1.0;
  ResetMode reset = ResetMode::kZero;
  bool detach_reset = false;
  double init_membrane = 0.0;  // initial membrane as a fraction of the threshold (QCFS: 0.5)
  Surrogate surrogate = Surrogate::kTriangle;
  double surrogate_width = 1.0;
};

// Fused multi-step neuron: one custom autograd function runs all T steps forward and computes the
// whole BPTT backward itself. input: [T, B, ...] float32/float64 on CPU or CUDA. Returns spikes of
// the same shape, dtype and device (values 0 or 1). Differentiable w.r.t. input.
at::Tensor MultiStepNeuron(const at::Tensor& input, const NeuronOptions& options);

// Reference: the same neuron built op by op from autograd-tracked tensor operations, one graph
// node per step. Forward spikes equal MultiStepNeuron's exactly.
at::Tensor MultiStepNeuronReference(const at::Tensor& input, const NeuronOptions& options);

}  // namespace lasnn

#endif  // LASNN_LASNN_NEURON_H_
