#include "lasnn/interop/torchscript_import.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/utils.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/checkpoint.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

#include "lasnn/interop/testdata/torchscript_teacher_logits.inc"

constexpr char kTeacher[] = "lasnn/interop/testdata/torchscript_teacher.pt";

ImportOptions Fmnist() {
  ImportOptions o;
  o.input_shape = {1, 28, 28};
  return o;
}

// Logits of `model` (eval mode) on the input stored by make_torchscript_teacher.py.
at::Tensor LogitsOnGoldenInput(Model& model) {
  torch::NoGradGuard no_grad;
  model->eval();
  const at::Tensor x =
      at::from_blob(const_cast<float*>(kTeacherInput), {2, 1, 28, 28}, at::kFloat).clone();
  ForwardOptions fo;
  fo.taps = false;
  return model->forward(x, fo).logits;
}

at::Tensor GoldenLogits() {
  return at::from_blob(const_cast<float*>(kTeacherLogits), {2, 10}, at::kFloat).clone();
}

TEST(TorchScriptImportTest, ImportsTheTeacher) {
  auto imported = ImportTorchScript(kTeacher, Fmnist());
  ASSERT_THAT(imported, IsOk());
  const ModelSpec& spec = imported->spec;
  EXPECT_EQ(spec.name(), "torchscript_teacher");
  EXPECT_EQ(spec.num_classes(), 10);
  EXPECT_EQ(spec.input().channels(), 1);
  EXPECT_EQ(spec.input().height(), 28);
  EXPECT_EQ(spec.input().width(), 28);
  // conv-bn, relu, avgpool, conv-bn, relu, avgpool, flatten, linear, relu, dropout, linear.
  ASSERT_EQ(spec.layers_size(), 11) << ModelSpecToText(spec);
  const std::vector<Layer::KindCase> kinds = {
      Layer::kConv,       Layer::kActivation, Layer::kPool,    Layer::kConv,
      Layer::kActivation, Layer::kPool,       Layer::kFlatten, Layer::kLinear,
      Layer::kActivation, Layer::kDropout,    Layer::kLinear};
  for (int i = 0; i < spec.layers_size(); ++i) {
    EXPECT_EQ(spec.layers(i).kind_case(), kinds[i]) << "layers[" << i << "]";
  }
  const ConvLayer& c0 = spec.layers(0).conv();
  EXPECT_EQ(c0.out_channels(), 8);
  EXPECT_EQ(c0.kernel_size(), 3);
  EXPECT_EQ(c0.stride(), 1);
  EXPECT_EQ(c0.padding(), 1);
  EXPECT_TRUE(c0.batch_norm());
  EXPECT_FALSE(c0.bias());
  const ConvLayer& c1 = spec.layers(3).conv();
  EXPECT_EQ(c1.out_channels(), 12);
  EXPECT_TRUE(c1.batch_norm());
  EXPECT_TRUE(c1.bias());
  EXPECT_EQ(spec.layers(2).pool().kind(), PoolLayer::AVG);
  EXPECT_EQ(spec.layers(2).pool().kernel_size(), 2);
  EXPECT_EQ(spec.layers(2).pool().stride(), 2);
  EXPECT_EQ(spec.layers(7).linear().in_features(), 12 * 7 * 7);
  EXPECT_EQ(spec.layers(7).linear().out_features(), 24);
  EXPECT_DOUBLE_EQ(spec.layers(9).dropout().p(), 0.25);
  EXPECT_EQ(spec.layers(10).linear().out_features(), 10);
  EXPECT_TRUE(ValidateModelSpec(spec).ok());

  // The BN statistics came across (the script sets num_batches_tracked to 7).
  bool found = false;
  for (const auto& b : imported->model->named_buffers()) {
    if (b.key() == "layer3.bn.num_batches_tracked") {
      EXPECT_EQ(b.value().item<int64_t>(), 7);
      found = true;
    }
  }
  EXPECT_TRUE(found);

  // Notes: the mapping, then the logits check.
  ASSERT_FALSE(imported->notes.empty());
  EXPECT_TRUE(absl::StrContains(imported->notes.front(), "0.0 (Conv2d) -> layers[0] conv"))
      << imported->notes.front();
  EXPECT_TRUE(absl::StrContains(imported->notes.back(), "logits check passed"))
      << imported->notes.back();
}

