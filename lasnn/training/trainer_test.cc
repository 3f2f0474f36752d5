#include "lasnn/training/trainer.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "datasets/quadrants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/checkpoint.h"
#include "lasnn/training/evaluate.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

constexpr int kClasses = datasets::kQuadrantClasses;
using datasets::Quadrants;

std::string TempDir(const std::string& name) {
  return TestTmpPath(name);
}

ModelSpec Spec(const std::string& text) {
  auto spec = ParseModelSpecText(text);
  EXPECT_THAT(spec, IsOk());
  return *spec;
}

ModelSpec StudentSpec() {
  return Spec(R"pb(
    name: "tiny_student"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 4
    layers { conv { out_channels: 4 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { conv { out_channels: 8 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 4 } }
  )pb");
}

ModelSpec TeacherSpec() {
  return Spec(R"pb(
    name: "tiny_teacher"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 4
    layers { conv { out_channels: 8 } }
    layers { activation {} }
    layers { conv { out_channels: 8 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { conv { out_channels: 16 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 4 } }
  )pb");
}

TrainRunConfig BaseConfig(bool snn, DistillConfig::Method method) {
  TrainRunConfig c;
  *c.mutable_model() = snn ? StudentSpec() : TeacherSpec();
  c.set_snn(snn);
  TrainConfig* t = c.mutable_train();
  t->set_epochs(2);
  t->set_batch_size(16);
  t->set_eval_batch_size(32);
  t->set_timesteps(2);
  t->set_seed(7);
  t->set_threads(1);
  t->set_log_every_steps(5);
  t->mutable_optimizer()->set_lr(0.05);
  t->mutable_distill()->set_method(method);
  t->mutable_distill()->set_beta(50);
  t->mutable_distill()->set_feature_weight(1);
  t->set_collapse_epochs(0);
  if (method != DistillConfig::DIRECT) *c.mutable_teacher() = TeacherSpec();
  return c;
}

Model BuildSeeded(const ModelSpec& spec, Mode mode, uint64_t seed) {
  torch::manual_seed(seed);
  auto model = BuildModel(spec, mode);
  EXPECT_THAT(model, IsOk());
  return *model;
}

TrainerOptions Quiet(const std::string& dir) {
  TrainerOptions o;
  o.run_dir = TempDir(dir);
  o.progress = [](absl::string_view) {};
  return o;
}

class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    at::set_num_threads(1);
    train_ = new datasets::Dataset(Quadrants(192, 1));
    holdout_ = new datasets::Dataset(Quadrants(64, 2));
    // One shared teacher: an ANN trained for 2 epochs.
    TrainRunConfig c = BaseConfig(/*snn=*/false, DistillConfig::DIRECT);
    teacher_ = new Teacher{BuildSeeded(c.model(), Mode::kAnn, 3), "test-teacher"};
    auto outcome = Train(c, teacher_->model, *train_, *holdout_, nullptr, Quiet("teacher"));
    ASSERT_THAT(outcome, IsOk());
    teacher_accuracy_ = outcome->best_holdout_accuracy;
  }

  static datasets::Dataset* train_;
  static datasets::Dataset* holdout_;
  static Teacher* teacher_;
  static double teacher_accuracy_;
};

datasets::Dataset* TrainerTest::train_ = nullptr;
datasets::Dataset* TrainerTest::holdout_ = nullptr;
Teacher* TrainerTest::teacher_ = nullptr;
double TrainerTest::teacher_accuracy_ = 0;

TEST_F(TrainerTest, TeacherConverges) { EXPECT_GE(teacher_accuracy_, 0.9); }

struct MethodCase {
  const char* name;
  DistillConfig::Method method;
  DistillConfig::Paradigm paradigm;
};

TEST_F(TrainerTest, EveryMethodConvergesWithinFourEpochs) {
  for (const MethodCase& m : {MethodCase{"direct", DistillConfig::DIRECT, DistillConfig::JOINT},
                              MethodCase{"logit_kd", DistillConfig::LOGIT_KD, DistillConfig::JOINT},
                              MethodCase{"feature_kd", DistillConfig::FEATURE_KD,
                                         DistillConfig::JOINT},
                              MethodCase{"lasnn_joint", DistillConfig::LASNN, DistillConfig::JOINT},
                              MethodCase{"lasnn_stagewise", DistillConfig::LASNN,
                                         DistillConfig::STAGEWISE}}) {
    SCOPED_TRACE(m.name);
    TrainRunConfig c = BaseConfig(/*snn=*/true, m.method);
    c.mutable_train()->mutable_distill()->set_paradigm(m.paradigm);
    c.mutable_train()->set_epochs(4);  // 48 steps
    Model student = BuildSeeded(c.model(), Mode::kSnn, 5);
    auto outcome = Train(c, student, *train_, *holdout_,
                         m.method == DistillConfig::DIRECT ? nullptr : teacher_,
                         Quiet(std::string("method_") + m.name));
    ASSERT_THAT(outcome, IsOk());
    EXPECT_EQ(outcome->status, RunStatus::kOk);
    EXPECT_EQ(outcome->epochs.size(), 4u);
    EXPECT_GE(outcome->best_holdout_accuracy, 0.9);
    EXPECT_LT(outcome->epochs.back().ce(), outcome->epochs.front().ce());
    if (m.method == DistillConfig::LASNN || m.method == DistillConfig::FEATURE_KD) {
      EXPECT_GT(outcome->epochs.front().feature(), 0.0);
    }
    if (m.method != DistillConfig::DIRECT) {
      EXPECT_GT(outcome->epochs.front().kd(), 0.0);
    }
  }
}

TEST_F(TrainerTest, SameSeedGivesIdenticalMetrics) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::LASNN);
  std::vector<TrainOutcome> runs;
  for (const char* dir : {"det_a", "det_b"}) {
    Model student = BuildSeeded(c.model(), Mode::kSnn, 5);
    auto outcome = Train(c, student, *train_, *holdout_, teacher_, Quiet(dir));
    ASSERT_THAT(outcome, IsOk());
    runs.push_back(*outcome);
  }
  ASSERT_EQ(runs[0].epochs.size(), 2u);
  ASSERT_EQ(runs[1].epochs.size(), 2u);
  for (size_t e = 0; e < runs[0].epochs.size(); ++e) {
    EXPECT_EQ(runs[0].epochs[e].loss(), runs[1].epochs[e].loss());
    EXPECT_EQ(runs[0].epochs[e].holdout_accuracy(), runs[1].epochs[e].holdout_accuracy());
  }
}

