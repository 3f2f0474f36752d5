#include "lasnn/training/trainer.h"

#include <ATen/ATen.h>
#include <ATen/core/Reduction.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/modules/conv.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "datasets/batcher.h"
#include "lasnn/core/device.h"
#include "lasnn/core/encoder.h"
#include "lasnn/models/frozen_ann.h"
#include "lasnn/training/checkpoint.h"
#include "lasnn/training/distill_loss.h"
#include "lasnn/training/evaluate.h"
#include "lasnn/training/lr_schedule.h"
#include "lasnn/training/metrics_log.h"
#include "lasnn/training/stage_plan.h"
#include "lasnn/training/tap_pairing.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {

absl::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kOk:
      return "ok";
    case RunStatus::kDiverged:
      return "diverged";
    case RunStatus::kCollapsed:
      return "collapsed";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s / 60) % 60);
  return absl::StrFormat("%dm%02ds", s / 60, s % 60);
}

// The 1x1 alignment convs of feature-KD (student channels -> teacher channels), one per pair.
struct AlignersImpl : torch::nn::Module {
  std::vector<torch::nn::Conv2d> convs;
};

struct StepLosses {
  at::Tensor total, ce, kd, feature;  // 0-d
  at::Tensor correct;                 // 0-d int64
  // False in STAGE_BY_STAGE's stage phases, whose forward stops before the logits (ce, kd and
  // correct are then 0 and are not averaged in).
  bool has_logits = true;
  bool has_feature = false;  // the step computed the attention / feature term
};

// A step's inputs: the student's (normalised images, or their code [T, B, C, H, W] when its
// encoder is not direct), the teacher's (normalised images; undefined without a teacher) and the
// labels.
struct StepInput {
  at::Tensor student, teacher, labels;
};

// One training run: Setup builds everything (models on the device, aligners, optimiser,
// batcher), OpenRun the metrics log and the resumed state, then each epoch is a loop of
// Step (device work only), Meter (device-side sums), LogWindow (the host read, at log
// intervals) and, once, EndEpoch (evaluation, history, checkpoint).
class Loop {
 public:
  Loop(const TrainRunConfig& config, Model& model, Teacher* teacher, const TrainerOptions& options)
      : config_(config),
        t_(config.train()),
        d_(config.train().distill()),
        model_(model),
        teacher_(teacher),
        options_(options) {}

  absl::StatusOr<TrainOutcome> Run(const datasets::Dataset& train,
                                   const datasets::Dataset& holdout);

 private:
  absl::Status Setup(const datasets::Dataset& train);
  // Opens metrics.csv; resumes from run_dir/checkpoint.pt when it exists and options.resume is
  // set (FailedPrecondition when it is not, or when the checkpoint's config differs).
  absl::Status OpenRun();
  absl::Status Resume();
  // STAGE_BY_STAGE: the phases over the run's steps (phases_), from distill.stage_budgets.
  absl::Status PlanPhases();
  absl::Status TrainEpoch(int64_t epoch, const datasets::Dataset& holdout);
  // STAGE_BY_STAGE: makes `phase` the trained one (SetTrainableLayers; frozen parameters lose
  // their gradients, so the optimiser skips them) and logs it.
  absl::Status EnterPhase(int64_t phase);
  // One optimisation step on `batch` at learning rate `lr`: forward, backward, gradient
  // all-reduce (data-parallel), update. Device work only: no host read, no I/O.
  StepLosses Step(const StepInput& input, double lr, int64_t active_pairs, int64_t phase);
  StepLosses Forward(const StepInput& input, int64_t active_pairs);
  // STAGE_BY_STAGE: the loss of a stage phase, pair `pair`'s attention term alone; the student
  // runs up to that pair's tap only.
  StepLosses StageForward(const StepInput& input, int64_t pair);
  // The step's inputs from a batch of `epoch` (the batcher's images: normalised, or raw in [0, 1]
  // when the student's encoder is not direct).
  StepInput Inputs(const datasets::Batch& batch, int64_t epoch) const {
    if (!encoder_) return StepInput{batch.images, batch.images, batch.labels};
    return StepInput{encoder_->Encode(batch.images, batch.indices, /*stream=*/1 + epoch,
                                      t_.timesteps()),
                     teacher_ != nullptr ? encoder_->Normalise(batch.images) : at::Tensor(),
                     batch.labels};
  }
  // Adds a step's losses to the window's device-side sums.
  void Meter(const StepLosses& losses, int64_t images);
  // Reads the window's sums on the host (the loop's only synchronisation), writes a progress
  // line and a "step" line to metrics.csv, and folds the window into the epoch's sums; a NaN/inf
  // loss ends the run as diverged instead.
  absl::Status LogWindow(int64_t epoch, int64_t batch_index, double lr);
  absl::Status Diverge(int64_t epoch, const std::string& message);
  // The epoch's metrics and held-out accuracy, the history, the best weights so far, the
  // checkpoint, and the collapse check.
  absl::Status EndEpoch(int64_t epoch, double lr, const datasets::Dataset& holdout);
  absl::StatusOr<double> HoldoutAccuracy(const datasets::Dataset& holdout, double fallback);
  absl::Status CheckCollapse(int64_t epoch, const EpochMetrics& m);
  absl::StatusOr<TrainOutcome> Finish();

