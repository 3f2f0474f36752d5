#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include "lasnn/model.h"
#include "lasnn/presets.h"
using namespace lasnn;
int main(int argc, char** argv) {
  at::set_num_threads(2);
  const bool snn = std::string(argv[1]) == "snn";
  const int t = std::atoi(argv[2]);
  const bool cl = argc > 3 && std::string(argv[3]) == "cl";
  Model model = *BuildModel(*PresetModelSpec("fmnist_cnn"), snn ? Mode::kSnn : Mode::kAnn);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  at::Tensor x = at::rand({64, 1, 28, 28});
  if (cl) { { torch::NoGradGuard g; for (auto& p : model->parameters()) if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast)); } x = x.contiguous(at::MemoryFormat::ChannelsLast);}
  at::Tensor y = at::randint(10, {64}, at::kLong);
  ForwardOptions o; o.timesteps = t; o.taps = false;
  auto step = [&] { sgd.zero_grad(); auto l = at::cross_entropy_loss(model->forward(x, o).logits, y); l.backward(); sgd.step(); };
  for (int i = 0; i < 5; ++i) step();
  auto s = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) step();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count() / 20;
  std::printf("%s T=%d: %.2f ms/step\n", argv[1], t, ms);
  if (argc > 4) {
    torch::autograd::profiler::RecordProfile g(argv[4]);
    for (int i = 0; i < 10; ++i) step();
  }
}