TEST_F(TrainerTest, ResumeEqualsUninterrupted) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::FEATURE_KD);
  c.mutable_train()->set_epochs(3);
  Model straight = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto full = Train(c, straight, *train_, *holdout_, teacher_, Quiet("resume_full"));
  ASSERT_THAT(full, IsOk());

  TrainerOptions o = Quiet("resume_parts");
  o.stop_after_epochs = 1;
  Model first = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto part = Train(c, first, *train_, *holdout_, teacher_, o);
  ASSERT_THAT(part, IsOk());
  EXPECT_FALSE(part->finished);
  // A fresh process would rebuild the model with another initialisation: resume must not care.
  o.stop_after_epochs = 0;
  o.resume = true;
  Model resumed = BuildSeeded(c.model(), Mode::kSnn, 99);
  auto rest = Train(c, resumed, *train_, *holdout_, teacher_, o);
  ASSERT_THAT(rest, IsOk());
  EXPECT_TRUE(rest->finished);
  ASSERT_EQ(rest->epochs.size(), full->epochs.size());
  for (size_t e = 0; e < full->epochs.size(); ++e) {
    EXPECT_EQ(rest->epochs[e].loss(), full->epochs[e].loss()) << "epoch " << e;
    EXPECT_EQ(rest->epochs[e].holdout_accuracy(), full->epochs[e].holdout_accuracy());
    EXPECT_EQ(rest->epochs[e].step(), full->epochs[e].step());
  }
  auto a = straight->named_parameters();
  auto b = resumed->named_parameters();
  for (const auto& p : a) {
    EXPECT_TRUE(at::equal(p.value(), b[p.key()])) << p.key();
  }
}