  void Progress(absl::string_view line) const {
    if (!Writer()) return;
    if (options_.progress) {
      options_.progress(line);
    } else {
      std::cerr << line << "\n" << std::flush;
    }
  }
  int World() const {
    return options_.data_parallel != nullptr ? options_.data_parallel->world_size() : 1;
  }
  bool Writer() const {
    return options_.data_parallel == nullptr || options_.data_parallel->rank() == 0;
  }
  // This rank's slice of a global batch (every rank draws the same global batches).
  datasets::Batch Slice(const datasets::Batch& global) const {
    if (World() == 1) return global;
    const int64_t b = t_.batch_size(), r = options_.data_parallel->rank();
    return datasets::Batch{global.images.narrow(0, r * b, b), global.labels.narrow(0, r * b, b),
                           global.indices.narrow(0, r * b, b)};
  }
  // `progress`: epochs completed, fractional within an epoch (epoch + step / steps_per_epoch),
  // so stage_epochs below 1 switches pairs on during an epoch (budgeted runs).
  // STAGE_BY_STAGE: none (its stage phases use StageForward, its classifier phase no pair).
  int64_t ActivePairs(double progress) const {
    const int64_t pairs = static_cast<int64_t>(pairs_.size());
    if (d_.paradigm() == DistillConfig::JOINT) return pairs;
    if (d_.paradigm() == DistillConfig::STAGE_BY_STAGE) return 0;
    return std::min<int64_t>(
        pairs, static_cast<int64_t>(std::floor(progress / d_.stage_epochs() + 1e-9)) + 1);
  }
  // The STAGE_BY_STAGE phase of 0-based `step` (the last phase from the end of the run on); -1
  // for other paradigms.
  int64_t PhaseAt(int64_t step) const { return StagePhaseAt(phases_, step); }
  // The learning rate of the step about to run: the schedule over the run, or over the phase.
  double LearningRate(int64_t phase) const {
    if (phase < 0) {
      return LearningRateAt(t_.schedule(), t_.optimizer().lr(), state_.step, steps_per_epoch_,
                            total_steps_);
    }
    const StagePhase& p = phases_[phase];
    return LearningRateAt(t_.schedule(), t_.optimizer().lr(), state_.step - p.begin,
                          steps_per_epoch_, p.end - p.begin);
  }
  std::string DescribePhase(int64_t phase) const {
    return DescribeStagePhase(phases_, pairs_, phase);
  }

  const TrainRunConfig& config_;
  const TrainConfig& t_;
  const DistillConfig& d_;
  Model& model_;
  Teacher* teacher_;
  const TrainerOptions& options_;

  // Built by Setup.
  bool snn_ = false;
  bool uses_kd_ = false, uses_attention_ = false, uses_features_ = false;
  std::vector<TapPair> pairs_;
  std::vector<double> pair_weights_;  // LASNN: one per pair
  PairNormalization normalization_ = PairNormalization::kPairMean;
  std::vector<StagePhase> phases_;         // STAGE_BY_STAGE only
  int64_t classifier_start_step_ = 0;  // the first step of the classifier phase (else 0)
  int64_t applied_phase_ = -1;
  std::shared_ptr<AlignersImpl> aligners_;
  std::optional<FrozenAnn> frozen_teacher_;  // the teacher, when options.freeze_teacher
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<datasets::Batcher> batcher_;
  // A student SNN whose encoder is not direct: the batcher yields raw images, encoded here.
  std::optional<InputEncoder> encoder_;
  int64_t steps_per_epoch_ = 0;
  int64_t total_steps_ = 0;

  // The run: what a checkpoint holds, and this invocation's log and counters.
  std::string checkpoint_path_;
  std::unique_ptr<MetricsLog> log_;
  CheckpointState state_;
  std::vector<at::Tensor> best_state_;
  TrainOutcome outcome_;
  Clock::time_point run_start_;
  int64_t steps_this_run_ = 0;
  int64_t epochs_this_run_ = 0;

