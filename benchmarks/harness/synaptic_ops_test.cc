#include "benchmarks/harness/synaptic_ops.h"

#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"

namespace lasnn {
namespace {

// conv3x3 1->4 on 8x8 (pad 1): 1*9*4*64 = 2304 MACs; avgpool to 4x4; conv3x3 4->8 on 4x4:
// 4*9*8*16 = 4608; flatten 128; linear 128->10: 1280.
constexpr char kSpec[] = R"pb(
  name: "ops"
  input { channels: 1 height: 8 width: 8 }
  num_classes: 10
  layers { conv { out_channels: 4 } }
  layers { activation {} }
  layers { pool { kind: AVG kernel_size: 2 } }
  layers { conv { out_channels: 8 } }
  layers { activation {} }
  layers { flatten {} }
  layers { linear { out_features: 10 } }
)pb";

TEST(SynapticOpsTest, AnnCountsEveryOperationAsMac) {
  auto spec = ParseModelSpecText(kSpec);
  ASSERT_TRUE(spec.ok());
  auto plan = PlanModel(*spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EnergyConfig e;
  OpCount ops = CountAnnOps(*plan, e);
  EXPECT_DOUBLE_EQ(ops.macs(), 2304 + 4608 + 1280);
  EXPECT_DOUBLE_EQ(ops.acs(), 0);
  EXPECT_NEAR(ops.energy_uj(), (2304 + 4608 + 1280) * 4.6e-6, 1e-12);
}

TEST(SynapticOpsTest, SnnCountsFirstLayerOnceAndSpikeDrivenAccumulates) {
  auto spec = ParseModelSpecText(kSpec);
  auto plan = PlanModel(*spec);
  ASSERT_TRUE(plan.ok());
  EnergyConfig e;
  e.set_pj_per_ac(1.0);
  e.set_pj_per_mac(10.0);
  auto ops = CountSnnOps(*plan, {0.25, 0.5}, 4, e);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_DOUBLE_EQ(ops->macs(), 2304);                               // the analog input layer, once
  EXPECT_DOUBLE_EQ(ops->acs(), 4608 * 0.25 * 4 + 1280 * 0.5 * 4);   // rate x T x dense
  EXPECT_NEAR(ops->energy_uj(), (2304 * 10.0 + ops->acs() * 1.0) * 1e-6, 1e-12);
  EXPECT_FALSE(CountSnnOps(*plan, {0.1}, 4, e).ok());
  // Silence costs nothing beyond the input layer.
  auto silent = CountSnnOps(*plan, {0.0, 0.0}, 8, e);
  EXPECT_DOUBLE_EQ(silent->acs(), 0);
  // Poisson / latency input: the first layer accumulates on the input spikes at every step.
  auto coded = CountSnnOps(*plan, {0.25, 0.5}, 4, e, /*input_rate=*/0.3);
  ASSERT_TRUE(coded.ok());
  EXPECT_DOUBLE_EQ(coded->macs(), 0);
  EXPECT_DOUBLE_EQ(coded->acs(), 2304 * 0.3 * 4 + 4608 * 0.25 * 4 + 1280 * 0.5 * 4);
}

}  // namespace
}  // namespace lasnn
