#include "benchmarks/experiment/experiment_config.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/training/train_config_validation.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

constexpr char kStudent[] = R"pb(
  name: "s"
  input { channels: 1 height: 8 width: 8 }
  num_classes: 10
  layers { conv { out_channels: 4 } }
  layers { activation {} }
  layers { flatten {} }
  layers { linear { out_features: 10 } }
)pb";

std::string Experiment(const std::string& extra) {
  return std::string("data { kind: DATASET_KIND_FASHION_MNIST }\n") + "teacher { model {" +
         kStudent + "} train { epochs: 1 } }\n" + "student {" + kStudent + "}\n" +
         "train { epochs: 1 timesteps: 4 }\n" + extra;
}

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// "<line>:<column>" (1-based) of the first `needle` in `text`.
std::string PositionOf(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  const size_t line_start = text.rfind('\n', at);
  const size_t column = line_start == std::string::npos ? at + 1 : at - line_start;
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return absl::StrCat(line, ":", column);
}

TEST(ExperimentConfigTest, ParsesAndValidates) {
  auto c = ParseExperimentText(Experiment("method: LASNN_JOINT"), "x.textproto");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->method(), LASNN_JOINT);
}

TEST(ExperimentConfigTest, UnknownFieldIsAnErrorWithFileLineColumn) {
  auto c = ParseExperimentText(
      "data { kind: DATASET_KIND_FASHION_MNIST }\nmethod: DIRECT\n"
      "no_such_field: 3\n",
      "x.textproto");
  EXPECT_THAT(c,
              StatusIs(kInvalid, AllOf(HasSubstr("x.textproto:3:"), HasSubstr("no_such_field"))));
}

TEST(ExperimentConfigTest, OutOfRangeValueNamesFieldAndPosition) {
  const std::string prefix = Experiment("method: DIRECT\neval {\n");
  int lines_before = 0;
  for (char ch : prefix) lines_before += ch == '\n';
  auto c = ParseExperimentText(prefix + "  t_max: 99999\n}\n", "x.textproto");
  EXPECT_THAT(c,
              StatusIs(kInvalid, HasSubstr(absl::StrCat("x.textproto:", lines_before + 1,
                                                        ":3: eval.t_max must be in [0, 4096]"))));

  std::string lr = Experiment("method: DIRECT\n");
  lr.replace(lr.find("train { epochs: 1 timesteps: 4 }"), 32,
             "train { epochs: 1 timesteps: 4 optimizer { lr: -1 } }");
  EXPECT_THAT(ParseExperimentText(lr, "y.textproto"),
              StatusIs(kInvalid, HasSubstr("train.optimizer.lr must be > 0")));
}

TEST(ExperimentConfigTest, NestedModelSpecErrorsCarryTheirPath) {
  std::string bad = Experiment("method: DIRECT");
  bad.replace(bad.rfind("out_channels: 4"), 15, "out_channels: 0");
  EXPECT_THAT(ParseExperimentText(bad, "z.textproto"),
              StatusIs(kInvalid, HasSubstr("student.layers[0].conv.out_channels")));
}

TEST(ExperimentConfigTest, MissingMethodAndTeacherAreErrors) {
  EXPECT_THAT(ParseExperimentText("data { kind: DATASET_KIND_FASHION_MNIST }", "a"),
              StatusIs(kInvalid, HasSubstr("method must be set")));
  EXPECT_THAT(ParseExperimentText("data { kind: DATASET_KIND_FASHION_MNIST } method: "
                                  "CONVERSION_MAX",
                                  "b"),
              StatusIs(kInvalid, HasSubstr("teacher needs exactly one of")));
}

