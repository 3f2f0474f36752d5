#include "lasnn/training/train_config_validation.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.pb.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

// A valid spec, or an invalid one with out_channels 0.
ModelSpec TinySpec(int out_channels = 4) {
  ModelSpec spec;
  spec.set_name("tiny");
  spec.mutable_input()->set_channels(1);
  spec.mutable_input()->set_height(8);
  spec.mutable_input()->set_width(8);
  spec.set_num_classes(4);
  spec.add_layers()->mutable_conv()->set_out_channels(out_channels);
  spec.add_layers()->mutable_activation();
  spec.add_layers()->mutable_flatten();
  spec.add_layers()->mutable_linear()->set_out_features(4);
  return spec;
}

TrainRunConfig DirectRun() {
  TrainRunConfig c;
  *c.mutable_model() = TinySpec();
  c.mutable_train()->mutable_distill()->set_method(DistillConfig::DIRECT);
  return c;
}

TEST(TrainConfigValidationTest, DefaultsAndBoundsAreAccepted) {
  EXPECT_THAT(ValidateTrainConfig(TrainConfig()), IsOk());
  TrainConfig edge;
  edge.set_epochs(kMaxTrainEpochs);
  edge.set_timesteps(kMaxTrainTimesteps);
  edge.set_batch_size(kMaxBatchSize);
  edge.set_holdout_fraction(0.5);
  edge.set_threads(kMaxThreads);
  edge.mutable_optimizer()->set_lr(100);
  edge.mutable_distill()->set_temperature(100);
  EXPECT_THAT(ValidateTrainConfig(edge), IsOk());
}

struct Case {
  const char* expected;  // the start of the message
  std::function<void(TrainConfig*)> mutate;
};

