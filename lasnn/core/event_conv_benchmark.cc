// Dense (at::conv2d, oneDNN in LibTorch) against event-driven (event_conv.h) convolution of spike
// inputs: the crossover firing rate per layer shape. Inputs are binary spikes [64, C_in, H, W]
// float32 at a given rate (uniform at random), 3x3 kernels, stride 1, padding 1, 2 intra-op
// threads; items are images. Shapes are the spike-fed convs of this project's Fashion-MNIST models:
//   fmnist_s:  16 -> 32 at 14x14 (fmnist_student_small's second conv)
//   cnn_c2:    32 -> 64 at 14x14 (fmnist_cnn's second conv)
//   vgg_c2:    32 -> 32 at 28x28 (fmnist_vgg's second conv)
//   vgg_c4:    64 -> 64 at 14x14 (fmnist_vgg's fourth conv)
// Run: bazel run //lasnn/core:event_conv_benchmark -- --benchmark_repetitions=3
//      --benchmark_report_aggregates_only=true [--benchmark_out=<file> --benchmark_out_format=json]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/utils.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lasnn/core/event_conv.h"

namespace lasnn {
namespace {

struct Shape {
  const char* name;
  int64_t cin, cout, hw;
};

constexpr Shape kShapes[] = {
    {"fmnist_s", 16, 32, 14}, {"cnn_c2", 32, 64, 14}, {"vgg_c2", 32, 32, 28}, {"vgg_c4", 64, 64, 14}};
constexpr int64_t kBatch = 64;

at::Tensor Spikes(const Shape& s, double rate) {
  torch::manual_seed(0);
  return (at::rand({kBatch, s.cin, s.hw, s.hw}) < rate).to(at::kFloat);
}

void Dense(benchmark::State& state, Shape s) {
  at::set_num_threads(2);
  const at::Tensor x = Spikes(s, state.range(0) / 100.0);
  const at::Tensor w = at::randn({s.cout, s.cin, 3, 3});
  const at::Tensor b = at::randn({s.cout});
  for (auto _ : state) benchmark::DoNotOptimize(at::conv2d(x, w, b, {1, 1}, {1, 1}));
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["rate"] = NonZeroFraction(x);
}

void EventDriven(benchmark::State& state, Shape s) {
  at::set_num_threads(2);
  const at::Tensor x = Spikes(s, state.range(0) / 100.0);
  const EventConvWeights w =
      MakeEventConvWeights(at::randn({s.cout, s.cin, 3, 3}), at::randn({s.cout}), 1, 1);
  for (auto _ : state) benchmark::DoNotOptimize(EventConv2d(x, w));
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["rate"] = NonZeroFraction(x);
}

const bool kRegistered = [] {
  for (const Shape& s : kShapes) {
    for (const auto& [kind, fn] :
         {std::pair<const char*, void (*)(benchmark::State&, Shape)>{"Dense", &Dense},
          {"EventDriven", &EventDriven}}) {
      benchmark::RegisterBenchmark((std::string(kind) + "/" + s.name).c_str(), fn, s)
          ->ArgName("rate_pct")
          ->Args({1})
          ->Args({2})
          ->Args({5})
          ->Args({10})
          ->Args({20})
          ->Args({30})
          ->Args({50})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace lasnn
