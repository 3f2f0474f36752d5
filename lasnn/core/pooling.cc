#include "lasnn/core/pooling.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace lasnn {
namespace {

using pooling_internal::Kernel;

std::atomic<Kernel> g_kernel{Kernel::kBest};

bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

// ---------------------------------------------------------------------------------------------
// Scalar kernels: one row pair (input rows 2*oy, 2*oy + 1) at a time.

template <typename scalar_t>
void ForwardRowScalar(const scalar_t* r0, const scalar_t* r1, scalar_t* orow, uint8_t* irow,
                      int64_t wo) {
  for (int64_t ox = 0; ox < wo; ++ox) {
    // at::max_pool2d's rule, branch-free: a later value wins if greater or NaN.
    const scalar_t b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
    scalar_t m = r0[2 * ox];
    uint8_t k = 0;
    bool take = (b > m) | (b != b);
    m = take ? b : m;
    k = take ? 1 : k;
    take = (c > m) | (c != c);
    m = take ? c : m;
    k = take ? 2 : k;
    take = (d > m) | (d != d);
    m = take ? d : m;
    k = take ? 3 : k;
    orow[ox] = m;
    irow[ox] = k;
  }
}

template <typename scalar_t>
void BackwardRowScalar(const scalar_t* grow, const uint8_t* irow, scalar_t* r0, scalar_t* r1,
                       int64_t wo) {
  for (int64_t ox = 0; ox < wo; ++ox) {
    const scalar_t v = grow[ox];
    const uint8_t k = irow[ox];
    r0[2 * ox] = k == 0 ? v : scalar_t(0);
    r0[2 * ox + 1] = k == 1 ? v : scalar_t(0);
    r1[2 * ox] = k == 2 ? v : scalar_t(0);
    r1[2 * ox + 1] = k == 3 ? v : scalar_t(0);
  }
}

template <typename scalar_t>
void AvgForwardRowScalar(const scalar_t* r0, const scalar_t* r1, scalar_t* orow, int64_t wo) {
  for (int64_t ox = 0; ox < wo; ++ox) {
    orow[ox] =
        (((scalar_t(0) + r0[2 * ox]) + r0[2 * ox + 1]) + r1[2 * ox]) + r1[2 * ox + 1];
    orow[ox] /= scalar_t(4);
  }
}

template <typename scalar_t>
void AvgBackwardRowScalar(const scalar_t* grow, scalar_t* r0, scalar_t* r1, int64_t wo) {
  for (int64_t ox = 0; ox < wo; ++ox) {
    const scalar_t g = scalar_t(0) + grow[ox] / scalar_t(4);
    r0[2 * ox] = g;
    r0[2 * ox + 1] = g;
    r1[2 * ox] = g;
    r1[2 * ox + 1] = g;
  }
}

// ---------------------------------------------------------------------------------------------
// AVX2 kernels (float32): 8 outputs per step; the row's last wo % 8 outputs under a mask (masked
// loads do not touch the masked-off memory, so nothing past the row is read or written). The
// comparisons are the scalar kernel's: b > m (ordered) or b is NaN, in the order b, c, d.

// Lanes i < n all ones (n clamped to [0, 8]).
__attribute__((target("avx2"))) inline __m256i LaneMask(int64_t n) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::clamp<int64_t>(n, 0, 8))),
                            iota);
}

// Even and odd elements of the 16 floats lo:hi, in order.
__attribute__((target("avx2"))) inline void Deinterleave(__m256 lo, __m256 hi, __m256* even,
                                                         __m256* odd) {
  // shuffle: per 128-bit lane (x0 x2 x8 x10 | x4 x6 x12 x14); the 64-bit permute restores order.
  *even = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xD8));
  *odd = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xDD)), 0xD8));
}

