// One case of the foreign-device test (tools/lazy_device_test.sh): runs a piece of the pipeline
// on LibTorch's lazy (TorchScript) device, which runs on the CPU and rejects CPU tensors mixed
// into its ops (a check failure that aborts the process; hence one case per process). Tiny
// synthetic data, a few steps. Exits 0 when the case ran and its results are well-formed.
//
//   lazy_device_check --case=snn_direct|lasnn_joint|feature_kd|evaluate|conversion|qcfs|poisson|
//                           latency
//                     --tmp_dir=DIR
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "baselines/conversion/conversion.h"
#include "datasets/batcher.h"
#include "datasets/quadrants.h"
#include "lasnn/core/device.h"
#include "lasnn/core/encoder.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/evaluate.h"
#include "lasnn/training/trainer.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

ABSL_FLAG(std::string, case_name, "", "the case to run (see the file comment)");
ABSL_FLAG(std::string, tmp_dir, "/tmp", "scratch directory for run directories");

namespace lasnn {
namespace {

constexpr int kClasses = datasets::kQuadrantClasses;
using datasets::Quadrants;

absl::StatusOr<ModelSpec> Spec(bool teacher, bool qcfs) {
  std::string text = teacher ? R"pb(
    name: "lazy_teacher"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 4
    layers { conv { out_channels: 8 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { conv { out_channels: 8 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 4 } }
  )pb"
                             : R"pb(
    name: "lazy_student"
    input { channels: 1 height: 8 width: 8 }
    num_classes: 4
    layers { conv { out_channels: 4 } }
    layers { activation {} }
    layers { pool { kind: MAX kernel_size: 2 } }
    layers { conv { out_channels: 4 } }
    layers { activation {} }
    layers { pool { kind: AVG kernel_size: 2 } }
    layers { flatten {} }
    layers { linear { out_features: 4 } }
  )pb";
  if (qcfs) text += "activation { kind: QCFS qcfs_levels: 4 }";
  return ParseModelSpecText(text);
}

TrainRunConfig RunConfig(const ModelSpec& model, bool snn, DistillConfig::Method method) {
  TrainRunConfig c;
  *c.mutable_model() = model;
  c.set_snn(snn);
  TrainConfig* t = c.mutable_train();
  t->set_epochs(1);
  t->set_batch_size(16);
  t->set_eval_batch_size(32);
  t->set_timesteps(2);
  t->set_seed(7);
  t->set_threads(1);
  t->set_log_every_steps(2);
  t->mutable_optimizer()->set_lr(0.05);
  t->mutable_distill()->set_method(method);
  t->mutable_distill()->set_paradigm(DistillConfig::JOINT);
  t->set_collapse_epochs(0);
  return c;
}

absl::Status Expect(bool ok, const std::string& what) {
  return ok ? absl::OkStatus() : absl::InternalError(what);
}

// Every parameter and buffer of `model` is on `device`.
absl::Status ExpectOn(const Model& model, const c10::Device& device, const std::string& what) {
  for (const auto& p : model->named_parameters()) {
    LASNN_RETURN_IF_ERROR(Expect(p.value().device().type() == device.type(),
                                 absl::StrCat(what, ": parameter ", p.key(), " is on ",
                                              p.value().device().str())));
  }
  for (const auto& b : model->named_buffers()) {
    LASNN_RETURN_IF_ERROR(Expect(b.value().device().type() == device.type(),
                                 absl::StrCat(what, ": buffer ", b.key(), " is on ",
                                              b.value().device().str())));
  }
  return absl::OkStatus();
}

struct Fixture {
  c10::Device device = c10::Device(c10::kCPU);
  datasets::Dataset train, holdout;
  std::string tmp;
};

absl::StatusOr<TrainOutcome> TrainOnDevice(const Fixture& f, const TrainRunConfig& c,
                                           Model& model, Teacher* teacher,
                                           const std::string& dir) {
  TrainerOptions o;
  o.run_dir = JoinPath(f.tmp, dir);
  o.device = f.device;
  o.progress = [](absl::string_view line) { std::cerr << line << "\n"; };
  LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome,
                         Train(c, model, f.train, f.holdout, teacher, o));
  LASNN_RETURN_IF_ERROR(Expect(outcome.status == RunStatus::kOk,
                               absl::StrCat(dir, ": run ended ", RunStatusName(outcome.status),
                                            ": ", outcome.message)));
  LASNN_RETURN_IF_ERROR(Expect(outcome.steps > 0 && !outcome.epochs.empty() &&
                                   std::isfinite(outcome.epochs.back().loss()),
                               absl::StrCat(dir, ": no finite loss")));
  LASNN_RETURN_IF_ERROR(ExpectOn(model, f.device, dir));
  return outcome;
}

absl::StatusOr<Model> TrainedAnn(const Fixture& f, bool qcfs, const std::string& dir) {
  LASNN_ASSIGN_OR_RETURN(ModelSpec spec, Spec(/*teacher=*/true, qcfs));
  torch::manual_seed(3);
  LASNN_ASSIGN_OR_RETURN(Model ann, BuildModel(spec, Mode::kAnn));
  LASNN_RETURN_IF_ERROR(
      TrainOnDevice(f, RunConfig(spec, false, DistillConfig::DIRECT), ann, nullptr, dir)
          .status());
  return ann;
}

absl::Status TrainedStudent(const Fixture& f, DistillConfig::Method method,
                            DistillConfig::Paradigm paradigm = DistillConfig::JOINT,
                            EncoderSpec::Kind encoding = EncoderSpec::DIRECT) {
  LASNN_ASSIGN_OR_RETURN(ModelSpec student_spec, Spec(/*teacher=*/false, /*qcfs=*/false));
  student_spec.mutable_encoder()->set_kind(encoding);
  TrainRunConfig c = RunConfig(student_spec, true, method);
  c.mutable_train()->mutable_distill()->set_paradigm(paradigm);
  std::optional<Teacher> teacher;
  if (method != DistillConfig::DIRECT) {
    LASNN_ASSIGN_OR_RETURN(ModelSpec teacher_spec, Spec(/*teacher=*/true, /*qcfs=*/false));
    *c.mutable_teacher() = teacher_spec;
    c.mutable_train()->mutable_distill()->set_beta(50);
    c.mutable_train()->mutable_distill()->set_feature_weight(1);
    LASNN_ASSIGN_OR_RETURN(Model ann, TrainedAnn(f, /*qcfs=*/false, "teacher"));
    teacher = Teacher{ann, "lazy-teacher"};
  }
  torch::manual_seed(5);
  LASNN_ASSIGN_OR_RETURN(Model student, BuildModel(student_spec, Mode::kSnn));
  LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome,
                         TrainOnDevice(f, c, student, teacher ? &*teacher : nullptr, "student"));
  if (encoding != EncoderSpec::DIRECT) {
    // Encoded evaluation on the device gives the CPU's numbers.
    EvalOptions eo;
    eo.timesteps = 4;
    eo.batch_size = 16;
    eo.device = f.device;
    eo.encoding_seed = 9;
    LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(student, f.holdout, eo));
    MoveToDevice(*student, c10::Device(c10::kCPU));
    eo.device = c10::Device(c10::kCPU);
    LASNN_ASSIGN_OR_RETURN(EvalResult cpu, EvaluateAccuracy(student, f.holdout, eo));
    LASNN_RETURN_IF_ERROR(Expect(cpu.accuracy_at_t == r.accuracy_at_t,
                                 "lazy and CPU evaluations of the encoded SNN disagree"));
    MoveToDevice(*student, f.device);
  }
  if (method != DistillConfig::DIRECT) {
    const EpochMetrics& m = outcome.epochs.front();
    LASNN_RETURN_IF_ERROR(Expect(m.kd() > 0, "the KD loss is not positive"));
    LASNN_RETURN_IF_ERROR(
        Expect(m.feature() > 0, "the attention / feature loss is not positive"));
    LASNN_RETURN_IF_ERROR(ExpectOn(teacher->model, f.device, "teacher"));
  }
  return absl::OkStatus();
}

