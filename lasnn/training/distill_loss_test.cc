#include "lasnn/training/distill_loss.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace lasnn {
namespace {

#include "lasnn/training/testdata/distill_goldens.inc"

// The same deterministic inputs as make_distill_goldens.py.
at::Tensor Pattern(std::vector<int64_t> shape, double offset, double scale) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  at::Tensor t = at::empty({n}, at::kDouble);
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = scale * std::sin(0.37 * i + offset);
  return t.reshape(shape);
}

void ExpectClose(const at::Tensor& got, const double* want, int64_t n, double tol) {
  at::Tensor g = got.contiguous().to(at::kDouble).flatten();
  ASSERT_EQ(g.numel(), n);
  const double* p = g.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(p[i], want[i], tol) << "index " << i;
}

TEST(DistillLossTest, AttentionMapsAndLossMatchPyTorch) {
  at::Tensor student = Pattern({2, 3, 4, 4}, 0.5, 1.0).relu().set_requires_grad(true);
  at::Tensor teacher = Pattern({2, 5, 4, 4}, 1.3, 2.0).relu();
  ExpectClose(AttentionMap(student), kGoldenStudentMap, 32, 1e-12);
  ExpectClose(AttentionMap(teacher), kGoldenTeacherMap, 32, 1e-12);
  at::Tensor loss = AttentionTransferLoss(student, teacher);
  EXPECT_NEAR(loss.item<double>(), kGoldenAtLoss, 1e-12);
  loss.backward();
  ExpectClose(student.grad(), kGoldenAtGrad, student.numel(), 1e-12);
}

// The op-by-op attention map that AttentionMap's fused p = 2 path replaces.
at::Tensor ReferenceMap(const at::Tensor& features, double p) {
  at::Tensor q = features.abs().pow(p).mean(/*dim=*/1).flatten(1);
  return q / q.norm(2, /*dim=*/{1}, /*keepdim=*/true).clamp_min(1e-12);
}

// Map and d(loss)/d(features) of loss = sum(map * weights), from `map_fn`.
std::pair<at::Tensor, at::Tensor> MapAndGrad(at::Tensor (*map_fn)(const at::Tensor&, double),
                                             const at::Tensor& features, const at::Tensor& weights,
                                             double p) {
  at::Tensor x = features.detach().clone().requires_grad_(true);
  at::Tensor map = map_fn(x, p);
  (map * weights).sum().backward();
  return {map.detach(), x.grad()};
}

// The student's attention map (p = 2, a contiguous CPU tensor that needs a gradient) has a fused
// backward: map and gradient equal the op-by-op chain's to the bit, for signed features and
// firing rates, 7 and 48 channels (ATen sums more than 16 channels in blocks), both dtypes.
// Without gradients, other exponents and layouts take the op-by-op path.
TEST(DistillLossTest, FusedStudentMapMatchesTheOpByOpMap) {
  at::manual_seed(3);
  for (at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    for (int64_t channels : {7, 48}) {
      SCOPED_TRACE(std::string(at::toString(dtype)) + " C=" + std::to_string(channels));
      const at::Tensor weights = at::randn({5, 36}, dtype);
      const at::Tensor signed_features = at::randn({5, channels, 6, 6}, dtype);
      const at::Tensor rates = at::randint(0, 4, {5, channels, 6, 6}, dtype) / 3.0;
      for (const at::Tensor& f : {signed_features, rates}) {
        const auto [map, grad] = MapAndGrad(&AttentionMap, f, weights, 2.0);
        const auto [ref_map, ref_grad] = MapAndGrad(&ReferenceMap, f, weights, 2.0);
        EXPECT_TRUE(at::equal(map, ref_map));
        EXPECT_TRUE(at::equal(grad, ref_grad));
        EXPECT_GT(ref_grad.abs().max().item<double>(), 1e-3);
      }
      {
        at::NoGradGuard no_grad;
        EXPECT_TRUE(at::equal(AttentionMap(signed_features), ReferenceMap(signed_features, 2.0)));
      }
      const auto [map3, grad3] = MapAndGrad(&AttentionMap, signed_features, weights, 3.0);
      const auto [ref3, ref_grad3] = MapAndGrad(&ReferenceMap, signed_features, weights, 3.0);
      EXPECT_TRUE(at::equal(map3, ref3));
      EXPECT_TRUE(at::equal(grad3, ref_grad3));
      const at::Tensor cl = signed_features.contiguous(at::MemoryFormat::ChannelsLast);
      EXPECT_TRUE(at::equal(AttentionMap(cl), ReferenceMap(cl, 2.0)));
    }
  }
}

