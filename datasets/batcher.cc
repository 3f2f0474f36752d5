#include "datasets/batcher.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "datasets/augment.h"
#include "datasets/dataset_info.h"
#include "datasets/rng.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn::datasets {
namespace {

constexpr uint64_t kShuffleSalt = 0x73687566666c65ULL;
// Samples per parallel task: big enough that thread start-up does not dominate.
constexpr int64_t kGrainSamples = 32;

}  // namespace

absl::StatusOr<BatcherOptions> DefaultBatcherOptions(absl::string_view dataset_name,
                                                     bool training) {
  LASNN_ASSIGN_OR_RETURN(DatasetInfo info, GetDatasetInfoByName(dataset_name));
  BatcherOptions o;
  o.training = training;
  o.mean.assign(info.mean.begin(), info.mean.begin() + info.channels);
  o.std.assign(info.std.begin(), info.std.begin() + info.channels);
  o.shuffle = training;
  o.horizontal_flip = training;
  o.crop_padding = !training ? 0 : info.height <= 28 ? 2 : info.height <= 32 ? 4 : 8;
  return o;
}

void UseRawImages(BatcherOptions& options) {
  options.mean.assign(options.mean.size(), 0.0f);
  options.std.assign(options.std.size(), 1.0f);
}

absl::StatusOr<std::unique_ptr<Batcher>> Batcher::Create(const Dataset& dataset,
                                                         BatcherOptions options) {
  const std::string what = absl::StrCat("Batcher for ", dataset.name, "/", dataset.split);
  const at::Tensor& images = dataset.images;
  const at::Tensor& labels = dataset.labels;
  if (!images.defined() || images.dim() != 4 || images.scalar_type() != at::kByte ||
      !images.is_contiguous() || !images.device().is_cpu()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": images must be a contiguous CPU uint8 [N, C, H, W] tensor"));
  }
  if (!labels.defined() || labels.dim() != 1 || labels.scalar_type() != at::kLong ||
      !labels.is_contiguous() || !labels.device().is_cpu() || labels.size(0) != images.size(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": labels must be a contiguous CPU int64 [N] tensor matching images"));
  }
  const int64_t c = images.size(1);
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": batch_size must be >= 1, got ", options.batch_size));
  }
  if (options.crop_padding < 0 || options.crop_padding >= images.size(2) ||
      options.crop_padding >= images.size(3)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": crop_padding must be in [0, image size), got ", options.crop_padding));
  }
  if (static_cast<int64_t>(options.mean.size()) != c ||
      static_cast<int64_t>(options.std.size()) != c) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": mean and std need ", c,
                                                   " entries (one per channel), got ",
                                                   options.mean.size(), " and ",
                                                   options.std.size()));
  }
  for (float s : options.std) {
    if (!(s > 0.0f)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": std entries must be > 0"));
    }
  }
  if (options.prefetch_batches < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": prefetch_batches must be >= 0"));
  }
  if (options.device.is_cuda() && !at::globalContext().hasCUDA()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": device ", options.device.str(), " requested but LibTorch has no CUDA"));
  }
  return std::unique_ptr<Batcher>(new Batcher(dataset, std::move(options)));
}

Batcher::Batcher(const Dataset& dataset, BatcherOptions options)
    : images_(dataset.images),
      labels_(dataset.labels),
      options_(std::move(options)),
      num_samples_(dataset.images.size(0)),
      channels_(dataset.images.size(1)),
      height_(dataset.images.size(2)),
      width_(dataset.images.size(3)) {
  for (int64_t c = 0; c < channels_; ++c) {
    scale_.push_back(1.0f / (255.0f * options_.std[c]));
    bias_.push_back(-options_.mean[c] / options_.std[c]);
  }
}

Batcher::~Batcher() { StopPrefetch(); }

int64_t Batcher::batches_per_epoch() const {
  const int64_t b = options_.batch_size;
  return options_.drop_last ? num_samples_ / b : (num_samples_ + b - 1) / b;
}

std::vector<int64_t> Batcher::EpochOrder(int64_t epoch) const {
  if (options_.training && options_.shuffle) {
    return SeededPermutation(num_samples_, MixSeed(options_.seed ^ kShuffleSalt,
                                                   static_cast<uint64_t>(epoch)));
  }
  std::vector<int64_t> order(static_cast<size_t>(num_samples_));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

std::vector<int64_t> Batcher::BatchIndices(const std::vector<int64_t>& order,
                                           int64_t batch) const {
  const int64_t begin = batch * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, num_samples_);
  return std::vector<int64_t>(order.begin() + begin, order.begin() + end);
}

