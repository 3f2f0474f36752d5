#include "lasnn/training/train_config_validation.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/lr_schedule.h"
#include "lasnn/training/tap_pairing.h"

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
  if (auto e = InRange(p + ".attention_min_size", d.attention_min_size(), 0, 1e6)) return e;
  for (int i = 0; i < d.attention_pair_weights_size(); ++i) {
    if (auto e = InRange(absl::StrCat(p, ".attention_pair_weights[", i, "]"),
                         d.attention_pair_weights(i), 0, 1e9)) {
      return e;
    }
  }
  for (int i = 0; i < d.stage_budgets_size(); ++i) {
    if (auto e = PositiveAtMost(absl::StrCat(p, ".stage_budgets[", i, "]"), d.stage_budgets(i),
                                1e9)) {
      return e;
    }
  }
  if (d.paradigm() == DistillConfig::STAGE_BY_STAGE) {
    if (d.method() != DistillConfig::LASNN) {
      return FieldViolation{p + ".paradigm",
                            absl::StrCat("STAGE_BY_STAGE needs method LASNN, got ",
                                         DistillConfig::Method_Name(d.method()))};
    }
    if (!(d.beta() > 0)) {
      return FieldViolation{p + ".beta",
                            absl::StrCat("must be > 0 for paradigm STAGE_BY_STAGE (its stages "
                                         "learn from the attention loss alone), got ",
                                         d.beta())};
    }
    for (int i = 0; i < d.attention_pair_weights_size(); ++i) {
      if (!(d.attention_pair_weights(i) > 0)) {
        return FieldViolation{absl::StrCat(p, ".attention_pair_weights[", i, "]"),
                              "must be > 0 for paradigm STAGE_BY_STAGE (the stage of a pair "
                              "of weight 0 would learn nothing), got 0"};
      }
    }
  }
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

std::optional<FieldViolation> FindAttentionPairViolation(const TrainConfig& train,
                                                         absl::string_view path,
                                                         const ModelSpec& student,
                                                         const ModelSpec& teacher) {
  const DistillConfig& d = train.distill();
  if (d.method() != DistillConfig::LASNN || !(d.beta() > 0)) return std::nullopt;
  const std::string p = absl::StrCat(path, ".distill");
  absl::StatusOr<ModelPlan> s = PlanModel(student);
  absl::StatusOr<ModelPlan> t = PlanModel(teacher);
  if (!s.ok() || !t.ok()) return std::nullopt;  // reported by the specs' own checks
  absl::StatusOr<TapPairing> pairing =
      PairTaps(TapShapesOf(*s), TapShapesOf(*t), d.attention_min_size());
  if (!pairing.ok()) {
    const std::string message(pairing.status().message());
    if (message.find("attention_min_size") != std::string::npos) {
      return FieldViolation{p + ".attention_min_size",
                            absl::StrCat("leaves no attention pair: ", message)};
    }
    return FieldViolation{p + ".method", absl::StrCat("LASNN cannot pair taps: ", message)};
  }
  const int pairs = static_cast<int>(pairing->pairs.size());
  const std::string listed = DescribePairs(pairing->pairs);
  if (d.attention_pair_weights_size() != 0 && d.attention_pair_weights_size() != pairs) {
    return FieldViolation{
        p + ".attention_pair_weights",
        absl::StrCat("has ", d.attention_pair_weights_size(), " entries, but there are ", pairs,
                     " attention pairs (", listed, "); give one weight per pair or none")};
  }
  if (d.paradigm() == DistillConfig::STAGE_BY_STAGE && d.stage_budgets_size() != 0 &&
      d.stage_budgets_size() != pairs + 1) {
    return FieldViolation{
        p + ".stage_budgets",
        absl::StrCat("has ", d.stage_budgets_size(), " entries, but STAGE_BY_STAGE needs ",
                     pairs + 1, ": one per attention pair (", listed,
                     ") and one for the classifier; or none for equal shares")};
  }
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
    } else if (!(e = CheckModel("teacher", config.teacher()))) {
      e = FindAttentionPairViolation(config.train(), "train", config.model(), config.teacher());
    }
  }
  if (e) return absl::InvalidArgumentError(absl::StrCat(e->path, " ", e->message));
  return absl::OkStatus();
}

