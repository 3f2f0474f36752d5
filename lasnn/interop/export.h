// TorchScript export of a trained model (ANN teacher or SNN student), loadable with
// `torch.jit.load` in Python PyTorch and `torch::jit::load` in C++, with the same forward as our
// model in eval mode:
//   ANN: forward(x [B, C, H, W]) -> logits [B, K]
//   SNN: forward(x [B, C, H, W]) -> logits [B, K] averaged over the exported T (direct encoding),
//        and forward_steps(x) -> [T, B, K] cumulative mean logits (accuracy at every t <= T).
// C++ modules are not scriptable as such: the exporter writes TorchScript source for the model's
// plan (conv, batch norm in eval mode, pooling, linear, basic blocks, ReLU or the LIF/IF neuron
// with its reset), registers the trained parameters and buffers on a torch::jit::Module under the
// same names with '.' replaced by '_', and `define`s the methods. The file also holds a sample
// input and our model's output for it (`example_input`, `example_output`), so a loader can check
// that it reproduces our numbers (lasnn/interop/testdata/check_torchscript_export.py does).
#ifndef LASNN_LASNN_EXPORT_H_
#define LASNN_LASNN_EXPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lasnn/models/model.h"

namespace lasnn {

// The TorchScript source of `model`'s methods (for inspection and tests).
std::string TorchScriptSource(const Model& model, int64_t timesteps);

// Writes `model` (its current weights, eval-mode semantics) to `path` atomically. timesteps: T of
// the SNN's forward (ignored for an ANN), >= 1. InvalidArgument for bad arguments or an SNN whose
// encoder is not direct; errors naming the path when writing fails.
absl::Status ExportTorchScript(Model& model, int64_t timesteps, const std::string& path);

}  // namespace lasnn

#endif  // LASNN_LASNN_EXPORT_H_
