#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
#include "lasnn/model.h"
int main() {
  at::set_num_threads(2);
  at::Tensor x0 = (at::rand({256, 32, 28, 28}) < 0.2).to(at::kFloat);
  for (int i = 0; i < 5; ++i) { auto s = std::chrono::steady_clock::now(); at::Tensor y = x0 * 2; std::printf("mul %.2f ms\n", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count()); }
  for (int i = 0; i < 3; ++i) { auto s = std::chrono::steady_clock::now(); at::Tensor y = x0.sum(); std::printf("sum %.2f ms\n", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count()); }
  for (int mine = 0; mine < 2; ++mine) {
    double fwd = 0, bwd = 0;
    for (int i = 0; i < 10; ++i) {
      at::Tensor x = x0.detach().requires_grad_(true);
      auto s = std::chrono::steady_clock::now();
      at::Tensor y = mine ? lasnn::MaxPool2d(x, 2, 2, 0) : at::max_pool2d(x, {2, 2}, {2, 2});
      auto m = std::chrono::steady_clock::now();
      y.backward(at::ones_like(y));
      auto e = std::chrono::steady_clock::now();
      if (i >= 3) { fwd += std::chrono::duration<double, std::milli>(m - s).count(); bwd += std::chrono::duration<double, std::milli>(e - m).count(); }
    }
    std::printf("mine=%d fwd %.2f bwd %.2f ms\n", mine, fwd / 7, bwd / 7);
  }
}
