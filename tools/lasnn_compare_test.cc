// `lasnn compare` end to end: two record directories written here (records with per-image
// outcomes built in the test), a planted difference smaller than the noise and one larger, the
// verdicts the CLI prints, --out, and bad input (exit 1, the directory or file named).
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmarks/experiment/outcomes.h"
#include "benchmarks/experiment/record_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kLasnn[] = "tools/lasnn";
constexpr int kImages = 2000;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Result RunLasnn(const std::string& args) {
  Result r;
  FILE* p = popen(absl::StrCat(kLasnn, " ", args, " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A trained record at T = 1 on images 0 .. kImages - 1 (label: index mod 10), right on `right`.
RunRecord Record(const std::string& name, Method method, uint64_t seed,
                 const std::vector<bool>& right) {
  RunRecord r;
  r.set_config_hash(absl::StrCat(name, "_seed", seed));
  r.mutable_config()->set_name(absl::StrCat("fmnist/", name, "/T1/seed", seed));
  r.mutable_config()->set_method(method);
  r.mutable_config()->set_seed(seed);
  r.mutable_config()->mutable_train()->set_timesteps(1);
  r.mutable_config()->mutable_train()->set_seed(seed);
  r.set_status(RunRecord::OK);
  r.set_student_name("student");
  r.set_train_timesteps(1);
  std::vector<int64_t> labels(kImages), pred(kImages);
  int k = 0;
  for (int i = 0; i < kImages; ++i) {
    labels[i] = i % 10;
    pred[i] = right[i] ? labels[i] : (labels[i] + 1) % 10;
    k += right[i];
  }
  r.add_accuracy_at_t(static_cast<double>(k) / kImages);
  r.set_eval_samples(kImages);
  absl::StatusOr<EvalOutcomes> o = PackOutcomes(0, "test-images", labels, {pred});
  EXPECT_THAT(o, IsOk());
  if (o.ok()) *r.mutable_outcomes() = *o;
  return r;
}

// Right on the first 1800 images, then `gain` more (from the end) and `loss` fewer (from the
// start): a planted difference of (gain - loss) / kImages points on gain + loss images.
std::vector<bool> Right(int gain, int loss) {
  std::vector<bool> v(kImages, false);
  for (int i = 0; i < 1800; ++i) v[i] = true;
  for (int i = 0; i < gain; ++i) v[kImages - 1 - i] = true;
  for (int i = 0; i < loss; ++i) v[i] = false;
  return v;
}

// The output line of one experiment.
std::string LineOf(const std::string& output, const std::string& experiment) {
  const size_t at = output.find(absl::StrCat("| ", experiment, " |"));
  if (at == std::string::npos) return "";
  return output.substr(at, output.find('\n', at) - at);
}

class LasnnCompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PathExists(kLasnn)) << kLasnn;
    a_ = TestTmpPath("runs_a");
    b_ = TestTmpPath("runs_b");
    // Within the noise: +0.10 points on 40 discordant images. Beyond it: +3.00 points.
    ASSERT_THAT(WriteRecord(a_, Record("within_noise", LASNN_JOINT, 1, Right(0, 0))), IsOk());
    ASSERT_THAT(WriteRecord(b_, Record("within_noise", LASNN_JOINT, 1, Right(21, 19))), IsOk());
    ASSERT_THAT(WriteRecord(a_, Record("beyond_noise", LOGIT_KD, 1, Right(0, 0))), IsOk());
    ASSERT_THAT(WriteRecord(b_, Record("beyond_noise", LOGIT_KD, 1, Right(60, 0))), IsOk());
    // Three seeds, each 2 points better in B: resolved over the seeds too.
    for (uint64_t s = 1; s <= 3; ++s) {
      ASSERT_THAT(WriteRecord(a_, Record("seeds", DIRECT, s, Right(0, 0))), IsOk());
      ASSERT_THAT(WriteRecord(b_, Record("seeds", DIRECT, s, Right(40, 0))), IsOk());
    }
  }
  std::string a_, b_;
};

TEST_F(LasnnCompareTest, UnresolvedWithinNoiseResolvedBeyond) {
  const std::string out = TestTmpPath("comparison.md");
  const Result r = RunLasnn(absl::StrCat("compare --a=", a_, " --b=", b_, " --out=", out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string within = LineOf(r.output, "fmnist/within_noise/T1/seed1");
  EXPECT_THAT(within, HasSubstr("| 1 | 1 | 90.00 | 90.10 | 0.10 | ["));
  EXPECT_THAT(within, HasSubstr("| 2000 | unresolved (within noise) | config hash |"));
  const std::string beyond = LineOf(r.output, "fmnist/beyond_noise/T1/seed1");
  EXPECT_THAT(beyond, HasSubstr("| 1 | 1 | 90.00 | 93.00 | 3.00 | ["));
  EXPECT_THAT(beyond, HasSubstr("| 2000 | resolved | config hash |"));
  EXPECT_THAT(r.output, HasSubstr("## Over seeds"));
  EXPECT_THAT(r.output, HasSubstr("| Direct (surrogate BPTT) on student, Unknown dataset, T = 1 "
                                  "| 1 | 3 | 2.00 | ["));
  EXPECT_THAT(r.output, HasSubstr("Summary: 5 comparisons: 4 resolved, 1 unresolved (within "
                                  "noise); 0 only in A, 0 only in B, 0 not compared."));
  auto written = ReadFileToString(out);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(*written, r.output);
}

TEST_F(LasnnCompareTest, BadInputExitsOneNamingIt) {
  const Result missing_flag = RunLasnn(absl::StrCat("compare --a=", a_));
  EXPECT_EQ(missing_flag.exit_code, 1);
  EXPECT_THAT(missing_flag.output, HasSubstr("compare needs --b"));

  const std::string missing = TestTmpPath("no_such_runs");
  const Result no_dir = RunLasnn(absl::StrCat("compare --a=", a_, " --b=", missing));
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_THAT(no_dir.output, HasSubstr(missing));

  const std::string corrupt = TestTmpPath("corrupt_runs");
  ASSERT_THAT(MakeDirectories(corrupt), IsOk());
  ASSERT_THAT(WriteFileAtomically(JoinPath(corrupt, "broken.pb"), "\xff\xff\xff"), IsOk());
  const Result bad = RunLasnn(absl::StrCat("compare --a=", corrupt, " --b=", b_));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr(JoinPath(corrupt, "broken.pb")));
  EXPECT_THAT(bad.output, Not(HasSubstr("| resolved |")));
}

}  // namespace
}  // namespace lasnn
