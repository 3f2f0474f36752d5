#include "benchmarks/harness.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "baselines/conversion/conversion.h"
#include "benchmarks/experiment_config.h"
#include "benchmarks/synaptic_ops.h"
#include "datasets/batcher.h"
#include "datasets/dataset_info.h"
#include "datasets/load_dataset.h"
#include "datasets/rng.h"
#include "lasnn/checkpoint.h"
#include "lasnn/data_split.h"
#include "lasnn/evaluate.h"
#include "lasnn/model.h"
#include "lasnn/torchscript_import.h"
#include "lasnn/trainer.h"
#include "reports/record_io.h"
#include "util/build_info.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// First line of a shell command's output, or "" on failure.
std::string CommandOutput(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[512];
  std::string out;
  if (fgets(buffer, sizeof(buffer), pipe) != nullptr) out = buffer;
  pclose(pipe);
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
  }
  return "unknown";
}

// Reproducible GPU runs: deterministic cuDNN kernels, no autotuning (which picks kernels by
// timing), and deterministic algorithms where LibTorch has them. On the CPU these are no-ops but
// for the last, which is left off there so that CPU results keep their kernels.
void ApplyDeterminismSettings(const std::string& device) {
  at::globalContext().setDeterministicCuDNN(true);
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicAlgorithms(device != "cpu", /*warn_only=*/true);
}

Provenance MakeProvenance(const HarnessOptions& options, int threads, const std::string& device) {
  Provenance p;
  std::string dir = options.source_dir;
  if (dir.empty()) {
    const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    dir = ws != nullptr ? ws : ".";
  }
  std::string commit =
      CommandOutput(absl::StrCat("git -C ", ShellQuote(dir), " rev-parse HEAD 2>/dev/null"));
  if (commit.empty()) {
    commit = "unknown";
  } else if (!CommandOutput(absl::StrCat("git -C ", ShellQuote(dir),
                                         " status --porcelain --untracked-files=no 2>/dev/null"))
                  .empty()) {
    commit += "-dirty";
  }
  p.set_git_commit(commit);
  const BuildInfo& b = GetBuildInfo();
  p.set_libtorch_version(absl::StrCat(b.libtorch, b.libtorch_cuda ? " (CUDA)" : " (CPU)"));
  p.set_abseil_version(b.abseil);
  p.set_protobuf_version(b.protobuf);
  p.set_opencv_version(b.opencv);
  p.set_compiler(b.compiler);
  p.set_cpu_model(CpuModel());
  if (device != "cpu") p.set_gpu_model(device);
  p.set_threads(threads);
  p.set_date_utc(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0) p.set_hostname(host);
  p.set_command(options.command);
  const at::Context& context = at::globalContext();
  p.set_cudnn_deterministic(context.deterministicCuDNN());
  p.set_cudnn_benchmark(context.benchmarkCuDNN());
  p.set_deterministic_algorithms(context.deterministicAlgorithms());
  p.set_deterministic_algorithms_warn_only(context.deterministicAlgorithmsWarnOnly());
  return p;
}

// Normalised float images and labels of the given indices of a dataset.
absl::StatusOr<datasets::Batch> Gather(const datasets::Dataset& d,
                                       const std::vector<int64_t>& indices) {
  LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions o,
                         datasets::DefaultBatcherOptions(d.name, /*training=*/false));
  o.batch_size = std::max<int64_t>(1, static_cast<int64_t>(indices.size()));
  LASNN_ASSIGN_OR_RETURN(auto batcher, datasets::Batcher::Create(d, o));
  return batcher->MakeBatch(0, indices);
}

std::vector<int64_t> FirstIndices(int64_t n) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

RunRecord::Status FromRunStatus(RunStatus s) {
  switch (s) {
    case RunStatus::kOk: return RunRecord::OK;
    case RunStatus::kDiverged: return RunRecord::DIVERGED;
    case RunStatus::kCollapsed: return RunRecord::COLLAPSED;
  }
  return RunRecord::FAILED;
}