namespace {

// Old enum value names reachable from `descriptor` (aliases declared after the first name of
// their number), each with its current name (that first name).
void CollectDeprecatedNames(const google::protobuf::Descriptor* descriptor,
                            std::set<const google::protobuf::Descriptor*>& seen,
                            std::map<std::string, std::string>& names) {
  if (descriptor == nullptr || !seen.insert(descriptor).second) return;
  for (int f = 0; f < descriptor->field_count(); ++f) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(f);
    if (const google::protobuf::EnumDescriptor* e = field->enum_type()) {
      for (int v = 0; v < e->value_count(); ++v) {
        const google::protobuf::EnumValueDescriptor* value = e->value(v);
        const google::protobuf::EnumValueDescriptor* current =
            e->FindValueByNumber(value->number());
        if (current != nullptr && current != value) names[value->name()] = current->name();
      }
    }
    CollectDeprecatedNames(field->message_type(), seen, names);
  }
}

class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

}  // namespace

std::vector<std::string> DeprecatedNameWarnings(absl::string_view text, absl::string_view source,
                                                const google::protobuf::Descriptor* descriptor) {
  std::set<const google::protobuf::Descriptor*> seen;
  std::map<std::string, std::string> deprecated;
  CollectDeprecatedNames(descriptor, seen, deprecated);
  std::vector<std::string> out;
  if (deprecated.empty()) return out;
  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  SilentErrors errors;
  google::protobuf::io::Tokenizer tokenizer(&input, &errors);
  tokenizer.set_comment_style(google::protobuf::io::Tokenizer::SH_COMMENT_STYLE);
  tokenizer.set_allow_f_after_float(true);
  tokenizer.set_require_space_after_number(false);
  tokenizer.set_allow_multiline_strings(true);
  // The path of the field being read: the enclosing message fields, then the field.
  std::vector<std::string> enclosing;
  std::string field, previous_identifier;
  while (tokenizer.Next()) {
    const google::protobuf::io::Tokenizer::Token& token = tokenizer.current();
    if (token.type == google::protobuf::io::Tokenizer::TYPE_SYMBOL) {
      if ((token.text == ":" || token.text == "{" || token.text == "<") &&
          !previous_identifier.empty()) {
        field = previous_identifier;
      }
      if (token.text == "{" || token.text == "<") enclosing.push_back(field);
      if ((token.text == "}" || token.text == ">") && !enclosing.empty()) enclosing.pop_back();
      previous_identifier.clear();
      continue;
    }
    previous_identifier.clear();
    if (token.type != google::protobuf::io::Tokenizer::TYPE_IDENTIFIER) continue;
    previous_identifier = token.text;
    const auto it = deprecated.find(token.text);
    if (it == deprecated.end()) continue;
    std::vector<std::string> path = enclosing;
    path.push_back(field);
    out.push_back(absl::StrCat(source, ":", token.line + 1, ":", token.column + 1, ": ",
                               absl::StrJoin(path, "."), ": ", it->first, " is the old name of ",
                               it->second, " (same behaviour); write ", it->second));
  }
  return out;
}

void WarnAboutDeprecatedNames(absl::string_view text, absl::string_view source,
                              const google::protobuf::Descriptor* descriptor) {
  static std::mutex* mu = new std::mutex;
  static std::set<std::string>* printed = new std::set<std::string>;
  for (const std::string& warning : DeprecatedNameWarnings(text, source, descriptor)) {
    std::lock_guard<std::mutex> lock(*mu);
    if (printed->insert(warning).second) {
      std::cerr << "warning: " << warning << "\n" << std::flush;
    }
  }
}

}  // namespace lasnn
