// Validation of training configuration (lasnn/training/train_config.proto, train_run.proto): the
// one set of bounds, shared by the trainer (lasnn/training/trainer.h), `//lasnn:train` and
// experiment configs (benchmarks/experiment/experiment_config.h), so that what one front door
// accepts the other accepts too. No LibTorch dependency.
#ifndef LASNN_LASNN_TRAINING_TRAIN_CONFIG_VALIDATION_H_
#define LASNN_LASNN_TRAINING_TRAIN_CONFIG_VALIDATION_H_

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lasnn/models/model_spec.pb.h"
#include "lasnn/training/train_config.pb.h"
#include "lasnn/training/train_run.pb.h"

namespace lasnn {

// Bounds of TrainConfig fields that other code repeats (suite grids of timesteps).
inline constexpr int kMaxTrainEpochs = 10000;
inline constexpr int kMaxTrainTimesteps = 1024;
inline constexpr int kMaxBatchSize = 65536;
inline constexpr int kMaxThreads = 1024;

// A field that breaks a rule: its path from the root message ("train.optimizer.lr",
// "teacher.train.epochs", "student.layers[2].conv.out_channels") and what is wrong with it
// ("must be > 0 and <= 100, got -1").
struct FieldViolation {
  std::string path;
  std::string message;
};

// The first field of `train` outside its bounds, its path under `path` ("train",
// "teacher.train", "conversion.qcfs_train"); nullopt when every field is valid. The bounds:
//   epochs [1, 10000]; batch_size, eval_batch_size [1, 65536]; timesteps [1, 1024];
//   optimizer: lr > 0 and <= 100, momentum / weight_decay / adam_beta1 / adam_beta2 in [0, 1),
//     nesterov only with momentum > 0; schedule as ValidateSchedule (lr_schedule.h);
//   distill: ce_weight, kd_weight, beta, feature_weight in [0, 1e9], temperature > 0 and <= 100,
//     attention_p > 0 and <= 8, stage_epochs > 0 and <= 1e6, attention_min_size [0, 1e6],
//     attention_pair_weights[i] in [0, 1e9], stage_budgets[i] > 0 and <= 1e9; paradigm
//     STAGE_BY_STAGE only with method LASNN, beta > 0 and every attention_pair_weights[i] > 0;
//   augment.crop_padding [0, 64]; label_smoothing [0, 1); holdout_fraction [0, 0.5];
//   collapse_epochs [0, 10000]; max_steps_per_epoch [0, 1e9]; log_every_steps [1, 1e9];
//   threads [1, 1024].
// NaN and infinities are outside every bound.
std::optional<FieldViolation> FindTrainConfigViolation(const TrainConfig& train,
                                                       absl::string_view path);

// The rules that depend on the attention pairs of `student` and `teacher` (valid specs;
// lasnn/training/tap_pairing.h), for method LASNN with beta > 0 (nullopt otherwise), under `path`
// ("train"): the taps pair, and some pair is at least distill.attention_min_size;
// distill.attention_pair_weights has one entry per pair or none; with paradigm STAGE_BY_STAGE,
// distill.stage_budgets has one entry per pair plus one for the classifier, or none. Messages list
// the pairs ("stage1 <-> stage2 28x28, ...").
std::optional<FieldViolation> FindAttentionPairViolation(const TrainConfig& train,
                                                         absl::string_view path,
                                                         const ModelSpec& student,
                                                         const ModelSpec& teacher);

// `status` of a validator whose messages start with a field path ("layers[3].conv.out_channels
// must be > 0", ValidateModelSpec; "schedule.gamma must be ...", ValidateSchedule) as a violation
// under `prefix`; a message without a leading path becomes "<prefix> is invalid: <message>".
FieldViolation ViolationUnder(absl::string_view prefix, const absl::Status& status);

// InvalidArgument "<path> <message>" for FindTrainConfigViolation(train, path).
absl::Status ValidateTrainConfig(const TrainConfig& train, absl::string_view path = "train");

// What the trainer needs of a run config, InvalidArgument naming the field: `model` set and a
// valid ModelSpec ("model.layers[1].conv.kernel_size must be > 0"), ValidateTrainConfig of
// `train`, a `teacher` (a valid ModelSpec) for every distillation method but DIRECT, and
// FindAttentionPairViolation of model and teacher.
absl::Status ValidateTrainRunConfig(const TrainRunConfig& config);

// Enum values that `text` (text format of a `descriptor` message) writes under an old name, i.e.
// an alias declared after the first name of its number (allow_alias), such as
// DistillConfig.STAGEWISE (now CURRICULUM): one warning per occurrence,
// "<source>:<line>:<col>: <field path>: <OLD> is the old name of <NEW> (same behaviour); write
// <NEW>", the path as in "train.distill.paradigm". Comments and strings are not searched. `text`
// should already have parsed.
std::vector<std::string> DeprecatedNameWarnings(absl::string_view text, absl::string_view source,
                                                const google::protobuf::Descriptor* descriptor);

// Writes each of DeprecatedNameWarnings(text, source, descriptor) to standard error as
// "warning: ...", each distinct warning once per process.
void WarnAboutDeprecatedNames(absl::string_view text, absl::string_view source,
                              const google::protobuf::Descriptor* descriptor);

}  // namespace lasnn

#endif  // LASNN_LASNN_TRAINING_TRAIN_CONFIG_VALIDATION_H_