TEST(ExperimentConfigTest, ReferenceWeightsNeedTheirTrainingAndAChecksum) {
  const std::string sha(64, 'a');
  const std::string ok = absl::StrCat(
      "data { kind: DATASET_KIND_FASHION_MNIST }\nmethod: QCFS\nteacher { model {", kStudent,
      "} train { epochs: 1 } reference { file: \"t.safetensors\" sha256: \"", sha,
      "\" } }\nconversion { qcfs_reference { file: \"q.safetensors\" sha256: \"", sha,
      "\" } }\n");
  absl::StatusOr<ExperimentConfig> c = ParseExperimentText(ok, "ok");
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(ResolveExperiment(*c).conversion().has_qcfs_reference());
  // Another conversion drops the QCFS reference, as it drops qcfs_train.
  c->set_method(CONVERSION_MAX);
  EXPECT_FALSE(ResolveExperiment(*c).conversion().has_qcfs_reference());

  std::string no_train = ok;
  no_train.replace(no_train.find(" train { epochs: 1 }"), 20, "");
  EXPECT_THAT(ParseExperimentText(no_train, "f"),
              StatusIs(kInvalid, HasSubstr("teacher.reference needs teacher.train")));
  std::string bad_sha = ok;
  bad_sha.replace(bad_sha.find(sha), 64, "ABC");
  EXPECT_THAT(ParseExperimentText(bad_sha, "f"),
              StatusIs(kInvalid, AllOf(HasSubstr("teacher.reference.sha256"),
                                       HasSubstr("64 lowercase hex digits, got 'ABC'"))));
  std::string no_file = ok;
  no_file.replace(no_file.find("file: \"q.safetensors\""), 21, "");
  EXPECT_THAT(ParseExperimentText(no_file, "f"),
              StatusIs(kInvalid, HasSubstr("conversion.qcfs_reference.file must be set")));
}

TEST(ExperimentConfigTest, FromScratchDropsEveryReference) {
  SuiteConfig suite;
  suite.mutable_base()->mutable_teacher()->mutable_reference()->set_file("a");
  suite.mutable_base()->mutable_teacher()->mutable_train()->set_epochs(2);
  suite.add_grids()->mutable_overrides()->mutable_conversion()->mutable_qcfs_reference()->set_file(
      "b");
  suite.add_grids()->add_timesteps(4);
  DropReferenceWeights(suite);
  EXPECT_FALSE(suite.base().teacher().has_reference());
  EXPECT_EQ(suite.base().teacher().train().epochs(), 2);
  EXPECT_FALSE(suite.grids(0).overrides().has_conversion());
  EXPECT_FALSE(suite.grids(1).has_overrides());
}

TEST(ExperimentConfigTest, ResolutionFillsMethodDefaultsAndHashIgnoresNameAndPath) {
  auto c = ParseExperimentText(Experiment("method: LASNN_CURRICULUM seed: 7"), "x");
  ASSERT_THAT(c, IsOk());
  ExperimentConfig r = ResolveExperiment(*c);
  EXPECT_EQ(r.train().distill().method(), DistillConfig::LASNN);
  EXPECT_EQ(r.train().distill().paradigm(), DistillConfig::CURRICULUM);
  EXPECT_EQ(r.train().seed(), 7u);
  EXPECT_EQ(r.eval().t_max(), 4);
  ExperimentConfig renamed = r;
  renamed.set_name("other");
  renamed.mutable_data()->set_path("/somewhere/else");
  EXPECT_EQ(ConfigHash(r), ConfigHash(renamed));
  ExperimentConfig other_seed = r;
  other_seed.set_seed(8);
  EXPECT_NE(ConfigHash(r), ConfigHash(other_seed));
  EXPECT_EQ(ConfigHash(r).size(), 16u);

  auto conv = ParseExperimentText(Experiment("method: CONVERSION_MAX"), "x");
  ASSERT_THAT(conv, IsOk());
  ExperimentConfig rc = ResolveExperiment(*conv);
  EXPECT_FALSE(rc.has_student());
  EXPECT_FALSE(rc.has_train());
  EXPECT_EQ(rc.eval().t_max(), 256);
  auto qcfs = ParseExperimentText(Experiment("method: QCFS"), "x");
  ASSERT_THAT(qcfs, IsOk());
  EXPECT_EQ(ResolveExperiment(*qcfs).eval().t_max(), 64);
  EXPECT_EQ(ResolveExperiment(*qcfs).conversion().qcfs_train().epochs(), 1);
}