conversion::Normalisation NormalisationOf(Method m) {
  switch (m) {
    case CONVERSION_MAX: return conversion::Normalisation::kMax;
    case CONVERSION_ROBUST_PER_CHANNEL: return conversion::Normalisation::kRobustPerChannel;
    case SPIKE_NORM: return conversion::Normalisation::kSpikeNorm;
    case QCFS: return conversion::Normalisation::kQcfs;
    default: return conversion::Normalisation::kRobust;
  }
}

// A trained (or loaded) ANN with its results.
struct Ann {
  ModelSpec spec;
  Model model{nullptr};
  TeacherResult result;
};

}  // namespace

int64_t PeakMemoryBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      int64_t kb = 0;
      std::string number(absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")));
      if (absl::SimpleAtoi(number, &kb)) return kb * 1024;
    }
  }
  return 0;
}

void ResetPeakMemory() {
  std::ofstream out("/proc/self/clear_refs");
  if (out) out << "5";
}

bool HasFinishedRecord(const std::string& runs_dir, const std::string& hash) {
  absl::StatusOr<RunRecord> r = ReadRecord(JoinPath(runs_dir, hash + ".pb"));
  return r.ok() && (r->status() == RunRecord::OK || r->status() == RunRecord::DIVERGED ||
                    r->status() == RunRecord::COLLAPSED);
}

struct Harness::Impl {
  HarnessOptions options;
  std::map<std::string, datasets::DatasetSplits> data;  // by DatasetSpec text

