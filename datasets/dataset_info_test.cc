#include "datasets/dataset_info.h"

#include "gtest/gtest.h"

namespace lasnn::datasets {
namespace {

TEST(DatasetInfoTest, TableHasPublishedNormalisationConstants) {
  auto fm = GetDatasetInfo(DATASET_KIND_FASHION_MNIST);
  ASSERT_TRUE(fm.ok()) << fm.status();
  EXPECT_EQ(fm->channels, 1);
  EXPECT_EQ(fm->height, 28);
  EXPECT_FLOAT_EQ(fm->mean[0], 0.2860f);
  EXPECT_FLOAT_EQ(fm->std[0], 0.3530f);
  EXPECT_EQ(fm->default_path, "/usr/share/datasets/fashion-mnist");

  auto c10 = GetDatasetInfoByName("cifar10");
  ASSERT_TRUE(c10.ok());
  EXPECT_FLOAT_EQ(c10->mean[2], 0.4465f);
  EXPECT_FLOAT_EQ(c10->std[1], 0.2435f);
  auto c100 = GetDatasetInfo(DATASET_KIND_CIFAR100);
  ASSERT_TRUE(c100.ok());
  EXPECT_EQ(c100->num_classes, 100);
  EXPECT_FLOAT_EQ(c100->mean[0], 0.5071f);
  auto tin = GetDatasetInfoByName("tiny_imagenet");
  ASSERT_TRUE(tin.ok());
  EXPECT_EQ(tin->num_classes, 200);
  EXPECT_EQ(tin->height, 64);
  EXPECT_FLOAT_EQ(tin->std[2], 0.2821f);
}

TEST(DatasetInfoTest, EveryKindIsListedOnceUnderItsName) {
  ASSERT_EQ(AllDatasetInfos().size(), 4u);
  for (const DatasetInfo& info : AllDatasetInfos()) {
    auto by_kind = GetDatasetInfo(info.kind);
    ASSERT_TRUE(by_kind.ok());
    EXPECT_EQ(by_kind->name, info.name);
    auto by_name = GetDatasetInfoByName(info.name);
    ASSERT_TRUE(by_name.ok());
    EXPECT_EQ(by_name->kind, info.kind);
    for (int64_t c = 0; c < info.channels; ++c) EXPECT_GT(info.std[c], 0.0f);
  }
}

TEST(DatasetInfoTest, UnknownIsInvalidArgument) {
  EXPECT_EQ(GetDatasetInfo(DATASET_KIND_UNSPECIFIED).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto bad = GetDatasetInfoByName("mnist");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("cifar10"), std::string::npos);
}

}  // namespace
}  // namespace lasnn::datasets