// Both readings of LaSNN's layer-wise paradigm are methods; the old name of the curriculum still
// reads (as LASNN_CURRICULUM, with a warning naming the field and the new name).
TEST(ExperimentConfigTest, LasnnParadigmsResolveAndTheOldNameStillReads) {
  const std::vector<std::pair<std::string, DistillConfig::Paradigm>> cases = {
      {"LASNN_JOINT", DistillConfig::JOINT},
      {"LASNN_CURRICULUM", DistillConfig::CURRICULUM},
      {"LASNN_STAGEWISE", DistillConfig::CURRICULUM},
      {"LASNN_STAGE_BY_STAGE", DistillConfig::STAGE_BY_STAGE}};
  for (const auto& [name, paradigm] : cases) {
    SCOPED_TRACE(name);
    auto c = ParseExperimentText(Experiment("method: " + name), "x");
    ASSERT_THAT(c, IsOk());
    EXPECT_TRUE(IsTrainedMethod(c->method()));
    const ExperimentConfig r = ResolveExperiment(*c);
    EXPECT_EQ(r.train().distill().method(), DistillConfig::LASNN);
    EXPECT_EQ(r.train().distill().paradigm(), paradigm);
    // The attention loss's settings are written out in the resolved config.
    EXPECT_TRUE(r.train().distill().has_attention_normalization());
    EXPECT_EQ(r.train().distill().attention_min_size(), 4);
    EXPECT_TRUE(r.train().distill().has_attention_min_size());
    EXPECT_EQ(r.train().distill().beta(), 10.0);
    EXPECT_TRUE(r.train().distill().has_beta());
  }
  EXPECT_EQ(MethodKey(LASNN_STAGEWISE), "lasnn_curriculum");
  EXPECT_EQ(MethodKey(LASNN_STAGE_BY_STAGE), "lasnn_stage_by_stage");
  auto parsed = ParseMethodKey("lasnn_stagewise");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, LASNN_CURRICULUM);
  const std::string suite = "name: \"s\"\ngrids { methods: [LASNN_JOINT, LASNN_STAGEWISE] }\n";
  EXPECT_EQ(DeprecatedNameWarnings(suite, "s.textproto", SuiteConfig::descriptor()),
            std::vector<std::string>({"s.textproto:2:32: grids.methods: LASNN_STAGEWISE is the old "
                                      "name of LASNN_CURRICULUM (same behaviour); write "
                                      "LASNN_CURRICULUM"}));
}

// STAGE_BY_STAGE's budgets are checked against the student's and teacher's pairs (one here: 8x8)
// when the experiment is read, before any training.
TEST(ExperimentConfigTest, StageBudgetsAreCheckedAgainstThePairs) {
  auto text = [](const std::string& distill) {
    return std::string("data { kind: DATASET_KIND_FASHION_MNIST }\n") + "teacher { model {" +
           kStudent + "} train { epochs: 1 } }\n" + "student {" + kStudent + "}\n" +
           "train { epochs: 1 timesteps: 4 distill { " + distill + " } }\n" +
           "method: LASNN_STAGE_BY_STAGE\n";
  };
  EXPECT_THAT(ParseExperimentText(text("stage_budgets: [1, 3]"), "x"), IsOk());
  const std::string bad = text("stage_budgets: [1, 1, 1]");
  EXPECT_THAT(ParseExperimentText(bad, "x"),
              StatusIs(kInvalid, AllOf(HasSubstr("x:" + PositionOf(bad, "stage_budgets")),
                                       HasSubstr("train.distill.stage_budgets has 3 entries, but "
                                                 "STAGE_BY_STAGE needs 2"))));
  EXPECT_THAT(ParseExperimentText(text("beta: 0"), "x"),
              StatusIs(kInvalid, HasSubstr("train.distill.beta must be > 0 for paradigm "
                                           "STAGE_BY_STAGE")));
  // Joint ignores the budgets.
  std::string joint = text("stage_budgets: [1, 1, 1]");
  joint.replace(joint.find("LASNN_STAGE_BY_STAGE"), 20, "LASNN_JOINT");
  EXPECT_THAT(ParseExperimentText(joint, "x"), IsOk());
}

