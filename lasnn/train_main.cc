// Trains one model on a dataset: an ANN teacher, or an SNN student by LaSNN distillation or a
// training baseline (lasnn/training/trainer.h), then evaluates it on the test set at every
// t <= T_max.
//
//   bazel run //lasnn:train -- --model=fmnist_vgg --epochs=15 --run_dir=/tmp/teacher
//   bazel run //lasnn:train -- --model=fmnist_student_small --snn --timesteps=4
//       --method=lasnn --teacher_model=fmnist_vgg --teacher_weights=/tmp/teacher/best_weights.pt
//       --run_dir=/tmp/student
//
// Why it exists beside `lasnn run` (tools/): an experiment config runs through the harness
// (benchmarks/harness, a higher layer than //lasnn) and ends in a run record for the reports;
// this binary trains a single model into a run directory, with resumable checkpoints, a
// TorchScript export and data-parallel training over c10d, and shares the experiment's training
// bounds (lasnn/training/train_config_validation.h).
//
// The resolved config is written to <run_dir>/config.textproto, the test accuracy curve to
// <run_dir>/test_accuracy.csv, the metrics log to <run_dir>/metrics.csv, the best weights to
// <run_dir>/best_weights.pt and a TorchScript export to <run_dir>/model.torchscript.pt.
#include <ATen/Parallel.h>
#include <google/protobuf/text_format.h>
#include <torch/utils.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "datasets/load_dataset.h"
#include "lasnn/core/device.h"
#include "lasnn/interop/export.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/presets.h"
#include "lasnn/parallel/data_parallel.h"
#include "lasnn/training/checkpoint.h"
#include "lasnn/training/data_split.h"
#include "lasnn/training/evaluate.h"
#include "lasnn/training/train_config_validation.h"
#include "lasnn/training/trainer.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_macros.h"
#include "util/text_proto.h"
#include "util/torch_status.h"

ABSL_FLAG(
    std::string, config, "",
    "TrainRunConfig text-format file (lasnn/training/train_run.proto); flags below override it");
ABSL_FLAG(std::string, model, "",
          "model preset name (lasnn/models/presets.h) or ModelSpec .textproto");
ABSL_FLAG(bool, snn, false, "train the SNN twin of --model (else the ANN)");
ABSL_FLAG(std::string, encoder, "",
          "direct | poisson | latency: the SNN's input code of the raw images, normalised after "
          "encoding (empty: the model's)");
ABSL_FLAG(std::string, method, "",
          "direct | logit_kd | feature_kd | lasnn (default: the config's, else lasnn for an SNN "
          "with a teacher, direct otherwise)");
ABSL_FLAG(std::string, paradigm, "",
          "joint | curriculum | stage_by_stage: LaSNN's layer-wise paradigm, in either reading "
          "(train_config.proto); stagewise is the old name of curriculum");
ABSL_FLAG(std::string, teacher_model, "", "teacher preset name or ModelSpec .textproto");
ABSL_FLAG(std::string, teacher_weights, "", "teacher weights file (best_weights.pt of its run)");
ABSL_FLAG(int32_t, epochs, 0, "epochs (0: the config's)");
ABSL_FLAG(int32_t, timesteps, 0, "SNN training timesteps T (0: the config's)");
ABSL_FLAG(int32_t, batch_size, 0, "training batch size (0: the config's)");
ABSL_FLAG(double, lr, 0, "base learning rate (0: the config's)");
ABSL_FLAG(double, beta, -1, "LaSNN attention-transfer weight (-1: the config's)");
ABSL_FLAG(double, feature_weight, -1, "feature-KD MSE weight (-1: the config's)");
ABSL_FLAG(int64_t, seed, -1, "seed (-1: the config's)");
ABSL_FLAG(int32_t, threads, 0, "intra-op threads (0: the config's)");
ABSL_FLAG(int32_t, max_steps_per_epoch, -1, "cap on steps per epoch (-1: the config's)");
ABSL_FLAG(std::string, data_dir, "", "Fashion-MNIST directory (default: Debian's package)");
ABSL_FLAG(std::string, run_dir, "", "output directory (required)");
ABSL_FLAG(bool, resume, false, "continue from <run_dir>/checkpoint.pt");
ABSL_FLAG(int32_t, eval_timesteps, 0, "T_max of the final test evaluation (0: training T)");
ABSL_FLAG(std::string, device, "cpu",
          "cpu; cuda / cuda:<i> (needs a CUDA LibTorch, see README, and a visible GPU); or lazy "
          "(LibTorch's lazy tensor backend on the CPU, which stands in for a GPU in tests)");