absl::Status EvaluateEveryT(const Fixture& f) {
  LASNN_ASSIGN_OR_RETURN(ModelSpec spec, Spec(/*teacher=*/false, /*qcfs=*/false));
  torch::manual_seed(5);
  LASNN_ASSIGN_OR_RETURN(Model model, BuildModel(spec, Mode::kSnn));
  MoveToDevice(*model, f.device);
  EvalOptions eo;
  eo.timesteps = 4;
  eo.batch_size = 24;
  eo.device = f.device;
  LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model, f.holdout, eo));
  LASNN_RETURN_IF_ERROR(Expect(r.accuracy_at_t.size() == 4 && r.num_samples == 40,
                               "accuracy_at_t is not one entry per t of 40 samples"));
  // The same numbers as on the CPU: the lazy device only changes where they are computed.
  MoveToDevice(*model, c10::Device(c10::kCPU));
  eo.device = c10::Device(c10::kCPU);
  LASNN_ASSIGN_OR_RETURN(EvalResult cpu, EvaluateAccuracy(model, f.holdout, eo));
  LASNN_RETURN_IF_ERROR(Expect(cpu.accuracy_at_t == r.accuracy_at_t,
                               "lazy and CPU evaluations disagree"));
  return absl::OkStatus();
}

absl::StatusOr<datasets::Batch> DeviceBatch(const Fixture& f, const datasets::Dataset& d,
                                            bool raw = false) {
  LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions o,
                         datasets::DefaultBatcherOptions(d.name, /*training=*/false));
  if (raw) datasets::UseRawImages(o);
  o.batch_size = d.images.size(0);
  o.device = f.device;
  LASNN_ASSIGN_OR_RETURN(auto batcher, datasets::Batcher::Create(d, o));
  std::vector<int64_t> all(d.images.size(0));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  return batcher->MakeBatch(0, all);
}

