// Conversion of a tiny ResNet (an identity and a downsampling basic block) against values computed
// by PyTorch (testdata/make_resnet_conversion_goldens.py): BN folding in each branch, every
// normalisation's thresholds, the weight-normalised shortcuts, the IF SNN's cumulative logits,
// and the QCFS ResNet.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "baselines/conversion/conversion.h"
#include "baselines/conversion/named_tensors_for_test.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "util/status_matchers.h"

namespace lasnn::conversion {
namespace {

struct GoldenParam {
  const char* name;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

#include "baselines/conversion/testdata/resnet_conversion_goldens.inc"

using FKind = FoldedLayer::Kind;

void ExpectClose(const at::Tensor& got, const double* want, double tol) {
  at::Tensor g = got.contiguous().to(at::kDouble).flatten();
  const double* p = g.data_ptr<double>();
  for (int64_t i = 0; i < g.numel(); ++i) EXPECT_NEAR(p[i], want[i], tol) << "index " << i;
}

at::Tensor Input() {
  return at::tensor(std::vector<double>(std::begin(kInput), std::end(kInput)), at::kDouble)
      .reshape({6, 1, 4, 4});
}

// The script's ResNet in double precision, eval mode, with its weights; `activation`: an optional
// ActivationSpec text (QCFS), whose lambdas are set to kQcfsLambdas.
Model GoldenResNet(const std::string& activation = "") {
  auto spec = ParseModelSpecText(absl::StrCat(R"pb(
    name: "golden_resnet"
    input { channels: 1 height: 4 width: 4 }
    num_classes: 3
    resnet {
      stem_channels: 2
      stage_widths: [ 2, 3 ]
      blocks_per_stage: [ 1, 1 ]
    }
  )pb", activation));
  EXPECT_THAT(spec, IsOk());
  auto model = BuildModel(*spec, Mode::kAnn);
  EXPECT_THAT(model, IsOk());
  Model m = *model;
  m->to(at::kDouble);
  m->eval();
  std::map<std::string, at::Tensor> values;
  for (const GoldenParam& p : kParams) {
    values[p.name] = at::tensor(p.values, at::kDouble).reshape(p.shape);
  }
  if (!activation.empty()) {
    const char* acts[] = {"stem_act", "stage1_block0.act1", "stage1_block0.act2",
                          "stage2_block0.act1", "stage2_block0.act2"};
    for (int k = 0; k < 5; ++k) {
      values[absl::StrCat(acts[k], ".lambda")] = at::scalar_tensor(kQcfsLambdas[k], at::kDouble);
    }
  }
  EXPECT_EQ(SetNamedTensors(*m, values), values.size());
  return m;
}

const FoldedLayer* Find(const FoldedAnn& ann, const std::string& name, FKind kind) {
  for (const FoldedLayer& l : ann.layers) {
    if (l.name == name && l.kind == kind) return &l;
  }
  ADD_FAILURE() << "no folded layer " << name;
  return nullptr;
}

std::vector<at::Tensor> Exact(const double* values) {
  std::vector<at::Tensor> out;
  for (int k = 0; k < 5; ++k) out.push_back(at::scalar_tensor(values[k], at::kDouble));
  return out;
}

class ResNetConversionGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto folded = FoldBatchNorm(GoldenResNet());
    ASSERT_THAT(folded, IsOk());
    folded_ = *folded;
    x_ = Input();
  }

  at::Tensor Thresholds(const ConversionOptions& o, const at::Tensor& calibration) {
    auto snn = Convert(folded_, calibration, o);
    EXPECT_THAT(snn, IsOk());
    std::vector<at::Tensor> flat;
    for (const at::Tensor& t : snn->thresholds) flat.push_back(t.flatten());
    return at::cat(flat);
  }

