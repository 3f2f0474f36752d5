#include "lasnn/models/frozen_ann.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "lasnn/core/pooling.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

using Kind = PlannedLayer::Kind;

constexpr double kBnEps = 1e-5;  // torch::nn::BatchNorm2d's default, which model.cc uses

using TensorMap = std::map<std::string, at::Tensor>;

// `prefix` names a ConvBn module ("layer0", "stage1_block0.conv1").
FoldedConv Fold(const TensorMap& t, const std::string& prefix, bool batch_norm, int64_t stride,
                int64_t padding, bool channels_last) {
  FoldedConv f;
  f.stride = stride;
  f.padding = padding;
  at::Tensor w = t.at(prefix + ".conv.weight").clone();
  auto bias = t.find(prefix + ".conv.bias");
  at::Tensor b = bias != t.end() ? bias->second.clone() : at::zeros({w.size(0)}, w.options());
  if (batch_norm) {
    const at::Tensor scale =
        t.at(prefix + ".bn.weight") / (t.at(prefix + ".bn.running_var") + kBnEps).sqrt();  // [O]
    w = w * scale.view({-1, 1, 1, 1});
    b = (b - t.at(prefix + ".bn.running_mean")) * scale + t.at(prefix + ".bn.bias");
  }
  f.weight = channels_last ? w.contiguous(at::MemoryFormat::ChannelsLast) : w.contiguous();
  f.bias = b.contiguous();
  return f;
}

at::Tensor Conv(const FoldedConv& c, const at::Tensor& x) {
  return at::conv2d(x, c.weight, c.bias, {c.stride, c.stride}, {c.padding, c.padding});
}

}  // namespace

absl::StatusOr<FrozenAnn> FrozenAnn::Create(const Model& ann, const FrozenAnnOptions& options) {
  if (ann->mode() != Mode::kAnn) {
    return absl::InvalidArgumentError("FrozenAnn::Create expects the ANN twin (Mode::kAnn)");
  }
  return TorchCall("freezing the ANN", [&]() -> absl::StatusOr<FrozenAnn> {
    c10::InferenceMode inference;
    TensorMap t;
    for (const auto& p : ann->named_parameters(/*recurse=*/true)) t[p.key()] = p.value().detach();
    for (const auto& b : ann->named_buffers(/*recurse=*/true)) t[b.key()] = b.value().detach();
    FrozenAnn out;
    out.plan_ = ann->plan();
    out.options_ = options;
    const bool cl = options.channels_last;
    out.layers_.resize(out.plan_.layers.size());
    out.qcfs_lambda_.resize(out.plan_.layers.size());
    out.qcfs_block_lambdas_.resize(out.plan_.layers.size());
    for (size_t i = 0; i < out.plan_.layers.size(); ++i) {
      const PlannedLayer& l = out.plan_.layers[i];
      std::vector<FoldedConv>& f = out.layers_[i];
      switch (l.kind) {
        case Kind::kConv:
          f.push_back(Fold(t, l.name, l.batch_norm, l.stride, l.padding, cl));
          break;
        case Kind::kBasicBlock:
          f.push_back(Fold(t, l.name + ".conv1", true, l.stride, 1, cl));
          f.push_back(Fold(t, l.name + ".conv2", true, 1, 1, cl));
          if (l.shortcut_conv) f.push_back(Fold(t, l.name + ".shortcut", true, l.stride, 0, cl));
          if (out.plan_.qcfs_levels > 0 && t.count(l.name + ".act1.lambda") > 0) {
            out.qcfs_block_lambdas_[i] = {t.at(l.name + ".act1.lambda").clone(),
                                          t.at(l.name + ".act2.lambda").clone()};
          }
          break;
        case Kind::kLinear: {
          FoldedConv lin;
          lin.weight = t.at(l.name + ".weight").clone();
          auto bias = t.find(l.name + ".bias");
          if (bias != t.end()) lin.bias = bias->second.clone();
          f.push_back(std::move(lin));
          break;
        }
        case Kind::kActivation: {
          auto lambda = t.find(l.name + ".lambda");
          if (out.plan_.qcfs_levels > 0 && lambda != t.end()) {
            out.qcfs_lambda_[i] = lambda->second.clone();
          }
          break;
        }
        default:
          break;
      }
    }
    return out;
  });
}

