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

TEST(DistillLossTest, PairsTapsByResolutionShallowToDeep) {
  std::vector<TapShape> teacher = {{"t1", 28, 28}, {"t2", 28, 28}, {"t3", 14, 14}, {"t4", 7, 7}};
  std::vector<TapShape> student = {{"s1", 28, 28}, {"s2", 14, 14}, {"s3", 7, 7}, {"s4", 1, 1}};
  auto pairs = PairTapsByResolution(student, teacher);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[0].student, "s1");
  EXPECT_EQ((*pairs)[0].teacher, "t2");  // the last teacher tap at 28x28
  EXPECT_EQ((*pairs)[1].teacher, "t3");
  EXPECT_EQ((*pairs)[2].student, "s3");
  EXPECT_EQ((*pairs)[2].height, 7);
}

TEST(DistillLossTest, NoSharedResolutionIsInvalidArgument) {
  auto pairs = PairTapsByResolution({{"s", 5, 5}}, {{"t", 4, 4}});
  ASSERT_FALSE(pairs.ok());
  EXPECT_EQ(pairs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pairs.status().message().find("t 4x4"), std::string::npos);
}

}  // namespace
}  // namespace lasnn
