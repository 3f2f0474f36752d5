#include "lasnn/models/model_spec.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/presets.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

ModelSpec Parse(const std::string& text) {
  auto spec = ParseModelSpecText(text);
  EXPECT_THAT(spec, IsOk());
  return spec.ok() ? *spec : ModelSpec();
}

// A valid small net to break field by field.
constexpr char kSmall[] = R"pb(
  input { channels: 1 height: 28 width: 28 }
  num_classes: 10
  layers { conv { out_channels: 8 } }
  layers { activation {} }
  layers { pool { kind: MAX kernel_size: 2 } }
  layers { conv { out_channels: 16 } }
  layers { activation {} }
  layers { pool { kind: AVG kernel_size: 2 } }
  layers { flatten {} }
  layers { linear { out_features: 32 in_features: 784 } }
  layers { activation {} }
  layers { linear { out_features: 10 } }
)pb";

TEST(ModelSpecTest, SmallSpecPlansShapesTapsAndParameters) {
  auto plan = PlanModel(Parse(kSmall));
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->layers.size(), 10u);
  EXPECT_EQ(plan->layers[0].out_shape, (FeatureShape{8, 28, 28}));
  EXPECT_EQ(plan->layers[5].out_shape, (FeatureShape{16, 7, 7}));
  EXPECT_EQ(plan->layers[6].out_shape, (FeatureShape{784}));
  EXPECT_FALSE(plan->layers[0].bias);  // BN on: no conv bias
  ASSERT_EQ(plan->taps.size(), 2u);
  EXPECT_EQ(plan->taps[0].name, "stage1");
  EXPECT_EQ(plan->taps[0].shape, (FeatureShape{8, 28, 28}));
  EXPECT_EQ(plan->taps[0].layer_index, 1);
  EXPECT_EQ(plan->taps[1].name, "stage2");
  EXPECT_EQ(plan->taps[1].shape, (FeatureShape{16, 14, 14}));
  EXPECT_EQ(plan->num_activations, 3);
  const int64_t expected = (9 * 8 + 16) + (8 * 9 * 16 + 32) + (784 * 32 + 32) + (32 * 10 + 10);
  EXPECT_EQ(plan->num_parameters, expected);
}

TEST(ModelSpecTest, MissingOrNonPositiveFieldsAreNamed) {
  ModelSpec spec = Parse(kSmall);
  spec.mutable_layers(3)->mutable_conv()->set_out_channels(0);
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[3].conv.out_channels must be > 0")));

  spec = Parse(kSmall);
  spec.mutable_layers(3)->mutable_conv()->clear_out_channels();
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[3].conv.out_channels must be > 0")));

  spec = Parse(kSmall);
  spec.mutable_layers(0)->mutable_conv()->set_stride(-1);
  EXPECT_THAT(ValidateModelSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("layers[0].conv.stride must be > 0")));

  spec = Parse(kSmall);
  spec.mutable_input()->set_height(0);
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("input.height must be > 0")));

  spec = Parse(kSmall);
  spec.clear_input();
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("input must be set")));

  spec = Parse(kSmall);
  spec.clear_num_classes();
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_classes must be > 0")));

  spec = Parse(kSmall);
  spec.set_width_multiplier(0);
  EXPECT_THAT(ValidateModelSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("width_multiplier must be in (0, 64]")));

  spec = Parse(kSmall);
  spec.mutable_neuron()->set_decay(1.5);
  EXPECT_THAT(ValidateModelSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("neuron.decay must be in (0, 1]")));

  spec = Parse(kSmall);
  spec.mutable_neuron()->set_threshold(0);
  EXPECT_THAT(ValidateModelSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("neuron.threshold must be > 0")));

  spec = Parse(kSmall);
  spec.mutable_layers(2)->Clear();
  EXPECT_THAT(ValidateModelSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("layers[2] has no layer kind")));

  spec = Parse(kSmall);
  spec.mutable_layers(8)->mutable_dropout()->set_p(1.0);
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[8].dropout.p must be in [0, 1)")));
}

