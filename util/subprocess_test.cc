#include "util/subprocess.h"

#include <csignal>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

TEST(RunProcessTest, CapturesStdoutAndExitCode) {
  ProcessOptions options;
  options.discard_stderr = true;
  absl::StatusOr<ProcessResult> r =
      RunProcess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, options);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->output, "out\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->term_signal, 0);
  EXPECT_FALSE(r->succeeded());
}

TEST(RunProcessTest, PassesArgumentsVerbatimWithoutAShell) {
  const std::string tricky = "a 'b' \"c\" $HOME `x` ; | *";
  absl::StatusOr<ProcessResult> r = RunProcess({"printf", "%s", tricky});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->succeeded());
  EXPECT_EQ(r->output, tricky);
}

TEST(RunProcessTest, ReportsTheSignalThatEndedTheChild) {
  absl::StatusOr<ProcessResult> r = RunProcess({"/bin/sh", "-c", "kill -9 $$"});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->term_signal, SIGKILL);
}

TEST(RunProcessTest, MissingProgramIsNotFound) {
  EXPECT_THAT(RunProcess({"lasnn-no-such-program-here"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("lasnn-no-such-program-here")));
  EXPECT_THAT(RunProcess({"/nonexistent/dir/prog"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/dir/prog")));
}

TEST(RunProcessTest, EmptyArgvIsInvalid) {
  EXPECT_THAT(RunProcess({}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lasnn
