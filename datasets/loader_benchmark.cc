// Loader throughput in images/s: decoding (IDX plain and gzip, CIFAR records, Tiny ImageNet
// JPEGs, the real Fashion-MNIST from disk when installed) and batching with augmentation
// (crop with padding + flip + normalisation into float32 [128, C, H, W]) on one thread, for
// Fashion-MNIST shapes (the real data when installed) and CIFAR shapes. Rates are per wall-clock
// second (UseRealTime), so prefetching on a background thread is not flattered.
//   bazel run //datasets:loader_benchmark
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "datasets/batcher.h"
#include "datasets/cifar.h"
#include "datasets/gzip_util.h"
#include "datasets/idx.h"
#include "datasets/load_dataset.h"
#include "datasets/synthetic.h"
#include "datasets/tiny_imagenet.h"

namespace lasnn::datasets {
namespace {

void SetRate(benchmark::State& state, int64_t images_per_iteration) {
  state.counters["images/s"] = benchmark::Counter(
      static_cast<double>(images_per_iteration), benchmark::Counter::kIsIterationInvariantRate);
}

// Deterministic filler pixels (content does not affect speed).
void Fill(uint8_t* p, int64_t n) {
  uint32_t x = 12345;
  for (int64_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    p[i] = static_cast<uint8_t>(x >> 24);
  }
}

std::string IdxImages(int64_t n) {
  std::string bytes = {0, 0, 8, 3};
  for (uint32_t v : {static_cast<uint32_t>(n), 28u, 28u}) {
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<char>((v >> s) & 0xff));
  }
  const size_t header = bytes.size();
  bytes.resize(header + n * 784);
  Fill(reinterpret_cast<uint8_t*>(bytes.data() + header), n * 784);
  return bytes;
}

void BM_DecodeIdxPlain(benchmark::State& state) {
  at::set_num_threads(1);
  const int64_t n = 10000;
  const std::string bytes = IdxImages(n);
  for (auto _ : state) benchmark::DoNotOptimize(DecodeIdxImages(bytes, "mem").ok());
  SetRate(state, n);
}
BENCHMARK(BM_DecodeIdxPlain)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodeIdxGzip(benchmark::State& state) {
  at::set_num_threads(1);
  const int64_t n = 10000;
  const std::string gz = *GzipCompress(IdxImages(n));
  for (auto _ : state) {
    auto plain = MaybeGunzip(gz, "mem.gz");
    benchmark::DoNotOptimize(DecodeIdxImages(*plain, "mem.gz").ok());
  }
  SetRate(state, n);
}
BENCHMARK(BM_DecodeIdxGzip)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LoadRealFashionMnistFromDisk(benchmark::State& state) {
  at::set_num_threads(1);
  DatasetSpec spec;
  spec.set_kind(DATASET_KIND_FASHION_MNIST);
  int64_t n = 0;
  for (auto _ : state) {
    auto splits = LoadDataset(spec);
    if (!splits.ok()) {
      state.SkipWithError("real Fashion-MNIST not installed");
      return;
    }
    n = splits->train.images.size(0) + splits->test.images.size(0);
  }
  SetRate(state, n);
}
BENCHMARK(BM_LoadRealFashionMnistFromDisk)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_DecodeCifar10(benchmark::State& state) {
  at::set_num_threads(1);
  const int64_t n = 10000;
  std::string bytes(n * kCifar10RecordBytes, '\0');
  Fill(reinterpret_cast<uint8_t*>(bytes.data()), static_cast<int64_t>(bytes.size()));
  for (int64_t i = 0; i < n; ++i) bytes[i * kCifar10RecordBytes] = static_cast<char>(i % 10);
  for (auto _ : state) benchmark::DoNotOptimize(DecodeCifar10(bytes, "mem").ok());
  SetRate(state, n);
}
BENCHMARK(BM_DecodeCifar10)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodeTinyImageNetJpeg(benchmark::State& state) {
  cv::Mat bgr(64, 64, CV_8UC3);
  Fill(bgr.data, 64 * 64 * 3);
  std::vector<uchar> buf;
  cv::imencode(".JPEG", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  const std::string jpeg(buf.begin(), buf.end());
  std::vector<uint8_t> out(3 * 64 * 64);
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecodeTinyImageNetImage(jpeg, "mem.JPEG", out.data()).ok());
  }
  SetRate(state, 1);
}
BENCHMARK(BM_DecodeTinyImageNetJpeg)->UseRealTime();

// The real Fashion-MNIST training split if installed, else 60000 filler images of its shape.
const Dataset& FashionMnistTrain() {
  static const Dataset* d = [] {
    DatasetSpec spec;
    spec.set_kind(DATASET_KIND_FASHION_MNIST);
    auto splits = LoadDataset(spec);
    if (splits.ok()) return new Dataset(splits->train);
    auto* fake = new Dataset;
    fake->name = "fashion_mnist";
    fake->images = at::empty({60000, 1, 28, 28}, at::kByte);
    Fill(fake->images.data_ptr<uint8_t>(), fake->images.numel());
    fake->labels = at::empty({60000}, at::kLong);
    for (int64_t i = 0; i < 60000; ++i) fake->labels.data_ptr<int64_t>()[i] = i % 10;
    fake->num_classes = 10;
    return fake;
  }();
  return *d;
}

const Dataset& CifarShapedTrain() {
  static const Dataset* d = [] {
    auto* fake = new Dataset;
    fake->name = "cifar10";
    fake->images = at::empty({50000, 3, 32, 32}, at::kByte);
    Fill(fake->images.data_ptr<uint8_t>(), fake->images.numel());
    fake->labels = at::empty({50000}, at::kLong);
    for (int64_t i = 0; i < 50000; ++i) fake->labels.data_ptr<int64_t>()[i] = i % 10;
    fake->num_classes = 10;
    return fake;
  }();
  return *d;
}

// Batches of 128 with crop padding range(0), flip, normalisation; prefetch range(1) batches.
void RunBatches(benchmark::State& state, const Dataset& d) {
  at::set_num_threads(1);
  BatcherOptions o = *DefaultBatcherOptions(d.name, /*training=*/true);
  o.batch_size = 128;
  o.crop_padding = static_cast<int>(state.range(0));
  o.horizontal_flip = true;
  o.prefetch_batches = static_cast<int>(state.range(1));
  auto batcher = Batcher::Create(d, o);
  if (!batcher.ok()) {
    state.SkipWithError(std::string(batcher.status().message()).c_str());
    return;
  }
  Batcher& b = **batcher;
  int64_t epoch = 0;
  (void)b.StartEpoch(epoch);
  int64_t left = b.batches_per_epoch();
  for (auto _ : state) {
    if (left == 0) {
      (void)b.StartEpoch(++epoch);
      left = b.batches_per_epoch();
    }
    auto batch = b.Next();
    benchmark::DoNotOptimize(batch->images.data_ptr<float>());
    --left;
  }
  SetRate(state, 128);
}

void BM_BatchFashionMnist(benchmark::State& state) { RunBatches(state, FashionMnistTrain()); }
BENCHMARK(BM_BatchFashionMnist)
    ->ArgNames({"pad", "prefetch"})
    ->Args({2, 0})
    ->Args({4, 0})
    ->Args({2, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_BatchCifar(benchmark::State& state) { RunBatches(state, CifarShapedTrain()); }
BENCHMARK(BM_BatchCifar)
    ->ArgNames({"pad", "prefetch"})
    ->Args({4, 0})
    ->Args({4, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace lasnn::datasets
