#include "lasnn/models/model.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lasnn/core/encoder.h"
#include "lasnn/core/pooling.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

using Kind = PlannedLayer::Kind;

// conv (+ BN): parameters "conv.weight" [, "conv.bias"] [, "bn.weight", "bn.bias"].
class ConvBnImpl : public torch::nn::Module {
 public:
  ConvBnImpl(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding, bool bn,
             bool bias) {
    conv_ = register_module(
        "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k)
                                      .stride(stride)
                                      .padding(padding)
                                      .bias(bias)));
    torch::nn::init::kaiming_normal_(conv_->weight, /*a=*/0, torch::kFanOut, torch::kReLU);
    if (bias) torch::nn::init::zeros_(conv_->bias);
    if (bn) bn_ = register_module("bn", torch::nn::BatchNorm2d(out));
  }

  // x: [N, in, H, W] -> [N, out, H', W'].
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = conv_->forward(x);
    return bn_ ? bn_->forward(y) : y;
  }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ConvBn);

// One QCFS activation layer's trainable step size: parameter "lambda" (0-d). Read from the
// registry, not a member, so that MoveToDevice (lasnn/core/device.h) can replace it.
class QcfsLambdaImpl : public torch::nn::Module {
 public:
  explicit QcfsLambdaImpl(double init) { register_parameter("lambda", torch::full({}, init)); }
  const torch::Tensor& lambda() const { return parameters_["lambda"]; }
};
TORCH_MODULE(QcfsLambda);

// Basic residual block's parameters: conv1, conv2 (each conv3x3 + BN), an optional conv1x1-BN
// shortcut and, in a QCFS ANN (qcfs_init_lambda > 0), the lambdas of its two activations
// ("act1.lambda", "act2.lambda"; act2 follows the addition). ModelImpl::RunBlock runs it, since
// its activations depend on the mode.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(const PlannedLayer& l, double qcfs_init_lambda) {
    conv1 = register_module("conv1", ConvBn(l.in_channels, l.out_channels, 3, l.stride, 1,
                                            /*bn=*/true, /*bias=*/false));
    conv2 = register_module(
        "conv2", ConvBn(l.out_channels, l.out_channels, 3, 1, 1, /*bn=*/true, /*bias=*/false));
    if (l.shortcut_conv) {
      shortcut = register_module("shortcut", ConvBn(l.in_channels, l.out_channels, 1, l.stride, 0,
                                                    /*bn=*/true, /*bias=*/false));
    }
    if (qcfs_init_lambda > 0) {
      act1 = register_module("act1", QcfsLambda(qcfs_init_lambda));
      act2 = register_module("act2", QcfsLambda(qcfs_init_lambda));
    }
  }
  ConvBn conv1{nullptr};
  ConvBn conv2{nullptr};
  ConvBn shortcut{nullptr};
  QcfsLambda act1{nullptr};  // QCFS ANN only
  QcfsLambda act2{nullptr};
};
TORCH_MODULE(BasicBlock);

}  // namespace

torch::Tensor QcfsActivation(const torch::Tensor& x, const torch::Tensor& lambda, int64_t levels) {
  const torch::Tensor lam = lambda.clamp_min(kQcfsMinLambda);
  const double l = static_cast<double>(levels);
  const torch::Tensor z = x * (l / lam) + 0.5;
  const torch::Tensor floored = z + (z.floor() - z).detach();  // straight-through floor
  // clamp_min then clamp_max: the same values and gradient as clamp(0, 1), whose backward
  // (logical_and) has no shape function on LibTorch 1.13's lazy device.
  return lam * (floored / l).clamp_min(0.0).clamp_max(1.0);
}

namespace {

// [T*B, ...] -> [T, B, ...] (a view).
torch::Tensor Unfold(const torch::Tensor& x, int64_t t) {
  std::vector<int64_t> shape = {t, x.size(0) / t};
  for (int64_t d = 1; d < x.dim(); ++d) shape.push_back(x.size(d));
  return x.view(shape);
}

}  // namespace

// State of one forward pass.
struct ModelImpl::Pass {
  const ForwardOptions* options = nullptr;
  int64_t t = 1;
  // False while the tensor flowing through is [B, ...] (direct encoding, before the first
  // neuron); true once it is [T*B, ...].
  bool timed = false;
  torch::Tensor last_spikes;  // [T, B, ...] of the latest activation (SNN)
  torch::Tensor last_rate;    // [B, ...], its firing rate (with ForwardOptions::tap_rates)
  ModelOutput out;
};

torch::Tensor LayerSpikeStats::FiringRate() const {
  return spike_count / static_cast<double>(num_elements);
}

torch::Tensor TapFiringRate(const torch::Tensor& spikes) {
  TORCH_CHECK(spikes.dim() >= 2, "TapFiringRate expects [T, B, ...] spikes, got ",
              spikes.sizes());
  return spikes.mean(0);
}