TEST(ExperimentConfigTest, ConversionVariantsAreFixedByTheMethodAndRecordedWhenResolved) {
  struct Want {
    Method method;
    bool reset_by_subtraction;
    double init_membrane;
    ConversionConfig::PercentileOf percentile_of;  // UNSPECIFIED: no percentile
  };
  const Want wants[] = {
      {CONVERSION_MAX, true, 0, ConversionConfig::PERCENTILE_OF_UNSPECIFIED},
      {CONVERSION_MAX_AS_PUBLISHED, false, 0, ConversionConfig::PERCENTILE_OF_UNSPECIFIED},
      {CONVERSION_ROBUST, true, 0, ConversionConfig::ALL_ACTIVATIONS},
      {CONVERSION_ROBUST_PER_CHANNEL, true, 0, ConversionConfig::ALL_ACTIVATIONS},
      {CONVERSION_ROBUST_AS_PUBLISHED, true, 0, ConversionConfig::NONZERO_ACTIVATIONS},
      {SPIKE_NORM, true, 0, ConversionConfig::PERCENTILE_OF_UNSPECIFIED},
      {SPIKE_NORM_AS_PUBLISHED, false, 0, ConversionConfig::PERCENTILE_OF_UNSPECIFIED},
      {QCFS, true, 0.5, ConversionConfig::PERCENTILE_OF_UNSPECIFIED},
  };
  for (const Want& w : wants) {
    const std::string key = MethodKey(w.method);
    auto c = ParseExperimentText(Experiment(absl::StrCat("method: ", Method_Name(w.method))), "x");
    ASSERT_THAT(c, IsOk()) << key;
    const ConversionConfig r = ResolveExperiment(*c).conversion();
    EXPECT_TRUE(r.has_reset_by_subtraction()) << key;
    EXPECT_EQ(r.reset_by_subtraction(), w.reset_by_subtraction) << key;
    EXPECT_EQ(r.init_membrane(), w.init_membrane) << key;
    EXPECT_TRUE(r.has_init_membrane()) << key;
    EXPECT_EQ(r.percentile_of(), w.percentile_of) << key;
    EXPECT_EQ(r.has_percentile(), w.percentile_of != ConversionConfig::PERCENTILE_OF_UNSPECIFIED)
        << key;
    EXPECT_EQ(r.has_spike_norm_timesteps(),
              w.method == SPIKE_NORM || w.method == SPIKE_NORM_AS_PUBLISHED)
        << key;
    const ConversionVariant v = ConversionVariantOf(w.method);
    EXPECT_EQ(v.reset_by_subtraction, w.reset_by_subtraction) << key;
    EXPECT_EQ(v.init_membrane, w.init_membrane) << key;
    EXPECT_EQ(v.percentile_of, w.percentile_of) << key;
    // The resolved config validates (a record's config is re-read and re-validated).
    EXPECT_THAT(ValidateExperiment(ResolveExperiment(*c)), IsOk()) << key;
  }
  // A value the method does not run with is an error naming the field and the method.
  EXPECT_THAT(ParseExperimentText(Experiment("method: QCFS\n"
                                             "conversion { reset_by_subtraction: false }"),
                                  "q.textproto"),
              StatusIs(kInvalid, AllOf(HasSubstr("q.textproto:"),
                                       HasSubstr("conversion.reset_by_subtraction is fixed by "
                                                 "method qcfs"),
                                       HasSubstr("must be true"))));
  EXPECT_THAT(ParseExperimentText(Experiment("method: CONVERSION_MAX_AS_PUBLISHED\n"
                                             "conversion { reset_by_subtraction: true }"),
                                  "m"),
              StatusIs(kInvalid, HasSubstr("must be false")));
  EXPECT_THAT(ParseExperimentText(Experiment("method: CONVERSION_ROBUST\n"
                                             "conversion { percentile_of: NONZERO_ACTIVATIONS }"),
                                  "r"),
              StatusIs(kInvalid, AllOf(HasSubstr("conversion.percentile_of"),
                                       HasSubstr("ALL_ACTIVATIONS"))));
  EXPECT_THAT(ParseExperimentText(Experiment("method: SPIKE_NORM\n"
                                             "conversion { init_membrane: 0.5 }"),
                                  "s"),
              StatusIs(kInvalid, HasSubstr("conversion.init_membrane")));
  // Agreeing values, and conversion settings under a trained method, are accepted.
  EXPECT_THAT(ParseExperimentText(Experiment("method: CONVERSION_ROBUST_AS_PUBLISHED\n"
                                             "conversion { percentile_of: NONZERO_ACTIVATIONS "
                                             "reset_by_subtraction: true init_membrane: 0 }"),
                                  "ok"),
              IsOk());
  EXPECT_THAT(ParseExperimentText(Experiment("method: LASNN_JOINT\n"
                                             "conversion { reset_by_subtraction: false }"),
                                  "trained"),
              IsOk());
}

TEST(ExperimentConfigTest, FiringRateImagesIsResolvedAndBounded) {
  auto c = ParseExperimentText(Experiment("method: CONVERSION_MAX"), "x");
  ASSERT_THAT(c, IsOk());
  ExperimentConfig r = ResolveExperiment(*c);
  EXPECT_TRUE(r.eval().has_firing_rate_images());
  EXPECT_EQ(r.eval().firing_rate_images(), 1000);
  EXPECT_THAT(ParseExperimentText(Experiment("method: DIRECT eval { firing_rate_images: 0 }"), "f"),
              StatusIs(kInvalid, HasSubstr("eval.firing_rate_images must be in [1,")));
}

