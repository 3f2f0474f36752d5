#include "lasnn/trainer.h"

#include <ATen/ATen.h>
#include <ATen/core/Reduction.h>
#include <ATen/CPUGeneratorImpl.h>
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

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "datasets/batcher.h"
#include "lasnn/checkpoint.h"
#include "lasnn/distill_loss.h"
#include "lasnn/evaluate.h"
#include "lasnn/lr_schedule.h"
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

absl::Status ValidateTrainRunConfig(const TrainRunConfig& config) {
  const TrainConfig& t = config.train();
  auto bad = [](absl::string_view field, absl::string_view rule, auto value) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be ", rule, ", got ", value));
  };
  if (t.epochs() < 1 || t.epochs() > 100000) return bad("train.epochs", "in [1, 100000]", t.epochs());
  if (t.batch_size() < 1 || t.batch_size() > 65536) {
    return bad("train.batch_size", "in [1, 65536]", t.batch_size());
  }
  if (t.eval_batch_size() < 1 || t.eval_batch_size() > 65536) {
    return bad("train.eval_batch_size", "in [1, 65536]", t.eval_batch_size());
  }
  if (t.timesteps() < 1 || t.timesteps() > 4096) {
    return bad("train.timesteps", "in [1, 4096]", t.timesteps());
  }
  const OptimizerConfig& o = t.optimizer();
  if (!(o.lr() > 0 && o.lr() < 100)) return bad("train.optimizer.lr", "in (0, 100)", o.lr());
  if (!(o.momentum() >= 0 && o.momentum() < 1)) {
    return bad("train.optimizer.momentum", "in [0, 1)", o.momentum());
  }
  if (o.nesterov() && o.momentum() == 0) {
    return absl::InvalidArgumentError("train.optimizer.nesterov needs train.optimizer.momentum > 0");
  }
  if (!(o.weight_decay() >= 0 && o.weight_decay() < 1)) {
    return bad("train.optimizer.weight_decay", "in [0, 1)", o.weight_decay());
  }
  if (!(o.adam_beta1() >= 0 && o.adam_beta1() < 1)) {
    return bad("train.optimizer.adam_beta1", "in [0, 1)", o.adam_beta1());
  }
  if (!(o.adam_beta2() >= 0 && o.adam_beta2() < 1)) {
    return bad("train.optimizer.adam_beta2", "in [0, 1)", o.adam_beta2());
  }
  LASNN_RETURN_IF_ERROR(ValidateSchedule(t.schedule(), t.epochs()));
  const DistillConfig& d = t.distill();
  if (!(d.ce_weight() >= 0)) return bad("train.distill.ce_weight", ">= 0", d.ce_weight());
  if (!(d.kd_weight() >= 0)) return bad("train.distill.kd_weight", ">= 0", d.kd_weight());
  if (!(d.temperature() > 0 && d.temperature() <= 100)) {
    return bad("train.distill.temperature", "in (0, 100]", d.temperature());
  }
  if (!(d.beta() >= 0)) return bad("train.distill.beta", ">= 0", d.beta());
  if (!(d.feature_weight() >= 0)) {
    return bad("train.distill.feature_weight", ">= 0", d.feature_weight());
  }
  if (!(d.attention_p() > 0 && d.attention_p() <= 8)) {
    return bad("train.distill.attention_p", "in (0, 8]", d.attention_p());
  }
  if (!(d.stage_epochs() > 0)) return bad("train.distill.stage_epochs", "> 0", d.stage_epochs());
  if (t.augment().crop_padding() < 0 || t.augment().crop_padding() > 64) {
    return bad("train.augment.crop_padding", "in [0, 64]", t.augment().crop_padding());
  }
  if (!(t.label_smoothing() >= 0 && t.label_smoothing() < 1)) {
    return bad("train.label_smoothing", "in [0, 1)", t.label_smoothing());
  }
  if (!(t.holdout_fraction() >= 0 && t.holdout_fraction() < 1)) {
    return bad("train.holdout_fraction", "in [0, 1)", t.holdout_fraction());
  }
  if (t.collapse_epochs() < 0) return bad("train.collapse_epochs", ">= 0", t.collapse_epochs());
  if (t.max_steps_per_epoch() < 0) {
    return bad("train.max_steps_per_epoch", ">= 0", t.max_steps_per_epoch());
  }
  if (t.log_every_steps() < 1) return bad("train.log_every_steps", ">= 1", t.log_every_steps());
  if (t.threads() < 1 || t.threads() > 1024) return bad("train.threads", "in [1, 1024]", t.threads());
  const bool needs_teacher = d.method() != DistillConfig::DIRECT;
  if (needs_teacher && !config.has_teacher()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "train.distill.method ", DistillConfig::Method_Name(d.method()),
        " needs a teacher, but the run config has none"));
  }
  return absl::OkStatus();
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

