#include "lasnn/models/model.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/presets.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

Model Build(const ModelSpec& spec, Mode mode) {
  auto model = BuildModel(spec, mode);
  EXPECT_THAT(model, IsOk());
  return *model;
}

ModelSpec Preset(const std::string& name, const PresetOptions& options = {}) {
  auto spec = PresetModelSpec(name, options);
  EXPECT_THAT(spec, IsOk());
  return *spec;
}

std::vector<int64_t> Shape(int64_t t, int64_t b, const FeatureShape& s) {
  std::vector<int64_t> out;
  if (t > 0) out.push_back(t);
  out.push_back(b);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

// Every preset builds in both modes with the plan's parameter count, and a forward gives logits
// [B, K], cumulative logits [T, B, K] and the plan's taps with the documented shapes.
TEST(ModelTest, EveryPresetBuildsAndHasTheRightShapes) {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  for (const std::string& name : PresetNames()) {
    SCOPED_TRACE(name);
    const ModelSpec spec = Preset(name);
    auto plan = PlanModel(spec);
    ASSERT_THAT(plan, IsOk());
    const bool small = name.rfind("fmnist", 0) == 0;
    const int64_t b = small ? 2 : 1;
    const int64_t t = 2;
    const at::Tensor x = at::rand(Shape(0, b, plan->input_shape));
    for (Mode mode : {Mode::kAnn, Mode::kSnn}) {
      Model model = Build(spec, mode);
      EXPECT_EQ(CountParameters(*model), plan->num_parameters);
      model->eval();
      ForwardOptions opts;
      opts.timesteps = t;
      opts.cumulative_logits = true;
      opts.spike_stats = true;
      ModelOutput out = model->forward(x, opts);
      const int64_t steps = mode == Mode::kSnn ? t : 1;
      EXPECT_EQ(out.logits.sizes(), at::IntArrayRef({b, 10}));
      EXPECT_EQ(out.cumulative_logits.sizes(), at::IntArrayRef({steps, b, 10}));
      ASSERT_EQ(out.taps.size(), plan->taps.size());
      for (size_t i = 0; i < plan->taps.size(); ++i) {
        const TapInfo& tap = plan->taps[i];
        EXPECT_EQ(out.taps.keys()[i], "stage" + std::to_string(i + 1));
        EXPECT_EQ(out.taps[tap.name].sizes(),
                  at::IntArrayRef(Shape(mode == Mode::kSnn ? t : 0, b, tap.shape)));
      }
      EXPECT_EQ(out.spike_stats.size(),
                mode == Mode::kSnn ? static_cast<size_t>(plan->num_activations) : 0u);
    }
  }
}

TEST(ModelTest, AnnAndSnnTwinsHaveIdenticalParameterNamesAndShapes) {
  for (const char* name : {"fmnist_cnn", "resnet20", "vgg11"}) {
    SCOPED_TRACE(name);
    const ModelSpec spec = Preset(name);
    Model ann = Build(spec, Mode::kAnn);
    Model snn = Build(spec, Mode::kSnn);
    auto a = ann->named_parameters();
    auto s = snn->named_parameters();
    ASSERT_EQ(a.keys(), s.keys());
    for (const auto& item : a) EXPECT_EQ(item.value().sizes(), s[item.key()].sizes());
    EXPECT_EQ(ann->named_buffers().keys(), snn->named_buffers().keys());
    // ANN weights load into the SNN twin.
    torch::NoGradGuard no_grad;
    for (const auto& item : a) s[item.key()].copy_(item.value());
  }
  const auto names = Build(Preset("fmnist_cnn"), Mode::kAnn)->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"layer0.conv.weight", "layer0.bn.weight",
                                             "layer0.bn.bias", "layer3.conv.weight",
                                             "layer3.bn.weight", "layer3.bn.bias",
                                             "layer7.weight", "layer7.bias", "layer9.weight",
                                             "layer9.bias"}));
}

TEST(ModelTest, SnnThatNeverSpikesOutputsTheClassifierBias) {
  ModelSpec spec = Preset("fmnist_cnn");
  spec.mutable_neuron()->set_threshold(1e9);
  Model snn = Build(spec, Mode::kSnn);
  torch::NoGradGuard no_grad;
  ForwardOptions opts;
  opts.timesteps = 4;
  opts.spike_stats = true;
  ModelOutput out = snn->forward(at::rand({3, 1, 28, 28}), opts);
  const at::Tensor bias = snn->named_parameters()["layer9.bias"];
  EXPECT_TRUE(at::allclose(out.logits, bias.expand({3, 10}))) << out.logits;
  for (const LayerSpikeStats& s : out.spike_stats) {
    EXPECT_EQ(s.spike_count.item<double>(), 0.0) << s.name;
  }
}

