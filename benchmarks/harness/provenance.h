// Provenance of a run record (Provenance in benchmarks/experiment/run_record.proto): what built
// and ran it. The git commit of the source tree, "-dirty" appended when tracked files differ from
// it (git is spawned directly, util/subprocess.h, never through a shell); the library versions and
// compiler of this binary, the installed Debian packages its build checked, their hash and the
// LASNN_UNPINNED override (util/build_info.h); the CPU model (/proc/cpuinfo), the GPU (the device
// string, on a GPU only), threads, the UTC date (ISO 8601), the host name, the reproducing command;
// and LibTorch's determinism settings as its global context holds them when called.
#ifndef LASNN_BENCHMARKS_HARNESS_PROVENANCE_H_
#define LASNN_BENCHMARKS_HARNESS_PROVENANCE_H_

#include <string>

#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {

struct ProvenanceOptions {
  // Directory inside the source tree; empty: $BUILD_WORKSPACE_DIRECTORY (set by `bazel run`),
  // else the current directory.
  std::string source_dir;
  std::string command;  // the command that reproduces the record
  int threads = 1;
  std::string device = "cpu";  // "cpu", or the CUDA device recorded as gpu_model
};

// The source tree: `configured`, else $BUILD_WORKSPACE_DIRECTORY (set by `bazel run`), else ".".
// Workspace-relative files of a config (reference weights) are relative to it.
std::string SourceDir(const std::string& configured);

// Reproducible GPU runs: deterministic cuDNN kernels, no cuDNN autotuning (which picks kernels by
// timing), and LibTorch's deterministic algorithms (warn-only) on any device but "cpu", where they
// stay off so that CPU results keep their kernels. Process-wide.
void ApplyDeterminismSettings(const std::string& device);

Provenance MakeProvenance(const ProvenanceOptions& options);

// HEAD's commit id (40 hex digits) of the git work tree containing `dir`, with "-dirty" when
// `git status --porcelain --untracked-files=no` lists changes; "unknown" when git is missing,
// `dir` is in no work tree, or HEAD has no commit.
std::string GitCommit(const std::string& dir);

// The "model name" of the first processor in `cpuinfo_path`; "unknown" if there is none.
std::string CpuModel(const std::string& cpuinfo_path = "/proc/cpuinfo");

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_PROVENANCE_H_
