#include "lasnn/core/event_conv.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace lasnn {
namespace {

// acc[0..n) += v * w[0..n).
template <typename scalar_t>
__attribute__((always_inline)) inline void Axpy(scalar_t* __restrict__ acc,
                                                const scalar_t* __restrict__ w, scalar_t v,
                                                int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += v * w[i];
}

template <typename scalar_t>
__attribute__((always_inline)) inline void EventConvSample(const scalar_t* x, int64_t cin, int64_t h, int64_t w, const scalar_t* taps,
                     const scalar_t* bias, int64_t cout, int64_t k, int64_t stride,
                     int64_t padding, int64_t ho, int64_t wo, scalar_t* acc /* [ho, wo, cout] */,
                     scalar_t* out /* [cout, ho, wo] */) {
  for (int64_t p = 0; p < ho * wo; ++p) std::copy(bias, bias + cout, acc + p * cout);
  for (int64_t ci = 0; ci < cin; ++ci) {
    const scalar_t* plane = x + ci * h * w;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t xx = 0; xx < w; ++xx) {
        const scalar_t v = plane[y * w + xx];
        if (v == scalar_t(0)) continue;
        // Output (oy, ox) sees input (oy * stride - padding + dy, ox * stride - padding + dx).
        for (int64_t dy = 0; dy < k; ++dy) {
          const int64_t ny = y + padding - dy;
          if (ny < 0 || ny % stride != 0 || ny / stride >= ho) continue;
          const int64_t oy = ny / stride;
          for (int64_t dx = 0; dx < k; ++dx) {
            const int64_t nx = xx + padding - dx;
            if (nx < 0 || nx % stride != 0 || nx / stride >= wo) continue;
            const int64_t ox = nx / stride;
            Axpy(acc + (oy * wo + ox) * cout, taps + ((ci * k + dy) * k + dx) * cout, v, cout);
          }
        }
      }
    }
  }
  // Channels-last accumulator to NCHW.
  for (int64_t p = 0; p < ho * wo; ++p) {
    for (int64_t o = 0; o < cout; ++o) out[o * ho * wo + p] = acc[p * cout + o];
  }
}

// One sample, compiled twice (AVX2 where the CPU has it, else baseline x86-64): the row updates
// inline into each clone and vectorise at its width.
#define LASNN_EVENT_CONV_SAMPLE(T)                                                                \
  __attribute__((target_clones("avx2", "default"))) void EventConvSampleOf(                       \
      const T* x, int64_t cin, int64_t h, int64_t w, const T* taps, const T* bias, int64_t cout, \
      int64_t k, int64_t stride, int64_t padding, int64_t ho, int64_t wo, T* acc, T* out) {     \
    EventConvSample<T>(x, cin, h, w, taps, bias, cout, k, stride, padding, ho, wo, acc, out);    \
  }
LASNN_EVENT_CONV_SAMPLE(float)
LASNN_EVENT_CONV_SAMPLE(double)
#undef LASNN_EVENT_CONV_SAMPLE

}  // namespace

EventConvWeights MakeEventConvWeights(const at::Tensor& weight, const at::Tensor& bias,
                                      int64_t stride, int64_t padding) {
  TORCH_CHECK(weight.dim() == 4 && weight.size(2) == weight.size(3),
              "MakeEventConvWeights: weight must be [C_out, C_in, k, k], got ", weight.sizes());
  TORCH_CHECK(weight.device().is_cpu(), "MakeEventConvWeights: CPU weights only");
  TORCH_CHECK(weight.scalar_type() == at::kFloat || weight.scalar_type() == at::kDouble,
              "MakeEventConvWeights: float32 or float64 weights, got ", weight.scalar_type());
  TORCH_CHECK(stride >= 1 && padding >= 0, "MakeEventConvWeights: stride ", stride,
              " padding ", padding);
  EventConvWeights w;
  w.out_channels = weight.size(0);
  w.kernel_size = weight.size(2);
  w.stride = stride;
  w.padding = padding;
  w.taps = weight.detach().permute({1, 2, 3, 0}).contiguous();
  if (bias.defined()) {
    TORCH_CHECK(bias.numel() == w.out_channels, "MakeEventConvWeights: bias of ", bias.numel(),
                " entries for ", w.out_channels, " output channels");
    w.bias = bias.detach().to(weight.scalar_type()).contiguous();
  } else {
    w.bias = at::zeros({w.out_channels}, weight.options());
  }
  return w;
}

at::Tensor EventConv2d(const at::Tensor& input, const EventConvWeights& w) {
  TORCH_CHECK(input.dim() == 4 && input.size(1) == w.taps.size(0),
              "EventConv2d: input must be [N, ", w.taps.size(0), ", H, W], got ", input.sizes());
  TORCH_CHECK(input.device().is_cpu() && input.scalar_type() == w.taps.scalar_type(),
              "EventConv2d: input must be a CPU tensor of the weights' dtype");
  const at::Tensor x = input.contiguous();
  const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t k = w.kernel_size, s = w.stride, p = w.padding, cout = w.out_channels;
  const int64_t ho = (h + 2 * p - k) / s + 1, wo = (wd + 2 * p - k) / s + 1;
  TORCH_CHECK(ho >= 1 && wo >= 1, "EventConv2d: input ", x.sizes(), " is smaller than the kernel");
  at::Tensor out = at::empty({n, cout, ho, wo}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "EventConv2d", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* taps = w.taps.data_ptr<scalar_t>();
    const scalar_t* bias = w.bias.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
      std::vector<scalar_t> acc(ho * wo * cout);
      for (int64_t i = begin; i < end; ++i) {
        EventConvSampleOf(xp + i * cin * h * wd, cin, h, wd, taps, bias, cout, k, s, p, ho, wo,
                        acc.data(), op + i * cout * ho * wo);
      }
    });
  });
  return out;
}

double NonZeroFraction(const at::Tensor& x) {
  if (x.numel() == 0) return 0.0;
  return static_cast<double>(x.ne(0).sum().item<int64_t>()) / static_cast<double>(x.numel());
}

}  // namespace lasnn
