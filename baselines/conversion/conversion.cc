#include "baselines/conversion/conversion.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "lasnn/core/event_conv.h"
#include "lasnn/core/pooling.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn::conversion {
namespace {

using PKind = PlannedLayer::Kind;
using FKind = FoldedLayer::Kind;

constexpr double kBnEps = 1e-5;  // torch::nn::BatchNorm2d's default, used by lasnn/models/model.cc

// Applies one non-spiking layer (or the ANN's activation) to x. `skip` is the residual block's
// input, set by kBlockInput and read by kBlockAdd.
at::Tensor ApplyLinearLayer(const FoldedLayer& l, const at::Tensor& x, at::Tensor& skip) {
  switch (l.kind) {
    case FKind::kBlockInput:
      skip = x;
      return x;
    case FKind::kBlockAdd:
      return l.weight.defined()
                 ? x + at::conv2d(skip, l.weight, l.bias, {l.stride, l.stride}, {l.padding, l.padding})
                 : x + skip;
    case FKind::kConv:
      return at::conv2d(x, l.weight, l.bias, {l.stride, l.stride}, {l.padding, l.padding});
    case FKind::kLinear:
      return at::linear(x, l.weight, l.bias);
    case FKind::kAvgPool:
      return AvgPool2d(x, l.kernel_size, l.stride, l.padding);
    case FKind::kGlobalAvgPool:
      return at::adaptive_avg_pool2d(x, {1, 1});
    case FKind::kFlatten:
      return x.flatten(1);
    case FKind::kRelu:
      return l.qcfs_levels > 0 ? QcfsActivation(x, l.qcfs_lambda, l.qcfs_levels) : at::relu(x);
  }
  return x;
}

// Runs `ann` on x and calls on_activation(index, pre_activation) for every ReLU, stopping after
// activation `stop_after` (-1: run to the end). Returns the final tensor.
template <typename Fn>
at::Tensor RunAnn(const FoldedAnn& ann, at::Tensor x, int stop_after, Fn on_activation) {
  int k = 0;
  at::Tensor skip;
  for (const FoldedLayer& l : ann.layers) {
    if (l.kind == FKind::kRelu) {
      on_activation(k, x);
      x = ApplyLinearLayer(l, x, skip);
      if (k == stop_after) return x;
      ++k;
    } else {
      x = ApplyLinearLayer(l, x, skip);
    }
  }
  return x;
}

// The k-th smallest value (nearest-rank percentile: k = ceil(p / 100 * n)) along dim 1 of
// [rows, n], or of all values when rows is absent.
at::Tensor NearestRankPercentile(const at::Tensor& values, double percentile) {
  const int64_t n = values.size(-1);
  int64_t k = static_cast<int64_t>(std::ceil(percentile / 100.0 * static_cast<double>(n)));
  k = std::clamp<int64_t>(k, 1, n);
  return std::get<0>(values.kthvalue(k, /*dim=*/-1));
}

// The nearest-rank percentile of the non-zero entries of `values` (ReLU outputs, >= 0); 0 when
// there is none.
at::Tensor NonZeroPercentile(const at::Tensor& values, double percentile) {
  const at::Tensor nz = values.masked_select(values.gt(0));
  if (nz.numel() == 0) return at::zeros({}, values.options());
  return NearestRankPercentile(nz, percentile);
}

// The RobustNorm threshold of one activation a [N, C, ...]: 0-d per layer, [C] per channel.
at::Tensor RobustThreshold(const at::Tensor& a, bool per_channel, double percentile,
                           PercentileOf of) {
  if (!per_channel) {
    return of == PercentileOf::kNonZero ? NonZeroPercentile(a.flatten(), percentile)
                                        : NearestRankPercentile(a.flatten(), percentile);
  }
  const at::Tensor rows = a.transpose(0, 1).reshape({a.size(1), -1});  // [C, N * ...]
  if (of == PercentileOf::kAll) return NearestRankPercentile(rows, percentile);
  std::vector<at::Tensor> per_row;
  per_row.reserve(rows.size(0));
  for (int64_t c = 0; c < rows.size(0); ++c) {
    per_row.push_back(NonZeroPercentile(rows[c], percentile));
  }
  return at::stack(per_row);  // [C]
}

// The largest positive weight of the conv / linear layer that feeds each activation, 0-d each
// (0 when all its weights are <= 0). A residual block's post-addition activation is fed by conv2
// and the shortcut: the larger of conv2's largest weight and the 1x1 conv shortcut's, or 1 (the
// identity's weight) for an identity shortcut.
std::vector<at::Tensor> LargestIncomingWeights(const FoldedAnn& ann) {
  std::vector<at::Tensor> out;
  at::Tensor last;  // 0-d
  for (const FoldedLayer& l : ann.layers) {
    if (l.kind == FKind::kConv || l.kind == FKind::kLinear) last = l.weight.max();
    if (l.kind == FKind::kBlockAdd) {
      const at::Tensor shortcut =
          l.weight.defined() ? l.weight.max() : at::ones({}, last.options());
      last = last.defined() ? at::maximum(last, shortcut) : shortcut;
    }
    if (l.kind == FKind::kRelu) {
      out.push_back(last.defined() ? last.clamp_min(0) : at::Tensor());
    }
  }
  return out;
}

// Folds conv `prefix`.conv (+ `prefix`.bn) of a model's tensors `t` into a kConv layer.
FoldedLayer FoldConv(const std::map<std::string, at::Tensor>& t, const std::string& prefix,
                     bool batch_norm, int64_t stride, int64_t padding, int64_t kernel_size) {
  FoldedLayer f;
  f.kind = FKind::kConv;
  f.name = prefix;
  f.stride = stride;
  f.padding = padding;
  f.kernel_size = kernel_size;
  at::Tensor w = t.at(prefix + ".conv.weight").clone();
  at::Tensor b = t.count(prefix + ".conv.bias") ? t.at(prefix + ".conv.bias").clone()
                                                : at::zeros({w.size(0)}, w.options());
  if (batch_norm) {
    at::Tensor scale = t.at(prefix + ".bn.weight") /
                       (t.at(prefix + ".bn.running_var") + kBnEps).sqrt();  // [O]
    w = w * scale.view({-1, 1, 1, 1});
    b = (b - t.at(prefix + ".bn.running_mean")) * scale + t.at(prefix + ".bn.bias");
  }
  f.weight = w.contiguous();
  f.bias = b.contiguous();
  return f;
}

}  // namespace

