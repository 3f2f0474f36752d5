#include "lasnn/interop/torchscript_mapping.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/api/module.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {
namespace {

using torch::jit::Module;

constexpr char kTorchNnPrefix[] = "__torch__.torch.nn.modules.";
constexpr double kOurBatchNormEps = 1e-5;

// The class name of a scripted module ("Conv2d"), and whether it is a torch.nn class (a user
// class that happens to be called "Linear" is not).
std::string TypeName(const Module& m) {
  const auto& name = m.type()->name();
  return name ? name->name() : std::string("<anonymous>");
}

std::string QualifiedTypeName(const Module& m) {
  const auto& name = m.type()->name();
  return name ? name->qualifiedName() : std::string("<anonymous>");
}

bool IsTorchNn(const Module& m) { return QualifiedTypeName(m).rfind(kTorchNnPrefix, 0) == 0; }

bool IsSequential(const Module& m) { return IsTorchNn(m) && TypeName(m) == "Sequential"; }

// The path of child `name` of the module at `prefix` ("features" + "3" -> "features.3"), as
// named_modules() spells it; not a file path.
std::string JoinModulePath(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : absl::StrCat(prefix, ".", name);
}

// One module of the flattened sequence.
struct Item {
  std::string path;  // "0.1", "features.3"
  Module module;
  std::string type;
  // The first module of a top-level child of a non-Sequential module: what runs between the
  // children (typically torch.flatten) is not visible.
  bool starts_child = false;
};

// The names of the parameters and buffers `m` holds itself (not its children's), at most five.
std::string OwnTensors(const Module& m) {
  std::vector<std::string> own;
  for (const auto& p : m.named_parameters(/*recurse=*/false)) own.push_back(p.name);
  for (const auto& b : m.named_buffers(/*recurse=*/false)) own.push_back(b.name);
  const size_t n = own.size();
  if (n > 5) own.resize(5);
  return absl::StrCat(absl::StrJoin(own, ", "),
                      n > 5 ? absl::StrCat(", ... (", n, " in all)") : "");
}

// Appends the leaves of Sequential `m` (nested Sequentials flattened) to `items`; a container
// holding its own parameters or buffers (which no Sequential uses) is a problem.
void CollectSequential(const Module& m, const std::string& prefix, bool starts_child,
                       std::vector<Item>& items, std::vector<std::string>& problems) {
  const std::string own = OwnTensors(m);
  if (!own.empty()) {
    problems.push_back(absl::StrCat(prefix.empty() ? "(top level)" : prefix, " (", TypeName(m),
                                    "): holds its own parameters/buffers (", own,
                                    ") that no mapped layer uses"));
  }
  for (const auto& child : m.named_children()) {
    const std::string path = JoinModulePath(prefix, child.name);
    if (IsSequential(child.value)) {
      CollectSequential(child.value, path, starts_child, items, problems);
    } else {
      items.push_back(Item{path, child.value, TypeName(child.value), starts_child});
    }
    starts_child = false;
  }
}

std::optional<c10::IValue> Attr(const Module& m, const std::string& name) {
  if (!m.hasattr(name)) return std::nullopt;
  return m.attr(name);
}

// An int, or a tuple/list of ints, as a vector; nullopt for anything else.
std::optional<std::vector<int64_t>> Ints(const c10::IValue& v) {
  if (v.isInt()) return std::vector<int64_t>{v.toInt()};
  if (v.isIntList()) return v.toIntVector();
  if (v.isTuple()) {
    std::vector<int64_t> out;
    for (const c10::IValue& e : v.toTupleRef().elements()) {
      if (!e.isInt()) return std::nullopt;
      out.push_back(e.toInt());
    }
    return out;
  }
  return std::nullopt;
}

std::string IntsText(const std::vector<int64_t>& v) {
  return v.size() == 1 ? absl::StrCat(v[0]) : absl::StrCat("(", absl::StrJoin(v, ", "), ")");
}

// Maps the module sequence to ModelSpec layers, collecting every problem.
class Mapper {
 public:
  void Map(const std::vector<Item>& items) {
    for (size_t i = 0; i < items.size(); ++i) {
      const Item& item = items[i];
      std::vector<std::string> why;
      missing_.clear();
      saw_linear_ |= item.type == "Linear";
      const bool after_conv =
          i > 0 && items[i - 1].type == "Conv2d" && IsTorchNn(items[i - 1].module);
      if (!IsTorchNn(item.module)) {
        why.push_back(absl::StrCat("unsupported module type (user class ",
                                   QualifiedTypeName(item.module), ")"));
      } else if (item.type == "Conv2d") {
        MapConv(item, why);
      } else if (item.type == "BatchNorm2d") {
        MapBatchNorm(item, after_conv, why);
      } else if (item.type == "ReLU") {
        AddLayer(item)->mutable_activation();
        Note(item, "activation (ReLU)");
      } else if (item.type == "MaxPool2d" || item.type == "AvgPool2d") {
        MapPool(item, why);
      } else if (item.type == "AdaptiveAvgPool2d") {
        MapAdaptivePool(item, why);
      } else if (item.type == "Flatten") {
        MapFlatten(item, why);
      } else if (item.type == "Linear") {
        MapLinear(item, why);
      } else if (item.type == "Dropout") {
        const std::optional<c10::IValue> p = Attr(item.module, "p");
        if (!p || !p->isDouble()) {
          Missing("p");
        } else {
          AddLayer(item)->mutable_dropout()->set_p(p->toDouble());
          Note(item, absl::StrCat("dropout p=", p->toDouble()));
        }
      } else if (item.type == "Identity") {
        notes.push_back(absl::StrCat(item.path, " (Identity) -> nothing"));
      } else {
        why.push_back("unsupported module type");
      }
      if (!missing_.empty()) {
        why.push_back(absl::StrCat(
            "lacks the hyper-parameter attribute(s) ", absl::StrJoin(missing_, ", "),
            " (a torch.jit.trace'd model keeps only weights: save torch.jit.script(model))"));
      }
      if (!why.empty()) {
        problems.push_back(
            absl::StrCat(item.path, " (", item.type, "): ", absl::StrJoin(why, "; ")));
      }
      last_conv_ = item.type == "Conv2d" && why.empty() ? spec.layers_size() - 1 : -1;
      last_conv_failed_ = item.type == "Conv2d" && !why.empty();
    }
    if (!items.empty()) CheckEndsWithClassifier();
  }

