// GoogleTest matchers for absl::Status and absl::StatusOr<T> (testonly).
//
//   EXPECT_THAT(LoadIdx(path), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
//   ASSERT_THAT(result, IsOk());
//
// The pinned Abseil (20220623) ships no status matchers; these follow the shape of the ones in
// later Abseil releases (absl/status/status_matchers.h), so tests read the same.
#ifndef LASNN_UTIL_STATUS_MATCHERS_H_
#define LASNN_UTIL_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace lasnn {
namespace testing_internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename StatusLike>
  bool MatchAndExplain(const StatusLike& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    *listener << "whose status is " << status;
    if (status.code() != code_) return false;
    return message_.MatchAndExplain(std::string(status.message()), listener);
  }

  void DescribeTo(std::ostream* os) const {
    *os << "has status code " << absl::StatusCodeToString(code_) << " and a message that ";
    message_.DescribeTo(os);
  }

  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have status code " << absl::StatusCodeToString(code_)
        << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

}  // namespace testing_internal

// Matches an absl::Status or absl::StatusOr<T> with this code and a message matching `message`.
template <typename MessageMatcher>
::testing::PolymorphicMatcher<testing_internal::StatusIsMatcher> StatusIs(
    absl::StatusCode code, MessageMatcher message) {
  return ::testing::MakePolymorphicMatcher(testing_internal::StatusIsMatcher(
      code, ::testing::MatcherCast<const std::string&>(message)));
}

// Matches an absl::Status or absl::StatusOr<T> with this code, whatever its message.
inline ::testing::PolymorphicMatcher<testing_internal::StatusIsMatcher> StatusIs(
    absl::StatusCode code) {
  return StatusIs(code, ::testing::_);
}

// Matches an OK absl::Status or absl::StatusOr<T>.
inline ::testing::PolymorphicMatcher<testing_internal::StatusIsMatcher> IsOk() {
  return StatusIs(absl::StatusCode::kOk);
}

}  // namespace lasnn

namespace absl {

// GoogleTest prints a failing absl::StatusOr<T> through this (found by argument-dependent lookup)
// instead of as raw bytes: its status, and the value when it is OK and printable.
template <typename T>
void PrintTo(const StatusOr<T>& status_or, std::ostream* os) {
  if (!status_or.ok()) {
    *os << status_or.status();
    return;
  }
  *os << "OK: " << ::testing::PrintToString(*status_or);
}

}  // namespace absl

#endif  // LASNN_UTIL_STATUS_MATCHERS_H_