NeuronOptions NeuronOptionsFromSpec(const NeuronSpec& spec) {
  NeuronOptions o;
  o.decay = spec.decay();
  o.threshold = spec.threshold();
  o.reset = spec.reset() == NeuronSpec::RESET_SUBTRACT ? ResetMode::kSubtract : ResetMode::kZero;
  o.detach_reset = spec.detach_reset();
  o.init_membrane = spec.init_membrane();
  switch (spec.surrogate()) {
    case NeuronSpec::ARCTAN: o.surrogate = Surrogate::kArctan; break;
    case NeuronSpec::SIGMOID: o.surrogate = Surrogate::kSigmoid; break;
    default: o.surrogate = Surrogate::kTriangle; break;
  }
  o.surrogate_width = spec.surrogate_width();
  return o;
}

ModelImpl::ModelImpl(ModelPlan plan, Mode mode, EncoderSpec::Kind encoding, NeuronOptions neuron)
    : plan_(std::move(plan)), mode_(mode), encoding_(encoding), neuron_(neuron) {
  layers_.resize(plan_.layers.size());
  for (size_t i = 0; i < plan_.layers.size(); ++i) {
    const PlannedLayer& l = plan_.layers[i];
    switch (l.kind) {
      case Kind::kConv:
        layers_[i] = register_module(l.name, ConvBn(l.in_channels, l.out_channels, l.kernel_size,
                                                    l.stride, l.padding, l.batch_norm, l.bias));
        break;
      case Kind::kLinear:
        layers_[i] = register_module(l.name, torch::nn::Linear(torch::nn::LinearOptions(
                                                                   l.in_features, l.out_features)
                                                                   .bias(l.bias)));
        break;
      case Kind::kBasicBlock:
        layers_[i] = register_module(
            l.name, BasicBlock(l, mode_ == Mode::kAnn && plan_.qcfs_levels > 0
                                      ? plan_.qcfs_init_lambda
                                      : 0.0));
        break;
      case Kind::kActivation:
        if (mode_ == Mode::kAnn && plan_.qcfs_levels > 0) {
          layers_[i] = register_module(l.name, QcfsLambda(plan_.qcfs_init_lambda));
        }
        break;
      default:
        break;
    }
  }
}

torch::Tensor ModelImpl::Activate(const torch::Tensor& x, const std::string& name, Pass& pass,
                                  size_t index) {
  if (mode_ == Mode::kAnn) {
    if (plan_.qcfs_levels > 0 && index < layers_.size() && layers_[index]) {
      return QcfsActivation(x, static_cast<QcfsLambdaImpl*>(layers_[index].get())->lambda(),
                            plan_.qcfs_levels);
    }
    return at::relu(x);
  }
  torch::Tensor input;  // [T, B, ...]
  if (pass.timed) {
    input = Unfold(x, pass.t);
  } else {
    input = RepeatOverTime(x, pass.t);  // a stride-0 view: no T copies
  }
  torch::Tensor spikes;  // [T, B, ...]
  if (pass.options->taps && pass.options->tap_rates) {
    SpikesAndRate out = MultiStepNeuronWithRate(input, neuron_);
    spikes = out.spikes;
    pass.last_rate = out.rate;
  } else {
    spikes = MultiStepNeuron(input, neuron_);
  }
  if (pass.options->spike_stats) {
    pass.out.spike_stats.push_back(
        LayerSpikeStats{name, spikes.detach().sum(at::kDouble), spikes.numel()});
  }
  pass.timed = true;
  pass.last_spikes = spikes;
  return spikes.flatten(0, 1);  // [T*B, ...]
}

torch::Tensor ModelImpl::RunBlock(size_t index, const torch::Tensor& x, Pass& pass) {
  const PlannedLayer& l = plan_.layers[index];
  auto* block = static_cast<BasicBlockImpl*>(layers_[index].get());
  const bool input_timed = pass.timed;
  if (block->act1) {  // QCFS ANN: QCFS after conv1 and after the addition, as Bu et al.'s code
    torch::Tensor y = QcfsActivation(block->conv1->forward(x), block->act1->lambda(),
                                     plan_.qcfs_levels);
    y = block->conv2->forward(y) + (block->shortcut ? block->shortcut->forward(x) : x);
    return QcfsActivation(y, block->act2->lambda(), plan_.qcfs_levels);
  }
  torch::Tensor y = Activate(block->conv1->forward(x), l.name + ".act1", pass);
  y = block->conv2->forward(y);  // [N, C, H, W]
  torch::Tensor shortcut = block->shortcut ? block->shortcut->forward(x) : x;
  if (mode_ == Mode::kSnn && !input_timed) {
    // The block's input was still [B, ...]; the main path is now [T*B, ...].
    shortcut = RepeatOverTime(shortcut, pass.t).flatten(0, 1);
  }
  return Activate(y + shortcut, l.name + ".act2", pass);
}

