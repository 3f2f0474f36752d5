#include "benchmarks/harness/teacher.h"

#include <torch/utils.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/harness/evaluation.h"
#include "benchmarks/harness/teacher_cache.h"
#include "datasets/dataset_info.h"
#include "lasnn/core/device.h"
#include "lasnn/interop/torchscript_import.h"
#include "lasnn/training/checkpoint.h"
#include "lasnn/training/data_split.h"
#include "lasnn/training/train_config_validation.h"
#include "lasnn/training/trainer.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

// Trains `spec` as an ANN with `train` (direct training, the best epoch on a holdout of the
// training split) in the cache entry `dir`, or loads the complete entry there.
absl::StatusOr<Ann> TrainOrLoadAnn(const ModelSpec& spec, const TrainConfig& train,
                                   const ExperimentConfig& c, const std::string& dir,
                                   const datasets::DatasetSplits& splits,
                                   const AnnSource& source) {
  Ann ann;
  ann.spec = spec;
  LASNN_ASSIGN_OR_RETURN(ann.model, BuildModel(spec, Mode::kAnn));
  LASNN_ASSIGN_OR_RETURN(CacheLock lock, CacheLock::Acquire(dir));
  LASNN_ASSIGN_OR_RETURN(std::optional<TeacherResult> cached, LoadCachedAnn(dir, ann.model));
  if (cached) {
    ann.result = std::move(*cached);
    LASNN_ASSIGN_OR_RETURN(const c10::Device device, ResolveDevice(c.device()));
    MoveToDevice(*ann.model, device);  // the cache loads onto the experiment's device
    ann.model->eval();
    ann.result.set_train_seconds(0);
    source.progress(absl::StrFormat("  %s from the cache %s (test accuracy %.2f%%)", spec.name(),
                                    dir, 100 * ann.result.test_accuracy()));
    return ann;
  }
  TrainRunConfig run;
  *run.mutable_model() = spec;
  run.set_snn(false);
  *run.mutable_train() = train;
  run.mutable_train()->mutable_distill()->set_method(DistillConfig::DIRECT);
  *run.mutable_data() = c.data();
  LASNN_RETURN_IF_ERROR(ValidateTrainRunConfig(run));
  LASNN_ASSIGN_OR_RETURN(TrainHoldout parts, SplitHoldout(splits.train, train.holdout_fraction(),
                                                          train.seed()));
  torch::manual_seed(train.seed());
  LASNN_ASSIGN_OR_RETURN(ann.model, BuildModel(spec, Mode::kAnn));
  source.progress(absl::StrFormat("  training ANN %s (%d epochs) in %s", spec.name(),
                                  train.epochs(), dir));
  TrainerOptions options;
  options.run_dir = dir;
  options.resume = PathExists(JoinPath(dir, "checkpoint.pt"));
  options.device = c10::Device(c.device());
  options.progress = source.progress;
  LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome, Train(run, ann.model, parts.train, parts.holdout,
                                                     nullptr, options));
  if (outcome.status != RunStatus::kOk) {
    return absl::AbortedError(absl::StrCat("ANN ", spec.name(), " training ",
                                           RunStatusName(outcome.status), ": ", outcome.message));
  }
  LASNN_ASSIGN_OR_RETURN(ann.result, EvaluateAnn(ann.model, spec, splits.test, c));
  LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(CachedWeightsPath(dir)));
  ann.result.set_weights_sha256(sha);
  double seconds = 0;
  for (const EpochMetrics& m : outcome.epochs) seconds += m.seconds();
  ann.result.set_train_seconds(seconds);
  LASNN_RETURN_IF_ERROR(StoreCachedAnnResult(dir, ann.result));
  source.progress(absl::StrFormat("  %s: test accuracy %.2f%%, %.0f s", spec.name(),
                                  100 * ann.result.test_accuracy(), seconds));
  return ann;
}

// An ANN built outside the cache (imported or loaded), evaluated, with the checksum of its file.
absl::StatusOr<Ann> EvaluatedAnn(ModelSpec spec, Model model, const std::string& file,
                                 const ExperimentConfig& c, const datasets::Dataset& test) {
  Ann ann;
  ann.spec = std::move(spec);
  ann.model = std::move(model);
  LASNN_ASSIGN_OR_RETURN(ann.result, EvaluateAnn(ann.model, ann.spec, test, c));
  LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(file));
  ann.result.set_weights_sha256(sha);
  return ann;
}

