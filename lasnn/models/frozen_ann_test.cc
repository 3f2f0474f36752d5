#include "lasnn/models/frozen_ann.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model.h"
#include "lasnn/models/presets.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

// An ANN of preset `name` whose batch norms hold non-trivial statistics and affine parameters:
// random gamma/beta, then a few training-mode forwards update the running mean and variance.
Model TrainedLikeAnn(const std::string& name, const PresetOptions& options) {
  torch::manual_seed(1);
  auto spec = PresetModelSpec(name, options);
  EXPECT_THAT(spec, IsOk());
  auto built = BuildModel(*spec, Mode::kAnn);
  EXPECT_THAT(built, IsOk());
  Model model = *built;
  torch::NoGradGuard no_grad;
  for (const auto& p : model->named_parameters()) {
    if (p.key().find(".bn.weight") != std::string::npos) p.value().uniform_(0.5, 1.5);
    if (p.key().find(".bn.bias") != std::string::npos) p.value().uniform_(-0.3, 0.3);
  }
  model->train();
  const FeatureShape& s = model->plan().input_shape;
  for (int i = 0; i < 3; ++i) model->forward(at::rand({8, s[0], s[1], s[2]}) * 2 + 0.1 * i);
  model->eval();
  return model;
}

// The folded forward equals the eval-mode forward of the source to float32 rounding, for the
// logits and every tap, in both memory formats, with max pooling, average pooling and residual
// blocks (with and without a conv shortcut).
TEST(FrozenAnnTest, FoldedLogitsAndTapsEqualTheEvalModeModel) {
  PresetOptions resnet;
  resnet.width_multiplier = 0.25;
  resnet.height = 16;
  resnet.width = 16;
  const std::pair<std::string, PresetOptions> cases[] = {
      {"fmnist_cnn", {}}, {"fmnist_vgg", {}}, {"fmnist_student_deeper", {}}, {"resnet20", resnet}};
  for (const auto& [name, options] : cases) {
    for (bool channels_last : {false, true}) {
      SCOPED_TRACE(name + (channels_last ? " channels-last" : " NCHW"));
      Model model = TrainedLikeAnn(name, options);
      FrozenAnnOptions fo;
      fo.channels_last = channels_last;
      auto frozen = FrozenAnn::Create(model, fo);
      ASSERT_THAT(frozen, IsOk());
      const FeatureShape& s = model->plan().input_shape;
      const at::Tensor x = at::rand({5, s[0], s[1], s[2]});
      ModelOutput want;
      {
        torch::NoGradGuard no_grad;
        want = model->forward(x);
      }
      const at::Tensor x_copy = x.clone();
      const ModelOutput got = frozen->Forward(x, /*taps=*/true);
      EXPECT_TRUE(at::equal(x, x_copy)) << "the input was modified";
      ASSERT_EQ(got.logits.sizes(), want.logits.sizes());
      const double scale = want.logits.abs().max().item<double>();
      EXPECT_LE((got.logits - want.logits).abs().max().item<double>(), 1e-5 * (1 + scale));
      ASSERT_EQ(got.taps.keys(), want.taps.keys());
      for (const auto& tap : want.taps) {
        const at::Tensor g = got.taps[tap.key()];
        ASSERT_EQ(g.sizes(), tap.value().sizes()) << tap.key();
        const double tscale = tap.value().abs().max().item<double>();
        EXPECT_LE((g - tap.value()).abs().max().item<double>(), 1e-5 * (1 + tscale)) << tap.key();
      }
      EXPECT_FALSE(got.logits.requires_grad());
    }
  }
}

// Folding is a fixed copy: later changes to the source do not reach it, and the logits are not
// a perturbation of the unfolded ones beyond rounding (a wrong fold, e.g. a missing bias shift,
// moves them far more).
TEST(FrozenAnnTest, IsACopyOfTheWeightsAtFreezeTime) {
  Model model = TrainedLikeAnn("fmnist_student_small", {});
  auto frozen = FrozenAnn::Create(model);
  ASSERT_THAT(frozen, IsOk());
  const at::Tensor x = at::rand({3, 1, 28, 28});
  const at::Tensor before = frozen->Forward(x, false).logits.clone();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(1.0);
  }
  EXPECT_TRUE(at::equal(frozen->Forward(x, false).logits, before));
}

// A QCFS ResNet: QCFS after each block's conv1 and after its addition, one lambda each, in the
// model and in its frozen copy alike.
TEST(FrozenAnnTest, QcfsResNetAppliesQcfsInsideTheBlocks) {
  PresetOptions options;
  options.width_multiplier = 0.125;
  options.height = 8;
  options.width = 8;
  auto spec = PresetModelSpec("resnet20", options);
  ASSERT_THAT(spec, IsOk());
  spec->mutable_activation()->set_kind(ActivationSpec::QCFS);
  spec->mutable_activation()->set_qcfs_levels(4);
  spec->mutable_activation()->set_qcfs_init_lambda(1.5);
  torch::manual_seed(3);
  auto built = BuildModel(*spec, Mode::kAnn);
  ASSERT_THAT(built, IsOk());
  Model model = *built;
  model->eval();
  auto params = model->named_parameters();
  ASSERT_TRUE(params.contains("stage1_block0.act1.lambda"));
  ASSERT_TRUE(params.contains("stage3_block2.act2.lambda"));
  EXPECT_EQ(CountParameters(*model), model->plan().num_parameters);
  const at::Tensor x = at::rand({4, 3, 8, 8}) * 2;
  const at::Tensor relu_logits = [&] {
    auto relu_spec = *spec;
    relu_spec.clear_activation();
    torch::manual_seed(3);
    auto relu = BuildModel(relu_spec, Mode::kAnn);
    EXPECT_THAT(relu, IsOk());
    (*relu)->eval();
    torch::NoGradGuard no_grad;
    return (*relu)->forward(x).logits;
  }();
  torch::NoGradGuard no_grad;
  const at::Tensor want = model->forward(x).logits;
  EXPECT_FALSE(at::allclose(want, relu_logits, 1e-3, 1e-3));  // QCFS does act in the blocks
  auto frozen = FrozenAnn::Create(model);
  ASSERT_THAT(frozen, IsOk());
  const at::Tensor got = frozen->Forward(x, false).logits;
  EXPECT_TRUE(at::allclose(got, want, 1e-4, 1e-4)) << (got - want).abs().max().item<float>();
}

TEST(FrozenAnnTest, RejectsAnSnn) {
  auto spec = PresetModelSpec("fmnist_student_small");
  ASSERT_THAT(spec, IsOk());
  auto snn = BuildModel(*spec, Mode::kSnn);
  ASSERT_THAT(snn, IsOk());
  EXPECT_THAT(FrozenAnn::Create(*snn),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ANN twin")));
}

}  // namespace
}  // namespace lasnn
