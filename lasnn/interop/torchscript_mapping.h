// The module-to-ModelSpec mapping behind ImportTorchScript (lasnn/interop/torchscript_import.h,
// which lists the supported torch.nn modules and structures): a scripted module's tree is
// flattened into its leaf modules in definition order, and each leaf becomes ModelSpec layers
// plus the tensors to copy into the ANN twin. Nothing here loads files or runs the module.
#ifndef LASNN_LASNN_INTEROP_TORCHSCRIPT_MAPPING_H_
#define LASNN_LASNN_INTEROP_TORCHSCRIPT_MAPPING_H_

#include <ATen/core/Tensor.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lasnn/models/model_spec.pb.h"

namespace lasnn {

// A TorchScript tensor (as stored: any dtype and device) for our parameter or buffer `ours`.
struct MappedTensor {
  std::string ours;    // name in Model::named_parameters/named_buffers: "layer0.conv.weight"
  std::string theirs;  // its TorchScript path: "0.0.weight", or "0.1.(affine=False: 1)"
  at::Tensor tensor;
};

struct TorchScriptMapping {
  // The layers only: name, input and num_classes are the caller's to set. Activations are ReLU;
  // conv batch_norm and bias, and linear bias, follow the TorchScript modules.
  ModelSpec spec;
  int64_t num_classes = 0;           // out_features of the last Linear; 0 if there is none
  std::vector<std::string> sources;  // per spec layer: "path (Type)" or "(implicit flatten ...)"
  std::vector<MappedTensor> tensors;
  // One line per module ("0.0 (Conv2d) -> layers[0] conv ...") and remarks (implicit flattens,
  // BN momentum, affine=False).
  std::vector<std::string> notes;
  // Every module that does not map and every structural problem, each naming the module by its
  // path and type ("2 (Conv2d): groups=2 ..."); empty when the mapping succeeded. When it is not
  // empty the other fields are partial.
  std::vector<std::string> problems;
};

// Maps `script` (an nn.Sequential, or a module whose children are all nn.Sequential run in
// order; with BasicBlocks among its modules, onto a ResNetSpec: `spec.resnet` is set and `sources`
// is empty). Never throws for a loaded module; reads attributes and tensors only.
TorchScriptMapping MapTorchScriptModule(const torch::jit::Module& script);

}  // namespace lasnn

#endif  // LASNN_LASNN_INTEROP_TORCHSCRIPT_MAPPING_H_
