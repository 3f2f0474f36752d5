#include "lasnn/training/checkpoint.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/conv.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model.h"
#include "lasnn/models/presets.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/tensor_file.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The Fashion-MNIST teacher (preset fmnist_vgg, ANN), initialised with `seed`.
Model FmnistTeacher(uint64_t seed) {
  torch::manual_seed(seed);
  auto spec = PresetModelSpec("fmnist_vgg");
  EXPECT_THAT(spec, IsOk());
  auto model = BuildModel(*spec, Mode::kAnn);
  EXPECT_THAT(model, IsOk());
  return *model;
}

void ExpectBitIdentical(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.scalar_type(), b.scalar_type()) << what;
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const at::Tensor ca = a.contiguous(), cb = b.contiguous();
  EXPECT_EQ(std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()), 0) << what;
}

void ExpectSameState(torch::nn::Module& a, torch::nn::Module& b) {
  const auto sa = SnapshotState(a), sb = SnapshotState(b);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) ExpectBitIdentical(sa[i], sb[i], absl::StrCat(i));
}

// One optimisation step on a fixed batch (BN statistics and optimiser state change).
void Step(Model& model, torch::nn::Conv2d& aux, torch::optim::Optimizer& optimizer) {
  torch::manual_seed(11);
  const at::Tensor x = at::randn({4, 1, 28, 28});
  optimizer.zero_grad();
  (model->forward(x).logits.square().mean() + aux->forward(x).mean()).backward();
  optimizer.step();
}

std::vector<at::Tensor> Params(Model& model, torch::nn::Conv2d& aux) {
  std::vector<at::Tensor> params = model->parameters();
  for (const auto& p : aux->parameters()) params.push_back(p);
  return params;
}

TEST(CheckpointTest, FashionMnistTeacherWeightsRoundTripBitIdentically) {
  Model teacher = FmnistTeacher(1);
  const std::string path = TestTmpPath("fmnist_teacher.pt");
  ASSERT_THAT(SaveWeights(path, *teacher), IsOk());
  Model other = FmnistTeacher(2);
  ASSERT_THAT(LoadWeights(path, *other), IsOk());
  ExpectSameState(*teacher, *other);
  // The file holds the tensors under their real names (a state_dict), with their bytes.
  auto file = TensorFile::Open(path);
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ((*file)->metadata().at("format"), "lasnn-weights-v2");
  size_t count = 0;
  for (const auto& p : teacher->named_parameters()) {
    const TensorFileEntry* entry = (*file)->Find(p.key());
    ASSERT_NE(entry, nullptr) << p.key();
    ExpectBitIdentical((*file)->Read(*entry), p.value(), p.key());
    ++count;
  }
  for (const auto& b : teacher->named_buffers()) {
    ASSERT_NE((*file)->Find(b.key()), nullptr) << b.key();
    ++count;
  }
  EXPECT_EQ((*file)->header().entries.size(), count);
}

template <typename Optimizer, typename Options>
void CheckpointRoundTrip(const Options& options, const std::string& name) {
  Model model = FmnistTeacher(1);
  torch::nn::Conv2d aux(torch::nn::Conv2dOptions(1, 2, 1));
  Optimizer optimizer(Params(model, aux), options);
  Step(model, aux, optimizer);
  const std::vector<at::Tensor> best = SnapshotState(*model);
  Step(model, aux, optimizer);
  CheckpointState state;
  state.config.set_snn(true);
  state.config.set_teacher_checksum("abc");
  state.git_commit = "0123abc";
  state.next_epoch = 2;
  state.step = 20;
  state.best_holdout_accuracy = 0.1 + 0.2;
  state.best_epoch = 1;
  state.phase = 2;
  EpochMetrics m;
  m.set_epoch(1);
  m.set_step(10);
  m.set_loss(1.0 / 3.0);
  m.set_holdout_accuracy(std::numeric_limits<double>::quiet_NaN());
  state.history = {m, m};
  state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  const std::string path = TestTmpPath(name);
  ASSERT_THAT(SaveCheckpoint(path, state, *model, optimizer, aux.get(), best), IsOk());

  auto read = ReadCheckpointState(path);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->config.SerializeAsString(), state.config.SerializeAsString());
  EXPECT_EQ(read->git_commit, state.git_commit);
  EXPECT_EQ(read->next_epoch, 2);
  EXPECT_EQ(read->step, 20);
  EXPECT_EQ(read->best_holdout_accuracy, state.best_holdout_accuracy);
  EXPECT_EQ(read->best_epoch, 1);
  EXPECT_EQ(read->phase, 2);
  ASSERT_EQ(read->history.size(), 2u);
  EXPECT_EQ(read->history[1].SerializeAsString(), m.SerializeAsString());
  ExpectBitIdentical(read->rng_state, state.rng_state, "rng_state");

  Model restored = FmnistTeacher(5);
  torch::nn::Conv2d restored_aux(torch::nn::Conv2dOptions(1, 2, 1));
  Optimizer restored_optimizer(Params(restored, restored_aux), options);
  std::vector<at::Tensor> restored_best;
  ASSERT_THAT(LoadCheckpoint(path, *restored, restored_optimizer, restored_aux.get(),
                             restored_best),
              IsOk());
  ExpectSameState(*model, *restored);
  ExpectSameState(*aux, *restored_aux);
  ASSERT_EQ(restored_best.size(), best.size());
  for (size_t i = 0; i < best.size(); ++i) ExpectBitIdentical(restored_best[i], best[i], "best");
  // The optimiser state came back: one more step gives the same weights on both.
  Step(model, aux, optimizer);
  Step(restored, restored_aux, restored_optimizer);
  ExpectSameState(*model, *restored);
  ExpectSameState(*aux, *restored_aux);
}