absl::StatusOr<FoldedAnn> FoldBatchNorm(const Model& ann) {
  if (ann->mode() != Mode::kAnn) {
    return absl::InvalidArgumentError("FoldBatchNorm expects the ANN twin (Mode::kAnn)");
  }
  std::map<std::string, at::Tensor> t;
  for (const auto& p : ann->named_parameters(/*recurse=*/true)) t[p.key()] = p.value().detach();
  for (const auto& b : ann->named_buffers(/*recurse=*/true)) t[b.key()] = b.value().detach();
  const ModelPlan& plan = ann->plan();
  FoldedAnn out;
  out.num_classes = plan.num_classes;
  out.input_shape = plan.input_shape;
  torch::NoGradGuard no_grad;
  for (const PlannedLayer& l : plan.layers) {
    FoldedLayer f;
    f.name = l.name;
    switch (l.kind) {
      case PKind::kConv:
        f = FoldConv(t, l.name, l.batch_norm, l.stride, l.padding, l.kernel_size);
        break;
      case PKind::kLinear:
        f.kind = FKind::kLinear;
        f.weight = t.at(l.name + ".weight").clone();
        f.bias = t.count(l.name + ".bias") ? t.at(l.name + ".bias").clone()
                                           : at::zeros({f.weight.size(0)}, f.weight.options());
        break;
      case PKind::kActivation:
        f.kind = FKind::kRelu;
        if (plan.qcfs_levels > 0) {
          f.qcfs_levels = plan.qcfs_levels;
          f.qcfs_lambda = t.at(l.name + ".lambda").clone();
        }
        ++out.num_activations;
        break;
      case PKind::kAvgPool:
        f.kind = FKind::kAvgPool;
        f.kernel_size = l.kernel_size;
        f.stride = l.stride;
        f.padding = l.padding;
        break;
      case PKind::kGlobalAvgPool:
        f.kind = FKind::kGlobalAvgPool;
        break;
      case PKind::kFlatten:
        f.kind = FKind::kFlatten;
        break;
      case PKind::kDropout:
        continue;  // identity in eval mode
      case PKind::kMaxPool:
        return absl::InvalidArgumentError(absl::StrCat(
            l.name, " (", l.source, "): max pooling cannot be converted to a rate-coded SNN "
            "exactly; use average pooling (pool { kind: AVG }) for conversion baselines"));
      case PKind::kBasicBlock: {
        // kBlockInput, conv1, act1, conv2, kBlockAdd (shortcut), act2: see FoldedLayer.
        auto activation = [&](const std::string& name) {
          FoldedLayer relu;
          relu.kind = FKind::kRelu;
          relu.name = name;
          if (plan.qcfs_levels > 0) {
            relu.qcfs_levels = plan.qcfs_levels;
            relu.qcfs_lambda = t.at(name + ".lambda").clone();
          }
          ++out.num_activations;
          return relu;
        };
        FoldedLayer input;
        input.kind = FKind::kBlockInput;
        input.name = l.name;
        out.layers.push_back(std::move(input));
        out.layers.push_back(FoldConv(t, l.name + ".conv1", true, l.stride, 1, 3));
        out.layers.push_back(activation(l.name + ".act1"));
        out.layers.push_back(FoldConv(t, l.name + ".conv2", true, 1, 1, 3));
        FoldedLayer add;
        if (l.shortcut_conv) add = FoldConv(t, l.name + ".shortcut", true, l.stride, 0, 1);
        add.kind = FKind::kBlockAdd;
        add.name = l.name + ".shortcut";
        out.layers.push_back(std::move(add));
        out.layers.push_back(activation(l.name + ".act2"));
        continue;
      }
    }
    out.layers.push_back(std::move(f));
  }
  if (out.num_activations == 0) {
    return absl::InvalidArgumentError("the model has no activation layer to convert");
  }
  return out;
}

