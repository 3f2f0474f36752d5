#include "datasets/dataset_info.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn::datasets {
namespace {

using ::testing::HasSubstr;

TEST(DatasetInfoTest, TableHasPublishedNormalisationConstants) {
  auto fm = GetDatasetInfo(DATASET_KIND_FASHION_MNIST);
  ASSERT_THAT(fm, IsOk());
  EXPECT_EQ(fm->channels, 1);
  EXPECT_EQ(fm->height, 28);
  EXPECT_FLOAT_EQ(fm->mean[0], 0.2860f);
  EXPECT_FLOAT_EQ(fm->std[0], 0.3530f);
  EXPECT_EQ(fm->default_path, "/usr/share/datasets/fashion-mnist");

  auto c10 = GetDatasetInfoByName("cifar10");
  ASSERT_THAT(c10, IsOk());
  EXPECT_FLOAT_EQ(c10->mean[2], 0.4465f);
  EXPECT_FLOAT_EQ(c10->std[1], 0.2435f);
  auto c100 = GetDatasetInfo(DATASET_KIND_CIFAR100);
  ASSERT_THAT(c100, IsOk());
  EXPECT_EQ(c100->num_classes, 100);
  EXPECT_FLOAT_EQ(c100->mean[0], 0.5071f);
  auto tin = GetDatasetInfoByName("tiny_imagenet");
  ASSERT_THAT(tin, IsOk());
  EXPECT_EQ(tin->num_classes, 200);
  EXPECT_EQ(tin->height, 64);
  EXPECT_FLOAT_EQ(tin->std[2], 0.2821f);
}

TEST(DatasetInfoTest, EveryKindIsListedOnceUnderItsName) {
  ASSERT_EQ(AllDatasetInfos().size(), 4u);
  for (const DatasetInfo& info : AllDatasetInfos()) {
    auto by_kind = GetDatasetInfo(info.kind);
    ASSERT_THAT(by_kind, IsOk());
    EXPECT_EQ(by_kind->name, info.name);
    auto by_name = GetDatasetInfoByName(info.name);
    ASSERT_THAT(by_name, IsOk());
    EXPECT_EQ(by_name->kind, info.kind);
    for (int64_t c = 0; c < info.channels; ++c) EXPECT_GT(info.std[c], 0.0f);
  }
}

TEST(DatasetInfoTest, UnknownIsInvalidArgument) {
  EXPECT_THAT(GetDatasetInfo(DATASET_KIND_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad = GetDatasetInfoByName("mnist");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cifar10")));
}

}  // namespace
}  // namespace lasnn::datasets
