// Checkpoints and weights files, in the safetensors layout (util/tensor_file.h): nothing is
// unpickled, and every header is checked whole before a tensor is allocated.
// A checkpoint holds everything a run needs to continue exactly where it stopped, as tensors
// named after what they are:
//   model.<name>, auxiliary.<name>  the model's and the auxiliary modules' parameters and buffers
//                                   (<name> as in named_parameters() / named_buffers())
//   best.<name>                     the best weights so far (absent before the first epoch ends)
//   optimizer.<model|auxiliary>.<name>.<field>  SGD momentum_buffer; Adam exp_avg, exp_avg_sq,
//                                   max_exp_avg_sq (amsgrad) and step (I64 scalar)
//   rng_state                       the default CPU generator's state (U8)
// and metadata strings: format "lasnn-checkpoint-v2", config (TrainRunConfig, text format),
// git_commit, next_epoch, step, best_holdout_accuracy, best_epoch, history (MetricsHistory, text
// format), optimizer ("sgd" or "adam"), optimizer_lr (each parameter group's, comma-separated),
// phase (the STAGE_BY_STAGE phase that `step` lies in; absent in older checkpoints).
// A weights file holds the module's tensors under their own names (a state_dict: Python reads it
// with safetensors.torch.load_file) and the metadata format "lasnn-weights-v2".
// Both are written atomically (temporary file, fsync, rename) and carry a SHA-256 over header and
// data: a truncated, corrupted or crafted file is a DataLoss naming it. Files of older versions
// (LibTorch archives) are refused with "written by an older version".
#ifndef LASNN_LASNN_CHECKPOINT_H_
#define LASNN_LASNN_CHECKPOINT_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lasnn/training/train_run.pb.h"

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
  std::vector<EpochMetrics> history;  // the completed epochs, in order
  at::Tensor rng_state;              // the default CPU generator's state
  // STAGE_BY_STAGE: the 0-based phase of the next step (lasnn/training/trainer.h); -1 for other
  // paradigms and checkpoints written before phases existed.
  int64_t phase = -1;
};

// Writes `path` atomically. `auxiliary` may be null (no auxiliary modules). `optimizer` must be
// torch::optim::SGD or Adam whose parameters all belong to `model` or `auxiliary`
// (InvalidArgument otherwise). Errors name the path.
absl::Status SaveCheckpoint(const std::string& path, const CheckpointState& state,
                            const torch::nn::Module& model, const torch::optim::Optimizer& optimizer,
                            const torch::nn::Module* auxiliary,
                            const std::vector<at::Tensor>& best_state);

// Reads only the state and config of `path` (to compare configs before touching any module).
// NotFound if absent; DataLoss naming the path if it is truncated or not a checkpoint.
absl::StatusOr<CheckpointState> ReadCheckpointState(const std::string& path);

// Loads `path` into the given objects, which must be built from the checkpoint's config.
// FailedPrecondition naming the path and the tensor when a tensor is missing, extra, or has
// another shape or dtype (a checkpoint of another architecture or optimiser); DataLoss when the
// file is corrupt. Nothing is modified unless every check passes.
absl::Status LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer, torch::nn::Module* auxiliary,
                            std::vector<at::Tensor>& best_state);

// Writes the module's parameters and buffers to `path` atomically. InvalidArgument naming the
// path for a tensor of a dtype tensor files do not hold (util/tensor_file.h).
absl::Status SaveWeights(const std::string& path, const torch::nn::Module& module);
// Loads weights written by SaveWeights into a module of the same structure. NotFound, DataLoss
// (corrupt), FailedPrecondition (another architecture: names the first mismatching tensor).
absl::Status LoadWeights(const std::string& path, torch::nn::Module& module);

// Describes how two configs differ, one field path per line ("train.epochs: 10 -> 12"); empty if
// they are equal.
std::string DescribeConfigDifference(const TrainRunConfig& from, const TrainRunConfig& to);

}  // namespace lasnn

#endif  // LASNN_LASNN_CHECKPOINT_H_
