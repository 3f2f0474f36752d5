#include "lasnn/training/checkpoint.h"

#include <c10/util/C++17.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <ATen/ops/scalar_tensor.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "util/status_macros.h"
#include "util/tensor_file.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

constexpr absl::string_view kCheckpointFormat = "lasnn-checkpoint-v2";
constexpr absl::string_view kWeightsFormat = "lasnn-weights-v2";
constexpr absl::string_view kSgdFields[] = {"momentum_buffer"};
constexpr absl::string_view kAdamFields[] = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

NamedTensors NamedState(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.key(), b.value());
  return out;
}

void AddModule(const torch::nn::Module& module, absl::string_view prefix, NamedTensors& out) {
  for (auto& [name, tensor] : NamedState(module)) {
    out.emplace_back(absl::StrCat(prefix, name), tensor.detach());
  }
}

std::string Shape(at::IntArrayRef sizes) { return absl::StrCat("[", absl::StrJoin(sizes, ", "), "]"); }

// The entry `name` of `file`, which must have the given shape and dtype.
absl::StatusOr<at::Tensor> ReadLike(const TensorFile& file, const std::string& name,
                                    const at::Tensor& like, absl::string_view what) {
  const TensorFileEntry* entry = file.Find(name);
  if (entry == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", file.path(), "' has no ", what, " tensor '", name,
        "': it was written for another architecture or optimiser"));
  }
  if (at::IntArrayRef(entry->shape) != like.sizes() || entry->dtype != like.scalar_type()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", file.path(), "': ", what, " tensor '", name, "' is ",
        TensorFileDtypeName(entry->dtype), " ", Shape(entry->shape), " but the model's is ",
        TensorFileDtypeName(like.scalar_type()), " ", Shape(like.sizes())));
  }
  return file.Read(*entry);
}

// Tensors of `file` whose names start with `prefix` and are not in `expected`.
absl::Status CheckNoOthers(const TensorFile& file, absl::string_view prefix,
                           const std::set<std::string>& expected, absl::string_view what) {
  for (const TensorFileEntry& e : file.header().entries) {
    if (absl::StartsWith(e.name, prefix) && expected.count(e.name) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "'", file.path(), "' holds ", what, " tensor '", absl::CHexEscape(e.name),
          "' that the model does not have: it was written for another architecture"));
    }
  }
  return absl::OkStatus();
}

// The tensors `prefix`<name> of `file` for every tensor of `state`, checked, not yet copied.
absl::StatusOr<std::vector<at::Tensor>> ReadModule(const TensorFile& file, const NamedTensors& state,
                                                   absl::string_view prefix,
                                                   absl::string_view what) {
  std::vector<at::Tensor> out;
  std::set<std::string> names;
  for (const auto& [name, tensor] : state) {
    const std::string key = absl::StrCat(prefix, name);
    names.insert(key);
    LASNN_ASSIGN_OR_RETURN(at::Tensor t, ReadLike(file, key, tensor, what));
    out.push_back(std::move(t));
  }
  LASNN_RETURN_IF_ERROR(CheckNoOthers(file, prefix, names, what));
  return out;
}

void CopyInto(const NamedTensors& state, const std::vector<at::Tensor>& loaded) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < state.size(); ++i) state[i].second.copy_(loaded[i]);
}

