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
#include "lasnn/interop/torchscript_modules.h"
#include "lasnn/interop/torchscript_resnet_mapping.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {
namespace {

using torchscript_internal::Attr;
using torchscript_internal::CollectSequential;
using torchscript_internal::Ints;
using torchscript_internal::IntsText;
using torchscript_internal::IsBasicBlock;
using torchscript_internal::IsSequential;
using torchscript_internal::IsTorchNn;
using torchscript_internal::JoinModulePath;
using torchscript_internal::Item;
using torchscript_internal::kOurBatchNormEps;
using torchscript_internal::MapResNet;
using torchscript_internal::Module;
using torchscript_internal::OwnTensors;
using torchscript_internal::QualifiedTypeName;
using torchscript_internal::TypeName;

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

}  // namespace

TorchScriptMapping MapTorchScriptModule(const Module& script) {
  TorchScriptMapping result;
  std::vector<Item> items;
  CollectTopLevel(script, items, result.problems);
  if (std::any_of(items.begin(), items.end(),
                  [](const Item& item) { return IsBasicBlock(item.module); })) {
    TorchScriptMapping resnet = MapResNet(items);
    resnet.problems.insert(resnet.problems.begin(), result.problems.begin(),
                           result.problems.end());
    return resnet;
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
