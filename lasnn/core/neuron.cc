#include "lasnn/core/neuron.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace lasnn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void CheckNeuronArgs(const at::Tensor& input, const NeuronOptions& options, const char* fn) {
  TORCH_CHECK(input.defined(), fn, ": input is an undefined tensor");
  TORCH_CHECK(input.dim() >= 2, fn, ": input must be time-major [T, B, ...] with dim >= 2, got ",
              input.dim(), "-d tensor of shape ", input.sizes());
  TORCH_CHECK(input.size(0) >= 1, fn, ": input must have T >= 1 timesteps, got shape ",
              input.sizes());
  TORCH_CHECK(at::isFloatingType(input.scalar_type()), fn,
              ": input must be a floating-point tensor, got ", input.scalar_type());
  TORCH_CHECK(std::isfinite(options.decay), fn, ": decay must be finite, got ", options.decay);
  TORCH_CHECK(std::isfinite(options.threshold) && options.threshold > 0, fn,
              ": threshold must be finite and > 0, got ", options.threshold);
  TORCH_CHECK(std::isfinite(options.init_membrane), fn, ": init_membrane must be finite, got ",
              options.init_membrane);
  TORCH_CHECK(std::isfinite(options.surrogate_width) && options.surrogate_width > 0, fn,
              ": surrogate_width must be finite and > 0, got ", options.surrogate_width);
}

// ---------------------------------------------------------------------------------------------
// CPU kernels. The B*... elements of one timestep are split among threads; each thread walks its
// elements in blocks, keeping the block's membrane (forward) or membrane gradient (backward) in a
// local array while it steps through t, so the inner loops are contiguous and vectorisable and no
// per-step tensor is allocated. Forward saves only the tensor it read (the input: in a network
// that costs the same as saving h, and nothing when the caller keeps the input alive anyway);
// backward recomputes the block's h[0..T) into a small per-thread buffer, then walks t backwards.
//
// Forward walks blocks of kForwardBlock elements (long contiguous runs per step keep the hardware
// prefetchers streaming); backward sizes its blocks so that the recomputed h[0..T) of one block
// (T * block elements) stays within about 256 KiB of L2. Non-temporal stores were tried for the
// large outputs and were slower here.
constexpr int64_t kForwardBlock = 8192;
constexpr int64_t kBackwardBufferBytes = 256 * 1024;
constexpr int64_t kGrain = 2048;

template <typename scalar_t>
int64_t BackwardBlockSize(int64_t steps) {
  const int64_t block = kBackwardBufferBytes / static_cast<int64_t>(sizeof(scalar_t)) / steps;
  return std::clamp<int64_t>(block / 64 * 64, 64, kForwardBlock);
}

template <typename scalar_t>
struct CpuParams {
  scalar_t decay;
  scalar_t threshold;
  scalar_t u0;
  scalar_t width;
};

template <typename scalar_t>
CpuParams<scalar_t> MakeCpuParams(const NeuronOptions& o) {
  return {static_cast<scalar_t>(o.decay), static_cast<scalar_t>(o.threshold),
          static_cast<scalar_t>(o.init_membrane * o.threshold),
          static_cast<scalar_t>(o.surrogate_width)};
}

// One block of `len` elements over all steps; writes the spikes and/or h at the given step
// strides, and with kRate the block's firing rate (spike count / steps, `count` is scratch).
// Branch-free, restrict-qualified inner loop so that the compiler vectorises it.
template <typename scalar_t, ResetMode kReset, bool kWriteSpikes, bool kWriteH, bool kRate = false>
void ForwardBlock(const scalar_t* __restrict__ input, int64_t input_stride,
                  scalar_t* __restrict__ spikes, int64_t spikes_stride,
                  scalar_t* __restrict__ h_out, int64_t h_stride, int64_t steps, int64_t len,
                  const CpuParams<scalar_t>& p, scalar_t* __restrict__ u,
                  scalar_t* __restrict__ rate = nullptr, scalar_t* __restrict__ count = nullptr) {
  const scalar_t decay = p.decay;
  const scalar_t threshold = p.threshold;
  std::fill(u, u + len, p.u0);
  if constexpr (kRate) std::fill(count, count + len, scalar_t(0));
  for (int64_t t = 0; t < steps; ++t) {
    const scalar_t* __restrict__ x = input + t * input_stride;
    scalar_t* __restrict__ s_t = spikes + t * spikes_stride;
    scalar_t* __restrict__ h_t = h_out + t * h_stride;
    for (int64_t j = 0; j < len; ++j) {
      const scalar_t h = u[j] * decay + x[j];
      const scalar_t s = static_cast<scalar_t>((h - threshold) >= scalar_t(0));
      if constexpr (kWriteSpikes) s_t[j] = s;
      if constexpr (kWriteH) h_t[j] = h;
      if constexpr (kRate) count[j] += s;
      if constexpr (kReset == ResetMode::kZero) {
        u[j] = h * (scalar_t(1) - s);
      } else {
        u[j] = h - s * threshold;
      }
    }
  }
  if constexpr (kRate) {
    // The count is an exact integer; dividing it by T gives spikes.mean(0) to the bit.
    const scalar_t n = static_cast<scalar_t>(steps);
    for (int64_t j = 0; j < len; ++j) rate[j] = count[j] / n;
  }
}

