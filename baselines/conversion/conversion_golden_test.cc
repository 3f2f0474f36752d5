// Folding, normalisation and IF simulation of a tiny net against values computed by PyTorch
// (testdata/make_conversion_goldens.py).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>
#include <map>
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

using ::testing::HasSubstr;

#include "baselines/conversion/testdata/conversion_goldens.inc"

at::Tensor Pattern(std::vector<int64_t> shape, double offset, double scale, double shift = 0) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  at::Tensor t = at::empty({n}, at::kDouble);
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = shift + scale * std::sin(0.37 * i + offset);
  return t.reshape(shape);
}

void ExpectClose(const at::Tensor& got, const double* want, double tol) {
  at::Tensor g = got.contiguous().to(at::kDouble).flatten();
  const double* p = g.data_ptr<double>();
  for (int64_t i = 0; i < g.numel(); ++i) EXPECT_NEAR(p[i], want[i], tol) << "index " << i;
}

// The script's tiny net conv3x3(1->2)-BN-act-avgpool2-flatten-linear(8->3) in double precision,
// eval mode, with its deterministic weights; `activation` is an optional ActivationSpec text
// (QCFS), whose lambda is set to `qcfs_lambda` exactly.
Model GoldenNet(const std::string& activation = "", double qcfs_lambda = 0) {
  auto spec = ParseModelSpecText(absl::StrCat(R"pb(
    name: "golden"
    input { channels: 1 height: 4 width: 4 }
    num_classes: 3
  )pb", activation, R"pb(
    layers { conv { out_channels: 2 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 3 } }
  )pb"));
  EXPECT_THAT(spec, IsOk());
  auto model = BuildModel(*spec, Mode::kAnn);
  EXPECT_THAT(model, IsOk());
  Model m = *model;
  m->to(at::kDouble);
  m->eval();
  std::map<std::string, at::Tensor> values = {
      {"layer0.conv.weight", Pattern({2, 1, 3, 3}, 0.1, 0.8)},
      {"layer0.bn.weight", Pattern({2}, 0.7, 0.3, 1.0)},
      {"layer0.bn.bias", Pattern({2}, 1.9, 0.2)},
      {"layer0.bn.running_mean", Pattern({2}, 2.3, 0.3)},
      {"layer0.bn.running_var", Pattern({2}, 0.4, 0.25, 0.75)},
      {"layer4.weight", Pattern({3, 8}, 1.1, 0.6)},
      {"layer4.bias", Pattern({3}, 0.9, 0.1)},
  };
  if (!activation.empty()) values["layer1.lambda"] = at::scalar_tensor(qcfs_lambda, at::kDouble);
  EXPECT_EQ(SetNamedTensors(*m, values), values.size());
  return m;
}

class ConversionGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = GoldenNet();
    x_ = Pattern({6, 1, 4, 4}, 0.3, 1.5);
  }

  Model model_{nullptr};
  at::Tensor x_;
};

TEST_F(ConversionGoldenTest, FoldingMatchesPyTorch) {
  auto folded = FoldBatchNorm(model_);
  ASSERT_THAT(folded, IsOk());
  ExpectClose(folded->layers[0].weight, kFoldedWeight, 1e-12);
  ExpectClose(folded->layers[0].bias, kFoldedBias, 1e-12);
  ExpectClose(FoldedForward(*folded, x_), kFoldedLogits, 1e-12);
}

TEST_F(ConversionGoldenTest, NormalisationMatchesPyTorch) {
  auto folded = FoldBatchNorm(model_);
  ASSERT_THAT(folded, IsOk());
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  auto snn = Convert(*folded, x_, o);
  ASSERT_THAT(snn, IsOk());
  EXPECT_NEAR(snn->thresholds[0].item<double>(), kThetaMax, 1e-6);
  o.normalisation = Normalisation::kRobust;
  o.percentile = 99;
  snn = Convert(*folded, x_, o);
  ASSERT_THAT(snn, IsOk());
  EXPECT_NEAR(snn->thresholds[0].item<double>(), kThetaP99, 1e-6);
  o.normalisation = Normalisation::kRobustPerChannel;
  o.percentile = 90;
  snn = Convert(*folded, x_, o);
  ASSERT_THAT(snn, IsOk());
  ExpectClose(snn->thresholds[0], kThetaP90PerChannel, 1e-6);
}

