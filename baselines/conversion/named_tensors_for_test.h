// Test helper: sets a model's parameters and buffers by name from fixed values (the golden
// tests' PyTorch-written weights).
#ifndef LASNN_BASELINES_CONVERSION_NAMED_TENSORS_FOR_TEST_H_
#define LASNN_BASELINES_CONVERSION_NAMED_TENSORS_FOR_TEST_H_

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <map>
#include <string>

namespace lasnn {

// Copies values[name] into every parameter and buffer of `module` (and its submodules) so named,
// without recording gradients; returns how many were set, so a caller can check that every value
// found its tensor. Shapes must match (c10::Error otherwise).
size_t SetNamedTensors(torch::nn::Module& module, const std::map<std::string, at::Tensor>& values);

}  // namespace lasnn

#endif  // LASNN_BASELINES_CONVERSION_NAMED_TENSORS_FOR_TEST_H_
