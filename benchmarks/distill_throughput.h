// Throughput of the distillation training step (issue 15): images/s of lasnn::Train (the real
// trainer: batching, student forward, teacher forward, losses, backward, SGD) on a synthetic
// Fashion-MNIST-shaped set, for logit KD and LaSNN (joint, curriculum, stage by stage), per
// student and T, with the teacher frozen (lasnn/models/frozen_ann.h) and, for the joint rows and
// for comparison in the same process, run as built. Each measurement trains two epochs of `steps`
// steps and keeps the second epoch's images/s (the first is the warm-up) and the whole run's
// (the curriculum and stage-by-stage costs change with the phase: compare those); `repeats` such
// runs give the medians. Also the environment the
// figures were measured under. Figures are measured and printed, never asserted.
#ifndef LASNN_BENCHMARKS_DISTILL_THROUGHPUT_H_
#define LASNN_BENCHMARKS_DISTILL_THROUGHPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/throughput_result.pb.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {

struct DistillThroughputOptions {
  ModelSpec teacher;
  std::vector<ModelSpec> students;
  std::vector<int> timesteps = {2, 4, 8};
  int batch = 64;
  int steps = 20;
  int repeats = 3;
  int threads = 2;
  bool compare_unfrozen = true;  // also measure the teacher run as built
  std::string scratch_dir;       // run directories (created; emptied of checkpoints per run)
};

// One DistillRow per method x student x T x teacher path. Internal on a training failure.
absl::StatusOr<std::vector<DistillRow>> MeasureDistillThroughput(
    const DistillThroughputOptions& options);

// The environment: OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, OMP_NUM_THREADS, OMP_WAIT_POLICY,
// GOMP_SPINCOUNT (unset: "unset"), intra-op threads, the CPU model (/proc/cpuinfo), the LibTorch
// version and parallel backend, OpenBLAS's configuration and oneDNN's version (read from the
// loaded libraries).
Environment DescribeEnvironment(int threads);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_DISTILL_THROUGHPUT_H_
