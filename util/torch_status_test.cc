#include "util/torch_status.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(TorchStatusTest, TorchCheckBecomesInvalidArgument) {
  absl::Status s = TorchCall("matmul", [] {
    at::Tensor a = at::ones({2, 3});
    at::Tensor b = at::ones({2, 3});
    (void)at::matmul(a, b);
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(StartsWith("matmul: "), Not(HasSubstr("Exception raised from")))));
}

TEST(TorchStatusTest, MessageKeepsEveryLineButNoBacktrace) {
  try {
    TORCH_CHECK(false, "first line\nsecond line");
    FAIL() << "TORCH_CHECK(false) did not throw";
  } catch (const c10::Error& e) {
    EXPECT_EQ(TorchErrorMessage(e), "first line\nsecond line");
  }
  EXPECT_THAT(TorchCall("check", [] { TORCH_CHECK(false, "first line\nsecond line"); }),
              StatusIs(absl::StatusCode::kInvalidArgument, "check: first line\nsecond line"));
}

TEST(TorchStatusTest, OtherExceptionsBecomeInternal) {
  EXPECT_THAT(TorchCall("io", []() -> absl::StatusOr<int> { throw std::runtime_error("boom"); }),
              StatusIs(absl::StatusCode::kInternal, "io: boom"));
}

TEST(TorchStatusTest, ValuesAndStatusesPassThrough) {
  absl::StatusOr<int64_t> n = TorchCall("numel", [] {
    return absl::StatusOr<int64_t>(at::ones({4, 5}).numel());
  });
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 20);
  absl::Status s = TorchCall("status", [] { return absl::NotFoundError("x"); });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, "x"));
  EXPECT_THAT(TorchCall("void", [] {}), IsOk());
}

}  // namespace
}  // namespace lasnn