constexpr absl::string_view kCsvHeader =
    "event,epoch,step,lr,loss,ce,kd,feature,train_acc,holdout_acc,images_per_s,seconds,message";

std::string EpochToCsv(absl::string_view event, const EpochMetrics& m, int64_t step,
                       absl::string_view message) {
  return absl::StrFormat("%s,%d,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.6g,%.6g,%s", event,
                         m.epoch, step, m.lr, m.loss, m.ce, m.kd, m.feature, m.train_accuracy,
                         m.holdout_accuracy, m.images_per_second, m.seconds, message);
}

bool EpochFromCsv(absl::string_view line, EpochMetrics* m) {
  std::vector<std::string> f = absl::StrSplit(line, ',');
  if (f.size() < 12) return false;
  int64_t step = 0;
  return absl::SimpleAtoi(f[1], &m->epoch) && absl::SimpleAtoi(f[2], &step) &&
         absl::SimpleAtod(f[3], &m->lr) && absl::SimpleAtod(f[4], &m->loss) &&
         absl::SimpleAtod(f[5], &m->ce) && absl::SimpleAtod(f[6], &m->kd) &&
         absl::SimpleAtod(f[7], &m->feature) && absl::SimpleAtod(f[8], &m->train_accuracy) &&
         absl::SimpleAtod(f[9], &m->holdout_accuracy) &&
         absl::SimpleAtod(f[10], &m->images_per_second) && absl::SimpleAtod(f[11], &m->seconds);
}

// Means of the accumulated [loss, ce, kd, feature, correct] sums over `steps` steps and `images`
// images, for 0-based `epoch`.
EpochMetrics MetricsFromSums(int64_t epoch, double lr, const double* sums, int64_t steps,
                             int64_t images) {
  const double n = static_cast<double>(std::max<int64_t>(1, steps));
  EpochMetrics m;
  m.epoch = epoch + 1;
  m.lr = lr;
  m.loss = sums[0] / n;
  m.ce = sums[1] / n;
  m.kd = sums[2] / n;
  m.feature = sums[3] / n;
  m.train_accuracy = sums[4] / static_cast<double>(std::max<int64_t>(1, images));
  return m;
}

// Appends lines to run_dir/metrics.csv, one per event, flushed as written.
class MetricsLog {
 public:
  // path "": a log that discards.
  static absl::StatusOr<std::unique_ptr<MetricsLog>> Open(const std::string& path) {
    if (path.empty()) return std::unique_ptr<MetricsLog>(new MetricsLog(path, nullptr));
    const bool fresh = !PathExists(path);
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (f == nullptr) return ErrnoToStatus(errno, "cannot open metrics log", path);
    auto log = std::unique_ptr<MetricsLog>(new MetricsLog(path, f));
    if (fresh) LASNN_RETURN_IF_ERROR(log->Write(kCsvHeader));
    return log;
  }
  ~MetricsLog() {
    if (file_ != nullptr) std::fclose(file_);
  }
  absl::Status Write(absl::string_view line) {
    if (file_ == nullptr) return absl::OkStatus();
    if (std::fprintf(file_, "%.*s\n", static_cast<int>(line.size()), line.data()) < 0 ||
        std::fflush(file_) != 0) {
      return ErrnoToStatus(errno, "cannot write metrics log", path_);
    }
    return absl::OkStatus();
  }

