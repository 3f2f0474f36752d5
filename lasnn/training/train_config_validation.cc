#include "lasnn/training/train_config_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/lr_schedule.h"

namespace lasnn {
namespace {

// The rules, each "<path> must be <rule>, got <value>"; written so that NaN fails every one.
std::optional<FieldViolation> InRange(const std::string& path, double value, double lo, double hi) {
  if (value >= lo && value <= hi) return std::nullopt;
  return FieldViolation{path, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value)};
}

std::optional<FieldViolation> InUnitInterval(const std::string& path, double value) {
  if (value >= 0 && value < 1) return std::nullopt;
  return FieldViolation{path, absl::StrCat("must be in [0, 1), got ", value)};
}

std::optional<FieldViolation> PositiveAtMost(const std::string& path, double value, double hi) {
  if (value > 0 && value <= hi) return std::nullopt;
  return FieldViolation{path, absl::StrCat("must be > 0 and <= ", hi, ", got ", value)};
}

std::optional<FieldViolation> CheckOptimizer(const std::string& p, const OptimizerConfig& o) {
  if (auto e = PositiveAtMost(p + ".lr", o.lr(), 100)) return e;
  if (auto e = InUnitInterval(p + ".momentum", o.momentum())) return e;
  if (o.nesterov() && o.momentum() == 0) {
    return FieldViolation{p + ".nesterov", absl::StrCat("needs ", p, ".momentum > 0")};
  }
  if (auto e = InUnitInterval(p + ".weight_decay", o.weight_decay())) return e;
  if (auto e = InUnitInterval(p + ".adam_beta1", o.adam_beta1())) return e;
  if (auto e = InUnitInterval(p + ".adam_beta2", o.adam_beta2())) return e;
  return std::nullopt;
}

std::optional<FieldViolation> CheckDistill(const std::string& p, const DistillConfig& d) {
  if (auto e = InRange(p + ".ce_weight", d.ce_weight(), 0, 1e9)) return e;
  if (auto e = InRange(p + ".kd_weight", d.kd_weight(), 0, 1e9)) return e;
  if (auto e = PositiveAtMost(p + ".temperature", d.temperature(), 100)) return e;
  if (auto e = InRange(p + ".beta", d.beta(), 0, 1e9)) return e;
  if (auto e = InRange(p + ".feature_weight", d.feature_weight(), 0, 1e9)) return e;
  if (auto e = PositiveAtMost(p + ".attention_p", d.attention_p(), 8)) return e;
  if (auto e = PositiveAtMost(p + ".stage_epochs", d.stage_epochs(), 1e6)) return e;
  return std::nullopt;
}

std::optional<FieldViolation> CheckModel(const std::string& path, const ModelSpec& spec) {
  const absl::Status s = ValidateModelSpec(spec);
  if (s.ok()) return std::nullopt;
  return ViolationUnder(path, s);
}

}  // namespace

std::optional<FieldViolation> FindTrainConfigViolation(const TrainConfig& t,
                                                       absl::string_view path) {
  const std::string p(path);
  if (auto e = InRange(p + ".epochs", t.epochs(), 1, kMaxTrainEpochs)) return e;
  if (auto e = InRange(p + ".batch_size", t.batch_size(), 1, kMaxBatchSize)) return e;
  if (auto e = InRange(p + ".eval_batch_size", t.eval_batch_size(), 1, kMaxBatchSize)) return e;
  if (auto e = InRange(p + ".timesteps", t.timesteps(), 1, kMaxTrainTimesteps)) return e;
  if (auto e = CheckOptimizer(p + ".optimizer", t.optimizer())) return e;
  const absl::Status schedule = ValidateSchedule(t.schedule(), t.epochs());
  if (!schedule.ok()) return ViolationUnder(path, schedule);
  if (auto e = CheckDistill(p + ".distill", t.distill())) return e;
  if (auto e = InRange(p + ".augment.crop_padding", t.augment().crop_padding(), 0, 64)) return e;
  if (auto e = InUnitInterval(p + ".label_smoothing", t.label_smoothing())) return e;
  if (auto e = InRange(p + ".holdout_fraction", t.holdout_fraction(), 0, 0.5)) return e;
  if (auto e = InRange(p + ".collapse_epochs", t.collapse_epochs(), 0, kMaxTrainEpochs)) return e;
  if (auto e = InRange(p + ".max_steps_per_epoch", t.max_steps_per_epoch(), 0, 1e9)) return e;
  if (auto e = InRange(p + ".log_every_steps", t.log_every_steps(), 1, 1e9)) return e;
  if (auto e = InRange(p + ".threads", t.threads(), 1, kMaxThreads)) return e;
  return std::nullopt;
}

FieldViolation ViolationUnder(absl::string_view prefix, const absl::Status& status) {
  const std::string message(status.message());
  const size_t space = message.find(' ');
  const std::string head = message.substr(0, space);
  const bool is_path = space != std::string::npos && !head.empty() &&
                       absl::ascii_isalpha(head[0]) &&
                       head.find_first_of(":'\"/") == std::string::npos;
  if (is_path) return FieldViolation{absl::StrCat(prefix, ".", head), message.substr(space + 1)};
  return FieldViolation{std::string(prefix), absl::StrCat("is invalid: ", message)};
}

absl::Status ValidateTrainConfig(const TrainConfig& train, absl::string_view path) {
  if (auto e = FindTrainConfigViolation(train, path)) {
    return absl::InvalidArgumentError(absl::StrCat(e->path, " ", e->message));
  }
  return absl::OkStatus();
}

absl::Status ValidateTrainRunConfig(const TrainRunConfig& config) {
  std::optional<FieldViolation> e;
  if (!config.has_model()) {
    e = FieldViolation{"model", "must be set"};
  } else if (!(e = CheckModel("model", config.model()))) {
    e = FindTrainConfigViolation(config.train(), "train");
  }
  const DistillConfig::Method method = config.train().distill().method();
  if (!e && method != DistillConfig::DIRECT) {
    if (!config.has_teacher()) {
      e = FieldViolation{"teacher", absl::StrCat("must be set for train.distill.method ",
                                                 DistillConfig::Method_Name(method))};
    } else {
      e = CheckModel("teacher", config.teacher());
    }
  }
  if (e) return absl::InvalidArgumentError(absl::StrCat(e->path, " ", e->message));
  return absl::OkStatus();
}

}  // namespace lasnn