TEST_F(TrainerTest, RefusesCheckpointOfAnotherConfig) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::DIRECT);
  c.mutable_train()->set_epochs(1);
  TrainerOptions o = Quiet("other_config");
  Model m = BuildSeeded(c.model(), Mode::kSnn, 5);
  ASSERT_THAT(Train(c, m, *train_, *holdout_, nullptr, o), IsOk());
  // Without --resume an existing checkpoint is never overwritten.
  EXPECT_THAT(Train(c, m, *train_, *holdout_, nullptr, o),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already exists")));
  c.mutable_train()->set_epochs(2);
  c.mutable_train()->mutable_optimizer()->set_lr(0.01);
  o.resume = true;
  EXPECT_THAT(Train(c, m, *train_, *holdout_, nullptr, o),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::AllOf(HasSubstr("train.epochs"),
                                        HasSubstr("train.optimizer.lr"))));
}

TEST_F(TrainerTest, NanLossStopsTheRunAsDiverged) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::DIRECT);
  TrainerOptions o = Quiet("nan");
  o.inject_nan_at_step = 13;  // epoch 2 (12 steps per epoch)
  Model m = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto outcome = Train(c, m, *train_, *holdout_, nullptr, o);
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->status, RunStatus::kDiverged);
  EXPECT_NE(outcome->message.find("NaN"), std::string::npos) << outcome->message;
  EXPECT_NE(outcome->message.find("epoch 2"), std::string::npos) << outcome->message;
  EXPECT_FALSE(outcome->finished);
  // The checkpoint of epoch 1 is intact and readable.
  auto state = ReadCheckpointState(JoinPath(o.run_dir, "checkpoint.pt"));
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->next_epoch, 1);
  // metrics.csv ends with the diverged event.
  auto csv = ReadFileToString(JoinPath(o.run_dir, "metrics.csv"));
  ASSERT_THAT(csv, IsOk());
  EXPECT_THAT(*csv, HasSubstr("\ndiverged,2,17,"));
}

TEST_F(TrainerTest, AccuracyAtChanceIsMarkedCollapsed) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::DIRECT);
  c.mutable_train()->mutable_distill()->set_ce_weight(0);  // nothing to learn from
  c.mutable_train()->set_collapse_epochs(1);
  Model m = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto outcome = Train(c, m, *train_, *holdout_, nullptr, Quiet("collapse"));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->status, RunStatus::kCollapsed);
  EXPECT_NE(outcome->message.find("chance"), std::string::npos);
}

TEST_F(TrainerTest, EvaluationDoesNotDependOnBatchSize) {
  EvalOptions eo;
  eo.timesteps = 4;
  std::vector<double> first;
  Model m = BuildSeeded(StudentSpec(), Mode::kSnn, 5);
  for (int64_t bs : {1, 7, 64}) {
    eo.batch_size = bs;
    auto r = EvaluateAccuracy(m, *holdout_, eo);
    ASSERT_THAT(r, IsOk());
    ASSERT_EQ(r->accuracy_at_t.size(), 4u);
    if (first.empty()) first = r->accuracy_at_t;
    EXPECT_EQ(r->accuracy_at_t, first) << "batch size " << bs;
  }
}