// rate: nullptr, or [n] for the firing rate of each element.
template <typename scalar_t, ResetMode kReset>
void ForwardCpuKernel(const scalar_t* input, int64_t input_stride, scalar_t* spikes, int64_t steps,
                      int64_t n, const CpuParams<scalar_t>& p, scalar_t* rate) {
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    const int64_t max_len = std::min(kForwardBlock, end - begin);
    std::vector<scalar_t> u(max_len);
    std::vector<scalar_t> count(rate != nullptr ? max_len : 0);
    for (int64_t b0 = begin; b0 < end; b0 += kForwardBlock) {
      const int64_t len = std::min(kForwardBlock, end - b0);
      if (rate != nullptr) {
        ForwardBlock<scalar_t, kReset, /*kWriteSpikes=*/true, /*kWriteH=*/false, /*kRate=*/true>(
            input + b0, input_stride, spikes + b0, n, nullptr, 0, steps, len, p, u.data(),
            rate + b0, count.data());
      } else {
        ForwardBlock<scalar_t, kReset, /*kWriteSpikes=*/true, /*kWriteH=*/false>(
            input + b0, input_stride, spikes + b0, n, nullptr, 0, steps, len, p, u.data());
      }
    }
  });
}

// Backward over one block of `len` elements: h_all holds the block's h[t] at stride h_stride;
// gu is scratch. With kRateGrad, each step's spike gradient also gets rate_grad / steps (the
// gradient that the mean over T passes to every step; rate_scaled is scratch for it); without
// kSpikeGrad, that is the whole spike gradient (grad_out is not read).
template <typename scalar_t, Surrogate kSurrogate, ResetMode kReset, bool kDetach, bool kRateGrad,
          bool kSpikeGrad = true>
void BackwardStep(const scalar_t* __restrict__ h_all, int64_t h_stride,
                  const scalar_t* __restrict__ grad_out, scalar_t* __restrict__ grad_in,
                  int64_t steps, int64_t n, int64_t len, const CpuParams<scalar_t>& p,
                  scalar_t* __restrict__ gu, const scalar_t* __restrict__ rate_grad,
                  scalar_t* __restrict__ rate_scaled) {
  const scalar_t decay = p.decay;
  const scalar_t threshold = p.threshold;
  const scalar_t width = p.width;
  std::fill(gu, gu + len, scalar_t(0));  // dL/du[T] = 0
  if constexpr (kRateGrad) {
    const scalar_t steps_s = static_cast<scalar_t>(steps);
    for (int64_t j = 0; j < len; ++j) rate_scaled[j] = rate_grad[j] / steps_s;
  }
  for (int64_t t = steps - 1; t >= 0; --t) {
    const scalar_t* __restrict__ h_t = h_all + t * h_stride;
    const scalar_t* __restrict__ gs_t = kSpikeGrad ? grad_out + t * n : nullptr;
    scalar_t* __restrict__ gi_t = grad_in + t * n;
    for (int64_t j = 0; j < len; ++j) {
      const scalar_t h = h_t[j];
      const scalar_t x = h - threshold;
      const scalar_t s = static_cast<scalar_t>(x >= scalar_t(0));
      const scalar_t sg = SurrogateDerivativeScalar<kSurrogate>(x, width);
      const scalar_t g_u = gu[j];  // dL/du[t], from step t+1
      scalar_t g_s;                // dL/ds[t]
      if constexpr (kSpikeGrad && kRateGrad) {
        g_s = gs_t[j] + rate_scaled[j];
      } else if constexpr (kSpikeGrad) {
        g_s = gs_t[j];
      } else {
        g_s = rate_scaled[j];
      }
      scalar_t gh;
      if constexpr (kReset == ResetMode::kZero) {
        // u = h * (1 - s): du/dh = 1 - s, du/ds = -h.
        gh = kDetach ? g_s * sg + g_u * (scalar_t(1) - s)
                     : (g_s - g_u * h) * sg + g_u * (scalar_t(1) - s);
      } else {
        // u = h - threshold * s: du/dh = 1, du/ds = -threshold.
        gh = kDetach ? g_s * sg + g_u : (g_s - g_u * threshold) * sg + g_u;
      }
      gi_t[j] = gh;
      gu[j] = gh * decay;
    }
  }
}

