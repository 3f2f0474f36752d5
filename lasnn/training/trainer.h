// The training loop for the ANN teacher, the SNN student (LaSNN distillation) and the training
// baselines, with one loop and one budget for all of them:
//   direct       cross-entropy only (surrogate-gradient BPTT, no teacher)
//   logit-kd     CE + Hinton logit KD (temperature tau, weight alpha)
//   feature-kd   CE + logit KD + per-pair MSE between the student's time-averaged features,
//                through a learned 1x1 alignment conv, and the teacher's features
//   lasnn        CE + logit KD + beta * attention transfer at layer pairs matched by resolution
//                (pairs below distill.attention_min_size skipped; each pair's loss normalised
//                and weighted as distill.attention_normalization / attention_pair_weights say),
//                in one of two readings of the paper's "layer-wise distillation paradigm", or
//                jointly:
//                  joint           all pairs from the start
//                  curriculum      pairs switched on shallow to deep, one more every
//                                  stage_epochs; CE and KD from the start; nothing frozen
//                                  (formerly `stagewise`)
//                  stage_by_stage  one phase per pair, shallow to deep: student stage k (the
//                                  layers after pair k-1's tap up to pair k's) learns pair k's
//                                  attention map alone, earlier stages frozen (no gradient,
//                                  evaluation mode), later ones not run; then the classifier
//                                  (the layers after the last pair's tap) learns with CE + KD,
//                                  every stage before it frozen. Each phase gets its share
//                                  (distill.stage_budgets) of the run's steps and runs the
//                                  learning-rate schedule afresh. Held-out accuracy selects the
//                                  best epoch, and the collapse check counts epochs, from the
//                                  classifier phase on; the checkpoint records the phase.
// The teacher runs in eval mode without gradients on the same augmented batch as the student.
//
// The loop is deterministic on CPU (same seed, machine and thread count: identical metrics),
// checkpoints every epoch atomically, resumes to the same final numbers as an uninterrupted run,
// refuses to resume from another config's checkpoint, writes a progress line and a CSV metrics
// log, stops on a NaN/inf loss, and marks a run whose held-out accuracy stays at chance.
#ifndef LASNN_LASNN_TRAINING_TRAINER_H_
#define LASNN_LASNN_TRAINING_TRAINER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "datasets/dataset.h"
#include "lasnn/models/model.h"
#include "lasnn/parallel/data_parallel.h"
#include "lasnn/training/tap_pairing.h"
#include "lasnn/training/train_config_validation.h"
#include "lasnn/training/train_run.pb.h"

namespace lasnn {

struct TrainerOptions {
  // Directory for checkpoint.pt, metrics.csv and best_weights.pt (created if missing).
  std::string run_dir;
  // Continue from run_dir/checkpoint.pt. Without it, an existing checkpoint is an error (no
  // result is ever overwritten silently).
  bool resume = false;
  c10::Device device = c10::Device(c10::kCPU);
  std::string git_commit;  // recorded in checkpoints
  // Receives each progress line (default: standard error).
  std::function<void(absl::string_view)> progress;
  // Stop after this many epochs of this invocation (the run stays resumable); 0: no limit.
  int64_t stop_after_epochs = 0;
  // Fault injection for tests: the loss of this 0-based global step becomes NaN; -1: never.
  int64_t inject_nan_at_step = -1;
  // Data-parallel training (lasnn/parallel/data_parallel.h): train.batch_size is per rank, the
  // global batch is world_size x batch_size; only rank 0 writes to run_dir (every rank reads its
  // checkpoint to resume, so run_dir must be on a shared file system). nullptr: one process.
  DataParallel* data_parallel = nullptr;
  // Distillation: the teacher runs frozen (lasnn/models/frozen_ann.h: batch norm folded into its
  // convs, inference mode; channels-last on the CPU when teacher_channels_last), which changes its
  // logits and taps by float rounding only. false: it runs as built, in eval mode without
  // gradients (the benchmarks compare both).
  bool freeze_teacher = true;
  bool teacher_channels_last = true;
};

enum class RunStatus { kOk, kDiverged, kCollapsed };
absl::string_view RunStatusName(RunStatus status);

struct TrainOutcome {
  RunStatus status = RunStatus::kOk;
  std::string message;  // why, when not kOk
  // Every completed epoch, including resumed ones (EpochMetrics: train_run.proto).
  std::vector<EpochMetrics> epochs;
  int64_t best_epoch = -1;
  double best_holdout_accuracy = 0;
  bool finished = false;  // all epochs done (false after stop_after_epochs)
  double train_seconds = 0;  // this invocation's wall time in the loop
  int64_t steps = 0;
  // LASNN: the attention pairs used, shallow to deep, with their weights, and the shared
  // resolutions skipped as below distill.attention_min_size. Empty for other methods.
  std::vector<TapPair> attention_pairs;
  std::vector<double> attention_pair_weights;
  std::vector<TapPair> skipped_attention_pairs;
};

// A teacher for distillation: an ANN (built from `spec`, weights loaded), used in eval mode.
struct Teacher {
  Model model;
  std::string checksum;  // of its weights file, recorded in the run config
};

// Trains `model` (built from config.model(), in SNN mode iff config.snn()) on `train`, selecting
// the best epoch on `holdout` (may be empty: then the last epoch is kept), with the teacher when
// the method needs one. On return the model holds the best weights; run_dir holds checkpoint.pt,
// best_weights.pt and metrics.csv. Errors: InvalidArgument naming the config field;
// FailedPrecondition for a checkpoint of another config (listing what differs) or an existing
// checkpoint without resume; DataLoss for a corrupt checkpoint; I/O errors naming the path.
// The config is checked by ValidateTrainRunConfig (lasnn/training/train_config_validation.h).
// A NaN/inf loss ends the run with status kDiverged (the last checkpoint stays intact).
absl::StatusOr<TrainOutcome> Train(const TrainRunConfig& config, Model& model,
                                   const datasets::Dataset& train,
                                   const datasets::Dataset& holdout, Teacher* teacher,
                                   const TrainerOptions& options);

}  // namespace lasnn

#endif  // LASNN_LASNN_TRAINING_TRAINER_H_
