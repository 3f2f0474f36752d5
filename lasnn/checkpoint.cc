#include "lasnn/checkpoint.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstdint>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

std::vector<std::pair<std::string, at::Tensor>> NamedState(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.key(), b.value());
  return out;
}

// Writes module tensors under keys "t0", "t1", ... with their names in "names".
void WriteModule(torch::serialize::OutputArchive& archive, const torch::nn::Module& module) {
  std::vector<std::string> names;
  int64_t i = 0;
  for (const auto& [name, tensor] : NamedState(module)) {
    archive.write(absl::StrCat("t", i++), tensor.detach());
    names.push_back(name);
  }
  archive.write("names", c10::IValue(absl::StrJoin(names, "\n")));
}

// Reads tensors written by WriteModule into `module`, checking names and shapes first.
absl::Status ReadModule(torch::serialize::InputArchive& archive, torch::nn::Module& module,
                        const std::string& path, const std::string& what) {
  c10::IValue names_value;
  archive.read("names", names_value);
  std::vector<std::string> names = absl::StrSplit(names_value.toStringRef(), '\n',
                                                  absl::SkipEmpty());
  auto state = NamedState(module);
  if (names.size() != state.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint '", path, "' holds ", names.size(), " ", what, " tensors but the model has ",
        state.size(), ": it was written for another architecture"));
  }
  std::vector<at::Tensor> loaded(state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    if (names[i] != state[i].first) {
      return absl::FailedPreconditionError(absl::StrCat(
          "checkpoint '", path, "': ", what, " tensor ", i, " is '", names[i],
          "' but the model's is '", state[i].first, "': another architecture"));
    }
    archive.read(absl::StrCat("t", i), loaded[i]);
    if (loaded[i].sizes() != state[i].second.sizes()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "checkpoint '", path, "': ", what, " tensor '", names[i], "' has shape [",
          absl::StrJoin(loaded[i].sizes(), ", "), "] but the model's is [",
          absl::StrJoin(state[i].second.sizes(), ", "), "]"));
    }
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < state.size(); ++i) state[i].second.copy_(loaded[i]);
  return absl::OkStatus();
}

// Our files wrap LibTorch's archive (a zip of pickles) in a header with its SHA-256:
//   "LASNN-ARCHIVE-1\n" (16 bytes) | payload size (8 bytes, little-endian) | SHA-256 (32) | payload
// LibTorch's unpickler is not hardened against corrupt input (fuzzing found a flipped byte that
// makes it dereference a bad pointer), so a file is checked whole before LibTorch sees a byte.
constexpr absl::string_view kArchiveMagic = "LASNN-ARCHIVE-1\n";
constexpr size_t kArchiveHeader = 16 + 8 + 32;

std::string Sha256Raw(absl::string_view data) {
  return absl::HexStringToBytes(Sha256Hex(data));
}

// The payload of `bytes` (read from `path`) if its header and checksum are right.
absl::StatusOr<absl::string_view> ArchivePayload(absl::string_view bytes, const std::string& path) {
  if (!absl::StartsWith(bytes, kArchiveMagic)) {
    if (absl::StartsWith(bytes, "PK")) {
      return absl::DataLossError(absl::StrCat(
          "'", path, "' is a bare LibTorch archive without LaSNN-Bench's checksummed header "
          "(written by an older version, or not by LaSNN-Bench): delete it and train again"));
    }
    return absl::DataLossError(
        absl::StrCat("'", path, "' is not a LaSNN-Bench checkpoint or weights file"));
  }
  if (bytes.size() < kArchiveHeader) {
    return absl::DataLossError(absl::StrCat("'", path, "' is truncated: ", bytes.size(),
                                            " bytes, shorter than its header"));
  }
  uint64_t size = 0;
  for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<uint8_t>(bytes[16 + i]);
  const absl::string_view payload = bytes.substr(kArchiveHeader);
  if (payload.size() != size) {
    return absl::DataLossError(absl::StrCat("'", path, "' is truncated or padded: ",
                                            payload.size(), " payload bytes, header says ",
                                            size));
  }
  if (Sha256Raw(payload) != bytes.substr(24, 32)) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' is corrupt: its contents do not match their SHA-256"));
  }
  return payload;
}

