#include "lasnn/core/pooling.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <cmath>
#include <string>
#include <vector>

namespace lasnn {
namespace {

using pooling_internal::Kernel;

// Restores the best kernel when a test ends.
class PoolingTest : public ::testing::TestWithParam<Kernel> {
 protected:
  void SetUp() override { pooling_internal::SetKernelForTest(GetParam()); }
  void TearDown() override { pooling_internal::SetKernelForTest(Kernel::kBest); }
};

// Values, binary spikes (ties everywhere: the first maximum must get the gradient), and values
// with NaNs and signed zeros.
at::Tensor Input(const std::vector<int64_t>& size, at::ScalarType dtype, int kind) {
  at::Tensor x = at::randn(size, dtype);
  if (kind == 1) x = (x > 0.3).to(dtype);
  if (kind == 2) {
    x = at::where(at::rand(size) < 0.05, at::full({}, std::nan(""), dtype), x);
    x = at::where(at::rand(size) < 0.1, at::full({}, -0.0, dtype), x);
  }
  return x;
}

// Bitwise equality (NaN == NaN with the same payload, -0 != +0).
bool SameBits(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() &&
         at::equal(a.contiguous().view(a.scalar_type() == at::kFloat ? at::kInt : at::kLong),
                   b.contiguous().view(b.scalar_type() == at::kFloat ? at::kInt : at::kLong));
}

// ours(x, 2, 2, 0) against LibTorch's 2x2/2 pooling: the same bits forward and backward.
template <typename Ours, typename Theirs>
void ExpectSameAsLibTorch(Ours ours, Theirs theirs) {
  torch::manual_seed(5);
  // Widths 1..37 cover full vector blocks, every masked tail and odd widths; odd heights too.
  std::vector<std::vector<int64_t>> sizes = {{3, 4, 8, 8}, {2, 3, 7, 9}, {1, 2, 28, 28},
                                             {2, 2, 14, 14}, {1, 1, 2, 2}, {1, 1, 3, 2}};
  for (int64_t w = 2; w <= 37; w += 3) sizes.push_back({2, 3, 5, w});
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    for (const std::vector<int64_t>& size : sizes) {
      for (int kind : {0, 1, 2}) {
        const std::string what = c10::str(dtype, " ", c10::IntArrayRef(size), " kind ", kind);
        const at::Tensor x = Input(size, dtype, kind);
        const at::Tensor a = x.clone().requires_grad_(true);
        const at::Tensor b = x.clone().requires_grad_(true);
        const at::Tensor ya = ours(a);
        const at::Tensor yb = theirs(b);
        ASSERT_TRUE(SameBits(ya, yb)) << what;
        const at::Tensor g = at::randn(ya.sizes(), dtype);
        ya.backward(g);
        yb.backward(g);
        EXPECT_TRUE(SameBits(a.grad(), b.grad())) << what;
      }
    }
  }
}

TEST_P(PoolingTest, NonContiguousInputAndOtherShapesFallBack) {
  torch::manual_seed(6);
  const at::Tensor x = at::randn({2, 3, 8, 10}).permute({0, 1, 3, 2});  // not contiguous
  EXPECT_TRUE(SameBits(MaxPool2d(x, 2, 2, 0), at::max_pool2d(x, {2, 2}, {2, 2})));
  const at::Tensor y = at::randn({2, 3, 9, 9});
  EXPECT_TRUE(SameBits(MaxPool2d(y, 3, 2, 1), at::max_pool2d(y, {3, 3}, {2, 2}, {1, 1})));
  EXPECT_TRUE(SameBits(AvgPool2d(x, 2, 2, 0), at::avg_pool2d(x, {2, 2}, {2, 2})));
  EXPECT_TRUE(SameBits(AvgPool2d(y, 3, 2, 1), at::avg_pool2d(y, {3, 3}, {2, 2}, {1, 1})));
}

TEST_P(PoolingTest, InputSmallerThanOneWindowThrowsAsLibTorch) {
  EXPECT_THROW(MaxPool2d(at::rand({1, 1, 1, 5}), 2, 2, 0), c10::Error);
  EXPECT_THROW(MaxPool2d(at::rand({1, 1, 4, 1}), 2, 2, 0), c10::Error);
  EXPECT_THROW(AvgPool2d(at::rand({1, 1, 1, 5}), 2, 2, 0), c10::Error);
}

TEST_P(PoolingTest, MaxMatchesLibTorchValuesAndGradients) {
  ExpectSameAsLibTorch([](const at::Tensor& x) { return MaxPool2d(x, 2, 2, 0); },
                       [](const at::Tensor& x) { return at::max_pool2d(x, {2, 2}, {2, 2}); });
}

TEST_P(PoolingTest, AvgMatchesLibTorchValuesAndGradients) {
  ExpectSameAsLibTorch([](const at::Tensor& x) { return AvgPool2d(x, 2, 2, 0); },
                       [](const at::Tensor& x) { return at::avg_pool2d(x, {2, 2}, {2, 2}); });
}

INSTANTIATE_TEST_SUITE_P(Kernels, PoolingTest, ::testing::Values(Kernel::kBest, Kernel::kScalar),
                         [](const ::testing::TestParamInfo<Kernel>& info) {
                           return info.param == Kernel::kBest ? std::string("Best")
                                                              : std::string("Scalar");
                         });

}  // namespace
}  // namespace lasnn