  void Progress(const std::string& line) const {
    if (options.progress) {
      options.progress(line);
    } else {
      std::cerr << line << "\n";
    }
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

  TrainerOptions TrainerOpts(const std::string& dir, const ExperimentConfig& c) const {
    TrainerOptions o;
    o.run_dir = dir;
    o.resume = PathExists(JoinPath(dir, "checkpoint.pt"));
    o.device = c10::Device(c.device());
    o.progress = options.progress;
    return o;
  }

  // Accuracy, parameters, ops, latency and throughput of an ANN on `test`.
  absl::Status MeasureAnn(Ann& ann, const datasets::Dataset& test, const ExperimentConfig& c) {
    ann.model->eval();
    EvalOptions eo;
    eo.batch_size = 500;
    eo.device = c10::Device(c.device());
    LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(ann.model, test, eo));
    ann.result.set_model_name(ann.spec.name());
    ann.result.set_test_accuracy(r.final_accuracy());
    ann.result.set_parameters(CountParameters(*ann.model));
    LASNN_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(ann.spec));
    *ann.result.mutable_ops() = CountAnnOps(plan, c.energy());
    LASNN_ASSIGN_OR_RETURN(datasets::Batch batch,
                           Gather(test, FirstIndices(std::min<int64_t>(
                                            c.eval().throughput_batch(), test.images.size(0)))));
    return TorchCall("ANN timing", [&] {
      torch::NoGradGuard no_grad;
      std::vector<double> lat;
      batch.images = batch.images.to(c10::Device(c.device()));
      const at::Tensor one = batch.images.narrow(0, 0, 1);
      ForwardOptions fo;
      fo.taps = false;
      ann.model->forward(one, fo);
      for (int i = 0; i < c.eval().latency_repeats(); ++i) {
        const auto t0 = Clock::now();
        ann.model->forward(one, fo);
        lat.push_back(Seconds(t0) * 1e3);
      }
      ann.result.set_latency_ms(Median(lat));
      std::vector<double> tput;
      for (int i = 0; i < 3; ++i) {
        const auto t0 = Clock::now();
        ann.model->forward(batch.images, fo);
        tput.push_back(static_cast<double>(batch.images.size(0)) / Seconds(t0));
      }
      ann.result.set_throughput_img_s(Median(tput));
    });
  }

  // Trains `spec` as an ANN with `train` on `data` (or loads it from the cache directory `dir`).
  absl::StatusOr<Ann> TrainOrLoadAnn(const ModelSpec& spec, const TrainConfig& train,
                                     const ExperimentConfig& c, const std::string& dir,
                                     const datasets::DatasetSplits& splits) {
    Ann ann;
    ann.spec = spec;
    LASNN_ASSIGN_OR_RETURN(ann.model, BuildModel(spec, Mode::kAnn));
    const std::string weights = JoinPath(dir, "best_weights.pt");
    const std::string result_file = JoinPath(dir, "ann_result.pb");
    // Shards of a sweep (Slurm array tasks) share the cache: one trains, the others wait for it.
    LASNN_RETURN_IF_ERROR(MakeDirectories(dir));
    const std::string lock_path = JoinPath(dir, "lock");
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) return ErrnoToStatus(errno, "cannot open the cache lock", lock_path);
    struct FdLock {
      int fd;
      ~FdLock() { ::close(fd); }  // closing releases the flock
    } lock{lock_fd};
    if (::flock(lock_fd, LOCK_EX) != 0) {
      return ErrnoToStatus(errno, "cannot lock the cache", lock_path);
    }
    if (PathExists(result_file) && PathExists(weights)) {
      LASNN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(result_file));
      if (!ann.result.ParseFromString(bytes)) {
        return absl::DataLossError(absl::StrCat(result_file, " is corrupt; delete ", dir,
                                                " to retrain"));
      }
      LASNN_RETURN_IF_ERROR(LoadWeights(weights, *ann.model));
      LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(weights));
      if (sha != ann.result.weights_sha256()) {
        return absl::DataLossError(absl::StrCat(weights, " does not match the checksum in ",
                                                result_file, "; delete ", dir, " to retrain"));
      }
      ann.model->eval();
      ann.result.set_train_seconds(0);
      Progress(absl::StrFormat("  %s from the cache %s (test accuracy %.2f%%)", spec.name(), dir,
                               100 * ann.result.test_accuracy()));
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
    Progress(absl::StrFormat("  training ANN %s (%d epochs) in %s", spec.name(), train.epochs(),
                             dir));
    LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome, Train(run, ann.model, parts.train, parts.holdout,
                                                       nullptr, TrainerOpts(dir, c)));
    if (outcome.status != RunStatus::kOk) {
      return absl::AbortedError(absl::StrCat("ANN ", spec.name(), " training ",
                                             RunStatusName(outcome.status), ": ",
                                             outcome.message));
    }
    LASNN_RETURN_IF_ERROR(MeasureAnn(ann, splits.test, c));
    LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(weights));
    ann.result.set_weights_sha256(sha);
    double seconds = 0;
    for (const EpochMetrics& m : outcome.epochs) seconds += m.seconds;
    ann.result.set_train_seconds(seconds);
    LASNN_RETURN_IF_ERROR(WriteFileAtomically(result_file, ann.result.SerializeAsString()));
    Progress(absl::StrFormat("  %s: test accuracy %.2f%%, %.0f s", spec.name(),
                             100 * ann.result.test_accuracy(), seconds));
    return ann;
  }

  absl::StatusOr<Ann> Teacher(const ExperimentConfig& c, const datasets::DatasetSplits& splits) {
    const TeacherConfig& t = c.teacher();
    if (t.has_torchscript_file()) {
      // Bring your own teacher: a PyTorch nn.Sequential saved with TorchScript, mapped onto a
      // ModelSpec (lasnn/torchscript_import.h); what does not map is an error naming it.
      LASNN_ASSIGN_OR_RETURN(datasets::DatasetInfo info,
                             datasets::GetDatasetInfo(c.data().kind()));
      ImportOptions io;
      io.input_shape = {info.channels, info.height, info.width};
      LASNN_ASSIGN_OR_RETURN(ImportedModel imported, ImportTorchScript(t.torchscript_file(), io));
      for (const std::string& note : imported.notes) Progress("  import: " + note);
      Ann ann;
      ann.spec = imported.spec;
      ann.model = imported.model;
      LASNN_RETURN_IF_ERROR(MeasureAnn(ann, splits.test, c));
      LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(t.torchscript_file()));
      ann.result.set_weights_sha256(sha);
      return ann;
    }
    if (t.has_weights_file()) {
      Ann ann;
      ann.spec = t.model();
      LASNN_ASSIGN_OR_RETURN(ann.model, BuildModel(t.model(), Mode::kAnn));
      LASNN_RETURN_IF_ERROR(LoadWeights(t.weights_file(), *ann.model));
      LASNN_RETURN_IF_ERROR(MeasureAnn(ann, splits.test, c));
      LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(t.weights_file()));
      ann.result.set_weights_sha256(sha);
      return ann;
    }
    const std::string key = TeacherCacheKey(c);
    LASNN_ASSIGN_OR_RETURN(Ann ann, TrainOrLoadAnn(t.model(), t.train(), c,
                                                   JoinPath(CacheDir(), "teacher_" + key),
                                                   splits));
    ann.result.set_cache_key(key);
    return ann;
  }

  std::string CacheDir() const {
    return options.cache_dir.empty() ? JoinPath(options.runs_dir, "cache") : options.cache_dir;
  }

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
    const std::string dir = JoinPath(JoinPath(options.runs_dir, "work"), record.config_hash());
    LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome,
                           Train(run, model, parts.train, parts.holdout, t ? &*t : nullptr,
                                 TrainerOpts(dir, c)));
    double seconds = 0;
    for (const EpochMetrics& m : outcome.epochs) seconds += m.seconds;
    record.set_train_seconds(seconds);
    record.set_best_epoch(static_cast<int32_t>(outcome.best_epoch));
    record.set_train_steps(outcome.steps);
    record.set_status(FromRunStatus(outcome.status));
    if (outcome.status != RunStatus::kOk) {
      record.set_status_message(outcome.message);
      return absl::OkStatus();
    }
    record.set_student_name(c.student().name());
    record.set_student_parameters(CountParameters(*model));
    record.set_train_timesteps(train.timesteps());

    const auto t0 = Clock::now();
    EvalOptions eo;
    eo.timesteps = c.eval().t_max();
    eo.batch_size = train.eval_batch_size();
    eo.device = c10::Device(c.device());
    LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model, test, eo));
    record.set_eval_samples(static_cast<int32_t>(r.num_samples));
    for (double a : r.accuracy_at_t) record.add_accuracy_at_t(a);

    LASNN_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(c.student()));
    const int64_t n_rate = std::min<int64_t>(1000, test.images.size(0));
    LASNN_ASSIGN_OR_RETURN(datasets::Batch rate_batch, Gather(test, FirstIndices(n_rate)));
    LASNN_ASSIGN_OR_RETURN(
        datasets::Batch tput_batch,
        Gather(test, FirstIndices(std::min<int64_t>(c.eval().throughput_batch(),
                                                    test.images.size(0)))));
    model->eval();
    rate_batch.images = rate_batch.images.to(eo.device);
    tput_batch.images = tput_batch.images.to(eo.device);
    for (int T : c.eval().cost_timesteps()) {
      std::vector<double> rates;
      TimestepCost cost;
      cost.set_timesteps(T);
      LASNN_RETURN_IF_ERROR(TorchCall("SNN timing", [&] {
        torch::NoGradGuard no_grad;
        std::vector<double> spikes(plan.num_activations, 0), neurons(plan.num_activations, 0);
        for (int64_t s = 0; s < n_rate; s += 250) {
          ForwardOptions fo;
          fo.timesteps = T;
          fo.taps = false;
          fo.spike_stats = true;
          ModelOutput out = model->forward(
              rate_batch.images.narrow(0, s, std::min<int64_t>(250, n_rate - s)), fo);
          for (size_t k = 0; k < out.spike_stats.size(); ++k) {
            spikes[k] += out.spike_stats[k].spike_count.item<double>();
            neurons[k] += static_cast<double>(out.spike_stats[k].num_elements);
          }
        }
        for (int k = 0; k < plan.num_activations; ++k) {
          rates.push_back(neurons[k] > 0 ? spikes[k] / neurons[k] : 0);
        }
        ForwardOptions fast;
        fast.timesteps = T;
        fast.taps = false;
        const at::Tensor one = tput_batch.images.narrow(0, 0, 1);
        model->forward(one, fast);
        std::vector<double> lat, tput;
        for (int i = 0; i < c.eval().latency_repeats(); ++i) {
          const auto s0 = Clock::now();
          model->forward(one, fast);
          lat.push_back(Seconds(s0) * 1e3);
        }
        for (int i = 0; i < 3; ++i) {
          const auto s0 = Clock::now();
          model->forward(tput_batch.images, fast);
          tput.push_back(static_cast<double>(tput_batch.images.size(0)) / Seconds(s0));
        }
        cost.set_latency_ms(Median(lat));
        cost.set_throughput_img_s(Median(tput));
      }));
      LASNN_ASSIGN_OR_RETURN(*cost.mutable_ops(), CountSnnOps(plan, rates, T, c.energy()));
      if (T == train.timesteps()) {
        for (int k = 0; k < plan.num_activations; ++k) {
          LayerFiring* f = record.add_firing();
          f->set_rate(rates[k]);
        }
      }
      *record.add_costs() = cost;
    }
    // Layer names of the firing rates, in forward order.
    int k = 0;
    for (const PlannedLayer& l : plan.layers) {
      if (k >= record.firing_size()) break;
      if (l.kind == PlannedLayer::Kind::kActivation) {
        record.mutable_firing(k++)->set_layer(l.name);
      } else if (l.kind == PlannedLayer::Kind::kBasicBlock) {
        record.mutable_firing(k++)->set_layer(l.name + ".act1");
        if (k < record.firing_size()) record.mutable_firing(k++)->set_layer(l.name + ".act2");
      }
    }
    record.set_eval_seconds(Seconds(t0));
    return absl::OkStatus();
  }

  absl::Status RunConversion(const ExperimentConfig& c, const datasets::DatasetSplits& splits,
                             const datasets::Dataset& test, Ann& ann, RunRecord& record) {
    const ConversionConfig& v = c.conversion();
    datasets::Batch calibration;
    if (c.method() != QCFS) {
      const int64_t n_cal = std::min<int64_t>(v.calibration_size(), splits.train.images.size(0));
      std::vector<int64_t> perm =
          datasets::SeededPermutation(splits.train.images.size(0), v.calibration_seed());
      perm.resize(n_cal);
      LASNN_ASSIGN_OR_RETURN(calibration, Gather(splits.train, perm));
    }
    LASNN_ASSIGN_OR_RETURN(datasets::Batch test_batch,
                           Gather(test, FirstIndices(test.images.size(0))));
    const auto t0 = Clock::now();
    ann.model->to(at::kCPU);  // the converters and the IF simulation run on the CPU
    LASNN_ASSIGN_OR_RETURN(conversion::FoldedAnn folded, conversion::FoldBatchNorm(ann.model));
    conversion::ConversionOptions o;
    o.normalisation = NormalisationOf(c.method());
    o.percentile = v.percentile();
    o.reset_by_subtraction = v.reset_by_subtraction();
    o.init_membrane = c.method() == QCFS ? 0.5 : 0.0;
    o.spike_norm_timesteps = v.spike_norm_timesteps();
    LASNN_ASSIGN_OR_RETURN(conversion::ConvertedSnn snn,
                           conversion::Convert(folded, calibration.images, o));
    record.set_convert_seconds(Seconds(t0));
    record.set_student_name(ann.spec.name());
    record.set_student_parameters(ann.result.parameters());
    record.set_train_timesteps(0);

    const auto t1 = Clock::now();
    double ann_acc = 0;
    conversion::SimulationResult sim;
    LASNN_RETURN_IF_ERROR(TorchCall("conversion evaluation", [&] {
      ann_acc = conversion::FoldedForward(folded, test_batch.images)
                    .argmax(1)
                    .eq(test_batch.labels)
                    .to(at::kDouble)
                    .mean()
                    .item<double>();
      sim = conversion::Simulate(snn, test_batch.images, test_batch.labels, c.eval().t_max(), 250);
    }));
    record.set_ann_accuracy(ann_acc);
    record.set_eval_samples(static_cast<int32_t>(sim.num_samples));
    for (double a : sim.accuracy_at_t) record.add_accuracy_at_t(a);
    LASNN_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(ann.spec));
    int k = 0;
    for (const PlannedLayer& l : plan.layers) {
      if (l.kind != PlannedLayer::Kind::kActivation) continue;
      LayerFiring* f = record.add_firing();
      f->set_layer(l.name);
      f->set_rate(k < static_cast<int>(sim.firing_rates.size()) ? sim.firing_rates[k] : 0);
      ++k;
    }
    // Throughput of the step-by-step simulation on at most 64 images (long T is costly).
    const int64_t n_tput = std::min<int64_t>(std::min<int64_t>(c.eval().throughput_batch(), 64),
                                             test_batch.images.size(0));
    for (int T : c.eval().cost_timesteps()) {
      TimestepCost cost;
      cost.set_timesteps(T);
      std::vector<double> rates;
      LASNN_RETURN_IF_ERROR(TorchCall("conversion timing", [&] {
        const at::Tensor one = test_batch.images.narrow(0, 0, 1);
        std::vector<double> lat;
        const int repeats = std::max(3, c.eval().latency_repeats() * 4 / std::max(4, T));
        for (int i = 0; i < repeats; ++i) {
          const auto s0 = Clock::now();
          conversion::SimulateBatch(snn, one, T);
          lat.push_back(Seconds(s0) * 1e3);
        }
        const auto s0 = Clock::now();
        conversion::BatchSimulation b =
            conversion::SimulateBatch(snn, test_batch.images.narrow(0, 0, n_tput), T);
        cost.set_throughput_img_s(static_cast<double>(n_tput) / Seconds(s0));
        cost.set_latency_ms(Median(lat));
        for (size_t j = 0; j < b.spike_counts.size(); ++j) {
          rates.push_back(b.neuron_steps[j] > 0 ? b.spike_counts[j] / b.neuron_steps[j] : 0);
        }
      }));
      LASNN_ASSIGN_OR_RETURN(*cost.mutable_ops(), CountSnnOps(plan, rates, T, c.energy()));
      *record.add_costs() = cost;
    }
    record.set_eval_seconds(Seconds(t1));
    record.set_status(RunRecord::OK);
    return absl::OkStatus();
  }

  absl::Status Execute(const ExperimentConfig& c, RunRecord& record) {
    if (c.device() != "cpu" && !torch::cuda::is_available()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "device '", c.device(), "' requested, but this LibTorch has no CUDA or no GPU is "
          "visible; build with LIBTORCH_HOME=<CUDA LibTorch> or set device: \"cpu\""));
    }
    at::set_num_threads(c.threads());
    LASNN_ASSIGN_OR_RETURN(const datasets::DatasetSplits* splits, Data(c.data()));
    const datasets::Dataset test = c.eval().test_subset() > 0
                                       ? TakeFirst(splits->test, c.eval().test_subset())
                                       : splits->test;
    record.set_eval_subset(c.eval().test_subset());
    std::optional<Ann> teacher;
    if (NeedsTeacher(c.method())) {
      LASNN_ASSIGN_OR_RETURN(teacher, Teacher(c, *splits));
      *record.mutable_teacher() = teacher->result;
    }
    if (IsTrainedMethod(c.method())) {
      LASNN_RETURN_IF_ERROR(RunTrained(c, *splits, test, teacher, record));
      if (record.status() == RunRecord::OK) {
        if (teacher) {
          EvalOptions eo;
          eo.batch_size = 500;
          LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(teacher->model, test, eo));
          record.set_ann_accuracy(r.final_accuracy());
        }
      }
    } else if (c.method() == QCFS) {
      ModelSpec spec = teacher->spec;
      spec.set_name(spec.name() + "_qcfs");
      spec.mutable_activation()->set_kind(ActivationSpec::QCFS);
      spec.mutable_activation()->set_qcfs_levels(c.conversion().qcfs_levels());
      ExperimentConfig key = c;
      *key.mutable_teacher()->mutable_model() = spec;
      *key.mutable_teacher()->mutable_train() = c.conversion().qcfs_train();
      key.mutable_teacher()->clear_weights_file();
      const std::string dir = JoinPath(CacheDir(), "qcfs_" + TeacherCacheKey(key));
      LASNN_ASSIGN_OR_RETURN(Ann qcfs, TrainOrLoadAnn(spec, c.conversion().qcfs_train(), c, dir,
                                                      *splits));
      record.set_train_seconds(qcfs.result.train_seconds());
      LASNN_RETURN_IF_ERROR(RunConversion(c, *splits, test, qcfs, record));
    } else {
      LASNN_RETURN_IF_ERROR(RunConversion(c, *splits, test, *teacher, record));
    }
    if (record.status() == RunRecord::OK && !record.accuracy_at_t().empty() &&
        record.has_ann_accuracy()) {
      std::vector<double> acc(record.accuracy_at_t().begin(), record.accuracy_at_t().end());
      record.set_timesteps_within_1pt(static_cast<int32_t>(
          conversion::FirstTimestepWithin(acc, record.ann_accuracy(), 0.01)));
    }
    return absl::OkStatus();
  }
};

