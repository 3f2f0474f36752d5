#include "lasnn/interop/torchscript_import.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lasnn/interop/torchscript_mapping.h"
#include "util/file_util.h"
#include "util/memory_limit.h"
#include "util/status_macros.h"
#include "util/tensor_file.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

using torch::jit::Module;

std::string ShapeText(at::IntArrayRef shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Replaces "layers[N]" in a PlanModel message by adding the module it came from.
std::string ExplainPlanError(const std::string& message, const std::vector<std::string>& sources) {
  const size_t at = message.find("layers[");
  if (at == std::string::npos) return message;
  const size_t end = message.find(']', at);
  int index = -1;
  if (end == std::string::npos || !absl::SimpleAtoi(message.substr(at + 7, end - at - 7), &index) ||
      index < 0 || index >= static_cast<int>(sources.size())) {
    return message;
  }
  return absl::StrCat(message, " (layers[", index, "] comes from ", sources[index], ")");
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

absl::Status ValidateOptions(const ImportOptions& o) {
  if (o.input_shape.size() != 3 ||
      std::any_of(o.input_shape.begin(), o.input_shape.end(), [](int64_t v) { return v <= 0; })) {
    return absl::InvalidArgumentError(
        absl::StrCat("import input_shape must be {C, H, W} with positive sizes, got [",
                     absl::StrJoin(o.input_shape, ", "), "]"));
  }
  if (!(o.tolerance > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("import tolerance must be > 0, got ", o.tolerance));
  }
  if (o.check_batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("import check_batch must be >= 1, got ", o.check_batch));
  }
  return absl::OkStatus();
}

std::string DefaultName(const std::string& path) {
  std::string base =
      path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  const size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base.empty() ? std::string("imported") : base;
}

// Copies the mapped tensors into `model`; every parameter and buffer of ours must receive one.
absl::Status CopyWeights(const std::string& path, const std::vector<MappedTensor>& tensors,
                         const FeatureShape& input, Model& model, std::vector<std::string>& notes) {
  std::map<std::string, at::Tensor> ours;
  for (const auto& p : model->named_parameters(/*recurse=*/true)) ours[p.key()] = p.value();
  for (const auto& b : model->named_buffers(/*recurse=*/true)) ours[b.key()] = b.value();
  std::vector<std::string> mismatches;
  std::map<std::string, bool> filled;
  torch::NoGradGuard no_grad;
  bool converted = false;
  for (const MappedTensor& c : tensors) {
    auto it = ours.find(c.ours);
    if (it == ours.end()) {
      return absl::InternalError(absl::StrCat("importing '", path, "': the model has no tensor '",
                                              c.ours, "' for ", c.theirs));
    }
    if (!c.tensor.sizes().equals(it->second.sizes())) {
      mismatches.push_back(absl::StrCat(c.theirs, " has shape ", ShapeText(c.tensor.sizes()),
                                        " but ", c.ours, " needs ", ShapeText(it->second.sizes())));
      continue;
    }
    if (c.tensor.scalar_type() != it->second.scalar_type()) converted = true;
    it->second.copy_(c.tensor.detach().to(at::kCPU));
    filled[c.ours] = true;
  }
  if (!mismatches.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TorchScript '", path, "': weights do not fit a model for input ",
                     absl::StrJoin(input, "x"), " (is the input shape right?):\n  ",
                     absl::StrJoin(mismatches, "\n  ")));
  }
  for (const auto& [name, tensor] : ours) {
    if (!filled.count(name)) {
      return absl::InternalError(
          absl::StrCat("importing '", path, "': nothing was copied into '", name, "'"));
    }
  }
  if (converted) {
    notes.push_back(
        "some TorchScript tensors had another dtype and were converted to ours (float32)");
  }
  return absl::OkStatus();
}

