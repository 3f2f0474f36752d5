#include "baselines/conversion/conversion.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
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

// flatten -> linear(4 -> 4, `weight`, bias 0) -> ReLU -> linear(4 -> 2): one activation layer
// whose 4 "channels" are the linear layer's outputs, on [N, 1, 1, 4] inputs.
FoldedAnn LinearNet(const at::Tensor& weight) {
  FoldedAnn ann;
  ann.input_shape = {1, 1, 4};
  ann.num_classes = 2;
  ann.num_activations = 1;
  FoldedLayer flatten;
  flatten.kind = FoldedLayer::Kind::kFlatten;
  FoldedLayer hidden;
  hidden.kind = FoldedLayer::Kind::kLinear;
  hidden.name = "hidden";
  hidden.weight = weight;
  hidden.bias = at::zeros({4});
  FoldedLayer relu;
  relu.kind = FoldedLayer::Kind::kRelu;
  relu.name = "act";
  FoldedLayer out;
  out.kind = FoldedLayer::Kind::kLinear;
  out.name = "out";
  out.weight = at::tensor({1.0f, -1.0f, 0.5f, 0.0f, -1.0f, 1.0f, 0.0f, 0.5f}).view({2, 4});
  out.bias = at::zeros({2});
  ann.layers = {flatten, hidden, relu, out};
  return ann;
}

// Ten images whose activations, channel by channel: ch0 = 1..5 on images 0-4 and 0 (negative
// input) on 5-9; ch1 = 6..15; ch2 and ch3 = 0 everywhere. Per layer: 25 zeros and 1..15.
at::Tensor CraftedCalibration() {
  at::Tensor x = at::full({10, 1, 1, 4}, -1.0f);
  for (int i = 0; i < 10; ++i) {
    if (i < 5) x[i][0][0][0] = static_cast<float>(i + 1);
    x[i][0][0][1] = static_cast<float>(i + 6);
  }
  return x;
}

TEST(ConversionTest, NonZeroPercentileExcludesTheZeros) {
  const FoldedAnn ann = LinearNet(at::eye(4));
  const at::Tensor calib = CraftedCalibration();
  ConversionOptions o;
  o.normalisation = Normalisation::kRobust;
  o.percentile = 90;
  // Zeros included: nearest rank ceil(0.9 * 40) = 36 of 25 zeros and 1..15 -> 11.
  o.percentile_of = PercentileOf::kAll;
  auto all = Convert(ann, calib, o);
  ASSERT_THAT(all, IsOk());
  EXPECT_FLOAT_EQ(all->thresholds[0].item<float>(), 11.0f);
  // Non-zero only: rank ceil(0.9 * 15) = 14 of 1..15 -> 14 (snntoolbox's convention).
  o.percentile_of = PercentileOf::kNonZero;
  auto nonzero = Convert(ann, calib, o);
  ASSERT_THAT(nonzero, IsOk());
  EXPECT_FLOAT_EQ(nonzero->thresholds[0].item<float>(), 14.0f);

  // Per channel: ch0 has rank 9 of {0 x5, 1..5} = 4, or rank 5 of 1..5 = 5; ch1 (no zeros) 14
  // either way; ch2 and ch3 (all zeros) take the floor threshold 1e-6 either way.
  o.normalisation = Normalisation::kRobustPerChannel;
  o.percentile_of = PercentileOf::kAll;
  auto all_c = Convert(ann, calib, o);
  ASSERT_THAT(all_c, IsOk());
  o.percentile_of = PercentileOf::kNonZero;
  auto nonzero_c = Convert(ann, calib, o);
  ASSERT_THAT(nonzero_c, IsOk());
  const std::vector<float> want_all = {4, 14, 1e-6f, 1e-6f};
  const std::vector<float> want_nonzero = {5, 14, 1e-6f, 1e-6f};
  ASSERT_EQ(all_c->thresholds[0].numel(), 4);
  ASSERT_EQ(nonzero_c->thresholds[0].numel(), 4);
  for (int c = 0; c < 4; ++c) {
    EXPECT_FLOAT_EQ(all_c->thresholds[0][c].item<float>(), want_all[c]) << "channel " << c;
    EXPECT_FLOAT_EQ(nonzero_c->thresholds[0][c].item<float>(), want_nonzero[c]) << "channel " << c;
  }
}

