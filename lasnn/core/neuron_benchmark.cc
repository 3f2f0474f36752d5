// Microbenchmarks of the multi-step neuron (neuron.h): the fused autograd function against the
// op-by-op autograd reference, forward only (no grad) and forward + backward, for
// T in {1, 2, 4, 8, 16} on one layer of the small CNN at batch 64: [T, 64, 32, 28, 28] float32,
// LIF defaults (decay 0.5, threshold 1, hard reset, triangle surrogate), 2 intra-op threads (and
// T = 8 on one thread).
//
// Memory counters (forward + backward benchmarks) come from a counting wrapper around LibTorch's
// CPU allocator, so they are bytes of live CPU tensor storage (not allocator overhead or RSS),
// measured in one extra untimed pass in a network-like setting (see MeasureMemory): relative to
// the bytes live before it (a leaf and the upstream gradient), with the neuron's input produced
// inside the pass by an op that saves nothing and dropped by the caller after forward:
//   fwd_MiB:   live after forward: the spikes plus everything the neuron keeps for backward,
//   peak_MiB:  peak during forward + backward (also counts the input itself, its gradient and
//              the leaf's gradient, the same for every variant),
//   input_MiB: the size of one [T, 64, 32, 28, 28] float32 tensor, for scale.
// Run: bazel run //lasnn:neuron_benchmark  (the .bazelrc builds with -c opt). The binary links
// jemalloc with the training binaries' settings (//lasnn:jemalloc_config: freed pages are kept for
// reuse). With jemalloc's defaults (MALLOC_CONF=dirty_decay_ms:10000 overrides them back), freed
// large tensors return to the kernel and every large output is page-faulted in again, which costs
// the fused neuron about 3x at T=8. On a shared machine, read the "min" rows of
// --benchmark_repetitions=N.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "lasnn/core/neuron.h"

namespace lasnn {
namespace {

// Delegates to LibTorch's default CPU allocator and counts live and peak bytes.
class CountingCpuAllocator final : public c10::Allocator {
 public:
  explicit CountingCpuAllocator(c10::Allocator* base) : base_(base) {}

  c10::DataPtr allocate(size_t n) const override {
    c10::DataPtr inner = base_->allocate(n);
    void* data = inner.get();
    const c10::Device device = inner.device();
    auto* context = new Context{std::move(inner), static_cast<int64_t>(n), this};
    const int64_t now = current_.fetch_add(n) + static_cast<int64_t>(n);
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return {data, context, &Delete, device};
  }

  int64_t current() const { return current_.load(); }
  int64_t peak() const { return peak_.load(); }
  void ResetPeak() { peak_.store(current_.load()); }

 private:
  struct Context {
    c10::DataPtr inner;
    int64_t bytes;
    const CountingCpuAllocator* owner;
  };

  static void Delete(void* ptr) {
    auto* context = static_cast<Context*>(ptr);
    context->owner->current_.fetch_sub(context->bytes);
    delete context;
  }

