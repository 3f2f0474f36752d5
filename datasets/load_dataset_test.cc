#include "datasets/load_dataset.h"

#include <cstdlib>
#include <string>

#include "datasets/synthetic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn::datasets {
namespace {

using ::testing::HasSubstr;

std::string TestDir(const std::string& name) {
  return TestTmpPath("load_dataset_test_" + name);
}

TEST(LoadDatasetTest, UnspecifiedKindIsInvalidArgumentNamingTheField) {
  DatasetSpec spec;
  spec.set_path("/tmp");
  absl::Status s = LoadDataset(spec).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DatasetSpec.kind")));
}

TEST(LoadDatasetTest, PathIsRequiredWhereThereIsNoDefault) {
  for (DatasetKind kind :
       {DATASET_KIND_CIFAR10, DATASET_KIND_CIFAR100, DATASET_KIND_TINY_IMAGENET}) {
    DatasetSpec spec;
    spec.set_kind(kind);
    absl::Status s = LoadDataset(spec).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DatasetSpec.path")));
  }
}

TEST(LoadDatasetTest, NegativeDecodeThreadsIsInvalidArgument) {
  DatasetSpec spec;
  spec.set_kind(DATASET_KIND_TINY_IMAGENET);
  spec.set_path("/tmp");
  spec.set_decode_threads(-1);
  EXPECT_THAT(LoadDataset(spec), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadDatasetTest, MissingDirectoryIsNotFoundNamingIt) {
  for (DatasetKind kind : {DATASET_KIND_FASHION_MNIST, DATASET_KIND_CIFAR10,
                           DATASET_KIND_CIFAR100, DATASET_KIND_TINY_IMAGENET}) {
    DatasetSpec spec;
    spec.set_kind(kind);
    spec.set_path("/nonexistent/data/dir");
    absl::Status s = LoadDataset(spec).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/data/dir")));
  }
}

TEST(LoadDatasetTest, Cifar100LabelModeSelectsCoarse) {
  SyntheticOptions o;
  o.train_per_class = 1;
  o.test_per_class = 1;
  const std::string dir = TestDir("c100");
  ASSERT_TRUE(WriteSyntheticDataset(DATASET_KIND_CIFAR100, dir, o).ok());
  DatasetSpec spec;
  spec.set_kind(DATASET_KIND_CIFAR100);
  spec.set_path(dir);
  auto fine = LoadDataset(spec);
  ASSERT_THAT(fine, IsOk());
  spec.set_cifar100_label_mode(CIFAR100_LABEL_MODE_COARSE);
  auto coarse = LoadDataset(spec);
  ASSERT_THAT(coarse, IsOk());
  EXPECT_EQ(fine->train.num_classes, 100);
  EXPECT_EQ(coarse->train.num_classes, 20);
  EXPECT_TRUE(fine->train.images.equal(coarse->train.images));
  EXPECT_TRUE(coarse->train.labels.equal(fine->train.labels.div(5, "floor")));
  EXPECT_EQ(coarse->test.class_names[19], "coarse_19");
}

}  // namespace
}  // namespace lasnn::datasets
