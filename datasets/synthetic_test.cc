#include "datasets/synthetic.h"

#include <ATen/ops/zeros.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "datasets/load_dataset.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn::datasets {
namespace {

std::string TestDir(const std::string& name) {
  return TestTmpPath("synthetic_test_" + name);
}

void ExpectSameSplits(const DatasetSplits& got, const DatasetSplits& want) {
  for (auto [g, w] : {std::make_pair(&got.train, &want.train),
                      std::make_pair(&got.test, &want.test)}) {
    EXPECT_EQ(g->name, w->name);
    EXPECT_EQ(g->split, w->split);
    EXPECT_EQ(g->num_classes, w->num_classes);
    EXPECT_EQ(g->class_names, w->class_names);
    ASSERT_EQ(g->images.sizes(), w->images.sizes());
    EXPECT_TRUE(g->images.equal(w->images)) << g->name << "/" << g->split;
    EXPECT_TRUE(g->labels.equal(w->labels)) << g->name << "/" << g->split;
  }
}

// Writes `kind` with `options`, loads it through LoadDataset, and compares with SyntheticSplits.
void RoundTrip(DatasetKind kind, const SyntheticOptions& options, const std::string& name,
               Cifar100LabelMode mode = CIFAR100_LABEL_MODE_FINE) {
  const std::string dir = TestDir(name);
  absl::Status written = WriteSyntheticDataset(kind, dir, options);
  ASSERT_THAT(written, IsOk());
  DatasetSpec spec;
  spec.set_kind(kind);
  spec.set_path(dir);
  spec.set_cifar100_label_mode(mode);
  auto loaded = LoadDataset(spec);
  ASSERT_THAT(loaded, IsOk());
  auto expected = SyntheticSplits(kind, options);
  ASSERT_THAT(expected, IsOk());
  ExpectSameSplits(*loaded, *expected);
}

TEST(SyntheticTest, FashionMnistGzipRoundTrips) {
  SyntheticOptions o;
  o.gzip = true;
  RoundTrip(DATASET_KIND_FASHION_MNIST, o, "fm_gz");
  EXPECT_TRUE(PathExists(JoinPath(TestDir("fm_gz"), "train-images-idx3-ubyte.gz")));
  EXPECT_FALSE(PathExists(JoinPath(TestDir("fm_gz"), "train-images-idx3-ubyte")));
}

TEST(SyntheticTest, FashionMnistPlainRoundTrips) {
  SyntheticOptions o;
  o.gzip = false;
  RoundTrip(DATASET_KIND_FASHION_MNIST, o, "fm_plain");
  EXPECT_TRUE(PathExists(JoinPath(TestDir("fm_plain"), "t10k-labels-idx1-ubyte")));
}

TEST(SyntheticTest, Cifar10RoundTripsWithOfficialFileSizes) {
  SyntheticOptions o;
  o.train_per_class = 5;  // 50 records: 10 per data batch
  RoundTrip(DATASET_KIND_CIFAR10, o, "c10");
  auto size = FileSize(JoinPath(TestDir("c10"), "data_batch_3.bin"));
  ASSERT_THAT(size, IsOk());
  EXPECT_EQ(*size, 10 * 3073);
}

TEST(SyntheticTest, Cifar100RoundTripsFineAndCoarse) {
  SyntheticOptions o;
  o.train_per_class = 1;
  o.test_per_class = 1;
  RoundTrip(DATASET_KIND_CIFAR100, o, "c100_fine");
  o.cifar100_coarse = true;
  RoundTrip(DATASET_KIND_CIFAR100, o, "c100_coarse", CIFAR100_LABEL_MODE_COARSE);
  auto size = FileSize(JoinPath(TestDir("c100_fine"), "train.bin"));
  ASSERT_THAT(size, IsOk());
  EXPECT_EQ(*size, 100 * 3074);
}

TEST(SyntheticTest, TinyImageNetRoundTrips) {
  SyntheticOptions o;
  o.num_classes = 4;
  o.train_per_class = 2;
  o.test_per_class = 1;
  RoundTrip(DATASET_KIND_TINY_IMAGENET, o, "tin");
}

TEST(SyntheticTest, LabelsAreBalancedAndSeeded) {
  std::vector<int64_t> a = SyntheticLabels(7, 10, 3);
  std::vector<int64_t> counts(10, 0);
  for (int64_t v : a) ++counts[v];
  for (int64_t c : counts) EXPECT_EQ(c, 7);
  EXPECT_EQ(a, SyntheticLabels(7, 10, 3));
  EXPECT_NE(a, SyntheticLabels(7, 10, 4));
}

TEST(SyntheticTest, SeedChangesContent) {
  SyntheticOptions a, b;
  b.seed = a.seed + 1;
  auto x = SyntheticSplits(DATASET_KIND_CIFAR10, a);
  auto y = SyntheticSplits(DATASET_KIND_CIFAR10, b);
  auto x2 = SyntheticSplits(DATASET_KIND_CIFAR10, a);
  ASSERT_TRUE(x.ok() && y.ok() && x2.ok());
  EXPECT_FALSE(x->train.images.equal(y->train.images));
  EXPECT_TRUE(x->train.images.equal(x2->train.images));
}

// Nearest class centroid (trained on train, scored on test) must be perfect: the content is
// learnable from the class alone, for every class of every dataset.
void ExpectLearnable(DatasetKind kind, const SyntheticOptions& o) {
  auto s = SyntheticSplits(kind, o);
  ASSERT_THAT(s, IsOk());
  const int64_t k = s->train.num_classes;
  const int64_t d = s->train.images[0].numel();
  std::vector<double> centroid(k * d, 0.0);
  std::vector<int64_t> count(k, 0);
  const uint8_t* x = s->train.images.data_ptr<uint8_t>();
  for (int64_t i = 0; i < s->train.images.size(0); ++i) {
    const int64_t c = s->train.labels.data_ptr<int64_t>()[i];
    ++count[c];
    for (int64_t j = 0; j < d; ++j) centroid[c * d + j] += x[i * d + j];
  }
  for (int64_t c = 0; c < k; ++c) {
    for (int64_t j = 0; j < d; ++j) centroid[c * d + j] /= count[c];
  }
  const uint8_t* t = s->test.images.data_ptr<uint8_t>();
  int64_t correct = 0;
  const int64_t n = s->test.images.size(0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = -1;
    double best_dist = 0;
    for (int64_t c = 0; c < k; ++c) {
      double dist = 0;
      for (int64_t j = 0; j < d; ++j) {
        const double diff = t[i * d + j] - centroid[c * d + j];
        dist += diff * diff;
      }
      if (best < 0 || dist < best_dist) {
        best = c;
        best_dist = dist;
      }
    }
    correct += best == s->test.labels.data_ptr<int64_t>()[i];
  }
  EXPECT_EQ(correct, n) << s->train.name;
}

TEST(SyntheticTest, ContentIsClassDependent) {
  SyntheticOptions o;
  o.train_per_class = 2;
  o.test_per_class = 1;
  ExpectLearnable(DATASET_KIND_FASHION_MNIST, o);
  ExpectLearnable(DATASET_KIND_CIFAR100, o);
  o.num_classes = 0;
  o.train_per_class = 1;
  ExpectLearnable(DATASET_KIND_TINY_IMAGENET, o);
}

TEST(SyntheticTest, BadOptionsAreInvalidArgument) {
  SyntheticOptions o;
  o.train_per_class = 0;
  EXPECT_THAT(WriteSyntheticDataset(DATASET_KIND_CIFAR10, TestDir("bad"), o),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o.train_per_class = 1;
  o.num_classes = 5;  // only Tiny ImageNet may use fewer classes
  EXPECT_THAT(SyntheticSplits(DATASET_KIND_CIFAR10, o),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SyntheticSplits(DATASET_KIND_UNSPECIFIED, SyntheticOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lasnn::datasets