  ModelSpec spec;
  std::vector<std::string> sources;  // per spec layer: "path (Type)"
  std::vector<MappedTensor> tensors;
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  int64_t num_classes = 0;

 private:
  // Records a hyper-parameter attribute that the module lacks (reported once per module).
  void Missing(const std::string& name) { missing_.push_back(name); }

  // Whether the current module has a problem so far.
  bool Failed(const std::vector<std::string>& why) const {
    return !why.empty() || !missing_.empty();
  }

  Layer* AddLayer(const Item& item) {
    sources.push_back(absl::StrCat(item.path, " (", item.type, ")"));
    return spec.add_layers();
  }

  // The flatten that a top-level child starting with a Linear implies (see the header).
  void AddImplicitFlatten(const Item& item) {
    sources.push_back(absl::StrCat("(implicit flatten before ", item.path, ")"));
    spec.add_layers()->mutable_flatten();
    flat_ = true;
    notes.push_back(absl::StrCat("(implicit) -> layers[", spec.layers_size() - 1,
                                 "] flatten before ", item.path,
                                 ", which starts a top-level child after a feature map "
                                 "(the forward is assumed to flatten there; the logits check "
                                 "verifies it)"));
  }

  void Note(const Item& item, const std::string& what) {
    notes.push_back(absl::StrCat(item.path, " (", item.type, ") -> layers[", spec.layers_size() - 1,
                                 "] ", what));
  }

  void Copy(const std::string& ours, const Item& item, const std::string& theirs,
            const at::Tensor& t) {
    tensors.push_back(MappedTensor{ours, JoinModulePath(item.path, theirs), t});
  }

  // A square (all equal) hyper-parameter, or a problem.
  std::optional<int64_t> Square(const Item& item, const std::string& name,
                                std::vector<std::string>& why) {
    const std::optional<c10::IValue> v = Attr(item.module, name);
    if (!v) {
      Missing(name);
      return std::nullopt;
    }
    const std::optional<std::vector<int64_t>> ints = Ints(*v);
    if (!ints || ints->empty()) {
      why.push_back(absl::StrCat(name, " is not an int or a tuple of ints"));
      return std::nullopt;
    }
    if (std::adjacent_find(ints->begin(), ints->end(), std::not_equal_to<>()) != ints->end()) {
      why.push_back(absl::StrCat(name, "=", IntsText(*ints), " is not square"));
      return std::nullopt;
    }
    return (*ints)[0];
  }

  void RequireMap(std::vector<std::string>& why) {
    if (flat_) why.push_back("follows a Flatten (it needs a feature map)");
  }

