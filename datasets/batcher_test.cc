#include "datasets/batcher.h"

#include <ATen/Parallel.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>

#include <algorithm>
#include <string>
#include <vector>

#include "datasets/augment.h"
#include "datasets/synthetic.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn::datasets {
namespace {

// 103 CIFAR-shaped synthetic samples (a partial last batch with batch size 16).
Dataset SmallCifar() {
  SyntheticOptions o;
  o.train_per_class = 11;
  o.test_per_class = 1;
  auto s = SyntheticSplits(DATASET_KIND_CIFAR10, o);
  EXPECT_THAT(s, IsOk());
  Dataset d = s->train;
  d.images = d.images.slice(0, 0, 103).contiguous();
  d.labels = d.labels.slice(0, 0, 103).contiguous();
  return d;
}

BatcherOptions TrainOptions(uint64_t seed) {
  BatcherOptions o = *DefaultBatcherOptions("cifar10", /*training=*/true);
  o.batch_size = 16;
  o.seed = seed;
  return o;
}

std::unique_ptr<Batcher> Make(const Dataset& d, const BatcherOptions& o) {
  auto b = Batcher::Create(d, o);
  EXPECT_THAT(b, IsOk());
  return *std::move(b);
}

std::vector<Batch> Epoch(Batcher& b, int64_t epoch) {
  EXPECT_TRUE(b.StartEpoch(epoch).ok());
  std::vector<Batch> out;
  for (int64_t i = 0; i < b.batches_per_epoch(); ++i) {
    auto batch = b.Next();
    EXPECT_THAT(batch, IsOk());
    out.push_back(*batch);
  }
  EXPECT_THAT(b.Next(), StatusIs(absl::StatusCode::kOutOfRange));
  return out;
}

bool SameEpochs(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].images.equal(b[i].images) || !a[i].labels.equal(b[i].labels) ||
        !a[i].indices.equal(b[i].indices)) {
      return false;
    }
  }
  return true;
}

std::vector<int64_t> Indices(const std::vector<Batch>& epoch) {
  std::vector<int64_t> all;
  for (const Batch& b : epoch) {
    const int64_t* p = b.indices.data_ptr<int64_t>();
    all.insert(all.end(), p, p + b.indices.numel());
  }
  return all;
}

TEST(BatcherTest, ShapesDtypesAndLabels) {
  Dataset d = SmallCifar();
  auto b = Make(d, TrainOptions(1));
  EXPECT_EQ(b->batches_per_epoch(), 7);
  std::vector<Batch> epoch = Epoch(*b, 0);
  ASSERT_EQ(epoch.size(), 7u);
  EXPECT_EQ(epoch[0].images.sizes(), (at::IntArrayRef{16, 3, 32, 32}));
  EXPECT_EQ(epoch[0].images.scalar_type(), at::kFloat);
  EXPECT_EQ(epoch[0].labels.scalar_type(), at::kLong);
  EXPECT_EQ(epoch[6].images.size(0), 103 - 6 * 16);
  for (const Batch& batch : epoch) {
    for (int64_t j = 0; j < batch.indices.numel(); ++j) {
      EXPECT_EQ(batch.labels.data_ptr<int64_t>()[j],
                d.labels.data_ptr<int64_t>()[batch.indices.data_ptr<int64_t>()[j]]);
    }
  }
}

TEST(BatcherTest, EverySampleExactlyOncePerEpoch) {
  Dataset d = SmallCifar();
  auto b = Make(d, TrainOptions(5));
  for (int64_t e : {0, 1}) {
    std::vector<int64_t> seen = Indices(Epoch(*b, e));
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), 103u);
    for (int64_t i = 0; i < 103; ++i) EXPECT_EQ(seen[i], i);
  }
}

