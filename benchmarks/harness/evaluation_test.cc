#include "benchmarks/harness/evaluation.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "benchmarks/experiment/outcomes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

// Random 1x8x8 images of 4 classes, named fashion_mnist so the batcher normalises with that
// dataset's statistics.
datasets::Dataset Random(int64_t n, uint64_t seed) {
  at::manual_seed(seed);
  datasets::Dataset d;
  d.name = "fashion_mnist";
  d.split = "test";
  d.images = at::randint(0, 256, {n, 1, 8, 8}, at::kByte).contiguous();
  d.labels = at::randint(0, 4, {n}, at::kLong);
  d.num_classes = 4;
  return d;
}

ModelSpec Spec() {
  absl::StatusOr<ModelSpec> spec = ParseModelSpecText(R"pb(
    name: "tiny"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 4
    layers { conv { out_channels: 4 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 4 } }
  )pb");
  EXPECT_THAT(spec, IsOk());
  return *spec;
}

ExperimentConfig Config() {
  ExperimentConfig c;
  c.set_method(CONVERSION_ROBUST);
  c.mutable_conversion()->set_calibration_size(16);
  c.mutable_eval()->set_t_max(5);
  c.mutable_eval()->set_throughput_batch(4);
  c.mutable_eval()->set_latency_repeats(1);
  return c;
}

void ExpectOutcomesReproduce(const EvalOutcomes& o, const std::vector<double>& accuracy_at_t,
                             int64_t n) {
  EXPECT_EQ(o.first_image(), 0);
  EXPECT_EQ(o.num_images(), n);
  EXPECT_EQ(o.images_sha256().size(), 64u);
  ASSERT_EQ(o.predicted_at_t_size(), static_cast<int>(accuracy_at_t.size()));
  absl::StatusOr<std::vector<double>> acc = AccuracyFromOutcomes(o);
  ASSERT_THAT(acc, IsOk());
  EXPECT_EQ(*acc, accuracy_at_t);
}

TEST(EvaluationTest, SnnOutcomesReproduceItsAccuracyAtEveryT) {
  const datasets::Dataset test = Random(37, 1);
  at::manual_seed(2);
  absl::StatusOr<Model> model = BuildModel(Spec(), Mode::kSnn);
  ASSERT_THAT(model, IsOk());
  absl::StatusOr<SnnEvaluation> e =
      EvaluateSnn(*model, test, Config().eval(), /*eval_batch_size=*/10, c10::Device(c10::kCPU));
  ASSERT_THAT(e, IsOk());
  ASSERT_EQ(e->accuracy_at_t.size(), 5u);
  ExpectOutcomesReproduce(e->outcomes, e->accuracy_at_t, 37);
}

TEST(EvaluationTest, AnnAndConversionOutcomesReproduceTheirAccuracies) {
  const datasets::Dataset test = Random(29, 3);
  datasets::Dataset train = Random(40, 4);
  train.split = "train";
  at::manual_seed(5);
  absl::StatusOr<Model> ann = BuildModel(Spec(), Mode::kAnn);
  ASSERT_THAT(ann, IsOk());
  const ExperimentConfig c = Config();
  absl::StatusOr<TeacherResult> teacher = EvaluateAnn(*ann, Spec(), test, c);
  ASSERT_THAT(teacher, IsOk());
  ExpectOutcomesReproduce(teacher->outcomes(), {teacher->test_accuracy()}, 29);

  absl::StatusOr<ConvertedAnn> converted = ConvertAnn(*ann, train, c);
  ASSERT_THAT(converted, IsOk());
  absl::StatusOr<ConversionEvaluation> e = EvaluateConversion(*converted, test, c.eval());
  ASSERT_THAT(e, IsOk());
  ASSERT_EQ(e->accuracy_at_t.size(), 5u);
  ExpectOutcomesReproduce(e->outcomes, e->accuracy_at_t, 29);
  // Same images as the ANN's evaluation.
  EXPECT_EQ(e->outcomes.images_sha256(), teacher->outcomes().images_sha256());
  EXPECT_EQ(e->outcomes.labels(), teacher->outcomes().labels());
}

}  // namespace
}  // namespace lasnn