// The optimiser's parameters, in param-group order, named "model.<name>" or "auxiliary.<name>".
absl::StatusOr<NamedTensors> OptimizerParams(const torch::optim::Optimizer& optimizer,
                                             const torch::nn::Module& model,
                                             const torch::nn::Module* auxiliary,
                                             const std::string& path) {
  std::map<const void*, std::string> names;
  for (const auto& p : model.named_parameters()) {
    names[p.value().unsafeGetTensorImpl()] = absl::StrCat("model.", p.key());
  }
  if (auxiliary != nullptr) {
    for (const auto& p : auxiliary->named_parameters()) {
      names[p.value().unsafeGetTensorImpl()] = absl::StrCat("auxiliary.", p.key());
    }
  }
  NamedTensors out;
  for (const auto& group : optimizer.param_groups()) {
    for (const at::Tensor& p : group.params()) {
      const auto it = names.find(p.unsafeGetTensorImpl());
      if (it == names.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "checkpoint '", path, "': the optimiser has a parameter of shape ", Shape(p.sizes()),
            " that belongs to neither the model nor the auxiliary modules"));
      }
      out.emplace_back(it->second, p);
    }
  }
  return out;
}

std::string StateKey(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

// Adds the optimiser's state (see checkpoint.h) to `tensors` and `metadata`.
absl::Status AddOptimizer(const torch::optim::Optimizer& optimizer, const NamedTensors& params,
                          const std::string& path, NamedTensors& tensors,
                          TensorFileMetadata& metadata) {
  const bool sgd = dynamic_cast<const torch::optim::SGD*>(&optimizer) != nullptr;
  const bool adam = dynamic_cast<const torch::optim::Adam*>(&optimizer) != nullptr;
  if (!sgd && !adam) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint '", path, "': only SGD and Adam optimisers can be saved"));
  }
  metadata["optimizer"] = sgd ? "sgd" : "adam";
  std::vector<std::string> lrs;
  for (const auto& group : optimizer.param_groups()) {
    lrs.push_back(absl::StrFormat("%.17g", group.options().get_lr()));
  }
  metadata["optimizer_lr"] = absl::StrJoin(lrs, ",");
  for (const auto& [name, p] : params) {
    const auto it = optimizer.state().find(StateKey(p));
    if (it == optimizer.state().end()) continue;
    const std::string prefix = absl::StrCat("optimizer.", name, ".");
    auto add = [&](absl::string_view field, const at::Tensor& t) {
      if (t.defined()) tensors.emplace_back(absl::StrCat(prefix, field), t.detach());
    };
    if (sgd) {
      add("momentum_buffer", static_cast<const torch::optim::SGDParamState&>(*it->second)
                                 .momentum_buffer());
    } else {
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
      add("step", at::scalar_tensor(s.step(), at::kLong));
      add("exp_avg", s.exp_avg());
      add("exp_avg_sq", s.exp_avg_sq());
      add("max_exp_avg_sq", s.max_exp_avg_sq());
    }
  }
  return absl::OkStatus();
}

// The optimiser's state read from `file` and checked against `params`, ready to install.
struct OptimizerState {
  std::vector<std::unique_ptr<torch::optim::OptimizerParamState>> states;  // per param or null
  std::vector<double> lrs;                                                 // per param group
};