// The windows of n outputs (1..8) of one row pair, deinterleaved: a, b from r0; c, d from r1.
__attribute__((target("avx2"))) inline void LoadWindows(const float* r0, const float* r1,
                                                        int64_t n, __m256* a, __m256* b,
                                                        __m256* c, __m256* d) {
  __m256 r0lo, r0hi, r1lo, r1hi;
  if (n == 8) {
    r0lo = _mm256_loadu_ps(r0);
    r0hi = _mm256_loadu_ps(r0 + 8);
    r1lo = _mm256_loadu_ps(r1);
    r1hi = _mm256_loadu_ps(r1 + 8);
  } else {
    const __m256i lo_mask = LaneMask(2 * n), hi_mask = LaneMask(2 * n - 8);
    r0lo = _mm256_maskload_ps(r0, lo_mask);
    r0hi = _mm256_maskload_ps(r0 + 8, hi_mask);
    r1lo = _mm256_maskload_ps(r1, lo_mask);
    r1hi = _mm256_maskload_ps(r1 + 8, hi_mask);
  }
  Deinterleave(r0lo, r0hi, a, b);
  Deinterleave(r1lo, r1hi, c, d);
}

// One comparison of the window: v wins where greater than m (ordered) or NaN.
__attribute__((target("avx2"))) inline void TakeIfGreater(__m256 v, int index, __m256* m,
                                                          __m256i* k) {
  const __m256 take =
      _mm256_or_ps(_mm256_cmp_ps(v, *m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  *m = _mm256_blendv_ps(*m, v, take);
  *k = _mm256_blendv_epi8(*k, _mm256_set1_epi32(index), _mm256_castps_si256(take));
}

// n outputs (1..8) of one row pair starting at output ox.
__attribute__((target("avx2"))) inline void ForwardBlockAvx2(const float* r0, const float* r1,
                                                             float* orow, uint8_t* irow,
                                                             int64_t n) {
  __m256 a, b, c, d;
  LoadWindows(r0, r1, n, &a, &b, &c, &d);
  __m256 m = a;
  __m256i k = _mm256_setzero_si256();
  TakeIfGreater(b, 1, &m, &k);
  TakeIfGreater(c, 2, &m, &k);
  TakeIfGreater(d, 3, &m, &k);
  // The low byte of each 32-bit index, lane by lane, into 8 bytes.
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        -1, -1);
  const __m256i packed = _mm256_shuffle_epi8(k, pick);
  const uint64_t bytes =
      static_cast<uint64_t>(static_cast<uint32_t>(_mm256_extract_epi32(packed, 0))) |
      (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_extract_epi32(packed, 4))) << 32);
  if (n == 8) {
    _mm256_storeu_ps(orow, m);
    std::memcpy(irow, &bytes, 8);
  } else {
    _mm256_maskstore_ps(orow, LaneMask(n), m);
    std::memcpy(irow, &bytes, static_cast<size_t>(n));  // little-endian: the first n indices
  }
}

__attribute__((target("avx2"))) void ForwardRowAvx2(const float* r0, const float* r1,
                                                    float* orow, uint8_t* irow, int64_t wo) {
  for (int64_t ox = 0; ox < wo; ox += 8) {
    ForwardBlockAvx2(r0 + 2 * ox, r1 + 2 * ox, orow + ox, irow + ox, std::min<int64_t>(8, wo - ox));
  }
}

// v where k == index, else +0.
__attribute__((target("avx2"))) inline __m256 Where(__m256 v, __m256i k, int index) {
  return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(index))));
}

// 2n elements (n = 1..8) of a gradient row: the even ones from `even`, the odd ones from `odd`.
__attribute__((target("avx2"))) inline void StoreInterleaved(float* row, __m256 even, __m256 odd,
                                                             int64_t n) {
  // unpack: per lane (e0 o0 e1 o1 | e4 o4 e5 o5) and (e2 o2 e3 o3 | e6 o6 e7 o7).
  const __m256 x = _mm256_unpacklo_ps(even, odd), y = _mm256_unpackhi_ps(even, odd);
  const __m256 lo = _mm256_permute2f128_ps(x, y, 0x20), hi = _mm256_permute2f128_ps(x, y, 0x31);
  if (n == 8) {
    _mm256_storeu_ps(row, lo);
    _mm256_storeu_ps(row + 8, hi);
  } else {
    _mm256_maskstore_ps(row, LaneMask(2 * n), lo);
    _mm256_maskstore_ps(row + 8, LaneMask(2 * n - 8), hi);
  }
}

