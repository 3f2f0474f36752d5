// Reference weights (TeacherConfig.reference, ConversionConfig.qcfs_reference): the file is used
// only when its SHA-256 is the configured one, relative paths are read from the source tree, the
// record names the file, and a sweep evaluates each file once.
#include "benchmarks/harness/teacher.h"

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "datasets/quadrants.h"
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

using ::testing::AllOf;
using ::testing::HasSubstr;

ModelSpec QuadrantSpec() {
  absl::StatusOr<ModelSpec> spec = ParseModelSpecText(R"pb(
    name: "quadrant_ann" input { channels: 1 height: 8 width: 8 } num_classes: 4
    layers { flatten {} } layers { linear { out_features: 4 } }
  )pb");
  EXPECT_THAT(spec, IsOk());
  return *spec;
}

struct Fixture {
  std::string dir;            // the "source tree"
  std::string relative_file;  // the weights, relative to dir
  std::string sha;
  torch::Tensor weight;       // the saved linear weight
  ExperimentConfig config;
  datasets::DatasetSplits splits;
  std::vector<std::string> progress;
};

void MakeFixture(const std::string& name, Fixture& f) {
  f.dir = TestTmpPath(name);
  f.relative_file = "teachers/quadrant_ann.safetensors";
  torch::manual_seed(3);
  absl::StatusOr<Model> model = BuildModel(QuadrantSpec(), Mode::kAnn);
  ASSERT_THAT(model, IsOk());
  ASSERT_THAT(MakeDirectories(JoinPath(f.dir, "teachers")), IsOk());
  const std::string path = JoinPath(f.dir, f.relative_file);
  ASSERT_THAT(SaveWeights(path, **model), IsOk());
  absl::StatusOr<std::string> sha = Sha256File(path);
  ASSERT_THAT(sha, IsOk());
  f.sha = *sha;
  f.weight = (*model)->named_parameters().begin()->value().clone();
  f.config.mutable_data()->set_kind(datasets::DATASET_KIND_FASHION_MNIST);
  TeacherConfig* t = f.config.mutable_teacher();
  *t->mutable_model() = QuadrantSpec();
  t->mutable_train()->set_epochs(1);
  t->mutable_reference()->set_file(f.relative_file);
  t->mutable_reference()->set_sha256(f.sha);
  f.config.set_method(LOGIT_KD);
  f.config.mutable_eval()->set_throughput_batch(4);
  f.config.mutable_eval()->set_latency_repeats(1);
  f.config.set_device("cpu");
  f.splits.train = datasets::Quadrants(32, 1);
  f.splits.test = datasets::Quadrants(24, 2);
}

AnnSource SourceOf(Fixture& f, std::map<std::string, TeacherResult>* evaluated) {
  AnnSource s;
  s.cache_dir = JoinPath(f.dir, "cache");
  s.source_dir = f.dir;
  s.evaluated_references = evaluated;
  s.progress = [&f](absl::string_view line) { f.progress.emplace_back(line); };
  return s;
}

TEST(ReferenceTeacherTest, LoadsTheFileNamedInTheRecordAndEvaluatesItOnce) {
  Fixture f;
  MakeFixture("reference_ok", f);
  std::map<std::string, TeacherResult> evaluated;
  absl::StatusOr<Ann> a = ObtainTeacher(f.config, f.splits, SourceOf(f, &evaluated));
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->result.reference_file(), f.relative_file);
  EXPECT_EQ(a->result.weights_sha256(), f.sha);
  EXPECT_TRUE(a->result.cache_key().empty());
  EXPECT_EQ(a->result.outcomes().num_images(), 24);
  EXPECT_TRUE(torch::equal(a->model->named_parameters().begin()->value(), f.weight));
  EXPECT_FALSE(PathExists(JoinPath(f.dir, "cache")));  // nothing trained, nothing cached
  ASSERT_EQ(f.progress.size(), 1u);
  EXPECT_THAT(f.progress[0], HasSubstr("from the reference weights " + f.relative_file));

  // The second experiment of a sweep reuses the evaluation: same result, no new line.
  absl::StatusOr<Ann> b = ObtainTeacher(f.config, f.splits, SourceOf(f, &evaluated));
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->result.SerializeAsString(), a->result.SerializeAsString());
  EXPECT_TRUE(torch::equal(b->model->named_parameters().begin()->value(), f.weight));
  EXPECT_EQ(f.progress.size(), 1u);
}

TEST(ReferenceTeacherTest, AChangedFileIsRefusedNamingItAndTheField) {
  Fixture f;
  MakeFixture("reference_changed", f);
  f.config.mutable_teacher()->mutable_reference()->set_sha256(std::string(64, '0'));
  EXPECT_THAT(ObtainTeacher(f.config, f.splits, SourceOf(f, nullptr)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(JoinPath(f.dir, f.relative_file)),
                             HasSubstr("teacher.reference.sha256"), HasSubstr(f.sha),
                             HasSubstr("--from_scratch"))));
}

TEST(ReferenceTeacherTest, AMissingFileIsAnErrorNamingIt) {
  Fixture f;
  MakeFixture("reference_missing", f);
  f.config.mutable_teacher()->mutable_reference()->set_file("teachers/absent.safetensors");
  absl::StatusOr<Ann> a = ObtainTeacher(f.config, f.splits, SourceOf(f, nullptr));
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("teachers/absent.safetensors"));
}

}  // namespace
}  // namespace lasnn