absl::StatusOr<torch::serialize::InputArchive> OpenArchive(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(const std::string bytes, ReadFileToString(path));
  LASNN_ASSIGN_OR_RETURN(const absl::string_view payload, ArchivePayload(bytes, path));
  torch::serialize::InputArchive archive;
  absl::Status s = TorchCall("load", [&] {
    std::istringstream in{std::string(payload)};
    archive.load_from(in);
  });
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("'", path,
                                            "' is truncated or not a LaSNN-Bench archive: ",
                                            s.message().substr(0, 200)));
  }
  return archive;
}

}  // namespace

absl::Status SaveArchive(const std::string& path, torch::serialize::OutputArchive& archive) {
  std::ostringstream out;
  LASNN_RETURN_IF_ERROR(TorchCall(absl::StrCat("serialising '", path, "'"),
                                  [&] { archive.save_to(out); }));
  const std::string payload = out.str();
  std::string file(kArchiveMagic);
  uint64_t size = payload.size();
  for (int i = 0; i < 8; ++i, size >>= 8) file.push_back(static_cast<char>(size & 0xff));
  file += Sha256Raw(payload);
  file += payload;
  return WriteFileAtomically(path, file);
}

std::vector<at::Tensor> SnapshotState(const torch::nn::Module& module) {
  std::vector<at::Tensor> out;
  for (const auto& [name, tensor] : NamedState(module)) out.push_back(tensor.detach().clone());
  return out;
}

void RestoreState(torch::nn::Module& module, const std::vector<at::Tensor>& state) {
  auto named = NamedState(module);
  TORCH_CHECK(named.size() == state.size(), "RestoreState: ", state.size(),
              " tensors for a module with ", named.size());
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < named.size(); ++i) named[i].second.copy_(state[i]);
}

absl::Status SaveCheckpoint(const std::string& path, const CheckpointState& state,
                            const torch::nn::Module& model, const torch::optim::Optimizer& optimizer,
                            const torch::nn::Module* auxiliary,
                            const std::vector<at::Tensor>& best_state) {
  return TorchCall(absl::StrCat("writing checkpoint '", path, "'"), [&]() -> absl::Status {
    torch::serialize::OutputArchive archive;
    std::string config_text;
    google::protobuf::TextFormat::PrintToString(state.config, &config_text);
    archive.write("format", c10::IValue(std::string("lasnn-checkpoint-v1")));
    archive.write("config", c10::IValue(config_text));
    archive.write("git_commit", c10::IValue(state.git_commit));
    archive.write("next_epoch", c10::IValue(state.next_epoch));
    archive.write("step", c10::IValue(state.step));
    archive.write("best_holdout_accuracy", c10::IValue(state.best_holdout_accuracy));
    archive.write("best_epoch", c10::IValue(state.best_epoch));
    archive.write("history", c10::IValue(absl::StrJoin(state.history, "\n")));
    archive.write("rng_state", state.rng_state);
    torch::serialize::OutputArchive model_archive;
    WriteModule(model_archive, model);
    archive.write("model", model_archive);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    if (auxiliary != nullptr) {
      torch::serialize::OutputArchive aux_archive;
      WriteModule(aux_archive, *auxiliary);
      archive.write("auxiliary", aux_archive);
    }
    archive.write("num_best", c10::IValue(static_cast<int64_t>(best_state.size())));
    for (size_t i = 0; i < best_state.size(); ++i) {
      archive.write(absl::StrCat("best", i), best_state[i]);
    }
    return SaveArchive(path, archive);
  });
}