TEST(TorchScriptImportTest, LogitsEqualPython) {
  auto imported = ImportTorchScript(kTeacher, Fmnist());
  ASSERT_THAT(imported, IsOk());
  const at::Tensor got = LogitsOnGoldenInput(imported->model);
  const double diff = (got - GoldenLogits()).abs().max().item<double>();
  EXPECT_LE(diff, 1e-4) << got;
}

TEST(TorchScriptImportTest, SpecAndWeightsRoundTrip) {
  auto imported = ImportTorchScript(kTeacher, Fmnist());
  ASSERT_THAT(imported, IsOk());
  auto parsed = ParseModelSpecText(ModelSpecToText(imported->spec));
  ASSERT_THAT(parsed, IsOk());
  const std::string weights = TestTmpPath("imported_weights.pt");
  ASSERT_TRUE(SaveWeights(weights, *imported->model).ok());
  auto ann = BuildModel(*parsed, Mode::kAnn);
  ASSERT_THAT(ann, IsOk());
  ASSERT_TRUE(LoadWeights(weights, **ann).ok());
  EXPECT_TRUE(at::equal(LogitsOnGoldenInput(*ann), LogitsOnGoldenInput(imported->model)));
  // The SNN twin has the same parameter names, so the weights load into it too.
  auto snn = BuildModel(*parsed, Mode::kSnn);
  ASSERT_THAT(snn, IsOk());
  EXPECT_TRUE(LoadWeights(weights, **snn).ok());
}

TEST(TorchScriptImportTest, LeavesTheGlobalRandomStreamAlone) {
  torch::manual_seed(5);
  const at::Tensor want = at::rand({4});
  torch::manual_seed(5);
  ASSERT_TRUE(ImportTorchScript(kTeacher, Fmnist()).ok());
  EXPECT_TRUE(at::equal(at::rand({4}), want));
}

TEST(TorchScriptImportTest, UnsupportedModulesAreAllNamed) {
  auto imported = ImportTorchScript("lasnn/interop/testdata/torchscript_unsupported.pt", Fmnist());
  EXPECT_THAT(
      imported,
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("torchscript_unsupported.pt"), HasSubstr("2 (Conv2d): groups=2"),
                     HasSubstr("3 (Sigmoid): unsupported module type"), HasSubstr("2 problems"))));
}

TEST(TorchScriptImportTest, ChildrenSequentialsWithAFlattenBetweenImport) {
  auto imported = ImportTorchScript("lasnn/interop/testdata/torchscript_two_part.pt", Fmnist());
  ASSERT_THAT(imported, IsOk());
  const ModelSpec& spec = imported->spec;
  ASSERT_EQ(spec.layers_size(), 5) << ModelSpecToText(spec);
  EXPECT_EQ(spec.layers(2).pool().kind(), PoolLayer::MAX);
  EXPECT_EQ(spec.layers(2).pool().kernel_size(), 4);
  EXPECT_TRUE(spec.layers(3).has_flatten());
  EXPECT_EQ(spec.layers(4).linear().in_features(), 4 * 7 * 7);
  bool noted = false;
  for (const std::string& n : imported->notes) noted |= absl::StrContains(n, "(implicit)");
  EXPECT_TRUE(noted);
}

TEST(TorchScriptImportTest, ANonSequentialForwardFailsTheLogitsCheck) {
  // Same modules as torchscript_two_part.pt, but forward scales the features by 2.
  auto imported = ImportTorchScript("lasnn/interop/testdata/torchscript_scaled.pt", Fmnist());
  EXPECT_THAT(imported, StatusIs(absl::StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr("logits difference"),
                                       HasSubstr("not a plain sequential pass"))));
}

