#include "benchmarks/harness/evaluation.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "benchmarks/experiment/outcomes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/data_split.h"
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

TEST(EvaluationTest, SnnFiringRatesComeFromTheFirstFiringRateImages) {
  const datasets::Dataset test = Random(37, 13);
  at::manual_seed(14);
  absl::StatusOr<Model> model = BuildModel(Spec(), Mode::kSnn);
  ASSERT_THAT(model, IsOk());
  EvalConfig eval = Config().eval();
  eval.set_firing_rate_images(7);
  eval.add_cost_timesteps(3);
  const c10::Device cpu(c10::kCPU);
  absl::StatusOr<SnnEvaluation> all = EvaluateSnn(*model, test, eval, 10, cpu);
  absl::StatusOr<SnnEvaluation> first7 = EvaluateSnn(*model, TakeFirst(test, 7), eval, 10, cpu);
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT(first7, IsOk());
  ASSERT_EQ(all->costs.size(), 1u);
  ASSERT_EQ(first7->costs.size(), 1u);
  ASSERT_FALSE(all->costs[0].firing.empty());
  EXPECT_GT(all->costs[0].firing[0].rate, 0.0);
  for (size_t k = 0; k < all->costs[0].firing.size(); ++k) {
    EXPECT_EQ(all->costs[0].firing[k].rate, first7->costs[0].firing[k].rate) << k;
  }
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

// A Poisson-coded SNN, trained or converted: outcomes reproduce the accuracies, and an image's
// code depends on its index alone, so the first 7 images give the same firing rates whether or
// not more images are evaluated.
TEST(EvaluationTest, PoissonInputIsKeyedByImage) {
  const datasets::Dataset test = Random(37, 21);
  const c10::Device cpu(c10::kCPU);
  ModelSpec spec = Spec();
  spec.mutable_encoder()->set_kind(EncoderSpec::POISSON);
  at::manual_seed(22);
  absl::StatusOr<Model> snn = BuildModel(spec, Mode::kSnn);
  ASSERT_THAT(snn, IsOk());
  EvalConfig eval = Config().eval();
  eval.set_firing_rate_images(7);
  eval.add_cost_timesteps(3);
  absl::StatusOr<SnnEvaluation> all = EvaluateSnn(*snn, test, eval, 10, cpu, /*seed=*/4);
  absl::StatusOr<SnnEvaluation> first7 = EvaluateSnn(*snn, TakeFirst(test, 7), eval, 10, cpu, 4);
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT(first7, IsOk());
  ExpectOutcomesReproduce(all->outcomes, all->accuracy_at_t, 37);
  // Batches of 3 put the images at other positions: the same codes, the same predictions.
  absl::StatusOr<SnnEvaluation> small_batches = EvaluateSnn(*snn, test, eval, 3, cpu, 4);
  ASSERT_THAT(small_batches, IsOk());
  EXPECT_EQ(small_batches->outcomes.SerializeAsString(), all->outcomes.SerializeAsString());
  ASSERT_EQ(all->costs.size(), 1u);
  ASSERT_EQ(first7->costs.size(), 1u);
  EXPECT_GT(all->costs[0].firing[0].rate, 0.0);
  for (size_t k = 0; k < all->costs[0].firing.size(); ++k) {
    EXPECT_EQ(all->costs[0].firing[k].rate, first7->costs[0].firing[k].rate) << k;
  }
  // The input code's rate: about the mean pixel of the first 7 images (uniform in [0, 1]).
  EXPECT_EQ(all->costs[0].input_rate, first7->costs[0].input_rate);
  EXPECT_NEAR(all->costs[0].input_rate, 0.5, 0.1);
  absl::StatusOr<Model> direct = BuildModel(Spec(), Mode::kSnn);
  ASSERT_THAT(direct, IsOk());
  absl::StatusOr<SnnEvaluation> analog = EvaluateSnn(*direct, test, eval, 10, cpu);
  ASSERT_THAT(analog, IsOk());
  EXPECT_LT(analog->costs[0].input_rate, 0.0);

  datasets::Dataset train = Random(40, 23);
  train.split = "train";
  at::manual_seed(24);
  absl::StatusOr<Model> ann = BuildModel(Spec(), Mode::kAnn);
  ASSERT_THAT(ann, IsOk());
  ExperimentConfig c = Config();
  c.mutable_conversion()->mutable_encoder()->set_kind(EncoderSpec::POISSON);
  c.mutable_eval()->set_firing_rate_images(7);
  c.mutable_eval()->add_cost_timesteps(3);
  absl::StatusOr<ConvertedAnn> converted = ConvertAnn(*ann, train, c);
  ASSERT_THAT(converted, IsOk());
  EXPECT_EQ(converted->encoding, EncoderSpec::POISSON);
  absl::StatusOr<ConversionEvaluation> e = EvaluateConversion(*converted, test, c.eval());
  absl::StatusOr<ConversionEvaluation> e7 =
      EvaluateConversion(*converted, TakeFirst(test, 7), c.eval());
  ASSERT_THAT(e, IsOk());
  ASSERT_THAT(e7, IsOk());
  ExpectOutcomesReproduce(e->outcomes, e->accuracy_at_t, 37);
  ASSERT_EQ(e->firing.size(), e7->firing.size());
  for (size_t k = 0; k < e->firing.size(); ++k) EXPECT_EQ(e->firing[k].rate, e7->firing[k].rate);
  ASSERT_EQ(e->costs.size(), 1u);
  EXPECT_NEAR(e->costs[0].input_rate, 0.5, 0.1);
  // Another seed draws other trains.
  ConvertedAnn reseeded = *converted;
  reseeded.encoding_seed = 99;
  absl::StatusOr<ConversionEvaluation> other = EvaluateConversion(reseeded, test, c.eval());
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(other->firing[0].rate, e->firing[0].rate);
}

// The firing rates of each cost T, per layer.
std::vector<std::vector<double>> CostRates(const ConversionEvaluation& e) {
  std::vector<std::vector<double>> rates;
  for (const TimestepMeasurement& m : e.costs) {
    rates.emplace_back();
    for (const LayerRate& r : m.firing) rates.back().push_back(r.rate);
  }
  return rates;
}

TEST(EvaluationTest, ConversionFiringRatesComeFromTheFirstFiringRateImages) {
  const datasets::Dataset test = Random(29, 6);
  datasets::Dataset train = Random(40, 7);
  train.split = "train";
  at::manual_seed(8);
  absl::StatusOr<Model> ann = BuildModel(Spec(), Mode::kAnn);
  ASSERT_THAT(ann, IsOk());
  ExperimentConfig c = Config();
  c.mutable_eval()->set_firing_rate_images(7);
  c.mutable_eval()->add_cost_timesteps(3);  // within t_max = 5: from the accuracy simulation
  c.mutable_eval()->add_cost_timesteps(8);  // beyond it: a simulation of its own
  absl::StatusOr<ConvertedAnn> converted = ConvertAnn(*ann, train, c);
  ASSERT_THAT(converted, IsOk());
  absl::StatusOr<ConversionEvaluation> all = EvaluateConversion(*converted, test, c.eval());
  ASSERT_THAT(all, IsOk());
  // The same rates as an evaluation of those 7 images alone, whatever its timing batch.
  EvalConfig other_timing = c.eval();
  other_timing.set_throughput_batch(2);
  absl::StatusOr<ConversionEvaluation> first7 =
      EvaluateConversion(*converted, TakeFirst(test, 7), other_timing);
  ASSERT_THAT(first7, IsOk());
  ASSERT_EQ(all->costs.size(), 2u);
  ASSERT_EQ(all->firing.size(), 1u);
  EXPECT_GT(all->costs[0].firing[0].rate, 0.0);
  EXPECT_EQ(CostRates(*all), CostRates(*first7));
  EXPECT_EQ(all->firing[0].rate, first7->firing[0].rate);
  // A curve shorter than T = 3 takes its rates from a 3-step simulation: the same numbers.
  EvalConfig short_curve = c.eval();
  short_curve.set_t_max(2);
  absl::StatusOr<ConversionEvaluation> sim = EvaluateConversion(*converted, test, short_curve);
  ASSERT_THAT(sim, IsOk());
  EXPECT_EQ(CostRates(*sim), CostRates(*all));
}

TEST(EvaluationTest, ConvertAnnAppliesTheVariantItsMethodFixes) {
  datasets::Dataset train = Random(40, 9);
  train.split = "train";
  at::manual_seed(10);
  absl::StatusOr<Model> ann = BuildModel(Spec(), Mode::kAnn);
  ASSERT_THAT(ann, IsOk());
  ExperimentConfig c = Config();
  // The configs' reset_by_subtraction default (true) must not override a method's reset.
  c.set_method(CONVERSION_MAX_AS_PUBLISHED);
  absl::StatusOr<ConvertedAnn> max_published = ConvertAnn(*ann, train, c);
  ASSERT_THAT(max_published, IsOk());
  EXPECT_FALSE(max_published->snn.reset_by_subtraction);
  c.set_method(SPIKE_NORM_AS_PUBLISHED);
  c.mutable_conversion()->set_spike_norm_timesteps(4);
  absl::StatusOr<ConvertedAnn> spike_published = ConvertAnn(*ann, train, c);
  ASSERT_THAT(spike_published, IsOk());
  EXPECT_FALSE(spike_published->snn.reset_by_subtraction);
  c.set_method(SPIKE_NORM);
  absl::StatusOr<ConvertedAnn> spike = ConvertAnn(*ann, train, c);
  ASSERT_THAT(spike, IsOk());
  EXPECT_TRUE(spike->snn.reset_by_subtraction);
  // RobustNorm as published takes the percentile over the non-zero activations: a higher
  // threshold than with the ReLU's zeros included.
  c.set_method(CONVERSION_ROBUST);
  c.mutable_conversion()->set_percentile(50);
  absl::StatusOr<ConvertedAnn> robust = ConvertAnn(*ann, train, c);
  c.set_method(CONVERSION_ROBUST_AS_PUBLISHED);
  absl::StatusOr<ConvertedAnn> robust_published = ConvertAnn(*ann, train, c);
  ASSERT_THAT(robust, IsOk());
  ASSERT_THAT(robust_published, IsOk());
  EXPECT_TRUE(robust_published->snn.reset_by_subtraction);
  EXPECT_GT(robust_published->snn.thresholds[0].item<float>(),
            robust->snn.thresholds[0].item<float>());
}

TEST(EvaluationTest, QcfsConvertsWithHalfThresholdMembraneAndSubtraction) {
  ModelSpec spec = Spec();
  spec.mutable_activation()->set_kind(ActivationSpec::QCFS);
  spec.mutable_activation()->set_qcfs_levels(4);
  at::manual_seed(11);
  absl::StatusOr<Model> ann = BuildModel(spec, Mode::kAnn);
  ASSERT_THAT(ann, IsOk());
  ExperimentConfig c = Config();
  c.set_method(QCFS);
  absl::StatusOr<ConvertedAnn> converted = ConvertAnn(*ann, Random(4, 12), c);
  ASSERT_THAT(converted, IsOk());
  EXPECT_TRUE(converted->snn.reset_by_subtraction);
  EXPECT_EQ(converted->snn.init_membrane, 0.5);
}

}  // namespace
}  // namespace lasnn
