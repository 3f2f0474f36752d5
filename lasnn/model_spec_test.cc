#include "lasnn/model_spec.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lasnn/presets.h"

namespace lasnn {
namespace {

ModelSpec Parse(const std::string& text) {
  auto spec = ParseModelSpecText(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
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

void ExpectInvalid(const ModelSpec& spec, const std::string& fragment) {
  absl::Status s = ValidateModelSpec(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(std::string(s.message()).find(fragment), std::string::npos)
      << "message: " << s.message() << "\nexpected to contain: " << fragment;
}

TEST(ModelSpecTest, SmallSpecPlansShapesTapsAndParameters) {
  auto plan = PlanModel(Parse(kSmall));
  ASSERT_TRUE(plan.ok()) << plan.status();
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
  ExpectInvalid(spec, "layers[3].conv.out_channels must be > 0");

  spec = Parse(kSmall);
  spec.mutable_layers(3)->mutable_conv()->clear_out_channels();
  ExpectInvalid(spec, "layers[3].conv.out_channels must be > 0");

  spec = Parse(kSmall);
  spec.mutable_layers(0)->mutable_conv()->set_stride(-1);
  ExpectInvalid(spec, "layers[0].conv.stride must be > 0");

  spec = Parse(kSmall);
  spec.mutable_input()->set_height(0);
  ExpectInvalid(spec, "input.height must be > 0");

  spec = Parse(kSmall);
  spec.clear_input();
  ExpectInvalid(spec, "input must be set");

  spec = Parse(kSmall);
  spec.clear_num_classes();
  ExpectInvalid(spec, "num_classes must be > 0");

  spec = Parse(kSmall);
  spec.set_width_multiplier(0);
  ExpectInvalid(spec, "width_multiplier must be in (0, 64]");

  spec = Parse(kSmall);
  spec.mutable_neuron()->set_decay(1.5);
  ExpectInvalid(spec, "neuron.decay must be in (0, 1]");

  spec = Parse(kSmall);
  spec.mutable_neuron()->set_threshold(0);
  ExpectInvalid(spec, "neuron.threshold must be > 0");

  spec = Parse(kSmall);
  spec.mutable_layers(2)->Clear();
  ExpectInvalid(spec, "layers[2] has no layer kind");

  spec = Parse(kSmall);
  spec.mutable_layers(8)->mutable_dropout()->set_p(1.0);
  ExpectInvalid(spec, "layers[8].dropout.p must be in [0, 1)");
}

TEST(ModelSpecTest, AbsurdSizesAreRejectedBeforeAnyAllocation) {
  auto spec = ParseModelSpecText(kSmall);
  ASSERT_TRUE(spec.ok());
  ModelSpec s = *spec;
  s.mutable_layers(0)->mutable_conv()->set_out_channels(2000000000);
  ExpectInvalid(s, "layers[0].conv.out_channels must be <= 1048576");
  s = *spec;
  s.mutable_input()->set_height(1 << 20);
  ExpectInvalid(s, "input.height must be <= 65536");
  s = *spec;
  s.mutable_layers(0)->mutable_conv()->set_kernel_size(1 << 14);
  ExpectInvalid(s, "layers[0].conv.kernel_size must be <= 1024");
  s = *spec;
  s.mutable_input()->set_height(60000);
  s.mutable_input()->set_width(60000);
  s.mutable_layers(0)->mutable_conv()->set_out_channels(1000);
  s.mutable_layers(9)->mutable_linear()->clear_in_features();
  ExpectInvalid(s, "values per sample");
  s = *spec;
  s.set_width_multiplier(60);
  s.mutable_layers(0)->mutable_conv()->set_out_channels(1000000);
  ExpectInvalid(s, "is too large");
}

TEST(ModelSpecTest, ShapeErrorsAreClear) {
  ModelSpec spec = Parse(kSmall);
  spec.mutable_layers(7)->mutable_linear()->set_in_features(3000);
  ExpectInvalid(spec, "layers[7].linear.in_features is 3000 but the input has 784 features");

  spec = Parse(kSmall);
  spec.mutable_layers(7)->mutable_linear()->clear_in_features();
  spec.mutable_layers(5)->mutable_pool()->set_kernel_size(14);  // 14x14 -> 1x1 fits
  ASSERT_TRUE(ValidateModelSpec(spec).ok());
  spec.mutable_layers(5)->mutable_pool()->set_kernel_size(15);
  ExpectInvalid(spec, "layers[5].pool shrinks the 14x14 feature map below 1");

  spec = Parse(kSmall);
  spec.mutable_input()->set_height(1);
  spec.mutable_input()->set_width(1);
  ExpectInvalid(spec, "layers[2].pool shrinks the 1x1 feature map below 1");

  spec = Parse(kSmall);
  spec.mutable_layers(6)->mutable_activation();  // flatten -> activation: linear sees a map
  ExpectInvalid(spec, "layers[7].linear needs a flat input");

  spec = Parse(kSmall);
  spec.mutable_layers(9)->mutable_linear()->set_out_features(12);
  ExpectInvalid(spec, "layers[9].linear.out_features is 12 but num_classes is 10");

  spec = Parse(kSmall);
  spec.mutable_layers()->RemoveLast();
  ExpectInvalid(spec, "layers[8] must be the linear classifier");

  spec = Parse(kSmall);
  spec.mutable_resnet()->set_stem_channels(8);
  ExpectInvalid(spec, "set exactly one of layers and resnet");
}

TEST(ModelSpecTest, ResNetFieldsAreNamed) {
  auto spec = PresetModelSpec("resnet18");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ModelSpec bad = *spec;
  bad.mutable_resnet()->set_stage_widths(2, 0);
  ExpectInvalid(bad, "resnet.stage_widths[2] must be > 0");
  bad = *spec;
  bad.mutable_resnet()->add_blocks_per_stage(2);
  ExpectInvalid(bad, "resnet.blocks_per_stage has 5 entries but resnet.stage_widths has 4");
  bad = *spec;
  bad.mutable_resnet()->clear_stage_widths();
  ExpectInvalid(bad, "resnet.stage_widths must not be empty");
}

TEST(ModelSpecTest, WidthMultiplierScalesHiddenWidthsNotTheClassifier) {
  ModelSpec spec = Parse(kSmall);
  spec.mutable_layers(7)->mutable_linear()->clear_in_features();
  spec.set_width_multiplier(0.5);
  auto plan = PlanModel(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->layers[0].out_channels, 4);
  EXPECT_EQ(plan->layers[3].out_channels, 8);
  EXPECT_EQ(plan->layers[7].in_features, 8 * 7 * 7);
  EXPECT_EQ(plan->layers[7].out_features, 16);
  EXPECT_EQ(plan->layers[9].out_features, 10);
}

TEST(ModelSpecTest, ParseErrorsGiveLineAndColumn) {
  auto spec = ParseModelSpecText("num_classes: 10\nbogus_field: 3\n", "cfg.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(spec.status().message()).find("cfg.textproto:2:"), std::string::npos)
      << spec.status();
  EXPECT_NE(std::string(spec.status().message()).find("bogus_field"), std::string::npos)
      << spec.status();
}

TEST(ModelSpecTest, LoadMissingFileIsNotFound) {
  auto spec = LoadModelSpecFile("/nonexistent/model.textproto");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace lasnn