// Float64 so that no spike flips on rounding differences between batch sizes.
class SnnFoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(1);
    snn_ = Build(Preset("fmnist_student_small"), Mode::kSnn);
    snn_->to(at::kDouble);
    // Larger inputs so that every layer spikes.
    x_ = 3.0 * at::rand({3, 1, 28, 28}, at::kDouble);
  }
  Model snn_{nullptr};
  at::Tensor x_;
};

TEST_F(SnnFoldTest, BatchIndependenceInEvalMode) {
  snn_->eval();
  torch::NoGradGuard no_grad;
  ForwardOptions opts;
  opts.timesteps = 4;
  const at::Tensor all = snn_->forward(x_, opts).logits;
  for (int64_t i = 0; i < x_.size(0); ++i) {
    const at::Tensor one = snn_->forward(x_.slice(0, i, i + 1), opts).logits;
    EXPECT_TRUE(at::allclose(one, all.slice(0, i, i + 1), 1e-9, 1e-9)) << i;
  }
}

TEST_F(SnnFoldTest, CumulativeLogitsEqualShorterSimulationsAndEndAtTheMean) {
  snn_->eval();
  torch::NoGradGuard no_grad;
  ForwardOptions opts;
  opts.timesteps = 5;
  opts.cumulative_logits = true;
  opts.spike_stats = true;
  ModelOutput out = snn_->forward(x_, opts);
  EXPECT_TRUE(at::allclose(out.cumulative_logits[4], out.logits, 1e-12, 1e-12));
  for (int64_t t = 1; t <= 4; ++t) {
    ForwardOptions shorter;
    shorter.timesteps = t;
    const at::Tensor logits = snn_->forward(x_, shorter).logits;
    EXPECT_TRUE(at::allclose(out.cumulative_logits[t - 1], logits, 1e-9, 1e-9)) << t;
  }
  // Layers really spike, and the stage taps are the spikes that the stats counted.
  ASSERT_EQ(out.spike_stats.size(), 3u);
  EXPECT_EQ(out.spike_stats[0].name, "layer1");
  EXPECT_EQ(out.spike_stats[0].spike_count.item<double>(), out.taps["stage1"].sum().item<double>());
  EXPECT_EQ(out.spike_stats[0].num_elements, out.taps["stage1"].numel());
  for (const LayerSpikeStats& s : out.spike_stats) {
    const double rate = s.FiringRate().item<double>();
    // The hidden linear layer (no BN) may stay silent at initialisation.
    if (s.name != "layer8") {
      EXPECT_GT(rate, 0.0) << s.name;
    }
    EXPECT_GE(rate, 0.0) << s.name;
    EXPECT_LT(rate, 1.0) << s.name;
  }
  const at::Tensor rates = TapFiringRate(out.taps["stage2"]);
  EXPECT_EQ(rates.sizes(), at::IntArrayRef({3, 32, 14, 14}));
}

// tap_rates are the taps' firing rates from the neurons' own pass: equal to TapFiringRate of the
// taps, and a loss on them gives the parameters the same gradients, to the bit (training mode,
// the spikes also used downstream), in the plain stack and through residual blocks.
TEST(ModelTest, TapRatesEqualTapFiringRatesWithTheSameGradients) {
  PresetOptions small;
  small.height = 8;
  small.width = 8;
  small.width_multiplier = 0.125;
  for (const auto& [name, options] : std::vector<std::pair<std::string, PresetOptions>>{
           {"fmnist_student_small", PresetOptions{}}, {"resnet20", small}}) {
    SCOPED_TRACE(name);
    torch::manual_seed(5);
    Model snn = Build(Preset(name, options), Mode::kSnn);
    snn->to(at::kDouble);
    snn->train();
    const FeatureShape& in = snn->plan().input_shape;
    const at::Tensor x = 3.0 * at::rand({3, in[0], in[1], in[2]}, at::kDouble);
    auto grads = [&](bool fused) {
      snn->zero_grad();
      ForwardOptions opts;
      opts.timesteps = 3;
      opts.tap_rates = fused;
      ModelOutput out = snn->forward(x, opts);
      at::Tensor loss = out.logits.pow(2).sum();
      std::vector<at::Tensor> rates;
      for (const auto& item : out.taps) {
        at::Tensor rate = fused ? out.tap_rates[item.key()] : TapFiringRate(item.value());
        loss = loss + rate.pow(2).sum() * 0.5;
        rates.push_back(rate.detach());
      }
      EXPECT_EQ(out.tap_rates.size(), fused ? out.taps.size() : 0u);
      loss.backward();
      std::vector<at::Tensor> g;
      for (const at::Tensor& p : snn->parameters()) g.push_back(p.grad().clone());
      return std::make_pair(rates, g);
    };
    const auto [ref_rates, ref_grads] = grads(false);
    const auto [rates, fused_grads] = grads(true);
    ASSERT_EQ(rates.size(), ref_rates.size());
    for (size_t i = 0; i < rates.size(); ++i) {
      EXPECT_TRUE(at::equal(rates[i], ref_rates[i])) << "tap " << i;
      EXPECT_GT(ref_rates[i].sum().item<double>(), 0.0) << "tap " << i;
    }
    ASSERT_EQ(fused_grads.size(), ref_grads.size());
    for (size_t i = 0; i < fused_grads.size(); ++i) {
      EXPECT_TRUE(at::equal(fused_grads[i], ref_grads[i])) << "parameter " << i;
    }
  }
}