TEST(TrainConfigValidationTest, EachOutOfBoundValueNamesItsField) {
  const std::vector<Case> cases = {
      {"train.epochs must be in [1, 10000], got 10001",
       [](TrainConfig* t) { t->set_epochs(10001); }},
      {"train.epochs must be in [1, 10000], got -5", [](TrainConfig* t) { t->set_epochs(-5); }},
      {"train.batch_size must be in [1, 65536]", [](TrainConfig* t) { t->set_batch_size(0); }},
      {"train.eval_batch_size must be in [1, 65536]",
       [](TrainConfig* t) { t->set_eval_batch_size(65537); }},
      {"train.timesteps must be in [1, 1024], got 1025",
       [](TrainConfig* t) { t->set_timesteps(1025); }},
      {"train.optimizer.lr must be > 0", [](TrainConfig* t) { t->mutable_optimizer()->set_lr(0); }},
      {"train.optimizer.lr must be > 0 and <= 100, got nan",
       [](TrainConfig* t) { t->mutable_optimizer()->set_lr(std::nan("")); }},
      {"train.optimizer.momentum must be in [0, 1), got 1",
       [](TrainConfig* t) { t->mutable_optimizer()->set_momentum(1); }},
      {"train.optimizer.nesterov needs train.optimizer.momentum > 0",
       [](TrainConfig* t) {
         t->mutable_optimizer()->set_momentum(0);
         t->mutable_optimizer()->set_nesterov(true);
       }},
      {"train.optimizer.weight_decay must be in [0, 1)",
       [](TrainConfig* t) { t->mutable_optimizer()->set_weight_decay(-1); }},
      {"train.optimizer.adam_beta2 must be in [0, 1)",
       [](TrainConfig* t) { t->mutable_optimizer()->set_adam_beta2(1); }},
      {"train.schedule.gamma must be in (0, 1]",
       [](TrainConfig* t) { t->mutable_schedule()->set_gamma(2); }},
      {"train.distill.temperature must be > 0 and <= 100, got 0",
       [](TrainConfig* t) { t->mutable_distill()->set_temperature(0); }},
      {"train.distill.beta must be in [0, 1e+09], got -1",
       [](TrainConfig* t) { t->mutable_distill()->set_beta(-1); }},
      {"train.distill.feature_weight must be in [0, 1e+09], got inf",
       [](TrainConfig* t) { t->mutable_distill()->set_feature_weight(INFINITY); }},
      {"train.distill.attention_p must be > 0 and <= 8",
       [](TrainConfig* t) { t->mutable_distill()->set_attention_p(9); }},
      {"train.distill.stage_epochs must be > 0",
       [](TrainConfig* t) { t->mutable_distill()->set_stage_epochs(0); }},
      {"train.augment.crop_padding must be in [0, 64]",
       [](TrainConfig* t) { t->mutable_augment()->set_crop_padding(65); }},
      {"train.label_smoothing must be in [0, 1)",
       [](TrainConfig* t) { t->set_label_smoothing(1); }},
      {"train.holdout_fraction must be in [0, 0.5], got 0.6",
       [](TrainConfig* t) { t->set_holdout_fraction(0.6); }},
      {"train.collapse_epochs must be in [0, 10000]",
       [](TrainConfig* t) { t->set_collapse_epochs(-1); }},
      {"train.max_steps_per_epoch must be in [0, 1e+09]",
       [](TrainConfig* t) { t->set_max_steps_per_epoch(-1); }},
      {"train.log_every_steps must be in [1, 1e+09]",
       [](TrainConfig* t) { t->set_log_every_steps(0); }},
      {"train.threads must be in [1, 1024], got 0", [](TrainConfig* t) { t->set_threads(0); }},
      {"train.distill.attention_min_size must be in [0, 1e+06], got -1",
       [](TrainConfig* t) { t->mutable_distill()->set_attention_min_size(-1); }},
      {"train.distill.attention_pair_weights[1] must be in [0, 1e+09], got -0.5",
       [](TrainConfig* t) {
         t->mutable_distill()->add_attention_pair_weights(1);
         t->mutable_distill()->add_attention_pair_weights(-0.5);
       }},
      {"train.distill.stage_budgets[0] must be > 0 and <= 1e+09, got 0",
       [](TrainConfig* t) { t->mutable_distill()->add_stage_budgets(0); }},
      {"train.distill.stage_budgets[2] must be > 0 and <= 1e+09, got nan",
       [](TrainConfig* t) {
         t->mutable_distill()->add_stage_budgets(1);
         t->mutable_distill()->add_stage_budgets(2);
         t->mutable_distill()->add_stage_budgets(std::nan(""));
       }},
      {"train.distill.paradigm STAGE_BY_STAGE needs method LASNN, got FEATURE_KD",
       [](TrainConfig* t) {
         t->mutable_distill()->set_method(DistillConfig::FEATURE_KD);
         t->mutable_distill()->set_paradigm(DistillConfig::STAGE_BY_STAGE);
       }},
      {"train.distill.beta must be > 0 for paradigm STAGE_BY_STAGE",
       [](TrainConfig* t) {
         t->mutable_distill()->set_paradigm(DistillConfig::STAGE_BY_STAGE);
         t->mutable_distill()->set_beta(0);
       }},
      {"train.distill.attention_pair_weights[0] must be > 0 for paradigm STAGE_BY_STAGE",
       [](TrainConfig* t) {
         t->mutable_distill()->set_paradigm(DistillConfig::STAGE_BY_STAGE);
         t->mutable_distill()->add_attention_pair_weights(0);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expected);
    TrainConfig t;
    c.mutate(&t);
    EXPECT_THAT(ValidateTrainConfig(t),
                StatusIs(absl::StatusCode::kInvalidArgument, ::testing::StartsWith(c.expected)));
  }
}

TEST(TrainConfigValidationTest, ViolationPathIsUnderTheGivenPrefix) {
  TrainConfig t;
  t.mutable_schedule()->set_warmup_epochs(t.epochs() + 1);
  std::optional<FieldViolation> e = FindTrainConfigViolation(t, "teacher.train");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->path, "teacher.train.schedule.warmup_epochs");
  EXPECT_THAT(e->message, HasSubstr("must be in [0, epochs=10]"));
  EXPECT_FALSE(FindTrainConfigViolation(TrainConfig(), "x").has_value());
}

TEST(TrainConfigValidationTest, ViolationUnderKeepsALeadingPathOnly) {
  FieldViolation v = ViolationUnder(
      "student", absl::InvalidArgumentError("layers[2].conv.out_channels must be > 0"));
  EXPECT_EQ(v.path, "student.layers[2].conv.out_channels");
  EXPECT_EQ(v.message, "must be > 0");
  v = ViolationUnder("student", absl::InvalidArgumentError("input: 9e9 values per sample"));
  EXPECT_EQ(v.path, "student");
  EXPECT_EQ(v.message, "is invalid: input: 9e9 values per sample");
}

TEST(TrainConfigValidationTest, RunConfigNeedsAValidModelAndATeacherToDistill) {
  EXPECT_THAT(ValidateTrainRunConfig(DirectRun()), IsOk());

  TrainRunConfig c = DirectRun();
  c.clear_model();
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("model must be set")));

  c = DirectRun();
  *c.mutable_model() = TinySpec(/*out_channels=*/0);
  EXPECT_THAT(ValidateTrainRunConfig(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("model.layers[0].conv.out_channels")));

  c = DirectRun();
  c.mutable_train()->set_timesteps(4096);
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("train.timesteps must be in [1, 1024], got 4096")));

  c = DirectRun();
  c.mutable_train()->mutable_distill()->set_method(DistillConfig::LASNN);
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("teacher must be set for train.distill.method LASNN")));
  *c.mutable_teacher() = TinySpec(/*out_channels=*/0);
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("teacher.layers[0].conv.out_channels")));
  *c.mutable_teacher() = TinySpec(8);
  EXPECT_THAT(ValidateTrainRunConfig(c), IsOk());
}

