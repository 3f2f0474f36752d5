// The experiment harness: one resolved ExperimentConfig (benchmarks/experiment/experiment_config.h)
// in, one RunRecord (benchmarks/experiment/run_record.proto) out, written atomically to
// <runs_dir>/<hash>.pb and .json (benchmarks/experiment/record_io.h).
//
//   teacher   trained from its config and cached under <cache_dir>/teacher_<key>/ (reused by every
//             experiment with the same teacher config and dataset), or loaded from a weights file
//             or a TorchScript file
//   method    trained SNN (LaSNN joint / curriculum / stage by stage, logit KD, feature KD, direct;
//             lasnn/training/trainer.h, resumable from <runs_dir>/work/<hash>/), or conversion
//             (MaxNorm, RobustNorm per layer / channel, Spike-Norm of the teacher; QCFS: a QCFS
//             ANN of the teacher's architecture is trained, cached like a teacher, then converted)
//             (conversion and the IF simulation run on the CPU whatever the device)
//   evaluate  accuracy for every t <= T_max on the test set (or its first eval.test_subset
//             images), the ANN on the same images, the first t within 1 point of the ANN,
//             per-layer firing rates, latency (batch 1) and throughput for each cost T, synaptic
//             operations and energy (benchmarks/harness/synaptic_ops.h), peak resident memory
//             (util/memory_probe.h)
// The pieces: provenance.h (git, host, versions), teacher.h and teacher_cache.h (the ANNs),
// evaluation.h and measure.h (what is measured), record_builder.h (what the record holds).
//
// A run that diverges or collapses gets a record with that status and no figures a report may
// tabulate; an error (unreadable data, bad teacher file) gets a FAILED record naming it, and a
// sweep runs it again next time. A sweep skips experiments whose OK / DIVERGED / COLLAPSED record
// exists, so an interrupted sweep resumes where it stopped.
#ifndef LASNN_BENCHMARKS_HARNESS_H_
#define LASNN_BENCHMARKS_HARNESS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "datasets/dataset.h"

namespace lasnn {

struct HarnessOptions {
  std::string runs_dir;   // records and work directories (created)
  std::string cache_dir;  // cached teachers; default <runs_dir>/cache
  std::string suite;      // recorded in each record
  std::string command;    // the command that reproduces the records (provenance)
  // Directory of the source tree for `git rev-parse` (default: $BUILD_WORKSPACE_DIRECTORY, else
  // the current directory).
  std::string source_dir;
  // Receives progress lines (default: standard error).
  std::function<void(absl::string_view)> progress;
};

struct SweepSummary {
  int total = 0, ran = 0, skipped = 0, failed = 0, not_ok = 0;
};

class Harness {
 public:
  explicit Harness(HarnessOptions options);
  ~Harness();

  // Runs one resolved experiment and writes its record (also on DIVERGED / COLLAPSED / FAILED).
  // Returns an error only when the record itself cannot be written.
  absl::StatusOr<RunRecord> Run(const ExperimentConfig& resolved);

  // Runs the experiments in order, skipping those with a finished record.
  absl::StatusOr<SweepSummary> Sweep(const std::vector<ExperimentConfig>& experiments);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether `runs_dir` holds a finished (OK, DIVERGED or COLLAPSED) record for this hash.
bool HasFinishedRecord(const std::string& runs_dir, const std::string& hash);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_H_