// n outputs' gradients (1..8) into 2n elements of each input row.
__attribute__((target("avx2"))) inline void BackwardBlockAvx2(const float* grow,
                                                              const uint8_t* irow, float* r0,
                                                              float* r1, int64_t n) {
  __m256 v;
  uint64_t bytes = 0;
  if (n == 8) {
    v = _mm256_loadu_ps(grow);
    std::memcpy(&bytes, irow, 8);
  } else {
    v = _mm256_maskload_ps(grow, LaneMask(n));
    std::memcpy(&bytes, irow, static_cast<size_t>(n));
  }
  const __m256i k = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<int64_t>(bytes)));
  StoreInterleaved(r0, Where(v, k, 0), Where(v, k, 1), n);
  StoreInterleaved(r1, Where(v, k, 2), Where(v, k, 3), n);
}

__attribute__((target("avx2"))) void BackwardRowAvx2(const float* grow, const uint8_t* irow,
                                                     float* r0, float* r1, int64_t wo) {
  for (int64_t ox = 0; ox < wo; ox += 8) {
    BackwardBlockAvx2(grow + ox, irow + ox, r0 + 2 * ox, r1 + 2 * ox,
                      std::min<int64_t>(8, wo - ox));
  }
}

__attribute__((target("avx2"))) void AvgForwardRowAvx2(const float* r0, const float* r1,
                                                       float* orow, int64_t wo) {
  const __m256 zero = _mm256_setzero_ps(), four = _mm256_set1_ps(4.0f);
  for (int64_t ox = 0; ox < wo; ox += 8) {
    const int64_t n = std::min<int64_t>(8, wo - ox);
    __m256 a, b, c, d;
    LoadWindows(r0 + 2 * ox, r1 + 2 * ox, n, &a, &b, &c, &d);
    const __m256 sum =
        _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(zero, a), b), c), d);
    const __m256 mean = _mm256_div_ps(sum, four);
    if (n == 8) {
      _mm256_storeu_ps(orow + ox, mean);
    } else {
      _mm256_maskstore_ps(orow + ox, LaneMask(n), mean);
    }
  }
}

__attribute__((target("avx2"))) void AvgBackwardRowAvx2(const float* grow, float* r0, float* r1,
                                                        int64_t wo) {
  const __m256 zero = _mm256_setzero_ps(), four = _mm256_set1_ps(4.0f);
  for (int64_t ox = 0; ox < wo; ox += 8) {
    const int64_t n = std::min<int64_t>(8, wo - ox);
    const __m256 v =
        n == 8 ? _mm256_loadu_ps(grow + ox) : _mm256_maskload_ps(grow + ox, LaneMask(n));
    const __m256 g = _mm256_add_ps(zero, _mm256_div_ps(v, four));
    StoreInterleaved(r0 + 2 * ox, g, g, n);
    StoreInterleaved(r1 + 2 * ox, g, g, n);
  }
}

// One row pair by the chosen kernel (float64 always scalar).
void ForwardRow(const float* r0, const float* r1, float* orow, uint8_t* irow, int64_t wo,
                bool avx2) {
  if (avx2) {
    ForwardRowAvx2(r0, r1, orow, irow, wo);
  } else {
    ForwardRowScalar(r0, r1, orow, irow, wo);
  }
}
void ForwardRow(const double* r0, const double* r1, double* orow, uint8_t* irow, int64_t wo,
                bool /*avx2*/) {
  ForwardRowScalar(r0, r1, orow, irow, wo);
}
void BackwardRow(const float* grow, const uint8_t* irow, float* r0, float* r1, int64_t wo,
                 bool avx2) {
  if (avx2) {
    BackwardRowAvx2(grow, irow, r0, r1, wo);
  } else {
    BackwardRowScalar(grow, irow, r0, r1, wo);
  }
}
void BackwardRow(const double* grow, const uint8_t* irow, double* r0, double* r1, int64_t wo,
                 bool /*avx2*/) {
  BackwardRowScalar(grow, irow, r0, r1, wo);
}

