#include "benchmarks/distill_throughput.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "datasets/dataset.h"
#include "lasnn/models/model.h"
#include "lasnn/training/train_config.pb.h"
#include "lasnn/training/train_run.pb.h"
#include "lasnn/training/trainer.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

// Uniform noise images with random labels, shaped like `spec`'s input; named fashion_mnist so
// that the batcher normalises as in the reproduction.
datasets::Dataset SyntheticSet(const ModelSpec& spec, int64_t n) {
  torch::manual_seed(0);
  datasets::Dataset d;
  d.name = "fashion_mnist";
  d.split = "train";
  d.images = at::randint(0, 256, {n, spec.input().channels(), spec.input().height(),
                                  spec.input().width()},
                         at::kByte);
  d.labels = at::randint(0, spec.num_classes(), {n}, at::kLong);
  d.num_classes = spec.num_classes();
  return d;
}

TrainRunConfig Config(const ModelSpec& student, const ModelSpec& teacher,
                      DistillConfig::Method method, DistillConfig::Paradigm paradigm,
                      int timesteps, const DistillThroughputOptions& o) {
  TrainRunConfig c;
  *c.mutable_model() = student;
  *c.mutable_teacher() = teacher;
  c.set_snn(true);
  TrainConfig* t = c.mutable_train();
  t->set_epochs(2);
  t->set_batch_size(o.batch);
  t->set_timesteps(timesteps);
  t->set_threads(o.threads);
  t->set_max_steps_per_epoch(o.steps);
  t->set_log_every_steps(o.steps);
  t->set_collapse_epochs(0);
  t->mutable_augment()->set_crop_padding(2);  // as the Fashion-MNIST suites
  t->mutable_distill()->set_method(method);
  t->mutable_distill()->set_paradigm(paradigm);
  // CURRICULUM: the first pair alone in epoch 1, both from epoch 2 (stage_epochs 1).
  // STAGE_BY_STAGE: its default budgets, one phase per pair and one for the classifier.
  t->mutable_distill()->set_stage_epochs(1.0);
  return c;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "unset" : v;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
  }
  return "unknown";
}

}  // namespace

absl::StatusOr<std::vector<DistillRow>> MeasureDistillThroughput(
    const DistillThroughputOptions& o) {
  std::vector<DistillRow> rows;
  const datasets::Dataset train = SyntheticSet(o.teacher, static_cast<int64_t>(o.batch) * o.steps);
  const datasets::Dataset holdout;  // none: the epoch keeps the training accuracy
  torch::manual_seed(0);
  LASNN_ASSIGN_OR_RETURN(Model teacher_model, BuildModel(o.teacher, Mode::kAnn));
  Teacher teacher{teacher_model, "synthetic"};
  int run = 0;
  struct Variant {
    DistillConfig::Method method;
    DistillConfig::Paradigm paradigm;
    const char* name;
  };
  const Variant variants[] = {
      {DistillConfig::LOGIT_KD, DistillConfig::JOINT, "logit_kd"},
      {DistillConfig::LASNN, DistillConfig::JOINT, "lasnn_joint"},
      {DistillConfig::LASNN, DistillConfig::CURRICULUM, "lasnn_curriculum"},
      {DistillConfig::LASNN, DistillConfig::STAGE_BY_STAGE, "lasnn_stage_by_stage"}};
  for (const ModelSpec& student : o.students) {
    for (const Variant& v : variants) {
      const DistillConfig::Method method = v.method;
      const char* method_name = v.name;
      // The teacher run as built is compared on the joint rows only.
      std::vector<bool> paths = {true};
      if (o.compare_unfrozen && v.paradigm == DistillConfig::JOINT) paths.push_back(false);
      for (int t : o.timesteps) {
        for (bool frozen : paths) {
          DistillRow row;
          row.set_method(method_name);
          row.set_student(student.name());
          row.set_teacher(o.teacher.name());
          row.set_timesteps(t);
          row.set_teacher_path(frozen ? "frozen" : "as_built");
          row.set_steps(o.steps);
          std::vector<double> ips, whole;
          for (int r = 0; r < o.repeats; ++r) {
            torch::manual_seed(r);
            LASNN_ASSIGN_OR_RETURN(Model model, BuildModel(student, Mode::kSnn));
            TrainerOptions to;
            to.run_dir = JoinPath(o.scratch_dir, absl::StrCat("run", run++));
            to.progress = [](absl::string_view) {};
            to.freeze_teacher = frozen;
            LASNN_ASSIGN_OR_RETURN(
                TrainOutcome outcome,
                Train(Config(student, o.teacher, method, v.paradigm, t, o), model, train, holdout,
                      &teacher, to));
            if (outcome.epochs.size() != 2) {
              return absl::InternalError(absl::StrCat("distillation run ", to.run_dir,
                                                      " ended early: ", outcome.message));
            }
            std::error_code ignored;
            std::filesystem::remove_all(to.run_dir, ignored);
            ips.push_back(outcome.epochs[1].images_per_second());
            row.add_images_per_s(ips.back());
            double images = 0, seconds = 0;
            for (const EpochMetrics& e : outcome.epochs) {
              images += e.images_per_second() * e.seconds();
              seconds += e.seconds();
            }
            whole.push_back(seconds > 0 ? images / seconds : 0.0);
            row.add_images_per_s_whole_run(whole.back());
          }
          row.set_images_per_s_median(Median(ips));
          row.set_images_per_s_whole_run_median(Median(whole));
          rows.push_back(row);
        }
      }
    }
  }
  return rows;
}

Environment DescribeEnvironment(int threads) {
  Environment e;
  e.set_openblas_coretype(Env("OPENBLAS_CORETYPE"));
  e.set_openblas_l2_size(Env("OPENBLAS_L2_SIZE"));
  e.set_omp_num_threads(Env("OMP_NUM_THREADS"));
  e.set_omp_wait_policy(Env("OMP_WAIT_POLICY"));
  e.set_gomp_spincount(Env("GOMP_SPINCOUNT"));
  e.set_threads(threads);
  e.set_cpu_model(CpuModel());
  e.set_libtorch_version(TORCH_VERSION);
  e.set_parallel_info(at::get_parallel_info());
  // Read from the libraries LibTorch loaded (not linked directly: looked up at run time).
  using ConfigFn = char* (*)();
  if (auto fn = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    e.set_openblas_config(fn());
  }
  struct DnnlVersion {
    int major, minor, patch;
    const char* hash;
  };
  using DnnlFn = const DnnlVersion* (*)();
  if (auto fn = reinterpret_cast<DnnlFn>(dlsym(RTLD_DEFAULT, "dnnl_version"))) {
    const DnnlVersion* v = fn();
    e.set_onednn_version(absl::StrCat(v->major, ".", v->minor, ".", v->patch));
  }
  return e;
}

}  // namespace lasnn