// Runs both models in eval mode on the same random input and compares the logits.
absl::Status CheckLogits(const std::string& path, Module& script, Model& model,
                         const ImportOptions& options, std::vector<std::string>& notes) {
  torch::NoGradGuard no_grad;
  script.eval();
  model->eval();
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(options.check_seed);
  const FeatureShape& s = options.input_shape;
  const at::Tensor x = at::randn({options.check_batch, s[0], s[1], s[2]}, gen,
                                 at::TensorOptions().dtype(at::kFloat));
  at::ScalarType dtype = at::kFloat;
  for (const at::Tensor& p : script.parameters()) {
    if (at::isFloatingType(p.scalar_type())) {
      dtype = p.scalar_type();
      break;
    }
  }
  c10::IValue out;
  try {
    out = script.forward({x.to(dtype)});
  } catch (const c10::Error& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("TorchScript '", path, "': its forward failed on a ", ShapeText(x.sizes()),
                     " input: ", FirstLine(TorchErrorMessage(e))));
  }
  if (!out.isTensor()) {
    return absl::FailedPreconditionError(absl::StrCat("TorchScript '", path, "': forward returns ",
                                                      out.tagKind(), ", not a logits tensor"));
  }
  const at::Tensor want = out.toTensor().to(at::kFloat);
  ForwardOptions fo;
  fo.taps = false;
  const at::Tensor got = model->forward(x, fo).logits;
  if (!want.sizes().equals(got.sizes())) {
    return absl::FailedPreconditionError(
        absl::StrCat("TorchScript '", path, "': forward returns shape ", ShapeText(want.sizes()),
                     " but the imported model's logits are ", ShapeText(got.sizes()),
                     " (its forward is not a plain sequential pass over its modules)"));
  }
  const double diff = (want - got).abs().max().item<double>();
  const double scale = std::max(1.0, want.abs().max().item<double>());
  const std::string summary = absl::StrCat(
      "max |TorchScript - imported ANN| logits difference ", diff, " on a ", ShapeText(x.sizes()),
      " N(0,1) input (tolerance ", options.tolerance, " x ", scale, ")");
  if (!(diff <= options.tolerance * scale)) {
    return absl::FailedPreconditionError(
        absl::StrCat("TorchScript '", path, "': ", summary,
                     ": its forward is not a plain sequential pass over "
                     "the mapped modules (the importer does not analyse forward code)"));
  }
  notes.push_back(absl::StrCat("logits check passed: ", summary));
  return absl::OkStatus();
}

// ImportTorchScript after loading: maps, builds, copies and checks.
absl::StatusOr<ImportedModel> ImportModule(const std::string& path, Module& script,
                                           const ImportOptions& options) {
  TorchScriptMapping mapping = MapTorchScriptModule(script);
  const std::vector<std::string>& problems = mapping.problems;
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("TorchScript '", path, "': ", problems.size(),
                                                   problems.size() == 1 ? " problem" : " problems",
                                                   " mapping it to a ModelSpec layer list:\n  ",
                                                   absl::StrJoin(problems, "\n  ")));
  }

  ImportedModel result;
  result.spec = std::move(mapping.spec);
  result.spec.set_name(options.name.empty() ? DefaultName(path) : options.name);
  InputShape* input = result.spec.mutable_input();
  input->set_channels(static_cast<int32_t>(options.input_shape[0]));
  input->set_height(static_cast<int32_t>(options.input_shape[1]));
  input->set_width(static_cast<int32_t>(options.input_shape[2]));
  result.spec.set_num_classes(static_cast<int32_t>(mapping.num_classes));
  const absl::Status planned = PlanModel(result.spec).status();
  if (!planned.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TorchScript '", path, "': the mapped layers do not form a valid model for input ",
        absl::StrJoin(options.input_shape, "x"), ": ",
        ExplainPlanError(std::string(planned.message()), mapping.sources),
        " (is the input shape right?)"));
  }
  // BuildModel's initial weights are overwritten; keep the caller's random stream as it was.
  at::Generator global = at::detail::getDefaultCPUGenerator();
  const at::Tensor rng_state = global.get_state();
  absl::StatusOr<Model> built = BuildModel(result.spec, Mode::kAnn);
  global.set_state(rng_state);
  LASNN_ASSIGN_OR_RETURN(result.model, std::move(built));
  result.notes = std::move(mapping.notes);
  LASNN_RETURN_IF_ERROR(
      CopyWeights(path, mapping.tensors, options.input_shape, result.model, result.notes));
  LASNN_RETURN_IF_ERROR(CheckLogits(path, script, result.model, options, result.notes));
  return result;
}

}  // namespace

absl::StatusOr<FeatureShape> ParseInputShape(absl::string_view text) {
  FeatureShape shape;
  for (absl::string_view part : absl::StrSplit(text, 'x')) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(part, &v) || v <= 0) {
      shape.clear();
      break;
    }
    shape.push_back(v);
  }
  if (shape.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("input shape '", text, "' must be CxHxW with positive sizes, e.g. 1x28x28"));
  }
  return shape;
}

