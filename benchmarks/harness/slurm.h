// Scale-out onto Slurm: a job-array script with one array task per shard of a suite, each running
// `lasnn sweep --suite=... --shard=$SLURM_ARRAY_TASK_ID/N`, and the merge check that every
// expected record of the suite is present (and which are missing or not OK).
#ifndef LASNN_BENCHMARKS_SLURM_H_
#define LASNN_BENCHMARKS_SLURM_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/experiment/experiment.pb.h"

namespace lasnn {

struct SlurmOptions {
  std::string lasnn_binary;  // absolute path of the `lasnn` CLI on the cluster's shared disk
  std::string suite_file;    // absolute path
  std::string runs_dir;      // absolute path, shared by every node
  int shards = 1;
  std::string partition;     // empty: the cluster's default
  std::string time_limit = "24:00:00";
  int cpus_per_task = 2;
  std::string gres;          // e.g. "gpu:1"; empty: none
  std::string job_name = "lasnn-sweep";
  std::string log_dir;       // default: <runs_dir>/slurm-logs
};

// The sbatch script text. InvalidArgument for relative paths or shards < 1.
absl::StatusOr<std::string> SlurmArrayScript(const SlurmOptions& options);

struct MergeReport {
  int expected = 0;
  std::vector<std::string> missing;  // "<name> (<hash>)"
  std::vector<std::string> not_ok;   // "<name> (<hash>): <STATUS> <message>"
};

// Checks <runs_dir> against the expanded suite.
MergeReport CheckSuiteRecords(const std::vector<ExperimentConfig>& experiments,
                              const std::string& runs_dir);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_SLURM_H_
