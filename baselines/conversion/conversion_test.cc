#include "baselines/conversion/conversion.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "util/status_matchers.h"

namespace lasnn::conversion {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

Model Build(const std::string& text) {
  at::set_num_threads(1);
  auto spec = ParseModelSpecText(text);
  EXPECT_THAT(spec, IsOk());
  torch::manual_seed(11);
  auto model = BuildModel(*spec, Mode::kAnn);
  EXPECT_THAT(model, IsOk());
  // Non-trivial batch-norm statistics and affine parameters.
  torch::NoGradGuard no_grad;
  for (auto& b : (*model)->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.3, 0.3);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
  }
  for (auto& p : (*model)->named_parameters()) {
    if (p.key().find(".bn.") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
  (*model)->eval();
  return *model;
}

constexpr char kTinyVgg[] = R"pb(
  name: "tiny"
  input { channels: 1 height: 8 width: 8 }
  num_classes: 4
  layers { conv { out_channels: 6 } }
  layers { activation {} }
  layers { pool { kind: AVG kernel_size: 2 } }
  layers { conv { out_channels: 8 } }
  layers { activation {} }
  layers { pool { global: true kind: AVG } }
  layers { flatten {} }
  layers { linear { out_features: 12 } }
  layers { activation {} }
  layers { dropout { p: 0.1 } }
  layers { linear { out_features: 4 } }
)pb";

TEST(ConversionTest, IfRateConvergesToReluOverThreshold) {
  // One layer, constant input: with reset by subtraction, count(t) = floor(t * x / theta) for
  // 0 <= x <= theta, so |rate - relu(x) / theta| <= 1 / t.
  const at::Tensor x = at::tensor({-0.5, 0.0, 0.13, 0.5, 0.77, 1.4, 2.0}, at::kDouble);
  const at::Tensor theta = at::scalar_tensor(2.0, at::kDouble);
  at::Tensor u = at::zeros_like(x);
  at::Tensor count = at::zeros_like(x);
  for (int64_t t = 1; t <= 1000; ++t) {
    count += IfStep(u, x, theta, /*reset_by_subtraction=*/true) / theta;
    if (t == 1 || t == 10 || t == 100 || t == 1000) {
      const double err = (count / t - x.relu() / theta).abs().max().item<double>();
      EXPECT_LE(err, 1.0 / t + 1e-12) << "t = " << t;
    }
  }
  // Reset to zero loses the remainder: 0.77 / 2 -> one spike every 3 steps (rate 1/3, not 0.385).
  at::Tensor u0 = at::zeros({1}, at::kDouble);
  double spikes = 0;
  for (int t = 0; t < 300; ++t) {
    spikes += IfStep(u0, at::full({1}, 0.77, at::kDouble), theta, false).item<double>() / 2.0;
  }
  EXPECT_NEAR(spikes / 300, 1.0 / 3.0, 1e-9);
}

TEST(ConversionTest, FoldedAnnMatchesModelInEvalMode) {
  Model model = Build(kTinyVgg);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  EXPECT_EQ(folded->num_activations, 3);
  at::Tensor x = at::randn({5, 1, 8, 8});
  at::Tensor want = model->forward(x).logits;
  at::Tensor got = FoldedForward(*folded, x);
  EXPECT_TRUE(at::allclose(got, want, 1e-5, 1e-5)) << (got - want).abs().max().item<float>();
}

TEST(ConversionTest, MaxPoolingIsRejectedNamingTheLayer) {
  Model model = Build(R"pb(
    name: "maxpool"
    input { channels: 1 height: 4 width: 4 }
    num_classes: 2
    layers { conv { out_channels: 2 } }
    layers { activation {} }
    layers { pool { kind: MAX kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 2 } }
  )pb");
  auto folded = FoldBatchNorm(model);
  EXPECT_THAT(folded, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("layers[2]"), HasSubstr("max pooling"))));
}

TEST(ConversionTest, NormalisationThresholds) {
  Model model = Build(kTinyVgg);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  at::Tensor calib = at::randn({40, 1, 8, 8});
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  auto max_snn = Convert(*folded, calib, o);
  ASSERT_THAT(max_snn, IsOk());
  // Layer 1's threshold is the largest ReLU output of the first conv.
  at::Tensor first = at::relu(at::conv2d(calib, folded->layers[0].weight, folded->layers[0].bias,
                                         1, 1));
  EXPECT_FLOAT_EQ(max_snn->thresholds[0].item<float>(), first.max().item<float>());
  o.normalisation = Normalisation::kRobust;
  o.percentile = 50;
  auto robust = Convert(*folded, calib, o);
  ASSERT_THAT(robust, IsOk());
  // Nearest rank: the ceil(0.5 n)-th smallest value.
  at::Tensor sorted = std::get<0>(first.flatten().sort());
  EXPECT_FLOAT_EQ(robust->thresholds[0].item<float>(),
                  sorted[(first.numel() + 1) / 2 - 1].item<float>());
  o.normalisation = Normalisation::kRobustPerChannel;
  o.percentile = 99.9;
  auto per_channel = Convert(*folded, calib, o);
  ASSERT_THAT(per_channel, IsOk());
  EXPECT_EQ(per_channel->thresholds[0].numel(), 6);
  EXPECT_EQ(per_channel->thresholds[2].numel(), 12);
  EXPECT_LE(per_channel->thresholds[0].max().item<float>(),
            max_snn->thresholds[0].item<float>() + 1e-6);
  o.percentile = 0;
  EXPECT_THAT(Convert(*folded, calib, o), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConversionTest, ConvertedSnnApproachesTheAnnAsTGrows) {
  Model model = Build(kTinyVgg);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  at::Tensor x = at::randn({64, 1, 8, 8});
  at::Tensor ann_pred = FoldedForward(*folded, x).argmax(1);
  for (Normalisation n : {Normalisation::kMax, Normalisation::kRobustPerChannel,
                          Normalisation::kSpikeNorm}) {
    ConversionOptions o;
    o.normalisation = n;
    o.spike_norm_timesteps = 32;
    auto snn = Convert(*folded, x, o);
    ASSERT_THAT(snn, IsOk());
    // "Accuracy" against the ANN's own predictions: agreement with the ANN.
    SimulationResult r = Simulate(*snn, x, ann_pred, /*timesteps=*/256, /*batch_size=*/32);
    ASSERT_EQ(r.accuracy_at_t.size(), 256u);
    EXPECT_GE(r.accuracy_at_t.back(), 0.9) << static_cast<int>(n);
    EXPECT_GT(r.accuracy_at_t.back(), r.accuracy_at_t.front()) << static_cast<int>(n);
    ASSERT_EQ(r.firing_rates.size(), 3u);
    for (double rate : r.firing_rates) {
      EXPECT_GT(rate, 0.0);
      EXPECT_LE(rate, 1.0);
    }
    EXPECT_GE(FirstTimestepWithin(r.accuracy_at_t, 1.0, 0.1), 1);
  }
}

TEST(ConversionTest, ResultDoesNotDependOnSimulationBatchSize) {
  Model model = Build(kTinyVgg);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  at::Tensor x = at::randn({20, 1, 8, 8});
  at::Tensor y = at::randint(0, 4, {20}, at::kLong);
  auto snn = Convert(*folded, x, ConversionOptions());
  ASSERT_THAT(snn, IsOk());
  SimulationResult a = Simulate(*snn, x, y, 50, 20);
  SimulationResult b = Simulate(*snn, x, y, 50, 3);
  EXPECT_EQ(a.accuracy_at_t, b.accuracy_at_t);
}

}  // namespace
}  // namespace lasnn::conversion
