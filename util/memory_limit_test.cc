#include "util/memory_limit.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "gtest/gtest.h"
#include "util/status_matchers.h"

// Under AddressSanitizer (--config=asan), a malloc that the limit refuses must return null, as
// it does with glibc's allocator, instead of aborting the child.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif
#endif

namespace lasnn {
namespace {

// Runs `body` in a forked child and returns its exit status (-1 if it did not exit normally).
template <typename Fn>
int InChild(Fn body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(MemoryLimitTest, AllocationBeyondTheLimitFailsAndSmallOnesSucceed) {
  EXPECT_GT(AddressSpaceBytes(), 0);
  const int code = InChild([] {
    if (!LimitAddressSpaceGrowth(int64_t{64} << 20).ok()) return 2;
    void* small = std::malloc(1 << 20);
    if (small == nullptr) return 3;
    std::memset(small, 1, 1 << 20);
    void* big = std::malloc(size_t{512} << 20);
    asm volatile("" : : "r"(big) : "memory");  // the allocation must really happen
    return big == nullptr ? 0 : 4;
  });
  EXPECT_EQ(code, 0);
}

TEST(MemoryLimitTest, RejectsANonPositiveLimit) {
  EXPECT_THAT(LimitAddressSpaceGrowth(0), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lasnn
