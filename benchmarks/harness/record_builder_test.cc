#include "benchmarks/harness/record_builder.h"

#include "absl/status/status.h"
#include "benchmarks/experiment/outcomes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

// Two spiking layers: "layer1" after a conv on the image, "layer4" after a spike-fed conv.
ModelPlan TwoLayerPlan() {
  absl::StatusOr<ModelSpec> spec = ParseModelSpecText(R"pb(
    name: "s" input { channels: 1 height: 4 width: 4 } num_classes: 2
    layers { conv { out_channels: 2 } } layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { conv { out_channels: 2 } } layers { activation {} }
    layers { flatten {} } layers { linear { out_features: 2 } }
  )pb");
  EXPECT_THAT(spec, IsOk());
  absl::StatusOr<ModelPlan> plan = PlanModel(*spec);
  EXPECT_THAT(plan, IsOk());
  return *plan;
}

TimestepMeasurement At(int t, double rate0, double rate1) {
  TimestepMeasurement m;
  m.timesteps = t;
  m.timing.latency_ms = 1.5;
  m.timing.throughput_img_s = 100;
  m.firing = {{"first", rate0}, {"second", rate1}};
  return m;
}

TEST(RecordBuilderTest, StartRecordCarriesConfigAndProvenance) {
  ExperimentConfig c;
  c.set_name("e");
  c.mutable_eval()->set_test_subset(40);
  Provenance p;
  p.set_git_commit("abc");
  const RunRecord r = StartRecord(c, p, "suite1");
  EXPECT_FALSE(r.config_hash().empty());
  EXPECT_EQ(r.config().name(), "e");
  EXPECT_EQ(r.provenance().git_commit(), "abc");
  EXPECT_EQ(r.suite(), "suite1");
  EXPECT_EQ(r.eval_subset(), 40);
}

TEST(RecordBuilderTest, TrainOutcomeSumsEpochsAndMapsStatus) {
  TrainOutcome o;
  o.epochs.resize(2);
  o.epochs[0].set_seconds(1.5);
  o.epochs[1].set_seconds(2.0);
  o.best_epoch = 1;
  o.steps = 20;
  RunRecord r;
  SetTrainOutcome(o, r);
  EXPECT_EQ(r.train_seconds(), 3.5);
  EXPECT_EQ(r.best_epoch(), 1);
  EXPECT_EQ(r.train_steps(), 20);
  EXPECT_EQ(r.status(), RunRecord::OK);
  EXPECT_FALSE(r.has_status_message());

  o.status = RunStatus::kDiverged;
  o.message = "NaN loss at step 3";
  RunRecord d;
  SetTrainOutcome(o, d);
  EXPECT_EQ(d.status(), RunRecord::DIVERGED);
  EXPECT_EQ(d.status_message(), "NaN loss at step 3");
  o.status = RunStatus::kCollapsed;
  SetTrainOutcome(o, d);
  EXPECT_EQ(d.status(), RunRecord::COLLAPSED);
}

TEST(RecordBuilderTest, TrainOutcomeListsTheAttentionPairs) {
  TrainOutcome o;
  o.attention_pairs = {TapPair{"stage1", "stage2", 32, 32}, TapPair{"stage2", "stage4", 16, 16}};
  o.attention_pair_weights = {0.5, 0.5};
  o.skipped_attention_pairs = {TapPair{"stage4", "stage5", 2, 2}};
  RunRecord r;
  SetTrainOutcome(o, r);
  ASSERT_EQ(r.attention_pairs_size(), 3);
  EXPECT_EQ(r.attention_pairs(1).student_layer(), "stage2");
  EXPECT_EQ(r.attention_pairs(1).teacher_layer(), "stage4");
  EXPECT_EQ(r.attention_pairs(1).height(), 16);
  EXPECT_EQ(r.attention_pairs(1).width(), 16);
  EXPECT_EQ(r.attention_pairs(1).weight(), 0.5);
  EXPECT_FALSE(r.attention_pairs(1).skipped());
  EXPECT_EQ(r.attention_pairs(2).height(), 2);
  EXPECT_TRUE(r.attention_pairs(2).skipped());
  EXPECT_EQ(r.attention_pairs(2).weight(), 0.0);
  SetTrainOutcome(TrainOutcome(), r);  // not LaSNN: no pairs
  EXPECT_EQ(r.attention_pairs_size(), 0);
}

TEST(RecordBuilderTest, SnnFiringAtTheTrainTWithTheModelsNames) {
  const ModelPlan plan = TwoLayerPlan();
  SnnEvaluation e;
  e.num_samples = 40;
  e.accuracy_at_t = {0.5, 0.7, 0.8, 0.9};
  e.costs = {At(2, 0.1, 0.2), At(4, 0.3, 0.4)};
  e.seconds = 2;
  RunRecord r;
  SetStudent("s", 123, /*train_timesteps=*/4, r);
  ASSERT_THAT(AddSnnEvaluation(e, plan, EnergyConfig(), r), IsOk());
  EXPECT_EQ(r.student_name(), "s");
  EXPECT_EQ(r.student_parameters(), 123);
  EXPECT_EQ(r.eval_samples(), 40);
  EXPECT_EQ(r.accuracy_at_t_size(), 4);
  ASSERT_EQ(r.costs_size(), 2);
  EXPECT_EQ(r.costs(0).timesteps(), 2);
  EXPECT_EQ(r.costs(1).latency_ms(), 1.5);
  EXPECT_EQ(r.costs(1).throughput_img_s(), 100);
  // More spikes at T=4 than at T=2: more accumulates.
  EXPECT_GT(r.costs(1).ops().acs(), r.costs(0).ops().acs());
  ASSERT_EQ(r.firing_size(), 2);
  EXPECT_EQ(r.firing(0).layer(), "first");
  EXPECT_EQ(r.firing(0).rate(), 0.3);
  EXPECT_EQ(r.firing(1).layer(), "second");
  EXPECT_EQ(r.firing(1).rate(), 0.4);
  EXPECT_EQ(r.eval_seconds(), 2);
}

