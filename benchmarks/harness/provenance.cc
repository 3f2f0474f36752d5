#include "benchmarks/harness/provenance.h"

#include <ATen/Context.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lasnn/core/device.h"
#include "util/build_info.h"
#include "util/subprocess.h"

namespace lasnn {
namespace {

// Standard output of `git -C dir <args...>` without its trailing whitespace; nullopt when git
// cannot run or fails.
std::optional<std::string> Git(const std::string& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.discard_stderr = true;
  absl::StatusOr<ProcessResult> r = RunProcess(argv, options);
  if (!r.ok() || !r->succeeded()) return std::nullopt;
  return std::string(absl::StripTrailingAsciiWhitespace(r->output));
}

}  // namespace

std::string SourceDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return workspace != nullptr ? workspace : ".";
}

void ApplyDeterminismSettings(const std::string& device) {
  at::globalContext().setDeterministicCuDNN(true);
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicAlgorithms(device != "cpu", /*warn_only=*/true);
}

std::string GitCommit(const std::string& dir) {
  const std::optional<std::string> head = Git(dir, {"rev-parse", "--verify", "-q", "HEAD"});
  if (!head || head->empty()) return "unknown";
  const std::optional<std::string> changes =
      Git(dir, {"status", "--porcelain", "--untracked-files=no"});
  return changes && !changes->empty() ? absl::StrCat(*head, "-dirty") : *head;
}

std::string CpuModel(const std::string& cpuinfo_path) {
  std::ifstream in(cpuinfo_path);
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, "model name")) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "unknown";
}

Provenance MakeProvenance(const ProvenanceOptions& options) {
  Provenance p;
  p.set_git_commit(GitCommit(SourceDir(options.source_dir)));
  const BuildInfo& b = GetBuildInfo();
  p.set_libtorch_version(absl::StrCat(b.libtorch, b.libtorch_cuda ? " (CUDA)" : " (CPU)"));
  p.set_abseil_version(b.abseil);
  p.set_protobuf_version(b.protobuf);
  p.set_opencv_version(b.opencv);
  p.set_compiler(b.compiler);
  for (const PackageVersion& package : b.packages) {
    InstalledPackage* out = p.add_installed_packages();
    out->set_name(package.name);
    out->set_kind(package.kind);
    out->set_pinned(package.pinned);
    out->set_installed(package.installed);
  }
  p.set_build_inputs_sha256(b.inputs_sha256);
  p.set_unpinned_override(b.unpinned_override);
  p.set_cpu_model(CpuModel());
  if (options.device != "cpu") {
    absl::StatusOr<c10::Device> device = ResolveDevice(options.device);
    p.set_gpu_model(device.ok() ? DeviceHardwareName(*device) : options.device);
  }
  p.set_threads(options.threads);
  p.set_date_utc(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0) p.set_hostname(host);
  p.set_command(options.command);
  const at::Context& context = at::globalContext();
  p.set_cudnn_deterministic(context.deterministicCuDNN());
  p.set_cudnn_benchmark(context.benchmarkCuDNN());
  p.set_deterministic_algorithms(context.deterministicAlgorithms());
  p.set_deterministic_algorithms_warn_only(context.deterministicAlgorithmsWarnOnly());
  return p;
}

}  // namespace lasnn
