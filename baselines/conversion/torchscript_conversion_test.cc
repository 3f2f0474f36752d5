// An ANN imported from TorchScript (lasnn/interop/torchscript_import.h) converts like one trained
// here: its batch norms fold, and the folded ANN reproduces the imported model's logits.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "baselines/conversion/conversion.h"
#include "gtest/gtest.h"
#include "lasnn/interop/torchscript_import.h"

namespace lasnn::conversion {
namespace {

TEST(TorchScriptConversionTest, ImportedTeacherFoldsExactly) {
  ImportOptions options;
  options.input_shape = {1, 28, 28};
  auto imported = ImportTorchScript("lasnn/interop/testdata/torchscript_teacher.pt", options);
  ASSERT_TRUE(imported.ok()) << imported.status();
  Model& ann = imported->model;
  auto folded = FoldBatchNorm(ann);
  ASSERT_TRUE(folded.ok()) << folded.status();
  EXPECT_EQ(folded->num_classes, 10);
  EXPECT_EQ(folded->num_activations, 3);

  torch::NoGradGuard no_grad;
  ann->eval();
  const at::Tensor x = at::randn({6, 1, 28, 28}, at::kFloat);
  ForwardOptions fo;
  fo.taps = false;
  const at::Tensor want = ann->forward(x, fo).logits;
  const at::Tensor got = FoldedForward(*folded, x);
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-4);

  ConversionOptions co;
  co.normalisation = Normalisation::kMax;
  auto snn = Convert(*folded, x, co);
  ASSERT_TRUE(snn.ok()) << snn.status();
  EXPECT_EQ(snn->thresholds.size(), 3u);
}

// A ResNet of torchvision-style BasicBlocks imported from TorchScript folds exactly and converts:
// at t = 256 the IF SNN agrees with the ANN's predictions on most inputs.
TEST(TorchScriptConversionTest, ImportedResNetConverts) {
  ImportOptions options;
  options.input_shape = {1, 28, 28};
  auto imported = ImportTorchScript("lasnn/interop/testdata/torchscript_resnet.pt", options);
  ASSERT_TRUE(imported.ok()) << imported.status();
  auto folded = FoldBatchNorm(imported->model);
  ASSERT_TRUE(folded.ok()) << folded.status();
  EXPECT_EQ(folded->num_activations, 7);  // stem + 2 per block
  torch::NoGradGuard no_grad;
  imported->model->eval();
  const at::Tensor x = at::linspace(-1.0, 1.5, 16 * 28 * 28).reshape({16, 1, 28, 28}).cos();
  const at::Tensor want = imported->model->forward(x).logits;
  EXPECT_LE((FoldedForward(*folded, x) - want).abs().max().item<double>(), 1e-4);
  ConversionOptions co;
  co.normalisation = Normalisation::kMax;
  auto snn = Convert(*folded, x, co);
  ASSERT_TRUE(snn.ok()) << snn.status();
  SimulationResult r = Simulate(*snn, x, want.argmax(1), /*timesteps=*/256, /*batch_size=*/16);
  EXPECT_GE(r.accuracy_at_t.back(), 0.8);
}

}  // namespace
}  // namespace lasnn::conversion
