// Data-parallel training of one experiment over N processes with LibTorch's own c10d process
// groups (Gloo on the CPU; NCCL is what a CUDA build would use, and is not wired here yet).
//
// Rendezvous through a c10d store: a FileStore on a shared file system (`file:<path>`) or a
// TCPStore (`tcp:<host>:<port>`, rank 0 serves). Rank and world size come from flags or from the
// scheduler's environment: RANK / WORLD_SIZE, else Slurm's SLURM_PROCID / SLURM_NTASKS.
//
// The trainer (lasnn/training/trainer.h, TrainerOptions::data_parallel) then: broadcasts rank 0's initial
// weights; draws each global batch of world x batch_size images in the same seeded order on every
// rank and trains each rank on its own slice (rank r: images r*B .. (r+1)*B-1), so N ranks with
// batch B see exactly the batches one process with batch N*B sees; all-reduces the gradients in
// buckets and divides by N before every optimiser step; averages batch-norm running statistics
// over ranks at the end of every epoch (during training each rank normalises with its own slice's
// batch statistics, as PyTorch DDP without SyncBatchNorm); and lets only rank 0 write the metrics
// log, checkpoints and weights.
#ifndef LASNN_LASNN_DATA_PARALLEL_H_
#define LASNN_LASNN_DATA_PARALLEL_H_

#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lasnn {

struct DataParallelOptions {
  int rank = -1;        // -1: from the environment (RANK, else SLURM_PROCID), else 0
  int world_size = -1;  // -1: from the environment (WORLD_SIZE, else SLURM_NTASKS), else 1
  // "file:<path>" (a file on a file system every rank sees; delete it before a new job) or
  // "tcp:<host>:<port>".
  std::string rendezvous;
  int64_t bucket_bytes = 25 << 20;  // gradients all-reduced per bucket of about this size
  int timeout_seconds = 300;
};

// Fills rank / world size from the environment where they are -1. InvalidArgument naming the
// variable for a malformed or inconsistent value.
absl::StatusOr<DataParallelOptions> ResolveDataParallelOptions(DataParallelOptions options);

class DataParallel {
 public:
  // Joins the process group (blocks until every rank has joined, up to the timeout).
  static absl::StatusOr<std::unique_ptr<DataParallel>> Join(const DataParallelOptions& options);
  ~DataParallel();

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

  // Rank 0's values of every parameter and buffer, to all ranks.
  void BroadcastFromRankZero(torch::nn::Module& module);
  // grad <- sum over ranks of grad / world_size, bucketed; parameters without a gradient are
  // skipped (identically on every rank).
  void AllReduceGradients(const std::vector<at::Tensor>& parameters);
  // Floating-point buffers (batch-norm running statistics) <- their mean over ranks.
  void AverageBuffers(torch::nn::Module& module);
  void Barrier();

 private:
  struct Impl;
  DataParallel();
  int rank_ = 0, world_size_ = 1;
  int64_t bucket_bytes_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lasnn

#endif  // LASNN_LASNN_DATA_PARALLEL_H_
