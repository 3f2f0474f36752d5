#include "lasnn/core/encoder.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <vector>

namespace lasnn {

namespace {

std::vector<int64_t> WithTime(const at::Tensor& x, int64_t steps) {
  std::vector<int64_t> shape = {steps};
  shape.insert(shape.end(), x.sizes().begin(), x.sizes().end());
  return shape;
}

void CheckEncoderInput(const at::Tensor& x, int64_t steps, const char* fn, bool unit_range) {
  TORCH_CHECK(x.defined(), fn, ": input is an undefined tensor");
  TORCH_CHECK(x.dim() >= 1, fn, ": input must be [B, ...] with dim >= 1, got a 0-d tensor");
  TORCH_CHECK(steps >= 1, fn, ": steps must be >= 1, got ", steps);
  if (!unit_range) return;
  TORCH_CHECK(at::isFloatingType(x.scalar_type()), fn,
              ": input must be a floating-point tensor, got ", x.scalar_type());
  if (x.numel() == 0) return;
  const auto [lo, hi] = at::aminmax(x);
  const double lo_v = lo.item<double>();
  const double hi_v = hi.item<double>();
  TORCH_CHECK(lo_v >= 0 && hi_v <= 1, fn, ": input values must lie in [0, 1], got range [", lo_v,
              ", ", hi_v, "]");
}

}  // namespace

at::Tensor RepeatOverTime(const at::Tensor& x, int64_t steps) {
  CheckEncoderInput(x, steps, "RepeatOverTime", /*unit_range=*/false);
  return x.unsqueeze(0).expand(WithTime(x, steps));
}

at::Tensor DirectEncode(const at::Tensor& x, int64_t steps) {
  CheckEncoderInput(x, steps, "DirectEncode", /*unit_range=*/false);
  TORCH_CHECK(at::isFloatingType(x.scalar_type()),
              "DirectEncode: input must be a floating-point tensor, got ", x.scalar_type());
  return RepeatOverTime(x, steps);
}

at::Tensor PoissonEncode(const at::Tensor& x, int64_t steps, at::Generator generator) {
  CheckEncoderInput(x, steps, "PoissonEncode", /*unit_range=*/true);
  TORCH_CHECK(generator.defined(), "PoissonEncode: undefined generator");
  TORCH_CHECK(generator.device().type() == x.device().type(), "PoissonEncode: generator is for ",
              generator.device(), " but the input is on ", x.device());
  const at::Tensor u = at::rand(WithTime(x, steps), generator, x.options().requires_grad(false));
  return u.lt(x.detach()).to(x.scalar_type());
}

at::Tensor PoissonEncode(const at::Tensor& x, int64_t steps, uint64_t seed) {
  CheckEncoderInput(x, steps, "PoissonEncode", /*unit_range=*/true);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor u =
      at::rand(WithTime(x, steps), generator, x.options().device(at::kCPU).requires_grad(false));
  return u.to(x.device()).lt(x.detach()).to(x.scalar_type());
}

at::Tensor LatencyEncode(const at::Tensor& x, int64_t steps) {
  CheckEncoderInput(x, steps, "LatencyEncode", /*unit_range=*/true);
  const at::Tensor v = x.detach();
  const at::Tensor first = at::round((1 - v) * static_cast<double>(steps - 1)).to(at::kLong);
  at::Tensor out = at::zeros(WithTime(v, steps), v.options());
  out.scatter_(0, first.unsqueeze(0), v.gt(0).to(v.scalar_type()).unsqueeze(0));
  return out;
}

}  // namespace lasnn
