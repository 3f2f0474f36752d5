#include "baselines/conversion/if_step.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace lasnn::conversion {
namespace {

bool FusedCase(const at::Tensor& u, const at::Tensor& current, const at::Tensor& theta) {
  const bool dtype_ok = u.scalar_type() == at::kFloat || u.scalar_type() == at::kDouble;
  return dtype_ok && u.device().is_cpu() && current.device().is_cpu() && theta.device().is_cpu() &&
         u.dim() >= 2 && u.sizes() == current.sizes() && u.is_contiguous() &&
         current.is_contiguous() && current.scalar_type() == u.scalar_type() &&
         theta.scalar_type() == u.scalar_type() && theta.is_contiguous() &&
         (theta.dim() == 0 || (theta.dim() == 1 && theta.numel() == u.size(1))) &&
         u.size(0) > 0 && u.size(1) > 0 &&
         u.numel() / (u.size(0) * u.size(1)) < std::numeric_limits<int32_t>::max();
}

// Per sample b: for each channel c, `inner` contiguous neurons share theta[c] (or theta[0]).
template <typename scalar_t, bool kSubtract>
void FusedKernel(scalar_t* u, const scalar_t* current, const scalar_t* theta, bool per_channel,
                 int64_t batch, int64_t channels, int64_t inner, scalar_t* out, int64_t* counts) {
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      int64_t count = 0;
      for (int64_t c = 0; c < channels; ++c) {
        const scalar_t th = theta[per_channel ? c : 0];
        const int64_t base = (b * channels + c) * inner;
        scalar_t* __restrict__ ub = u + base;
        const scalar_t* __restrict__ cb = current + base;
        scalar_t* __restrict__ ob = out + base;
        // The spikes of this row, counted in 32-bit lanes so that the loop vectorises (IfStep
        // takes this path only for rows of fewer than 2^31 neurons).
        int32_t row_count = 0;
        for (int64_t i = 0; i < inner; ++i) {
          const scalar_t v = ub[i] + cb[i];
          const scalar_t s = v >= th ? scalar_t(1) : scalar_t(0);
          const scalar_t spike = s * th;
          if constexpr (kSubtract) {
            ub[i] = v - spike;
          } else {
            ub[i] = v * (scalar_t(1) - s);
          }
          ob[i] = spike;
          row_count += spike != scalar_t(0) ? 1 : 0;  // as out.ne(0)
        }
        count += row_count;
      }
      if (counts != nullptr) counts[b] = count;
    }
  });
}

}  // namespace

at::Tensor BroadcastThreshold(const at::Tensor& theta, const at::Tensor& current) {
  if (theta.dim() == 0) return theta;
  std::vector<int64_t> shape(current.dim(), 1);
  shape[1] = theta.numel();
  return theta.view(shape);
}

at::Tensor IfStepReference(at::Tensor& u, const at::Tensor& current, const at::Tensor& theta,
                           bool reset_by_subtraction) {
  const at::Tensor th = BroadcastThreshold(theta, current);
  u.add_(current);
  at::Tensor s = u.ge(th).to(u.scalar_type());
  if (reset_by_subtraction) {
    u.sub_(s * th);
  } else {
    u.mul_(1 - s);
  }
  return s * th;
}

at::Tensor IfStep(at::Tensor& u, const at::Tensor& current, const at::Tensor& theta,
                  bool reset_by_subtraction, at::Tensor* spike_counts) {
  if (!FusedCase(u, current, theta)) {
    at::Tensor out = IfStepReference(u, current, theta, reset_by_subtraction);
    if (spike_counts != nullptr) *spike_counts = out.ne(0).flatten(1).sum(1);
    return out;
  }
  const int64_t batch = u.size(0), channels = u.size(1);
  const int64_t inner = channels > 0 && batch > 0 ? u.numel() / (batch * channels) : 0;
  at::Tensor out = at::empty_like(u);
  int64_t* counts = nullptr;
  if (spike_counts != nullptr) {
    *spike_counts = at::empty({batch}, u.options().dtype(at::kLong));
    counts = spike_counts->data_ptr<int64_t>();
  }
  const bool per_channel = theta.dim() == 1;
  AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "IfStep", [&] {
    scalar_t* up = u.data_ptr<scalar_t>();
    const scalar_t* cp = current.data_ptr<scalar_t>();
    const scalar_t* tp = theta.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    if (reset_by_subtraction) {
      FusedKernel<scalar_t, true>(up, cp, tp, per_channel, batch, channels, inner, op, counts);
    } else {
      FusedKernel<scalar_t, false>(up, cp, tp, per_channel, batch, channels, inner, op, counts);
    }
  });
  return out;
}

}  // namespace lasnn::conversion
