#include "lasnn/training/trainer.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cstdio>
#include <cstdlib>
#include <map>
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


 public:
  static const datasets::Dataset* train() { return train_; }
  static const datasets::Dataset* holdout() { return holdout_; }

 protected:
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
                              MethodCase{"lasnn_curriculum", DistillConfig::LASNN,
                                         DistillConfig::CURRICULUM}}) {
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

// Trains `c` (3 epochs) straight through, and in two invocations: one epoch, then resumed into a
// model built with another initialisation, as a fresh process would. Expects the same metrics at
// every epoch and the same weights; returns the straight run's model.
Model ExpectResumeEqualsUninterrupted(TrainRunConfig c, Teacher* teacher, const std::string& dir) {
  c.mutable_train()->set_epochs(3);
  Model straight = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto full = Train(c, straight, *TrainerTest::train(), *TrainerTest::holdout(), teacher,
                    Quiet(dir + "_full"));
  EXPECT_THAT(full, IsOk());
  TrainerOptions o = Quiet(dir + "_parts");
  o.stop_after_epochs = 1;
  Model first = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto part = Train(c, first, *TrainerTest::train(), *TrainerTest::holdout(), teacher, o);
  EXPECT_THAT(part, IsOk());
  if (part.ok()) EXPECT_FALSE(part->finished);
  o.stop_after_epochs = 0;
  o.resume = true;
  Model resumed = BuildSeeded(c.model(), Mode::kSnn, 99);
  auto rest = Train(c, resumed, *TrainerTest::train(), *TrainerTest::holdout(), teacher, o);
  EXPECT_THAT(rest, IsOk());
  if (!full.ok() || !rest.ok()) return straight;
  EXPECT_TRUE(rest->finished);
  EXPECT_EQ(rest->epochs.size(), full->epochs.size());
  for (size_t e = 0; e < full->epochs.size() && e < rest->epochs.size(); ++e) {
    EXPECT_EQ(rest->epochs[e].loss(), full->epochs[e].loss()) << "epoch " << e;
    EXPECT_EQ(rest->epochs[e].holdout_accuracy(), full->epochs[e].holdout_accuracy());
    EXPECT_EQ(rest->epochs[e].step(), full->epochs[e].step());
  }
  auto b = resumed->named_parameters();
  for (const auto& p : straight->named_parameters()) {
    EXPECT_TRUE(at::equal(p.value(), b[p.key()])) << p.key();
  }
  return straight;
}

TEST_F(TrainerTest, ResumeEqualsUninterrupted) {
  ExpectResumeEqualsUninterrupted(BaseConfig(/*snn=*/true, DistillConfig::FEATURE_KD), teacher_,
                                  "resume");
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

// Students fed Poisson or latency codes of the raw images (normalised after encoding) learn,
// with the teacher on the normalised images; a Poisson run resumes to the same numbers (the
// draws are keyed by seed, epoch, image and step), and its evaluation does not depend on the
// batch size.
TEST_F(TrainerTest, EncodedInputTrainsResumesAndEvaluates) {
  struct Case {
    EncoderSpec::Kind kind;
    DistillConfig::Method method;
  };
  for (const Case& k : {Case{EncoderSpec::POISSON, DistillConfig::LASNN},
                        Case{EncoderSpec::LATENCY, DistillConfig::LOGIT_KD},
                        Case{EncoderSpec::LATENCY, DistillConfig::DIRECT}}) {
    SCOPED_TRACE(EncoderName(k.kind) + " " + DistillConfig::Method_Name(k.method));
    TrainRunConfig c = BaseConfig(/*snn=*/true, k.method);
    c.mutable_model()->mutable_encoder()->set_kind(k.kind);
    c.mutable_train()->set_timesteps(4);
    c.mutable_train()->set_epochs(4);
    Model student = BuildSeeded(c.model(), Mode::kSnn, 5);
    auto outcome =
        Train(c, student, *train_, *holdout_, k.method == DistillConfig::DIRECT ? nullptr : teacher_,
              Quiet("encoded_" + EncoderName(k.kind) + DistillConfig::Method_Name(k.method)));
    ASSERT_THAT(outcome, IsOk());
    EXPECT_EQ(outcome->status, RunStatus::kOk);
    EXPECT_GE(outcome->best_holdout_accuracy, 0.8);
    EXPECT_LT(outcome->epochs.back().ce(), outcome->epochs.front().ce());
  }
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::LOGIT_KD);
  c.mutable_model()->mutable_encoder()->set_kind(EncoderSpec::POISSON);
  Model straight = ExpectResumeEqualsUninterrupted(c, teacher_, "poisson");
  EvalOptions eo;
  eo.timesteps = 4;
  eo.encoding_seed = 7;
  std::vector<double> by_batch;
  for (int64_t bs : {1, 7, 64}) {
    eo.batch_size = bs;
    auto r = EvaluateAccuracy(straight, *holdout_, eo);
    ASSERT_THAT(r, IsOk());
    if (by_batch.empty()) by_batch = r->accuracy_at_t;
    EXPECT_EQ(r->accuracy_at_t, by_batch) << "batch size " << bs;
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

// The tiny student's stages under STAGE_BY_STAGE with the tiny teacher: pairs stage1 <-> stage1
// 8x8 and stage2 <-> stage2 4x4; phase 1 trains layer0 (conv), phase 2 layer3 (conv), the
// classifier phase layer7 (linear).
constexpr const char* kStagePrefixes[] = {"layer0.", "layer3.", "layer7."};

int StageOf(const std::string& name) {
  for (int k = 0; k < 3; ++k) {
    if (name.rfind(kStagePrefixes[k], 0) == 0) return k;
  }
  return -1;
}

// Parameters and buffers by name, copied.
std::map<std::string, at::Tensor> Snapshot(const Model& m) {
  std::map<std::string, at::Tensor> out;
  for (const auto& p : m->named_parameters()) out[p.key()] = p.value().detach().clone();
  for (const auto& b : m->named_buffers()) out[b.key()] = b.value().detach().clone();
  return out;
}

// For each stage, whether any of its tensors differs between `a` and `b`; every tensor of a stage
// with `frozen_or_idle[k]` must be bit-identical.
void ExpectStagesChanged(const std::map<std::string, at::Tensor>& a,
                         const std::map<std::string, at::Tensor>& b,
                         const std::vector<bool>& changed, const std::string& when) {
  std::vector<bool> any(3, false);
  for (const auto& [name, t] : a) {
    const int k = StageOf(name);
    ASSERT_GE(k, 0) << name;
    const bool same = at::equal(t, b.at(name));
    any[k] = any[k] || !same;
    if (!changed[k]) EXPECT_TRUE(same) << when << ": " << name << " of stage " << k << " changed";
  }
  for (int k = 0; k < 3; ++k) {
    if (changed[k]) EXPECT_TRUE(any[k]) << when << ": stage " << k << " did not change";
  }
}

TrainRunConfig StageByStageConfig() {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::LASNN);
  DistillConfig* d = c.mutable_train()->mutable_distill();
  d->set_paradigm(DistillConfig::STAGE_BY_STAGE);
  d->add_stage_budgets(1);  // 12 steps each: one epoch per phase, then a second classifier epoch
  d->add_stage_budgets(1);
  d->add_stage_budgets(2);
  c.mutable_train()->set_epochs(4);
  c.mutable_train()->set_collapse_epochs(1);
  return c;
}

// Phase by phase (one epoch each, run one invocation at a time): a stage trains in its phase and
// never changes afterwards, bit for bit (batch-norm statistics included); later stages stay
// untouched until their phase.
TEST_F(TrainerTest, StageByStageTrainsOneStageAtATimeAndFreezesTheEarlierOnes) {
  const TrainRunConfig c = StageByStageConfig();
  TrainerOptions o = Quiet("stage_by_stage_phases");
  o.stop_after_epochs = 1;
  Model student = BuildSeeded(c.model(), Mode::kSnn, 5);
  std::vector<std::map<std::string, at::Tensor>> snapshots = {Snapshot(student)};
  for (int epoch = 1; epoch <= 4; ++epoch) {
    SCOPED_TRACE(epoch);
    auto outcome = Train(c, student, *train_, *holdout_, teacher_, o);
    ASSERT_THAT(outcome, IsOk());
    ASSERT_EQ(outcome->status, RunStatus::kOk) << outcome->message;
    o.resume = true;
    snapshots.push_back(Snapshot(student));
    auto state = ReadCheckpointState(JoinPath(o.run_dir, "checkpoint.pt"));
    ASSERT_THAT(state, IsOk());
    EXPECT_EQ(state->phase, std::min(epoch, 2));  // the phase of the next step
    // Back to normal after Train: every parameter trainable.
    for (const auto& p : student->named_parameters()) EXPECT_TRUE(p.value().requires_grad());
    EXPECT_EQ(outcome->attention_pairs.size(), 2u);
    if (epoch < 3) {
      EXPECT_EQ(outcome->best_epoch, -1) << "a stage phase competed for best";
    }
  }
  ExpectStagesChanged(snapshots[0], snapshots[1], {true, false, false}, "phase 1");
  ExpectStagesChanged(snapshots[1], snapshots[2], {false, true, false}, "phase 2");
  ExpectStagesChanged(snapshots[2], snapshots[3], {false, false, true}, "classifier, epoch 3");
  // The run ends on its best epoch's weights (3 or 4): the stages stay as phase 2 left them.
  ExpectStagesChanged(snapshots[2], snapshots[4], {false, false, true}, "classifier, the end");
}

TEST_F(TrainerTest, StageByStageLearnsAttentionThenTheClassifier) {
  const TrainRunConfig c = StageByStageConfig();
  Model student = BuildSeeded(c.model(), Mode::kSnn, 5);
  TrainerOptions o = Quiet("stage_by_stage_run");
  auto outcome = Train(c, student, *train_, *holdout_, teacher_, o);
  ASSERT_THAT(outcome, IsOk());
  ASSERT_EQ(outcome->status, RunStatus::kOk) << outcome->message;
  ASSERT_EQ(outcome->epochs.size(), 4u);
  const auto& e = outcome->epochs;
  // Stage phases: the attention loss alone.
  for (int k = 0; k < 2; ++k) {
    EXPECT_GT(e[k].feature(), 0.0);
    EXPECT_EQ(e[k].ce(), 0.0);
    EXPECT_EQ(e[k].kd(), 0.0);
  }
  // The classifier phase: CE and KD, no attention; CE falls.
  EXPECT_GT(e[2].ce(), 0.0);
  EXPECT_GT(e[2].kd(), 0.0);
  EXPECT_EQ(e[2].feature(), 0.0);
  EXPECT_LT(e[3].ce(), e[2].ce());
  EXPECT_GE(outcome->best_epoch, 3);
  EXPECT_GE(outcome->best_holdout_accuracy, 0.6);
  std::printf("stage-by-stage: ce %.4f -> %.4f, held-out accuracy %.3f\n", e[2].ce(), e[3].ce(),
              outcome->best_holdout_accuracy);
  // One line per phase in the metrics log.
  auto csv = ReadFileToString(JoinPath(o.run_dir, "metrics.csv"));
  ASSERT_THAT(csv, IsOk());
  EXPECT_THAT(*csv, HasSubstr("\nphase,1,0,,,,,,,,,,stage-by-stage phase 1/3: plan layers 0..1 "
                              "learn the attention of stage1 <-> stage1 8x8; steps 1..12\n"));
  EXPECT_THAT(*csv, HasSubstr("\nphase,2,12,,,,,,,,,,stage-by-stage phase 2/3: plan layers 2..4 "
                              "learn the attention of stage2 <-> stage2 4x4; steps 13..24; "
                              "earlier layers frozen\n"));
  EXPECT_THAT(*csv, HasSubstr("\nphase,3,24,,,,,,,,,,stage-by-stage phase 3/3: the classifier "
                              "(plan layers 5..7) learns from CE and KD; steps 25..48"));
}

// Phases that change within an epoch: a run resumed at every epoch equals an uninterrupted one.
TEST_F(TrainerTest, StageByStageResumeEqualsUninterrupted) {
  TrainRunConfig c = StageByStageConfig();
  DistillConfig* d = c.mutable_train()->mutable_distill();
  d->clear_stage_budgets();
  d->add_stage_budgets(1);  // of 48 steps: 1..10, 11..29, 30..48
  d->add_stage_budgets(2);
  d->add_stage_budgets(2);
  Model straight = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto full = Train(c, straight, *train_, *holdout_, teacher_, Quiet("sbs_resume_full"));
  ASSERT_THAT(full, IsOk());
  ASSERT_TRUE(full->finished);

  TrainerOptions o = Quiet("sbs_resume_parts");
  o.stop_after_epochs = 1;
  Model resumed{nullptr};
  TrainOutcome last;
  for (int i = 0; i < 4; ++i) {
    // Each resume starts from a model of another initialisation, as a fresh process would.
    resumed = BuildSeeded(c.model(), Mode::kSnn, i == 0 ? 5 : 99 + i);
    auto part = Train(c, resumed, *train_, *holdout_, teacher_, o);
    ASSERT_THAT(part, IsOk());
    last = *part;
    o.resume = true;
  }
  EXPECT_TRUE(last.finished);
  ASSERT_EQ(last.epochs.size(), full->epochs.size());
  for (size_t e = 0; e < full->epochs.size(); ++e) {
    EXPECT_EQ(last.epochs[e].loss(), full->epochs[e].loss()) << "epoch " << e;
    EXPECT_EQ(last.epochs[e].holdout_accuracy(), full->epochs[e].holdout_accuracy());
  }
  auto a = straight->named_parameters();
  auto b = resumed->named_parameters();
  for (const auto& p : a) EXPECT_TRUE(at::equal(p.value(), b[p.key()])) << p.key();
}

TEST_F(TrainerTest, StageByStageBudgetsAndPairWeightsAreCheckedAgainstThePairs) {
  TrainRunConfig c = StageByStageConfig();
  c.mutable_train()->mutable_distill()->add_stage_budgets(1);  // 4 budgets for 3 phases
  Model m = BuildSeeded(c.model(), Mode::kSnn, 5);
  TrainerOptions o = Quiet("sbs_bad_budgets");
  EXPECT_THAT(Train(c, m, *train_, *holdout_, teacher_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("train.distill.stage_budgets has 4 entries, but STAGE_BY_STAGE "
                                 "needs 3")));
  EXPECT_FALSE(PathExists(o.run_dir));
  // A share too small for one step of the 48.
  c = StageByStageConfig();
  c.mutable_train()->mutable_distill()->set_stage_budgets(0, 0.001);
  EXPECT_THAT(Train(c, m, *train_, *holdout_, teacher_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("train.distill.stage_budgets[0] gives its phase")));
  c = BaseConfig(/*snn=*/true, DistillConfig::LASNN);
  c.mutable_train()->mutable_distill()->add_attention_pair_weights(1);
  EXPECT_THAT(Train(c, m, *train_, *holdout_, teacher_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("train.distill.attention_pair_weights has 1 entries")));
}

// The outcome lists the attention pairs with their weights, and those below the minimum size.
TEST_F(TrainerTest, OutcomeListsTheAttentionPairs) {
  TrainRunConfig c = BaseConfig(/*snn=*/true, DistillConfig::LASNN);
  c.mutable_train()->set_epochs(1);
  c.mutable_train()->set_max_steps_per_epoch(2);
  c.mutable_train()->mutable_distill()->set_attention_min_size(5);  // skips the 4x4 pair
  Model m = BuildSeeded(c.model(), Mode::kSnn, 5);
  auto outcome = Train(c, m, *train_, *holdout_, teacher_, Quiet("pairs_listed"));
  ASSERT_THAT(outcome, IsOk());
  ASSERT_EQ(outcome->attention_pairs.size(), 1u);
  EXPECT_EQ(outcome->attention_pairs[0].student, "stage1");
  EXPECT_EQ(outcome->attention_pairs[0].teacher, "stage1");
  EXPECT_EQ(outcome->attention_pairs[0].height, 8);
  EXPECT_EQ(outcome->attention_pair_weights, std::vector<double>({1.0}));
  ASSERT_EQ(outcome->skipped_attention_pairs.size(), 1u);
  EXPECT_EQ(outcome->skipped_attention_pairs[0].width, 4);
}

}  // namespace
}  // namespace lasnn