// A Sequential of torchvision-style BasicBlocks (make_torchscript_resnet.py) becomes a ResNetSpec
// with identical logits.
TEST(TorchScriptImportTest, ImportsAResNetOfBasicBlocks) {
  const std::string path = "lasnn/interop/testdata/torchscript_resnet.pt";
  auto imported = ImportTorchScript(path, Fmnist());
  ASSERT_THAT(imported, IsOk());
  const ModelSpec& spec = imported->spec;
  ASSERT_TRUE(spec.has_resnet()) << ModelSpecToText(spec);
  EXPECT_EQ(spec.layers_size(), 0);
  const ResNetSpec& r = spec.resnet();
  EXPECT_EQ(r.stem_channels(), 4);
  EXPECT_EQ(r.stem_kernel_size(), 3);
  EXPECT_EQ(r.stem_stride(), 1);
  EXPECT_FALSE(r.stem_max_pool());
  EXPECT_EQ(std::vector<int>(r.stage_widths().begin(), r.stage_widths().end()),
            (std::vector<int>{4, 8}));
  EXPECT_EQ(std::vector<int>(r.blocks_per_stage().begin(), r.blocks_per_stage().end()),
            (std::vector<int>{2, 1}));
  EXPECT_EQ(std::vector<int>(r.stage_strides().begin(), r.stage_strides().end()),
            (std::vector<int>{1, 2}));
  EXPECT_EQ(r.head_hidden_size(), 0);
  EXPECT_EQ(spec.num_classes(), 10);
  // Our logits equal the TorchScript module's on an input of the test's own.
  torch::jit::Module script = torch::jit::load(path);
  script.eval();
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::linspace(-1.5, 2.0, 3 * 28 * 28).reshape({3, 1, 28, 28}).sin();
  const at::Tensor want = script.forward({x}).toTensor();
  imported->model->eval();
  const at::Tensor got = imported->model->forward(x).logits;
  EXPECT_TRUE(at::allclose(got, want, 1e-5, 1e-5)) << (got - want).abs().max().item<float>();
  EXPECT_GT(want.abs().max().item<float>(), 0.1);
  bool noted_shortcut = false;
  for (const std::string& note : imported->notes) {
    noted_shortcut |= absl::StrContains(note, "conv1x1-BN shortcut");
  }
  EXPECT_TRUE(noted_shortcut);
}

TEST(TorchScriptImportTest, ANonSequentialModelIsRejected) {
  auto imported = ImportTorchScript("lasnn/interop/testdata/torchscript_residual.pt", Fmnist());
  // Every child is named, with its type.
  EXPECT_THAT(imported,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("conv (Conv2d)"), HasSubstr("relu (ReLU)"),
                             HasSubstr("pool (AdaptiveAvgPool2d)"), HasSubstr("fc (Linear)"),
                             HasSubstr("non-Sequential top-level module Residual"),
                             Not(HasSubstr("has no Linear")))));
}

TEST(TorchScriptImportTest, ATracedModelAsksForScripting) {
  auto imported = ImportTorchScript("lasnn/interop/testdata/torchscript_traced.pt", Fmnist());
  // No follow-on complaints about the Linear after the (unreadable) Flatten.
  EXPECT_THAT(imported,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("0 (Conv2d): lacks the hyper-parameter attribute(s)"),
                             HasSubstr("torch.jit.script(model)"), Not(HasSubstr("3 (Linear)")))));
}

TEST(TorchScriptImportTest, AWrongInputShapeIsReported) {
  ImportOptions o = Fmnist();
  o.input_shape = {3, 32, 32};
  auto imported = ImportTorchScript(kTeacher, o);
  EXPECT_THAT(imported, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3x32x32")));
}

TEST(TorchScriptImportTest, MissingAndForeignFilesNameThePath) {
  auto missing = ImportTorchScript("lasnn/interop/testdata/no_such_model.pt", Fmnist());
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("no_such_model.pt")));

  const std::string foreign = TestTmpPath("not_torchscript.pt");
  ASSERT_TRUE(WriteFileAtomically(foreign, "this is not a zip archive").ok());
  auto bad = ImportTorchScript(foreign, Fmnist());
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kDataLoss,
                            AllOf(HasSubstr(foreign), HasSubstr("not a TorchScript archive"))));

  // A LibTorch archive that is not TorchScript (our own weights file).
  auto teacher = ImportTorchScript(kTeacher, Fmnist());
  ASSERT_THAT(teacher, IsOk());
  const std::string weights = TestTmpPath("weights_not_torchscript.pt");
  ASSERT_TRUE(SaveWeights(weights, *teacher->model).ok());
  auto weights_only = ImportTorchScript(weights, Fmnist());
  EXPECT_THAT(weights_only,
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(weights), HasSubstr("not a TorchScript model"))));
}

TEST(TorchScriptImportTest, BadOptions) {
  ImportOptions o;
  o.input_shape = {1, 28};
  EXPECT_THAT(ImportTorchScript(kTeacher, o), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ParseInputShape("1x28x28").value(), (FeatureShape{1, 28, 28}));
  EXPECT_FALSE(ParseInputShape("1x28").ok());
  EXPECT_FALSE(ParseInputShape("0x28x28").ok());
  EXPECT_FALSE(ParseInputShape("ax28x28").ok());
}

}  // namespace
}  // namespace lasnn
