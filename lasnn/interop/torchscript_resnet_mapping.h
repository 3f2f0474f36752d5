// The TorchScript importer's mapping of a ResNet of basic blocks (torchvision's BasicBlock
// pattern; see torchscript_import.h) onto a ResNetSpec. Internal to
// //lasnn/interop:torchscript_mapping.
#ifndef LASNN_LASNN_INTEROP_TORCHSCRIPT_RESNET_MAPPING_H_
#define LASNN_LASNN_INTEROP_TORCHSCRIPT_RESNET_MAPPING_H_

#include <vector>

#include "lasnn/interop/torchscript_mapping.h"
#include "lasnn/interop/torchscript_modules.h"

namespace lasnn::torchscript_internal {

// Maps the flattened top-level modules of a scripted ResNet (stem, basic blocks, global average
// pool, linear head) onto ModelSpec.resnet with our parameter names, collecting every problem.
TorchScriptMapping MapResNet(const std::vector<Item>& items);

}  // namespace lasnn::torchscript_internal

#endif  // LASNN_LASNN_INTEROP_TORCHSCRIPT_RESNET_MAPPING_H_