at::Tensor FoldedForward(const FoldedAnn& ann, const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  return RunAnn(ann, x, -1, [](int, const at::Tensor&) {});
}

absl::StatusOr<ConvertedSnn> Convert(const FoldedAnn& ann, const at::Tensor& calibration,
                                     const ConversionOptions& options) {
  if (!(options.percentile > 0 && options.percentile <= 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("percentile must be in (0, 100], got ", options.percentile));
  }
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size must be >= 1, got ", options.batch_size));
  }
  if (!(options.init_membrane >= 0 && options.init_membrane < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("init_membrane must be in [0, 1), got ", options.init_membrane));
  }
  if (options.spike_norm_timesteps < 1) {
    return absl::InvalidArgumentError(absl::StrCat("spike_norm_timesteps must be >= 1, got ",
                                                   options.spike_norm_timesteps));
  }
  const bool qcfs = options.normalisation == Normalisation::kQcfs;
  if (qcfs && !options.reset_by_subtraction) {
    return absl::InvalidArgumentError(
        "reset_by_subtraction must be true for QCFS conversion: its equivalence with the QCFS "
        "ANN (Bu et al. 2022) holds for reset by subtraction only");
  }
  if (qcfs) {
    for (const FoldedLayer& l : ann.layers) {
      if (l.kind == FKind::kRelu && l.qcfs_levels == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "QCFS conversion needs an ANN trained with QCFS activations (activation { kind: QCFS "
            "}); ", l.name, " is a ReLU"));
      }
    }
  } else if (calibration.dim() != 4 || calibration.size(0) < 1) {
    return absl::InvalidArgumentError("calibration images must be a non-empty [N, C, H, W]");
  }
  ConvertedSnn snn;
  snn.ann = ann;
  snn.reset_by_subtraction = options.reset_by_subtraction;
  snn.init_membrane = options.init_membrane;
  const int64_t n = calibration.size(0);
  absl::Status status = TorchCall("conversion", [&] {
    torch::NoGradGuard no_grad;
    if (qcfs) {
      for (const FoldedLayer& l : ann.layers) {
        if (l.kind == FKind::kRelu) {
          snn.thresholds.push_back(l.qcfs_lambda.clamp_min(kQcfsMinLambda).contiguous());
        }
      }
      return;
    }
    if (options.normalisation == Normalisation::kSpikeNorm) {
      // Layer by layer: simulate with the earlier thresholds fixed and record the largest input
      // current reaching activation k.
      for (int k = 0; k < ann.num_activations; ++k) {
        // The largest current, kept on the calibration images' device (no host read per step).
        at::Tensor max_current = at::full({}, 1e-6, calibration.options().dtype(at::kFloat));
        for (int64_t start = 0; start < n; start += options.batch_size) {
          at::Tensor x0 = calibration.narrow(0, start, std::min(options.batch_size, n - start));
          std::vector<at::Tensor> u(k);
          for (int64_t t = 0; t < options.spike_norm_timesteps; ++t) {
            at::Tensor x = x0;
            at::Tensor skip;
            int a = 0;
            for (const FoldedLayer& l : ann.layers) {
              if (l.kind != FKind::kRelu) {
                x = ApplyLinearLayer(l, x, skip);
                continue;
              }
              if (a == k) {
                max_current = at::maximum(max_current, x.max().to(at::kFloat));
                break;
              }
              if (!u[a].defined()) {
                u[a] = at::zeros_like(x) +
                       BroadcastThreshold(snn.thresholds[a], x) * options.init_membrane;
              }
              x = IfStep(u[a], x, snn.thresholds[a], options.reset_by_subtraction);
              ++a;
            }
          }
        }
        snn.thresholds.push_back(max_current);
      }
      return;
    }
    // Activation statistics of the ANN on the calibration set.
    const std::vector<at::Tensor> weights = LargestIncomingWeights(ann);
    std::vector<std::vector<at::Tensor>> acts(ann.num_activations);
    for (int64_t start = 0; start < n; start += options.batch_size) {
      at::Tensor x = calibration.narrow(0, start, std::min(options.batch_size, n - start));
      RunAnn(ann, x, -1, [&](int k, const at::Tensor& pre) { acts[k].push_back(at::relu(pre)); });
    }
    for (int k = 0; k < ann.num_activations; ++k) {
      at::Tensor a = at::cat(acts[k], 0);  // [N, C, ...]
      acts[k].clear();
      at::Tensor theta;
      switch (options.normalisation) {
        case Normalisation::kMax:
          theta = a.max();
          break;
        case Normalisation::kMaxDiehl: {
          const at::Tensor w = weights[k];
          theta = w.defined() ? at::maximum(a.max(), w.to(a.scalar_type())) : a.max();
          break;
        }
        case Normalisation::kRobust:
        case Normalisation::kRobustPerChannel:
          theta = RobustThreshold(a, options.normalisation == Normalisation::kRobustPerChannel,
                                  options.percentile, options.percentile_of);
          break;
        case Normalisation::kSpikeNorm:
        case Normalisation::kQcfs:
          break;
      }
      snn.thresholds.push_back(theta.clamp_min(1e-6).to(at::kFloat).contiguous());
    }
  });
  LASNN_RETURN_IF_ERROR(status);
  return snn;
}

