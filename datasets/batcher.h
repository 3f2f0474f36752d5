// Seeded mini-batches of a Dataset (dataset.h) for training and evaluation:
//  - order: training shuffles with a seeded Fisher-Yates permutation of (seed, epoch) (rng.h);
//    evaluation keeps dataset order. Each sample appears exactly once per epoch.
//  - augmentation (training only): per-sample random crop with zero padding, then horizontal
//    flip, drawn from (seed, epoch, dataset index) (augment.h); then per-channel normalisation
//    (x / 255 - mean) / std into float32.
//  - batches are float32 [B, C, H, W] + int64 [B] on the requested device; optional prefetching
//    on one background thread (bounded queue).
// A batch's contents are a pure function of (dataset, options, epoch, batch index): the same
// with or without prefetching and for any at::get_num_threads().
#ifndef LASNN_DATASETS_BATCHER_H_
#define LASNN_DATASETS_BATCHER_H_

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "datasets/dataset.h"

namespace lasnn::datasets {

struct BatcherOptions {
  int64_t batch_size = 128;
  // false: evaluation mode (dataset order, no crop, no flip); shuffle/crop/flip are ignored.
  bool training = true;
  bool shuffle = true;
  int crop_padding = 0;          // pixels of zero padding for the random crop; 0: no crop
  bool horizontal_flip = false;
  bool drop_last = false;        // drop the final partial batch
  uint64_t seed = 0;
  std::vector<float> mean;       // per channel, pixels in [0, 1]; C entries
  std::vector<float> std;        // per channel, > 0; C entries
  c10::Device device = c10::Device(c10::kCPU);
  int prefetch_batches = 0;      // > 0: assemble up to this many batches ahead on a thread
};

// Options with the dataset's mean/std from dataset_info.h, by Dataset::name. Training: shuffle,
// flip and crop padding 2 (28x28), 4 (32x32) or 8 (64x64). InvalidArgument for an unknown name.
absl::StatusOr<BatcherOptions> DefaultBatcherOptions(absl::string_view dataset_name,
                                                     bool training);

// Mean 0 and std 1 for every channel: batches then hold the raw images x / 255 in [0, 1] (the
// input of a Poisson or latency encoder, lasnn/core/encoder.h).
void UseRawImages(BatcherOptions& options);

struct Batch {
  at::Tensor images;   // float32 [B, C, H, W] on options.device, normalised
  at::Tensor labels;   // int64 [B] on options.device
  at::Tensor indices;  // int64 [B] on CPU: the samples' indices in the dataset
};

// Iteration (StartEpoch / Next) is for one consumer thread; MakeBatch may be called from any.
// With prefetching, batches are assembled on the Batcher's own thread, on that thread alone: an
// OpenMP team of its own would compete for the cores with the training step's team.
class Batcher {
 public:
  // Keeps a reference to dataset's tensors (no copy). InvalidArgument for batch_size < 1,
  // negative crop_padding (or >= H or W), mean/std without C entries or std <= 0,
  // prefetch_batches < 0, a dataset that is not uint8 [N, C, H, W] contiguous CPU with int64
  // [N] labels, or a CUDA device when LibTorch has no CUDA.
  static absl::StatusOr<std::unique_ptr<Batcher>> Create(const Dataset& dataset,
                                                         BatcherOptions options);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  int64_t num_samples() const { return num_samples_; }
  // Batches per epoch: ceil(N / B), or floor with drop_last.
  int64_t batches_per_epoch() const;
  // The dataset indices of `epoch` in visiting order (a permutation of 0..N-1 when training with
  // shuffle, else 0..N-1).
  std::vector<int64_t> EpochOrder(int64_t epoch) const;

  // Assembles the given samples as they appear in `epoch` (augmentation depends on epoch and
  // index). Thread-safe. InvalidArgument for an index outside [0, N); a device copy failure is
  // Internal.
  absl::StatusOr<Batch> MakeBatch(int64_t epoch, const std::vector<int64_t>& indices) const;

  // Starts iterating over `epoch` (and with prefetching, starts assembling its batches);
  // abandons any epoch in progress. epoch >= 0, else InvalidArgument.
  absl::Status StartEpoch(int64_t epoch);
  // The next batch of the current epoch; OutOfRange after the last one (or before StartEpoch).
  absl::StatusOr<Batch> Next();

 private:
  Batcher(const Dataset& dataset, BatcherOptions options);
  void StopPrefetch();
  void PrefetchLoop(int64_t epoch, std::vector<int64_t> order);
  // MakeBatch's work; `parallel`: split the samples with at::parallel_for.
  absl::StatusOr<Batch> AssembleBatch(int64_t epoch, const std::vector<int64_t>& indices,
                                      bool parallel) const;
  std::vector<int64_t> BatchIndices(const std::vector<int64_t>& order, int64_t batch) const;

  at::Tensor images_;  // uint8 [N, C, H, W]
  at::Tensor labels_;  // int64 [N]
  BatcherOptions options_;
  int64_t num_samples_, channels_, height_, width_;
  std::vector<float> scale_, bias_;

  int64_t epoch_ = -1;
  int64_t next_batch_ = 0;
  std::vector<int64_t> order_;

  // Prefetching: the worker pushes batches of epoch_ in order; Next() pops.
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  struct Prefetched {
    absl::Status status;
    Batch batch;
  };
  std::deque<Prefetched> queue_;
  bool stop_ = false;
};

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_BATCHER_H_