// The loss against a precomputed teacher map (computed under inference mode, as the trainer
// does) is bit-identical to AttentionTransferLoss, in value and gradient.
TEST(DistillLossTest, LossToAPrecomputedMapEqualsTheLoss) {
  at::Tensor a = Pattern({2, 3, 4, 4}, 0.5, 1.0).relu().to(at::kFloat).set_requires_grad(true);
  at::Tensor b = a.detach().clone().set_requires_grad(true);
  const at::Tensor teacher = Pattern({2, 5, 4, 4}, 1.3, 2.0).relu().to(at::kFloat);
  at::Tensor map;
  {
    c10::InferenceMode inference;
    map = AttentionMap(teacher);
  }
  at::Tensor want = AttentionTransferLoss(a, teacher);
  at::Tensor got = AttentionTransferLossToMap(b, map);
  EXPECT_TRUE(at::equal(got, want));
  want.backward();
  got.backward();
  EXPECT_TRUE(at::equal(b.grad(), a.grad()));
  EXPECT_THROW(AttentionTransferLossToMap(b, map.narrow(1, 0, 8)), c10::Error);
}

TEST(DistillLossTest, LogitKdMatchesPyTorch) {
  at::Tensor zs = Pattern({3, 5}, 0.2, 3.0).set_requires_grad(true);
  at::Tensor zt = Pattern({3, 5}, 2.1, 4.0);
  at::Tensor loss = LogitKdLoss(zs, zt, 4.0);
  EXPECT_NEAR(loss.item<double>(), kGoldenKdLoss, 1e-12);
  loss.backward();
  ExpectClose(zs.grad(), kGoldenKdGrad, 15, 1e-12);
}

TEST(DistillLossTest, IdenticalInputsGiveZeroLoss) {
  at::Tensor a = Pattern({2, 4, 3, 3}, 0.0, 1.0);
  EXPECT_NEAR(AttentionTransferLoss(a, a * 3.0).item<double>(), 0.0, 1e-15);
  EXPECT_NEAR(LogitKdLoss(a.flatten(1), a.flatten(1), 2.0).item<double>(), 0.0, 1e-12);
}

TEST(DistillLossTest, AllZeroFeaturesGiveZeroMapNotNaN) {
  at::Tensor q = AttentionMap(at::zeros({2, 3, 2, 2}, at::kDouble));
  EXPECT_FALSE(q.isnan().any().item<bool>());
  EXPECT_EQ(q.abs().sum().item<double>(), 0.0);
}