absl::StatusOr<OptimizerState> ReadOptimizer(const TensorFile& file,
                                             const torch::optim::Optimizer& optimizer,
                                             const NamedTensors& params) {
  const bool sgd = dynamic_cast<const torch::optim::SGD*>(&optimizer) != nullptr;
  const bool adam = dynamic_cast<const torch::optim::Adam*>(&optimizer) != nullptr;
  const std::string kind = sgd ? "sgd" : adam ? "adam" : "another optimiser";
  const auto saved_kind = file.metadata().find("optimizer");
  if (saved_kind == file.metadata().end() || saved_kind->second != kind) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", file.path(), "' holds the state of optimiser '",
        saved_kind == file.metadata().end() ? "" : absl::CHexEscape(saved_kind->second),
        "' but the run uses ", kind));
  }
  OptimizerState out;
  const auto lr_text = file.metadata().find("optimizer_lr");
  for (absl::string_view part : absl::StrSplit(
           lr_text == file.metadata().end() ? "" : lr_text->second, ',', absl::SkipEmpty())) {
    double lr = 0;
    if (!absl::SimpleAtod(part, &lr)) {
      return absl::DataLossError(absl::StrCat("'", file.path(), "' has a bad optimizer_lr"));
    }
    out.lrs.push_back(lr);
  }
  if (out.lrs.size() != optimizer.param_groups().size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", file.path(), "' holds learning rates for ", out.lrs.size(),
        " parameter groups; the optimiser has ", optimizer.param_groups().size()));
  }
  std::set<std::string> names;
  for (const auto& [name, p] : params) {
    const std::string prefix = absl::StrCat("optimizer.", name, ".");
    std::map<absl::string_view, at::Tensor> fields;
    for (absl::string_view field : sgd ? absl::MakeConstSpan(kSgdFields)
                                       : absl::MakeConstSpan(kAdamFields)) {
      const std::string key = absl::StrCat(prefix, field);
      if (file.Find(key) == nullptr) continue;
      names.insert(key);
      const at::Tensor like = field == "step" ? at::scalar_tensor(int64_t{0}, at::kLong) : p;
      LASNN_ASSIGN_OR_RETURN(at::Tensor t, ReadLike(file, key, like, "optimiser"));
      fields[field] = t.to(like.device());
    }
    if (fields.empty()) {
      out.states.emplace_back();
    } else if (sgd) {
      auto s = std::make_unique<torch::optim::SGDParamState>();
      s->momentum_buffer(fields["momentum_buffer"]);
      out.states.push_back(std::move(s));
    } else {
      if (!fields.count("step") || !fields.count("exp_avg") || !fields.count("exp_avg_sq")) {
        return absl::DataLossError(absl::StrCat("'", file.path(), "' holds an incomplete Adam ",
                                                "state for '", name, "'"));
      }
      auto s = std::make_unique<torch::optim::AdamParamState>();
      s->step(fields["step"].item<int64_t>());
      s->exp_avg(fields["exp_avg"]);
      s->exp_avg_sq(fields["exp_avg_sq"]);
      if (fields.count("max_exp_avg_sq")) s->max_exp_avg_sq(fields["max_exp_avg_sq"]);
      out.states.push_back(std::move(s));
    }
  }
  LASNN_RETURN_IF_ERROR(CheckNoOthers(file, "optimizer.", names, "optimiser"));
  return out;
}

void InstallOptimizer(OptimizerState state, torch::optim::Optimizer& optimizer,
                      const NamedTensors& params) {
  optimizer.state().clear();
  for (size_t i = 0; i < params.size(); ++i) {
    if (state.states[i] != nullptr) {
      optimizer.state()[StateKey(params[i].second)] = std::move(state.states[i]);
    }
  }
  for (size_t g = 0; g < state.lrs.size(); ++g) {
    optimizer.param_groups()[g].options().set_lr(state.lrs[g]);
  }
}

absl::StatusOr<std::unique_ptr<TensorFile>> OpenAs(const std::string& path,
                                                   absl::string_view format) {
  LASNN_ASSIGN_OR_RETURN(auto file, TensorFile::Open(path));
  const auto it = file->metadata().find("format");
  const std::string found = it == file->metadata().end() ? "" : absl::CHexEscape(it->second);
  if (found != format) {
    return absl::DataLossError(absl::StrCat("'", path, "' has format '", found,
                                            "', expected ", format));
  }
  return file;
}

absl::StatusOr<std::string> Metadata(const TensorFile& file, absl::string_view key) {
  const auto it = file.metadata().find(std::string(key));
  if (it == file.metadata().end()) {
    return absl::DataLossError(absl::StrCat("'", file.path(), "' is not a complete checkpoint: ",
                                            "its metadata lacks '", key, "'"));
  }
  return it->second;
}