Harness::Harness(HarnessOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Harness::~Harness() = default;

absl::StatusOr<RunRecord> Harness::Run(const ExperimentConfig& resolved) {
  RunRecord record;
  record.set_config_hash(ConfigHash(resolved));
  *record.mutable_config() = resolved;
  ApplyDeterminismSettings(resolved.device());
  *record.mutable_provenance() =
      MakeProvenance(impl_->options, resolved.threads(), resolved.device());
  record.set_suite(impl_->options.suite);
  ResetPeakMemory();
  const auto t0 = Clock::now();
  absl::Status status = impl_->Execute(resolved, record);
  if (!status.ok()) {
    record.set_status(RunRecord::FAILED);
    record.set_status_message(std::string(status.message()));
  }
  record.set_peak_memory_bytes(PeakMemoryBytes());
  LASNN_RETURN_IF_ERROR(WriteRecord(impl_->options.runs_dir, record));
  const int t_max = record.accuracy_at_t_size();
  std::string summary;
  if (record.status() == RunRecord::OK && t_max > 0) {
    const int at = record.train_timesteps() > 0 ? record.train_timesteps() : t_max;
    summary = absl::StrFormat("accuracy %.2f%% at T=%d", 100 * record.accuracy_at_t(at - 1), at);
    if (record.has_ann_accuracy()) {
      absl::StrAppendFormat(&summary, " (ANN %.2f%%; within 1 point %s)",
                            100 * record.ann_accuracy(),
                            record.timesteps_within_1pt() > 0
                                ? absl::StrCat("from t=", record.timesteps_within_1pt())
                                : absl::StrCat("at no t <= ", t_max));
    }
  } else {
    summary = absl::StrCat(RunRecord::Status_Name(record.status()), ": ",
                           record.status_message());
  }
  impl_->Progress(absl::StrFormat("  -> %s [%s] %.0f s; record %s.pb", summary,
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
