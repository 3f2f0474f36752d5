// Training and inference throughput of a model's ANN and SNN twins (issue 3, item 5).
//
// For one ModelSpec: images/s of a training step (forward, cross-entropy, backward, SGD step) and
// of inference (eval mode, no grad) for the ANN and for the SNN at each T, batch 64 by default,
// median and spread (min/max, interquartile range) over `iters` timed iterations after `warmup`
// untimed ones; the ratio SNN step / (T x ANN step); and the peak memory of the training step.
//
// Peak memory: measured in a fresh child process (this binary re-executed with
// --peak_memory_child), which builds the model, optimiser and batch, resets the kernel's
// resident-set high-water mark (writing 5 to /proc/self/clear_refs), records VmRSS as the
// baseline, runs a few training steps and reports VmHWM - baseline: the resident memory the steps
// add, allocator caching included. The same child also reports the peak bytes of live CPU tensor
// storage above the pre-step level, from a counting wrapper around LibTorch's CPU allocator
// (excludes oneDNN scratch and allocator overhead). Figures are measured and printed, never
// asserted.
#ifndef LASNN_BENCHMARKS_TRAIN_THROUGHPUT_H_
#define LASNN_BENCHMARKS_TRAIN_THROUGHPUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace lasnn {

struct ThroughputOptions {
  std::string model_path;  // text-format lasnn.ModelSpec
  int threads = 2;
  int batch = 64;
  int warmup = 5;
  int iters = 30;
  std::vector<int> timesteps = {1, 2, 4, 8};
  std::vector<int> memory_timesteps = {4, 8};  // SNN peak-memory measurements (plus the ANN)
  bool memory = true;                       // run the peak-memory children
  std::string json_path;                    // empty: no JSON
  // Distillation rows (benchmarks/distill_throughput.h): teacher and student presets
  // (lasnn/models/presets.h); no students: no distillation rows.
  std::string distill_teacher = "fmnist_vgg";
  std::vector<std::string> distill_students = {"fmnist_student_small", "fmnist_student_deeper"};
  std::vector<int> distill_timesteps = {2, 4, 8};
  int distill_steps = 20;
  int distill_repeats = 3;
  bool distill_compare_unfrozen = true;
  std::string self_exe = "/proc/self/exe";  // re-executed for the memory measurements
};

// Runs the benchmark and prints the table (rows, distillation rows, environment) to stdout;
// writes JSON atomically when json_path is set. InvalidArgument / NotFound for a bad or missing model file (naming it), Internal when a
// memory-measurement child fails, and the error of a failed JSON write.
absl::Status RunTrainThroughput(const ThroughputOptions& options);

// The child side of the peak-memory measurement: prints one line
// "peak_above_baseline_bytes=<n> baseline_rss_bytes=<n>" for `steps` training steps of the
// `snn` (else ANN) twin at `timesteps`.
absl::Status RunPeakMemoryChild(const ThroughputOptions& options, bool snn, int timesteps,
                                int steps);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_TRAIN_THROUGHPUT_H_