// rate_grad: nullptr, or [n], the gradient of the firing rate; grad_out: nullptr when the spikes
// got no gradient (then rate_grad is not nullptr).
template <typename scalar_t, Surrogate kSurrogate, ResetMode kReset, bool kDetach>
void BackwardCpuKernel(const scalar_t* input, int64_t input_stride, const scalar_t* grad_out,
                       scalar_t* grad_in, int64_t steps, int64_t n, const CpuParams<scalar_t>& p,
                       const scalar_t* rate_grad) {
  const int64_t block = BackwardBlockSize<scalar_t>(steps);
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    const int64_t max_len = std::min(block, end - begin);
    std::vector<scalar_t> h(steps * max_len);
    std::vector<scalar_t> scratch(max_len);
    std::vector<scalar_t> rate_scaled(rate_grad != nullptr ? max_len : 0);
    for (int64_t b0 = begin; b0 < end; b0 += block) {
      const int64_t len = std::min(block, end - b0);
      ForwardBlock<scalar_t, kReset, /*kWriteSpikes=*/false, /*kWriteH=*/true>(
          input + b0, input_stride, nullptr, 0, h.data(), max_len, steps, len, p, scratch.data());
      if (grad_out == nullptr) {
        BackwardStep<scalar_t, kSurrogate, kReset, kDetach, /*kRateGrad=*/true,
                     /*kSpikeGrad=*/false>(h.data(), max_len, nullptr, grad_in + b0, steps, n, len,
                                           p, scratch.data(), rate_grad + b0, rate_scaled.data());
      } else if (rate_grad != nullptr) {
        BackwardStep<scalar_t, kSurrogate, kReset, kDetach, /*kRateGrad=*/true>(
            h.data(), max_len, grad_out + b0, grad_in + b0, steps, n, len, p, scratch.data(),
            rate_grad + b0, rate_scaled.data());
      } else {
        BackwardStep<scalar_t, kSurrogate, kReset, kDetach, /*kRateGrad=*/false>(
            h.data(), max_len, grad_out + b0, grad_in + b0, steps, n, len, p, scratch.data(),
            nullptr, nullptr);
      }
    }
  });
}

void CheckCpuDtype(const at::Tensor& input) {
  TORCH_CHECK(input.scalar_type() == at::kFloat || input.scalar_type() == at::kDouble,
              "MultiStepNeuron: the CPU kernel supports float32 and float64, got ",
              input.scalar_type());
}

// The input as the kernels read it: each input[t] contiguous (copied only if not), any stride
// between steps (RepeatOverTime's stride 0 included).
at::Tensor KernelInput(const at::Tensor& input) {
  return input[0].is_contiguous() ? input : input.contiguous();
}

int64_t StepStride(const at::Tensor& x) { return x.size(0) > 1 ? x.stride(0) : 0; }

// x: KernelInput(...). Returns the spikes, contiguous, x's shape and dtype; with_rate: also the
// firing rate, [B, ...] (undefined otherwise).
std::pair<at::Tensor, at::Tensor> ForwardCpu(const at::Tensor& x, const NeuronOptions& o,
                                             bool with_rate) {
  CheckCpuDtype(x);
  const int64_t steps = x.size(0);
  const int64_t n = x[0].numel();
  const auto options = x.options().memory_format(at::MemoryFormat::Contiguous);
  at::Tensor spikes = at::empty(x.sizes(), options);
  at::Tensor rate = with_rate ? at::empty(x.sizes().slice(1), options) : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "MultiStepNeuron", [&] {
    const CpuParams<scalar_t> p = MakeCpuParams<scalar_t>(o);
    const scalar_t* in = x.data_ptr<scalar_t>();
    scalar_t* s = spikes.data_ptr<scalar_t>();
    scalar_t* r = with_rate ? rate.data_ptr<scalar_t>() : nullptr;
    if (o.reset == ResetMode::kZero) {
      ForwardCpuKernel<scalar_t, ResetMode::kZero>(in, StepStride(x), s, steps, n, p, r);
    } else {
      ForwardCpuKernel<scalar_t, ResetMode::kSubtract>(in, StepStride(x), s, steps, n, p, r);
    }
  });
  return {spikes, rate};
}