void AvgForwardRow(const float* r0, const float* r1, float* orow, int64_t wo, bool avx2) {
  if (avx2) {
    AvgForwardRowAvx2(r0, r1, orow, wo);
  } else {
    AvgForwardRowScalar(r0, r1, orow, wo);
  }
}
void AvgForwardRow(const double* r0, const double* r1, double* orow, int64_t wo, bool /*avx2*/) {
  AvgForwardRowScalar(r0, r1, orow, wo);
}
void AvgBackwardRow(const float* grow, float* r0, float* r1, int64_t wo, bool avx2) {
  if (avx2) {
    AvgBackwardRowAvx2(grow, r0, r1, wo);
  } else {
    AvgBackwardRowScalar(grow, r0, r1, wo);
  }
}
void AvgBackwardRow(const double* grow, double* r0, double* r1, int64_t wo, bool /*avx2*/) {
  AvgBackwardRowScalar(grow, r0, r1, wo);
}

// ---------------------------------------------------------------------------------------------

template <typename scalar_t>
bool UseAvx2() {
  return std::is_same_v<scalar_t, float> && g_kernel.load() == Kernel::kBest && CpuHasAvx2();
}

// Runs row_fn(plane, oy) for every output row pair of `planes` planes of an h x w input gradient
// `out`, in parallel over the planes, and zeroes the inputs no window covers (the last column of
// an odd width, the last row of an odd height). row_fn(p, oy) writes input rows 2 oy and 2 oy + 1
// of plane p.
template <typename scalar_t, typename RowFn>
void ForEachGradRowPair(scalar_t* out, int64_t planes, int64_t h, int64_t w, const RowFn& row_fn) {
  at::parallel_for(0, planes, 8, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      scalar_t* plane = out + p * h * w;
      for (int64_t oy = 0; oy < h / 2; ++oy) {
        row_fn(p, oy);
        if (w % 2 == 1) {
          plane[2 * oy * w + w - 1] = scalar_t(0);
          plane[(2 * oy + 1) * w + w - 1] = scalar_t(0);
        }
      }
      if (h % 2 == 1) std::fill(plane + (h - 1) * w, plane + h * w, scalar_t(0));
    }
  });
}

class MaxPool2x2Function : public torch::autograd::Function<MaxPool2x2Function> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input) {
    const at::Tensor x = input.contiguous();
    const int64_t h = x.size(2), w = x.size(3), ho = h / 2, wo = w / 2;
    const int64_t planes = x.size(0) * x.size(1);
    at::Tensor out = at::empty({x.size(0), x.size(1), ho, wo}, x.options());
    at::Tensor index = at::empty({x.size(0), x.size(1), ho, wo}, x.options().dtype(at::kByte));
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "MaxPool2x2", [&] {
      const scalar_t* in = x.data_ptr<scalar_t>();
      scalar_t* o = out.data_ptr<scalar_t>();
      uint8_t* idx = index.data_ptr<uint8_t>();
      const bool avx2 = UseAvx2<scalar_t>();
      at::parallel_for(0, planes, 8, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
          const scalar_t* plane = in + p * h * w;
          for (int64_t oy = 0; oy < ho; ++oy) {
            const scalar_t* r0 = plane + 2 * oy * w;
            scalar_t* orow = o + (p * ho + oy) * wo;
            uint8_t* irow = idx + (p * ho + oy) * wo;
            ForwardRow(r0, r0 + w, orow, irow, wo, avx2);
          }
        }
      });
    });
    ctx->save_for_backward({index});
    ctx->saved_data["h"] = h;
    ctx->saved_data["w"] = w;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const at::Tensor index = ctx->get_saved_variables()[0];
    const at::Tensor g = grads[0].contiguous();
    const int64_t h = ctx->saved_data["h"].toInt(), w = ctx->saved_data["w"].toInt();
    const int64_t ho = h / 2, wo = w / 2;
    const int64_t planes = g.size(0) * g.size(1);
    at::Tensor gi = at::empty({g.size(0), g.size(1), h, w}, g.options());
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "MaxPool2x2Backward", [&] {
      const scalar_t* go = g.data_ptr<scalar_t>();
      const uint8_t* idx = index.data_ptr<uint8_t>();
      scalar_t* out = gi.data_ptr<scalar_t>();
      const bool avx2 = UseAvx2<scalar_t>();
      ForEachGradRowPair(out, planes, h, w, [&](int64_t p, int64_t oy) {
        scalar_t* r0 = out + p * h * w + 2 * oy * w;
        const int64_t row = (p * ho + oy) * wo;
        BackwardRow(go + row, idx + row, r0, r0 + w, wo, avx2);
      });
    });
    return {gi};
  }
};