  // The current epoch's meters.
  MeterSums window_, epoch_;
  Clock::time_point epoch_start_, window_start_;
};

absl::Status Loop::Setup(const datasets::Dataset& train) {
  snn_ = config_.snn();
  if ((model_->mode() == Mode::kSnn) != snn_) {
    return absl::InvalidArgumentError("the model's mode differs from the run config's `snn`");
  }
  const DistillConfig::Method method = d_.method();
  uses_kd_ = method != DistillConfig::DIRECT && d_.kd_weight() > 0;
  uses_attention_ = method == DistillConfig::LASNN && d_.beta() > 0;
  uses_features_ = method == DistillConfig::FEATURE_KD && d_.feature_weight() > 0;
  if (method != DistillConfig::DIRECT) {
    if (teacher_ == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("train.distill.method ",
                                                     DistillConfig::Method_Name(method),
                                                     " needs a teacher"));
    }
    if (teacher_->model->mode() != Mode::kAnn) {
      return absl::InvalidArgumentError("the teacher must be an ANN");
    }
    if (teacher_->model->plan().num_classes != model_->plan().num_classes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "teacher has ", teacher_->model->plan().num_classes, " classes, student ",
          model_->plan().num_classes));
    }
    teacher_->model->eval();
    for (auto& p : teacher_->model->parameters()) p.set_requires_grad(false);
  }
  if (uses_features_) {
    LASNN_ASSIGN_OR_RETURN(pairs_, PairTapsByResolution(TapShapesOf(model_->plan()),
                                                        TapShapesOf(teacher_->model->plan())));
  }
  if (uses_attention_) {
    LASNN_ASSIGN_OR_RETURN(TapPairing pairing,
                           PairTaps(TapShapesOf(model_->plan()),
                                    TapShapesOf(teacher_->model->plan()),
                                    d_.attention_min_size()));
    pairs_ = pairing.pairs;
    normalization_ = d_.attention_normalization() == DistillConfig::POSITION_MEAN
                         ? PairNormalization::kPositionMean
                         : PairNormalization::kPairMean;
    const int64_t n = static_cast<int64_t>(pairs_.size());
    if (d_.attention_pair_weights_size() == 0) {
      pair_weights_ = DefaultPairWeights(n, normalization_);
    } else if (d_.attention_pair_weights_size() == n) {
      pair_weights_.assign(d_.attention_pair_weights().begin(),
                           d_.attention_pair_weights().end());
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "train.distill.attention_pair_weights has ", d_.attention_pair_weights_size(),
          " entries, but there are ", n, " attention pairs (", DescribePairs(pairs_), ")"));
    }
    outcome_.attention_pairs = pairs_;
    outcome_.attention_pair_weights = pair_weights_;
    outcome_.skipped_attention_pairs = pairing.skipped;
    Progress(absl::StrCat("attention pairs (student <-> teacher, H x W): ", DescribePairs(pairs_),
                          pairing.skipped.empty()
                              ? std::string()
                              : absl::StrCat("; skipped (below ", d_.attention_min_size(), "x",
                                             d_.attention_min_size(),
                                             "): ", DescribePairs(pairing.skipped))));
  }
  aligners_ = std::make_shared<AlignersImpl>();
  if (uses_features_) {
    auto channels = [](const ModelPlan& plan, const std::string& name) -> int64_t {
      for (const TapInfo& tap : plan.taps) {
        if (tap.name == name) return tap.shape[0];
      }
      return 0;
    };
    for (size_t i = 0; i < pairs_.size(); ++i) {
      auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(
          channels(model_->plan(), pairs_[i].student),
          channels(teacher_->model->plan(), pairs_[i].teacher), 1));
      aligners_->convs.push_back(aligners_->register_module(absl::StrCat("align", i), conv));
    }
  }
  MoveToDevice(*model_, options_.device);
  MoveToDevice(*aligners_, options_.device);
  if (teacher_ != nullptr) MoveToDevice(*teacher_->model, options_.device);
  if (teacher_ != nullptr && options_.freeze_teacher) {
    FrozenAnnOptions fo;
    fo.channels_last = options_.teacher_channels_last && options_.device.is_cpu();
    LASNN_ASSIGN_OR_RETURN(frozen_teacher_, FrozenAnn::Create(teacher_->model, fo));
  }

  std::vector<at::Tensor> params = model_->parameters();
  for (auto& p : aligners_->parameters()) params.push_back(p);
  const OptimizerConfig& o = t_.optimizer();
  if (o.kind() == OptimizerConfig::ADAM) {
    optimizer_ = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(o.lr())
                    .betas({o.adam_beta1(), o.adam_beta2()})
                    .weight_decay(o.weight_decay()));
  } else {
    optimizer_ = std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(o.lr())
                    .momentum(o.momentum())
                    .nesterov(o.nesterov())
                    .weight_decay(o.weight_decay()));
  }

  if (options_.data_parallel != nullptr) {
    options_.data_parallel->BroadcastFromRankZero(*model_);
    options_.data_parallel->BroadcastFromRankZero(*aligners_);
  }
  LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions bopts,
                         datasets::DefaultBatcherOptions(train.name, /*training=*/true));
  bopts.batch_size = t_.batch_size() * World();
  bopts.crop_padding = t_.augment().crop_padding();
  bopts.horizontal_flip = t_.augment().horizontal_flip();
  bopts.seed = t_.seed();
  bopts.drop_last = train.images.size(0) >= bopts.batch_size;
  bopts.device = options_.device;
  bopts.prefetch_batches = 2;
  // Encoded input: the batcher's images stay raw ([0, 1]); the encoder normalises after coding.
  encoder_ = MoveNormalisationToEncoder(snn_ ? model_->encoding() : EncoderSpec::DIRECT,
                                        t_.seed(), bopts);
  LASNN_ASSIGN_OR_RETURN(batcher_, datasets::Batcher::Create(train, bopts));
  steps_per_epoch_ = batcher_->batches_per_epoch();
  if (t_.max_steps_per_epoch() > 0) {
    steps_per_epoch_ = std::min<int64_t>(steps_per_epoch_, t_.max_steps_per_epoch());
  }
  if (steps_per_epoch_ < 1) {
    return absl::InvalidArgumentError("the training split has no complete batch");
  }
  total_steps_ = steps_per_epoch_ * t_.epochs();
  if (d_.paradigm() == DistillConfig::STAGE_BY_STAGE) LASNN_RETURN_IF_ERROR(PlanPhases());
  return absl::OkStatus();
}