 private:
  MetricsLog(std::string path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::string path_;
  std::FILE* file_;
};

// The 1x1 alignment convs of feature-KD (student channels -> teacher channels), one per pair.
struct AlignersImpl : torch::nn::Module {
  std::vector<torch::nn::Conv2d> convs;
};

struct StepLosses {
  at::Tensor total, ce, kd, feature;  // 0-d
  at::Tensor correct;                 // 0-d int64
};

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
  StepLosses Forward(const datasets::Batch& batch, int64_t active_pairs);
  void Progress(absl::string_view line) const {
    if (!Writer()) return;
    if (options_.progress) {
      options_.progress(line);
    } else {
      std::cerr << line << "\n" << std::flush;
    }
  }
  // `progress`: epochs completed, fractional within an epoch (epoch + step / steps_per_epoch),
  // so stage_epochs below 1 switches pairs on during an epoch (budgeted runs).
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
  int64_t ActivePairs(double progress) const {
    const int64_t pairs = static_cast<int64_t>(pairs_.size());
    if (d_.paradigm() == DistillConfig::JOINT) return pairs;
    return std::min<int64_t>(
        pairs, static_cast<int64_t>(std::floor(progress / d_.stage_epochs() + 1e-9)) + 1);
  }

  const TrainRunConfig& config_;
  const TrainConfig& t_;
  const DistillConfig& d_;
  Model& model_;
  Teacher* teacher_;
  const TrainerOptions& options_;