  void MapConv(const Item& item, std::vector<std::string>& why) {
    const Module& m = item.module;
    RequireMap(why);
    const std::optional<c10::IValue> weight = Attr(m, "weight");
    if (!weight || !weight->isTensor() || weight->toTensor().dim() != 4) {
      why.push_back("has no 4-D weight");
      return;
    }
    const at::Tensor w = weight->toTensor();
    const std::optional<c10::IValue> groups = Attr(m, "groups");
    if (!groups || !groups->isInt()) {
      Missing("groups");
    } else if (groups->toInt() != 1) {
      why.push_back(absl::StrCat("groups=", groups->toInt(),
                                 " (grouped/depthwise convolutions are not supported)"));
    }
    const std::optional<int64_t> dilation = Square(item, "dilation", why);
    if (dilation && *dilation != 1) {
      why.push_back(absl::StrCat("dilation=", *dilation, " (only 1 is supported)"));
    }
    const std::optional<c10::IValue> mode = Attr(m, "padding_mode");
    if (!mode || !mode->isString()) {
      Missing("padding_mode");
    } else if (mode->toStringRef() != "zeros") {
      why.push_back(absl::StrCat("padding_mode='", mode->toStringRef(), "' (only 'zeros')"));
    }
    if (w.size(2) != w.size(3)) {
      why.push_back(absl::StrCat("kernel ", w.size(2), "x", w.size(3), " is not square"));
    }
    const int64_t k = w.size(2);
    const std::optional<int64_t> stride = Square(item, "stride", why);
    std::optional<int64_t> padding;
    const std::optional<c10::IValue> pad = Attr(m, "padding");
    if (pad && pad->isString()) {
      if (pad->toStringRef() == "valid") {
        padding = 0;
      } else if (pad->toStringRef() == "same" && k % 2 == 1) {
        padding = k / 2;
      } else {
        why.push_back(absl::StrCat("padding='", pad->toStringRef(), "' with kernel ", k,
                                   " is not symmetric"));
      }
    } else {
      padding = Square(item, "padding", why);
    }
    if (Failed(why) || !stride || !padding) return;
    const std::optional<c10::IValue> bias = Attr(m, "bias");
    const bool has_bias = bias && bias->isTensor();
    const int index = spec.layers_size();
    ConvLayer* conv = AddLayer(item)->mutable_conv();
    conv->set_out_channels(static_cast<int32_t>(w.size(0)));
    conv->set_kernel_size(static_cast<int32_t>(k));
    conv->set_stride(static_cast<int32_t>(*stride));
    conv->set_padding(static_cast<int32_t>(*padding));
    conv->set_batch_norm(false);
    conv->set_bias(has_bias);
    const std::string name = absl::StrCat("layer", index, ".conv.");
    Copy(name + "weight", item, "weight", w);
    if (has_bias) Copy(name + "bias", item, "bias", bias->toTensor());
    Note(item, absl::StrCat("conv ", w.size(1), "->", w.size(0), " ", k, "x", k, " stride ",
                            *stride, " padding ", *padding, has_bias ? ", bias" : ", no bias"));
  }

  void MapBatchNorm(const Item& item, bool after_conv, std::vector<std::string>& why) {
    const Module& m = item.module;
    if (!after_conv) {
      why.push_back("does not directly follow a Conv2d (only conv-BN pairs are supported)");
      return;
    }
    const std::optional<c10::IValue> eps = Attr(m, "eps");
    if (!eps || !eps->isDouble()) {
      Missing("eps");
    } else if (std::abs(eps->toDouble() - kOurBatchNormEps) > 1e-12) {
      why.push_back(absl::StrCat("eps=", eps->toDouble(), " (ours is fixed at 1e-5)"));
    }
    const std::optional<c10::IValue> mean = Attr(m, "running_mean");
    const std::optional<c10::IValue> var = Attr(m, "running_var");
    if (!mean || !mean->isTensor() || !var || !var->isTensor()) {
      why.push_back("has no running statistics (track_running_stats=False is not supported)");
    }
    if (Failed(why) || last_conv_failed_ || last_conv_ < 0) return;
    ConvLayer* conv = spec.mutable_layers(last_conv_)->mutable_conv();
    const int64_t channels = conv->out_channels();
    if (mean->toTensor().numel() != channels) {
      why.push_back(absl::StrCat("has ", mean->toTensor().numel(),
                                 " features but the conv before it has ", channels, " channels"));
      return;
    }
    conv->set_batch_norm(true);
    const std::string name = absl::StrCat("layer", last_conv_, ".bn.");
    const std::optional<c10::IValue> weight = Attr(m, "weight");
    const std::optional<c10::IValue> bias = Attr(m, "bias");
    if (weight && weight->isTensor() && bias && bias->isTensor()) {
      Copy(name + "weight", item, "weight", weight->toTensor());
      Copy(name + "bias", item, "bias", bias->toTensor());
    } else {
      const at::Tensor like = mean->toTensor();
      Copy(name + "weight", item, "(affine=False: 1)", at::ones_like(like));
      Copy(name + "bias", item, "(affine=False: 0)", at::zeros_like(like));
      notes.push_back(absl::StrCat(item.path,
                                   " (BatchNorm2d): affine=False; weight 1 and bias 0 "
                                   "become trainable parameters of the imported model"));
    }
    Copy(name + "running_mean", item, "running_mean", mean->toTensor());
    Copy(name + "running_var", item, "running_var", var->toTensor());
    const std::optional<c10::IValue> count = Attr(m, "num_batches_tracked");
    if (count && count->isTensor()) {
      Copy(name + "num_batches_tracked", item, "num_batches_tracked", count->toTensor());
    }
    notes.push_back(absl::StrCat(item.path, " (BatchNorm2d) -> layers[", last_conv_,
                                 "] batch norm of the conv"));
    const std::optional<c10::IValue> momentum = Attr(m, "momentum");
    if (momentum && !(momentum->isDouble() && std::abs(momentum->toDouble() - 0.1) < 1e-12)) {
      notes.push_back(absl::StrCat(
          item.path, " (BatchNorm2d): momentum ",
          momentum->isDouble() ? absl::StrCat(momentum->toDouble()) : std::string("None"),
          " is not kept (ours is 0.1; it matters only in training)"));
    }
  }