// Folds, calibrates (every normalisation), simulates: on the device, and the thresholds stay
// there. `encoding`: the simulation's input code (Poisson, latency) of the raw test images.
absl::Status ConvertOnDevice(const Fixture& f, bool qcfs,
                             EncoderSpec::Kind encoding = EncoderSpec::DIRECT) {
  LASNN_ASSIGN_OR_RETURN(Model ann, TrainedAnn(f, qcfs, qcfs ? "qcfs_ann" : "ann"));
  LASNN_ASSIGN_OR_RETURN(conversion::FoldedAnn folded, conversion::FoldBatchNorm(ann));
  LASNN_ASSIGN_OR_RETURN(datasets::Batch calibration, DeviceBatch(f, f.train));
  LASNN_ASSIGN_OR_RETURN(datasets::Batch test, DeviceBatch(f, f.holdout));
  std::vector<conversion::Normalisation> methods = {conversion::Normalisation::kQcfs};
  if (!qcfs) {
    methods = {conversion::Normalisation::kMax, conversion::Normalisation::kRobust,
               conversion::Normalisation::kRobustPerChannel,
               conversion::Normalisation::kSpikeNorm};
  }
  for (conversion::Normalisation n : methods) {
    conversion::ConversionOptions o;
    o.normalisation = n;
    o.spike_norm_timesteps = 3;
    o.batch_size = 64;
    o.init_membrane = qcfs ? 0.5 : 0.0;
    const std::string name = absl::StrCat("normalisation ", static_cast<int>(n));
    LASNN_ASSIGN_OR_RETURN(conversion::ConvertedSnn snn,
                           conversion::Convert(folded, calibration.images, o));
    for (const at::Tensor& theta : snn.thresholds) {
      LASNN_RETURN_IF_ERROR(Expect(theta.device().type() == f.device.type(),
                                   absl::StrCat(name, ": a threshold is on ",
                                                theta.device().str())));
    }
    conversion::SimulationResult r;
    double ann_accuracy = 0;
    LASNN_RETURN_IF_ERROR(TorchCall(name, [&] {
      ann_accuracy = conversion::FoldedForward(folded, test.images)
                         .argmax(1)
                         .eq(test.labels)
                         .to(at::kDouble)
                         .mean()
                         .item<double>();
      r = conversion::Simulate(snn, test.images, test.labels, /*timesteps=*/8, 16);
    }));
    if (encoding != EncoderSpec::DIRECT) {
      LASNN_ASSIGN_OR_RETURN(datasets::Batch raw, DeviceBatch(f, f.holdout, /*raw=*/true));
      LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions stats,
                             datasets::DefaultBatcherOptions(f.holdout.name, false));
      const std::optional<InputEncoder> encoder = MoveNormalisationToEncoder(encoding, 9, stats);
      conversion::SimulationOptions so;
      so.encoder = &*encoder;
      so.indices = raw.indices;
      LASNN_RETURN_IF_ERROR(TorchCall(name, [&] {
        r = conversion::Simulate(snn, raw.images, test.labels, /*timesteps=*/8, 16, so);
      }));
    }
    LASNN_RETURN_IF_ERROR(Expect(r.accuracy_at_t.size() == 8 && r.num_samples == 40 &&
                                     ann_accuracy >= 0 && ann_accuracy <= 1,
                                 absl::StrCat(name, ": malformed simulation result")));
    LASNN_RETURN_IF_ERROR(Expect(r.firing_rates.size() == 2 && r.firing_rates[0] > 0,
                                 absl::StrCat(name, ": no spikes in the first layer")));
  }
  return absl::OkStatus();
}

