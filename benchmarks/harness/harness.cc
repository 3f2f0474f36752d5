#include "benchmarks/harness/harness.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/experiment/record_io.h"
#include "benchmarks/harness/evaluation.h"
#include "benchmarks/harness/measurements.h"
#include "benchmarks/harness/provenance.h"
#include "benchmarks/harness/record_builder.h"
#include "benchmarks/harness/teacher.h"
#include "datasets/load_dataset.h"
#include "lasnn/core/device.h"
#include "lasnn/models/model.h"
#include "lasnn/training/data_split.h"
#include "lasnn/training/train_config_validation.h"
#include "lasnn/training/trainer.h"
#include "util/file_util.h"
#include "util/memory_probe.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

bool HasFinishedRecord(const std::string& runs_dir, const std::string& hash) {
  absl::StatusOr<RunRecord> r = ReadRecord(JoinPath(runs_dir, hash + ".pb"));
  return r.ok() && (r->status() == RunRecord::OK || r->status() == RunRecord::DIVERGED ||
                    r->status() == RunRecord::COLLAPSED);
}

struct Harness::Impl {
  HarnessOptions options;
  std::map<std::string, datasets::DatasetSplits> data;  // by DatasetSpec text
  // Reference ANNs evaluated so far (teacher.h AnnSource::evaluated_references).
  mutable std::map<std::string, TeacherResult> evaluated_references;

  void Progress(absl::string_view line) const {
    if (options.progress) {
      options.progress(line);
    } else {
      std::cerr << line << "\n";
    }
  }

  AnnSource Anns() const {
    AnnSource s;
    s.cache_dir =
        options.cache_dir.empty() ? JoinPath(options.runs_dir, "cache") : options.cache_dir;
    s.source_dir = SourceDir(options.source_dir);
    s.evaluated_references = &evaluated_references;
    s.progress = [this](absl::string_view line) { Progress(line); };
    return s;
  }

  absl::StatusOr<const datasets::DatasetSplits*> Data(const datasets::DatasetSpec& spec) {
    const std::string key = spec.SerializeAsString();
    auto it = data.find(key);
    if (it == data.end()) {
      LASNN_ASSIGN_OR_RETURN(datasets::DatasetSplits splits, datasets::LoadDataset(spec));
      it = data.emplace(key, std::move(splits)).first;
    }
    return &it->second;
  }

  // Trains the student SNN (resumable in <runs_dir>/work/<hash>/, distilled from `teacher` when
  // the method has one) and evaluates it when training ended OK.
  absl::Status RunTrained(const ExperimentConfig& c, const datasets::DatasetSplits& splits,
                          const datasets::Dataset& test, std::optional<Ann>& teacher,
                          RunRecord& record) {
    const TrainConfig& train = c.train();
    TrainRunConfig run;
    *run.mutable_model() = c.student();
    run.set_snn(true);
    *run.mutable_train() = train;
    *run.mutable_data() = c.data();
    std::optional<lasnn::Teacher> t;
    if (teacher) {
      *run.mutable_teacher() = teacher->spec;
      run.set_teacher_checksum(teacher->result.weights_sha256());
      t = lasnn::Teacher{teacher->model, teacher->result.weights_sha256()};
    }
    LASNN_RETURN_IF_ERROR(ValidateTrainRunConfig(run));
    LASNN_ASSIGN_OR_RETURN(TrainHoldout parts, SplitHoldout(splits.train, train.holdout_fraction(),
                                                            train.seed()));
    torch::manual_seed(train.seed());
    LASNN_ASSIGN_OR_RETURN(Model model, BuildModel(c.student(), Mode::kSnn));
    TrainerOptions to;
    to.run_dir = JoinPath(JoinPath(options.runs_dir, "work"), record.config_hash());
    to.resume = PathExists(JoinPath(to.run_dir, "checkpoint.pt"));
    LASNN_ASSIGN_OR_RETURN(to.device, ResolveDevice(c.device()));
    to.progress = options.progress;
    LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome, Train(run, model, parts.train, parts.holdout,
                                                       t ? &*t : nullptr, to));
    SetTrainOutcome(outcome, record);
    if (outcome.status != RunStatus::kOk) return absl::OkStatus();
    SetStudent(c.student().name(), CountParameters(*model), train.timesteps(), record);
    record.set_input_encoding(c.student().encoder().kind());
    LASNN_ASSIGN_OR_RETURN(SnnEvaluation e,
                           EvaluateSnn(model, test, c.eval(), train.eval_batch_size(), to.device,
                                       /*encoding_seed=*/train.seed()));
    LASNN_RETURN_IF_ERROR(AddSnnEvaluation(e, model->plan(), c.energy(), record));
    if (teacher) {
      LASNN_ASSIGN_OR_RETURN(double ann, AnnAccuracy(teacher->model, test, to.device));
      record.set_ann_accuracy(ann);
    }
    return absl::OkStatus();
  }

  // Converts `ann` to an SNN and evaluates it.
  absl::Status RunConversion(const ExperimentConfig& c, const datasets::DatasetSplits& splits,
                             const datasets::Dataset& test, Ann& ann, RunRecord& record) {
    LASNN_ASSIGN_OR_RETURN(ConvertedAnn converted, ConvertAnn(ann.model, splits.train, c));
    record.set_convert_seconds(converted.seconds);
    SetStudent(ann.spec.name(), ann.result.parameters(), /*train_timesteps=*/0, record);
    record.set_input_encoding(converted.encoding);
    LASNN_ASSIGN_OR_RETURN(ConversionEvaluation e, EvaluateConversion(converted, test, c.eval()));
    LASNN_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(ann.spec));
    return AddConversionEvaluation(e, plan, c.energy(), record);
  }

  absl::Status Execute(const ExperimentConfig& c, RunRecord& record) {
    LASNN_RETURN_IF_ERROR(ResolveDevice(c.device()).status());
    at::set_num_threads(c.threads());
    LASNN_ASSIGN_OR_RETURN(const datasets::DatasetSplits* splits, Data(c.data()));
    const datasets::Dataset test = c.eval().test_subset() > 0
                                       ? TakeFirst(splits->test, c.eval().test_subset())
                                       : splits->test;
    std::optional<Ann> teacher;
    if (NeedsTeacher(c.method())) {
      LASNN_ASSIGN_OR_RETURN(teacher, ObtainTeacher(c, *splits, Anns()));
      *record.mutable_teacher() = teacher->result;
    }
    if (IsTrainedMethod(c.method())) {
      LASNN_RETURN_IF_ERROR(RunTrained(c, *splits, test, teacher, record));
    } else if (c.method() == QCFS) {
      LASNN_ASSIGN_OR_RETURN(Ann qcfs, ObtainQcfsAnn(c, *teacher, *splits, Anns()));
      record.set_train_seconds(qcfs.result.train_seconds());
      *record.mutable_qcfs_ann() = qcfs.result;
      LASNN_RETURN_IF_ERROR(RunConversion(c, *splits, test, qcfs, record));
    } else {
      LASNN_RETURN_IF_ERROR(RunConversion(c, *splits, test, *teacher, record));
    }
    SetTimestepsWithin1pt(record);
    return absl::OkStatus();
  }
};