// A latency code depends on its length: a latency-coded student is evaluated at its T only; a
// Poisson-coded one at any t_max.
TEST(ExperimentConfigTest, LatencyStudentsAreEvaluatedAtTheirT) {
  // Experiment(extra) with the student fed `kind`.
  const auto coded = [](const std::string& kind, const std::string& extra) {
    std::string text = Experiment(extra);
    const size_t at = text.find("student {") + std::string("student {").size();
    return text.insert(at, absl::StrCat(" encoder { kind: ", kind, " } "));
  };
  EXPECT_THAT(ParseExperimentText(coded("LATENCY", "method: DIRECT"), "l"), IsOk());
  EXPECT_THAT(ParseExperimentText(coded("LATENCY", "method: DIRECT eval { t_max: 8 }"), "l"),
              StatusIs(kInvalid, AllOf(HasSubstr("eval.t_max"), HasSubstr("latency-coded"))));
  EXPECT_THAT(
      ParseExperimentText(coded("LATENCY", "method: DIRECT eval { cost_timesteps: 2 }"), "l"),
      StatusIs(kInvalid, HasSubstr("eval.cost_timesteps[0]")));
  EXPECT_THAT(ParseExperimentText(coded("POISSON", "method: DIRECT eval { t_max: 8 }"), "p"),
              IsOk());
  // Conversions: RobustNorm and QCFS take a code; MaxNorm's and Spike-Norm's labels say analog.
  EXPECT_THAT(ParseExperimentText(
                  Experiment("method: CONVERSION_ROBUST conversion { encoder { kind: POISSON } }"),
                  "r"),
              IsOk());
  EXPECT_THAT(ParseExperimentText(
                  Experiment("method: CONVERSION_MAX conversion { encoder { kind: POISSON } }"),
                  "m"),
              StatusIs(kInvalid, HasSubstr("conversion.encoder must be DIRECT")));
}

TEST(ExperimentConfigTest, GridTeacherModelReplacesTheBaseTeacherModel) {
  const std::string suite_text =
      std::string("name: \"t\"\nbase {\n") + Experiment("seed: 1") + "}\n" +
      "grids { methods: [CONVERSION_MAX] overrides { teacher { model {\n"
      "  name: \"r\" input { channels: 1 height: 8 width: 8 } num_classes: 10\n"
      "  resnet { stem_channels: 2 stage_widths: 2 blocks_per_stage: 1 } } } } }\n";
  auto suite = ParseSuiteText(suite_text, "suite.textproto");
  ASSERT_THAT(suite, IsOk());
  auto all = ExpandSuite(*suite);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].teacher().model().has_resnet());
  EXPECT_EQ((*all)[0].teacher().model().layers_size(), 0);
  EXPECT_EQ((*all)[0].teacher().model().name(), "r");
  EXPECT_EQ((*all)[0].name(), "t/fashion_mnist/conversion_max/r/seed1");
}

TEST(ExperimentConfigTest, SuiteExpandsGridsDedupesConversionsAndShardsPartition) {
  const std::string suite_text = std::string("name: \"t\"\nbase {\n") + Experiment("seed: 1") +
                                 "}\n" + "grids {\n  students {" + kStudent + "}\n" +
                                 "  methods: [LASNN_JOINT, DIRECT]\n  timesteps: [1, 2, 4]\n"
                                 "  seeds: [1, 2]\n}\n"
                                 "grids {\n  methods: [CONVERSION_MAX, QCFS]\n"
                                 "  students {" +
                                 kStudent +
                                 "}\n  timesteps: [1, 2]\n"
                                 "  overrides { eval { test_subset: 100 } }\n}\n";
  auto suite = ParseSuiteText(suite_text, "suite.textproto");
  ASSERT_THAT(suite, IsOk());
  auto all = ExpandSuite(*suite);
  ASSERT_THAT(all, IsOk());
  // 2 methods x 2 seeds x 1 student x 3 T, then 2 conversions (student and T do not multiply).
  ASSERT_EQ(all->size(), 12u + 2u);
  EXPECT_EQ((*all)[0].name(), "t/fashion_mnist/lasnn_joint/s/T1/seed1");
  EXPECT_EQ((*all)[12].name(), "t/fashion_mnist/conversion_max/seed1");
  EXPECT_EQ((*all)[12].eval().test_subset(), 100);
  std::set<std::string> hashes;
  for (const auto& c : *all) hashes.insert(ConfigHash(c));
  EXPECT_EQ(hashes.size(), all->size());
  // Shards: disjoint, covering, deterministic.
  std::multiset<std::string> covered;
  for (int i = 0; i < 3; ++i) {
    for (const auto& c : SelectShard(*all, i, 3)) covered.insert(ConfigHash(c));
  }
  EXPECT_EQ(covered.size(), all->size());
  EXPECT_EQ(std::set<std::string>(covered.begin(), covered.end()), hashes);
  EXPECT_EQ(SelectShard(*all, 1, 3)[0].name(), (*all)[1].name());
  EXPECT_THAT(ParseShard("2/3"), IsOk());
  EXPECT_THAT(ParseShard("3/3"), StatusIs(kInvalid, HasSubstr("--shard must be i/n")));
  EXPECT_THAT(ParseShard("x"), StatusIs(kInvalid));
}

