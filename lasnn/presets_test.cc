#include "lasnn/presets.h"

#include <map>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lasnn/model_spec.h"

namespace lasnn {
namespace {

using google::protobuf::util::MessageDifferencer;

TEST(PresetsTest, EveryPresetValidatesAndRoundTripsThroughText) {
  for (const std::string& name : PresetNames()) {
    SCOPED_TRACE(name);
    auto spec = PresetModelSpec(name);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->name(), name);
    const std::string text = ModelSpecToText(*spec);
    auto parsed = ParseModelSpecText(text, name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*spec, *parsed)) << text;
    EXPECT_EQ(ModelSpecToText(*parsed), text);
  }
}

TEST(PresetsTest, ParameterCountsAndTaps) {
  // Counted by hand from the layer lists in presets.h (conv + BN affine + linear weights/bias).
  const std::map<std::string, int64_t> expected = {
      {"fmnist_cnn", (9 * 32 + 64) + (32 * 9 * 64 + 128) + (3136 * 128 + 128) + (128 * 10 + 10)},
      {"fmnist_vgg", (9 * 32 + 64) + (32 * 9 * 32 + 64) + (32 * 9 * 64 + 128) +
                         (64 * 9 * 64 + 128) + (3136 * 256 + 256) + (256 * 10 + 10)},
  };
  for (const auto& [name, count] : expected) {
    auto plan = PlanModel(*PresetModelSpec(name));
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->num_parameters, count) << name;
  }
  const int64_t teacher = PlanModel(*PresetModelSpec("fmnist_vgg"))->num_parameters;
  for (const char* student : {"fmnist_student_small", "fmnist_student_deeper"}) {
    auto plan = PlanModel(*PresetModelSpec(student));
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_LE(2 * plan->num_parameters, teacher) << student;
    ASSERT_EQ(plan->taps.size(), 2u) << student;
    EXPECT_EQ(plan->taps[0].shape[1], 28);
    EXPECT_EQ(plan->taps[1].shape[1], 14);
  }
  // ResNet-19 as in TET: 128-256-512 at 32, 16, 8.
  auto r19 = PlanModel(*PresetModelSpec("resnet19"));
  ASSERT_TRUE(r19.ok()) << r19.status();
  ASSERT_EQ(r19->taps.size(), 3u);
  EXPECT_EQ(r19->taps[0].shape, (FeatureShape{128, 32, 32}));
  EXPECT_EQ(r19->taps[2].shape, (FeatureShape{512, 8, 8}));
  // VGG-16 at 64x64: five resolutions.
  PresetOptions tiny;
  tiny.height = 64;
  tiny.width = 64;
  tiny.num_classes = 200;
  auto v16 = PlanModel(*PresetModelSpec("vgg16", tiny));
  ASSERT_TRUE(v16.ok()) << v16.status();
  ASSERT_EQ(v16->taps.size(), 5u);
  EXPECT_EQ(v16->taps[0].shape, (FeatureShape{64, 64, 64}));
  EXPECT_EQ(v16->taps[4].shape, (FeatureShape{512, 4, 4}));
}

TEST(PresetsTest, PrintsParameterCounts) {
  for (const std::string& name : PresetNames()) {
    for (double m : {1.0, 0.5}) {
      PresetOptions o;
      o.width_multiplier = m;
      auto spec = PresetModelSpec(name, o);
      ASSERT_TRUE(spec.ok()) << spec.status();
      auto plan = PlanModel(*spec);
      ASSERT_TRUE(plan.ok()) << plan.status();
      std::printf("%-22s width %.2f  params %10lld  taps %zu  spiking layers %d\n", name.c_str(),
                  m, static_cast<long long>(plan->num_parameters), plan->taps.size(),
                  plan->num_activations);
    }
  }
}

TEST(PresetsTest, OptionsThatDoNotFitAreInvalid) {
  PresetOptions o;
  o.height = 16;
  o.width = 16;
  auto spec = PresetModelSpec("vgg16", o);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << spec.status();
  EXPECT_EQ(PresetModelSpec("vgg99").status().code(), absl::StatusCode::kNotFound);
}

TEST(PresetsTest, CheckedInConfigsParseValidateAndMatchPresets) {
  auto file = LoadModelSpecFile("benchmarks/configs/fmnist_cnn.textproto");
  ASSERT_TRUE(file.ok()) << file.status();
  auto preset = PresetModelSpec("fmnist_cnn");
  ASSERT_TRUE(preset.ok()) << preset.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*file, *preset))
      << ModelSpecToText(*file) << "\nvs preset\n" << ModelSpecToText(*preset);
}

}  // namespace
}  // namespace lasnn