Harness::Harness(HarnessOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Harness::~Harness() = default;

absl::StatusOr<RunRecord> Harness::Run(const ExperimentConfig& resolved) {
  ApplyDeterminismSettings(resolved.device());
  ProvenanceOptions po;
  po.source_dir = impl_->options.source_dir;
  po.command = impl_->options.command;
  po.threads = resolved.threads();
  po.device = resolved.device();
  RunRecord record = StartRecord(resolved, MakeProvenance(po), impl_->options.suite);
  // The high-water mark is reset per experiment; where the kernel refuses, it covers the process.
  ResetPeakResident().IgnoreError();
  const auto t0 = Clock::now();
  const absl::Status status = impl_->Execute(resolved, record);
  FinishRecord(status, PeakResidentBytes(), record);
  LASNN_RETURN_IF_ERROR(WriteRecord(impl_->options.runs_dir, record));
  impl_->Progress(absl::StrFormat("  -> %s [%s] %.0f s; record %s.pb", RecordSummary(record),
                                  MethodKey(resolved.method()), Seconds(t0),
                                  JoinPath(impl_->options.runs_dir, record.config_hash())));
  return record;
}

absl::StatusOr<SweepSummary> Harness::Sweep(const std::vector<ExperimentConfig>& experiments) {
  SweepSummary s;
  s.total = static_cast<int>(experiments.size());
  const auto t0 = Clock::now();
  for (size_t i = 0; i < experiments.size(); ++i) {
    const ExperimentConfig& c = experiments[i];
    const std::string hash = ConfigHash(c);
    const double elapsed = Seconds(t0);
    const int done = s.ran + s.skipped;
    std::string eta = "?";
    if (s.ran > 0) {
      eta = absl::StrFormat("%.0f min", elapsed / s.ran * (s.total - done) / 60.0);
    }
    if (HasFinishedRecord(impl_->options.runs_dir, hash)) {
      ++s.skipped;
      impl_->Progress(absl::StrFormat("[%d/%d] %s: record %s exists, skipped", i + 1, s.total,
                                      c.name(), hash));
      continue;
    }
    impl_->Progress(absl::StrFormat("[%d/%d] %s (%s); elapsed %.0f min, ETA %s", i + 1, s.total,
                                    c.name(), hash, elapsed / 60.0, eta));
    LASNN_ASSIGN_OR_RETURN(RunRecord r, Run(c));
    ++s.ran;
    if (r.status() == RunRecord::FAILED) ++s.failed;
    if (r.status() == RunRecord::DIVERGED || r.status() == RunRecord::COLLAPSED) ++s.not_ok;
  }
  return s;
}

}  // namespace lasnn
