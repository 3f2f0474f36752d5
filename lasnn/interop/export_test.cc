#include "lasnn/interop/export.h"

#include <ATen/ATen.h>
#include <torch/script.h>
#include <torch/utils.h>

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/presets.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return TestTmpPath(name);
}

ModelSpec Vgg() {
  auto spec = ParseModelSpecText(R"pb(
    name: "tiny_vgg"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 3
    layers { conv { out_channels: 4 } }
    layers { activation {} }
    layers { pool { kind: MAX kernel_size: 2 } }
    layers { conv { out_channels: 6 batch_norm: false } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { dropout { p: 0.2 } }
    layers { linear { out_features: 5 } }
    layers { activation {} }
    layers { linear { out_features: 3 } }
    neuron { decay: 0.5 threshold: 0.7 }
  )pb");
  EXPECT_THAT(spec, IsOk());
  return *spec;
}

ModelSpec ResNet() {
  PresetOptions o;
  o.channels = 3;
  o.height = 8;
  o.width = 8;
  o.width_multiplier = 0.125;
  auto spec = PresetModelSpec("resnet20", o);
  EXPECT_THAT(spec, IsOk());
  return *spec;
}

// Randomises batch-norm statistics so that eval mode is exercised for real.
void Perturb(Model& model) {
  torch::NoGradGuard no_grad;
  for (auto& b : model->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.2, 0.2);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 1.5);
  }
}

void ExpectExportMatches(const ModelSpec& spec, Mode mode, int64_t t, const std::string& file) {
  torch::manual_seed(3);
  auto built = BuildModel(spec, mode);
  ASSERT_THAT(built, IsOk());
  Model model = *built;
  Perturb(model);
  const std::string path = TempPath(file);
  absl::Status s = ExportTorchScript(model, t, path);
  ASSERT_TRUE(s.ok()) << s << "\n" << TorchScriptSource(model, t);
  torch::jit::Module loaded = torch::jit::load(path);
  model->eval();
  const FeatureShape& in = model->plan().input_shape;
  at::Tensor x = at::rand({5, in[0], in[1], in[2]}) * 3.0;
  ForwardOptions fo;
  fo.timesteps = t;
  fo.cumulative_logits = true;
  ModelOutput ours = model->forward(x, fo);
  at::Tensor theirs = loaded.forward({x}).toTensor();
  EXPECT_TRUE(at::allclose(theirs, ours.logits, 1e-5, 1e-5))
      << (theirs - ours.logits).abs().max().item<float>();
  at::Tensor steps = loaded.get_method("forward_steps")({x}).toTensor();
  EXPECT_TRUE(at::allclose(steps, ours.cumulative_logits, 1e-5, 1e-5));
  // The stored example reproduces too.
  at::Tensor example = loaded.attr("example_input").toTensor();
  at::Tensor expected = loaded.attr("example_output").toTensor();
  EXPECT_TRUE(at::allclose(loaded.forward({example}).toTensor(), expected, 1e-5, 1e-5));
}

TEST(ExportTest, VggAnn) { ExpectExportMatches(Vgg(), Mode::kAnn, 1, "vgg_ann.pt"); }
TEST(ExportTest, VggSnn) { ExpectExportMatches(Vgg(), Mode::kSnn, 4, "vgg_snn.pt"); }
TEST(ExportTest, ResNetAnn) { ExpectExportMatches(ResNet(), Mode::kAnn, 1, "resnet_ann.pt"); }
TEST(ExportTest, ResNetSnn) { ExpectExportMatches(ResNet(), Mode::kSnn, 3, "resnet_snn.pt"); }

TEST(ExportTest, BadTimestepsIsInvalidArgument) {
  auto model = BuildModel(Vgg(), Mode::kSnn);
  ASSERT_THAT(model, IsOk());
  EXPECT_THAT(ExportTorchScript(*model, 0, TempPath("x.pt")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ExportTest, EncodedSnnIsRefused) {
  ModelSpec spec = Vgg();
  spec.mutable_encoder()->set_kind(EncoderSpec::POISSON);
  auto model = BuildModel(spec, Mode::kSnn);
  ASSERT_THAT(model, IsOk());
  EXPECT_THAT(ExportTorchScript(*model, 4, TempPath("poisson.pt")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ExportTest, UnwritableDestinationNamesThePath) {
  auto model = BuildModel(Vgg(), Mode::kAnn);
  ASSERT_THAT(model, IsOk());
  absl::Status s = ExportTorchScript(*model, 1, "/nonexistent-dir/model.pt");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent-dir/model.pt")));
}

}  // namespace
}  // namespace lasnn