// Direct encoding runs the layers before the first neuron once on [B, ...]; feeding the same
// image materialised over T as [T, B, ...] must give the same result, in training mode too (BN
// batch statistics over [B] equal those over T identical copies).
TEST_F(SnnFoldTest, DirectEncodingEqualsMaterialisedRepeatedInput) {
  for (bool train : {false, true}) {
    snn_->train(train);
    ForwardOptions opts;
    opts.timesteps = 3;
    const at::Tensor repeated = x_.unsqueeze(0).expand({3, 3, 1, 28, 28}).contiguous();
    const at::Tensor a = snn_->forward(x_, opts).logits;
    const at::Tensor b = snn_->forward(repeated, opts).logits;
    EXPECT_TRUE(at::allclose(a, b, 1e-9, 1e-9)) << "train " << train;
  }
}

// The same causality check through residual blocks (shortcut convs, two neurons per block).
TEST(ModelTest, ResNetSnnCumulativeLogitsEqualShorterSimulations) {
  PresetOptions small;
  small.height = 8;
  small.width = 8;
  small.width_multiplier = 0.125;
  torch::manual_seed(3);
  Model snn = Build(Preset("resnet20", small), Mode::kSnn);
  snn->to(at::kDouble);
  snn->eval();
  torch::NoGradGuard no_grad;
  const at::Tensor x = 3.0 * at::rand({2, 3, 8, 8}, at::kDouble);
  ForwardOptions opts;
  opts.timesteps = 3;
  opts.cumulative_logits = true;
  opts.spike_stats = true;
  ModelOutput out = snn->forward(x, opts);
  EXPECT_EQ(out.spike_stats.size(), 19u);
  EXPECT_EQ(out.spike_stats[1].name, "stage1_block0.act1");
  EXPECT_EQ(out.taps["stage3"].sizes(), at::IntArrayRef({3, 2, 32, 2, 2}));
  for (int64_t t = 1; t <= 3; ++t) {
    ForwardOptions shorter;
    shorter.timesteps = t;
    EXPECT_TRUE(at::allclose(out.cumulative_logits[t - 1], snn->forward(x, shorter).logits, 1e-9,
                             1e-9))
        << t;
  }
}

TEST(ModelTest, WrongInputShapeThrows) {
  Model snn = Build(Preset("fmnist_cnn"), Mode::kSnn);
  torch::NoGradGuard no_grad;
  EXPECT_THROW(snn->forward(at::rand({2, 3, 28, 28})), c10::Error);
  EXPECT_THROW(snn->forward(at::rand({2, 28, 28})), c10::Error);
  Model ann = Build(Preset("fmnist_cnn"), Mode::kAnn);
  EXPECT_THROW(ann->forward(at::rand({2, 2, 1, 28, 28})), c10::Error);
  ModelSpec poisson = Preset("fmnist_cnn");
  poisson.mutable_encoder()->set_kind(EncoderSpec::POISSON);
  Model encoded = Build(poisson, Mode::kSnn);
  EXPECT_THROW(encoded->forward(at::rand({2, 1, 28, 28})), c10::Error);
  EXPECT_EQ(encoded->forward(at::rand({4, 2, 1, 28, 28})).logits.sizes(),
            at::IntArrayRef({2, 10}));
}

TEST(ModelTest, InvalidSpecIsInvalidArgumentNamingTheField) {
  ModelSpec spec = Preset("fmnist_cnn");
  spec.mutable_layers(3)->mutable_conv()->set_out_channels(-4);
  auto model = BuildModel(spec, Mode::kSnn);
  EXPECT_THAT(model, StatusIs(absl::StatusCode::kInvalidArgument,
                              "layers[3].conv.out_channels must be > 0"));
}

