// The ANNs an experiment needs, with the TeacherResult its record carries (run_record.proto):
//   - the teacher: imported from a TorchScript file (lasnn/interop/torchscript_import.h), loaded
//     from a weights file, or trained from its config and kept in the teacher cache
//     (teacher_cache.h: <cache_dir>/teacher_<TeacherCacheKey>/);
//   - the QCFS ANN of QCFS conversion: the teacher's architecture with QCFS activations
//     (conversion.qcfs_levels), trained with conversion.qcfs_train and cached like a teacher
//     (<cache_dir>/qcfs_<key>/).
// Each is evaluated on the test split (evaluation.h EvaluateAnn); a cached ANN keeps the result
// recorded when it was trained, with train_seconds 0.
#ifndef LASNN_BENCHMARKS_HARNESS_TEACHER_H_
#define LASNN_BENCHMARKS_HARNESS_TEACHER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "datasets/dataset.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {

// A trained (or loaded) ANN with its results.
struct Ann {
  ModelSpec spec;
  Model model{nullptr};
  TeacherResult result;
};

struct AnnSource {
  std::string cache_dir;  // root of the teacher cache
  // The directory relative reference-weights files (TeacherConfig.reference) are read from.
  std::string source_dir = ".";
  // Optional: results of reference ANNs already evaluated in this process, by weights SHA-256,
  // dataset and device (a sweep evaluates each reference file once, as the cache does for
  // trained ANNs).
  std::map<std::string, TeacherResult>* evaluated_references = nullptr;
  // Receives progress lines (training, cache hits, import notes); must be set.
  std::function<void(absl::string_view)> progress;
};

// The teacher of the resolved experiment `c`. Errors: those of the TorchScript import (naming
// what does not map), of the weights file, of the cache (teacher_cache.h), and of training
// (InvalidArgument naming a config field; Aborted when the ANN diverges or collapses); a
// reference weights file whose SHA-256 is not the configured one is FailedPrecondition naming
// the file and the field.
absl::StatusOr<Ann> ObtainTeacher(const ExperimentConfig& c, const datasets::DatasetSplits& splits,
                                  const AnnSource& source);

// The QCFS ANN derived from `teacher` for the QCFS experiment `c`; errors as ObtainTeacher.
absl::StatusOr<Ann> ObtainQcfsAnn(const ExperimentConfig& c, const Ann& teacher,
                                  const datasets::DatasetSplits& splits, const AnnSource& source);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_TEACHER_H_