absl::Status Loop::PlanPhases() {
  if (!uses_attention_ || pairs_.empty()) {
    return absl::InvalidArgumentError(
        "train.distill.paradigm STAGE_BY_STAGE needs method LASNN with beta > 0");
  }
  LASNN_ASSIGN_OR_RETURN(
      phases_, PlanStagePhases(model_->plan(), pairs_,
                               std::vector<double>(d_.stage_budgets().begin(),
                                                   d_.stage_budgets().end()),
                               total_steps_));
  classifier_start_step_ = phases_.back().begin;
  return absl::OkStatus();
}

StepLosses Loop::Forward(const StepInput& input, int64_t active_pairs) {
  const bool need_taps = (uses_attention_ || uses_features_) && active_pairs > 0;
  ForwardOptions fo;
  fo.timesteps = snn_ ? t_.timesteps() : 1;
  fo.taps = need_taps;
  fo.tap_rates = snn_ && need_taps;  // the student side of every pair is a firing rate
  ModelOutput out = model_->forward(input.student, fo);  // logits [B, K]
  StepLosses l;
  l.ce = at::cross_entropy_loss(out.logits, input.labels, /*weight=*/{}, at::Reduction::Mean,
                                /*ignore_index=*/-100, t_.label_smoothing());
  l.total = l.ce * d_.ce_weight();
  l.kd = at::zeros({}, out.logits.options());
  l.feature = at::zeros({}, out.logits.options());
  if (teacher_ != nullptr && (uses_kd_ || need_taps)) {
    ModelOutput t_out;
    std::vector<at::Tensor> t_maps;  // attention maps [B, H*W] of the active teacher taps
    {
      c10::InferenceMode inference(frozen_teacher_.has_value());
      torch::NoGradGuard no_grad;
      if (frozen_teacher_) {
        t_out = frozen_teacher_->Forward(input.teacher, need_taps);
      } else {
        ForwardOptions tfo;
        tfo.taps = need_taps;
        t_out = teacher_->model->forward(input.teacher, tfo);
      }
      for (int64_t i = 0; i < active_pairs && need_taps && uses_attention_; ++i) {
        t_maps.push_back(AttentionMap(t_out.taps[pairs_[i].teacher], d_.attention_p()));
      }
    }
    if (uses_kd_) {
      l.kd = LogitKdLoss(out.logits, t_out.logits, d_.temperature());
      l.total = l.total + l.kd * d_.kd_weight();
    }
    std::vector<at::Tensor> rates;  // LASNN: the active pairs' student side, [B, C, H, W] each
    for (int64_t i = 0; i < active_pairs && need_taps; ++i) {
      const TapPair& pair = pairs_[i];
      // [B, C, H, W]: the SNN's firing rate (from the neuron's pass), the ANN's activation.
      const at::Tensor s = snn_ ? out.tap_rates[pair.student] : out.taps[pair.student];
      if (uses_attention_) {
        rates.push_back(s);
      } else {
        // [B, Ct, H, W]; an inference tensor (frozen teacher) is copied, since mse_loss saves it.
        at::Tensor t = t_out.taps[pair.teacher];
        if (frozen_teacher_) t = t.clone();
        l.feature = l.feature + at::mse_loss(aligners_->convs[i]->forward(s), t);
      }
    }
    if (uses_attention_ && need_taps) {
      const std::vector<double> weights(pair_weights_.begin(),
                                        pair_weights_.begin() + active_pairs);
      l.feature = WeightedAttentionLoss(rates, t_maps, weights, d_.attention_p(), normalization_,
                                        out.logits);
    }
    if (need_taps) {
      l.total = l.total + l.feature * (uses_attention_ ? d_.beta() : d_.feature_weight());
    }
  }
  l.has_feature = need_taps;
  l.correct = out.logits.argmax(/*dim=*/1).eq(input.labels).sum();
  return l;
}

