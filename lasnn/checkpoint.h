// Checkpoints: a LibTorch archive holding everything a run needs to continue exactly where it
// stopped (model, optimiser state, auxiliary modules, RNG state, step and epoch, the best weights
// so far, the metrics history), plus the resolved TrainRunConfig and the git commit. Written
// atomically (temporary file, fsync, rename): a reader never sees a half-written checkpoint.
// Checkpoint and weights files carry a header with their SHA-256, checked before LibTorch parses
// anything: a truncated or corrupted file is a DataLoss naming it, never a crash in LibTorch.
#ifndef LASNN_LASNN_CHECKPOINT_H_
#define LASNN_LASNN_CHECKPOINT_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/output-archive.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lasnn/train_run.pb.h"

namespace lasnn {

// Copies of a module's parameters and buffers, in named_parameters() then named_buffers() order.
std::vector<at::Tensor> SnapshotState(const torch::nn::Module& module);
// Copies `state` (from SnapshotState of a module of the same structure) into `module`.
void RestoreState(torch::nn::Module& module, const std::vector<at::Tensor>& state);

struct CheckpointState {
  TrainRunConfig config;
  std::string git_commit;
  int64_t next_epoch = 0;  // the first epoch still to run
  int64_t step = 0;        // optimisation steps done
  double best_holdout_accuracy = -1.0;
  int64_t best_epoch = -1;
  std::vector<std::string> history;  // metrics lines of the completed epochs
  at::Tensor rng_state;              // the default CPU generator's state
};

// Writes `path` atomically. `auxiliary` may be null (no auxiliary modules). Errors name the path.
absl::Status SaveCheckpoint(const std::string& path, const CheckpointState& state,
                            const torch::nn::Module& model, const torch::optim::Optimizer& optimizer,
                            const torch::nn::Module* auxiliary,
                            const std::vector<at::Tensor>& best_state);

// Reads only the state and config of `path` (to compare configs before touching any module).
// NotFound if absent; DataLoss naming the path if it is truncated or not a checkpoint.
absl::StatusOr<CheckpointState> ReadCheckpointState(const std::string& path);

// Loads `path` into the given objects, which must be built from the checkpoint's config.
// FailedPrecondition naming the path when a tensor is missing or has another shape (a checkpoint
// of another architecture); DataLoss when the file is corrupt.
absl::Status LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer, torch::nn::Module* auxiliary,
                            std::vector<at::Tensor>& best_state);

// Writes `archive` to `path` atomically in the checksummed container described above (what
// SaveCheckpoint and SaveWeights use; public for tools and the fuzz tests).
absl::Status SaveArchive(const std::string& path, torch::serialize::OutputArchive& archive);

// Writes the module's parameters and buffers (a torch::serialize archive) to `path` atomically.
absl::Status SaveWeights(const std::string& path, const torch::nn::Module& module);
// Loads weights written by SaveWeights into a module of the same structure. NotFound, DataLoss
// (corrupt), FailedPrecondition (another architecture: names the first mismatching tensor).
absl::Status LoadWeights(const std::string& path, torch::nn::Module& module);

// Describes how two configs differ, one field path per line ("train.epochs: 10 -> 12"); empty if
// they are equal.
std::string DescribeConfigDifference(const TrainRunConfig& from, const TrainRunConfig& to);

}  // namespace lasnn

#endif  // LASNN_LASNN_CHECKPOINT_H_
