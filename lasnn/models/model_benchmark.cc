// Microbenchmarks of the model twins (model.h), 2 intra-op threads, float32, CPU:
//   BM_SpikingConvBlock/T     conv3x3(64->64)-BN-LIF on spikes [T, 32, 64, 16, 16] folded to
//                             [T*32, ...], forward + backward (sum of spikes as the loss).
//   BM_AnnConvBlock           the same block with ReLU on [32, 64, 16, 16], for scale.
//   BM_TrainStep_Snn/T        one training step (forward, cross-entropy, backward, SGD step) of
//                             the fmnist_cnn SNN at T, batch 64, direct encoding.
//   BM_TrainStep_Ann          the same step of its ANN twin.
// items_per_second counts images (batch samples). Run:
//   bazel run //lasnn:model_benchmark   (the .bazelrc builds with -c opt)
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <cstdint>

#include "lasnn/models/model.h"
#include "lasnn/core/neuron.h"
#include "lasnn/models/presets.h"

namespace lasnn {
namespace {

constexpr int kThreads = 2;

void ConvBlock(benchmark::State& state, bool snn) {
  at::set_num_threads(kThreads);
  torch::manual_seed(0);
  const int64_t t = snn ? state.range(0) : 1;
  constexpr int64_t kBatch = 32;
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(64, 64, 3).padding(1).bias(false));
  torch::nn::BatchNorm2d bn(64);
  // Input spikes at ~20% rate, [T*B, 64, 16, 16].
  const at::Tensor x = (at::rand({t * kBatch, 64, 16, 16}) < 0.2).to(at::kFloat);
  const NeuronOptions neuron;
  for (auto _ : state) {
    conv->zero_grad();
    bn->zero_grad();
    at::Tensor y = bn->forward(conv->forward(x));  // [T*B, 64, 16, 16]
    at::Tensor out = snn ? MultiStepNeuron(y.view({t, kBatch, 64, 16, 16}), neuron) : at::relu(y);
    out.sum().backward();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_SpikingConvBlock(benchmark::State& state) { ConvBlock(state, /*snn=*/true); }
void BM_AnnConvBlock(benchmark::State& state) { ConvBlock(state, /*snn=*/false); }

void TrainStep(benchmark::State& state, Mode mode) {
  at::set_num_threads(kThreads);
  torch::manual_seed(0);
  constexpr int64_t kBatch = 64;
  Model model = *BuildModel(*PresetModelSpec("fmnist_cnn"), mode);
  torch::optim::SGD sgd(model->parameters(),
                        torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
  const at::Tensor x = at::rand({kBatch, 1, 28, 28});
  const at::Tensor labels = at::randint(10, {kBatch}, at::kLong);
  ForwardOptions opts;
  opts.timesteps = mode == Mode::kSnn ? state.range(0) : 1;
  opts.taps = false;
  model->train();
  for (auto _ : state) {
    sgd.zero_grad();
    at::Tensor loss = at::cross_entropy_loss(model->forward(x, opts).logits, labels);
    loss.backward();
    sgd.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_TrainStep_Snn(benchmark::State& state) { TrainStep(state, Mode::kSnn); }
void BM_TrainStep_Ann(benchmark::State& state) { TrainStep(state, Mode::kAnn); }

BENCHMARK(BM_SpikingConvBlock)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AnnConvBlock)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainStep_Snn)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainStep_Ann)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lasnn