at::Tensor FrozenAnn::Activate(at::Tensor x, size_t index) const {
  if (qcfs_lambda_[index].defined()) {
    return QcfsActivation(x, qcfs_lambda_[index], plan_.qcfs_levels);
  }
  // In place only on a fresh output of the layer before (not the input, a tap or a view).
  const PlannedLayer* prev = index > 0 ? &plan_.layers[index - 1] : nullptr;
  const bool fresh = prev != nullptr && prev->tap.empty() &&
                     (prev->kind == Kind::kConv || prev->kind == Kind::kLinear ||
                      prev->kind == Kind::kMaxPool || prev->kind == Kind::kAvgPool);
  return fresh ? at::relu_(x) : at::relu(x);
}

ModelOutput FrozenAnn::Forward(const at::Tensor& input, bool taps) const {
  c10::InferenceMode inference;
  const FeatureShape& in = plan_.input_shape;
  TORCH_CHECK(input.dim() == 4 && input.size(1) == in[0] && input.size(2) == in[1] &&
                  input.size(3) == in[2],
              "FrozenAnn input must be [B, ", in[0], ", ", in[1], ", ", in[2], "], got ",
              input.sizes());
  ModelOutput out;
  at::Tensor x = options_.channels_last ? input.contiguous(at::MemoryFormat::ChannelsLast) : input;
  for (size_t i = 0; i < plan_.layers.size(); ++i) {
    const PlannedLayer& l = plan_.layers[i];
    const std::vector<FoldedConv>& f = layers_[i];
    switch (l.kind) {
      case Kind::kConv:
        x = Conv(f[0], x);
        break;
      case Kind::kActivation:
        x = Activate(x, i);
        break;
      case Kind::kBasicBlock: {
        const std::vector<at::Tensor>& lambdas = qcfs_block_lambdas_[i];
        if (!lambdas.empty()) {  // QCFS ANN
          at::Tensor y = QcfsActivation(Conv(f[0], x), lambdas[0], plan_.qcfs_levels);
          y = Conv(f[1], y) + (f.size() > 2 ? Conv(f[2], x) : x);
          x = QcfsActivation(y, lambdas[1], plan_.qcfs_levels);
          break;
        }
        at::Tensor y = Conv(f[0], x);
        y.relu_();
        y = Conv(f[1], y);
        y.add_(f.size() > 2 ? Conv(f[2], x) : x);
        x = y.relu_();
        break;
      }
      // Channels-last tensors keep LibTorch's channels-last kernels; ours read NCHW.
      case Kind::kMaxPool:
        x = options_.channels_last
                ? at::max_pool2d(x, {l.kernel_size, l.kernel_size}, {l.stride, l.stride},
                                 {l.padding, l.padding})
                : MaxPool2d(x, l.kernel_size, l.stride, l.padding);
        break;
      case Kind::kAvgPool:
        x = options_.channels_last
                ? at::avg_pool2d(x, {l.kernel_size, l.kernel_size}, {l.stride, l.stride},
                                 {l.padding, l.padding})
                : AvgPool2d(x, l.kernel_size, l.stride, l.padding);
        break;
      case Kind::kGlobalAvgPool:
        x = at::adaptive_avg_pool2d(x, {1, 1});
        break;
      case Kind::kFlatten:
        x = x.contiguous().flatten(1);  // NCHW order, as the linear layer's weights expect
        break;
      case Kind::kLinear:
        x = at::linear(x, f[0].weight, f[0].bias);
        break;
      case Kind::kDropout:
        break;  // identity in inference
    }
    if (taps && !l.tap.empty()) out.taps.insert(l.tap, x);
  }
  out.logits = x;
  return out;
}

}  // namespace lasnn