StepLosses Loop::StageForward(const StepInput& input, int64_t pair) {
  const TapPair& p = pairs_[pair];
  ForwardOptions fo;
  fo.timesteps = snn_ ? t_.timesteps() : 1;
  fo.taps = true;
  fo.tap_rates = snn_;
  fo.last_tap = p.student;
  ModelOutput out = model_->forward(input.student, fo);  // taps up to p.student only
  // [B, C, H, W]: the SNN's firing rate (from the neuron's pass), the ANN's activation.
  const at::Tensor s = snn_ ? out.tap_rates[p.student] : out.taps[p.student];
  at::Tensor t_map;  // [B, H*W]
  {
    c10::InferenceMode inference(frozen_teacher_.has_value());
    torch::NoGradGuard no_grad;
    ModelOutput t_out;
    if (frozen_teacher_) {
      t_out = frozen_teacher_->Forward(input.teacher, /*taps=*/true);
    } else {
      ForwardOptions tfo;
      tfo.taps = true;
      t_out = teacher_->model->forward(input.teacher, tfo);
    }
    t_map = AttentionMap(t_out.taps[p.teacher], d_.attention_p());
  }
  StepLosses l;
  l.feature = AttentionPairLoss(s, t_map, d_.attention_p(), normalization_) * pair_weights_[pair];
  l.total = l.feature * d_.beta();
  l.ce = at::zeros({}, l.feature.options());
  l.kd = at::zeros({}, l.feature.options());
  l.correct = at::zeros({}, l.feature.options().dtype(at::kLong));
  l.has_logits = false;
  l.has_feature = true;
  return l;
}

absl::StatusOr<TrainOutcome> Loop::Run(const datasets::Dataset& train,
                                       const datasets::Dataset& holdout) {
  LASNN_RETURN_IF_ERROR(ValidateTrainRunConfig(config_));
  LASNN_RETURN_IF_ERROR(MakeDirectories(options_.run_dir));
  LASNN_RETURN_IF_ERROR(TorchCall("trainer setup", [&] { return Setup(train); }));
  // STAGE_BY_STAGE freezes layers as it goes; the model leaves Train with every layer trainable.
  struct Unfreeze {
    Model& model;
    bool active;
    ~Unfreeze() {
      if (active) model->SetTrainableLayers(0, model->plan().layers.size());
    }
  } unfreeze{model_, !phases_.empty()};
  LASNN_RETURN_IF_ERROR(OpenRun());
  run_start_ = Clock::now();
  for (int64_t epoch = state_.next_epoch; epoch < t_.epochs(); ++epoch) {
    if (options_.stop_after_epochs > 0 && epochs_this_run_ >= options_.stop_after_epochs) break;
    LASNN_RETURN_IF_ERROR(TrainEpoch(epoch, holdout));
    if (outcome_.status != RunStatus::kOk) break;
  }
  return Finish();
}