  void MapPool(const Item& item, std::vector<std::string>& why) {
    const Module& m = item.module;
    const bool max = item.type == "MaxPool2d";
    RequireMap(why);
    const std::optional<int64_t> k = Square(item, "kernel_size", why);
    // nn.MaxPool2d / nn.AvgPool2d store stride = kernel_size when it is not given.
    const std::optional<int64_t> stride = Square(item, "stride", why);
    const std::optional<int64_t> padding = Square(item, "padding", why);
    if (padding && *padding != 0) {
      why.push_back(absl::StrCat("padding=", *padding, " (pooling with padding is not supported)"));
    }
    const std::optional<c10::IValue> ceil = Attr(m, "ceil_mode");
    if (ceil && ceil->isBool() && ceil->toBool()) why.push_back("ceil_mode=True (only floor mode)");
    if (max) {
      const std::optional<int64_t> dilation = Square(item, "dilation", why);
      if (dilation && *dilation != 1) why.push_back(absl::StrCat("dilation=", *dilation));
      const std::optional<c10::IValue> indices = Attr(m, "return_indices");
      if (indices && indices->isBool() && indices->toBool()) why.push_back("return_indices=True");
    } else {
      const std::optional<c10::IValue> divisor = Attr(m, "divisor_override");
      if (divisor && !divisor->isNone()) why.push_back("divisor_override is set");
    }
    if (Failed(why) || !k || !stride) return;
    PoolLayer* pool = AddLayer(item)->mutable_pool();
    pool->set_kind(max ? PoolLayer::MAX : PoolLayer::AVG);
    pool->set_kernel_size(static_cast<int32_t>(*k));
    pool->set_stride(static_cast<int32_t>(*stride));
    Note(item, absl::StrCat(max ? "max" : "average", " pool ", *k, "x", *k, " stride ", *stride,
                            max ? " (note: conversion to an SNN rejects max pooling)" : ""));
  }

  void MapAdaptivePool(const Item& item, std::vector<std::string>& why) {
    RequireMap(why);
    const std::optional<c10::IValue> size = Attr(item.module, "output_size");
    const std::optional<std::vector<int64_t>> ints = size ? Ints(*size) : std::nullopt;
    if (!ints || ints->empty() ||
        std::any_of(ints->begin(), ints->end(), [](int64_t v) { return v != 1; })) {
      why.push_back("only output_size 1 or (1, 1) (global average pooling) is supported");
    }
    if (Failed(why)) return;
    PoolLayer* pool = AddLayer(item)->mutable_pool();
    pool->set_kind(PoolLayer::AVG);
    pool->set_global(true);
    Note(item, "global average pool");
  }

  void MapFlatten(const Item& item, std::vector<std::string>& why) {
    const std::optional<c10::IValue> start = Attr(item.module, "start_dim");
    const std::optional<c10::IValue> end = Attr(item.module, "end_dim");
    if (!start || !start->isInt() || !end || !end->isInt()) {
      Missing("start_dim");
      Missing("end_dim");
      flat_ = true;  // what the Flatten was meant to do; avoids follow-on complaints
      return;
    }
    if (start->toInt() != 1 || (end->toInt() != -1 && end->toInt() != 3)) {
      why.push_back(absl::StrCat("start_dim=", start->toInt(), ", end_dim=", end->toInt(),
                                 " (only start_dim=1, end_dim=-1)"));
      flat_ = true;
      return;
    }
    if (flat_) {
      notes.push_back(absl::StrCat(item.path, " (Flatten) -> nothing (the input is already flat)"));
      return;
    }
    AddLayer(item)->mutable_flatten();
    flat_ = true;
    Note(item, "flatten");
  }

