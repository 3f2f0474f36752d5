#include "baselines/conversion/if_step.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <vector>

namespace lasnn::conversion {
namespace {

bool SameBits(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type()) return false;
  const at::ScalarType bits = a.scalar_type() == at::kFloat ? at::kInt : at::kLong;
  return at::equal(a.contiguous().view(bits), b.contiguous().view(bits));
}

// Many steps of the fused step against the reference, from the same state: membranes, outputs
// and per-sample spike counts must agree bit for bit at every step.
TEST(IfStepTest, FusedEqualsReferenceBitForBit) {
  torch::manual_seed(11);
  const std::vector<std::vector<int64_t>> shapes = {{5, 3, 4, 6}, {7, 10}, {2, 16, 3, 3}, {1, 1}};
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    for (const std::vector<int64_t>& shape : shapes) {
      for (bool per_channel : {false, true}) {
        for (bool subtract : {true, false}) {
          const at::Tensor theta =
              per_channel ? at::rand({shape[1]}, dtype) + 0.1 : at::full({}, 0.7, dtype);
          at::Tensor u_fused = at::rand(shape, dtype) * 0.5;
          at::Tensor u_ref = u_fused.clone();
          for (int step = 0; step < 12; ++step) {
            // Currents of both signs, some exactly at the threshold, some -0.
            at::Tensor current = at::randn(shape, dtype);
            current = at::where(at::rand(shape) < 0.1, at::full({}, -0.0, dtype), current);
            at::Tensor counts;
            const at::Tensor out = IfStep(u_fused, current, theta, subtract, &counts);
            const at::Tensor expected = IfStepReference(u_ref, current, theta, subtract);
            const auto what = c10::str(dtype, " ", c10::IntArrayRef(shape), " per_channel ",
                                       per_channel, " subtract ", subtract, " step ", step);
            ASSERT_TRUE(SameBits(out, expected)) << what;
            ASSERT_TRUE(SameBits(u_fused, u_ref)) << what;
            ASSERT_TRUE(at::equal(counts, expected.ne(0).flatten(1).sum(1))) << what;
          }
        }
      }
    }
  }
}

TEST(IfStepTest, OtherLayoutsAndNoCountsFallBackToTheReference) {
  torch::manual_seed(12);
  const at::Tensor theta = at::full({}, 0.5);
  at::Tensor u = at::zeros({3, 4, 5, 5});
  at::Tensor u_ref = u.clone();
  const at::Tensor current = at::rand({3, 5, 5, 4}).permute({0, 3, 1, 2});  // not contiguous
  at::Tensor counts;
  const at::Tensor out = IfStep(u, current, theta, true, &counts);
  EXPECT_TRUE(SameBits(out, IfStepReference(u_ref, current, theta, true)));
  EXPECT_TRUE(SameBits(u, u_ref));
  EXPECT_TRUE(at::equal(counts, out.ne(0).flatten(1).sum(1)));
  at::Tensor v = at::zeros({2, 3});
  EXPECT_TRUE(SameBits(IfStep(v, at::ones({2, 3}), theta, false), at::full({2, 3}, 0.5)));
}

// The IF rule itself: a constant current c below theta spikes at rate c / theta.
TEST(IfStepTest, ConstantCurrentSpikesAtItsRate) {
  const at::Tensor theta = at::full({}, 1.0, at::kDouble);
  at::Tensor u = at::zeros({1, 1}, at::kDouble);
  double spikes = 0;
  for (int t = 0; t < 1000; ++t) {
    spikes += IfStep(u, at::full({1, 1}, 0.25, at::kDouble), theta, true).item<double>();
  }
  EXPECT_EQ(spikes, 250.0);
}

}  // namespace
}  // namespace lasnn::conversion
