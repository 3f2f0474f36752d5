// Needs the real Fashion-MNIST (Debian's dataset-fashion-mnist package); tagged manual.
#include <cmath>
#include <vector>

#include "datasets/dataset_info.h"
#include "datasets/load_dataset.h"
#include "gtest/gtest.h"

namespace lasnn::datasets {
namespace {

TEST(RealFashionMnistTest, DefaultDirectoryHasTheOfficialSplits) {
  DatasetSpec spec;
  spec.set_kind(DATASET_KIND_FASHION_MNIST);
  auto splits = LoadDataset(spec);
  ASSERT_TRUE(splits.ok()) << splits.status();
  ASSERT_EQ(splits->train.images.sizes(), (at::IntArrayRef{60000, 1, 28, 28}));
  ASSERT_EQ(splits->test.images.sizes(), (at::IntArrayRef{10000, 1, 28, 28}));
  for (const Dataset* d : {&splits->train, &splits->test}) {
    std::vector<int64_t> counts(10, 0);
    const int64_t* labels = d->labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < d->labels.numel(); ++i) ++counts[labels[i]];
    for (int64_t c : counts) EXPECT_EQ(c, d->labels.numel() / 10);
  }
  // The training mean matches the normalisation table.
  const uint8_t* p = splits->train.images.data_ptr<uint8_t>();
  double sum = 0;
  const int64_t n = splits->train.images.numel();
  for (int64_t i = 0; i < n; ++i) sum += p[i];
  const double mean = sum / n / 255.0;
  EXPECT_NEAR(mean, GetDatasetInfo(DATASET_KIND_FASHION_MNIST)->mean[0], 5e-4);
  EXPECT_EQ(splits->train.labels.data_ptr<int64_t>()[0], 9);  // the first image: an ankle boot
}

}  // namespace
}  // namespace lasnn::datasets