  void MapLinear(const Item& item, std::vector<std::string>& why) {
    const std::optional<c10::IValue> weight = Attr(item.module, "weight");
    if (!weight || !weight->isTensor() || weight->toTensor().dim() != 2) {
      why.push_back("has no 2-D weight");
      return;
    }
    if (!flat_) {
      if (!item.starts_child) {
        why.push_back("is applied to a feature map without a Flatten before it");
        return;
      }
      AddImplicitFlatten(item);
    }
    const at::Tensor w = weight->toTensor();
    const std::optional<c10::IValue> bias = Attr(item.module, "bias");
    const bool has_bias = bias && bias->isTensor();
    const int index = spec.layers_size();
    LinearLayer* linear = AddLayer(item)->mutable_linear();
    linear->set_out_features(static_cast<int32_t>(w.size(0)));
    linear->set_in_features(static_cast<int32_t>(w.size(1)));
    linear->set_bias(has_bias);
    const std::string name = absl::StrCat("layer", index, ".");
    Copy(name + "weight", item, "weight", w);
    if (has_bias) Copy(name + "bias", item, "bias", bias->toTensor());
    last_linear_ = index;
    num_classes = w.size(0);
    Note(item, absl::StrCat("linear ", w.size(1), "->", w.size(0), has_bias ? "" : ", no bias"));
  }

  void CheckEndsWithClassifier() {
    if (!saw_linear_) {
      problems.push_back("(model): has no Linear layer; it must end with a Linear classifier");
    }
    if (last_linear_ < 0) return;
    for (int i = last_linear_ + 1; i < spec.layers_size(); ++i) {
      problems.push_back(absl::StrCat(sources[i],
                                      ": follows the last Linear (the classifier); an "
                                      "imported model must end with the classifier"));
    }
  }