template <typename scalar_t, Surrogate kSurrogate>
void BackwardCpuDispatchReset(const at::Tensor& x, const scalar_t* g, scalar_t* gi,
                              const scalar_t* rate_grad, const NeuronOptions& o) {
  const CpuParams<scalar_t> p = MakeCpuParams<scalar_t>(o);
  const scalar_t* in = x.data_ptr<scalar_t>();
  const int64_t stride = StepStride(x);
  const int64_t steps = x.size(0);
  const int64_t n = x[0].numel();
  if (o.reset == ResetMode::kZero) {
    if (o.detach_reset) {
      BackwardCpuKernel<scalar_t, kSurrogate, ResetMode::kZero, true>(in, stride, g, gi, steps, n,
                                                                      p, rate_grad);
    } else {
      BackwardCpuKernel<scalar_t, kSurrogate, ResetMode::kZero, false>(in, stride, g, gi, steps, n,
                                                                       p, rate_grad);
    }
  } else {
    if (o.detach_reset) {
      BackwardCpuKernel<scalar_t, kSurrogate, ResetMode::kSubtract, true>(in, stride, g, gi, steps,
                                                                          n, p, rate_grad);
    } else {
      BackwardCpuKernel<scalar_t, kSurrogate, ResetMode::kSubtract, false>(in, stride, g, gi, steps,
                                                                           n, p, rate_grad);
    }
  }
}

// x: the KernelInput forward read; grad_out: [T, ...] contiguous, x's dtype; rate_grad: [B, ...]
// contiguous; either may be undefined, not both. Returns dL/dx, [T, ...] contiguous.
at::Tensor BackwardCpu(const at::Tensor& x, const at::Tensor& grad_out, const at::Tensor& rate_grad,
                       const NeuronOptions& o) {
  at::Tensor grad_in =
      at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "MultiStepNeuronBackward", [&] {
    const scalar_t* g = grad_out.defined() ? grad_out.data_ptr<scalar_t>() : nullptr;
    scalar_t* gi = grad_in.data_ptr<scalar_t>();
    const scalar_t* rg = rate_grad.defined() ? rate_grad.data_ptr<scalar_t>() : nullptr;
    switch (o.surrogate) {
      case Surrogate::kTriangle:
        BackwardCpuDispatchReset<scalar_t, Surrogate::kTriangle>(x, g, gi, rg, o);
        break;
      case Surrogate::kArctan:
        BackwardCpuDispatchReset<scalar_t, Surrogate::kArctan>(x, g, gi, rg, o);
        break;
      case Surrogate::kSigmoid:
        BackwardCpuDispatchReset<scalar_t, Surrogate::kSigmoid>(x, g, gi, rg, o);
        break;
    }
  });
  return grad_in;
}

// ---------------------------------------------------------------------------------------------
// Device-generic kernels from per-step tensor ops (the CUDA path). Never autograd-recorded: they
// run inside the autograd function (grad mode off) or on an input that needs no gradient.

std::pair<at::Tensor, at::Tensor> ForwardTensorOps(const at::Tensor& input, const NeuronOptions& o,
                                                   bool save_h) {
  const int64_t steps = input.size(0);
  at::Tensor spikes =
      at::empty(input.sizes(), input.options().memory_format(at::MemoryFormat::Contiguous));
  at::Tensor h_all = save_h ? at::empty_like(spikes) : at::Tensor();
  at::Tensor u = at::full(input[0].sizes(), o.init_membrane * o.threshold, spikes.options());
  for (int64_t t = 0; t < steps; ++t) {
    const at::Tensor h = u * o.decay + input[t];
    const at::Tensor s = (h - o.threshold).ge(0).to(h.scalar_type());
    spikes[t].copy_(s);
    if (save_h) h_all[t].copy_(h);
    u = o.reset == ResetMode::kZero ? h * (1 - s) : h - s * o.threshold;
  }
  return {spikes, h_all};
}