TEST(CheckpointTest, SgdCheckpointRestoresEverything) {
  CheckpointRoundTrip<torch::optim::SGD>(
      torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(5e-4), "sgd.pt");
}

TEST(CheckpointTest, AdamCheckpointRestoresEverything) {
  CheckpointRoundTrip<torch::optim::Adam>(torch::optim::AdamOptions(1e-3).amsgrad(true),
                                          "adam.pt");
}

TEST(CheckpointTest, MismatchesAreFailedPreconditionAndChangeNothing) {
  Model model = FmnistTeacher(1);
  torch::nn::Conv2d aux(torch::nn::Conv2dOptions(1, 2, 1));
  torch::optim::SGD sgd(Params(model, aux), torch::optim::SGDOptions(0.1).momentum(0.9));
  Step(model, aux, sgd);
  CheckpointState state;
  state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  const std::string path = TestTmpPath("mismatch.pt");
  ASSERT_THAT(SaveCheckpoint(path, state, *model, sgd, aux.get(), {}), IsOk());

  // Another optimiser.
  Model fresh = FmnistTeacher(2);
  const std::vector<at::Tensor> before = SnapshotState(*fresh);
  torch::nn::Conv2d fresh_aux(torch::nn::Conv2dOptions(1, 2, 1));
  torch::optim::Adam adam(Params(fresh, fresh_aux), torch::optim::AdamOptions(1e-3));
  std::vector<at::Tensor> best;
  EXPECT_THAT(LoadCheckpoint(path, *fresh, adam, fresh_aux.get(), best),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path), HasSubstr("optimiser 'sgd'"))));
  // Another auxiliary shape.
  torch::nn::Conv2d wide_aux(torch::nn::Conv2dOptions(1, 3, 1));
  torch::optim::SGD fresh_sgd(Params(fresh, wide_aux), torch::optim::SGDOptions(0.1));
  EXPECT_THAT(LoadCheckpoint(path, *fresh, fresh_sgd, wide_aux.get(), best),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path), HasSubstr("auxiliary.weight"), HasSubstr("[3, 1, 1, 1]"))));
  const std::vector<at::Tensor> after = SnapshotState(*fresh);
  for (size_t i = 0; i < before.size(); ++i) ExpectBitIdentical(before[i], after[i], "unchanged");

  // Weights of another architecture; a checkpoint is not a weights file, nor the reverse.
  const std::string weights = TestTmpPath("mismatch_weights.pt");
  ASSERT_THAT(SaveWeights(weights, *aux), IsOk());
  EXPECT_THAT(LoadWeights(weights, *model),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(weights), HasSubstr("layer0.conv.weight"))));
  EXPECT_THAT(LoadWeights(weights, *wide_aux),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("[2, 1, 1, 1]")));
  EXPECT_THAT(LoadWeights(path, *model),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(path), HasSubstr("expected lasnn-weights-v2"))));
  EXPECT_THAT(ReadCheckpointState(weights),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("expected lasnn-checkpoint-v2")));
}

TEST(CheckpointTest, CorruptHostileAndOldFilesAreDataLossNamingTheFile) {
  Model model = FmnistTeacher(1);
  const std::string path = TestTmpPath("corrupt_source.pt");
  ASSERT_THAT(SaveWeights(path, *model), IsOk());
  auto bytes = ReadFileToString(path);
  ASSERT_THAT(bytes, IsOk());
  const auto expect_data_loss = [&model](const std::string& name, const std::string& contents,
                                         const std::string& what) {
    const std::string p = TestTmpPath(name);
    ASSERT_THAT(WriteFileAtomically(p, contents), IsOk());
    EXPECT_THAT(LoadWeights(p, *model),
                StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(p), HasSubstr(what))));
    EXPECT_THAT(ReadCheckpointState(p),
                StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(p), HasSubstr(what))));
  };
  expect_data_loss("cut.pt", bytes->substr(0, bytes->size() / 2), "outside");
  std::string flipped = *bytes;
  flipped[flipped.size() - 100] ^= 0x10;
  expect_data_loss("flipped.pt", flipped, "SHA-256");
  // The container of older versions: a LibTorch archive (zip of pickles) behind a checksum.
  expect_data_loss("old.pt", "LASNN-ARCHIVE-1\n" + std::string(40, '\0') + "PK\x03\x04",
                   "written by an older version");
  expect_data_loss("bare_zip.pt", "PK\x03\x04", "written by an older version");
  // A header claiming a 2^40-byte tensor: refused by the header checks, before any allocation.
  const std::string json =
      R"({"layer0.conv.weight": {"dtype": "F32", "shape": [1024, 1024, 1024, 256], )"
      R"("data_offsets": [0, 1099511627776]}, "__metadata__": {"format": "lasnn-weights-v2"}})";
  std::string header(8, '\0');
  for (int i = 0; i < 8; ++i) header[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  expect_data_loss("terabyte.pt", header + json + std::string(64, '\0'), "outside");
  EXPECT_THAT(LoadWeights(TestTmpPath("absent.pt"), *model),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.pt")));
}

}  // namespace
}  // namespace lasnn