// A student and a teacher sharing 8x8, 4x4 and 2x2 maps (taps stage1..stage3 on both sides).
ModelSpec ThreeStageSpec(int width) {
  ModelSpec spec = TinySpec(width);
  spec.clear_layers();
  for (int i = 0; i < 3; ++i) {
    spec.add_layers()->mutable_conv()->set_out_channels(width);
    spec.add_layers()->mutable_activation();
    spec.add_layers()->mutable_pool();
  }
  spec.add_layers()->mutable_flatten();
  spec.add_layers()->mutable_linear()->set_out_features(4);
  return spec;
}

TrainRunConfig LasnnRun() {
  TrainRunConfig c;
  *c.mutable_model() = ThreeStageSpec(4);
  *c.mutable_teacher() = ThreeStageSpec(8);
  c.mutable_train()->mutable_distill()->set_method(DistillConfig::LASNN);
  return c;
}

TEST(TrainConfigValidationTest, PairCountsAreCheckedAgainstTheModels) {
  // 8x8 and 4x4 pair; 2x2 is below the default minimum of 4.
  TrainRunConfig c = LasnnRun();
  EXPECT_THAT(ValidateTrainRunConfig(c), IsOk());
  DistillConfig* d = c.mutable_train()->mutable_distill();
  d->add_attention_pair_weights(1);
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(
                           HasSubstr("train.distill.attention_pair_weights has 1 entries, but "
                                     "there are 2 attention pairs"),
                           HasSubstr("stage1 <-> stage1 8x8, stage2 <-> stage2 4x4"))));
  d->add_attention_pair_weights(2);
  EXPECT_THAT(ValidateTrainRunConfig(c), IsOk());
  d->set_attention_min_size(0);  // now 2x2 pairs too: three pairs
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("there are 3 attention pairs")));
  d->clear_attention_pair_weights();

  d->set_paradigm(DistillConfig::STAGE_BY_STAGE);
  d->add_stage_budgets(1);
  d->add_stage_budgets(1);
  d->add_stage_budgets(2);
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("train.distill.stage_budgets has 3 entries, but STAGE_BY_STAGE "
                                 "needs 4: one per attention pair")));
  d->set_attention_min_size(4);
  EXPECT_THAT(ValidateTrainRunConfig(c), IsOk());
  d->clear_stage_budgets();  // equal shares
  EXPECT_THAT(ValidateTrainRunConfig(c), IsOk());
  // Other paradigms ignore stage_budgets.
  d->set_paradigm(DistillConfig::JOINT);
  d->add_stage_budgets(1);
  EXPECT_THAT(ValidateTrainRunConfig(c), IsOk());

  d->set_attention_min_size(16);
  EXPECT_THAT(ValidateTrainRunConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("train.distill.attention_min_size leaves no attention pair")));
}

TEST(TrainConfigValidationTest, OldParadigmNameStillParsesAndIsTheCurriculum) {
  DistillConfig::Paradigm p = DistillConfig::JOINT;
  ASSERT_TRUE(DistillConfig::Paradigm_Parse("STAGEWISE", &p));
  EXPECT_EQ(p, DistillConfig::CURRICULUM);
  EXPECT_EQ(DistillConfig::Paradigm_Name(p), "CURRICULUM");
}

TEST(TrainConfigValidationTest, OldEnumNamesAreNamedWithTheirFieldAndNewName) {
  const std::string text = R"pb(
    # paradigm: STAGEWISE in a comment is not a use
    model { name: "STAGEWISE" }
    train {
      distill { paradigm: STAGEWISE beta: 1 }
    }
  )pb";
  const std::vector<std::string> warnings =
      DeprecatedNameWarnings(text, "run.textproto", TrainRunConfig::descriptor());
  ASSERT_EQ(warnings.size(), 1u) << ::testing::PrintToString(warnings);
  EXPECT_EQ(warnings[0],
            "run.textproto:5:27: train.distill.paradigm: STAGEWISE is the old name of CURRICULUM "
            "(same behaviour); write CURRICULUM");
  EXPECT_TRUE(DeprecatedNameWarnings("train { distill { paradigm: CURRICULUM } }", "x",
                                     TrainRunConfig::descriptor())
                  .empty());
}

}  // namespace
}  // namespace lasnn