absl::Status Loop::OpenRun() {
  checkpoint_path_ = JoinPath(options_.run_dir, "checkpoint.pt");
  // Only rank 0 writes (data-parallel training); the other ranks' log discards.
  LASNN_ASSIGN_OR_RETURN(
      log_, MetricsLog::Open(Writer() ? JoinPath(options_.run_dir, "metrics.csv") : ""));
  state_.config = config_;
  state_.git_commit = options_.git_commit;
  if (PathExists(checkpoint_path_)) {
    if (!options_.resume) {
      return absl::FailedPreconditionError(
          absl::StrCat("'", checkpoint_path_,
                       "' already exists: resume it (--resume) or use another run directory"));
    }
    LASNN_RETURN_IF_ERROR(Resume());
  }
  if (state_.next_epoch >= t_.epochs() && !best_state_.empty()) {
    RestoreState(*model_, best_state_);
  }
  return absl::OkStatus();
}

absl::Status Loop::Resume() {
  LASNN_ASSIGN_OR_RETURN(CheckpointState saved, ReadCheckpointState(checkpoint_path_));
  const std::string diff = DescribeConfigDifference(saved.config, config_);
  if (!diff.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to resume from '", checkpoint_path_,
        "': it was written by another config. Differences (checkpoint -> now):\n", diff));
  }
  if (saved.phase >= 0 && saved.phase != PhaseAt(saved.step)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to resume from '", checkpoint_path_, "': it was written in stage-by-stage phase ",
        saved.phase + 1, ", but its step ", saved.step, " lies in phase ",
        PhaseAt(saved.step) + 1, " of this run (",
        DescribePhase(std::max<int64_t>(0, PhaseAt(saved.step))), ")"));
  }
  LASNN_RETURN_IF_ERROR(
      LoadCheckpoint(checkpoint_path_, *model_, *optimizer_, aligners_.get(), best_state_));
  state_ = std::move(saved);
  state_.git_commit = options_.git_commit;
  at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle, shared state
  generator.set_state(state_.rng_state);
  outcome_.epochs = state_.history;
  LASNN_RETURN_IF_ERROR(log_->Write(absl::StrCat("resume,", state_.next_epoch, ",", state_.step,
                                                 ",,,,,,,,,,from ", checkpoint_path_)));
  Progress(absl::StrCat("resuming at epoch ", state_.next_epoch + 1, " (step ", state_.step,
                        ") from ", checkpoint_path_));
  return absl::OkStatus();
}

absl::Status Loop::TrainEpoch(int64_t epoch, const datasets::Dataset& holdout) {
  LASNN_RETURN_IF_ERROR(batcher_->StartEpoch(epoch));
  model_->train();
  aligners_->train();
  const c10::TensorOptions meter_options = c10::TensorOptions(at::kDouble).device(options_.device);
  epoch_.Reset(meter_options);
  window_.Reset(meter_options);
  epoch_start_ = window_start_ = Clock::now();
  double lr = 0;
  for (int64_t b = 0; b < steps_per_epoch_; ++b) {
    LASNN_ASSIGN_OR_RETURN(const datasets::Batch global_batch, batcher_->Next());
    const datasets::Batch batch = Slice(global_batch);
    const int64_t phase = PhaseAt(state_.step);
    if (phase != applied_phase_) LASNN_RETURN_IF_ERROR(EnterPhase(phase));
    lr = LearningRate(phase);
    const int64_t active_pairs =
        ActivePairs(static_cast<double>(epoch) +
                    static_cast<double>(b) / static_cast<double>(steps_per_epoch_));
    LASNN_RETURN_IF_ERROR(TorchCall("training step", [&] {
      const StepLosses losses = Step(Inputs(batch, epoch), lr, active_pairs, phase);
      Meter(losses, batch.labels.size(0));
      MarkStep(options_.device);  // lazy device: run this step's graph (no-op elsewhere)
    }));
    ++state_.step;
    ++steps_this_run_;
    CrashPoint("train step");  // crash-safety tests only (LASNN_CRASH_AT)
    if (window_.steps == t_.log_every_steps() || b + 1 == steps_per_epoch_) {
      LASNN_RETURN_IF_ERROR(LogWindow(epoch, b, lr));
      if (outcome_.status != RunStatus::kOk) return absl::OkStatus();
    }
  }
  return EndEpoch(epoch, lr, holdout);
}