ABSL_FLAG(int32_t, world_size, -1,
          "data-parallel processes (-1: WORLD_SIZE or SLURM_NTASKS, else 1); --batch_size is per "
          "process");
ABSL_FLAG(int32_t, rank, -1, "this process's rank (-1: RANK or SLURM_PROCID, else 0)");
ABSL_FLAG(std::string, rendezvous, "",
          "data-parallel rendezvous: file:<path on a shared file system> or tcp:<host>:<port>");

namespace lasnn {
namespace {

absl::StatusOr<ModelSpec> ResolveModel(const std::string& name) {
  if (absl::EndsWith(name, ".textproto") || absl::StrContains(name, "/")) {
    return LoadModelSpecFile(name);
  }
  return PresetModelSpec(name);
}

absl::StatusOr<DistillConfig::Method> ParseMethod(const std::string& text) {
  DistillConfig::Method m;
  if (!DistillConfig::Method_Parse(absl::AsciiStrToUpper(text), &m)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--method must be direct, logit_kd, feature_kd or lasnn, got '", text, "'"));
  }
  return m;
}

// --device, checked before any data is loaded (lasnn/core/device.h: cpu, cuda[:i], lazy).
absl::StatusOr<c10::Device> ParseDevice(const std::string& flag) {
  absl::StatusOr<c10::Device> device = ResolveDevice(flag);
  if (!device.ok()) {
    return absl::Status(device.status().code(),
                        absl::StrCat("--device: ", device.status().message()));
  }
  return device;
}

absl::Status Run() {
  LASNN_ASSIGN_OR_RETURN(const c10::Device device, ParseDevice(absl::GetFlag(FLAGS_device)));
  TrainRunConfig config;
  if (!absl::GetFlag(FLAGS_config).empty()) {
    const std::string path = absl::GetFlag(FLAGS_config);
    LASNN_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
    LASNN_ASSIGN_OR_RETURN(config, ParseTextProto<TrainRunConfig>(text, path));
    WarnAboutDeprecatedNames(text, path, TrainRunConfig::descriptor());
  }
  TrainConfig* t = config.mutable_train();
  if (!absl::GetFlag(FLAGS_model).empty()) {
    LASNN_ASSIGN_OR_RETURN(*config.mutable_model(), ResolveModel(absl::GetFlag(FLAGS_model)));
  }
  if (!config.has_model()) {
    return absl::InvalidArgumentError("--model (or config `model`) is required");
  }
  if (absl::GetFlag(FLAGS_snn)) config.set_snn(true);
  if (!absl::GetFlag(FLAGS_encoder).empty()) {
    if (!config.snn()) return absl::InvalidArgumentError("--encoder needs --snn");
    EncoderSpec::Kind kind;
    if (!EncoderSpec::Kind_Parse(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_encoder)), &kind)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--encoder must be direct, poisson or latency, got '", absl::GetFlag(FLAGS_encoder),
          "'"));
    }
    config.mutable_model()->mutable_encoder()->set_kind(kind);
  }
  if (!absl::GetFlag(FLAGS_teacher_model).empty()) {
    LASNN_ASSIGN_OR_RETURN(*config.mutable_teacher(),
                           ResolveModel(absl::GetFlag(FLAGS_teacher_model)));
  }
  if (!absl::GetFlag(FLAGS_method).empty()) {
    LASNN_ASSIGN_OR_RETURN(DistillConfig::Method m, ParseMethod(absl::GetFlag(FLAGS_method)));
    t->mutable_distill()->set_method(m);
  } else if (!t->distill().has_method()) {
    t->mutable_distill()->set_method(config.has_teacher() ? DistillConfig::LASNN
                                                          : DistillConfig::DIRECT);
  }
  if (!absl::GetFlag(FLAGS_paradigm).empty()) {
    const std::string name = absl::AsciiStrToUpper(absl::GetFlag(FLAGS_paradigm));
    DistillConfig::Paradigm p = DistillConfig::JOINT;
    if (!DistillConfig::Paradigm_Parse(name, &p)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--paradigm must be joint, curriculum or stage_by_stage, got '",
          absl::GetFlag(FLAGS_paradigm), "'"));
    }
    if (name != DistillConfig::Paradigm_Name(p)) {
      std::cerr << "warning: --paradigm: " << absl::GetFlag(FLAGS_paradigm)
                << " is the old name of "
                << absl::AsciiStrToLower(DistillConfig::Paradigm_Name(p))
                << " (same behaviour); write --paradigm="
                << absl::AsciiStrToLower(DistillConfig::Paradigm_Name(p)) << "\n";
    }
    t->mutable_distill()->set_paradigm(p);
  }
  if (absl::GetFlag(FLAGS_epochs) != 0) t->set_epochs(absl::GetFlag(FLAGS_epochs));
  if (absl::GetFlag(FLAGS_timesteps) != 0) t->set_timesteps(absl::GetFlag(FLAGS_timesteps));
  if (absl::GetFlag(FLAGS_batch_size) != 0) t->set_batch_size(absl::GetFlag(FLAGS_batch_size));
  if (absl::GetFlag(FLAGS_lr) != 0) t->mutable_optimizer()->set_lr(absl::GetFlag(FLAGS_lr));
  if (absl::GetFlag(FLAGS_beta) >= 0) t->mutable_distill()->set_beta(absl::GetFlag(FLAGS_beta));
  if (absl::GetFlag(FLAGS_feature_weight) >= 0) {
    t->mutable_distill()->set_feature_weight(absl::GetFlag(FLAGS_feature_weight));
  }
  if (absl::GetFlag(FLAGS_seed) >= 0) t->set_seed(absl::GetFlag(FLAGS_seed));
  if (absl::GetFlag(FLAGS_threads) != 0) t->set_threads(absl::GetFlag(FLAGS_threads));
  if (absl::GetFlag(FLAGS_max_steps_per_epoch) >= 0) {
    t->set_max_steps_per_epoch(absl::GetFlag(FLAGS_max_steps_per_epoch));
  }
  datasets::DatasetSpec* data = config.mutable_data();
  if (data->kind() == datasets::DATASET_KIND_UNSPECIFIED) {
    data->set_kind(datasets::DATASET_KIND_FASHION_MNIST);
  }
  if (!absl::GetFlag(FLAGS_data_dir).empty()) data->set_path(absl::GetFlag(FLAGS_data_dir));
  const std::string run_dir = absl::GetFlag(FLAGS_run_dir);
  if (run_dir.empty()) return absl::InvalidArgumentError("--run_dir is required");

  // The bounds every training front door shares (lasnn/training/train_config_validation.h).
  LASNN_RETURN_IF_ERROR(ValidateTrainRunConfig(config));
  at::set_num_threads(t->threads());
  std::optional<Teacher> teacher;
  if (config.has_teacher() && t->distill().method() != DistillConfig::DIRECT) {
    const std::string weights = absl::GetFlag(FLAGS_teacher_weights);
    if (weights.empty()) return absl::InvalidArgumentError("--teacher_weights is required");
    LASNN_ASSIGN_OR_RETURN(Model tm, BuildModel(config.teacher(), Mode::kAnn));
    LASNN_RETURN_IF_ERROR(LoadWeights(weights, *tm));
    LASNN_ASSIGN_OR_RETURN(std::string checksum, Sha256File(weights));
    config.set_teacher_checksum(checksum);
    teacher = Teacher{tm, checksum};
  }

  LASNN_ASSIGN_OR_RETURN(datasets::DatasetSplits splits, datasets::LoadDataset(*data));
  LASNN_ASSIGN_OR_RETURN(TrainHoldout parts,
                         SplitHoldout(splits.train, t->holdout_fraction(), t->seed()));
  torch::manual_seed(t->seed());
  const Mode mode = config.snn() ? Mode::kSnn : Mode::kAnn;
  LASNN_ASSIGN_OR_RETURN(Model model, BuildModel(config.model(), mode));

  LASNN_RETURN_IF_ERROR(MakeDirectories(run_dir));
  std::string config_text;
  google::protobuf::TextFormat::PrintToString(config, &config_text);
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(run_dir, "config.textproto"), config_text));
  std::cerr << "model " << config.model().name() << " (" << (config.snn() ? "SNN" : "ANN") << ", "
            << CountParameters(*model) << " parameters); train " << parts.train.images.size(0)
            << ", held-out " << parts.holdout.images.size(0) << ", test "
            << splits.test.images.size(0) << "; method "
            << DistillConfig::Method_Name(t->distill().method()) << "\n";

  DataParallelOptions dpo;
  dpo.world_size = absl::GetFlag(FLAGS_world_size);
  dpo.rank = absl::GetFlag(FLAGS_rank);
  dpo.rendezvous = absl::GetFlag(FLAGS_rendezvous);
  LASNN_ASSIGN_OR_RETURN(std::unique_ptr<DataParallel> dp, DataParallel::Join(dpo));
  TrainerOptions options;
  options.device = device;
  if (!options.device.is_cpu() && dp->world_size() > 1) {
    return absl::UnimplementedError(absl::StrCat(
        "--device=", options.device.str(), " with --world_size > 1: data-parallel training runs "
        "on the CPU only (Gloo); CUDA needs NCCL process groups, which are not wired yet. Run "
        "one process per GPU on separate experiments"));
  }
  options.run_dir = run_dir;
  options.resume = absl::GetFlag(FLAGS_resume);
  options.data_parallel = dp.get();
  LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome,
                         Train(config, model, parts.train, parts.holdout,
                               teacher ? &*teacher : nullptr, options));
  if (outcome.status != RunStatus::kOk) {
    return absl::AbortedError(absl::StrCat("training ", RunStatusName(outcome.status), ": ",
                                           outcome.message));
  }
  if (dp->rank() != 0) return absl::OkStatus();  // rank 0 evaluates and writes the results
  EvalOptions eo;
  eo.timesteps = absl::GetFlag(FLAGS_eval_timesteps) > 0 ? absl::GetFlag(FLAGS_eval_timesteps)
                                                          : t->timesteps();
  eo.batch_size = t->eval_batch_size();
  eo.device = device;
  eo.encoding_seed = t->seed();
  LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model, splits.test, eo));
  MoveToDevice(*model, c10::Device(c10::kCPU));  // the TorchScript export is a CPU model
  std::string csv = "t,test_accuracy\n";
  for (size_t i = 0; i < r.accuracy_at_t.size(); ++i) {
    absl::StrAppend(&csv, i + 1, ",", r.accuracy_at_t[i], "\n");
  }
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(run_dir, "test_accuracy.csv"), csv));
  if (model->mode() == Mode::kAnn || model->encoding() == EncoderSpec::DIRECT) {
    LASNN_RETURN_IF_ERROR(
        ExportTorchScript(model, eo.timesteps, JoinPath(run_dir, "model.torchscript.pt")));
  } else {
    std::printf("no model.torchscript.pt: the TorchScript export takes direct encoding only\n");
  }
  double mean_ips = 0;
  for (const EpochMetrics& m : outcome.epochs) mean_ips += m.images_per_second();
  mean_ips /= std::max<size_t>(1, outcome.epochs.size());
  std::printf("best epoch %lld (held-out %.2f%%); test accuracy %.2f%%", 
              static_cast<long long>(outcome.best_epoch), 100 * outcome.best_holdout_accuracy,
              100 * r.final_accuracy());
  if (config.snn()) {
    std::printf(" at T=%lld; by t:", static_cast<long long>(eo.timesteps));
    for (size_t i = 0; i < r.accuracy_at_t.size(); ++i) {
      std::printf(" %zu:%.2f", i + 1, 100 * r.accuracy_at_t[i]);
    }
  }
  std::printf("\ntraining %.0f s this invocation, mean %.0f images/s; results in %s\n",
              outcome.train_seconds, mean_ips, run_dir.c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains one model, an ANN teacher or an SNN student (LaSNN distillation or a baseline), "
      "and evaluates it on the test set at every t <= T.\n\n"
      "Why this beside `lasnn run`: `lasnn run --config=<experiment>.textproto` runs an "
      "experiment (teacher, student, method, evaluation, costs) and writes a run record for the "
      "reports; use it for results. This binary sits below the experiment layer and trains a "
      "single model into a run directory: resumable checkpoints (--resume), metrics.csv, "
      "best_weights.pt and a TorchScript export, data-parallel over c10d process groups "
      "(--world_size, --rank, --rendezvous). Use it to train or fine-tune one model, or to "
      "train across processes. Both validate the training config with the same bounds "
      "(lasnn/training/train_config_validation.h).\n\n"
      "  train --model=fmnist_vgg --epochs=15 --run_dir=/tmp/teacher\n"
      "  train --model=fmnist_student_small --snn --timesteps=4 --method=lasnn "
      "--teacher_model=fmnist_vgg --teacher_weights=/tmp/teacher/best_weights.pt "
      "--run_dir=/tmp/student\n\n"
      "--config takes a TrainRunConfig text file (lasnn/training/train_run.proto); the flags "
      "override its fields.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = lasnn::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
