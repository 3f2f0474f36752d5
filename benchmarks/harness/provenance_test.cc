#include "benchmarks/harness/provenance.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/subprocess.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::MatchesRegex;

// Runs git in `dir` with a fixed identity; fails the test on an error.
void Git(const std::string& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir, "-c", "user.name=t", "-c",
                                   "user.email=t@example.com"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.discard_stderr = true;
  absl::StatusOr<ProcessResult> r = RunProcess(argv, options);
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->succeeded()) << "git " << args[0] << " exited " << r->exit_code;
}

bool HaveGit() {
  absl::StatusOr<ProcessResult> r = RunProcess({"git", "--version"});
  return r.ok() && r->succeeded();
}

TEST(GitCommitTest, CleanThenDirtyRepository) {
  if (!HaveGit()) GTEST_SKIP() << "no git on PATH";
  // A name a shell would split and expand: git must receive it as one argument.
  const std::string repo = TestTmpPath("repo with 'quotes' and $HOME");
  ASSERT_THAT(MakeDirectories(repo), IsOk());
  ASSERT_NO_FATAL_FAILURE(Git(repo, {"init", "-q"}));
  EXPECT_EQ(GitCommit(repo), "unknown");  // no commit yet
  ASSERT_THAT(WriteFileAtomically(JoinPath(repo, "a.txt"), "one\n"), IsOk());
  ASSERT_NO_FATAL_FAILURE(Git(repo, {"add", "a.txt"}));
  ASSERT_NO_FATAL_FAILURE(Git(repo, {"commit", "-q", "-m", "first"}));
  const std::string clean = GitCommit(repo);
  EXPECT_THAT(clean, MatchesRegex("[0-9a-f]{40}"));
  // Untracked files do not make the tree dirty; a changed tracked file does.
  ASSERT_THAT(WriteFileAtomically(JoinPath(repo, "untracked.txt"), "x\n"), IsOk());
  EXPECT_EQ(GitCommit(repo), clean);
  ASSERT_THAT(WriteFileAtomically(JoinPath(repo, "a.txt"), "two\n"), IsOk());
  EXPECT_EQ(GitCommit(repo), clean + "-dirty");
}

TEST(GitCommitTest, UnknownOutsideARepository) {
  const std::string dir = TestTmpPath("not_a_repo");
  ASSERT_THAT(MakeDirectories(dir), IsOk());
  EXPECT_EQ(GitCommit(dir), "unknown");
  EXPECT_EQ(GitCommit(TestTmpPath("missing_dir")), "unknown");
}

TEST(CpuModelTest, ReadsTheFirstModelName) {
  const std::string path = TestTmpPath("cpuinfo");
  ASSERT_THAT(WriteFileAtomically(path, "processor\t: 0\nvendor_id\t: X\n"
                                        "model name\t: Example CPU @ 2.0GHz \n"
                                        "processor\t: 1\nmodel name\t: Other\n"),
              IsOk());
  EXPECT_EQ(CpuModel(path), "Example CPU @ 2.0GHz");
  ASSERT_THAT(WriteFileAtomically(path, "processor\t: 0\n"), IsOk());
  EXPECT_EQ(CpuModel(path), "unknown");
  EXPECT_EQ(CpuModel(TestTmpPath("no_such_cpuinfo")), "unknown");
}

TEST(MakeProvenanceTest, FillsEveryField) {
  ProvenanceOptions o;
  o.source_dir = TestTmpPath("");
  o.command = "lasnn sweep --suite=x";
  o.threads = 3;
  o.device = "cuda:0";
  ApplyDeterminismSettings(o.device);
  const Provenance p = MakeProvenance(o);
  EXPECT_FALSE(p.git_commit().empty());
  EXPECT_TRUE(absl::StrContains(p.libtorch_version(), "(C")) << p.libtorch_version();
  EXPECT_FALSE(p.abseil_version().empty());
  EXPECT_FALSE(p.protobuf_version().empty());
  EXPECT_TRUE(p.has_opencv_version());
  EXPECT_FALSE(p.compiler().empty());
  EXPECT_THAT(p.build_inputs_sha256(), MatchesRegex("[0-9a-f]{64}"));
  EXPECT_TRUE(p.has_unpinned_override());
  bool has_libtorch = false;
  for (const InstalledPackage& package : p.installed_packages()) {
    if (package.name() != "libtorch-dev") continue;
    has_libtorch = true;
    EXPECT_FALSE(package.pinned().empty());
    EXPECT_NE(package.installed(), "absent");
  }
  EXPECT_TRUE(has_libtorch);
  EXPECT_FALSE(p.cpu_model().empty());
  EXPECT_EQ(p.gpu_model(), "cuda:0");
  EXPECT_EQ(p.threads(), 3);
  EXPECT_THAT(p.date_utc(), MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"));
  EXPECT_TRUE(p.has_hostname());
  EXPECT_EQ(p.command(), o.command);
  EXPECT_TRUE(p.cudnn_deterministic());
  EXPECT_FALSE(p.cudnn_benchmark());
  EXPECT_TRUE(p.deterministic_algorithms());
  EXPECT_TRUE(p.deterministic_algorithms_warn_only());

  ApplyDeterminismSettings("cpu");
  o.device = "cpu";
  const Provenance cpu = MakeProvenance(o);
  EXPECT_FALSE(cpu.has_gpu_model());
  EXPECT_FALSE(cpu.deterministic_algorithms());
}

}  // namespace
}  // namespace lasnn
