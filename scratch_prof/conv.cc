#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
int main() {
  at::set_num_threads(2);
  at::Tensor w = at::randn({64, 32, 3, 3}).requires_grad_(true);
  for (int64_t n : {64, 256, 512}) {
    at::Tensor x = (at::rand({n, 32, 14, 14}) < 0.2).to(at::kFloat).requires_grad_(true);
    for (int chunked = 0; chunked < 2; ++chunked) {
      double fwd = 0, bwd = 0;
      for (int i = 0; i < 8; ++i) {
        auto s = std::chrono::steady_clock::now();
        at::Tensor y;
        if (!chunked) y = at::conv2d(x, w, {}, 1, 1);
        else { std::vector<at::Tensor> parts; for (auto& c : x.split(64)) parts.push_back(at::conv2d(c, w, {}, 1, 1)); y = at::cat(parts); }
        auto m = std::chrono::steady_clock::now();
        y.backward(at::ones_like(y));
        auto e = std::chrono::steady_clock::now();
        if (i >= 3) { fwd += std::chrono::duration<double, std::milli>(m - s).count(); bwd += std::chrono::duration<double, std::milli>(e - m).count(); }
      }
      std::printf("n=%ld chunked=%d fwd %.2f bwd %.2f ms\n", n, chunked, fwd / 5, bwd / 5);
    }
  }
}
