// Event-driven 2-D convolution for spike inputs: the work follows the non-zero inputs (the
// spikes) instead of every input position, for inference of spike-fed layers (conversion
// simulations, SNN evaluation).
//
// For each non-zero input x[n, ci, y, x] = v and each kernel tap (dy, dx) that lands on an output,
// out[n, :, oy, ox] += v * W[:, ci, dy, dx]: in a channels-last accumulator that is one contiguous
// vector update of C_out floats per tap (the weights are re-laid out once as [C_in, k, k, C_out]).
// A dense convolution costs N * H_out * W_out * C_out * C_in * k * k multiply-adds whatever the
// input; this one about rate * N * H * W * C_in * k * k * C_out, plus a scan of the input and the
// layout change of the output. Which is faster depends on the firing rate and the layer's shape:
// //lasnn/core:event_conv_benchmark sweeps both against at::conv2d.
//
// Not bit-identical to at::conv2d: the sum over (ci, dy, dx) runs in another order, so outputs
// agree to float rounding (event_conv_test: 1e-9 relative in float64, 1e-5 in float32), and a
// membrane that lands within rounding of its threshold can spike at another step. So it is an
// option (conversion: --event_driven), never the default.
#ifndef LASNN_LASNN_CORE_EVENT_CONV_H_
#define LASNN_LASNN_CORE_EVENT_CONV_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lasnn {

// Weights re-laid out for EventConv2d: [C_in, k, k, C_out] contiguous, plus the bias and geometry.
struct EventConvWeights {
  at::Tensor taps;  // [C_in, k, k, C_out]
  at::Tensor bias;  // [C_out] (zeros when the conv has none)
  int64_t out_channels = 0;
  int64_t kernel_size = 0;
  int64_t stride = 1;
  int64_t padding = 0;
};

// From a conv weight [C_out, C_in, k, k] (square kernel) and an optional bias [C_out]; float32 or
// float64 on the CPU. c10::Error for other shapes or devices.
EventConvWeights MakeEventConvWeights(const at::Tensor& weight, const at::Tensor& bias,
                                      int64_t stride, int64_t padding);

// at::conv2d(x, weight, bias, stride, padding) for x [N, C_in, H, W] on the CPU, of the weights'
// dtype, skipping zero inputs. Returns a contiguous [N, C_out, H_out, W_out] tensor. Parallel over
// the samples. No autograd (inference only).
at::Tensor EventConv2d(const at::Tensor& x, const EventConvWeights& w);

// The fraction of non-zero entries of x (for choosing between dense and event-driven).
double NonZeroFraction(const at::Tensor& x);

}  // namespace lasnn

#endif  // LASNN_LASNN_CORE_EVENT_CONV_H_