  bool flat_ = false;
  int last_conv_ = -1;  // spec layer of the conv right before the current module, else -1
  bool last_conv_failed_ = false;
  int last_linear_ = -1;
  bool saw_linear_ = false;
  std::vector<std::string> missing_;
};

// The leaves of `script` in definition order (see the header for the accepted structures); every
// structural problem is appended to `problems`.
void CollectTopLevel(const Module& script, std::vector<Item>& items,
                     std::vector<std::string>& problems) {
  const std::string top = absl::StrCat("(top level) (", TypeName(script), ")");
  if (IsSequential(script)) {
    CollectSequential(script, "", /*starts_child=*/false, items, problems);
  } else if (script.named_children().size() == 0) {
    problems.push_back(
        absl::StrCat(top, ": has no submodules (a weights archive rather than a scripted model?)"));
    return;
  } else {
    bool structure_ok = true;
    for (const auto& child : script.named_children()) {
      if (IsSequential(child.value)) {
        CollectSequential(child.value, child.name, /*starts_child=*/true, items, problems);
      } else {
        structure_ok = false;
        problems.push_back(absl::StrCat(child.name, " (", TypeName(child.value),
                                        "): a direct child of the non-Sequential top-level module ",
                                        TypeName(script)));
      }
    }
    const std::string own = OwnTensors(script);
    if (!own.empty()) {
      problems.push_back(absl::StrCat(top, ": holds its own parameters/buffers (", own,
                                      "), which no mapped layer can hold"));
    }
    if (!structure_ok) {
      problems.push_back(absl::StrCat(top,
                                      ": only an nn.Sequential, or a module whose children are "
                                      "all nn.Sequential (run in order), can be imported"));
    }
  }
  if (items.empty() && problems.empty()) problems.push_back(absl::StrCat(top, ": has no modules"));
}

// The child of `m` called `name`, if any.
std::optional<Module> Child(const Module& m, const std::string& name) {
  for (const auto& c : m.named_children()) {
    if (c.name == name) return c.value;
  }
  return std::nullopt;
}

// A user module with the children of torchvision's BasicBlock: conv1, bn1, conv2, bn2, optional
// relu and downsample.
bool IsBasicBlock(const Module& m) {
  return !IsTorchNn(m) && Child(m, "conv1") && Child(m, "bn1") && Child(m, "conv2") &&
         Child(m, "bn2");
}

// Maps a ResNet of basic blocks (see torchscript_import.h) onto a ResNetSpec, our parameter names
// ("stem.conv.weight", "stage2_block0.shortcut.bn.bias", "classifier.weight", ...).
class ResNetMapper {
 public:
  void Map(const std::vector<Item>& items) {
    ResNetSpec* r = spec.mutable_resnet();
    size_t i = 0;
    // Stem: Conv2d (no bias, padding k / 2), BatchNorm2d, ReLU [, MaxPool2d(3, 2, 1)].
    const Item* conv = Next(items, i, "Conv2d", "the stem's Conv2d");
    const Item* bn = Next(items, i, "BatchNorm2d", "the stem's BatchNorm2d");
    Next(items, i, "ReLU", "the stem's ReLU");
    if (conv != nullptr && bn != nullptr) {
      const std::optional<ConvInfo> c = ReadConv(conv->module, conv->path);
      if (c) {
        if (c->k % 2 == 0 || c->padding != c->k / 2) {
          Problem(conv->path, "Conv2d", absl::StrCat("padding ", c->padding, " with kernel ", c->k,
                                                     " (the stem needs padding kernel_size / 2)"));
        }
        r->set_stem_channels(static_cast<int32_t>(c->out));
        r->set_stem_kernel_size(static_cast<int32_t>(c->k));
        r->set_stem_stride(static_cast<int32_t>(c->stride));
        Copy("stem.conv.weight", conv->path + ".weight", c->weight);
        ReadBn(bn->module, bn->path, "stem.bn.", c->out);
        notes.push_back(absl::StrCat(conv->path, " (Conv2d), ", bn->path,
                                     " (BatchNorm2d) -> resnet stem"));
      }
      width_ = c ? c->out : 0;
    }
    if (i < items.size() && items[i].type == "MaxPool2d" && IsTorchNn(items[i].module)) {
      r->set_stem_max_pool(true);
      notes.push_back(absl::StrCat(items[i].path, " (MaxPool2d) -> resnet stem_max_pool (3x3/2, "
                                   "padding 1; conversion to an SNN rejects max pooling)"));
      ++i;
    }
    // Basic blocks, grouped into stages: a block that changes the width or has stride != 1
    // starts a stage.
    int stage = -1, block = 0;
    for (; i < items.size() && IsBasicBlock(items[i].module); ++i) {
      const Item& b = items[i];
      const std::optional<ConvInfo> c1 = ReadConv(*Child(b.module, "conv1"), b.path + ".conv1");
      const std::optional<ConvInfo> c2 = ReadConv(*Child(b.module, "conv2"), b.path + ".conv2");
      if (!c1 || !c2) continue;
      if (stage < 0 || c1->stride != 1 || c1->out != width_) {
        ++stage;
        block = 0;
        r->add_stage_widths(static_cast<int32_t>(c1->out));
        r->add_blocks_per_stage(0);
        r->add_stage_strides(static_cast<int32_t>(c1->stride));
      }
      r->set_blocks_per_stage(stage, r->blocks_per_stage(stage) + 1);
      const std::string ours = absl::StrCat("stage", stage + 1, "_block", block++);
      if (c1->k != 3 || c1->padding != 1) {
        Problem(b.path + ".conv1", "Conv2d", "must be 3x3 with padding 1");
      }
      if (c2->k != 3 || c2->padding != 1 || c2->stride != 1 || c2->out != c1->out) {
        Problem(b.path + ".conv2", "Conv2d",
                "must be 3x3, stride 1, padding 1, with conv1's output channels");
      }
      Copy(ours + ".conv1.conv.weight", b.path + ".conv1.weight", c1->weight);
      ReadBn(*Child(b.module, "bn1"), b.path + ".bn1", ours + ".conv1.bn.", c1->out);
      Copy(ours + ".conv2.conv.weight", b.path + ".conv2.weight", c2->weight);
      ReadBn(*Child(b.module, "bn2"), b.path + ".bn2", ours + ".conv2.bn.", c2->out);
      const bool needs_conv = c1->stride != 1 || c1->in != c1->out;
      const std::optional<Module> down = Child(b.module, "downsample");
      const bool has_down = down && down->named_children().size() > 0;
      std::string shortcut = "identity";
      if (needs_conv != has_down) {
        Problem(b.path, TypeName(b.module),
                needs_conv ? "changes the stride or width but has no downsample (conv1x1, BN)"
                           : "has a downsample where the shape does not change (ours: identity)");
      } else if (has_down) {
        std::vector<Item> d;
        std::vector<std::string> ignored;
        if (IsSequential(*down)) CollectSequential(*down, b.path + ".downsample", false, d, ignored);
        if (d.size() != 2 || d[0].type != "Conv2d" || d[1].type != "BatchNorm2d") {
          Problem(b.path + ".downsample", TypeName(*down),
                  "must be nn.Sequential(nn.Conv2d(1x1), nn.BatchNorm2d)");
        } else if (const std::optional<ConvInfo> s = ReadConv(d[0].module, d[0].path)) {
          if (s->k != 1 || s->padding != 0 || s->stride != c1->stride || s->out != c1->out) {
            Problem(d[0].path, "Conv2d", "must be 1x1, padding 0, with conv1's stride and width");
          }
          Copy(ours + ".shortcut.conv.weight", d[0].path + ".weight", s->weight);
          ReadBn(d[1].module, d[1].path, ours + ".shortcut.bn.", s->out);
          shortcut = "conv1x1-BN shortcut";
        }
      }
      for (const auto& c : b.module.named_children()) {
        if (c.name != "conv1" && c.name != "bn1" && c.name != "conv2" && c.name != "bn2" &&
            c.name != "relu" && c.name != "downsample") {
          Problem(b.path + "." + c.name, TypeName(c.value),
                  "is not part of a basic block (conv1, bn1, relu, conv2, bn2, downsample)");
        }
      }
      notes.push_back(absl::StrCat(b.path, " (", TypeName(b.module), ") -> resnet.stage_widths[",
                                   stage, "] ", ours, ": ", c1->in, "->", c1->out, " stride ",
                                   c1->stride, ", ", shortcut));
      width_ = c1->out;
    }
    if (stage < 0) Problem("(model)", "ResNet", "has no basic block after the stem");
    // Head: AdaptiveAvgPool2d(1) [, Flatten], then (Linear, ReLU)*, Linear.
    const Item* pool = Next(items, i, "AdaptiveAvgPool2d", "a global AdaptiveAvgPool2d");
    if (pool != nullptr) {
      const std::optional<c10::IValue> size = Attr(pool->module, "output_size");
      const std::optional<std::vector<int64_t>> ints = size ? Ints(*size) : std::nullopt;
      if (!ints || ints->empty() ||
          std::any_of(ints->begin(), ints->end(), [](int64_t v) { return v != 1; })) {
        Problem(pool->path, pool->type, "only output_size 1 (global average pooling)");
      }
    }
    if (i < items.size() && items[i].type == "Flatten") ++i;
    int hidden = 0;
    while (i < items.size()) {
      const Item* lin = Next(items, i, "Linear", "a Linear");
      if (lin == nullptr) break;
      const std::optional<c10::IValue> w = Attr(lin->module, "weight");
      const std::optional<c10::IValue> b = Attr(lin->module, "bias");
      if (!w || !w->isTensor() || !b || !b->isTensor()) {
        Problem(lin->path, "Linear", "needs a weight and a bias");
        continue;
      }
      const bool last = i >= items.size();
      const std::string ours = last ? "classifier." : absl::StrCat("head", hidden, ".");
      Copy(ours + "weight", lin->path + ".weight", w->toTensor());
      Copy(ours + "bias", lin->path + ".bias", b->toTensor());
      if (last) {
        num_classes = w->toTensor().size(0);
        notes.push_back(absl::StrCat(lin->path, " (Linear) -> classifier"));
      } else {
        r->add_head_hidden(static_cast<int32_t>(w->toTensor().size(0)));
        Next(items, i, "ReLU", "a ReLU after a hidden Linear");
        notes.push_back(absl::StrCat(lin->path, " (Linear) -> resnet.head_hidden[", hidden, "]"));
        ++hidden;
      }
    }
    if (num_classes == 0) Problem("(model)", "ResNet", "does not end with a Linear classifier");
  }