TEST(BatcherTest, DropLastDropsThePartialBatch) {
  Dataset d = SmallCifar();
  BatcherOptions o = TrainOptions(5);
  o.drop_last = true;
  auto b = Make(d, o);
  EXPECT_EQ(b->batches_per_epoch(), 6);
  std::vector<Batch> epoch = Epoch(*b, 0);
  ASSERT_EQ(epoch.size(), 6u);
  EXPECT_EQ(epoch.back().images.size(0), 16);
  std::vector<int64_t> seen = Indices(epoch);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST(BatcherTest, SameSeedSameBatchesDifferentSeedOrEpochDiffer) {
  Dataset d = SmallCifar();
  auto a = Make(d, TrainOptions(7));
  auto a2 = Make(d, TrainOptions(7));
  auto c = Make(d, TrainOptions(8));
  std::vector<Batch> a0 = Epoch(*a, 0);
  EXPECT_TRUE(SameEpochs(a0, Epoch(*a2, 0)));
  EXPECT_TRUE(SameEpochs(a0, Epoch(*a, 0)));  // restarting an epoch repeats it
  EXPECT_FALSE(SameEpochs(a0, Epoch(*c, 0)));
  EXPECT_NE(Indices(a0), Indices(Epoch(*c, 0)));
  EXPECT_NE(Indices(a0), Indices(Epoch(*a, 1)));
}

TEST(BatcherTest, PrefetchGivesIdenticalBatches) {
  Dataset d = SmallCifar();
  BatcherOptions o = TrainOptions(3);
  auto plain = Make(d, o);
  o.prefetch_batches = 2;
  auto prefetched = Make(d, o);
  EXPECT_TRUE(SameEpochs(Epoch(*plain, 0), Epoch(*prefetched, 0)));
  EXPECT_TRUE(SameEpochs(Epoch(*plain, 4), Epoch(*prefetched, 4)));
  // Abandoning an epoch half-way and starting another is safe and gives the new epoch.
  ASSERT_TRUE(prefetched->StartEpoch(1).ok());
  ASSERT_TRUE(prefetched->Next().ok());
  EXPECT_TRUE(SameEpochs(Epoch(*plain, 2), Epoch(*prefetched, 2)));
}

TEST(BatcherTest, IndependentOfThreadCount) {
  Dataset d = SmallCifar();
  BatcherOptions o = TrainOptions(9);
  o.batch_size = 103;  // one batch, split over threads
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  std::vector<Batch> one = Epoch(*Make(d, o), 0);
  at::set_num_threads(4);
  std::vector<Batch> four = Epoch(*Make(d, o), 0);
  at::set_num_threads(before);
  EXPECT_TRUE(SameEpochs(one, four));
}

TEST(BatcherTest, EvaluationModeIsFixedOrderWithoutAugmentation) {
  Dataset d = SmallCifar();
  BatcherOptions o = *DefaultBatcherOptions("cifar10", /*training=*/false);
  o.batch_size = 16;
  o.seed = 123;
  o.shuffle = true;  // ignored in evaluation mode
  o.crop_padding = 4;
  o.horizontal_flip = true;
  auto b = Make(d, o);
  std::vector<Batch> e0 = Epoch(*b, 0);
  std::vector<int64_t> order = Indices(e0);
  for (int64_t i = 0; i < 103; ++i) ASSERT_EQ(order[i], i);
  EXPECT_TRUE(SameEpochs(e0, Epoch(*b, 3)));
  // Pixel (c, y, x) of sample 17 is (p / 255 - mean_c) / std_c.
  const float mean1 = 0.4822f, std1 = 0.2435f;
  const uint8_t p = d.images.data_ptr<uint8_t>()[17 * 3072 + 1024 + 5 * 32 + 9];
  EXPECT_NEAR(e0[1].images[1][1][5][9].item<float>(), (p / 255.0f - mean1) / std1, 1e-5);
}

TEST(BatcherTest, AugmentationMatchesTheDrawnCropAndFlip) {
  // A 1x4x4 image with pixels 1..16; check each sample against its drawn augmentation.
  Dataset d;
  d.name = "toy";
  d.images = at::arange(1, 17, at::kByte).reshape({1, 1, 4, 4}).repeat({8, 1, 1, 1}).contiguous();
  d.labels = at::arange(8, at::kLong);
  d.num_classes = 8;
  BatcherOptions o;
  o.batch_size = 8;
  o.shuffle = false;
  o.crop_padding = 1;
  o.horizontal_flip = true;
  o.mean = {0.0f};
  o.std = {1.0f / 255.0f};  // identity: output = raw pixel
  o.seed = 2;
  auto b = Make(d, o);
  std::vector<Batch> e = Epoch(*b, 0);
  int crops = 0, flips = 0;
  for (int64_t i = 0; i < 8; ++i) {
    SampleAugmentation aug = DrawAugmentation(2, 0, i, 1, true);
    crops += aug.dy != 0 || aug.dx != 0;
    flips += aug.flip;
    for (int64_t y = 0; y < 4; ++y) {
      for (int64_t x = 0; x < 4; ++x) {
        const int64_t cx = aug.flip ? 3 - x : x;  // flip after crop
        const int64_t sy = y + aug.dy, sx = cx + aug.dx;
        const float want = (sy < 0 || sy > 3 || sx < 0 || sx > 3) ? 0.0f : 1 + sy * 4 + sx;
        EXPECT_NEAR(e[0].images[i][0][y][x].item<float>(), want, 1e-4) << i << " " << y << x;
      }
    }
  }
  EXPECT_GT(crops, 0);  // seed 2 exercises both paths
  EXPECT_GT(flips, 0);
}

TEST(BatcherTest, MakeBatchAndNextAgree) {
  Dataset d = SmallCifar();
  auto b = Make(d, TrainOptions(4));
  std::vector<Batch> e = Epoch(*b, 2);
  std::vector<int64_t> order = b->EpochOrder(2);
  auto direct = b->MakeBatch(2, std::vector<int64_t>(order.begin() + 16, order.begin() + 32));
  ASSERT_THAT(direct, IsOk());
  EXPECT_TRUE(direct->images.equal(e[1].images));
  EXPECT_THAT(b->MakeBatch(0, {103}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BatcherTest, BadOptionsAreInvalidArgument) {
  Dataset d = SmallCifar();
  BatcherOptions o = TrainOptions(1);
  o.batch_size = 0;
  EXPECT_THAT(Batcher::Create(d, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o = TrainOptions(1);
  o.mean = {0.5f};
  EXPECT_THAT(Batcher::Create(d, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o = TrainOptions(1);
  o.std[2] = 0.0f;
  EXPECT_THAT(Batcher::Create(d, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o = TrainOptions(1);
  o.crop_padding = 32;
  EXPECT_THAT(Batcher::Create(d, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o = TrainOptions(1);
  Dataset wrong = d;
  wrong.images = d.images.to(at::kFloat);
  EXPECT_THAT(Batcher::Create(wrong, o), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DefaultBatcherOptions("imagenet", true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto b = Make(d, o);
  EXPECT_THAT(b->Next(), StatusIs(absl::StatusCode::kOutOfRange));  // before StartEpoch
  EXPECT_THAT(b->StartEpoch(-1), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lasnn::datasets