TEST(DistillLossTest, FiringRateIsMeanOverTime) {
  at::Tensor spikes = at::zeros({4, 1, 1, 1, 2}, at::kFloat);
  spikes.select(0, 1).fill_(1.0);
  spikes.select(0, 3).select(-1, 0).fill_(1.0);
  at::Tensor rate = FiringRate(spikes);
  EXPECT_FLOAT_EQ(rate.flatten()[0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(rate.flatten()[1].item<float>(), 0.25f);
}

TEST(DistillLossTest, MismatchedSpatialSizeIsRejected) {
  EXPECT_THROW(AttentionTransferLoss(at::ones({2, 3, 4, 4}), at::ones({2, 3, 2, 2})), c10::Error);
}

// An attention map that is one-hot at `position`: one channel, a single non-zero pixel.
at::Tensor OneHotFeatures(int64_t batch, int64_t h, int64_t w, int64_t position) {
  at::Tensor f = at::zeros({batch, 1, h * w}, at::kDouble);
  f.select(2, position).fill_(3.0);
  return f.view({batch, 1, h, w});
}

// Pairs of different H*W with equal mismatch (the student's attention on another position than
// the teacher's: ||Qs - Qt||^2 = 2 at any size) weigh the same under kPairMean, and 1 / (H*W)
// under kPositionMean.
TEST(DistillLossTest, PairMeanWeighsPairsOfEverySizeAlike) {
  std::vector<double> pair_mean, position_mean;
  for (int64_t side : {16, 8, 4, 2}) {
    const at::Tensor student = OneHotFeatures(3, side, side, 1);
    const at::Tensor teacher_map = AttentionMap(OneHotFeatures(3, side, side, 0));
    pair_mean.push_back(
        AttentionPairLoss(student, teacher_map, 2.0, PairNormalization::kPairMean).item<double>());
    position_mean.push_back(
        AttentionPairLoss(student, teacher_map, 2.0, PairNormalization::kPositionMean)
            .item<double>());
    EXPECT_NEAR(position_mean.back(), 2.0 / static_cast<double>(side * side), 1e-12);
  }
  for (double v : pair_mean) EXPECT_NEAR(v, 2.0, 1e-12);
  EXPECT_NEAR(position_mean.back() / position_mean.front(), 64.0, 1e-9);
}

// On random maps, kPairMean is kPositionMean times H*W, and the gradients scale alike.
TEST(DistillLossTest, PairMeanIsPositionMeanTimesPositions) {
  at::Tensor a = Pattern({2, 3, 4, 5}, 0.5, 1.0).relu().set_requires_grad(true);
  at::Tensor b = a.detach().clone().set_requires_grad(true);
  const at::Tensor map = AttentionMap(Pattern({2, 5, 4, 5}, 1.3, 2.0).relu());
  at::Tensor pair = AttentionPairLoss(a, map, 2.0, PairNormalization::kPairMean);
  at::Tensor position = AttentionPairLoss(b, map, 2.0, PairNormalization::kPositionMean);
  EXPECT_NEAR(pair.item<double>(), 20.0 * position.item<double>(), 1e-12);
  EXPECT_TRUE(at::equal(position, AttentionTransferLossToMap(b, map)));
  pair.backward();
  position.backward();
  EXPECT_TRUE(at::allclose(a.grad(), 20.0 * b.grad(), 1e-12, 1e-15));
}

TEST(DistillLossTest, PairWeightsScaleEachPairsTerm) {
  const std::vector<at::Tensor> students = {Pattern({2, 3, 8, 8}, 0.5, 1.0).relu(),
                                            Pattern({2, 4, 4, 4}, 0.9, 1.0).relu()};
  const std::vector<at::Tensor> maps = {AttentionMap(Pattern({2, 6, 8, 8}, 1.3, 2.0).relu()),
                                        AttentionMap(Pattern({2, 6, 4, 4}, 2.1, 2.0).relu())};
  const double l0 =
      AttentionPairLoss(students[0], maps[0], 2.0, PairNormalization::kPairMean).item<double>();
  const double l1 =
      AttentionPairLoss(students[1], maps[1], 2.0, PairNormalization::kPairMean).item<double>();
  ASSERT_GT(l0, 0.0);
  ASSERT_GT(l1, 0.0);
  auto weighted = [&](std::vector<double> w) {
    return WeightedAttentionLoss(students, maps, w, 2.0, PairNormalization::kPairMean,
                                 students[0])
        .item<double>();
  };
  EXPECT_NEAR(weighted(DefaultPairWeights(2, PairNormalization::kPairMean)), (l0 + l1) / 2, 1e-12);
  EXPECT_NEAR(weighted({1, 0}), l0, 1e-12);
  EXPECT_NEAR(weighted({0, 1}), l1, 1e-12);
  EXPECT_NEAR(weighted({2, 0.25}), 2 * l0 + 0.25 * l1, 1e-12);
  EXPECT_EQ(DefaultPairWeights(3, PairNormalization::kPositionMean), std::vector<double>(3, 1.0));
  const at::Tensor none = WeightedAttentionLoss({}, {}, {}, 2.0, PairNormalization::kPairMean,
                                                students[0]);
  EXPECT_EQ(none.item<double>(), 0.0);
  EXPECT_EQ(none.scalar_type(), at::kDouble);
  EXPECT_THROW(weighted({1}), c10::Error);
}

}  // namespace
}  // namespace lasnn
