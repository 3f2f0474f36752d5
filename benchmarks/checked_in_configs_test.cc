// Every checked-in suite and model config parses, validates and expands; the model configs equal
// the presets they document.
#include <string>

#include "benchmarks/experiment/experiment_config.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/presets.h"

namespace lasnn {
namespace {

using ::google::protobuf::util::MessageDifferencer;

TEST(CheckedInConfigsTest, SuitesParseAndExpand) {
  for (const char* name : {"fmnist", "fmnist_quick", "fmnist_full", "fmnist_regression",
                           "fmnist_paradigms", "cifar10", "cifar100", "tinyimagenet"}) {
    auto suite = LoadSuiteFile(std::string("benchmarks/suites/") + name + ".textproto");
    ASSERT_TRUE(suite.ok()) << name << ": " << suite.status();
    auto all = ExpandSuite(*suite);
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_GE(all->size(), 5u) << name;
  }
  auto fmnist = LoadSuiteFile("benchmarks/suites/fmnist.textproto");
  auto all = ExpandSuite(*fmnist);
  // 4 methods x 4 T on the small student, 2 x 4 on the deeper one, 5 conversions.
  EXPECT_EQ(all->size(), 16u + 8u + 5u);
  // Three paradigms x 3 seeds, and joint with the former attention loss x 3 seeds, all at T = 4
  // on one budget.
  auto paradigms = LoadSuiteFile("benchmarks/suites/fmnist_paradigms.textproto");
  ASSERT_TRUE(paradigms.ok()) << paradigms.status();
  auto runs = ExpandSuite(*paradigms);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 12u);
  for (const ExperimentConfig& r : *runs) {
    EXPECT_EQ(r.train().timesteps(), 4) << r.name();
    EXPECT_EQ(r.train().epochs(), 2) << r.name();
    EXPECT_EQ(r.train().max_steps_per_epoch(), 300) << r.name();
    EXPECT_EQ(r.train().distill().method(), DistillConfig::LASNN) << r.name();
  }
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
