#include "benchmarks/harness/teacher_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <torch/nn/utils.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/checkpoint.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

// Whether another open file description can take the lock on <dir>/lock right now.
bool LockIsFree(const std::string& dir) {
  const int fd = ::open(JoinPath(dir, "lock").c_str(), O_RDWR | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

TEST(CacheLockTest, ExclusiveWhileHeld) {
  const std::string dir = TestTmpPath("lock_cache/teacher_x");
  {
    absl::StatusOr<CacheLock> lock = CacheLock::Acquire(dir);
    ASSERT_THAT(lock, IsOk());
    EXPECT_FALSE(LockIsFree(dir));
    CacheLock moved = std::move(*lock);
    EXPECT_FALSE(LockIsFree(dir));
  }
  EXPECT_TRUE(LockIsFree(dir));
}

TEST(CacheLockTest, UncreatableDirectoryNamesThePath) {
  const std::string file = TestTmpPath("lock_cache_file");
  ASSERT_THAT(WriteFileAtomically(file, "x"), IsOk());
  EXPECT_THAT(CacheLock::Acquire(JoinPath(file, "sub")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(file)));
}

Model TinyModel() {
  absl::StatusOr<ModelSpec> spec = ParseModelSpecText(R"pb(
    name: "tiny" input { channels: 1 height: 2 width: 2 } num_classes: 3
    layers { flatten {} } layers { linear { out_features: 3 } }
  )pb");
  EXPECT_THAT(spec, IsOk());
  absl::StatusOr<Model> model = BuildModel(*spec, Mode::kAnn);
  EXPECT_THAT(model, IsOk());
  return *model;
}

TEST(LoadCachedAnnTest, IncompleteEntryIsAbsent) {
  const std::string dir = TestTmpPath("cache_incomplete");
  ASSERT_THAT(MakeDirectories(dir), IsOk());
  Model model = TinyModel();
  absl::StatusOr<std::optional<TeacherResult>> r = LoadCachedAnn(dir, model);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->has_value());
  // Weights without a result: a training that did not finish.
  ASSERT_THAT(SaveWeights(CachedWeightsPath(dir), *model), IsOk());
  r = LoadCachedAnn(dir, model);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->has_value());
}

TEST(LoadCachedAnnTest, RoundTripLoadsWeightsAndResult) {
  const std::string dir = TestTmpPath("cache_round_trip");
  ASSERT_THAT(MakeDirectories(dir), IsOk());
  Model trained = TinyModel();
  ASSERT_THAT(SaveWeights(CachedWeightsPath(dir), *trained), IsOk());
  TeacherResult result;
  result.set_model_name("tiny");
  result.set_test_accuracy(0.75);
  absl::StatusOr<std::string> sha = Sha256File(CachedWeightsPath(dir));
  ASSERT_THAT(sha, IsOk());
  result.set_weights_sha256(*sha);
  ASSERT_THAT(StoreCachedAnnResult(dir, result), IsOk());

  Model fresh = TinyModel();
  absl::StatusOr<std::optional<TeacherResult>> r = LoadCachedAnn(dir, fresh);
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->test_accuracy(), 0.75);
  EXPECT_EQ((*r)->weights_sha256(), *sha);
  const torch::Tensor a = torch::nn::utils::parameters_to_vector(trained->parameters());
  const torch::Tensor b = torch::nn::utils::parameters_to_vector(fresh->parameters());
  EXPECT_TRUE(a.equal(b));
}

TEST(LoadCachedAnnTest, CorruptResultOrWrongChecksumIsDataLoss) {
  const std::string dir = TestTmpPath("cache_corrupt");
  ASSERT_THAT(MakeDirectories(dir), IsOk());
  Model model = TinyModel();
  ASSERT_THAT(SaveWeights(CachedWeightsPath(dir), *model), IsOk());
  ASSERT_THAT(WriteFileAtomically(CachedResultPath(dir), "\xff\xff\xff\xff"), IsOk());
  EXPECT_THAT(LoadCachedAnn(dir, model),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(CachedResultPath(dir))));

  TeacherResult result;
  result.set_weights_sha256("0000");
  ASSERT_THAT(StoreCachedAnnResult(dir, result), IsOk());
  EXPECT_THAT(LoadCachedAnn(dir, model),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not match the checksum")));
}

}  // namespace
}  // namespace lasnn