ModelOutput ModelImpl::forward(const torch::Tensor& input, const ForwardOptions& options) {
  const FeatureShape& in = plan_.input_shape;
  Pass pass;
  pass.options = &options;
  torch::Tensor x;
  if (input.dim() == 5) {
    TORCH_CHECK(mode_ == Mode::kSnn, "the ANN takes [B, C, H, W] input, got ", input.sizes());
    pass.t = input.size(0);
    pass.timed = true;
    x = input.flatten(0, 1);
  } else {
    TORCH_CHECK(input.dim() == 4, "model input must be [B, C, H, W] or [T, B, C, H, W], got ",
                input.sizes());
    TORCH_CHECK(mode_ == Mode::kAnn || encoding_ == EncoderSpec::DIRECT,
                "this SNN's encoder is not DIRECT: feed encoded [T, B, C, H, W] input");
    TORCH_CHECK(options.timesteps >= 1, "timesteps must be >= 1, got ", options.timesteps);
    pass.t = mode_ == Mode::kSnn ? options.timesteps : 1;
    x = input;
  }
  TORCH_CHECK(x.size(1) == in[0] && x.size(2) == in[1] && x.size(3) == in[2],
              "model input must be ", in[0], "x", in[1], "x", in[2], " per sample, got ",
              input.sizes());
  const int64_t batch = pass.timed ? x.size(0) / pass.t : x.size(0);
  if (!options.last_tap.empty()) {
    const bool known =
        std::any_of(plan_.taps.begin(), plan_.taps.end(),
                    [&](const TapInfo& tap) { return tap.name == options.last_tap; });
    TORCH_CHECK(known, "ForwardOptions::last_tap: the model has no tap '", options.last_tap, "'");
  }

  for (size_t i = 0; i < plan_.layers.size(); ++i) {
    const PlannedLayer& l = plan_.layers[i];
    switch (l.kind) {
      case Kind::kConv:
        x = static_cast<ConvBnImpl*>(layers_[i].get())->forward(x);
        break;
      case Kind::kActivation:
        x = Activate(x, l.name, pass, i);
        break;
      case Kind::kBasicBlock:
        x = RunBlock(i, x, pass);
        break;
      case Kind::kMaxPool:
        x = MaxPool2d(x, l.kernel_size, l.stride, l.padding);
        break;
      case Kind::kAvgPool:
        x = AvgPool2d(x, l.kernel_size, l.stride, l.padding);
        break;
      case Kind::kGlobalAvgPool:
        x = at::adaptive_avg_pool2d(x, {1, 1});
        break;
      case Kind::kFlatten:
        x = x.flatten(1);
        break;
      case Kind::kLinear:
        x = dynamic_cast<torch::nn::LinearImpl*>(layers_[i].get())->forward(x);
        break;
      case Kind::kDropout:
        x = at::dropout(x, l.dropout_p, is_training() && !Frozen(i));
        break;
    }
    if (options.taps && !l.tap.empty()) {
      pass.out.taps.insert(l.tap, mode_ == Mode::kSnn ? pass.last_spikes : x);
      if (mode_ == Mode::kSnn && options.tap_rates) {
        pass.out.tap_rates.insert(l.tap, pass.last_rate);
      }
    }
    if (!options.last_tap.empty() && l.tap == options.last_tap) return std::move(pass.out);
  }

  // x: [T*B, K] (timed) or [B, K].
  torch::Tensor per_step = pass.timed ? Unfold(x, pass.t)
                                      : x.unsqueeze(0).expand({pass.t, batch, x.size(1)});
  pass.out.logits = pass.timed ? per_step.mean(0) : x;
  if (options.cumulative_logits) {
    torch::Tensor steps = at::arange(1, pass.t + 1, x.options()).view({pass.t, 1, 1});
    pass.out.cumulative_logits = per_step.cumsum(0) / steps;
  }
  return std::move(pass.out);
}

absl::StatusOr<Model> BuildModel(const ModelSpec& spec, Mode mode) {
  LASNN_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(spec));
  if (mode == Mode::kSnn && plan.qcfs_levels > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "activation.kind QCFS: model '", spec.name(), "' has QCFS activations, which exist only "
        "in the ANN; train the ANN, then convert it (baselines/conversion, Normalisation::kQcfs)"));
  }
  return TorchCall(absl::StrCat("building model ", spec.name()), [&]() -> absl::StatusOr<Model> {
    return Model(std::move(plan), mode, spec.encoder().kind(),
                 NeuronOptionsFromSpec(spec.neuron()));
  });
}

void ModelImpl::SetTrainableLayers(size_t begin, size_t end) {
  TORCH_CHECK(begin <= end && end <= layers_.size(), "SetTrainableLayers: [", begin, ", ", end,
              ") is not a range of the ", layers_.size(), " layers");
  trainable_begin_ = begin;
  trainable_end_ = end;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (!layers_[i]) continue;
    for (torch::Tensor& p : layers_[i]->parameters()) p.set_requires_grad(!Frozen(i));
  }
  train(is_training());
}

void ModelImpl::train(bool on) {
  torch::nn::Module::train(on);
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i] && Frozen(i)) layers_[i]->eval();
  }
}

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const torch::Tensor& p : module.parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

InputCode InputCodeOf(EncoderSpec::Kind kind) {
  switch (kind) {
    case EncoderSpec::POISSON: return InputCode::kPoisson;
    case EncoderSpec::LATENCY: return InputCode::kLatency;
    default: return InputCode::kDirect;
  }
}

}  // namespace lasnn