absl::Status RunCase(const std::string& name, const std::string& tmp) {
  Fixture f;
  LASNN_ASSIGN_OR_RETURN(f.device, ResolveDevice("lazy"));
  at::set_num_threads(1);
  f.train = Quadrants(64, 1);
  f.holdout = Quadrants(40, 2);
  f.tmp = JoinPath(tmp, name);
  LASNN_RETURN_IF_ERROR(MakeDirectories(f.tmp));
  if (name == "snn_direct") return TrainedStudent(f, DistillConfig::DIRECT);
  if (name == "lasnn_joint") return TrainedStudent(f, DistillConfig::LASNN);
  if (name == "lasnn_stage_by_stage") {
    return TrainedStudent(f, DistillConfig::LASNN, DistillConfig::STAGE_BY_STAGE);
  }
  if (name == "feature_kd") return TrainedStudent(f, DistillConfig::FEATURE_KD);
  if (name == "evaluate") return EvaluateEveryT(f);
  if (name == "conversion") return ConvertOnDevice(f, /*qcfs=*/false);
  if (name == "qcfs") return ConvertOnDevice(f, /*qcfs=*/true);
  if (name == "poisson") {
    LASNN_RETURN_IF_ERROR(
        TrainedStudent(f, DistillConfig::LASNN, DistillConfig::JOINT, EncoderSpec::POISSON));
    return ConvertOnDevice(f, /*qcfs=*/false, EncoderSpec::POISSON);
  }
  if (name == "latency") {
    LASNN_RETURN_IF_ERROR(
        TrainedStudent(f, DistillConfig::DIRECT, DistillConfig::JOINT, EncoderSpec::LATENCY));
    return ConvertOnDevice(f, /*qcfs=*/true, EncoderSpec::LATENCY);
  }
  return absl::InvalidArgumentError(absl::StrCat("--case_name=", name, ": unknown case"));
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string name = absl::GetFlag(FLAGS_case_name);
  const absl::Status status = lasnn::RunCase(name, absl::GetFlag(FLAGS_tmp_dir));
  if (!status.ok()) {
    std::cerr << "lazy device case '" << name << "': " << status << "\n";
    return 1;
  }
  std::cout << "lazy device case '" << name << "': ok\n";
  return 0;
}
