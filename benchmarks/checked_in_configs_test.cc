// Every checked-in suite and model config parses, validates and expands; the model configs equal
// the presets they document; the reference weights a suite names are shipped, have the SHA-256
// it states and load into its models.
#include <string>
#include <vector>

#include "benchmarks/experiment/experiment_config.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/presets.h"
#include "lasnn/training/checkpoint.h"
#include "util/sha256.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr const char* kSuites[] = {"fmnist",           "fmnist_quick",     "fmnist_full",
                                   "fmnist_regression", "fmnist_paradigms", "fmnist_encodings",
                                   "fmnist_resnet",     "cifar10",          "cifar100",
                                   "tinyimagenet"};

// The experiments of benchmarks/suites/<name>.textproto.
std::vector<ExperimentConfig> Expanded(const std::string& name) {
  auto suite = LoadSuiteFile("benchmarks/suites/" + name + ".textproto");
  EXPECT_TRUE(suite.ok()) << name << ": " << suite.status();
  if (!suite.ok()) return {};
  auto all = ExpandSuite(*suite);
  EXPECT_TRUE(all.ok()) << name << ": " << all.status();
  return all.ok() ? *all : std::vector<ExperimentConfig>{};
}

TEST(CheckedInConfigsTest, SuitesParseAndExpand) {
  for (const char* name : kSuites) EXPECT_GE(Expanded(name).size(), 5u) << name;
  const std::vector<ExperimentConfig> all = Expanded("fmnist");
  // 3 methods x 3 seeds at T = 4, 6 conversions; every method on the same 2,000 test images.
  EXPECT_EQ(all.size(), 9u + 6u);
  for (const ExperimentConfig& c : all) EXPECT_EQ(c.eval().test_subset(), 2000) << c.name();
  // Three paradigms x 3 seeds, and joint with the former attention loss x 3 seeds, all at T = 4
  // on the main job's budget; its joint runs are the main job's experiments (names aside).
  const std::vector<ExperimentConfig> runs = Expanded("fmnist_paradigms");
  ASSERT_EQ(runs.size(), 12u);
  int joint_as_main = 0;
  for (const ExperimentConfig& r : runs) {
    EXPECT_EQ(r.train().timesteps(), 4) << r.name();
    EXPECT_EQ(r.train().epochs(), 2) << r.name();
    EXPECT_EQ(r.train().max_steps_per_epoch(), 600) << r.name();
    EXPECT_EQ(r.train().distill().method(), DistillConfig::LASNN) << r.name();
    EXPECT_EQ(r.eval().test_subset(), 2000) << r.name();
    for (ExperimentConfig m : all) {
      ExperimentConfig p = r;
      m.clear_name();
      p.clear_name();
      if (MessageDifferencer::Equals(m, p)) ++joint_as_main;
    }
  }
  EXPECT_EQ(joint_as_main, 3);

  // Encodings: LaSNN and direct x 3 seeds under Poisson (T = 8, 16), latency (T = 8) and direct
  // input (T = 8), and two conversions fed Poisson codes; every run on the same 2,000 images.
  int poisson = 0, latency = 0, direct = 0, converted = 0;
  for (const ExperimentConfig& r : Expanded("fmnist_encodings")) {
    EXPECT_EQ(r.eval().test_subset(), 2000) << r.name();
    if (r.method() == CONVERSION_ROBUST || r.method() == QCFS) {
      EXPECT_EQ(r.conversion().encoder().kind(), EncoderSpec::POISSON) << r.name();
      ++converted;
      continue;
    }
    switch (r.student().encoder().kind()) {
      case EncoderSpec::POISSON: ++poisson; break;
      case EncoderSpec::LATENCY: ++latency; break;
      default: ++direct;
    }
  }
  EXPECT_EQ(poisson, 12);
  EXPECT_EQ(latency, 6);
  EXPECT_EQ(direct, 6);
  EXPECT_EQ(converted, 2);
  // The ResNet teacher, converted by every baseline.
  const std::vector<ExperimentConfig> resnet = Expanded("fmnist_resnet");
  EXPECT_EQ(resnet.size(), 5u);
  for (const ExperimentConfig& r : resnet) {
    EXPECT_TRUE(r.teacher().model().has_resnet()) << r.name();
    EXPECT_EQ(r.eval().t_max(), 256) << r.name();
  }
}

// The shipped file of `reference` has its SHA-256 and loads into `spec`.
void ExpectShippedAndLoadable(const ReferenceWeights& reference, const ModelSpec& spec) {
  SCOPED_TRACE(reference.file());
  absl::StatusOr<std::string> sha = Sha256File(reference.file());
  ASSERT_THAT(sha, IsOk());
  EXPECT_EQ(*sha, reference.sha256());
  absl::StatusOr<Model> model = BuildModel(spec, Mode::kAnn);
  ASSERT_THAT(model, IsOk());
  EXPECT_THAT(LoadWeights(reference.file(), **model), IsOk());
}

TEST(CheckedInConfigsTest, ReferenceWeightsAreShippedWithTheirChecksums) {
  int references = 0;
  for (const char* name : kSuites) {
    for (const ExperimentConfig& c : Expanded(name)) {
      if (c.teacher().has_reference()) {
        ExpectShippedAndLoadable(c.teacher().reference(), c.teacher().model());
        ++references;
      }
      if (c.conversion().has_qcfs_reference()) {
        ModelSpec qcfs = c.teacher().model();  // as the harness derives the QCFS ANN
        qcfs.set_name(qcfs.name() + "_qcfs");
        qcfs.mutable_activation()->set_kind(ActivationSpec::QCFS);
        qcfs.mutable_activation()->set_qcfs_levels(c.conversion().qcfs_levels());
        ExpectShippedAndLoadable(c.conversion().qcfs_reference(), qcfs);
        ++references;
      }
    }
  }
  EXPECT_GT(references, 0);
}

TEST(CheckedInConfigsTest, ModelConfigsParseValidateAndMatchPresets) {
  auto file = LoadModelSpecFile("benchmarks/configs/fmnist_cnn.textproto");
  ASSERT_TRUE(file.ok()) << file.status();
  auto preset = PresetModelSpec("fmnist_cnn");
  ASSERT_TRUE(preset.ok()) << preset.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*file, *preset))
      << ModelSpecToText(*file) << "\nvs preset\n" << ModelSpecToText(*preset);
}

}  // namespace
}  // namespace lasnn
