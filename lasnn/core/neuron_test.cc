#include "lasnn/core/neuron.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "lasnn/core/surrogate.h"

namespace lasnn {
namespace {

using NeuronFn = at::Tensor (*)(const at::Tensor&, const NeuronOptions&);

// Spikes and dL/dinput for loss = sum(spikes * upstream).
std::pair<at::Tensor, at::Tensor> RunWithGrad(NeuronFn fn, const at::Tensor& input,
                                              const at::Tensor& upstream,
                                              const NeuronOptions& options) {
  at::Tensor x = input.detach().clone().requires_grad_(true);
  at::Tensor spikes = fn(x, options);
  spikes.backward(upstream);
  return {spikes.detach(), x.grad()};
}

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

std::string Describe(const NeuronOptions& o) {
  return std::string("reset=") + (o.reset == ResetMode::kZero ? "zero" : "subtract") +
         " detach=" + std::to_string(o.detach_reset) + " surrogate=" + SurrogateName(o.surrogate) +
         " decay=" + std::to_string(o.decay) + " init=" + std::to_string(o.init_membrane);
}

std::vector<NeuronOptions> AllOptionCombinations() {
  std::vector<NeuronOptions> all;
  for (ResetMode reset : {ResetMode::kZero, ResetMode::kSubtract}) {
    for (bool detach : {false, true}) {
      for (Surrogate surrogate : {Surrogate::kTriangle, Surrogate::kArctan, Surrogate::kSigmoid}) {
        for (double decay : {0.5, 1.0}) {
          for (double init : {0.0, 0.5}) {
            NeuronOptions o;
            o.reset = reset;
            o.detach_reset = detach;
            o.surrogate = surrogate;
            o.surrogate_width = surrogate == Surrogate::kTriangle ? 1.0 : 2.0;
            o.decay = decay;
            o.init_membrane = init;
            all.push_back(o);
          }
        }
      }
    }
  }
  return all;
}

// Inputs around the threshold so that every step has a mix of spiking and silent elements.
at::Tensor RandomInput(at::IntArrayRef shape, at::ScalarType dtype, uint64_t seed) {
  at::manual_seed(seed);
  return at::randn(shape, at::TensorOptions().dtype(dtype)) * 0.8 + 0.4;
}

class NeuronShapeTest : public ::testing::TestWithParam<std::vector<int64_t>> {};

TEST_P(NeuronShapeTest, FusedMatchesReferenceForEveryOptionFloat64) {
  const std::vector<int64_t> shape = GetParam();
  const at::Tensor input = RandomInput(shape, at::kDouble, 7);
  const at::Tensor upstream = RandomInput(shape, at::kDouble, 8);
  for (const NeuronOptions& o : AllOptionCombinations()) {
    SCOPED_TRACE(Describe(o));
    const auto [ref_spikes, ref_grad] = RunWithGrad(&MultiStepNeuronReference, input, upstream, o);
    const auto [spikes, grad] = RunWithGrad(&MultiStepNeuron, input, upstream, o);
    const auto [op_spikes, op_grad] =
        RunWithGrad(&neuron_internal::MultiStepNeuronTensorOps, input, upstream, o);
    ASSERT_EQ(spikes.sizes(), input.sizes());
    EXPECT_EQ(spikes.scalar_type(), at::kDouble);
    EXPECT_TRUE(at::equal(spikes, ref_spikes));
    EXPECT_TRUE(at::equal(op_spikes, ref_spikes));
    const double rate = ref_spikes.mean().item<double>();
    EXPECT_GT(rate, 0.05);
    EXPECT_LT(rate, 0.95);
    EXPECT_LE(MaxAbsDiff(grad, ref_grad), 1e-6);
    EXPECT_LE(MaxAbsDiff(op_grad, ref_grad), 1e-6);
    EXPECT_GT(ref_grad.abs().max().item<double>(), 0.1);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, NeuronShapeTest,
                         ::testing::Values(std::vector<int64_t>{6, 5},
                                           std::vector<int64_t>{5, 2, 3, 4, 4},
                                           // More elements than one parallel block.
                                           std::vector<int64_t>{4, 3, 1500}));

TEST(NeuronTest, Float32MatchesReference) {
  const at::Tensor input = RandomInput({8, 4, 3, 7, 7}, at::kFloat, 11);
  const at::Tensor upstream = RandomInput({8, 4, 3, 7, 7}, at::kFloat, 12);
  for (const NeuronOptions& o : AllOptionCombinations()) {
    SCOPED_TRACE(Describe(o));
    const auto [ref_spikes, ref_grad] = RunWithGrad(&MultiStepNeuronReference, input, upstream, o);
    const auto [spikes, grad] = RunWithGrad(&MultiStepNeuron, input, upstream, o);
    EXPECT_EQ(spikes.scalar_type(), at::kFloat);
    EXPECT_TRUE(at::equal(spikes, ref_spikes));
    EXPECT_LE(MaxAbsDiff(grad, ref_grad), 1e-4);
  }
}

// Spikes, rate and dL/dinput of loss = sum(spikes * upstream) + sum(rate * rate_upstream), the
// rate from the fused pass (`fused`) or as spikes.mean(0) after MultiStepNeuron (reference).
// An undefined upstream leaves that output out of the loss.
struct RateRun {
  at::Tensor spikes, rate, grad;
};
RateRun RunRate(bool fused, bool tensor_ops, const at::Tensor& input, const at::Tensor& upstream,
                const at::Tensor& rate_upstream, const NeuronOptions& o) {
  at::Tensor x = input.detach().clone().requires_grad_(true);
  at::Tensor spikes, rate;
  if (fused) {
    SpikesAndRate out = tensor_ops ? neuron_internal::MultiStepNeuronWithRateTensorOps(x, o)
                                   : MultiStepNeuronWithRate(x, o);
    spikes = out.spikes;
    rate = out.rate;
  } else {
    spikes = tensor_ops ? neuron_internal::MultiStepNeuronTensorOps(x, o) : MultiStepNeuron(x, o);
    rate = spikes.mean(0);
  }
  at::Tensor loss = at::zeros({}, x.options());
  if (upstream.defined()) loss = loss + (spikes * upstream).sum();
  if (rate_upstream.defined()) loss = loss + (rate * rate_upstream).sum();
  loss.backward();
  return {spikes.detach(), rate.detach(), x.grad()};
}

TEST(NeuronTest, FusedRateEqualsMeanOfSpikesWithTheSameGradient) {
  // The rate and the input gradient are those of MultiStepNeuron + spikes.mean(0) to the bit on
  // the CPU (the kernel adds rate_grad / T to each step's spike gradient, as autograd's mean and
  // sum would), for every option, both dtypes, T = 1, 3, 4, with the spikes used downstream or
  // not; the tensor-op path (CUDA's) agrees to rounding.
  for (at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    for (int64_t steps : {1, 3, 4}) {
      const std::vector<int64_t> shape = {steps, 3, 2, 37, 41};  // > one parallel block per step
      const at::Tensor input = RandomInput(shape, dtype, 21 + steps);
      const at::Tensor upstream = RandomInput(shape, dtype, 31 + steps);
      const at::Tensor rate_upstream = RandomInput({3, 2, 37, 41}, dtype, 41 + steps);
      for (const NeuronOptions& o : AllOptionCombinations()) {
        for (bool spikes_used : {true, false}) {
          SCOPED_TRACE(Describe(o) + " T=" + std::to_string(steps) + " dtype=" +
                       std::string(at::toString(dtype)) +
                       " spikes_used=" + std::to_string(spikes_used));
          const at::Tensor up = spikes_used ? upstream : at::Tensor();
          const RateRun ref = RunRate(false, false, input, up, rate_upstream, o);
          const RateRun fused = RunRate(true, false, input, up, rate_upstream, o);
          EXPECT_TRUE(at::equal(fused.spikes, ref.spikes));
          EXPECT_TRUE(at::equal(fused.rate, ref.rate));
          EXPECT_TRUE(at::equal(fused.grad, ref.grad));
          EXPECT_GT(ref.grad.abs().max().item<double>(), 0.01);
          const RateRun ops = RunRate(true, true, input, up, rate_upstream, o);
          EXPECT_TRUE(at::equal(ops.spikes, ref.spikes));
          EXPECT_TRUE(at::equal(ops.rate, ref.rate));
          EXPECT_LE(MaxAbsDiff(ops.grad, ref.grad), dtype == at::kDouble ? 1e-9 : 1e-5);
        }
      }
    }
  }
}

TEST(NeuronTest, FusedRateWithoutRateGradientOrWithoutGradMode) {
  NeuronOptions o;
  const at::Tensor input = RandomInput({4, 2, 3, 5}, at::kDouble, 51);
  const at::Tensor upstream = RandomInput({4, 2, 3, 5}, at::kDouble, 52);
  // Only the spikes in the loss: the plain neuron's gradient.
  const RateRun ref = RunRate(false, false, input, upstream, at::Tensor(), o);
  const RateRun fused = RunRate(true, false, input, upstream, at::Tensor(), o);
  EXPECT_TRUE(at::equal(fused.grad, ref.grad));
  at::NoGradGuard no_grad;
  const SpikesAndRate out = MultiStepNeuronWithRate(input.clone().requires_grad_(true), o);
  EXPECT_FALSE(out.spikes.requires_grad());
  EXPECT_FALSE(out.rate.requires_grad());
  EXPECT_TRUE(at::equal(out.rate, MultiStepNeuron(input, o).mean(0)));
}

TEST(NeuronTest, HandComputedLifHardReset) {
  // h: 0.6, 0.9, 1.05 (spike, u = 0), 0.6, 0.9, 1.05 (spike).
  NeuronOptions o;  // decay 0.5, threshold 1, hard reset, triangle of width 1
  const at::Tensor input = at::full({6, 1}, 0.6, at::kDouble);
  const at::Tensor spikes = MultiStepNeuron(input, o);
  const std::vector<double> expected = {0, 0, 1, 0, 0, 1};
  for (int t = 0; t < 6; ++t) EXPECT_EQ(spikes[t][0].item<double>(), expected[t]) << "t=" << t;
}

TEST(NeuronTest, HandComputedGradient) {
  // I = [0.8, 0.8]: h1 = 0.8 (no spike, sg = 0.8), h2 = 1.2 (spike, sg = 0.8); loss = s1 + s2.
  // dL/dI2 = sg2 = 0.8; dL/du1 = 0.5 * 0.8 = 0.4.
  // Reset path live: dL/ds1 = 1 + 0.4 * (-h1) = 0.68, dL/dI1 = 0.68 * 0.8 + 0.4 * (1 - s1) = 0.944.
  // Reset detached: dL/dI1 = 1 * 0.8 + 0.4 = 1.2.
  const at::Tensor input = at::full({2, 1}, 0.8, at::kDouble);
  const at::Tensor upstream = at::ones({2, 1}, at::kDouble);
  NeuronOptions o;
  for (bool detach : {false, true}) {
    o.detach_reset = detach;
    for (NeuronFn fn : {&MultiStepNeuron, &MultiStepNeuronReference}) {
      const auto [spikes, grad] = RunWithGrad(fn, input, upstream, o);
      EXPECT_EQ(spikes[0][0].item<double>(), 0);
      EXPECT_EQ(spikes[1][0].item<double>(), 1);
      EXPECT_NEAR(grad[0][0].item<double>(), detach ? 1.2 : 0.944, 1e-12);
      EXPECT_NEAR(grad[1][0].item<double>(), 0.8, 1e-12);
    }
  }
}

TEST(NeuronTest, IfWithSubtractiveResetConvergesToRate) {
  NeuronOptions o;
  o.decay = 1.0;
  o.reset = ResetMode::kSubtract;
  o.threshold = 2.0;
  const int64_t steps = 1000;
  const at::Tensor x = at::tensor({0.0, 0.3, 0.74, 1.1, 1.9, 2.0}, at::kDouble);
  for (double init : {0.0, 0.5}) {  // 0.5: QCFS's initial membrane
    o.init_membrane = init;
    const at::Tensor rates = MultiStepNeuron(x.unsqueeze(0).expand({steps, 6}), o).mean(0);
    for (int64_t i = 0; i < 6; ++i) {
      // |spike count - T x / threshold| <= 1 while the membrane stays in [0, threshold).
      EXPECT_NEAR(rates[i].item<double>(), x[i].item<double>() / o.threshold, 1.0 / steps + 1e-9)
          << "x=" << x[i].item<double>() << " init=" << init;
    }
  }
}

TEST(NeuronTest, TimeBroadcastInputIsReadWithoutCopyAndGetsSummedGradient) {
  NeuronOptions o;
  at::manual_seed(3);
  const at::Tensor x = (at::rand({4, 3, 5, 5}, at::kDouble) * 1.2).requires_grad_(true);
  const at::Tensor upstream = RandomInput({6, 4, 3, 5, 5}, at::kDouble, 4);
  const at::Tensor broadcast = x.unsqueeze(0).expand({6, 4, 3, 5, 5});
  ASSERT_EQ(broadcast.stride(0), 0);
  const at::Tensor spikes = MultiStepNeuron(broadcast, o);
  spikes.backward(upstream);
  const auto [ref_spikes, ref_grad] =
      RunWithGrad(&MultiStepNeuronReference, broadcast.contiguous(), upstream, o);
  EXPECT_TRUE(at::equal(spikes, ref_spikes));
  EXPECT_LE(MaxAbsDiff(x.grad(), ref_grad.sum(0)), 1e-6);
}

TEST(NeuronTest, NonContiguousAndNoGradInputs) {
  NeuronOptions o;
  const at::Tensor base = RandomInput({3, 5, 4, 6}, at::kDouble, 5);
  const at::Tensor transposed = base.transpose(2, 3);  // [3, 5, 6, 4], not contiguous
  const at::Tensor expected = MultiStepNeuronReference(transposed.contiguous(), o);
  EXPECT_TRUE(at::equal(MultiStepNeuron(transposed, o), expected));
  const at::Tensor with_grad = transposed.clone().requires_grad_(true);
  {
    at::NoGradGuard no_grad;
    const at::Tensor spikes = MultiStepNeuron(with_grad, o);
    EXPECT_FALSE(spikes.requires_grad());
    EXPECT_TRUE(at::equal(spikes, expected));
  }
  EXPECT_TRUE(MultiStepNeuron(with_grad, o).requires_grad());
}

TEST(NeuronTest, SingleStep) {
  NeuronOptions o;
  const at::Tensor input = RandomInput({1, 10}, at::kDouble, 9);
  EXPECT_TRUE(at::equal(MultiStepNeuron(input, o), (input >= 1.0).to(at::kDouble).detach()));
}

void ExpectThrowsWith(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected a c10::Error containing \"" << needle << "\"";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find(needle), std::string::npos)
        << e.what_without_backtrace();
  }
}

TEST(NeuronTest, BadInputGivesClearErrors) {
  NeuronOptions o;
  for (NeuronFn fn : {&MultiStepNeuron, &MultiStepNeuronReference}) {
    ExpectThrowsWith([&] { fn(at::ones({5}, at::kFloat), o); }, "dim >= 2");
    ExpectThrowsWith([&] { fn(at::ones({5, 2}, at::kInt), o); }, "floating-point");
    ExpectThrowsWith([&] { fn(at::ones({0, 2}, at::kFloat), o); }, "T >= 1");
    ExpectThrowsWith([&] { fn(at::Tensor(), o); }, "undefined");
    NeuronOptions bad = o;
    bad.threshold = 0;
    ExpectThrowsWith([&] { fn(at::ones({5, 2}, at::kFloat), bad); }, "threshold");
    bad = o;
    bad.surrogate_width = -1;
    ExpectThrowsWith([&] { fn(at::ones({5, 2}, at::kFloat), bad); }, "surrogate_width");
  }
}

TEST(SurrogateTest, DerivativeMatchesFiniteDifferenceOfPrimitive) {
  const at::Tensor x = at::linspace(-3.0, 3.0, 1201, at::kDouble);
  // Small enough that the triangle's kinks (S'' jumps by 2 / w^2 at 0 and +-w) stay within 1e-6.
  const double eps = 1e-7;
  for (Surrogate s : {Surrogate::kTriangle, Surrogate::kArctan, Surrogate::kSigmoid}) {
    for (double w : {0.5, 1.0, 2.5}) {
      SCOPED_TRACE(std::string(SurrogateName(s)) + " width=" + std::to_string(w));
      const at::Tensor fd =
          (SurrogatePrimitive(x + eps, s, w) - SurrogatePrimitive(x - eps, s, w)) / (2 * eps);
      const at::Tensor d = SurrogateDerivative(x, s, w);
      EXPECT_LE(MaxAbsDiff(d, fd), 1e-6);
      EXPECT_GT(d.max().item<double>(), 0.1);
      // The primitive goes from 0 to 1 and the derivative peaks at x = 0.
      EXPECT_NEAR(SurrogatePrimitive(at::tensor({-1e6}, at::kDouble), s, w).item<double>(), 0,
                  1e-6);
      EXPECT_NEAR(SurrogatePrimitive(at::tensor({1e6}, at::kDouble), s, w).item<double>(), 1, 1e-6);
      EXPECT_EQ(d.argmax().item<int64_t>(), 600);
      // The scalar form used by the fused kernels agrees with the tensor form.
      const double* xp = x.data_ptr<double>();
      const double* dp = d.data_ptr<double>();
      for (int64_t i = 0; i < x.numel(); i += 37) {
        double scalar = 0;
        switch (s) {
          case Surrogate::kTriangle:
            scalar = SurrogateDerivativeScalar<Surrogate::kTriangle>(xp[i], w);
            break;
          case Surrogate::kArctan:
            scalar = SurrogateDerivativeScalar<Surrogate::kArctan>(xp[i], w);
            break;
          case Surrogate::kSigmoid:
            scalar = SurrogateDerivativeScalar<Surrogate::kSigmoid>(xp[i], w);
            break;
        }
        EXPECT_NEAR(scalar, dp[i], 1e-14);
      }
    }
  }
}

TEST(SurrogateTest, TriangleValuesByHand) {
  const at::Tensor x = at::tensor({-1.5, -1.0, -0.25, 0.0, 0.5, 1.0}, at::kDouble);
  const at::Tensor d = SurrogateDerivative(x, Surrogate::kTriangle, 1.0);
  const std::vector<double> expected = {0, 0, 0.75, 1, 0.5, 0};
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(d[i].item<double>(), expected[i]);
}

TEST(NeuronCudaTest, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const at::Tensor input = RandomInput({8, 4, 3, 9, 9}, at::kDouble, 21);
  const at::Tensor upstream = RandomInput({8, 4, 3, 9, 9}, at::kDouble, 22);
  for (const NeuronOptions& o : AllOptionCombinations()) {
    SCOPED_TRACE(Describe(o));
    const auto [cpu_spikes, cpu_grad] = RunWithGrad(&MultiStepNeuron, input, upstream, o);
    const auto [cuda_spikes, cuda_grad] =
        RunWithGrad(&MultiStepNeuron, input.to(at::kCUDA), upstream.to(at::kCUDA), o);
    EXPECT_TRUE(cuda_spikes.is_cuda());
    EXPECT_TRUE(at::equal(cuda_spikes.cpu(), cpu_spikes));
    EXPECT_LE(MaxAbsDiff(cuda_grad.cpu(), cpu_grad), 1e-6);
  }
}

}  // namespace
}  // namespace lasnn