// The ANN `spec` from reference weights (ReferenceWeights): the file's SHA-256 must be the
// configured one (`field` names the config field in the error), then it is loaded and evaluated.
absl::StatusOr<Ann> ReferenceAnn(const ModelSpec& spec, const ReferenceWeights& reference,
                                 const std::string& field, const ExperimentConfig& c,
                                 const datasets::Dataset& test, const AnnSource& source) {
  const std::string& file = reference.file();
  const std::string path = file.empty() || file[0] == '/' ? file : JoinPath(source.source_dir, file);
  LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(path));
  if (sha != reference.sha256()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "reference weights ", path, ": SHA-256 ", sha, ", but ", field, ".sha256 is ",
        reference.sha256(), "; the file is not the one this config was written for (run with "
        "--from_scratch to train ", spec.name(), " from its train config instead)"));
  }
  LASNN_ASSIGN_OR_RETURN(Model model, BuildModel(spec, Mode::kAnn));
  LASNN_RETURN_IF_ERROR(LoadWeights(path, *model));
  datasets::DatasetSpec data = c.data();
  data.clear_decode_threads();
  const std::string key = absl::StrCat(sha, "|", data.SerializeAsString(), "|", c.device());
  if (source.evaluated_references != nullptr) {
    auto it = source.evaluated_references->find(key);
    if (it != source.evaluated_references->end()) {
      LASNN_ASSIGN_OR_RETURN(const c10::Device device, ResolveDevice(c.device()));
      MoveToDevice(*model, device);
      model->eval();
      return Ann{spec, std::move(model), it->second};
    }
  }
  Ann ann{spec, std::move(model), {}};
  LASNN_ASSIGN_OR_RETURN(ann.result, EvaluateAnn(ann.model, ann.spec, test, c));
  ann.result.set_weights_sha256(sha);  // checked above; not hashed again
  ann.result.set_reference_file(file);
  source.progress(absl::StrFormat("  %s from the reference weights %s (test accuracy %.2f%%)",
                                  spec.name(), file, 100 * ann.result.test_accuracy()));
  if (source.evaluated_references != nullptr) {
    source.evaluated_references->emplace(key, ann.result);
  }
  return ann;
}

}  // namespace

absl::StatusOr<Ann> ObtainTeacher(const ExperimentConfig& c, const datasets::DatasetSplits& splits,
                                  const AnnSource& source) {
  const TeacherConfig& t = c.teacher();
  if (t.has_torchscript_file()) {
    LASNN_ASSIGN_OR_RETURN(datasets::DatasetInfo info, datasets::GetDatasetInfo(c.data().kind()));
    ImportOptions io;
    io.input_shape = {info.channels, info.height, info.width};
    LASNN_ASSIGN_OR_RETURN(ImportedModel imported, ImportTorchScript(t.torchscript_file(), io));
    for (const std::string& note : imported.notes) source.progress("  import: " + note);
    return EvaluatedAnn(std::move(imported.spec), std::move(imported.model), t.torchscript_file(),
                        c, splits.test);
  }
  if (t.has_reference()) {
    return ReferenceAnn(t.model(), t.reference(), "teacher.reference", c, splits.test, source);
  }
  if (t.has_weights_file()) {
    LASNN_ASSIGN_OR_RETURN(Model model, BuildModel(t.model(), Mode::kAnn));
    LASNN_RETURN_IF_ERROR(LoadWeights(t.weights_file(), *model));
    return EvaluatedAnn(t.model(), std::move(model), t.weights_file(), c, splits.test);
  }
  const std::string key = TeacherCacheKey(c);
  LASNN_ASSIGN_OR_RETURN(Ann ann, TrainOrLoadAnn(t.model(), t.train(), c,
                                                 JoinPath(source.cache_dir, "teacher_" + key),
                                                 splits, source));
  ann.result.set_cache_key(key);
  return ann;
}

absl::StatusOr<Ann> ObtainQcfsAnn(const ExperimentConfig& c, const Ann& teacher,
                                  const datasets::DatasetSplits& splits, const AnnSource& source) {
  ModelSpec spec = teacher.spec;
  spec.set_name(spec.name() + "_qcfs");
  spec.mutable_activation()->set_kind(ActivationSpec::QCFS);
  spec.mutable_activation()->set_qcfs_levels(c.conversion().qcfs_levels());
  ExperimentConfig key = c;
  *key.mutable_teacher()->mutable_model() = spec;
  *key.mutable_teacher()->mutable_train() = c.conversion().qcfs_train();
  key.mutable_teacher()->clear_weights_file();
  key.mutable_teacher()->clear_reference();
  if (c.conversion().has_qcfs_reference()) {
    return ReferenceAnn(spec, c.conversion().qcfs_reference(), "conversion.qcfs_reference", c,
                        splits.test, source);
  }
  const std::string dir = JoinPath(source.cache_dir, "qcfs_" + TeacherCacheKey(key));
  return TrainOrLoadAnn(spec, c.conversion().qcfs_train(), c, dir, splits, source);
}

}  // namespace lasnn