TEST_F(ConversionGoldenTest, NonZeroPercentileAndDiehlFactorMatchPyTorch) {
  auto folded = FoldBatchNorm(model_);
  ASSERT_THAT(folded, IsOk());
  ConversionOptions o;
  o.percentile_of = PercentileOf::kNonZero;
  o.normalisation = Normalisation::kRobust;
  o.percentile = 99;
  auto snn = Convert(*folded, x_, o);
  ASSERT_THAT(snn, IsOk());
  EXPECT_NEAR(snn->thresholds[0].item<double>(), kThetaP99NonZero, 1e-6);
  o.normalisation = Normalisation::kRobustPerChannel;
  o.percentile = 90;
  snn = Convert(*folded, x_, o);
  ASSERT_THAT(snn, IsOk());
  ExpectClose(snn->thresholds[0], kThetaP90PerChannelNonZero, 1e-6);
  o.normalisation = Normalisation::kMaxDiehl;
  snn = Convert(*folded, x_ * 0.1, o);
  ASSERT_THAT(snn, IsOk());
  EXPECT_NEAR(snn->thresholds[0].item<double>(), kThetaDiehlSmallInput, 1e-6);
}

TEST_F(ConversionGoldenTest, IfSimulationMatchesPyTorch) {
  auto folded = FoldBatchNorm(model_);
  ASSERT_THAT(folded, IsOk());
  ConversionOptions o;
  o.normalisation = Normalisation::kMax;
  auto snn = Convert(*folded, x_, o);
  ASSERT_THAT(snn, IsOk());
  snn->thresholds[0] = at::scalar_tensor(kThetaMax, at::kDouble);  // exact, as in the script
  BatchSimulation s = SimulateBatch(*snn, x_, 8);
  ASSERT_EQ(s.cumulative_logits.sizes(), (std::vector<int64_t>{8, 6, 3}));
  ExpectClose(s.cumulative_logits, kCumulativeLogits, 1e-9);
  snn->reset_by_subtraction = false;
  BatchSimulation zero = SimulateBatch(*snn, x_, 8);
  ExpectClose(zero.cumulative_logits, kCumulativeLogitsResetToZero, 1e-9);
}

// The same net with a QCFS activation (lambda 1.3, L = 4): the folded ANN applies QCFS, and the
// converted SNN (threshold lambda, membrane starting at lambda / 2) matches PyTorch step by step.
TEST(ConversionGoldenQcfsTest, QcfsAnnAndSnnMatchPyTorch) {
  Model model = GoldenNet("activation { kind: QCFS qcfs_levels: 4 }", 1.3);  // lambda exact
  const at::Tensor x = Pattern({6, 1, 4, 4}, 0.3, 1.5);
  auto folded = FoldBatchNorm(model);
  ASSERT_THAT(folded, IsOk());
  ExpectClose(FoldedForward(*folded, x), kQcfsLogits, 1e-9);
  {
    torch::NoGradGuard no_grad;
    ExpectClose(model->forward(x).logits, kQcfsLogits, 1e-9);
  }
  ConversionOptions o;
  o.normalisation = Normalisation::kQcfs;
  o.init_membrane = 0.5;
  auto snn = Convert(*folded, at::Tensor(), o);
  ASSERT_THAT(snn, IsOk());
  ASSERT_EQ(snn->thresholds.size(), 1u);
  EXPECT_NEAR(snn->thresholds[0].item<double>(), 1.3, 1e-12);
  BatchSimulation s = SimulateBatch(*snn, x, 16);
  ExpectClose(s.cumulative_logits, kQcfsCumulativeLogits, 1e-9);
}

TEST(ConversionGoldenQcfsTest, QcfsConversionRefusesReluAnn) {
  auto folded = FoldBatchNorm(GoldenNet());
  ASSERT_THAT(folded, IsOk());
  ConversionOptions o;
  o.normalisation = Normalisation::kQcfs;
  auto snn = Convert(*folded, at::Tensor(), o);
  EXPECT_THAT(snn, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer1 is a ReLU")));
}

}  // namespace
}  // namespace lasnn::conversion