namespace {

// LibTorch's TorchScript reader is not hardened against corrupt or crafted files: its unpickler
// dereferences bad pointers on some (found by fuzzing LibTorch archives, see
// fuzz/regressions/checkpoint_fuzzer/), and one hostile length makes it allocate gigabytes (see
// fuzz/regressions/torchscript_fuzzer/). So the file is first loaded in a forked child process
// whose address space may grow by at most `memory_limit_mb`; if the child dies, hangs or runs out
// of memory, that is reported here instead of taking this process (or the machine) down. A load
// that fails in the child is reported with the child's message: this process loads only files
// that the child loaded within the limit.
absl::Status ProbeLoadInChild(const std::string& bytes, const std::string& path,
                              int64_t memory_limit_mb) {
  enum ProbeExit { kLoaded = 0, kFailed = 10, kOutOfMemory = 11, kNoLimit = 12 };
  if (memory_limit_mb <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ImportOptions.probe_memory_limit_mb must be > 0, got ", memory_limit_mb));
  }
  int message_pipe[2];
  if (::pipe2(message_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("cannot create a pipe to check '", path, "': ",
                                            std::strerror(errno)));
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(message_pipe[0]);
    ::close(message_pipe[1]);
    return absl::InternalError(absl::StrCat("cannot fork to check '", path, "': ",
                                            std::strerror(errno)));
  }
  if (pid == 0) {
    ::close(message_pipe[0]);
    int code = kLoaded;
    std::string message;
    if (!LimitAddressSpaceGrowth(memory_limit_mb << 20).ok()) {
      code = kNoLimit;
    } else {
      try {
        std::istringstream in(bytes);
        torch::jit::load(in, c10::Device(c10::kCPU));
      } catch (const std::bad_alloc&) {
        code = kOutOfMemory;
      } catch (const c10::Error& e) {
        // LibTorch's CPU allocator reports a failed allocation as an error of its own.
        message = FirstLine(TorchErrorMessage(e));
        code = absl::StrContains(message, "can't allocate memory") ? kOutOfMemory : kFailed;
      } catch (const std::exception& e) {
        message = FirstLine(e.what());
        code = kFailed;
      } catch (...) {
        message = "unknown exception";
        code = kFailed;
      }
    }
    message.resize(std::min<size_t>(message.size(), 1024));  // fits the pipe's buffer
    if (!message.empty() && ::write(message_pipe[1], message.data(), message.size()) < 0) {
      code = kFailed;
    }
    ::_exit(code);
  }
  ::close(message_pipe[1]);
  constexpr int kTimeoutMs = 120000;
  int status = 0;
  for (int waited_ms = 0;; waited_ms += 5) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      ::close(message_pipe[0]);
      return absl::InternalError(absl::StrCat("waiting for the check of '", path, "': ",
                                              std::strerror(errno)));
    }
    if (waited_ms >= kTimeoutMs) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(message_pipe[0]);
      return absl::DataLossError(absl::StrCat(
          "'", path, "': LibTorch's TorchScript reader did not finish within ",
          kTimeoutMs / 1000, " s; the file is corrupt or crafted (model files should come from "
          "trusted sources)"));
    }
    ::usleep(5000);
  }
  char buffer[1024];
  const ssize_t n = ::read(message_pipe[0], buffer, sizeof(buffer));
  ::close(message_pipe[0]);
  const std::string message(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == kLoaded) return absl::OkStatus();
  if (code == kFailed) {
    return absl::DataLossError(absl::StrCat(
        "'", path, "' is not a TorchScript archive (save the model with ",
        "torch.jit.save(torch.jit.script(model), path)): ", message));
  }
  if (code == kOutOfMemory) {
    return absl::DataLossError(absl::StrCat(
        "'", path, "': LibTorch's TorchScript reader needed more than ", memory_limit_mb,
        " MiB to load it (ImportOptions.probe_memory_limit_mb); the file is corrupt or crafted, "
        "or the model is larger than that limit allows"));
  }
  if (code == kNoLimit) {
    return absl::InternalError(
        absl::StrCat("cannot limit the memory of the process that checks '", path, "'"));
  }
  const std::string how = WIFSIGNALED(status)
                              ? absl::StrCat("signal ", WTERMSIG(status), " (",
                                             strsignal(WTERMSIG(status)), ")")
                              : absl::StrCat("exit status ", WEXITSTATUS(status));
  return absl::DataLossError(absl::StrCat(
      "'", path, "': LibTorch's TorchScript reader crashed on it (", how,
      " in a checking subprocess limited to ", memory_limit_mb,
      " MiB more memory); the file is corrupt or crafted (model files should come from "
      "trusted sources)"));
}

}  // namespace

absl::StatusOr<ImportedModel> ImportTorchScript(const std::string& path,
                                                const ImportOptions& options) {
  LASNN_RETURN_IF_ERROR(ValidateOptions(options));
  LASNN_ASSIGN_OR_RETURN(const std::string bytes, ReadFileToString(path));
  if (LooksLikeLasnnTensorFile(bytes)) {
    return absl::DataLossError(absl::StrCat(
        "'", path, "' is a LaSNN-Bench weights or checkpoint file, not a TorchScript model: load "
        "it as weights (teacher.weights_file, --teacher_weights)"));
  }
  LASNN_RETURN_IF_ERROR(ProbeLoadInChild(bytes, path, options.probe_memory_limit_mb));
  Module script;
  try {
    std::istringstream in(bytes);
    script = torch::jit::load(in, c10::Device(c10::kCPU));
  } catch (const std::exception& e) {
    const c10::Error* error = dynamic_cast<const c10::Error*>(&e);
    return absl::DataLossError(absl::StrCat(
        "'", path, "' is not a TorchScript archive (save the model with ",
        "torch.jit.save(torch.jit.script(model), path)): ",
        FirstLine(error != nullptr ? TorchErrorMessage(*error) : std::string(e.what()))));
  }
  return TorchCall(absl::StrCat("importing TorchScript '", path, "'"),
                   [&] { return ImportModule(path, script, options); });
}

}  // namespace lasnn
