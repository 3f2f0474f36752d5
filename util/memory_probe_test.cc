#include "util/memory_probe.h"

#include <sys/mman.h>

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

constexpr char kStatus[] =
    "Name:\tfoo\n"
    "VmPeak:\t  123456 kB\n"
    "VmHWM:\t    2048 kB\n"
    "VmRSS:\t    1024 kB\n"
    "VmBad:\t    twelve kB\n";

TEST(ParseProcStatusBytesTest, ReadsKilobyteFieldsAsBytes) {
  EXPECT_THAT(ParseProcStatusBytes(kStatus, "VmHWM"), IsOk());
  EXPECT_EQ(*ParseProcStatusBytes(kStatus, "VmHWM"), 2048 * 1024);
  EXPECT_EQ(*ParseProcStatusBytes(kStatus, "VmRSS"), 1024 * 1024);
  EXPECT_EQ(*ParseProcStatusBytes(kStatus, "VmPeak"), int64_t{123456} * 1024);
}

TEST(ParseProcStatusBytesTest, MissingFieldIsNotFound) {
  EXPECT_THAT(ParseProcStatusBytes(kStatus, "VmSwap"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("VmSwap")));
  // A field name must match whole, not as a prefix of another.
  EXPECT_THAT(ParseProcStatusBytes(kStatus, "Vm"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(ParseProcStatusBytesTest, MalformedValueIsDataLoss) {
  EXPECT_THAT(ParseProcStatusBytes(kStatus, "VmBad"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("VmBad")));
  EXPECT_THAT(ParseProcStatusBytes(kStatus, "Name"), StatusIs(absl::StatusCode::kDataLoss));
}

// Touches `bytes` of fresh anonymous memory, then returns it to the kernel.
void TouchAndRelease(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  std::memset(p, 1, bytes);
  munmap(p, bytes);
}

TEST(PeakResidentBytesTest, FollowsTouchedMemoryAndResets) {
  constexpr int64_t kBlock = 64 << 20;
  const absl::StatusOr<int64_t> rss = ReadProcStatusBytes("VmRSS");
  ASSERT_THAT(rss, IsOk());
  TouchAndRelease(kBlock);
  const int64_t peak = PeakResidentBytes();
  EXPECT_GE(peak, *rss + kBlock * 3 / 4);
  const absl::Status reset = ResetPeakResident();
  if (!reset.ok()) GTEST_SKIP() << "this kernel refuses clear_refs: " << reset;
  EXPECT_LT(PeakResidentBytes(), peak - kBlock / 2);
}

}  // namespace
}  // namespace lasnn