at::Tensor BackwardTensorOps(const at::Tensor& h_all, const at::Tensor& grad_out,
                             const NeuronOptions& o) {
  const int64_t steps = h_all.size(0);
  at::Tensor grad_in = at::empty_like(h_all);
  at::Tensor gu = at::zeros(h_all[0].sizes(), h_all.options());
  for (int64_t t = steps - 1; t >= 0; --t) {
    const at::Tensor h = h_all[t];
    const at::Tensor x = h - o.threshold;
    const at::Tensor s = x.ge(0).to(h.scalar_type());
    const at::Tensor sg = SurrogateDerivative(x, o.surrogate, o.surrogate_width);
    const at::Tensor g = grad_out[t];
    at::Tensor gh;
    if (o.reset == ResetMode::kZero) {
      gh = o.detach_reset ? g * sg + gu * (1 - s) : (g - gu * h) * sg + gu * (1 - s);
    } else {
      gh = o.detach_reset ? g * sg + gu : (g - gu * o.threshold) * sg + gu;
    }
    grad_in[t].copy_(gh);
    gu = gh * o.decay;
  }
  return grad_in;
}

// ---------------------------------------------------------------------------------------------

void SaveOptions(AutogradContext* ctx, const NeuronOptions& o, bool tensor_ops) {
  ctx->saved_data["decay"] = o.decay;
  ctx->saved_data["threshold"] = o.threshold;
  ctx->saved_data["reset"] = static_cast<int64_t>(o.reset);
  ctx->saved_data["detach_reset"] = o.detach_reset;
  ctx->saved_data["init_membrane"] = o.init_membrane;
  ctx->saved_data["surrogate"] = static_cast<int64_t>(o.surrogate);
  ctx->saved_data["surrogate_width"] = o.surrogate_width;
  ctx->saved_data["tensor_ops"] = tensor_ops;
}

NeuronOptions LoadOptions(AutogradContext* ctx) {
  NeuronOptions o;
  o.decay = ctx->saved_data["decay"].toDouble();
  o.threshold = ctx->saved_data["threshold"].toDouble();
  o.reset = static_cast<ResetMode>(ctx->saved_data["reset"].toInt());
  o.detach_reset = ctx->saved_data["detach_reset"].toBool();
  o.init_membrane = ctx->saved_data["init_membrane"].toDouble();
  o.surrogate = static_cast<Surrogate>(ctx->saved_data["surrogate"].toInt());
  o.surrogate_width = ctx->saved_data["surrogate_width"].toDouble();
  return o;
}