// A tiny SNN learns a separable synthetic task: class k has a bright k-th quadrant.
TEST(ModelTest, QcfsActivationQuantisesClipsAndPassesGradientsStraightThrough) {
  // lambda 2, L 4: levels at multiples of 0.5, rounding half up, clipped to [0, 2].
  at::Tensor x = torch::tensor({-1.0, 0.2, 0.25, 0.6, 1.3, 1.74, 2.5}, at::kDouble).requires_grad_();
  at::Tensor lambda = torch::tensor(2.0, at::kDouble).requires_grad_();
  at::Tensor y = QcfsActivation(x, lambda, 4);
  std::vector<double> want = {0.0, 0.0, 0.5, 0.5, 1.5, 1.5, 2.0};
  for (int i = 0; i < 7; ++i) EXPECT_DOUBLE_EQ(y[i].item<double>(), want[i]) << i;
  y.sum().backward();
  // d/dx: 1 inside the clip range (straight-through floor), 0 where clipped.
  std::vector<double> grad_x = {0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0};
  for (int i = 0; i < 7; ++i) EXPECT_DOUBLE_EQ(x.grad()[i].item<double>(), grad_x[i]) << i;
  // d/dlambda = q - x/lambda inside (the floor's STE), 1 at the upper clip, 0 at the lower:
  // q = y/lambda; inside: (q*lambda)' = q + lambda * d(z/L)/dlambda = q - x/lambda.
  double want_grad_lambda = 0.0;
  for (int i = 1; i < 6; ++i) {
    want_grad_lambda += want[i] / 2.0 - x[i].item<double>() / 2.0;
  }
  want_grad_lambda += 1.0;
  EXPECT_NEAR(lambda.grad().item<double>(), want_grad_lambda, 1e-12);
  // lambda is kept positive.
  at::Tensor neg = torch::tensor(-3.0, at::kDouble);
  EXPECT_GE(QcfsActivation(torch::tensor({1.0}, at::kDouble), neg, 4).item<double>(), 0.0);
}