TEST(ModelSpecTest, AbsurdSizesAreRejectedBeforeAnyAllocation) {
  auto spec = ParseModelSpecText(kSmall);
  ASSERT_THAT(spec, IsOk());
  ModelSpec s = *spec;
  s.mutable_layers(0)->mutable_conv()->set_out_channels(2000000000);
  EXPECT_THAT(ValidateModelSpec(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[0].conv.out_channels must be <= 1048576")));
  s = *spec;
  s.mutable_input()->set_height(1 << 20);
  EXPECT_THAT(ValidateModelSpec(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("input.height must be <= 65536")));
  s = *spec;
  s.mutable_layers(0)->mutable_conv()->set_kernel_size(1 << 14);
  EXPECT_THAT(ValidateModelSpec(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[0].conv.kernel_size must be <= 1024")));
  s = *spec;
  s.mutable_input()->set_height(60000);
  s.mutable_input()->set_width(60000);
  s.mutable_layers(0)->mutable_conv()->set_out_channels(1000);
  s.mutable_layers(9)->mutable_linear()->clear_in_features();
  EXPECT_THAT(ValidateModelSpec(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("values per sample")));
  s = *spec;
  s.set_width_multiplier(60);
  s.mutable_layers(0)->mutable_conv()->set_out_channels(1000000);
  EXPECT_THAT(ValidateModelSpec(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is too large")));
}

TEST(ModelSpecTest, ShapeErrorsAreClear) {
  ModelSpec spec = Parse(kSmall);
  spec.mutable_layers(7)->mutable_linear()->set_in_features(3000);
  EXPECT_THAT(
      ValidateModelSpec(spec),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("layers[7].linear.in_features is 3000 but the input has 784 features")));

  spec = Parse(kSmall);
  spec.mutable_layers(7)->mutable_linear()->clear_in_features();
  spec.mutable_layers(5)->mutable_pool()->set_kernel_size(14);  // 14x14 -> 1x1 fits
  ASSERT_TRUE(ValidateModelSpec(spec).ok());
  spec.mutable_layers(5)->mutable_pool()->set_kernel_size(15);
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[5].pool shrinks the 14x14 feature map below 1")));

  spec = Parse(kSmall);
  spec.mutable_input()->set_height(1);
  spec.mutable_input()->set_width(1);
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[2].pool shrinks the 1x1 feature map below 1")));

  spec = Parse(kSmall);
  spec.mutable_layers(6)->mutable_activation();  // flatten -> activation: linear sees a map
  EXPECT_THAT(ValidateModelSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("layers[7].linear needs a flat input")));

  spec = Parse(kSmall);
  spec.mutable_layers(9)->mutable_linear()->set_out_features(12);
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[9].linear.out_features is 12 but num_classes is 10")));

  spec = Parse(kSmall);
  spec.mutable_layers()->RemoveLast();
  EXPECT_THAT(ValidateModelSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layers[8] must be the linear classifier")));

  spec = Parse(kSmall);
  spec.mutable_resnet()->set_stem_channels(8);
  EXPECT_THAT(ValidateModelSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("set exactly one of layers and resnet")));
}

TEST(ModelSpecTest, ResNetFieldsAreNamed) {
  auto spec = PresetModelSpec("resnet18");
  ASSERT_THAT(spec, IsOk());
  ModelSpec bad = *spec;
  bad.mutable_resnet()->set_stage_widths(2, 0);
  EXPECT_THAT(ValidateModelSpec(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("resnet.stage_widths[2] must be > 0")));
  bad = *spec;
  bad.mutable_resnet()->add_blocks_per_stage(2);
  EXPECT_THAT(
      ValidateModelSpec(bad),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("resnet.blocks_per_stage has 5 entries but resnet.stage_widths has 4")));
  bad = *spec;
  bad.mutable_resnet()->clear_stage_widths();
  EXPECT_THAT(ValidateModelSpec(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("resnet.stage_widths must not be empty")));
}

TEST(ModelSpecTest, WidthMultiplierScalesHiddenWidthsNotTheClassifier) {
  ModelSpec spec = Parse(kSmall);
  spec.mutable_layers(7)->mutable_linear()->clear_in_features();
  spec.set_width_multiplier(0.5);
  auto plan = PlanModel(spec);
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->layers[0].out_channels, 4);
  EXPECT_EQ(plan->layers[3].out_channels, 8);
  EXPECT_EQ(plan->layers[7].in_features, 8 * 7 * 7);
  EXPECT_EQ(plan->layers[7].out_features, 16);
  EXPECT_EQ(plan->layers[9].out_features, 10);
}

TEST(ModelSpecTest, ParseErrorsGiveLineAndColumn) {
  auto spec = ParseModelSpecText("num_classes: 10\nbogus_field: 3\n", "cfg.textproto");
  EXPECT_THAT(spec, StatusIs(absl::StatusCode::kInvalidArgument,
                             AllOf(HasSubstr("cfg.textproto:2:"), HasSubstr("bogus_field"))));
}

TEST(ModelSpecTest, LoadMissingFileIsNotFound) {
  auto spec = LoadModelSpecFile("/nonexistent/model.textproto");
  EXPECT_THAT(spec, StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace lasnn
