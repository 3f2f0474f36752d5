// Reading scripted torch.jit modules for the TorchScript importer (torchscript_mapping.h): type
// names, the flattened sequence of a model's leaf modules, attributes. Internal to
// //lasnn/interop:torchscript_mapping.
#ifndef LASNN_LASNN_INTEROP_TORCHSCRIPT_MODULES_H_
#define LASNN_LASNN_INTEROP_TORCHSCRIPT_MODULES_H_

#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lasnn::torchscript_internal {

using torch::jit::Module;

// torch::nn::BatchNorm2d's eps, which every model here uses.
constexpr double kOurBatchNormEps = 1e-5;

// One module of the flattened sequence.
struct Item {
  std::string path;  // "0.1", "features.3"
  Module module;
  std::string type;
  // The first module of a top-level child of a non-Sequential module: what runs between the
  // children (typically torch.flatten) is not visible.
  bool starts_child = false;
};

// The class name of a scripted module ("Conv2d"), its qualified name, and whether it is a
// torch.nn class (a user class that happens to be called "Linear" is not).
std::string TypeName(const Module& m);
std::string QualifiedTypeName(const Module& m);
bool IsTorchNn(const Module& m);
bool IsSequential(const Module& m);

// The path of child `name` of the module at `prefix` ("features" + "3" -> "features.3"), as
// named_modules() spells it; not a file path.
std::string JoinModulePath(const std::string& prefix, const std::string& name);

// The names of the parameters and buffers `m` holds itself (not its children's), at most five.
std::string OwnTensors(const Module& m);

// Appends the leaves of Sequential `m` (nested Sequentials flattened) to `items`; a container
// holding its own parameters or buffers (which no Sequential uses) is a problem.
void CollectSequential(const Module& m, const std::string& prefix, bool starts_child,
                       std::vector<Item>& items, std::vector<std::string>& problems);

// Attribute `name` of `m`, if it has one.
std::optional<c10::IValue> Attr(const Module& m, const std::string& name);

// An int, or a tuple/list of ints, as a vector; nullopt for anything else.
std::optional<std::vector<int64_t>> Ints(const c10::IValue& v);
// "3" or "(3, 3)".
std::string IntsText(const std::vector<int64_t>& v);

// The child of `m` called `name`, if any.
std::optional<Module> Child(const Module& m, const std::string& name);

// A user module with the children of torchvision's BasicBlock: conv1, bn1, conv2, bn2, optional
// relu and downsample.
bool IsBasicBlock(const Module& m);

}  // namespace lasnn::torchscript_internal

#endif  // LASNN_LASNN_INTEROP_TORCHSCRIPT_MODULES_H_