// The fused neuron: forward runs all T steps and saves h (tensor ops) or its input (CPU kernel);
// backward is the whole BPTT pass. Outputs: the spikes, and with `with_rate` the firing rate
// (mean over T), whose gradient joins each step's spike gradient inside the BPTT pass.
class FusedNeuronFunction : public torch::autograd::Function<FusedNeuronFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& input,
                               const NeuronOptions& options, bool tensor_ops, bool with_rate) {
    SaveOptions(ctx, options, tensor_ops);
    ctx->saved_data["with_rate"] = with_rate;
    // An output that got no gradient arrives undefined (not as zeros): an unused rate costs the
    // backward nothing, and unused spikes are not read.
    ctx->set_materialize_grads(false);
    if (tensor_ops) {
      auto [spikes, h] = ForwardTensorOps(input, options, /*save_h=*/true);
      ctx->save_for_backward({h});
      if (!with_rate) return {spikes};
      return {spikes, spikes.mean(0)};
    }
    const at::Tensor x = KernelInput(input);
    ctx->save_for_backward({x});
    auto [spikes, rate] = ForwardCpu(x, options, with_rate);
    if (!with_rate) return {spikes};
    return {spikes, rate};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const NeuronOptions o = LoadOptions(ctx);
    const bool tensor_ops = ctx->saved_data["tensor_ops"].toBool();
    const bool with_rate = ctx->saved_data["with_rate"].toBool();
    // tensor_ops: h, [T, ...]; CPU kernel: the input as forward read it.
    const at::Tensor saved = ctx->get_saved_variables()[0];
    const at::Tensor rate_grad =
        with_rate && grad_outputs[1].defined() ? grad_outputs[1].contiguous() : at::Tensor();
    if (!grad_outputs[0].defined() && !rate_grad.defined()) {
      return {at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
    at::Tensor g = grad_outputs[0].defined() ? grad_outputs[0].contiguous() : at::Tensor();
    at::Tensor grad_in;
    if (tensor_ops) {
      // The mean's gradient, rate_grad / T at every step, added as autograd would add it.
      if (!g.defined()) g = at::zeros(saved.sizes(), rate_grad.options());
      if (rate_grad.defined()) g = g + rate_grad.unsqueeze(0) / static_cast<double>(saved.size(0));
      grad_in = BackwardTensorOps(saved, g, o);
    } else {
      grad_in = BackwardCpu(saved, g, rate_grad, o);
    }
    return {grad_in, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

SpikesAndRate RunFused(const at::Tensor& input, const NeuronOptions& options, bool tensor_ops,
                       bool with_rate, const char* fn) {
  CheckNeuronArgs(input, options, fn);
  if (!tensor_ops) CheckCpuDtype(input);
  if (!(c10::GradMode::is_enabled() && input.requires_grad())) {
    if (tensor_ops) {
      at::Tensor spikes = ForwardTensorOps(input, options, /*save_h=*/false).first;
      return {spikes, with_rate ? spikes.mean(0) : at::Tensor()};
    }
    auto [spikes, rate] = ForwardCpu(KernelInput(input), options, with_rate);
    return {spikes, rate};
  }
  variable_list out = FusedNeuronFunction::apply(input, options, tensor_ops, with_rate);
  return {out[0], with_rate ? out[1] : at::Tensor()};
}

// Reference spike: H(x) forward, surrogate derivative backward, one graph node per call.
class SpikeFunction : public torch::autograd::Function<SpikeFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, Surrogate surrogate,
                            double width) {
    ctx->save_for_backward({x});
    ctx->saved_data["surrogate"] = static_cast<int64_t>(surrogate);
    ctx->saved_data["width"] = width;
    return x.ge(0).to(x.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    const auto surrogate = static_cast<Surrogate>(ctx->saved_data["surrogate"].toInt());
    const double width = ctx->saved_data["width"].toDouble();
    return {grad_outputs[0] * SurrogateDerivative(x, surrogate, width), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor MultiStepNeuron(const at::Tensor& input, const NeuronOptions& options) {
  return RunFused(input, options, /*tensor_ops=*/!input.is_cpu(), /*with_rate=*/false,
                  "MultiStepNeuron")
      .spikes;
}

SpikesAndRate MultiStepNeuronWithRate(const at::Tensor& input, const NeuronOptions& options) {
  return RunFused(input, options, /*tensor_ops=*/!input.is_cpu(), /*with_rate=*/true,
                  "MultiStepNeuronWithRate");
}

at::Tensor MultiStepNeuronReference(const at::Tensor& input, const NeuronOptions& options) {
  CheckNeuronArgs(input, options, "MultiStepNeuronReference");
  const int64_t steps = input.size(0);
  at::Tensor u = at::full(input[0].sizes(), options.init_membrane * options.threshold,
                          input.options().requires_grad(false));
  std::vector<at::Tensor> spikes;
  spikes.reserve(steps);
  for (int64_t t = 0; t < steps; ++t) {
    const at::Tensor h = u * options.decay + input[t];
    const at::Tensor s =
        SpikeFunction::apply(h - options.threshold, options.surrogate, options.surrogate_width);
    const at::Tensor s_reset = options.detach_reset ? s.detach() : s;
    u = options.reset == ResetMode::kZero ? h * (1 - s_reset) : h - s_reset * options.threshold;
    spikes.push_back(s);
  }
  return at::stack(spikes);
}

namespace neuron_internal {

at::Tensor MultiStepNeuronTensorOps(const at::Tensor& input, const NeuronOptions& options) {
  return RunFused(input, options, /*tensor_ops=*/true, /*with_rate=*/false,
                  "MultiStepNeuronTensorOps")
      .spikes;
}

SpikesAndRate MultiStepNeuronWithRateTensorOps(const at::Tensor& input,
                                               const NeuronOptions& options) {
  return RunFused(input, options, /*tensor_ops=*/true, /*with_rate=*/true,
                  "MultiStepNeuronWithRateTensorOps");
}

}  // namespace neuron_internal

}  // namespace lasnn