  bool snn_ = false;
  bool uses_kd_ = false, uses_attention_ = false, uses_features_ = false;
  std::vector<TapPair> pairs_;
  std::shared_ptr<AlignersImpl> aligners_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<datasets::Batcher> batcher_;
  int64_t steps_per_epoch_ = 0;
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
  if (uses_attention_ || uses_features_) {
    auto shapes = [](const ModelPlan& plan) {
      std::vector<TapShape> out;
      for (const TapInfo& tap : plan.taps) out.push_back({tap.name, tap.shape[1], tap.shape[2]});
      return out;
    };
    LASNN_ASSIGN_OR_RETURN(pairs_, PairTapsByResolution(shapes(model_->plan()),
                                                        shapes(teacher_->model->plan())));
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
  model_->to(options_.device);
  aligners_->to(options_.device);
  if (teacher_ != nullptr) teacher_->model->to(options_.device);

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
  LASNN_ASSIGN_OR_RETURN(batcher_, datasets::Batcher::Create(train, bopts));
  steps_per_epoch_ = batcher_->batches_per_epoch();
  if (t_.max_steps_per_epoch() > 0) {
    steps_per_epoch_ = std::min<int64_t>(steps_per_epoch_, t_.max_steps_per_epoch());
  }
  if (steps_per_epoch_ < 1) {
    return absl::InvalidArgumentError("the training split has no complete batch");
  }
  return absl::OkStatus();
}

StepLosses Loop::Forward(const datasets::Batch& batch, int64_t active_pairs) {
  const bool need_taps = (uses_attention_ || uses_features_) && active_pairs > 0;
  ForwardOptions fo;
  fo.timesteps = snn_ ? t_.timesteps() : 1;
  fo.taps = need_taps;
  ModelOutput out = model_->forward(batch.images, fo);  // logits [B, K]
  StepLosses l;
  l.ce = at::cross_entropy_loss(out.logits, batch.labels, /*weight=*/{}, at::Reduction::Mean,
                                /*ignore_index=*/-100, t_.label_smoothing());
  l.total = l.ce * d_.ce_weight();
  l.kd = at::zeros({}, out.logits.options());
  l.feature = at::zeros({}, out.logits.options());
  if (teacher_ != nullptr && (uses_kd_ || need_taps)) {
    ModelOutput t_out;
    {
      torch::NoGradGuard no_grad;
      ForwardOptions tfo;
      tfo.taps = need_taps;
      t_out = teacher_->model->forward(batch.images, tfo);
    }
    if (uses_kd_) {
      l.kd = LogitKdLoss(out.logits, t_out.logits, d_.temperature());
      l.total = l.total + l.kd * d_.kd_weight();
    }
    for (int64_t i = 0; i < active_pairs && need_taps; ++i) {
      const TapPair& pair = pairs_[i];
      at::Tensor s = out.taps[pair.student];  // SNN [T, B, C, H, W] spikes; ANN [B, C, H, W]
      if (snn_) s = FiringRate(s);            // [B, C, H, W]
      const at::Tensor& t = t_out.taps[pair.teacher];  // [B, Ct, H, W]
      if (uses_attention_) {
        l.feature = l.feature + AttentionTransferLoss(s, t, d_.attention_p());
      } else {
        l.feature = l.feature + at::mse_loss(aligners_->convs[i]->forward(s), t);
      }
    }
    if (need_taps) {
      l.total = l.total + l.feature * (uses_attention_ ? d_.beta() : d_.feature_weight());
    }
  }
  l.correct = out.logits.argmax(/*dim=*/1).eq(batch.labels).sum();
  return l;
}

absl::StatusOr<TrainOutcome> Loop::Run(const datasets::Dataset& train,
                                       const datasets::Dataset& holdout) {
  LASNN_RETURN_IF_ERROR(ValidateTrainRunConfig(config_));
  LASNN_RETURN_IF_ERROR(MakeDirectories(options_.run_dir));
  LASNN_RETURN_IF_ERROR(TorchCall("trainer setup", [&] { return Setup(train); }));
  const std::string ckpt_path = JoinPath(options_.run_dir, "checkpoint.pt");
  const std::string best_path = JoinPath(options_.run_dir, "best_weights.pt");
  // Only rank 0 writes (data-parallel training); the other ranks' log discards.
  LASNN_ASSIGN_OR_RETURN(
      auto log, MetricsLog::Open(Writer() ? JoinPath(options_.run_dir, "metrics.csv") : ""));

  TrainOutcome outcome;
  CheckpointState state;
  state.config = config_;
  state.git_commit = options_.git_commit;
  std::vector<at::Tensor> best_state;
  if (PathExists(ckpt_path)) {
    if (!options_.resume) {
      return absl::FailedPreconditionError(absl::StrCat(
          "'", ckpt_path, "' already exists: resume it (--resume) or use another run directory"));
    }
    LASNN_ASSIGN_OR_RETURN(CheckpointState saved, ReadCheckpointState(ckpt_path));
    std::string diff = DescribeConfigDifference(saved.config, config_);
    if (!diff.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to resume from '", ckpt_path,
          "': it was written by another config. Differences (checkpoint -> now):\n", diff));
    }
    LASNN_RETURN_IF_ERROR(LoadCheckpoint(ckpt_path, *model_, *optimizer_, aligners_.get(),
                                         best_state));
    state = saved;
    state.git_commit = options_.git_commit;
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle, shared state
    generator.set_state(state.rng_state);
    for (const std::string& line : state.history) {
      EpochMetrics m;
      if (!EpochFromCsv(line, &m)) {
        return absl::DataLossError(absl::StrCat("'", ckpt_path, "' has a corrupt history line"));
      }
      outcome.epochs.push_back(m);
    }
    LASNN_RETURN_IF_ERROR(log->Write(absl::StrCat("resume,", state.next_epoch, ",", state.step,
                                                  ",,,,,,,,,,from ", ckpt_path)));
    Progress(absl::StrCat("resuming at epoch ", state.next_epoch + 1, " (step ", state.step,
                          ") from ", ckpt_path));
  }
  if (state.next_epoch >= t_.epochs() && !best_state.empty()) {
    RestoreState(*model_, best_state);
  }

  const int64_t total_steps = steps_per_epoch_ * t_.epochs();
  const double chance = 1.0 / static_cast<double>(model_->plan().num_classes);
  const auto run_start = Clock::now();
  int64_t steps_this_run = 0;
  int64_t epochs_this_run = 0;
  const c10::TensorOptions acc_opts = c10::TensorOptions(at::kDouble).device(options_.device);

  for (int64_t epoch = state.next_epoch; epoch < t_.epochs(); ++epoch) {
    if (options_.stop_after_epochs > 0 && epochs_this_run >= options_.stop_after_epochs) break;
    LASNN_RETURN_IF_ERROR(batcher_->StartEpoch(epoch));
    model_->train();
    aligners_->train();
    // Accumulators stay on the device: [loss, ce, kd, feature, correct].
    at::Tensor epoch_sums = at::zeros({5}, acc_opts);
    at::Tensor window_sums = at::zeros({5}, acc_opts);
    int64_t window_steps = 0, window_images = 0, epoch_images = 0;
    auto epoch_start = Clock::now();
    auto window_start = epoch_start;
    double lr = 0;
    bool diverged = false;
    std::string diverged_message;
    for (int64_t b = 0; b < steps_per_epoch_; ++b) {
      LASNN_ASSIGN_OR_RETURN(datasets::Batch global_batch, batcher_->Next());
      const datasets::Batch batch = Slice(global_batch);
      lr = LearningRateAt(t_.schedule(), t_.optimizer().lr(), state.step, steps_per_epoch_,
                          total_steps);
      const int64_t active_pairs =
          ActivePairs(static_cast<double>(epoch) +
                      static_cast<double>(b) / static_cast<double>(steps_per_epoch_));
      StepLosses l;
      absl::Status step_status = TorchCall("training step", [&] {
        for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
        l = Forward(batch, active_pairs);
        if (state.step == options_.inject_nan_at_step) {
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
        at::Tensor parts = at::stack({l.total.detach().to(at::kDouble), l.ce.detach().to(at::kDouble),
                                      l.kd.detach().to(at::kDouble),
                                      l.feature.detach().to(at::kDouble),
                                      l.correct.to(at::kDouble)});
        window_sums += parts;
      });
      LASNN_RETURN_IF_ERROR(step_status);
      ++state.step;
      CrashPoint("train step");  // crash-safety tests only (LASNN_CRASH_AT)
      ++steps_this_run;
      ++window_steps;
      window_images += batch.labels.size(0);
      epoch_images += batch.labels.size(0);
      const bool last = b + 1 == steps_per_epoch_;
      if (window_steps % t_.log_every_steps() == 0 || last) {
        at::Tensor w = window_sums.cpu();  // the only host synchronisation: at log intervals
        const double* v = w.data_ptr<double>();
        if (!std::isfinite(v[0])) {
          diverged = true;
          diverged_message = absl::StrCat("loss is ", std::isnan(v[0]) ? "NaN" : "inf",
                                          " within steps ", state.step - window_steps + 1, "..",
                                          state.step, " of epoch ", epoch + 1);
          break;
        }
        const auto now = Clock::now();
        const double elapsed = Seconds(window_start, now);
        const double ips = elapsed > 0 ? window_images / elapsed : 0;
        const double per_step = Seconds(run_start, now) / static_cast<double>(steps_this_run);
        const double eta = per_step * static_cast<double>(total_steps - state.step);
        EpochMetrics m = MetricsFromSums(epoch, lr, v, window_steps, window_images);
        m.images_per_second = ips;
        m.seconds = Seconds(run_start, now);
        Progress(absl::StrFormat(
            "epoch %d/%d step %d/%d loss %.4f (ce %.4f kd %.4f feat %.4f) acc %.2f%% lr %.4g "
            "%.0f img/s ETA %s",
            epoch + 1, t_.epochs(), b + 1, steps_per_epoch_, m.loss, m.ce, m.kd, m.feature,
            100.0 * m.train_accuracy, lr, ips, FormatDuration(eta)));
        LASNN_RETURN_IF_ERROR(log->Write(EpochToCsv("step", m, state.step, "")));
        epoch_sums += window_sums;
        window_sums.zero_();
        window_steps = 0;
        window_images = 0;
        window_start = Clock::now();
      }
    }
    if (diverged) {
      outcome.status = RunStatus::kDiverged;
      outcome.message = diverged_message;
      EpochMetrics m;
      m.epoch = epoch + 1;
      LASNN_RETURN_IF_ERROR(log->Write(EpochToCsv("diverged", m, state.step, diverged_message)));
      Progress(absl::StrCat("training diverged: ", diverged_message));
      break;
    }
    const double epoch_seconds = Seconds(epoch_start, Clock::now());
    at::Tensor e = epoch_sums.cpu();
    const double* v = e.data_ptr<double>();
    EpochMetrics m = MetricsFromSums(epoch, lr, v, steps_per_epoch_, epoch_images);
    m.images_per_second = epoch_images / std::max(1e-9, epoch_seconds);
    m.seconds = epoch_seconds;
    if (options_.data_parallel != nullptr) options_.data_parallel->AverageBuffers(*model_);
    if (holdout.images.defined() && holdout.images.size(0) > 0) {
      EvalOptions eo;
      eo.timesteps = snn_ ? t_.timesteps() : 1;
      eo.batch_size = t_.eval_batch_size();
      eo.device = options_.device;
      LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model_, holdout, eo));
      m.holdout_accuracy = r.final_accuracy();
    } else {
      m.holdout_accuracy = m.train_accuracy;
    }
    outcome.epochs.push_back(m);
    state.history.push_back(EpochToCsv("epoch", m, state.step, ""));
    LASNN_RETURN_IF_ERROR(log->Write(state.history.back()));
    Progress(absl::StrFormat(
        "epoch %d/%d done: loss %.4f train acc %.2f%% held-out acc %.2f%% (%.0f img/s, %s)",
        epoch + 1, t_.epochs(), m.loss, 100 * m.train_accuracy, 100 * m.holdout_accuracy,
        m.images_per_second, FormatDuration(epoch_seconds)));
    if (m.holdout_accuracy > state.best_holdout_accuracy) {
      state.best_holdout_accuracy = m.holdout_accuracy;
      state.best_epoch = epoch + 1;
      best_state = SnapshotState(*model_);
    }
    state.next_epoch = epoch + 1;
    state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    if (Writer()) {
      LASNN_RETURN_IF_ERROR(SaveCheckpoint(ckpt_path, state, *model_, *optimizer_,
                                           aligners_.get(), best_state));
    }
    ++epochs_this_run;
    if (t_.collapse_epochs() > 0 && epoch + 1 >= t_.collapse_epochs() &&
        state.best_holdout_accuracy < 1.5 * chance) {
      outcome.status = RunStatus::kCollapsed;
      outcome.message = absl::StrFormat(
          "held-out accuracy %.2f%% is at chance (%.2f%%) after %d epochs",
          100 * state.best_holdout_accuracy, 100 * chance, epoch + 1);
      LASNN_RETURN_IF_ERROR(log->Write(EpochToCsv("collapsed", m, state.step, outcome.message)));
      Progress(absl::StrCat("training collapsed: ", outcome.message));
      break;
    }
  }
  outcome.train_seconds = Seconds(run_start, Clock::now());
  outcome.steps = state.step;
  outcome.best_epoch = state.best_epoch;
  outcome.best_holdout_accuracy = state.best_holdout_accuracy;
  outcome.finished = state.next_epoch >= t_.epochs() && outcome.status == RunStatus::kOk;
  if (!best_state.empty()) {
    RestoreState(*model_, best_state);
    if (outcome.status == RunStatus::kOk && Writer()) {
      LASNN_RETURN_IF_ERROR(SaveWeights(best_path, *model_));
    }
  }
  return outcome;
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