TEST(ExperimentConfigTest, AGridTooLargeIsRejectedBeforeExpanding) {
  // 100 seeds x 100 timesteps x 2 methods = 20000 per student; 6 students: 120000 experiments.
  std::string seeds, timesteps, students;
  for (int i = 1; i <= 100; ++i) {
    absl::StrAppend(&seeds, i > 1 ? ", " : "", i);
    absl::StrAppend(&timesteps, i > 1 ? ", " : "", i);
  }
  for (int i = 0; i < 6; ++i) absl::StrAppend(&students, "  students {", kStudent, "}\n");
  const std::string suite_text = std::string("name: \"big\"\nbase {\n") + Experiment("seed: 1") +
                                 "}\ngrids {\n" + students +
                                 "  methods: [LASNN_JOINT, DIRECT]\n  timesteps: [" + timesteps +
                                 "]\n  seeds: [" + seeds + "]\n}\n";
  // Parsing a suite expands it, so the file is rejected with the grid named.
  EXPECT_THAT(ParseSuiteText(suite_text, "big.textproto"),
              StatusIs(kInvalid, HasSubstr("big.textproto:2:1: grids[0]: the suite expands to "
                                           "more than 100000")));
}

TEST(ExperimentConfigTest, SuiteErrorsPointIntoTheFile) {
  EXPECT_THAT(ParseSuiteText("name: \"t\"\ngrids {\n  timesteps: [0]\n}\n", "s.textproto"),
              StatusIs(kInvalid, HasSubstr("s.textproto:3:3: grids[0].timesteps[0] must be in "
                                           "[1, 1024], got 0")));
  auto base_error =
      ParseSuiteText(std::string("name: \"t\"\nbase {\n") +
                         Experiment("method: DIRECT\nthreads: 0\n") + "}\ngrids { }\n",
                     "s.textproto");
  EXPECT_THAT(base_error, StatusIs(kInvalid, HasSubstr("threads must be in [1, 1024]")));
}

TEST(ExperimentConfigTest, TrainingBoundsAreTheTrainersAndPointIntoTheFile) {
  // The bounds come from lasnn/training/train_config_validation.h, which the trainer applies too.
  std::string text = Experiment("method: DIRECT\n");
  text.replace(text.find("train { epochs: 1 timesteps: 4 }"), 32,
               "train { epochs: 1 timesteps: 4 holdout_fraction: 0.75 }");
  EXPECT_THAT(ParseExperimentText(text, "h.textproto"),
              StatusIs(kInvalid, HasSubstr(absl::StrCat(
                                     "h.textproto:", PositionOf(text, "holdout_fraction"),
                                     ": train.holdout_fraction must be in [0, 0.5], got 0.75"))));
  // A field the experiment validator used not to check: the teacher's schedule.
  text = Experiment("method: LOGIT_KD\n");
  text.replace(text.find("train { epochs: 1 }"), 19, "train { epochs: 1 schedule { gamma: 2 } }");
  EXPECT_THAT(ParseExperimentText(text, "g.textproto"),
              StatusIs(kInvalid, HasSubstr("teacher.train.schedule.gamma must be in (0, 1]")));
  text = Experiment("method: DIRECT\n");
  text.replace(text.find("epochs: 1 timesteps: 4 }"), 24,
               "epochs: 1 timesteps: 4 "
               "optimizer { nesterov: true momentum: 0 } }");
  EXPECT_THAT(ParseExperimentText(text, "n.textproto"),
              StatusIs(kInvalid, HasSubstr("train.optimizer.nesterov needs")));
}

}  // namespace
}  // namespace lasnn