// 2x2/2 average pooling; saves nothing but the input's spatial size.
class AvgPool2x2Function : public torch::autograd::Function<AvgPool2x2Function> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input) {
    const at::Tensor x = input.contiguous();
    const int64_t h = x.size(2), w = x.size(3), ho = h / 2, wo = w / 2;
    const int64_t planes = x.size(0) * x.size(1);
    at::Tensor out = at::empty({x.size(0), x.size(1), ho, wo}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "AvgPool2x2", [&] {
      const scalar_t* in = x.data_ptr<scalar_t>();
      scalar_t* o = out.data_ptr<scalar_t>();
      const bool avx2 = UseAvx2<scalar_t>();
      at::parallel_for(0, planes, 8, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
          const scalar_t* plane = in + p * h * w;
          for (int64_t oy = 0; oy < ho; ++oy) {
            const scalar_t* r0 = plane + 2 * oy * w;
            AvgForwardRow(r0, r0 + w, o + (p * ho + oy) * wo, wo, avx2);
          }
        }
      });
    });
    ctx->saved_data["h"] = h;
    ctx->saved_data["w"] = w;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const at::Tensor g = grads[0].contiguous();
    const int64_t h = ctx->saved_data["h"].toInt(), w = ctx->saved_data["w"].toInt();
    const int64_t ho = h / 2, wo = w / 2;
    const int64_t planes = g.size(0) * g.size(1);
    at::Tensor gi = at::empty({g.size(0), g.size(1), h, w}, g.options());
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "AvgPool2x2Backward", [&] {
      const scalar_t* go = g.data_ptr<scalar_t>();
      scalar_t* out = gi.data_ptr<scalar_t>();
      const bool avx2 = UseAvx2<scalar_t>();
      ForEachGradRowPair(out, planes, h, w, [&](int64_t p, int64_t oy) {
        scalar_t* r0 = out + p * h * w + 2 * oy * w;
        AvgBackwardRow(go + (p * ho + oy) * wo, r0, r0 + w, wo, avx2);
      });
    });
    return {gi};
  }
};

// The 2x2/2 kernels' case: a float32 / float64 CPU [N, C, H, W] tensor of at least one window
// (smaller ones go to LibTorch, which raises its error).
bool Is2x2Case(const at::Tensor& x, int64_t k, int64_t stride, int64_t padding) {
  return k == 2 && stride == 2 && padding == 0 && x.dim() == 4 && x.size(2) >= 2 &&
         x.size(3) >= 2 && x.device().is_cpu() &&
         (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble);
}

}  // namespace

at::Tensor MaxPool2d(const at::Tensor& x, int64_t k, int64_t stride, int64_t padding) {
  if (Is2x2Case(x, k, stride, padding)) {
    return MaxPool2x2Function::apply(x);
  }
  return at::max_pool2d(x, {k, k}, {stride, stride}, {padding, padding});
}

at::Tensor AvgPool2d(const at::Tensor& x, int64_t k, int64_t stride, int64_t padding) {
  if (Is2x2Case(x, k, stride, padding)) return AvgPool2x2Function::apply(x);
  return at::avg_pool2d(x, {k, k}, {stride, stride}, {padding, padding});
}

namespace pooling_internal {

void SetKernelForTest(Kernel kernel) { g_kernel.store(kernel); }

bool HasAvx2() { return CpuHasAvx2(); }

}  // namespace pooling_internal

}  // namespace lasnn
