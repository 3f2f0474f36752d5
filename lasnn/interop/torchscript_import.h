// "Bring your own teacher": imports an ANN trained in Python PyTorch and saved as TorchScript
// (torch.jit.save(torch.jit.script(model), path)) into a ModelSpec (lasnn/models/model_spec.proto)
// and the weights of its ANN twin (lasnn/models/model.h), so conversion (baselines/conversion) and
// distillation can start from it. Usage:
//
//   ImportOptions options;
//   options.input_shape = {1, 28, 28};
//   absl::StatusOr<ImportedModel> imported = ImportTorchScript("teacher.pt", options);
//   // imported->spec: the ModelSpec; imported->model: its ANN with the weights loaded;
//   // SaveWeights (lasnn/training/checkpoint.h) + ModelSpecToText store them
//   // (//lasnn/interop:import_torchscript).
//
// Supported models: an nn.Sequential (nested Sequentials are flattened) of
//   Conv2d (groups 1, dilation 1, zero padding, square kernel/stride/padding)  -> conv
//   BatchNorm2d directly after a Conv2d (eps 1e-5, running statistics)         -> the conv's BN
//   ReLU                                                                       -> activation
//   MaxPool2d / AvgPool2d (square, no padding, floor mode)                     -> pool MAX / AVG
//   AdaptiveAvgPool2d to 1x1                                                   -> global AVG pool
//   Flatten (start_dim 1)                                                      -> flatten
//   Linear                                                                     -> linear
//   Dropout                                                                    -> dropout
//   Identity                                                                   -> (nothing)
// ending with a Linear (the classifier; num_classes = its out_features).
// ResNets: when the sequence holds torchvision-style BasicBlocks (a user module with children
// conv1, bn1, conv2, bn2 [, relu] [, downsample = nn.Sequential(Conv2d 1x1, BatchNorm2d)], whose
// forward is relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))), the model maps onto a
// ResNetSpec instead of a layer list: stem Conv2d (no bias, padding k / 2)-BatchNorm2d-ReLU
// [-MaxPool2d], the blocks (3x3 convs without bias; a block that changes the width or the stride
// starts a stage; a downsample exactly where the shape changes, as ours), AdaptiveAvgPool2d(1)
// [-Flatten], (Linear-ReLU)* hidden layers, Linear classifier; every module off this pattern is
// named. The blocks' forward code is not read either: the logits check below verifies it.
// torchvision's own ResNet keeps its stem and stages as direct children of a non-Sequential
// module, which is refused as below; wrap them: nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool,
// m.layer1, ..., m.avgpool, nn.Flatten(), m.fc) (its 3x3/2 stem max pool imports, but conversion
// to an SNN refuses max pooling).
// A top-level module that
// is not a Sequential is accepted only when all its children are Sequentials: they are taken to run
// one after the other, with a flatten inserted where a Linear starts a child after a feature map
// (the usual `features -> torch.flatten(x, 1) -> classifier`).
//
// Limitation: TorchScript's forward code is not analysed. The importer assumes that the modules
// run in definition order, each on the previous one's output (true of nn.Sequential). It checks
// the structure it can see (the nn.Sequential containers, the torch.nn module types) and then
// checks the result numerically: the TorchScript module and the imported ANN must give the same
// logits in eval mode on a fixed random input, which catches a forward that does something else
// (scaling, skip connections, functional calls between the children). Models saved with
// torch.jit.trace lack the modules' hyper-parameters (stride, padding, ...) and are rejected:
// script them with torch.jit.script instead.
#ifndef LASNN_LASNN_TORCHSCRIPT_IMPORT_H_
#define LASNN_LASNN_TORCHSCRIPT_IMPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {

struct ImportOptions {
  // Per-sample input shape {C, H, W} the model was trained on (e.g. {1, 28, 28}).
  FeatureShape input_shape;
  // ModelSpec.name; empty: the file name without directory and extension.
  std::string name;
  // The logits check: max |TorchScript - ANN| <= tolerance * max(1, max |TorchScript logits|)
  // over `check_batch` inputs drawn from N(0, 1) with `check_seed` (the global RNG is untouched).
  double tolerance = 1e-4;
  int64_t check_batch = 4;
  uint64_t check_seed = 1234;
  // The file is first loaded in a forked child whose address space may grow by at most this many
  // MiB (RLIMIT_AS); a file that needs more is a DataLoss naming it. Must be > 0.
  int64_t probe_memory_limit_mb = 4096;
};

struct ImportedModel {
  ModelSpec spec;  // validated; ReLU activations, default neuron and encoder settings
  // The ANN twin (BuildModel(spec, Mode::kAnn)) with the TorchScript weights and BN statistics
  // copied in (as float32, on the CPU), in eval mode.
  Model model{nullptr};
  // Human-readable lines: one per TorchScript module ("0.0 (Conv2d) -> layers[0] conv ..."),
  // remarks (implicit flattens, dtype conversions, BN momentum), and the logits check's result.
  std::vector<std::string> notes;
};

// Imports the TorchScript file at `path`. Errors:
//   NotFound / PermissionDenied: `path` cannot be read (the message names it);
//   DataLoss: `path` is not a TorchScript archive (e.g. a torch.save'd state_dict);
//   InvalidArgument: bad options, or modules that do not map: the message names every such
//     module by its path and type ("2 (Conv2d): groups=2 ...", "3 (Sigmoid): unsupported module
//     type ..."), a non-Sequential structure, or weights whose shapes do not fit `input_shape`;
//   FailedPrecondition: the imported ANN's logits differ from the TorchScript module's (the
//     message gives the difference): its forward is not a plain sequential pass.
absl::StatusOr<ImportedModel> ImportTorchScript(const std::string& path,
                                                const ImportOptions& options);

// Parses "CxHxW" (e.g. "1x28x28", "3x32x32") into {C, H, W}; InvalidArgument otherwise.
absl::StatusOr<FeatureShape> ParseInputShape(absl::string_view text);

}  // namespace lasnn

#endif  // LASNN_LASNN_TORCHSCRIPT_IMPORT_H_
