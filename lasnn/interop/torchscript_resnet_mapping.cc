#include "lasnn/interop/torchscript_resnet_mapping.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn::torchscript_internal {
namespace {

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

TorchScriptMapping MapResNet(const std::vector<Item>& items) {
  TorchScriptMapping result;
  ResNetMapper mapper;
  mapper.Map(items);
  result.problems = std::move(mapper.problems);
  result.spec = std::move(mapper.spec);
  result.num_classes = mapper.num_classes;
  result.tensors = std::move(mapper.tensors);
  result.notes = std::move(mapper.notes);
  return result;
}

}  // namespace lasnn::torchscript_internal