  c10::Allocator* base_;
  mutable std::atomic<int64_t> current_{0};
  mutable std::atomic<int64_t> peak_{0};
};

// Installs the counting allocator (once) and sets the intra-op thread count.
CountingCpuAllocator& Setup(int64_t threads) {
  static CountingCpuAllocator* allocator = [] {
    auto* a = new CountingCpuAllocator(c10::GetDefaultCPUAllocator());
    c10::SetCPUAllocator(a, /*priority=*/100);
    return a;
  }();
  at::set_num_threads(static_cast<int>(threads));
  return *allocator;
}

constexpr double kMiB = 1024.0 * 1024.0;

at::Tensor LayerInput(int64_t steps, uint64_t seed) {
  at::manual_seed(seed);
  return at::randn({steps, 64, 32, 28, 28}, at::kFloat) * 0.8 + 0.4;
}

using NeuronFn = at::Tensor (*)(const at::Tensor&, const NeuronOptions&);

void Forward(benchmark::State& state, NeuronFn fn) {
  Setup(state.range(1));
  const int64_t steps = state.range(0);
  const at::Tensor input = LayerInput(steps, 1);
  const NeuronOptions options;
  at::NoGradGuard no_grad;
  for (auto _ : state) {
    at::Tensor spikes = fn(input, options);
    benchmark::DoNotOptimize(spikes.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * input.numel());
}

// Bytes of CPU tensor storage for one forward + backward in a network-like setting: the neuron's
// input is produced inside the measured region by an op that saves nothing (as BN's output is in
// a network) and the caller drops it after forward, so it stays alive only if the neuron saves it.
struct MemoryFigures {
  int64_t after_forward;  // live after forward: spikes + whatever the neuron saved
  int64_t peak;           // peak over forward + backward
};

MemoryFigures MeasureMemory(NeuronFn fn, int64_t steps) {
  CountingCpuAllocator& allocator = Setup(at::get_num_threads());
  const at::Tensor leaf = LayerInput(steps, 1).requires_grad_(true);
  const at::Tensor upstream = LayerInput(steps, 2);
  const NeuronOptions options;
  const int64_t base = allocator.current();
  allocator.ResetPeak();
  MemoryFigures figures;
  {
    at::Tensor input = leaf * 1.0;
    at::Tensor spikes = fn(input, options);
    input.reset();
    figures.after_forward = allocator.current() - base;
    spikes.backward(upstream);
  }
  figures.peak = allocator.peak() - base;
  return figures;
}

void ForwardBackward(benchmark::State& state, NeuronFn fn) {
  Setup(state.range(1));
  const int64_t steps = state.range(0);
  at::Tensor input = LayerInput(steps, 1).requires_grad_(true);
  const at::Tensor upstream = LayerInput(steps, 2);
  const NeuronOptions options;
  for (auto _ : state) {
    input.mutable_grad() = at::Tensor();
    at::Tensor spikes = fn(input, options);
    spikes.backward(upstream);
  }
  state.SetItemsProcessed(state.iterations() * input.numel());
  const MemoryFigures memory = MeasureMemory(fn, steps);
  state.counters["fwd_MiB"] = memory.after_forward / kMiB;
  state.counters["peak_MiB"] = memory.peak / kMiB;
  state.counters["input_MiB"] = input.nbytes() / kMiB;
}

void BM_FusedForward(benchmark::State& state) { Forward(state, &MultiStepNeuron); }
void BM_ReferenceForward(benchmark::State& state) { Forward(state, &MultiStepNeuronReference); }
void BM_FusedForwardBackward(benchmark::State& state) { ForwardBackward(state, &MultiStepNeuron); }
void BM_ReferenceForwardBackward(benchmark::State& state) {
  ForwardBackward(state, &MultiStepNeuronReference);
}
// The CUDA path's tensor-op kernels, run on the CPU: what the fused function costs without the
// hand-written element loop.
void BM_TensorOpsForwardBackward(benchmark::State& state) {
  ForwardBackward(state, &neuron_internal::MultiStepNeuronTensorOps);
}

double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// Arguments: {T, intra-op threads}. T in {1, 2, 4, 8, 16} with 2 threads, plus T = 8 with one
// thread: on a machine shared with other jobs, per-op parallel regions (the reference runs dozens
// per call) wait for a second core, so the 1-thread row is the contention-robust comparison.
#define LASNN_NEURON_BENCHMARK(fn)    \
  BENCHMARK(fn)                       \
      ->ArgNames({"T", "threads"})    \
      ->Args({1, 2})                  \
      ->Args({2, 2})                  \
      ->Args({4, 2})                  \
      ->Args({8, 2})                  \
      ->Args({16, 2})                 \
      ->Args({8, 1})                  \
      ->Unit(benchmark::kMillisecond) \
      ->UseRealTime()                 \
      ->ComputeStatistics("min", Min)

LASNN_NEURON_BENCHMARK(BM_FusedForward);
LASNN_NEURON_BENCHMARK(BM_ReferenceForward);
LASNN_NEURON_BENCHMARK(BM_FusedForwardBackward);
LASNN_NEURON_BENCHMARK(BM_ReferenceForwardBackward);
LASNN_NEURON_BENCHMARK(BM_TensorOpsForwardBackward);

}  // namespace
}  // namespace lasnn
