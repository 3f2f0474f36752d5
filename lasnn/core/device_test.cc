#include "lasnn/core/device.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

TEST(ResolveDeviceTest, NamesTheDevicesWeRunOn) {
  const absl::StatusOr<c10::Device> cpu_or = ResolveDevice("cpu");
  ASSERT_THAT(cpu_or, IsOk());
  const c10::Device cpu = *cpu_or;
  EXPECT_TRUE(cpu.is_cpu());
  const absl::StatusOr<c10::Device> lazy_or = ResolveDevice("lazy");
  ASSERT_THAT(lazy_or, IsOk());
  const c10::Device lazy = *lazy_or;
  EXPECT_EQ(lazy.type(), c10::kLazy);
  EXPECT_FALSE(UsesTensorOps(cpu));
  EXPECT_TRUE(UsesTensorOps(lazy));
}

TEST(ResolveDeviceTest, RefusesUnknownNamesNamingThem) {
  EXPECT_THAT(ResolveDevice("tpu"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'tpu'")));
  EXPECT_THAT(ResolveDevice("cuda:x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'cuda:x'")));
  if (!torch::cuda::is_available()) {
    EXPECT_THAT(ResolveDevice("cuda:0"),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("LIBTORCH_HOME")));
  }
}

TEST(TimeOnDeviceTest, TimesOneCallOnTheCpu) {
  int calls = 0;
  const double s = TimeOnDevice(c10::Device(c10::kCPU), [&] {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  });
  EXPECT_EQ(calls, 1);
  EXPECT_GE(s, 0.003);
}

TEST(TimeOnDeviceTest, RunsThePendingLazyGraphBeforeReadingTheClock) {
  const absl::StatusOr<c10::Device> lazy_or = ResolveDevice("lazy");
  ASSERT_THAT(lazy_or, IsOk());
  const c10::Device lazy = *lazy_or;
  at::Tensor y;
  int calls = 0;
  const double s = TimeOnDevice(lazy, [&] {
    ++calls;
    const at::Tensor x = torch::ones({64, 64}, torch::TensorOptions().device(lazy));
    y = torch::matmul(x, x).sum();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_GE(s, 0.0);
  ASSERT_EQ(y.device().type(), c10::kLazy);
  EXPECT_EQ(y.cpu().item<float>(), 64.0f * 64 * 64);
}

TEST(DeviceHardwareNameTest, NamesCpuAndLazy) {
  EXPECT_EQ(DeviceHardwareName(c10::Device(c10::kCPU)), "cpu");
  const absl::StatusOr<c10::Device> lazy_or = ResolveDevice("lazy");
  ASSERT_THAT(lazy_or, IsOk());
  const c10::Device lazy = *lazy_or;
  EXPECT_THAT(DeviceHardwareName(lazy), HasSubstr("lazy"));
}

}  // namespace
}  // namespace lasnn
