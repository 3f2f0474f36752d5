#include "util/status_matchers.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusMatchersTest, MatchesCodeAndMessage) {
  absl::Status status = absl::DataLossError("file.idx: truncated");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("file.idx")));
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kDataLoss, HasSubstr("other"))));
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kNotFound)));
  EXPECT_THAT(status, Not(IsOk()));
  EXPECT_THAT(absl::OkStatus(), IsOk());
}

TEST(StatusMatchersTest, MatchesStatusOr) {
  absl::StatusOr<int> value = 3;
  EXPECT_THAT(value, IsOk());
  absl::StatusOr<std::string> error = absl::InvalidArgumentError("epochs must be positive");
  EXPECT_THAT(error, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("epochs")));
}

TEST(StatusMatchersTest, ExplainsAMismatch) {
  ::testing::StringMatchResultListener listener;
  auto matcher = ::testing::SafeMatcherCast<const absl::Status&>(
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("x")));
  EXPECT_FALSE(matcher.MatchAndExplain(absl::DataLossError("y"), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("DATA_LOSS"));
}

TEST(StatusMatchersTest, PrintsAStatusOrReadably) {
  absl::StatusOr<int> error = absl::NotFoundError("no such file: a.idx");
  EXPECT_EQ(::testing::PrintToString(error), "NOT_FOUND: no such file: a.idx");
  absl::StatusOr<int> value = 7;
  EXPECT_EQ(::testing::PrintToString(value), "OK: 7");
}

}  // namespace
}  // namespace lasnn
