#include "util/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  return TestTmpPath("");
}

TEST(FileUtilTest, WriteThenReadRoundTrips) {
  std::string path = JoinPath(TempDir(), "roundtrip.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "hello\n").ok());
  auto text = ReadFileToString(path);
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(*text, "hello\n");
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(*ReadFileToString(path), "second");
}

TEST(FileUtilTest, MissingFileIsNotFoundAndNamesPath) {
  auto text = ReadFileToString("/nonexistent/dir/file.bin");
  EXPECT_THAT(text, StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/dir/file.bin")));
}

TEST(FileUtilTest, FullDeviceIsResourceExhaustedNamingThePath) {
  // /dev/full accepts opens, and every write fails with ENOSPC, as on a full disk.
  int fd = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(fd, 0);
  absl::Status s = WriteAllToFd(fd, std::string(1 << 16, 'x'), "/dev/full");
  ::close(fd);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("/dev/full")));
}

TEST(FileUtilTest, RefusesToReplaceANonRegularFile) {
  absl::Status s = WriteFileAtomically("/dev/full", "x");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/dev/full")));
  std::string dir = JoinPath(TempDir(), "a_directory");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  EXPECT_THAT(WriteFileAtomically(dir, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(FileUtilTest, UnwritableDirectoryLeavesExistingFileIntact) {
  std::string dir = JoinPath(TempDir(), "ro_dir");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  std::string path = JoinPath(dir, "record.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "original").ok());
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  absl::Status s = WriteFileAtomically(path, "replacement");
  ::chmod(dir.c_str(), 0755);
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(path)));
  EXPECT_EQ(*ReadFileToString(path), "original");
}

// LASNN_CRASH_AT kills the process halfway through the chosen write: the destination keeps its
// previous contents and the half-written bytes are only in a temporary file.
TEST(FileUtilTest, CrashMidWriteLeavesThePreviousFileIntact) {
  const std::string dir = TestTmpPath("crash_mid_write");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  const std::string path = JoinPath(dir, "record.pb");
  ASSERT_TRUE(WriteFileAtomically(path, "old contents").ok());
  const std::string contents(1000, 'n');
  // The death-test child re-executes this test alone, so the environment is read afresh there.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("LASNN_CRASH_AT", "record.pb:2", 1);
        (void)WriteFileAtomically(JoinPath(dir, "other.pb"), contents);  // does not match
        (void)WriteFileAtomically(path, contents);                        // 1st match
        (void)WriteFileAtomically(path, contents);                        // 2nd: killed here
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  auto now = ReadFileToString(path);
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(*now, contents);  // from the first (complete) write in the child
  int temporaries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("record.pb.tmp.", 0) == 0) {
      ++temporaries;
      auto half = ReadFileToString(entry.path().string());
      ASSERT_THAT(half, IsOk());
      EXPECT_EQ(half->size(), contents.size() / 2);
    }
  }
  EXPECT_EQ(temporaries, 1);
}

TEST(FileUtilTest, MissingDirectoryIsNotFound) {
  absl::Status s = WriteFileAtomically(JoinPath(TempDir(), "no/such/dir/x.txt"), "x");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
}

TEST(FileUtilTest, MakeDirectoriesCreatesParentsAndIsIdempotent) {
  std::string dir = JoinPath(TempDir(), "a/b/c");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  ASSERT_TRUE(MakeDirectories(dir).ok());
  EXPECT_TRUE(PathExists(dir));
  std::string file = JoinPath(TempDir(), "plain_file");
  ASSERT_TRUE(WriteFileAtomically(file, "x").ok());
  EXPECT_THAT(MakeDirectories(file), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(FileUtilTest, JoinPath) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "/b"), "a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
}

}  // namespace
}  // namespace lasnn