absl::Status Loop::EnterPhase(int64_t phase) {
  const StagePhase& p = phases_[phase];
  LASNN_RETURN_IF_ERROR(TorchCall("entering a training phase", [&] {
    model_->SetTrainableLayers(p.layer_begin, p.layer_end);
    for (at::Tensor& param : model_->parameters()) {
      if (!param.requires_grad()) param.mutable_grad().reset();
    }
  }));
  applied_phase_ = phase;
  const std::string message = DescribePhase(phase);
  Progress(message);
  EpochMetrics m;
  m.set_epoch(state_.step / steps_per_epoch_ + 1);
  m.set_step(state_.step);
  return log_->Write(absl::StrCat("phase,", m.epoch(), ",", m.step(), ",,,,,,,,,,", message));
}

StepLosses Loop::Step(const StepInput& input, double lr, int64_t active_pairs,
                      int64_t phase) {
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
  StepLosses l = phase >= 0 && phases_[phase].pair >= 0 ? StageForward(input, phases_[phase].pair)
                                                        : Forward(input, active_pairs);
  if (state_.step == options_.inject_nan_at_step) {
    l.total = l.total * std::numeric_limits<double>::quiet_NaN();
  }
  optimizer_->zero_grad();
  l.total.backward();
  if (options_.data_parallel != nullptr) {
    std::vector<at::Tensor> all;
    for (auto& group : optimizer_->param_groups()) {
      for (auto& p : group.params()) all.push_back(p);
    }
    options_.data_parallel->AllReduceGradients(all);
  }
  optimizer_->step();
  return l;
}

void Loop::Meter(const StepLosses& l, int64_t images) {
  window_.sums += at::stack({l.total.detach().to(at::kDouble), l.ce.detach().to(at::kDouble),
                             l.kd.detach().to(at::kDouble), l.feature.detach().to(at::kDouble),
                             l.correct.to(at::kDouble)});
  ++window_.steps;
  window_.images += images;
  if (l.has_logits) {
    ++window_.logit_steps;
    window_.classified_images += images;
  }
  if (l.has_feature) ++window_.feature_steps;
}

absl::Status Loop::LogWindow(int64_t epoch, int64_t batch_index, double lr) {
  const at::Tensor sums = window_.sums.cpu();
  const double loss_sum = sums.data_ptr<double>()[0];
  if (!std::isfinite(loss_sum)) {
    return Diverge(epoch, absl::StrCat("loss is ", std::isnan(loss_sum) ? "NaN" : "inf",
                                       " within steps ", state_.step - window_.steps + 1, "..",
                                       state_.step, " of epoch ", epoch + 1));
  }
  const auto now = Clock::now();
  const double elapsed = Seconds(window_start_, now);
  const double ips = elapsed > 0 ? window_.images / elapsed : 0;
  const double per_step = Seconds(run_start_, now) / static_cast<double>(steps_this_run_);
  const double eta = per_step * static_cast<double>(total_steps_ - state_.step);
  EpochMetrics m = MetricsFromSums(epoch, lr, sums, window_);
  m.set_step(state_.step);
  m.set_images_per_second(ips);
  m.set_seconds(Seconds(run_start_, now));
  Progress(absl::StrFormat(
      "epoch %d/%d step %d/%d loss %.4f (ce %.4f kd %.4f feat %.4f) acc %.2f%% lr %.4g "
      "%.0f img/s ETA %s",
      epoch + 1, t_.epochs(), batch_index + 1, steps_per_epoch_, m.loss(), m.ce(), m.kd(),
      m.feature(), 100.0 * m.train_accuracy(), lr, ips, FormatDuration(eta)));
  LASNN_RETURN_IF_ERROR(log_->Write(MetricsCsvLine("step", m, "")));
  epoch_.Absorb(window_);
  window_start_ = Clock::now();
  return absl::OkStatus();
}

absl::Status Loop::Diverge(int64_t epoch, const std::string& message) {
  outcome_.status = RunStatus::kDiverged;
  outcome_.message = message;
  EpochMetrics m;
  m.set_epoch(epoch + 1);
  m.set_step(state_.step);
  LASNN_RETURN_IF_ERROR(log_->Write(MetricsCsvLine("diverged", m, message)));
  Progress(absl::StrCat("training diverged: ", message));
  return absl::OkStatus();
}