absl::StatusOr<CheckpointState> ReadCheckpointState(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(auto archive, OpenArchive(path));
  CheckpointState state;
  absl::Status s = TorchCall("read", [&]() -> absl::Status {
    c10::IValue v;
    archive.read("format", v);
    if (v.toStringRef() != "lasnn-checkpoint-v1") {
      return absl::DataLossError(absl::StrCat("'", path, "' has format '", v.toStringRef(),
                                              "', expected lasnn-checkpoint-v1"));
    }
    archive.read("config", v);
    if (!google::protobuf::TextFormat::ParseFromString(v.toStringRef(), &state.config)) {
      return absl::DataLossError(absl::StrCat("'", path, "' holds an unreadable config"));
    }
    archive.read("git_commit", v);
    state.git_commit = v.toStringRef();
    archive.read("next_epoch", v);
    state.next_epoch = v.toInt();
    archive.read("step", v);
    state.step = v.toInt();
    archive.read("best_holdout_accuracy", v);
    state.best_holdout_accuracy = v.toDouble();
    archive.read("best_epoch", v);
    state.best_epoch = v.toInt();
    archive.read("history", v);
    state.history = absl::StrSplit(v.toStringRef(), '\n', absl::SkipEmpty());
    archive.read("rng_state", state.rng_state);
    return absl::OkStatus();
  });
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kDataLoss) return s;
    return absl::DataLossError(
        absl::StrCat("'", path, "' is not a complete checkpoint: ", s.message().substr(0, 200)));
  }
  return state;
}

absl::Status LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer, torch::nn::Module* auxiliary,
                            std::vector<at::Tensor>& best_state) {
  LASNN_ASSIGN_OR_RETURN(auto archive, OpenArchive(path));
  absl::Status s = TorchCall("read", [&]() -> absl::Status {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    LASNN_RETURN_IF_ERROR(ReadModule(model_archive, model, path, "model"));
    if (auxiliary != nullptr) {
      torch::serialize::InputArchive aux_archive;
      archive.read("auxiliary", aux_archive);
      LASNN_RETURN_IF_ERROR(ReadModule(aux_archive, *auxiliary, path, "auxiliary"));
    }
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    c10::IValue v;
    archive.read("num_best", v);
    // Either no best weights yet, or one tensor per parameter and buffer of the model.
    const int64_t num_best = v.toInt();
    const int64_t model_tensors = static_cast<int64_t>(NamedState(model).size());
    if (num_best != 0 && num_best != model_tensors) {
      return absl::DataLossError(absl::StrCat("'", path, "' lists ", num_best,
                                              " best-weight tensors; the model has ",
                                              model_tensors));
    }
    const auto model_state = NamedState(model);
    best_state.assign(num_best, at::Tensor());
    for (size_t i = 0; i < best_state.size(); ++i) {
      archive.read(absl::StrCat("best", i), best_state[i]);
      if (best_state[i].sizes() != model_state[i].second.sizes()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "checkpoint '", path, "': best-weight tensor '", model_state[i].first,
            "' has shape [", absl::StrJoin(best_state[i].sizes(), ", "), "] but the model's is [",
            absl::StrJoin(model_state[i].second.sizes(), ", "), "]"));
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok() && s.code() != absl::StatusCode::kFailedPrecondition &&
      s.code() != absl::StatusCode::kDataLoss) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' is not a complete checkpoint: ", s.message().substr(0, 200)));
  }
  return s;
}

absl::Status SaveWeights(const std::string& path, const torch::nn::Module& module) {
  return TorchCall(absl::StrCat("writing weights '", path, "'"), [&]() -> absl::Status {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(std::string("lasnn-weights-v1")));
    WriteModule(archive, module);
    return SaveArchive(path, archive);
  });
}

absl::Status LoadWeights(const std::string& path, torch::nn::Module& module) {
  LASNN_ASSIGN_OR_RETURN(auto archive, OpenArchive(path));
  absl::Status s = TorchCall("read", [&]() -> absl::Status {
    c10::IValue v;
    archive.read("format", v);
    if (v.toStringRef() != "lasnn-weights-v1") {
      return absl::DataLossError(absl::StrCat("'", path, "' is not a weights file (format '",
                                              v.toStringRef(), "')"));
    }
    return ReadModule(archive, module, path, "weight");
  });
  if (!s.ok() && s.code() != absl::StatusCode::kFailedPrecondition &&
      s.code() != absl::StatusCode::kDataLoss) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' is not a complete weights file: ", s.message().substr(0, 200)));
  }
  return s;
}

std::string DescribeConfigDifference(const TrainRunConfig& from, const TrainRunConfig& to) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  differencer.Compare(from, to);
  return report;
}

}  // namespace lasnn