  FoldedAnn folded_;
  at::Tensor x_;
};

TEST_F(ResNetConversionGoldenTest, BlocksUnrollWithAnActivationAfterTheAddition) {
  std::vector<FKind> kinds;
  std::vector<std::string> activations;
  for (const FoldedLayer& l : folded_.layers) {
    kinds.push_back(l.kind);
    if (l.kind == FKind::kRelu) activations.push_back(l.name);
  }
  const std::vector<FKind> block = {FKind::kBlockInput, FKind::kConv, FKind::kRelu,
                                    FKind::kConv,       FKind::kBlockAdd, FKind::kRelu};
  std::vector<FKind> want = {FKind::kConv, FKind::kRelu};
  want.insert(want.end(), block.begin(), block.end());
  want.insert(want.end(), block.begin(), block.end());
  want.insert(want.end(), {FKind::kGlobalAvgPool, FKind::kFlatten, FKind::kLinear});
  EXPECT_EQ(kinds, want);
  EXPECT_EQ(folded_.num_activations, 5);
  EXPECT_EQ(activations, (std::vector<std::string>{"stem_act", "stage1_block0.act1",
                                                   "stage1_block0.act2", "stage2_block0.act1",
                                                   "stage2_block0.act2"}));
  // The identity shortcut has no weights; the downsampling one its folded 1x1 conv.
  EXPECT_FALSE(Find(folded_, "stage1_block0.shortcut", FKind::kBlockAdd)->weight.defined());
  EXPECT_EQ(Find(folded_, "stage2_block0.shortcut", FKind::kBlockAdd)->stride, 2);
}

TEST_F(ResNetConversionGoldenTest, FoldingInEachBranchMatchesPyTorch) {
  struct Want {
    const char* name;
    FKind kind;
    const double* weight;
    const double* bias;
  };
  for (const Want& w : std::vector<Want>{
           {"stem", FKind::kConv, kFolded_stem_weight, kFolded_stem_bias},
           {"stage1_block0.conv1", FKind::kConv, kFolded_stage1_block0_conv1_weight,
            kFolded_stage1_block0_conv1_bias},
           {"stage1_block0.conv2", FKind::kConv, kFolded_stage1_block0_conv2_weight,
            kFolded_stage1_block0_conv2_bias},
           {"stage2_block0.conv1", FKind::kConv, kFolded_stage2_block0_conv1_weight,
            kFolded_stage2_block0_conv1_bias},
           {"stage2_block0.conv2", FKind::kConv, kFolded_stage2_block0_conv2_weight,
            kFolded_stage2_block0_conv2_bias},
           {"stage2_block0.shortcut", FKind::kBlockAdd, kFolded_stage2_block0_shortcut_weight,
            kFolded_stage2_block0_shortcut_bias}}) {
    SCOPED_TRACE(w.name);
    const FoldedLayer* l = Find(folded_, w.name, w.kind);
    ASSERT_NE(l, nullptr);
    ExpectClose(l->weight, w.weight, 1e-12);
    ExpectClose(l->bias, w.bias, 1e-12);
  }
  ExpectClose(FoldedForward(folded_, x_), kLogits, 1e-12);
  torch::NoGradGuard no_grad;
  ExpectClose(GoldenResNet()->forward(x_).logits, kLogits, 1e-12);
}

TEST_F(ResNetConversionGoldenTest, ThresholdsOfEveryNormalisationMatchPyTorch) {
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  ExpectClose(Thresholds(o, x_), kThetaMax, 1e-6);
  o.normalisation = Normalisation::kRobust;
  o.percentile = 99;
  ExpectClose(Thresholds(o, x_), kThetaP99, 1e-6);
  o.normalisation = Normalisation::kRobustPerChannel;
  o.percentile = 90;
  o.percentile_of = PercentileOf::kNonZero;
  ExpectClose(Thresholds(o, x_), kThetaP90NonZeroPerChannel, 1e-6);
  o.normalisation = Normalisation::kMaxDiehl;
  ExpectClose(Thresholds(o, x_ * 0.1), kThetaDiehlSmallInput, 1e-6);
  o.normalisation = Normalisation::kSpikeNorm;
  o.spike_norm_timesteps = 16;
  o.batch_size = 4;  // two calibration batches
  ExpectClose(Thresholds(o, x_), kThetaSpikeNorm, 1e-5);
}

TEST_F(ResNetConversionGoldenTest, ShortcutsScaleByThetaInOverThetaOut) {
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  auto snn = Convert(folded_, x_, o);
  ASSERT_THAT(snn, IsOk());
  snn->thresholds = Exact(kThetaMax);
  const std::vector<NormalisedShortcut> s = NormalisedShortcuts(*snn);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "stage1_block0");
  ASSERT_TRUE(s[0].gain.defined());
  EXPECT_FALSE(s[0].weight.defined());
  ExpectClose(s[0].gain, kShortcutGain1, 1e-12);
  EXPECT_EQ(s[1].name, "stage2_block0");
  EXPECT_FALSE(s[1].gain.defined());
  ExpectClose(s[1].weight, kShortcutWeight2, 1e-12);
  ExpectClose(s[1].bias, kShortcutBias2, 1e-12);
}

TEST_F(ResNetConversionGoldenTest, IfSimulationMatchesPyTorch) {
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  auto snn = Convert(folded_, x_, o);
  ASSERT_THAT(snn, IsOk());
  snn->thresholds = Exact(kThetaMax);  // exact, as in the script
  BatchSimulation s = SimulateBatch(*snn, x_, 16);
  ASSERT_EQ(s.cumulative_logits.sizes(), (std::vector<int64_t>{16, 6, 3}));
  ExpectClose(s.cumulative_logits, kCumulativeLogits, 1e-9);
  ASSERT_EQ(s.spikes_per_step.size(), 5u);
  snn->reset_by_subtraction = false;
  BatchSimulation zero = SimulateBatch(*snn, x_, 16);
  ExpectClose(zero.cumulative_logits, kCumulativeLogitsResetToZero, 1e-9);
}

// QCFS after conv1 and after the addition, each with its own lambda; the SNN starts at lambda / 2.
TEST(ResNetConversionGoldenQcfsTest, QcfsResNetAnnAndSnnMatchPyTorch) {
  Model model = GoldenResNet("activation { kind: QCFS qcfs_levels: 4 }");
  const at::Tensor x = Input();
  {
    torch::NoGradGuard no_grad;
    ExpectClose(model->forward(x).logits, kQcfsLogits, 1e-9);
  }
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  ExpectClose(FoldedForward(*folded, x), kQcfsLogits, 1e-9);
  ConversionOptions o;
  o.normalisation = Normalisation::kQcfs;
  o.init_membrane = 0.5;
  auto snn = Convert(*folded, at::Tensor(), o);
  ASSERT_THAT(snn, IsOk());
  ASSERT_EQ(snn->thresholds.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(snn->thresholds[k].item<double>(), kQcfsLambdas[k], 0);
  BatchSimulation s = SimulateBatch(*snn, x, 16);
  ExpectClose(s.cumulative_logits, kQcfsCumulativeLogits, 1e-9);
}

}  // namespace
}  // namespace lasnn::conversion