TEST_F(TrainerTest, BadConfigIsRefusedBeforeTrainingWithTheFieldNamed) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::LASNN);
  c.mutable_train()->mutable_distill()->set_temperature(0);
  Model m = BuildSeeded(c.model(), Mode::kSnn, 5);
  TrainerOptions o = Quiet("bad_config");
  EXPECT_THAT(Train(c, m, *train_, *holdout_, teacher_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("train.distill.temperature must be > 0")));
  EXPECT_FALSE(PathExists(o.run_dir));
  c = BaseConfig(/*snn=*/true, DistillConfig::LASNN);
  c.clear_teacher();
  EXPECT_THAT(Train(c, m, *train_, *holdout_, teacher_, o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("teacher must be set")));
  c = BaseConfig(/*snn=*/true, DistillConfig::DIRECT);
  c.mutable_train()->set_epochs(-3);
  EXPECT_THAT(Train(c, m, *train_, *holdout_, nullptr, o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("train.epochs")));
}

TEST_F(TrainerTest, CheckpointKeepsTheMetricsHistoryAndTheCsvLogItsLines) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::DIRECT);
  TrainerOptions o = Quiet("history");
  Model m = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto outcome = Train(c, m, *train_, *holdout_, nullptr, o);
  ASSERT_THAT(outcome, IsOk());
  ASSERT_EQ(outcome->epochs.size(), 2u);
  auto state = ReadCheckpointState(JoinPath(o.run_dir, "checkpoint.pt"));
  ASSERT_THAT(state, IsOk());
  ASSERT_EQ(state->history.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    // 192 images, batch 16: 12 steps per epoch.
    EXPECT_EQ(state->history[e].epoch(), static_cast<int64_t>(e + 1));
    EXPECT_EQ(state->history[e].step(), static_cast<int64_t>(12 * (e + 1)));
    EXPECT_EQ(state->history[e].SerializeAsString(), outcome->epochs[e].SerializeAsString());
  }
  // One line per event: the header, steps 5, 10, 12 of each epoch, and the epoch.
  auto csv = ReadFileToString(JoinPath(o.run_dir, "metrics.csv"));
  ASSERT_THAT(csv, IsOk());
  std::vector<std::string> lines = absl::StrSplit(*csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 9u) << *csv;
  EXPECT_EQ(lines[0],
            "event,epoch,step,lr,loss,ce,kd,feature,train_acc,holdout_acc,images_per_s,seconds,"
            "message");
  EXPECT_THAT(lines[1], ::testing::StartsWith("step,1,5,"));
  EXPECT_THAT(lines[3], ::testing::StartsWith("step,1,12,"));
  EXPECT_THAT(lines[4], ::testing::StartsWith(absl::StrFormat(
                            "epoch,1,12,%.17g,%.17g,", outcome->epochs[0].lr(),
                            outcome->epochs[0].loss())));
  EXPECT_THAT(lines[8], ::testing::StartsWith("epoch,2,24,"));
}

TEST_F(TrainerTest, MismatchedCheckpointArchitectureIsFailedPrecondition) {
  Model small = BuildSeeded(StudentSpec(), Mode::kSnn, 5);
  const std::string path = TempDir("weights_small.pt");
  ASSERT_THAT(SaveWeights(path, *small), IsOk());
  Model other = BuildSeeded(TeacherSpec(), Mode::kAnn, 5);
  EXPECT_THAT(LoadWeights(path, *other),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path)));
  // Truncated file: DataLoss naming the path.
  auto bytes = ReadFileToString(path);
  ASSERT_THAT(bytes, IsOk());
  const std::string cut = TempDir("weights_cut.pt");
  ASSERT_THAT(WriteFileAtomically(cut, bytes->substr(0, bytes->size() / 2)), IsOk());
  EXPECT_THAT(LoadWeights(cut, *small), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(cut)));
  // Round trip gives identical outputs.
  Model copy = BuildSeeded(StudentSpec(), Mode::kSnn, 77);
  ASSERT_THAT(LoadWeights(path, *copy), IsOk());
  small->eval();
  copy->eval();
  at::Tensor x = at::rand({3, 1, 8, 8});
  ForwardOptions fo;
  fo.timesteps = 3;
  EXPECT_TRUE(at::equal(small->forward(x, fo).logits, copy->forward(x, fo).logits));
}

}  // namespace
}  // namespace lasnn
