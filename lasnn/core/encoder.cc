#include "lasnn/core/encoder.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <utility>
#include <vector>

#include "datasets/rng.h"

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

void CheckStepWindow(int64_t steps, int64_t first, int64_t count) {
  TORCH_CHECK(first >= 0 && count >= 1 && first + count <= steps, "InputEncoder: steps [", first,
              ", ", first + count, ") are not within [0, ", steps, ")");
}

// Steps [first, first + count) of LatencyEncode(x, steps); x checked by the caller.
at::Tensor LatencySteps(const at::Tensor& x, int64_t steps, int64_t first, int64_t count) {
  const at::Tensor v = x.detach();
  const at::Tensor spike_step = at::round((1 - v) * static_cast<double>(steps - 1)).to(at::kLong);
  std::vector<int64_t> step_shape(static_cast<size_t>(v.dim()) + 1, 1);
  step_shape[0] = count;
  const at::Tensor t =
      at::arange(first, first + count, v.options().dtype(at::kLong)).view(step_shape);
  return spike_step.unsqueeze(0).eq(t).logical_and(v.gt(0).unsqueeze(0)).to(v.scalar_type());
}

// Uniforms in [0, 1) for steps [first, first + count) of images `indices` ([B] int64, CPU), each
// of `per_image` elements: float [count, B, per_image] on the CPU, a pure function of the keys.
at::Tensor KeyedUniforms(uint64_t seed, uint64_t stream, const at::Tensor& indices,
                         int64_t first, int64_t count, int64_t per_image) {
  const at::Tensor idx = indices.to(at::kLong).contiguous();
  const int64_t batch = idx.numel();
  const int64_t* index = idx.data_ptr<int64_t>();
  at::Tensor u = at::empty({count, batch, per_image}, at::kFloat);
  float* out = u.data_ptr<float>();
  const uint64_t key = datasets::MixSeed(seed, stream);
  at::parallel_for(0, count * batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t t = first + r / batch;
      const uint64_t row = datasets::MixSeed(datasets::MixSeed(key, static_cast<uint64_t>(
                                                                         index[r % batch])),
                                             static_cast<uint64_t>(t));
      float* dst = out + r * per_image;
      for (int64_t e = 0; e < per_image; ++e) {
        const uint64_t bits = datasets::SplitMix64Mix(row + static_cast<uint64_t>(e + 1) *
                                                                0x9e3779b97f4a7c15ULL);
        dst[e] = static_cast<float>(bits >> 40) * 0x1.0p-24f;
      }
    }
  });
  return u;
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
  return LatencySteps(x, steps, 0, steps);
}

InputEncoder::InputEncoder(InputCode code, std::vector<double> mean, std::vector<double> std,
                           uint64_t seed)
    : code_(code), mean_(std::move(mean)), std_(std::move(std)), seed_(seed) {
  TORCH_CHECK(!mean_.empty() && mean_.size() == std_.size(),
              "InputEncoder: mean and std need one entry per channel, got ", mean_.size(), " and ",
              std_.size());
  for (double s : std_) TORCH_CHECK(s > 0, "InputEncoder: std must be > 0, got ", s);
}

at::Tensor InputEncoder::Normalise(const at::Tensor& raw) const {
  TORCH_CHECK(raw.dim() >= 2 && raw.size(1) == static_cast<int64_t>(mean_.size()),
              "InputEncoder: images must be [B, C, ...] with C = ", mean_.size(), ", got ",
              raw.sizes());
  std::vector<int64_t> shape(static_cast<size_t>(raw.dim()) - 1, 1);
  shape[0] = static_cast<int64_t>(mean_.size());
  const auto options = at::TensorOptions(at::kDouble);
  const at::Tensor mean = at::tensor(mean_, options).to(raw.options()).view(shape);
  const at::Tensor std = at::tensor(std_, options).to(raw.options()).view(shape);
  return (raw - mean) / std;
}

at::Tensor InputEncoder::CodeSteps(const at::Tensor& raw, const at::Tensor& indices,
                                   uint64_t stream, int64_t steps, int64_t first,
                                   int64_t count) const {
  TORCH_CHECK(code_ != InputCode::kDirect, "InputEncoder: direct encoding has no spike code");
  // Shapes only: a range check would read the values back to the host at every step.
  CheckEncoderInput(raw, steps, "InputEncoder", /*unit_range=*/false);
  TORCH_CHECK(at::isFloatingType(raw.scalar_type()),
              "InputEncoder: images must be a floating-point tensor, got ", raw.scalar_type());
  CheckStepWindow(steps, first, count);
  TORCH_CHECK(indices.dim() == 1 && indices.size(0) == raw.size(0),
              "InputEncoder: indices must be [B] with B = ", raw.size(0), ", got ",
              indices.sizes());
  if (code_ == InputCode::kLatency) return LatencySteps(raw, steps, first, count);
  const int64_t per_image = raw.size(0) > 0 ? raw.numel() / raw.size(0) : 0;
  const at::Tensor u = KeyedUniforms(seed_, stream, indices.cpu(), first, count, per_image)
                           .view(WithTime(raw, count))
                           .to(raw.device());
  return u.lt(raw.detach().to(at::kFloat)).to(raw.scalar_type());
}

at::Tensor InputEncoder::EncodeSteps(const at::Tensor& raw, const at::Tensor& indices,
                                     uint64_t stream, int64_t steps, int64_t first,
                                     int64_t count) const {
  if (code_ == InputCode::kDirect) {
    CheckEncoderInput(raw, steps, "InputEncoder", /*unit_range=*/false);
    CheckStepWindow(steps, first, count);
    return RepeatOverTime(Normalise(raw), count);
  }
  const at::Tensor spikes = CodeSteps(raw, indices, stream, steps, first, count);
  // Normalise per channel: flatten time into the batch.
  return Normalise(spikes.flatten(0, 1)).view(spikes.sizes());
}

at::Tensor InputEncoder::Encode(const at::Tensor& raw, const at::Tensor& indices, uint64_t stream,
                                int64_t steps) const {
  if (code_ == InputCode::kDirect) {
    CheckEncoderInput(raw, steps, "InputEncoder", /*unit_range=*/false);
    return Normalise(raw);
  }
  return EncodeSteps(raw, indices, stream, steps, 0, steps);
}

}  // namespace lasnn
