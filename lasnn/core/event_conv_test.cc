#include "lasnn/core/event_conv.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <vector>

namespace lasnn {
namespace {

struct Case {
  int64_t n, cin, cout, h, w, k, stride, padding;
};

// Spikes (binary), scaled spikes (theta * s) and sparse reals, against at::conv2d.
TEST(EventConvTest, MatchesDenseConvolutionToRounding) {
  torch::manual_seed(3);
  const std::vector<Case> cases = {{2, 3, 5, 8, 8, 3, 1, 1},  {3, 4, 6, 7, 9, 3, 2, 1},
                                   {1, 2, 3, 6, 6, 1, 1, 0},  {2, 3, 4, 9, 9, 3, 1, 0},
                                   {2, 2, 7, 10, 10, 5, 2, 2}, {1, 1, 1, 3, 3, 3, 1, 1}};
  for (at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    const double tol = dtype == at::kDouble ? 1e-9 : 1e-5;
    for (const Case& c : cases) {
      for (int kind = 0; kind < 3; ++kind) {
        at::Tensor x = (at::rand({c.n, c.cin, c.h, c.w}) < 0.2).to(dtype);
        if (kind == 1) x = x * 0.37;
        if (kind == 2) x = x * at::randn(x.sizes(), dtype);
        const at::Tensor weight = at::randn({c.cout, c.cin, c.k, c.k}, dtype);
        const at::Tensor bias = at::randn({c.cout}, dtype);
        for (bool with_bias : {true, false}) {
          const at::Tensor b = with_bias ? bias : at::Tensor();
          const at::Tensor want = at::conv2d(x, weight, b, {c.stride, c.stride},
                                             {c.padding, c.padding});
          const at::Tensor got =
              EventConv2d(x, MakeEventConvWeights(weight, b, c.stride, c.padding));
          ASSERT_EQ(got.sizes(), want.sizes());
          EXPECT_TRUE(got.is_contiguous());
          const double scale = std::max(1.0, want.abs().max().item<double>());
          EXPECT_LE((got - want).abs().max().item<double>(), tol * scale)
              << dtype << " case k=" << c.k << " stride=" << c.stride << " kind " << kind;
        }
      }
    }
  }
}

TEST(EventConvTest, AllZeroInputGivesTheBias) {
  const at::Tensor weight = at::randn({4, 2, 3, 3});
  const at::Tensor bias = at::arange(4, at::kFloat);
  const at::Tensor out = EventConv2d(at::zeros({2, 2, 5, 5}), MakeEventConvWeights(weight, bias, 1, 1));
  EXPECT_TRUE(at::equal(out, bias.view({1, 4, 1, 1}).expand({2, 4, 5, 5})));
}

TEST(EventConvTest, RejectsMismatchedInput) {
  const EventConvWeights w = MakeEventConvWeights(at::randn({4, 2, 3, 3}), at::Tensor(), 1, 1);
  EXPECT_THROW(EventConv2d(at::zeros({1, 3, 5, 5}), w), c10::Error);
  EXPECT_THROW(EventConv2d(at::zeros({1, 2, 5, 5}, at::kDouble), w), c10::Error);
  EXPECT_THROW(MakeEventConvWeights(at::randn({4, 2, 3, 2}), at::Tensor(), 1, 1), c10::Error);
}

TEST(EventConvTest, NonZeroFraction) {
  EXPECT_DOUBLE_EQ(NonZeroFraction(at::tensor({0.0, 1.0, 0.0, 2.0})), 0.5);
  EXPECT_DOUBLE_EQ(NonZeroFraction(at::zeros({0})), 0.0);
}

}  // namespace
}  // namespace lasnn