template <typename T>
absl::Status ParseNumber(const TensorFile& file, absl::string_view key, T* out) {
  LASNN_ASSIGN_OR_RETURN(const std::string text, Metadata(file, key));
  bool ok;
  if constexpr (std::is_same_v<T, double>) {
    ok = absl::SimpleAtod(text, out);
  } else {
    ok = absl::SimpleAtoi(text, out);
  }
  if (!ok) {
    return absl::DataLossError(absl::StrCat("'", file.path(), "' has a bad '", key, "': '",
                                            absl::CHexEscape(text.substr(0, 40)), "'"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<at::Tensor> SnapshotState(const torch::nn::Module& module) {
  std::vector<at::Tensor> out;
  for (const auto& [name, tensor] : NamedState(module)) out.push_back(tensor.detach().clone());
  return out;
}

void RestoreState(torch::nn::Module& module, const std::vector<at::Tensor>& state) {
  auto named = NamedState(module);
  TORCH_CHECK(named.size() == state.size(), "RestoreState: ", state.size(),
              " tensors for a module with ", named.size());
  CopyInto(named, state);
}

absl::Status SaveCheckpoint(const std::string& path, const CheckpointState& state,
                            const torch::nn::Module& model, const torch::optim::Optimizer& optimizer,
                            const torch::nn::Module* auxiliary,
                            const std::vector<at::Tensor>& best_state) {
  return TorchCall(absl::StrCat("writing checkpoint '", path, "'"), [&]() -> absl::Status {
    TensorFileMetadata metadata;
    metadata["format"] = std::string(kCheckpointFormat);
    google::protobuf::TextFormat::PrintToString(state.config, &metadata["config"]);
    metadata["git_commit"] = state.git_commit;
    metadata["next_epoch"] = absl::StrCat(state.next_epoch);
    metadata["step"] = absl::StrCat(state.step);
    metadata["best_holdout_accuracy"] = absl::StrFormat("%.17g", state.best_holdout_accuracy);
    metadata["best_epoch"] = absl::StrCat(state.best_epoch);
    metadata["phase"] = absl::StrCat(state.phase);
    MetricsHistory history;
    for (const EpochMetrics& m : state.history) *history.add_epochs() = m;
    google::protobuf::TextFormat::PrintToString(history, &metadata["history"]);
    NamedTensors tensors;
    AddModule(model, "model.", tensors);
    if (auxiliary != nullptr) AddModule(*auxiliary, "auxiliary.", tensors);
    const NamedTensors model_state = NamedState(model);
    if (!best_state.empty()) {
      TORCH_CHECK(best_state.size() == model_state.size(), "best_state has ", best_state.size(),
                  " tensors for a model with ", model_state.size());
      for (size_t i = 0; i < best_state.size(); ++i) {
        tensors.emplace_back(absl::StrCat("best.", model_state[i].first), best_state[i]);
      }
    }
    LASNN_ASSIGN_OR_RETURN(const NamedTensors params,
                           OptimizerParams(optimizer, model, auxiliary, path));
    LASNN_RETURN_IF_ERROR(AddOptimizer(optimizer, params, path, tensors, metadata));
    tensors.emplace_back("rng_state", state.rng_state);
    return WriteTensorFile(path, tensors, metadata);
  });
}

absl::StatusOr<CheckpointState> ReadCheckpointState(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(auto file, OpenAs(path, kCheckpointFormat));
  CheckpointState state;
  LASNN_ASSIGN_OR_RETURN(const std::string config, Metadata(*file, "config"));
  if (!google::protobuf::TextFormat::ParseFromString(config, &state.config)) {
    return absl::DataLossError(absl::StrCat("'", path, "' holds an unreadable config"));
  }
  LASNN_ASSIGN_OR_RETURN(state.git_commit, Metadata(*file, "git_commit"));
  LASNN_RETURN_IF_ERROR(ParseNumber(*file, "next_epoch", &state.next_epoch));
  LASNN_RETURN_IF_ERROR(ParseNumber(*file, "step", &state.step));
  LASNN_RETURN_IF_ERROR(ParseNumber(*file, "best_holdout_accuracy", &state.best_holdout_accuracy));
  LASNN_RETURN_IF_ERROR(ParseNumber(*file, "best_epoch", &state.best_epoch));
  if (file->metadata().count("phase") != 0) {
    LASNN_RETURN_IF_ERROR(ParseNumber(*file, "phase", &state.phase));
  }
  LASNN_ASSIGN_OR_RETURN(const std::string history_text, Metadata(*file, "history"));
  MetricsHistory history;
  if (!google::protobuf::TextFormat::ParseFromString(history_text, &history)) {
    return absl::DataLossError(absl::StrCat("'", path, "' holds an unreadable metrics history"));
  }
  state.history.assign(history.epochs().begin(), history.epochs().end());
  const TensorFileEntry* rng = file->Find("rng_state");
  if (rng == nullptr || rng->dtype != at::kByte || rng->shape.size() != 1) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' is not a complete checkpoint: no U8 vector 'rng_state'"));
  }
  state.rng_state = file->Read(*rng);
  return state;
}

absl::Status LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer, torch::nn::Module* auxiliary,
                            std::vector<at::Tensor>& best_state) {
  LASNN_ASSIGN_OR_RETURN(auto file, OpenAs(path, kCheckpointFormat));
  return TorchCall(absl::StrCat("loading checkpoint '", path, "'"), [&]() -> absl::Status {
    const NamedTensors model_state = NamedState(model);
    LASNN_ASSIGN_OR_RETURN(auto model_tensors, ReadModule(*file, model_state, "model.", "model"));
    NamedTensors aux_state;
    if (auxiliary != nullptr) aux_state = NamedState(*auxiliary);
    LASNN_ASSIGN_OR_RETURN(auto aux_tensors,
                           ReadModule(*file, aux_state, "auxiliary.", "auxiliary"));
    std::vector<at::Tensor> best;
    const auto& entries = file->header().entries;
    if (std::any_of(entries.begin(), entries.end(), [](const TensorFileEntry& e) {
          return absl::StartsWith(e.name, "best.");
        })) {
      LASNN_ASSIGN_OR_RETURN(best, ReadModule(*file, model_state, "best.", "best-weight"));
      for (size_t i = 0; i < best.size(); ++i) best[i] = best[i].to(model_state[i].second.device());
    }
    LASNN_ASSIGN_OR_RETURN(const NamedTensors params,
                           OptimizerParams(optimizer, model, auxiliary, path));
    LASNN_ASSIGN_OR_RETURN(OptimizerState optimizer_state,
                           ReadOptimizer(*file, optimizer, params));
    CopyInto(model_state, model_tensors);
    CopyInto(aux_state, aux_tensors);
    InstallOptimizer(std::move(optimizer_state), optimizer, params);
    best_state = std::move(best);
    return absl::OkStatus();
  });
}

absl::Status SaveWeights(const std::string& path, const torch::nn::Module& module) {
  return TorchCall(absl::StrCat("writing weights '", path, "'"), [&]() -> absl::Status {
    NamedTensors tensors;
    AddModule(module, "", tensors);
    return WriteTensorFile(path, tensors, {{"format", std::string(kWeightsFormat)}});
  });
}

absl::Status LoadWeights(const std::string& path, torch::nn::Module& module) {
  LASNN_ASSIGN_OR_RETURN(auto file, OpenAs(path, kWeightsFormat));
  return TorchCall(absl::StrCat("loading weights '", path, "'"), [&]() -> absl::Status {
    const NamedTensors state = NamedState(module);
    LASNN_ASSIGN_OR_RETURN(auto loaded, ReadModule(*file, state, "", "weight"));
    CopyInto(state, loaded);
    return absl::OkStatus();
  });
}

std::string DescribeConfigDifference(const TrainRunConfig& from, const TrainRunConfig& to) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  differencer.Compare(from, to);
  return report;
}

}  // namespace lasnn