BatchSimulation SimulateBatch(const ConvertedSnn& snn, const at::Tensor& images,
                              int64_t timesteps, const SimulationOptions& options) {
  SimulationProfile* profile = options.profile;
  TORCH_CHECK(timesteps >= 1, "SimulateBatch: timesteps must be >= 1");
  torch::NoGradGuard no_grad;
  const FoldedAnn& ann = snn.ann;
  // Layers before the first activation (or residual block) see a constant input: run them once.
  size_t first_act = 0;
  while (first_act < ann.layers.size() && ann.layers[first_act].kind != FKind::kRelu &&
         ann.layers[first_act].kind != FKind::kBlockInput) {
    ++first_act;
  }
  at::Tensor x0 = images;
  at::Tensor skip;
  if (profile != nullptr) {
    profile->layer_seconds.resize(ann.layers.size(), 0.0);
    profile->event_driven_steps.resize(ann.layers.size(), 0);
    profile->steps.resize(ann.layers.size(), 0);
  }
  // Event-driven weights of the spike-fed convs (those after the first activation).
  const bool event_driven = options.event_driven_below > 0 && images.device().is_cpu() &&
                            (images.scalar_type() == at::kFloat ||
                             images.scalar_type() == at::kDouble);
  std::vector<EventConvWeights> event_weights(ann.layers.size());
  if (event_driven) {
    for (size_t i = first_act; i < ann.layers.size(); ++i) {
      const FoldedLayer& l = ann.layers[i];
      if (l.kind == FKind::kConv && l.weight.size(2) == l.weight.size(3)) {
        event_weights[i] = MakeEventConvWeights(l.weight, l.bias, l.stride, l.padding);
      }
    }
  }
  // Adds the time since `start` to layer i's entry (profiling only).
  const auto charge = [&](size_t i, std::chrono::steady_clock::time_point start) {
    profile->layer_seconds[i] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // The layers before the first activation, on the input current of one step.
  const auto input_layers = [&](at::Tensor x) {
    for (size_t i = 0; i < first_act; ++i) {
      const auto start = std::chrono::steady_clock::now();
      x = ApplyLinearLayer(ann.layers[i], x, skip);
      if (profile != nullptr) charge(i, start);
    }
    return x;
  };
  const InputEncoder* encoder = options.encoder;
  // A code already encoded: [T, B, C, H, W], step t's input is images[t].
  const bool pre_encoded = images.dim() == 5;
  TORCH_CHECK(!pre_encoded || (encoder == nullptr && images.size(0) == timesteps),
              "SimulateBatch: encoded input must be [T, B, C, H, W] with T = ", timesteps,
              " and no encoder, got ", images.sizes());
  if (encoder == nullptr && !pre_encoded) x0 = input_layers(x0);
  BatchSimulation out;
  out.spike_counts.assign(ann.num_activations, 0.0);
  out.neuron_steps.assign(ann.num_activations, 0.0);
  out.neurons_per_image.assign(ann.num_activations, 0);
  std::vector<at::Tensor> u(ann.num_activations);
  std::vector<std::vector<at::Tensor>> counts(ann.num_activations);  // per step: [B]
  std::vector<at::Tensor> cumulative;
  at::Tensor sum_logits;
  for (int64_t t = 0; t < timesteps; ++t) {
    at::Tensor x = pre_encoded ? input_layers(images[t])
                   : encoder == nullptr
                       ? x0
                       : input_layers(encoder->EncodeSteps(images, options.indices, options.stream,
                                                           timesteps, t, 1)[0]);
    int a = 0;
    for (size_t i = first_act; i < ann.layers.size(); ++i) {
      const FoldedLayer& l = ann.layers[i];
      const auto start = profile != nullptr ? std::chrono::steady_clock::now()
                                            : std::chrono::steady_clock::time_point();
      if (l.kind != FKind::kRelu) {
        const bool sparse = event_weights[i].taps.defined() &&
                            NonZeroFraction(x) <= options.event_driven_below;
        x = sparse ? EventConv2d(x, event_weights[i]) : ApplyLinearLayer(l, x, skip);
        if (profile != nullptr) {
          charge(i, start);
          profile->steps[i] += 1;
          profile->event_driven_steps[i] += sparse ? 1 : 0;
        }
        continue;
      }
      const at::Tensor& theta = snn.thresholds[a];
      if (!u[a].defined()) {
        u[a] = at::zeros_like(x) + BroadcastThreshold(theta, x) * snn.init_membrane;
        out.neuron_steps[a] = static_cast<double>(x.numel()) * static_cast<double>(timesteps);
        out.neurons_per_image[a] = x.size(0) > 0 ? x.numel() / x.size(0) : 0;
      }
      at::Tensor spikes;  // [B], int64
      x = IfStep(u[a], x, theta, snn.reset_by_subtraction, &spikes);
      counts[a].push_back(spikes);
      if (profile != nullptr) {
        charge(i, start);
        profile->steps[i] += 1;
      }
      ++a;
    }
    sum_logits = sum_logits.defined() ? sum_logits + x : x.clone();
    cumulative.push_back(sum_logits / static_cast<double>(t + 1));
  }
  out.cumulative_logits = at::stack(cumulative);  // [T, B, K]
  out.spikes_per_step.resize(ann.num_activations);
  for (int k = 0; k < ann.num_activations; ++k) {
    if (counts[k].empty()) continue;
    out.spikes_per_step[k] = at::stack(counts[k]);  // [T, B]
    out.spike_counts[k] = static_cast<double>(out.spikes_per_step[k].sum().item<int64_t>());
  }
  return out;
}

SimulationResult Simulate(const ConvertedSnn& snn, const at::Tensor& images,
                          const at::Tensor& labels, int64_t timesteps, int64_t batch_size,
                          const SimulationOptions& options) {
  TORCH_CHECK(timesteps >= 1 && batch_size >= 1, "Simulate: timesteps and batch_size must be >= 1");
  const int64_t n = images.size(0);
  const int num_act = snn.ann.num_activations;
  at::Tensor correct = at::zeros({timesteps}, images.options().dtype(at::kLong));
  std::vector<double> spikes(num_act, 0.0), neurons(num_act, 0.0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    SimulationOptions batch_options = options;
    if (options.encoder != nullptr) batch_options.indices = options.indices.narrow(0, start, b);
    BatchSimulation s = SimulateBatch(snn, images.narrow(0, start, b), timesteps, batch_options);
    correct += s.cumulative_logits.argmax(2).eq(labels.narrow(0, start, b).unsqueeze(0)).sum(1);
    for (int k = 0; k < num_act; ++k) {
      spikes[k] += s.spike_counts[k];
      neurons[k] += s.neuron_steps[k];
    }
  }
  SimulationResult r;
  r.num_samples = n;
  const at::Tensor correct_host = correct.cpu();  // the one host read of the simulation
  for (int64_t t = 0; t < timesteps; ++t) {
    r.accuracy_at_t.push_back(static_cast<double>(correct_host[t].item<int64_t>()) /
                              static_cast<double>(std::max<int64_t>(1, n)));
  }
  for (int k = 0; k < num_act; ++k) {
    r.firing_rates.push_back(neurons[k] > 0 ? spikes[k] / neurons[k] : 0.0);
  }
  return r;
}

std::vector<NormalisedShortcut> NormalisedShortcuts(const ConvertedSnn& snn) {
  torch::NoGradGuard no_grad;
  std::vector<NormalisedShortcut> out;
  at::Tensor theta_prev;  // threshold of the latest activation
  at::Tensor theta_in;    // of the activation feeding the current block
  int a = 0;
  for (size_t i = 0; i < snn.ann.layers.size(); ++i) {
    const FoldedLayer& l = snn.ann.layers[i];
    if (l.kind == FKind::kRelu) {
      theta_prev = snn.thresholds[a++];
    } else if (l.kind == FKind::kBlockInput) {
      theta_in = theta_prev.defined() ? theta_prev : at::ones({}, at::kFloat);  // analog input
      out.push_back(NormalisedShortcut{l.name, {}, {}, {}});
    } else if (l.kind == FKind::kBlockAdd) {
      // The block's post-addition activation is the next kRelu.
      const at::Tensor theta_out = snn.thresholds[a];
      NormalisedShortcut& s = out.back();
      if (!l.weight.defined()) {
        s.gain = theta_in.to(theta_out.scalar_type()) / theta_out;
      } else {
        const at::Tensor in = theta_in.to(l.weight.scalar_type());
        const at::Tensor o = theta_out.to(l.weight.scalar_type());
        const at::Tensor in_b = in.dim() == 0 ? in : in.view({1, -1, 1, 1});
        const at::Tensor o_b = o.dim() == 0 ? o : o.view({-1, 1, 1, 1});
        s.weight = l.weight * in_b / o_b;
        s.bias = l.bias / o;
      }
    }
  }
  return out;
}

int64_t FirstTimestepWithin(const std::vector<double>& accuracy_at_t, double reference,
                            double gap) {
  for (size_t t = 0; t < accuracy_at_t.size(); ++t) {
    if (accuracy_at_t[t] >= reference - gap) return static_cast<int64_t>(t) + 1;
  }
  return -1;
}

}  // namespace lasnn::conversion