absl::Status Loop::EndEpoch(int64_t epoch, double lr, const datasets::Dataset& holdout) {
  const double epoch_seconds = Seconds(epoch_start_, Clock::now());
  EpochMetrics m = MetricsFromSums(epoch, lr, epoch_.sums.cpu(), epoch_);
  m.set_step(state_.step);
  m.set_images_per_second(epoch_.images / std::max(1e-9, epoch_seconds));
  m.set_seconds(epoch_seconds);
  if (options_.data_parallel != nullptr) options_.data_parallel->AverageBuffers(*model_);
  LASNN_ASSIGN_OR_RETURN(const double holdout_accuracy,
                         HoldoutAccuracy(holdout, m.train_accuracy()));
  m.set_holdout_accuracy(holdout_accuracy);
  outcome_.epochs.push_back(m);
  state_.history.push_back(m);
  LASNN_RETURN_IF_ERROR(log_->Write(MetricsCsvLine("epoch", m, "")));
  Progress(absl::StrFormat(
      "epoch %d/%d done: loss %.4f train acc %.2f%% held-out acc %.2f%% (%.0f img/s, %s)",
      epoch + 1, t_.epochs(), m.loss(), 100 * m.train_accuracy(), 100 * m.holdout_accuracy(),
      m.images_per_second(), FormatDuration(epoch_seconds)));
  // STAGE_BY_STAGE: only a model whose classifier has trained competes for best.
  const bool eligible = state_.step > classifier_start_step_;
  if (eligible && m.holdout_accuracy() > state_.best_holdout_accuracy) {
    state_.best_holdout_accuracy = m.holdout_accuracy();
    state_.best_epoch = epoch + 1;
    best_state_ = SnapshotState(*model_);
  }
  state_.next_epoch = epoch + 1;
  state_.phase = PhaseAt(state_.step);
  state_.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  if (Writer()) {
    LASNN_RETURN_IF_ERROR(SaveCheckpoint(checkpoint_path_, state_, *model_, *optimizer_,
                                         aligners_.get(), best_state_));
  }
  ++epochs_this_run_;
  return CheckCollapse(epoch, m);
}

// The accuracy on `holdout` at the training T; `fallback` (the training accuracy) when it is
// empty.
absl::StatusOr<double> Loop::HoldoutAccuracy(const datasets::Dataset& holdout, double fallback) {
  if (!holdout.images.defined() || holdout.images.size(0) == 0) return fallback;
  EvalOptions eo;
  eo.timesteps = snn_ ? t_.timesteps() : 1;
  eo.batch_size = t_.eval_batch_size();
  eo.device = options_.device;
  eo.encoding_seed = t_.seed();
  LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model_, holdout, eo));
  return r.final_accuracy();
}

// Marks the run collapsed when, after train.collapse_epochs epochs (STAGE_BY_STAGE: epochs that
// end in the classifier phase), the best held-out accuracy is still within 1.5x of chance.
absl::Status Loop::CheckCollapse(int64_t epoch, const EpochMetrics& m) {
  const double chance = 1.0 / static_cast<double>(model_->plan().num_classes);
  const int64_t epochs_counted = epoch + 1 - classifier_start_step_ / steps_per_epoch_;
  if (t_.collapse_epochs() <= 0 || epochs_counted < t_.collapse_epochs() ||
      state_.best_holdout_accuracy >= 1.5 * chance) {
    return absl::OkStatus();
  }
  outcome_.status = RunStatus::kCollapsed;
  outcome_.message =
      absl::StrFormat("held-out accuracy %.2f%% is at chance (%.2f%%) after %d epochs",
                      100 * state_.best_holdout_accuracy, 100 * chance, epoch + 1);
  LASNN_RETURN_IF_ERROR(log_->Write(MetricsCsvLine("collapsed", m, outcome_.message)));
  Progress(absl::StrCat("training collapsed: ", outcome_.message));
  return absl::OkStatus();
}

absl::StatusOr<TrainOutcome> Loop::Finish() {
  outcome_.train_seconds = Seconds(run_start_, Clock::now());
  outcome_.steps = state_.step;
  outcome_.best_epoch = state_.best_epoch;
  outcome_.best_holdout_accuracy = state_.best_holdout_accuracy;
  outcome_.finished = state_.next_epoch >= t_.epochs() && outcome_.status == RunStatus::kOk;
  if (!best_state_.empty()) {
    RestoreState(*model_, best_state_);
    if (outcome_.status == RunStatus::kOk && Writer()) {
      LASNN_RETURN_IF_ERROR(SaveWeights(JoinPath(options_.run_dir, "best_weights.pt"), *model_));
    }
  }
  return outcome_;
}

}  // namespace

absl::StatusOr<TrainOutcome> Train(const TrainRunConfig& config, Model& model,
                                   const datasets::Dataset& train,
                                   const datasets::Dataset& holdout, Teacher* teacher,
                                   const TrainerOptions& options) {
  if (options.run_dir.empty()) return absl::InvalidArgumentError("TrainerOptions.run_dir is empty");
  Loop loop(config, model, teacher, options);
  return loop.Run(train, holdout);
}

}  // namespace lasnn