  ModelSpec spec;
  std::vector<MappedTensor> tensors;
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  int64_t num_classes = 0;

 private:
  struct ConvInfo {
    int64_t in = 0, out = 0, k = 0, stride = 1, padding = 0;
    at::Tensor weight;
  };

  void Problem(const std::string& path, const std::string& type, const std::string& what) {
    problems.push_back(absl::StrCat(path, " (", type, "): ", what));
  }

  void Copy(const std::string& ours, const std::string& theirs, const at::Tensor& t) {
    tensors.push_back(MappedTensor{ours, theirs, t});
  }

  // items[i] if it is a torch.nn `type` (then ++i), else a problem naming what was expected.
  const Item* Next(const std::vector<Item>& items, size_t& i, const std::string& type,
                   const std::string& expected) {
    if (i >= items.size()) {
      problems.push_back(absl::StrCat("(model): ends where ResNet import expects ", expected));
      return nullptr;
    }
    const Item& item = items[i++];
    if (item.type != type || !IsTorchNn(item.module)) {
      Problem(item.path, item.type, absl::StrCat("ResNet import expects ", expected, " here"));
      return nullptr;
    }
    return &item;
  }

  // A square, ungrouped, undilated, zero-padded Conv2d without bias.
  std::optional<ConvInfo> ReadConv(const Module& m, const std::string& path) {
    if (TypeName(m) != "Conv2d" || !IsTorchNn(m)) {
      Problem(path, TypeName(m), "expected an nn.Conv2d");
      return std::nullopt;
    }
    const std::optional<c10::IValue> w = Attr(m, "weight");
    const std::optional<c10::IValue> bias = Attr(m, "bias");
    const std::optional<c10::IValue> groups = Attr(m, "groups");
    const std::optional<c10::IValue> stride = Attr(m, "stride");
    const std::optional<c10::IValue> padding = Attr(m, "padding");
    const std::optional<c10::IValue> dilation = Attr(m, "dilation");
    const std::optional<c10::IValue> mode = Attr(m, "padding_mode");
    const auto square = [](const std::optional<c10::IValue>& v) -> std::optional<int64_t> {
      const std::optional<std::vector<int64_t>> ints = v ? Ints(*v) : std::nullopt;
      if (!ints || ints->empty() ||
          std::adjacent_find(ints->begin(), ints->end(), std::not_equal_to<>()) != ints->end()) {
        return std::nullopt;
      }
      return (*ints)[0];
    };
    const std::optional<int64_t> s = square(stride), p = square(padding), d = square(dilation);
    if (!w || !w->isTensor() || w->toTensor().dim() != 4 || !groups || !groups->isInt() ||
        groups->toInt() != 1 || !s || !p || !d || *d != 1 || !mode || !mode->isString() ||
        mode->toStringRef() != "zeros" || w->toTensor().size(2) != w->toTensor().size(3)) {
      Problem(path, "Conv2d",
              "needs a square kernel, square int stride and padding, groups 1, dilation 1 and "
              "zero padding (a torch.jit.trace'd model lacks them: save torch.jit.script(model))");
      return std::nullopt;
    }
    if (bias && bias->isTensor()) {
      Problem(path, "Conv2d", "has a bias (ResNet convs are followed by BN and have none)");
      return std::nullopt;
    }
    const at::Tensor t = w->toTensor();
    return ConvInfo{t.size(1), t.size(0), t.size(2), *s, *p, t};
  }