TEST(ModelTest, QcfsModelHasOneLambdaPerActivationAndNoSnnTwin) {
  auto spec = ParseModelSpecText(R"pb(
    name: "q"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 3
    activation { kind: QCFS qcfs_levels: 8 qcfs_init_lambda: 3 }
    layers { conv { out_channels: 4 } }
    layers { activation {} }
    layers { pool { kind: AVG } }
    layers { flatten {} }
    layers { linear { out_features: 5 } }
    layers { activation {} }
    layers { linear { out_features: 3 } }
  )pb");
  ASSERT_THAT(spec, IsOk());
  auto ann = BuildModel(*spec, Mode::kAnn);
  ASSERT_THAT(ann, IsOk());
  auto params = (*ann)->named_parameters();
  ASSERT_TRUE(params.contains("layer1.lambda"));
  ASSERT_TRUE(params.contains("layer5.lambda"));
  EXPECT_DOUBLE_EQ(params["layer1.lambda"].item<double>(), 3.0);
  auto plan = PlanModel(*spec);
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->num_parameters, CountParameters(**ann));
  auto snn = BuildModel(*spec, Mode::kSnn);
  EXPECT_THAT(snn, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activation.kind QCFS")));
  // Training moves lambda.
  (*ann)->train();
  torch::manual_seed(0);
  at::Tensor out = (*ann)->forward(torch::randn({4, 1, 8, 8})).logits;
  out.pow(2).sum().backward();
  EXPECT_TRUE(params["layer1.lambda"].grad().defined());
  auto bad = *spec;
  bad.mutable_activation()->set_qcfs_levels(0);
  EXPECT_THAT(ValidateModelSpec(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activation.qcfs_levels")));
}

TEST(ModelTest, TinySnnConvergesOnSyntheticTask) {
  auto spec = ParseModelSpecText(R"pb(
    input { channels: 1 height: 8 width: 8 }
    num_classes: 4
    layers { conv { out_channels: 8 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 32 } }
    layers { activation {} }
    layers { linear { out_features: 4 } }
  )pb");
  ASSERT_THAT(spec, IsOk());
  torch::manual_seed(42);
  Model snn = Build(*spec, Mode::kSnn);
  torch::optim::SGD sgd(snn->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  const at::Tensor labels = at::arange(64) % 4;  // [64]
  at::Tensor x = 0.2 * at::rand({64, 1, 8, 8});
  for (int64_t i = 0; i < 64; ++i) {
    const int64_t k = labels[i].item<int64_t>();
    x[i].slice(1, (k / 2) * 4, (k / 2) * 4 + 4).slice(2, (k % 2) * 4, (k % 2) * 4 + 4) += 1.0;
  }
  ForwardOptions opts;
  opts.timesteps = 4;
  opts.taps = false;
  constexpr int kSteps = 60;
  double loss_value = 0;
  int steps = 0;
  for (; steps < kSteps; ++steps) {
    sgd.zero_grad();
    const at::Tensor loss = at::cross_entropy_loss(snn->forward(x, opts).logits, labels);
    loss.backward();
    sgd.step();
    loss_value = loss.item<double>();
    if (loss_value < 0.05) break;
  }
  EXPECT_LT(loss_value, 0.05) << "after " << steps << " steps";
  EXPECT_LT(steps, kSteps);
  std::printf("tiny SNN: loss %.4f after %d SGD steps\n", loss_value, steps + 1);
}

// last_tap stops the forward at that tap: the taps up to it equal those of a full forward,
// later taps and the logits are absent.
TEST(ModelTest, LastTapStopsTheForwardAtThatTap) {
  torch::manual_seed(3);
  for (Mode mode : {Mode::kAnn, Mode::kSnn}) {
    Model model = Build(Preset("fmnist_student_deeper"), mode);
    model->eval();
    torch::NoGradGuard no_grad;
    const at::Tensor x = 3.0 * at::rand({2, 1, 28, 28});
    ForwardOptions full;
    full.timesteps = 2;
    ModelOutput all = model->forward(x, full);
    ForwardOptions part = full;
    part.last_tap = "stage1";
    ModelOutput first = model->forward(x, part);
    EXPECT_FALSE(first.logits.defined());
    ASSERT_EQ(first.taps.size(), 1u);
    EXPECT_TRUE(at::equal(first.taps["stage1"], all.taps["stage1"]));
    part.last_tap = "nope";
    EXPECT_THROW(model->forward(x, part), c10::Error);
  }
}

// Frozen layers stop requiring gradients and stay in evaluation mode through train(); the
// trainable ones train; undoing it restores every layer.
TEST(ModelTest, SetTrainableLayersFreezesTheOthers) {
  torch::manual_seed(3);
  Model model = Build(Preset("fmnist_student_deeper"), Mode::kSnn);
  const ModelPlan& plan = model->plan();
  // Layers 0..1: conv, act (stage1 starts); train layers [2, 5) only.
  model->SetTrainableLayers(2, 5);
  model->train();
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    const bool trainable = name.rfind("layer2.", 0) == 0 || name.rfind("layer3.", 0) == 0 ||
                           name.rfind("layer4.", 0) == 0;
    EXPECT_EQ(item.value().requires_grad(), trainable) << name;
  }
  for (const auto& child : model->named_children()) {
    const std::string& name = child.key();
    const bool trainable = name == "layer2" || name == "layer3" || name == "layer4";
    EXPECT_EQ(child.value()->is_training(), trainable) << name;
    for (const auto& sub : child.value()->modules()) EXPECT_EQ(sub->is_training(), trainable);
  }
  EXPECT_TRUE(model->is_training());
  // A training-mode forward leaves the frozen batch norms' running statistics alone.
  const at::Tensor mean0 = model->named_buffers()["layer0.bn.running_mean"].clone();
  const at::Tensor mean2 = model->named_buffers()["layer2.bn.running_mean"].clone();
  ForwardOptions fo;
  fo.timesteps = 2;
  model->forward(3.0 * at::rand({4, 1, 28, 28}), fo).logits.sum().backward();
  EXPECT_TRUE(at::equal(model->named_buffers()["layer0.bn.running_mean"], mean0));
  EXPECT_FALSE(at::equal(model->named_buffers()["layer2.bn.running_mean"], mean2));
  EXPECT_FALSE(model->named_parameters()["layer0.conv.weight"].grad().defined());
  EXPECT_TRUE(model->named_parameters()["layer2.conv.weight"].grad().defined());

  model->SetTrainableLayers(0, plan.layers.size());
  for (const auto& item : model->named_parameters()) EXPECT_TRUE(item.value().requires_grad());
  for (const auto& sub : model->modules()) EXPECT_TRUE(sub->is_training());
  EXPECT_EQ(CountParameters(*model), plan.num_parameters);
  EXPECT_THROW(model->SetTrainableLayers(3, 2), c10::Error);
  EXPECT_THROW(model->SetTrainableLayers(0, plan.layers.size() + 1), c10::Error);
}

}  // namespace
}  // namespace lasnn
