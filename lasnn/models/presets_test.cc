#include "lasnn/models/presets.h"

#include <map>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using google::protobuf::util::MessageDifferencer;

TEST(PresetsTest, EveryPresetValidatesAndRoundTripsThroughText) {
  for (const std::string& name : PresetNames()) {
    SCOPED_TRACE(name);
    auto spec = PresetModelSpec(name);
    ASSERT_THAT(spec, IsOk());
    EXPECT_EQ(spec->name(), name);
    const std::string text = ModelSpecToText(*spec);
    auto parsed = ParseModelSpecText(text, name);
    ASSERT_THAT(parsed, IsOk());
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
    ASSERT_THAT(plan, IsOk());
    EXPECT_EQ(plan->num_parameters, count) << name;
  }
  const int64_t teacher = PlanModel(*PresetModelSpec("fmnist_vgg"))->num_parameters;
  for (const char* student : {"fmnist_student_small", "fmnist_student_deeper"}) {
    auto plan = PlanModel(*PresetModelSpec(student));
    ASSERT_THAT(plan, IsOk());
    EXPECT_LE(2 * plan->num_parameters, teacher) << student;
    ASSERT_EQ(plan->taps.size(), 2u) << student;
    EXPECT_EQ(plan->taps[0].shape[1], 28);
    EXPECT_EQ(plan->taps[1].shape[1], 14);
  }
  // ResNet-19 as in TET: 128-256-512 at 32, 16, 8.
  auto r19 = PlanModel(*PresetModelSpec("resnet19"));
  ASSERT_THAT(r19, IsOk());
  ASSERT_EQ(r19->taps.size(), 3u);
  EXPECT_EQ(r19->taps[0].shape, (FeatureShape{128, 32, 32}));
  EXPECT_EQ(r19->taps[2].shape, (FeatureShape{512, 8, 8}));
  // VGG-16 at 64x64: five resolutions.
  PresetOptions tiny;
  tiny.height = 64;
  tiny.width = 64;
  tiny.num_classes = 200;
  auto v16 = PlanModel(*PresetModelSpec("vgg16", tiny));
  ASSERT_THAT(v16, IsOk());
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
      ASSERT_THAT(spec, IsOk());
      auto plan = PlanModel(*spec);
      ASSERT_THAT(plan, IsOk());
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
  EXPECT_THAT(spec, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PresetModelSpec("vgg99"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace lasnn
