#include "lasnn/models/model_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "util/status_macros.h"
#include "util/text_proto.h"

namespace lasnn {
namespace {

using Kind = PlannedLayer::Kind;

std::string ShapeString(const FeatureShape& s) { return absl::StrJoin(s, "x"); }

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", what));
}

// Caps that keep every size computation far from int64 overflow and reject absurd specs before
// anything is allocated.
constexpr int64_t kMaxDimension = int64_t{1} << 20;        // channels, features, widths, classes
constexpr int64_t kMaxSpatial = int64_t{1} << 16;          // input height / width, kernel, padding
constexpr int64_t kMaxKernel = 1024;
constexpr int64_t kMaxElementsPerSample = int64_t{1} << 31;  // any layer's output
constexpr int64_t kMaxParameters = int64_t{1} << 33;

absl::Status RequirePositive(const std::string& field, bool has, int64_t value,
                             int64_t max = kMaxDimension) {
  if (!has || value <= 0) return Invalid(field, "must be > 0");
  if (value > max) return Invalid(field, absl::StrCat("must be <= ", max, ", got ", value));
  return absl::OkStatus();
}

int64_t Elements(const FeatureShape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t ConvParams(int64_t in, int64_t out, int64_t k, bool bn, bool bias) {
  return in * out * k * k + (bias ? out : 0) + (bn ? 2 * out : 0);
}

// Output size of a window of `k` with `stride` and `padding` over `n`; < 1 when it does not fit.
int64_t WindowOut(int64_t n, int64_t k, int64_t stride, int64_t padding) {
  if (n + 2 * padding < k) return 0;
  return (n + 2 * padding - k) / stride + 1;
}

class Planner {
 public:
  explicit Planner(const ModelSpec& spec) : spec_(spec) {}

  absl::StatusOr<ModelPlan> Run() {
    LASNN_RETURN_IF_ERROR(CheckCommon());
    plan_.input_shape = {spec_.input().channels(), spec_.input().height(), spec_.input().width()};
    plan_.num_classes = spec_.num_classes();
    if (spec_.activation().kind() == ActivationSpec::QCFS) {
      plan_.qcfs_levels = spec_.activation().qcfs_levels();
      plan_.qcfs_init_lambda = spec_.activation().qcfs_init_lambda();
    }
    shape_ = plan_.input_shape;
    if (spec_.has_resnet()) {
      LASNN_RETURN_IF_ERROR(PlanResNet());
    } else {
      LASNN_RETURN_IF_ERROR(PlanLayers());
    }
    if (shape_.size() != 1 || shape_[0] != plan_.num_classes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the model's output shape is ", ShapeString(shape_), " but num_classes is ",
                       plan_.num_classes, "; end the layers with a linear layer of num_classes "
                       "outputs"));
    }
    AssignTaps();
    for (const PlannedLayer& l : plan_.layers) {
      if (plan_.num_parameters > kMaxParameters) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the model has more than ", kMaxParameters, " parameters (at ", l.source, ")"));
      }
      plan_.num_parameters += l.num_parameters;
      if (l.kind == Kind::kActivation) {
        plan_.num_activations += 1;
        if (plan_.qcfs_levels > 0) plan_.num_parameters += 1;  // the layer's lambda
      }
      if (l.kind == Kind::kBasicBlock) {
        plan_.num_activations += 2;
        if (plan_.qcfs_levels > 0) plan_.num_parameters += 2;  // act1's and act2's lambdas
      }
    }
    return std::move(plan_);
  }

 private:
  absl::Status CheckCommon() {
    if (!spec_.has_input()) return Invalid("input", "must be set (channels, height, width)");
    LASNN_RETURN_IF_ERROR(
        RequirePositive("input.channels", spec_.input().has_channels(), spec_.input().channels()));
    LASNN_RETURN_IF_ERROR(
        RequirePositive("input.height", spec_.input().has_height(), spec_.input().height(),
                        kMaxSpatial));
    LASNN_RETURN_IF_ERROR(
        RequirePositive("input.width", spec_.input().has_width(), spec_.input().width(),
                        kMaxSpatial));
    LASNN_RETURN_IF_ERROR(
        RequirePositive("num_classes", spec_.has_num_classes(), spec_.num_classes()));
    const double m = spec_.width_multiplier();
    if (!std::isfinite(m) || m <= 0 || m > 64) {
      return Invalid("width_multiplier", "must be in (0, 64]");
    }
    if (spec_.has_resnet() == (spec_.layers_size() > 0)) {
      return absl::InvalidArgumentError("set exactly one of layers and resnet");
    }
    const NeuronSpec& n = spec_.neuron();
    if (!(n.decay() > 0 && n.decay() <= 1)) return Invalid("neuron.decay", "must be in (0, 1]");
    if (!(n.threshold() > 0 && std::isfinite(n.threshold()))) {
      return Invalid("neuron.threshold", "must be > 0");
    }
    if (!(n.surrogate_width() > 0 && std::isfinite(n.surrogate_width()))) {
      return Invalid("neuron.surrogate_width", "must be > 0");
    }
    if (!(n.init_membrane() >= 0 && n.init_membrane() <= 1)) {
      return Invalid("neuron.init_membrane", "must be in [0, 1]");
    }
    const ActivationSpec& a = spec_.activation();
    if (a.kind() == ActivationSpec::QCFS) {
      if (a.qcfs_levels() < 1) return Invalid("activation.qcfs_levels", "must be >= 1");
      if (!(a.qcfs_init_lambda() > 0 && std::isfinite(a.qcfs_init_lambda()))) {
        return Invalid("activation.qcfs_init_lambda", "must be > 0");
      }
    }
    return absl::OkStatus();
  }

  int64_t Scale(int64_t c) const {
    return std::max<int64_t>(1, std::llround(static_cast<double>(c) * spec_.width_multiplier()));
  }

  absl::Status RequireMap(const std::string& field) const {
    if (shape_.size() != 3) {
      return Invalid(field, absl::StrCat("needs a CxHxW feature map but its input is flat (",
                                         ShapeString(shape_), ")"));
    }
    return absl::OkStatus();
  }

  absl::Status AddConv(const std::string& field, const std::string& name, int64_t out,
                       int64_t k, int64_t stride, int64_t padding, bool bn, bool bias) {
    LASNN_RETURN_IF_ERROR(RequireMap(field));
    if (out > kMaxDimension || k > kMaxKernel) {
      return Invalid(field, absl::StrCat("is too large: ", out, " channels (at most ",
                                         kMaxDimension, " after the width multiplier), kernel ",
                                         k, " (at most ", kMaxKernel, ")"));
    }
    PlannedLayer l;
    l.kind = Kind::kConv;
    l.name = name;
    l.source = field;
    l.in_channels = shape_[0];
    l.out_channels = out;
    l.kernel_size = k;
    l.stride = stride;
    l.padding = padding;
    l.batch_norm = bn;
    l.bias = bias;
    l.in_shape = shape_;
    const int64_t h = WindowOut(shape_[1], k, stride, padding);
    const int64_t w = WindowOut(shape_[2], k, stride, padding);
    if (h < 1 || w < 1) {
      return Invalid(field, absl::StrCat("shrinks the ", shape_[1], "x", shape_[2],
                                         " feature map below 1 (kernel ", k, ", padding ",
                                         padding, ")"));
    }
    shape_ = {out, h, w};
    l.out_shape = shape_;
    l.num_parameters = ConvParams(l.in_channels, out, k, bn, bias);
    plan_.layers.push_back(std::move(l));
    return absl::OkStatus();
  }

  void AddSimple(Kind kind, const std::string& name, const std::string& field) {
    PlannedLayer l;
    l.kind = kind;
    l.name = name;
    l.source = field;
    l.in_shape = shape_;
    l.out_shape = shape_;
    plan_.layers.push_back(std::move(l));
  }

  absl::Status AddPool(const std::string& field, Kind kind, int64_t k, int64_t stride,
                       int64_t padding) {
    LASNN_RETURN_IF_ERROR(RequireMap(field));
    const int64_t h = WindowOut(shape_[1], k, stride, padding);
    const int64_t w = WindowOut(shape_[2], k, stride, padding);
    if (h < 1 || w < 1) {
      return Invalid(field, absl::StrCat("shrinks the ", shape_[1], "x", shape_[2],
                                         " feature map below 1 (kernel ", k, ")"));
    }
    AddSimple(kind, "", field);
    PlannedLayer& l = plan_.layers.back();
    l.kernel_size = k;
    l.stride = stride;
    l.padding = padding;
    shape_ = {shape_[0], h, w};
    l.out_shape = shape_;
    return absl::OkStatus();
  }

  void AddGlobalPoolAndFlatten(const std::string& field) {
    AddSimple(Kind::kGlobalAvgPool, "", field);
    shape_ = {shape_[0], 1, 1};
    plan_.layers.back().out_shape = shape_;
    AddSimple(Kind::kFlatten, "", field);
    shape_ = {shape_[0]};
    plan_.layers.back().out_shape = shape_;
  }

  absl::Status AddLinear(const std::string& field, const std::string& name, int64_t out,
                         bool bias) {
    if (out > kMaxDimension) {
      return Invalid(field, absl::StrCat("is too large: ", out, " outputs (at most ",
                                         kMaxDimension, " after the width multiplier)"));
    }
    if (shape_.size() != 1) {
      return Invalid(field, absl::StrCat("needs a flat input but gets a ", ShapeString(shape_),
                                         " feature map; add a flatten before it"));
    }
    PlannedLayer l;
    l.kind = Kind::kLinear;
    l.name = name;
    l.source = field;
    l.in_features = shape_[0];
    l.out_features = out;
    l.bias = bias;
    l.in_shape = shape_;
    shape_ = {out};
    l.out_shape = shape_;
    l.num_parameters = l.in_features * out + (bias ? out : 0);
    plan_.layers.push_back(std::move(l));
    return absl::OkStatus();
  }

  absl::Status PlanLayers() {
    const int last_linear = spec_.layers_size() - 1;
    if (!spec_.layers(last_linear).has_linear()) {
      return Invalid(absl::StrCat("layers[", last_linear, "]"),
                     "must be the linear classifier (the layers end with a linear layer of "
                     "num_classes outputs)");
    }
    for (int i = 0; i < spec_.layers_size(); ++i) {
      const Layer& layer = spec_.layers(i);
      const std::string field = absl::StrCat("layers[", i, "]");
      const std::string name = absl::StrCat("layer", i);
      switch (layer.kind_case()) {
        case Layer::kConv: {
          const ConvLayer& c = layer.conv();
          const std::string f = field + ".conv";
          LASNN_RETURN_IF_ERROR(
              RequirePositive(f + ".out_channels", c.has_out_channels(), c.out_channels()));
          LASNN_RETURN_IF_ERROR(
              RequirePositive(f + ".kernel_size", true, c.kernel_size(), kMaxKernel));
          LASNN_RETURN_IF_ERROR(RequirePositive(f + ".stride", true, c.stride()));
          const int64_t padding = c.has_padding() ? c.padding() : c.kernel_size() / 2;
          if (padding < 0 || padding > kMaxSpatial) {
            return Invalid(f + ".padding", absl::StrCat("must be in [0, ", kMaxSpatial, "]"));
          }
          const bool bias = c.has_bias() ? c.bias() : !c.batch_norm();
          LASNN_RETURN_IF_ERROR(AddConv(f, name, Scale(c.out_channels()), c.kernel_size(),
                                        c.stride(), padding, c.batch_norm(), bias));
          break;
        }
        case Layer::kActivation:
          AddSimple(Kind::kActivation, name, field + ".activation");
          break;
        case Layer::kPool: {
          const PoolLayer& p = layer.pool();
          const std::string f = field + ".pool";
          if (p.global()) {
            LASNN_RETURN_IF_ERROR(RequireMap(f));
            if (p.kind() == PoolLayer::MAX) {
              return Invalid(f + ".kind", "must be AVG for a global pool");
            }
            AddSimple(Kind::kGlobalAvgPool, "", f);
            shape_ = {shape_[0], 1, 1};
            plan_.layers.back().out_shape = shape_;
            break;
          }
          LASNN_RETURN_IF_ERROR(
              RequirePositive(f + ".kernel_size", true, p.kernel_size(), kMaxSpatial));
          const int64_t stride = p.has_stride() ? p.stride() : p.kernel_size();
          LASNN_RETURN_IF_ERROR(RequirePositive(f + ".stride", true, stride));
          LASNN_RETURN_IF_ERROR(AddPool(
              f, p.kind() == PoolLayer::MAX ? Kind::kMaxPool : Kind::kAvgPool, p.kernel_size(),
              stride, 0));
          break;
        }
        case Layer::kFlatten: {
          const std::string f = field + ".flatten";
          LASNN_RETURN_IF_ERROR(RequireMap(f));
          AddSimple(Kind::kFlatten, "", f);
          shape_ = {shape_[0] * shape_[1] * shape_[2]};
          plan_.layers.back().out_shape = shape_;
          break;
        }
        case Layer::kLinear: {
          const LinearLayer& l = layer.linear();
          const std::string f = field + ".linear";
          LASNN_RETURN_IF_ERROR(
              RequirePositive(f + ".out_features", l.has_out_features(), l.out_features()));
          const bool classifier = i == last_linear;
          if (classifier && l.out_features() != spec_.num_classes()) {
            return Invalid(f + ".out_features",
                           absl::StrCat("is ", l.out_features(), " but num_classes is ",
                                        spec_.num_classes(), " (the last linear layer is the "
                                        "classifier)"));
          }
          if (l.has_in_features() && shape_.size() == 1 && l.in_features() != shape_[0]) {
            return Invalid(f + ".in_features",
                           absl::StrCat("is ", l.in_features(), " but the input has ", shape_[0],
                                        " features"));
          }
          LASNN_RETURN_IF_ERROR(AddLinear(
              f, name, classifier ? l.out_features() : Scale(l.out_features()), l.bias()));
          break;
        }
        case Layer::kDropout: {
          const double p = layer.dropout().p();
          if (!(p >= 0 && p < 1)) return Invalid(field + ".dropout.p", "must be in [0, 1)");
          AddSimple(Kind::kDropout, "", field + ".dropout");
          plan_.layers.back().dropout_p = p;
          break;
        }
        case Layer::KIND_NOT_SET:
          return Invalid(field, "has no layer kind (conv, activation, pool, flatten, linear, "
                                "dropout)");
      }
      if (Elements(shape_) > kMaxElementsPerSample) {
        return Invalid(field, absl::StrCat("outputs ", Elements(shape_), " values per sample "
                                           "(more than ", kMaxElementsPerSample, ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status PlanResNet() {
    const ResNetSpec& r = spec_.resnet();
    LASNN_RETURN_IF_ERROR(
        RequirePositive("resnet.stem_channels", r.has_stem_channels(), r.stem_channels()));
    LASNN_RETURN_IF_ERROR(RequirePositive("resnet.stem_kernel_size", true, r.stem_kernel_size()));
    LASNN_RETURN_IF_ERROR(RequirePositive("resnet.stem_stride", true, r.stem_stride()));
    if (r.stage_widths_size() == 0) return Invalid("resnet.stage_widths", "must not be empty");
    if (r.blocks_per_stage_size() != r.stage_widths_size()) {
      return Invalid("resnet.blocks_per_stage",
                     absl::StrCat("has ", r.blocks_per_stage_size(),
                                  " entries but resnet.stage_widths has ",
                                  r.stage_widths_size()));
    }
    if (r.stage_strides_size() != 0 && r.stage_strides_size() != r.stage_widths_size()) {
      return Invalid("resnet.stage_strides",
                     absl::StrCat("has ", r.stage_strides_size(),
                                  " entries but resnet.stage_widths has ", r.stage_widths_size()));
    }
    for (int s = 0; s < r.stage_widths_size(); ++s) {
      LASNN_RETURN_IF_ERROR(RequirePositive(absl::StrCat("resnet.stage_widths[", s, "]"), true,
                                            r.stage_widths(s)));
      LASNN_RETURN_IF_ERROR(RequirePositive(absl::StrCat("resnet.blocks_per_stage[", s, "]"),
                                            true, r.blocks_per_stage(s)));
      if (r.stage_strides_size() > 0) {
        LASNN_RETURN_IF_ERROR(RequirePositive(absl::StrCat("resnet.stage_strides[", s, "]"), true,
                                              r.stage_strides(s)));
      }
    }
    for (int j = 0; j < r.head_hidden_size(); ++j) {
      LASNN_RETURN_IF_ERROR(
          RequirePositive(absl::StrCat("resnet.head_hidden[", j, "]"), true, r.head_hidden(j)));
    }

    const int64_t k = r.stem_kernel_size();
    LASNN_RETURN_IF_ERROR(AddConv("resnet.stem_channels", "stem", Scale(r.stem_channels()), k,
                                  r.stem_stride(), k / 2, /*bn=*/true, /*bias=*/false));
    AddSimple(Kind::kActivation, "stem_act", "resnet.stem_channels");
    if (r.stem_max_pool()) {
      LASNN_RETURN_IF_ERROR(AddPool("resnet.stem_max_pool", Kind::kMaxPool, 3, 2, 1));
    }
    for (int s = 0; s < r.stage_widths_size(); ++s) {
      const int64_t width = Scale(r.stage_widths(s));
      const int64_t stage_stride =
          r.stage_strides_size() > 0 ? r.stage_strides(s) : (s == 0 ? 1 : 2);
      for (int b = 0; b < r.blocks_per_stage(s); ++b) {
        PlannedLayer l;
        l.kind = Kind::kBasicBlock;
        l.name = absl::StrCat("stage", s + 1, "_block", b);
        l.source = absl::StrCat("resnet.stage_widths[", s, "]");
        l.in_channels = shape_[0];
        l.out_channels = width;
        l.kernel_size = 3;
        l.stride = b == 0 ? stage_stride : 1;
        l.padding = 1;
        l.batch_norm = true;
        l.shortcut_conv = l.stride != 1 || l.in_channels != width;
        l.in_shape = shape_;
        const int64_t h = WindowOut(shape_[1], 3, l.stride, 1);
        const int64_t w = WindowOut(shape_[2], 3, l.stride, 1);
        if (h < 1 || w < 1) {
          return Invalid(l.source, absl::StrCat("stage shrinks the ", shape_[1], "x", shape_[2],
                                                " feature map below 1"));
        }
        shape_ = {width, h, w};
        l.out_shape = shape_;
        l.num_parameters = ConvParams(l.in_channels, width, 3, true, false) +
                           ConvParams(width, width, 3, true, false) +
                           (l.shortcut_conv ? ConvParams(l.in_channels, width, 1, true, false) : 0);
        plan_.layers.push_back(std::move(l));
      }
    }
    AddGlobalPoolAndFlatten("resnet");
    for (int j = 0; j < r.head_hidden_size(); ++j) {
      const std::string f = absl::StrCat("resnet.head_hidden[", j, "]");
      LASNN_RETURN_IF_ERROR(
          AddLinear(f, absl::StrCat("head", j), Scale(r.head_hidden(j)), /*bias=*/true));
      AddSimple(Kind::kActivation, absl::StrCat("head", j, "_act"), f);
    }
    return AddLinear("num_classes", "classifier", spec_.num_classes(), /*bias=*/true);
  }

  void AssignTaps() {
    int stage = 0;
    int last = -1;
    for (int i = 0; i < static_cast<int>(plan_.layers.size()); ++i) {
      const PlannedLayer& l = plan_.layers[i];
      if (l.kind != Kind::kActivation && l.kind != Kind::kBasicBlock) continue;
      if (l.out_shape.size() != 3) continue;
      if (last >= 0 && (plan_.layers[last].out_shape[1] != l.out_shape[1] ||
                        plan_.layers[last].out_shape[2] != l.out_shape[2])) {
        AddTap(++stage, last);
      }
      last = i;
    }
    if (last >= 0) AddTap(++stage, last);
  }

  void AddTap(int stage, int index) {
    PlannedLayer& l = plan_.layers[index];
    l.tap = absl::StrCat("stage", stage);
    plan_.taps.push_back(TapInfo{l.tap, l.out_shape, index});
  }

  const ModelSpec& spec_;
  ModelPlan plan_;
  FeatureShape shape_;
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kConv: return "conv";
    case Kind::kActivation: return "activation";
    case Kind::kMaxPool: return "maxpool";
    case Kind::kAvgPool: return "avgpool";
    case Kind::kGlobalAvgPool: return "global_avgpool";
    case Kind::kFlatten: return "flatten";
    case Kind::kLinear: return "linear";
    case Kind::kDropout: return "dropout";
    case Kind::kBasicBlock: return "basic_block";
  }
  return "?";
}

}  // namespace

absl::StatusOr<ModelPlan> PlanModel(const ModelSpec& spec) { return Planner(spec).Run(); }

absl::Status ValidateModelSpec(const ModelSpec& spec) { return PlanModel(spec).status(); }

absl::StatusOr<ModelSpec> ParseModelSpecText(absl::string_view text, absl::string_view source) {
  return ParseTextProto<ModelSpec>(text, source);
}

absl::StatusOr<ModelSpec> LoadModelSpecFile(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(ModelSpec spec, ParseTextProtoFile<ModelSpec>(path));
  const absl::Status valid = ValidateModelSpec(spec);
  if (!valid.ok()) {
    return absl::Status(valid.code(), absl::StrCat(path, ": ", valid.message()));
  }
  return spec;
}

std::string ModelSpecToText(const ModelSpec& spec) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(spec, &out);
  return out;
}

std::string DescribePlan(const ModelPlan& plan) {
  std::string out = absl::StrCat("input ", ShapeString(plan.input_shape), "\n");
  for (const PlannedLayer& l : plan.layers) {
    absl::StrAppend(&out, "  ", KindName(l.kind));
    if (!l.name.empty()) absl::StrAppend(&out, " ", l.name);
    if (l.kind == Kind::kConv || l.kind == Kind::kBasicBlock) {
      absl::StrAppend(&out, " ", l.in_channels, "->", l.out_channels, " k", l.kernel_size, " s",
                      l.stride, l.batch_norm ? " bn" : "", l.shortcut_conv ? " proj" : "");
    } else if (l.kind == Kind::kLinear) {
      absl::StrAppend(&out, " ", l.in_features, "->", l.out_features);
    } else if (l.kind == Kind::kMaxPool || l.kind == Kind::kAvgPool) {
      absl::StrAppend(&out, " k", l.kernel_size, " s", l.stride);
    }
    absl::StrAppend(&out, " -> ", ShapeString(l.out_shape));
    if (l.num_parameters > 0) absl::StrAppend(&out, "  params ", l.num_parameters);
    if (!l.tap.empty()) absl::StrAppend(&out, "  [tap ", l.tap, "]");
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "parameters ", plan.num_parameters, ", spiking layers ",
                  plan.num_activations, "\n");
  return out;
}

std::string EncoderName(EncoderSpec::Kind kind) {
  switch (kind) {
    case EncoderSpec::POISSON: return "Poisson";
    case EncoderSpec::LATENCY: return "latency";
    default: return "direct";
  }
}

}  // namespace lasnn
