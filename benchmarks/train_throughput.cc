#include "benchmarks/train_throughput.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "benchmarks/distill_throughput.h"
#include "benchmarks/throughput_result.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/presets.h"
#include "util/file_util.h"
#include "util/memory_probe.h"
#include "util/status_macros.h"
#include "util/subprocess.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

using Clock = std::chrono::steady_clock;

// One training step: forward, cross-entropy, backward, SGD step.
// x: [B, C, H, W] float32, labels: [B] int64.
void TrainStep(Model& model, torch::optim::SGD& sgd, const at::Tensor& x, const at::Tensor& labels,
               int64_t timesteps) {
  ForwardOptions opts;
  opts.timesteps = timesteps;
  opts.taps = false;
  sgd.zero_grad();
  const at::Tensor loss = at::cross_entropy_loss(model->forward(x, opts).logits, labels);
  loss.backward();
  sgd.step();
}

torch::optim::SGD MakeSgd(Model& model) {
  return torch::optim::SGD(model->parameters(),
                           torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

TimingStats Summarise(const std::vector<double>& ms, int batch) {
  TimingStats s;
  s.set_iterations(static_cast<int>(ms.size()));
  s.set_median_ms(Quantile(ms, 0.5));
  s.set_min_ms(*std::min_element(ms.begin(), ms.end()));
  s.set_max_ms(*std::max_element(ms.begin(), ms.end()));
  s.set_p25_ms(Quantile(ms, 0.25));
  s.set_p75_ms(Quantile(ms, 0.75));
  s.set_images_per_s_median(1000.0 * batch / s.median_ms());
  s.set_images_per_s_min(1000.0 * batch / s.max_ms());
  s.set_images_per_s_max(1000.0 * batch / s.min_ms());
  return s;
}

struct Batch {
  at::Tensor x;       // [B, C, H, W] float32 in [0, 1)
  at::Tensor labels;  // [B] int64
};

Batch MakeBatch(const ModelPlan& plan, int batch) {
  torch::manual_seed(0);
  const FeatureShape& s = plan.input_shape;
  return Batch{at::rand({batch, s[0], s[1], s[2]}),
               at::randint(plan.num_classes, {batch}, at::kLong)};
}

ThroughputRow Measure(const ModelSpec& spec, Mode mode, int timesteps,
                      const ThroughputOptions& o) {
  torch::manual_seed(0);
  Model model = *BuildModel(spec, mode);
  const Batch batch = MakeBatch(model->plan(), o.batch);
  torch::optim::SGD sgd = MakeSgd(model);
  ThroughputRow row;
  row.set_mode(mode == Mode::kSnn ? "snn" : "ann");
  row.set_timesteps(timesteps);

  model->train();
  std::vector<double> ms;
  for (int i = 0; i < o.warmup + o.iters; ++i) {
    const auto start = Clock::now();
    TrainStep(model, sgd, batch.x, batch.labels, timesteps);
    const double elapsed =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (i >= o.warmup) ms.push_back(elapsed);
  }
  *row.mutable_train() = Summarise(ms, o.batch);

  model->eval();
  torch::NoGradGuard no_grad;
  ForwardOptions opts;
  opts.timesteps = timesteps;
  opts.taps = false;
  ms.clear();
  for (int i = 0; i < o.warmup + o.iters; ++i) {
    const auto start = Clock::now();
    at::Tensor logits = model->forward(batch.x, opts).logits;
    const double elapsed =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (i >= o.warmup) ms.push_back(elapsed);
  }
  *row.mutable_inference() = Summarise(ms, o.batch);
  return row;
}

// Delegates to LibTorch's CPU allocator and counts live and peak bytes of tensor storage (not
// oneDNN's internal scratch memory, not allocator overhead). Each block carries a 64-byte header
// with its size, so that the data pointer is also the context (raw_allocate needs that).
class CountingCpuAllocator final : public c10::Allocator {
 public:
  explicit CountingCpuAllocator(c10::Allocator* base) : base_(base) { self_ = this; }

  c10::DataPtr allocate(size_t n) const override {
    char* block = static_cast<char*>(base_->raw_allocate(n + kHeader));
    *reinterpret_cast<int64_t*>(block) = static_cast<int64_t>(n);
    void* data = block + kHeader;
    const int64_t now = current_.fetch_add(n) + static_cast<int64_t>(n);
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return {data, data, &Delete, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Delete; }

  int64_t current() const { return current_.load(); }
  int64_t peak() const { return peak_.load(); }
  void ResetPeak() { peak_.store(current_.load()); }

 private:
  static constexpr size_t kHeader = 64;  // keeps the data 64-byte aligned
  static void Delete(void* data) {
    if (data == nullptr) return;
    char* block = static_cast<char*>(data) - kHeader;
    self_->current_.fetch_sub(*reinterpret_cast<int64_t*>(block));
    self_->base_->raw_deleter()(block);
  }

  static CountingCpuAllocator* self_;
  c10::Allocator* base_;
  mutable std::atomic<int64_t> current_{0};
  mutable std::atomic<int64_t> peak_{0};
};
CountingCpuAllocator* CountingCpuAllocator::self_ = nullptr;

// Runs `argv` and returns its stdout. Internal if it cannot start or exits non-zero.
absl::StatusOr<std::string> RunChild(const std::vector<std::string>& args) {
  LASNN_ASSIGN_OR_RETURN(const ProcessResult r, RunProcess(args));
  if (!r.succeeded()) {
    return absl::InternalError(absl::StrCat("memory-measurement child ", absl::StrJoin(args, " "),
                                            " failed: ", r.output));
  }
  return r.output;
}

absl::StatusOr<PeakMemory> MeasurePeakMemory(const ThroughputOptions& o, const std::string& model,
                                             bool snn, int timesteps) {
  constexpr int kSteps = 3;
  LASNN_ASSIGN_OR_RETURN(
      const std::string out,
      RunChild({o.self_exe, absl::StrCat("--model=", model), absl::StrCat("--threads=", o.threads),
                absl::StrCat("--batch=", o.batch),
                absl::StrCat("--peak_memory_child=", snn ? "snn" : "ann", ":", timesteps, ":",
                             kSteps)}));
  PeakMemory m;
  m.set_mode(snn ? "snn" : "ann");
  m.set_timesteps(timesteps);
  m.set_steps(kSteps);
  m.set_method(
      "fresh process; VmHWM after the steps minus VmRSS before them, with the high-water mark "
      "reset through /proc/self/clear_refs");
  for (absl::string_view part : absl::StrSplit(absl::StripAsciiWhitespace(out), ' ')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, '=');
    int64_t v = 0;
    if (!absl::SimpleAtoi(kv.second, &v)) continue;
    if (kv.first == "peak_above_baseline_bytes") m.set_peak_above_baseline_bytes(v);
    if (kv.first == "baseline_rss_bytes") m.set_baseline_rss_bytes(v);
    if (kv.first == "peak_tensor_bytes") m.set_peak_tensor_bytes(v);
    if (kv.first == "hwm_not_reset") m.set_method("fresh process; VmHWM minus VmRSS (reset failed)");
  }
  return m;
}

std::string Spread(const TimingStats& s) {
  return absl::StrFormat("%7.1f %7.1f %7.1f %7.1f", s.min_ms(),
                         s.p25_ms(), s.p75_ms(), s.max_ms());
}

void PrintTable(const ThroughputResult& r) {
  std::printf("model %s (%s): %lld parameters, batch %d, %d threads, %d warm-up + %d timed "
              "iterations\n\n",
              r.model_name().c_str(), r.model_path().c_str(),
              static_cast<long long>(r.parameters()), r.batch(), r.threads(), r.warmup(),
              r.iters());
  std::printf("%-4s %3s | %-46s | %-46s\n", "", "", "train step (fwd+CE+bwd+SGD)",
              "inference (eval, no grad)");
  std::printf("%-4s %3s | %7s %8s %7s %7s %7s %7s | %7s %8s %7s %7s %7s %7s\n", "mode", "T",
              "img/s", "med ms", "min", "p25", "p75", "max", "img/s", "med ms", "min", "p25",
              "p75", "max");
  for (const ThroughputRow& row : r.rows()) {
    const TimingStats& t = row.train();
    const TimingStats& i = row.inference();
    std::printf("%-4s %3d | %7.0f %8.2f %s | %7.0f %8.2f %s\n", row.mode().c_str(),
                row.timesteps(), t.images_per_s_median(), t.median_ms(), Spread(t).c_str(),
                i.images_per_s_median(), i.median_ms(), Spread(i).c_str());
  }
  std::printf("\nSNN step / (T x ANN step), medians (target for training: <= 1.3 at T = 4, 8):\n");
  for (const StepRatio& s : r.ratios()) {
    std::printf("  T=%d  train %.2f   inference %.2f\n", s.timesteps(), s.train_ratio(),
                s.inference_ratio());
  }
  if (!r.distill().empty()) {
    std::printf("\ndistillation step, lasnn::Train on synthetic %s-shaped data, teacher %s "
                "(img/s, median of the repeats; 2nd epoch, and the whole two-epoch run):\n",
                "Fashion-MNIST", r.distill(0).teacher().c_str());
    std::printf("  %-20s %-22s %3s %-9s %8s %10s\n", "method", "student", "T", "teacher",
                "img/s", "whole run");
    for (const DistillRow& d : r.distill()) {
      std::printf("  %-20s %-22s %3d %-9s %8.0f %10.0f\n", d.method().c_str(),
                  d.student().c_str(), d.timesteps(), d.teacher_path().c_str(),
                  d.images_per_s_median(), d.images_per_s_whole_run_median());
    }
  }
  const Environment& e = r.environment();
  std::printf("\nenvironment: threads %d, OMP_NUM_THREADS=%s OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s "
              "OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s\n  CPU %s; LibTorch %s; oneDNN %s; "
              "OpenBLAS %s\n",
              e.threads(), e.omp_num_threads().c_str(), e.omp_wait_policy().c_str(),
              e.gomp_spincount().c_str(), e.openblas_coretype().c_str(),
              e.openblas_l2_size().c_str(), e.cpu_model().c_str(), e.libtorch_version().c_str(),
              e.onednn_version().c_str(), e.openblas_config().c_str());
  if (r.memory().empty()) return;
  std::printf("\npeak memory of the training step (%s):\n",
              r.memory().empty() ? "-" : r.memory(0).method().c_str());
  for (const PeakMemory& m : r.memory()) {
    std::printf("  %s T=%d: %6.1f MiB resident above a baseline of %.1f MiB; peak live tensor "
                "storage %6.1f MiB above the pre-step level (%d steps)\n",
                m.mode().c_str(), m.timesteps(), m.peak_above_baseline_bytes() / 1048576.0,
                m.baseline_rss_bytes() / 1048576.0, m.peak_tensor_bytes() / 1048576.0,
                m.steps());
  }
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return JoinPath(cwd, path);
}

}  // namespace

absl::Status RunPeakMemoryChild(const ThroughputOptions& o, bool snn, int timesteps, int steps) {
  at::set_num_threads(o.threads);
  auto* counting = new CountingCpuAllocator(c10::GetDefaultCPUAllocator());
  c10::SetCPUAllocator(counting, /*priority=*/100);
  LASNN_ASSIGN_OR_RETURN(const ModelSpec spec, LoadModelSpecFile(o.model_path));
  return TorchCall("peak memory child", [&]() -> absl::Status {
    torch::manual_seed(0);
    LASNN_ASSIGN_OR_RETURN(Model model, BuildModel(spec, snn ? Mode::kSnn : Mode::kAnn));
    const Batch batch = MakeBatch(model->plan(), o.batch);
    torch::optim::SGD sgd = MakeSgd(model);
    model->train();
    const bool reset = ResetPeakResident().ok();
    const int64_t baseline = ReadProcStatusBytes("VmRSS").value_or(-1);
    const int64_t tensors_before = counting->current();
    counting->ResetPeak();
    for (int i = 0; i < steps; ++i) TrainStep(model, sgd, batch.x, batch.labels, timesteps);
    const int64_t hwm = ReadProcStatusBytes("VmHWM").value_or(-1);
    std::printf("peak_above_baseline_bytes=%lld baseline_rss_bytes=%lld peak_tensor_bytes=%lld%s\n",
                static_cast<long long>(hwm - baseline), static_cast<long long>(baseline),
                static_cast<long long>(counting->peak() - tensors_before),
                reset ? "" : " hwm_not_reset=1");
    std::fflush(stdout);
    return absl::OkStatus();
  });
}

absl::Status RunTrainThroughput(const ThroughputOptions& o) {
  if (o.iters < 1) return absl::InvalidArgumentError("--iters must be >= 1");
  if (o.warmup < 0) return absl::InvalidArgumentError("--warmup must be >= 0");
  if (o.threads < 1) return absl::InvalidArgumentError("--threads must be >= 1");
  if (o.distill_steps < 1 || o.distill_repeats < 1) {
    return absl::InvalidArgumentError("--distill_steps and --distill_repeats must be >= 1");
  }
  at::set_num_threads(o.threads);
  LASNN_ASSIGN_OR_RETURN(const ModelSpec spec, LoadModelSpecFile(o.model_path));
  LASNN_ASSIGN_OR_RETURN(const ModelPlan plan, PlanModel(spec));

  ThroughputResult result;
  result.set_model_name(spec.name());
  result.set_model_path(o.model_path);
  result.set_batch(o.batch);
  result.set_threads(o.threads);
  result.set_warmup(o.warmup);
  result.set_iters(o.iters);
  result.set_parameters(plan.num_parameters);

  LASNN_RETURN_IF_ERROR(TorchCall("throughput", [&]() {
    *result.add_rows() = Measure(spec, Mode::kAnn, 1, o);
    for (int t : o.timesteps) *result.add_rows() = Measure(spec, Mode::kSnn, t, o);
  }));
  const ThroughputRow& ann = result.rows(0);  // Measure added the ANN row first
  for (const ThroughputRow& row : result.rows()) {
    if (row.mode() != "snn" || row.timesteps() < 2) continue;
    StepRatio* r = result.add_ratios();
    r->set_timesteps(row.timesteps());
    r->set_train_ratio(row.train().median_ms() / (row.timesteps() * ann.train().median_ms()));
    r->set_inference_ratio(row.inference().median_ms() /
                           (row.timesteps() * ann.inference().median_ms()));
  }
  if (!o.distill_students.empty()) {
    DistillThroughputOptions d;
    LASNN_ASSIGN_OR_RETURN(d.teacher, PresetModelSpec(o.distill_teacher));
    for (const std::string& name : o.distill_students) {
      LASNN_ASSIGN_OR_RETURN(d.students.emplace_back(), PresetModelSpec(name));
    }
    d.timesteps = o.distill_timesteps;
    d.batch = o.batch;
    d.steps = o.distill_steps;
    d.repeats = o.distill_repeats;
    d.threads = o.threads;
    d.compare_unfrozen = o.distill_compare_unfrozen;
    const char* tmp = std::getenv("TEST_TMPDIR");
    d.scratch_dir = JoinPath(tmp != nullptr ? tmp : "/tmp",
                             absl::StrCat("train_throughput_distill.", getpid()));
    LASNN_ASSIGN_OR_RETURN(const std::vector<DistillRow> rows, MeasureDistillThroughput(d));
    for (const DistillRow& row : rows) *result.add_distill() = row;
  }
  *result.mutable_environment() = DescribeEnvironment(o.threads);
  const std::string model = Absolute(o.model_path);
  if (o.memory) {
    LASNN_ASSIGN_OR_RETURN(*result.add_memory(), MeasurePeakMemory(o, model, false, 1));
    for (int t : o.memory_timesteps) {
      LASNN_ASSIGN_OR_RETURN(*result.add_memory(), MeasurePeakMemory(o, model, true, t));
    }
  }

  PrintTable(result);
  if (!o.json_path.empty()) {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    print.preserve_proto_field_names = true;
    const auto st = google::protobuf::util::MessageToJsonString(result, &json, print);
    if (!st.ok()) return absl::InternalError(absl::StrCat("JSON: ", st.ToString()));
    LASNN_RETURN_IF_ERROR(WriteFileAtomically(o.json_path, json));
    std::printf("\nwrote %s\n", o.json_path.c_str());
  }
  return absl::OkStatus();
}

}  // namespace lasnn