TEST(ConversionTest, DiehlFactorTakesTheLargestPositiveWeightWhenItExceedsTheActivations) {
  // Weights diag(0.5, 3, -2, 0.2): the largest positive weight is 3. Inputs in [0, 0.5] keep
  // every activation <= 1.5.
  torch::manual_seed(3);
  const FoldedAnn ann = LinearNet(at::diag(at::tensor({0.5f, 3.0f, -2.0f, 0.2f})));
  const at::Tensor calib = at::rand({16, 1, 1, 4}, at::TensorOptions(at::kFloat)) * 0.5;
  const float largest_activation =
      at::relu(at::linear(calib.flatten(1), ann.layers[1].weight)).max().item<float>();
  ASSERT_LE(largest_activation, 1.5f);
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  auto max_snn = Convert(ann, calib, o);
  ASSERT_THAT(max_snn, IsOk());
  EXPECT_FLOAT_EQ(max_snn->thresholds[0].item<float>(), largest_activation);
  o.normalisation = Normalisation::kMaxDiehl;
  auto diehl = Convert(ann, calib, o);
  ASSERT_THAT(diehl, IsOk());
  EXPECT_FLOAT_EQ(diehl->thresholds[0].item<float>(), 3.0f);
  // Larger inputs: the activations dominate and the two factors agree.
  const at::Tensor big = calib * 10;
  o.normalisation = Normalisation::kMax;
  auto max_big = Convert(ann, big, o);
  o.normalisation = Normalisation::kMaxDiehl;
  auto diehl_big = Convert(ann, big, o);
  ASSERT_THAT(max_big, IsOk());
  ASSERT_THAT(diehl_big, IsOk());
  EXPECT_GT(max_big->thresholds[0].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(diehl_big->thresholds[0].item<float>(), max_big->thresholds[0].item<float>());
}

TEST(ConversionTest, ResetToZeroAndResetBySubtractionGiveDifferentOutputs) {
  // One neuron with a constant input of 0.75 theta: by subtraction it fires floor(0.75 t) times
  // in t steps; reset to zero loses the remainder and fires every second step (rate 1/2).
  const FoldedAnn ann = LinearNet(at::eye(4));
  at::Tensor x = at::full({1, 1, 1, 4}, -1.0f);
  x[0][0][0][0] = 0.75f;
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;  // calibrated on an input of 1.0: threshold 1
  at::Tensor calib = x.clone();
  calib[0][0][0][0] = 1.0f;
  o.reset_by_subtraction = true;
  auto sub = Convert(ann, calib, o);
  o.reset_by_subtraction = false;
  auto zero = Convert(ann, calib, o);
  ASSERT_THAT(sub, IsOk());
  ASSERT_THAT(zero, IsOk());
  EXPECT_FALSE(zero->reset_by_subtraction);
  const int64_t T = 100;
  BatchSimulation s_sub = SimulateBatch(*sub, x, T);
  BatchSimulation s_zero = SimulateBatch(*zero, x, T);
  ASSERT_EQ(s_sub.spikes_per_step.size(), 1u);
  EXPECT_EQ(s_sub.spikes_per_step[0].sizes(), (std::vector<int64_t>{T, 1}));
  EXPECT_EQ(s_sub.neurons_per_image[0], 4);
  EXPECT_EQ(s_sub.spikes_per_step[0].sum().item<int64_t>(), 75);
  EXPECT_EQ(s_zero.spikes_per_step[0].sum().item<int64_t>(), 50);
  EXPECT_DOUBLE_EQ(s_sub.spike_counts[0], 75.0);
  EXPECT_DOUBLE_EQ(s_sub.neuron_steps[0], 4.0 * T);
  // The output layer's mean current follows the rate: 0.75 vs 0.5 in logit 0 at t = T.
  EXPECT_NEAR(s_sub.cumulative_logits[T - 1][0][0].item<float>(), 0.75f, 1e-5);
  EXPECT_NEAR(s_zero.cumulative_logits[T - 1][0][0].item<float>(), 0.5f, 1e-5);
}

TEST(ConversionTest, QcfsRefusesResetToZero) {
  FoldedAnn ann = LinearNet(at::eye(4));
  ann.layers[2].qcfs_levels = 4;
  ann.layers[2].qcfs_lambda = at::scalar_tensor(1.3f);
  ConversionOptions o;
  o.normalisation = Normalisation::kQcfs;
  o.init_membrane = 0.5;
  auto ok = Convert(ann, at::Tensor(), o);
  ASSERT_THAT(ok, IsOk());
  EXPECT_TRUE(ok->reset_by_subtraction);
  o.reset_by_subtraction = false;
  EXPECT_THAT(Convert(ann, at::Tensor(), o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reset_by_subtraction")));
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

// Stem, an identity block, a downsampling block (1x1 conv shortcut), global pool, a hidden head
// layer and the classifier.
constexpr char kTinyResNet[] = R"pb(
  name: "tiny_resnet"
  input { channels: 1 height: 8 width: 8 }
  num_classes: 4
  resnet {
    stem_channels: 4
    stage_widths: [ 4, 6 ]
    blocks_per_stage: [ 1, 1 ]
    head_hidden: 8
  }
)pb";

TEST(ConversionTest, FoldedResNetMatchesModelInEvalMode) {
  Model model = Build(kTinyResNet);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  EXPECT_EQ(folded->num_activations, 6);  // stem, 2 per block, head
  at::Tensor x = at::randn({5, 1, 8, 8});
  at::Tensor want = model->forward(x).logits;
  at::Tensor got = FoldedForward(*folded, x);
  EXPECT_TRUE(at::allclose(got, want, 1e-5, 1e-5)) << (got - want).abs().max().item<float>();
}

TEST(ConversionTest, ResNetStemMaxPoolIsRejectedNamingTheLayer) {
  Model model = Build(R"pb(
    name: "resnet_maxpool"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 2
    resnet { stem_channels: 2 stem_max_pool: true stage_widths: 2 blocks_per_stage: 1 }
  )pb");
  EXPECT_THAT(FoldBatchNorm(model),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("resnet.stem_max_pool"), HasSubstr("max pooling"))));
}

// The IF ResNet's output (mean over steps 1..t) approaches the ReLU ResNet's logits as t grows:
// MaxNorm thresholds from the same images (no clipping), reset by subtraction, double precision.
// Stated tolerance: at t = 2048 every logit is within 2% of the largest |ANN logit|, and the error
// is at least 8 times smaller than at t = 16.
TEST(ConversionTest, ConvertedResNetLogitsConvergeToTheAnn) {
  Model model = Build(kTinyResNet);
  model->to(at::kDouble);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  const at::Tensor x = at::randn({32, 1, 8, 8}, at::kDouble);
  const at::Tensor ann = FoldedForward(*folded, x);
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  auto snn = Convert(*folded, x, o);
  ASSERT_THAT(snn, IsOk());
  for (at::Tensor& theta : snn->thresholds) theta = theta.to(at::kDouble);
  const BatchSimulation s = SimulateBatch(*snn, x, 2048);
  const double scale = ann.abs().max().item<double>();
  const double err16 = (s.cumulative_logits[15] - ann).abs().max().item<double>() / scale;
  const double err2048 = (s.cumulative_logits[2047] - ann).abs().max().item<double>() / scale;
  RecordProperty("relative_error_t16", absl::StrCat(err16));
  RecordProperty("relative_error_t2048", absl::StrCat(err2048));
  EXPECT_LE(err2048, 0.02);
  EXPECT_LE(err2048 * 8, err16);
}

// Every normalisation converts the ResNet: at t = 256 the SNN agrees with the ANN's predictions on
// >= 90% of random inputs (QCFS: a QCFS ResNet, against the QCFS ANN).
TEST(ConversionTest, EveryNormalisationConvertsTheResNet) {
  Model model = Build(kTinyResNet);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  at::Tensor x = at::randn({64, 1, 8, 8});
  at::Tensor ann_pred = FoldedForward(*folded, x).argmax(1);
  for (Normalisation n : {Normalisation::kMax, Normalisation::kMaxDiehl, Normalisation::kRobust,
                          Normalisation::kRobustPerChannel, Normalisation::kSpikeNorm}) {
    for (PercentileOf of : {PercentileOf::kAll, PercentileOf::kNonZero}) {
      ConversionOptions o;
      o.normalisation = n;
      o.percentile_of = of;
      o.spike_norm_timesteps = 32;
      auto snn = Convert(*folded, x, o);
      ASSERT_THAT(snn, IsOk());
      ASSERT_EQ(snn->thresholds.size(), 6u);
      SimulationResult r = Simulate(*snn, x, ann_pred, /*timesteps=*/256, /*batch_size=*/32);
      EXPECT_GE(r.accuracy_at_t.back(), 0.9) << static_cast<int>(n);
      ASSERT_EQ(r.firing_rates.size(), 6u);
      for (double rate : r.firing_rates) {
        EXPECT_GT(rate, 0.0) << static_cast<int>(n);
        EXPECT_LE(rate, 1.0);
      }
    }
  }
  Model qcfs = Build(absl::StrCat(kTinyResNet, "activation { kind: QCFS qcfs_levels: 8 }"));
  {
    // Lambdas near each activation's largest input, as training would find.
    torch::NoGradGuard no_grad;
    for (auto& p : qcfs->named_parameters()) {
      if (p.key().find("lambda") != std::string::npos) p.value().fill_(2.0);
    }
  }
  auto qfolded = FoldBatchNorm(qcfs);
  ASSERT_THAT(qfolded, IsOk());
  ASSERT_EQ(qfolded->num_activations, 6);
  const at::Tensor qcfs_pred = FoldedForward(*qfolded, x).argmax(1);
  ConversionOptions o;
  o.normalisation = Normalisation::kQcfs;
  o.init_membrane = 0.5;
  auto snn = Convert(*qfolded, at::Tensor(), o);
  ASSERT_THAT(snn, IsOk());
  SimulationResult r = Simulate(*snn, x, qcfs_pred, /*timesteps=*/256, /*batch_size=*/32);
  EXPECT_GE(r.accuracy_at_t.back(), 0.9);
}

// Poisson codes of raw images, normalised after encoding, average to the ANN's (normalised)
// input: the converted SNN's predictions approach the ANN's as t grows, for a VGG-like net and a
// ResNet; the latency code runs through the same path (its spikes depend on T).
TEST(ConversionTest, PoissonCodedInputApproachesTheAnn) {
  const at::Tensor raw = at::rand({64, 1, 8, 8});
  const at::Tensor indices = at::arange(64, at::kLong);
  const InputEncoder poisson(InputCode::kPoisson, {0.5}, {0.25}, /*seed=*/3);
  const at::Tensor x = poisson.Normalise(raw);
  for (const char* text : {kTinyVgg, kTinyResNet}) {
    Model model = Build(text);
    auto folded = FoldBatchNorm(model);
    ASSERT_THAT(folded, IsOk());
    const at::Tensor ann_pred = FoldedForward(*folded, x).argmax(1);
    ConversionOptions o;
    o.normalisation = Normalisation::kMax;
    auto snn = Convert(*folded, x, o);
    ASSERT_THAT(snn, IsOk());
    SimulationOptions so;
    so.encoder = &poisson;
    so.indices = indices;
    const SimulationResult r = Simulate(*snn, raw, ann_pred, /*timesteps=*/512, 32, so);
    RecordProperty(std::string(text == kTinyVgg ? "vgg" : "resnet") + "_agreement_t512",
                   absl::StrCat(r.accuracy_at_t.back()));
    EXPECT_GE(r.accuracy_at_t.back(), 0.85);
    // The mean output's error shrinks with t (Poisson noise about 1 / sqrt(t)).
    so.indices = indices.narrow(0, 0, 32);
    const BatchSimulation b = SimulateBatch(*snn, raw.narrow(0, 0, 32), 512, so);
    const at::Tensor ann = FoldedForward(*folded, x.narrow(0, 0, 32));
    const double err16 = (b.cumulative_logits[15] - ann).abs().mean().item<double>();
    const double err512 = (b.cumulative_logits[511] - ann).abs().mean().item<double>();
    RecordProperty(std::string(text == kTinyVgg ? "vgg" : "resnet") + "_error_ratio",
                   absl::StrCat(err16 / err512));
    EXPECT_GE(err16, 2.5 * err512);
    so.indices = indices;
    // Batch size and order do not change an image's code.
    EXPECT_EQ(Simulate(*snn, raw, ann_pred, 512, 64, so).accuracy_at_t, r.accuracy_at_t);
    const at::Tensor reversed = at::arange(63, -1, -1, at::kLong);
    SimulationOptions reordered = so;
    reordered.indices = indices.index_select(0, reversed);
    EXPECT_EQ(Simulate(*snn, raw.index_select(0, reversed), ann_pred.index_select(0, reversed),
                       512, 32, reordered)
                  .accuracy_at_t,
              r.accuracy_at_t);
    const InputEncoder latency(InputCode::kLatency, {0.5}, {0.25}, 3);
    so.encoder = &latency;
    const SimulationResult l = Simulate(*snn, raw, ann_pred, 16, 32, so);
    ASSERT_EQ(l.accuracy_at_t.size(), 16u);
    for (double rate : l.firing_rates) EXPECT_GE(rate, 0.0);
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

TEST(ConversionTest, EventDrivenConvolutionsAgreeWithDenseToRounding) {
  Model model = Build(kTinyVgg);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  torch::manual_seed(4);
  at::Tensor x = at::randn({12, 1, 8, 8});
  auto snn = Convert(*folded, x, ConversionOptions());
  ASSERT_THAT(snn, IsOk());
  SimulationProfile dense_profile, sparse_profile;
  SimulationOptions dense;
  dense.profile = &dense_profile;
  SimulationOptions sparse;
  sparse.event_driven_below = 1.0;  // every spike-fed conv, every step
  sparse.profile = &sparse_profile;
  const BatchSimulation a = SimulateBatch(*snn, x, 32, dense);
  const BatchSimulation b = SimulateBatch(*snn, x, 32, sparse);
  EXPECT_TRUE(at::allclose(a.cumulative_logits, b.cumulative_logits, /*rtol=*/1e-4,
                           /*atol=*/1e-4));
  int64_t sparse_steps = 0, dense_steps = 0;
  for (size_t i = 0; i < snn->ann.layers.size(); ++i) {
    sparse_steps += sparse_profile.event_driven_steps[i];
    dense_steps += dense_profile.event_driven_steps[i];
    if (snn->ann.layers[i].kind == FoldedLayer::Kind::kConv && sparse_profile.steps[i] > 0 &&
        i > 0) {
      EXPECT_EQ(sparse_profile.event_driven_steps[i], sparse_profile.steps[i])
          << snn->ann.layers[i].name;
    }
  }
  EXPECT_GT(sparse_steps, 0);
  EXPECT_EQ(dense_steps, 0);
}

}  // namespace
}  // namespace lasnn::conversion