absl::StatusOr<Batch> Batcher::MakeBatch(int64_t epoch, const std::vector<int64_t>& indices) const {
  return AssembleBatch(epoch, indices, /*parallel=*/true);
}

absl::StatusOr<Batch> Batcher::AssembleBatch(int64_t epoch, const std::vector<int64_t>& indices,
                                             bool parallel) const {
  const int64_t b = static_cast<int64_t>(indices.size());
  for (int64_t i : indices) {
    if (i < 0 || i >= num_samples_) {
      return absl::InvalidArgumentError(
          absl::StrCat("sample index ", i, " outside [0, ", num_samples_, ")"));
    }
  }
  Batch batch;
  // For CUDA, pinned host memory, so that the one copy to the device below is asynchronous.
  const bool pin = options_.device.is_cuda();
  batch.images = at::empty({b, channels_, height_, width_},
                           at::TensorOptions(at::kFloat).pinned_memory(pin));
  batch.labels = at::empty({b}, at::TensorOptions(at::kLong).pinned_memory(pin));
  batch.indices = at::empty({b}, at::kLong);
  const int64_t per = channels_ * height_ * width_;
  const uint8_t* src = images_.data_ptr<uint8_t>();
  const int64_t* all_labels = labels_.data_ptr<int64_t>();
  float* dst = batch.images.data_ptr<float>();
  int64_t* out_labels = batch.labels.data_ptr<int64_t>();
  int64_t* out_indices = batch.indices.data_ptr<int64_t>();
  const bool train = options_.training;
  const int pad = train ? options_.crop_padding : 0;
  const bool flip = train && options_.horizontal_flip;
  const uint64_t seed = options_.seed;
  const auto fill = [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const int64_t i = indices[j];
      const SampleAugmentation aug =
          (pad > 0 || flip) ? DrawAugmentation(seed, epoch, i, pad, flip) : SampleAugmentation{};
      AugmentNormalizeInto(src + i * per, channels_, height_, width_, aug, scale_.data(),
                           bias_.data(), dst + j * per);
      out_labels[j] = all_labels[i];
      out_indices[j] = i;
    }
  };
  if (parallel) {
    at::parallel_for(0, b, kGrainSamples, fill);
  } else {
    fill(0, b);
  }
  if (!options_.device.is_cpu()) {
    absl::Status moved = TorchCall("copying a batch to the device", [&] {
      batch.images = batch.images.to(options_.device, /*non_blocking=*/pin);
      batch.labels = batch.labels.to(options_.device, /*non_blocking=*/pin);
    });
    if (!moved.ok()) return absl::InternalError(moved.message());
  }
  return batch;
}

void Batcher::StopPrefetch() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
  queue_.clear();
  stop_ = false;
}

void Batcher::PrefetchLoop(int64_t epoch, std::vector<int64_t> order) {
  const int64_t n = batches_per_epoch();
  for (int64_t k = 0; k < n; ++k) {
    absl::StatusOr<Batch> batch = AssembleBatch(epoch, BatchIndices(order, k), /*parallel=*/false);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      return stop_ || static_cast<int>(queue_.size()) < options_.prefetch_batches;
    });
    if (stop_) return;
    Prefetched item;
    if (batch.ok()) {
      item.batch = *std::move(batch);
    } else {
      item.status = batch.status();
    }
    queue_.push_back(std::move(item));
    cv_.notify_all();
  }
}

absl::Status Batcher::StartEpoch(int64_t epoch) {
  if (epoch < 0) {
    return absl::InvalidArgumentError(absl::StrCat("epoch must be >= 0, got ", epoch));
  }
  StopPrefetch();
  epoch_ = epoch;
  next_batch_ = 0;
  order_ = EpochOrder(epoch);
  if (options_.prefetch_batches > 0) {
    worker_ = std::thread(&Batcher::PrefetchLoop, this, epoch, order_);
  }
  return absl::OkStatus();
}

absl::StatusOr<Batch> Batcher::Next() {
  if (epoch_ < 0 || next_batch_ >= batches_per_epoch()) {
    return absl::OutOfRangeError(absl::StrCat("no more batches in epoch ", epoch_));
  }
  ++next_batch_;
  if (options_.prefetch_batches == 0) {
    return MakeBatch(epoch_, BatchIndices(order_, next_batch_ - 1));
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty(); });
  Prefetched item = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  if (!item.status.ok()) return item.status;
  return std::move(item.batch);
}

}  // namespace lasnn::datasets
