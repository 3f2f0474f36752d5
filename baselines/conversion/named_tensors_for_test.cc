#include "baselines/conversion/named_tensors_for_test.h"

#include <torch/csrc/autograd/grad_mode.h>

namespace lasnn {

size_t SetNamedTensors(torch::nn::Module& module, const std::map<std::string, at::Tensor>& values) {
  torch::NoGradGuard no_grad;
  size_t set = 0;
  for (auto& p : module.named_parameters()) {
    const auto it = values.find(p.key());
    if (it == values.end()) continue;
    p.value().copy_(it->second);
    ++set;
  }
  for (auto& b : module.named_buffers()) {
    const auto it = values.find(b.key());
    if (it == values.end()) continue;
    b.value().copy_(it->second);
    ++set;
  }
  return set;
}

}  // namespace lasnn