  // A BatchNorm2d with running statistics, eps 1e-5 and `channels` features.
  void ReadBn(const Module& m, const std::string& path, const std::string& ours,
              int64_t channels) {
    const std::optional<c10::IValue> eps = Attr(m, "eps");
    const std::optional<c10::IValue> mean = Attr(m, "running_mean");
    const std::optional<c10::IValue> var = Attr(m, "running_var");
    const std::optional<c10::IValue> weight = Attr(m, "weight");
    const std::optional<c10::IValue> bias = Attr(m, "bias");
    if (TypeName(m) != "BatchNorm2d" || !IsTorchNn(m) || !eps || !eps->isDouble() ||
        std::abs(eps->toDouble() - kOurBatchNormEps) > 1e-12 || !mean || !mean->isTensor() ||
        !var || !var->isTensor() || !weight || !weight->isTensor() || !bias ||
        !bias->isTensor() || mean->toTensor().numel() != channels) {
      Problem(path, TypeName(m),
              absl::StrCat("needs an affine nn.BatchNorm2d(", channels,
                           ") with running statistics and eps 1e-5"));
      return;
    }
    Copy(ours + "weight", path + ".weight", weight->toTensor());
    Copy(ours + "bias", path + ".bias", bias->toTensor());
    Copy(ours + "running_mean", path + ".running_mean", mean->toTensor());
    Copy(ours + "running_var", path + ".running_var", var->toTensor());
    const std::optional<c10::IValue> count = Attr(m, "num_batches_tracked");
    if (count && count->isTensor()) {
      Copy(ours + "num_batches_tracked", path + ".num_batches_tracked", count->toTensor());
    }
  }

  int64_t width_ = 0;
};

}  // namespace

TorchScriptMapping MapTorchScriptModule(const Module& script) {
  TorchScriptMapping result;
  std::vector<Item> items;
  CollectTopLevel(script, items, result.problems);
  if (std::any_of(items.begin(), items.end(),
                  [](const Item& item) { return IsBasicBlock(item.module); })) {
    ResNetMapper mapper;
    mapper.Map(items);
    result.problems.insert(result.problems.end(), mapper.problems.begin(), mapper.problems.end());
    result.spec = std::move(mapper.spec);
    result.num_classes = mapper.num_classes;
    result.tensors = std::move(mapper.tensors);
    result.notes = std::move(mapper.notes);
    return result;
  }
  Mapper mapper;
  mapper.Map(items);
  result.problems.insert(result.problems.end(), mapper.problems.begin(), mapper.problems.end());
  result.spec = std::move(mapper.spec);
  result.num_classes = mapper.num_classes;
  result.sources = std::move(mapper.sources);
  result.tensors = std::move(mapper.tensors);
  result.notes = std::move(mapper.notes);
  return result;
}

}  // namespace lasnn