TEST(RecordBuilderTest, RatesThatDoNotMatchThePlanAreInvalid) {
  SnnEvaluation e;
  e.costs = {At(2, 0.1, 0.2)};
  e.costs[0].firing.pop_back();
  RunRecord r;
  EXPECT_THAT(AddSnnEvaluation(e, TwoLayerPlan(), EnergyConfig(), r),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RecordBuilderTest, ConversionAndTheFirstTimestepWithinOnePoint) {
  ConversionEvaluation e;
  e.ann_accuracy = 0.9;
  e.num_samples = 10;
  e.accuracy_at_t = {0.1, 0.85, 0.895, 0.9};
  e.firing = {{"first", 0.25}, {"second", 0.5}};
  e.costs = {At(8, 0.2, 0.3)};
  RunRecord r;
  SetStudent("ann", 7, 0, r);
  ASSERT_THAT(AddConversionEvaluation(e, TwoLayerPlan(), EnergyConfig(), r), IsOk());
  EXPECT_EQ(r.status(), RunRecord::OK);
  EXPECT_EQ(r.ann_accuracy(), 0.9);
  ASSERT_EQ(r.firing_size(), 2);
  EXPECT_EQ(r.firing(1).layer(), "second");
  EXPECT_EQ(r.costs_size(), 1);
  SetTimestepsWithin1pt(r);
  EXPECT_EQ(r.timesteps_within_1pt(), 3);
  EXPECT_EQ(RecordSummary(r), "accuracy 90.00% at T=4 (ANN 90.00%; within 1 point from t=3)");
}

TEST(RecordBuilderTest, OutcomesGoIntoTheRecordAndReproduceItsAccuracy) {
  // 4 images with labels 0, 1, 0, 1; t=1 gets 2 right, t=2 all 4.
  absl::StatusOr<EvalOutcomes> o =
      PackOutcomes(0, "sha", {0, 1, 0, 1}, {{0, 0, 1, 1}, {0, 1, 0, 1}});
  ASSERT_THAT(o, IsOk());
  SnnEvaluation e;
  e.num_samples = 4;
  e.accuracy_at_t = {0.5, 1.0};
  e.outcomes = *o;
  RunRecord snn;
  ASSERT_THAT(AddSnnEvaluation(e, TwoLayerPlan(), EnergyConfig(), snn), IsOk());
  ASSERT_TRUE(snn.has_outcomes());
  EXPECT_EQ(snn.outcomes().images_sha256(), "sha");
  absl::StatusOr<std::vector<double>> acc = AccuracyFromOutcomes(snn.outcomes());
  ASSERT_THAT(acc, IsOk());
  EXPECT_EQ(*acc, std::vector<double>(snn.accuracy_at_t().begin(), snn.accuracy_at_t().end()));

  ConversionEvaluation c;
  c.num_samples = 4;
  c.accuracy_at_t = {0.5, 1.0};
  c.outcomes = *o;
  RunRecord conv;
  ASSERT_THAT(AddConversionEvaluation(c, TwoLayerPlan(), EnergyConfig(), conv), IsOk());
  EXPECT_EQ(conv.outcomes().predicted_at_t_size(), 2);

  RunRecord old;  // an evaluation without outcomes leaves the record without them
  ASSERT_THAT(AddSnnEvaluation(SnnEvaluation(), TwoLayerPlan(), EnergyConfig(), old), IsOk());
  EXPECT_FALSE(old.has_outcomes());
}

TEST(RecordBuilderTest, FailureAndSummary) {
  RunRecord r;
  r.set_status(RunRecord::OK);
  SetTimestepsWithin1pt(r);  // no accuracies: left unset
  EXPECT_FALSE(r.has_timesteps_within_1pt());
  FinishRecord(absl::NotFoundError("no data in /x"), 1024, r);
  EXPECT_EQ(r.status(), RunRecord::FAILED);
  EXPECT_EQ(r.status_message(), "no data in /x");
  EXPECT_EQ(r.peak_memory_bytes(), 1024);
  EXPECT_EQ(RecordSummary(r), "FAILED: no data in /x");

  RunRecord ok;
  ok.set_status(RunRecord::OK);
  FinishRecord(absl::OkStatus(), 5, ok);
  EXPECT_EQ(ok.status(), RunRecord::OK);
  ok.set_train_timesteps(2);
  ok.add_accuracy_at_t(0.5);
  ok.add_accuracy_at_t(0.625);
  ok.add_accuracy_at_t(0.75);
  EXPECT_EQ(RecordSummary(ok), "accuracy 62.50% at T=2");
  ok.set_ann_accuracy(0.9);
  ok.set_timesteps_within_1pt(-1);
  EXPECT_THAT(RecordSummary(ok), HasSubstr("within 1 point at no t <= 3"));
}

}  // namespace
}  // namespace lasnn
