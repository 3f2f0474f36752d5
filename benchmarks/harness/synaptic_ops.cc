#include "benchmarks/harness/synaptic_ops.h"

#include "absl/strings/str_cat.h"

namespace lasnn {
namespace {

using Kind = PlannedLayer::Kind;

double ConvMacs(int64_t in_c, int64_t out_c, int64_t k, const FeatureShape& out_shape) {
  // out_shape: {C, H, W}
  const double hw = out_shape.size() == 3 ? static_cast<double>(out_shape[1] * out_shape[2]) : 1;
  return static_cast<double>(in_c) * static_cast<double>(k * k) * static_cast<double>(out_c) * hw;
}

double Energy(const OpCount& ops, const EnergyConfig& e) {
  return (ops.acs() * e.pj_per_ac() + ops.macs() * e.pj_per_mac()) * 1e-6;  // pJ -> uJ
}

}  // namespace

double DenseMacs(const PlannedLayer& l) {
  switch (l.kind) {
    case Kind::kConv:
      return ConvMacs(l.in_channels, l.out_channels, l.kernel_size, l.out_shape);
    case Kind::kLinear:
      return static_cast<double>(l.in_features) * static_cast<double>(l.out_features);
    case Kind::kBasicBlock: {
      double macs = ConvMacs(l.in_channels, l.out_channels, 3, l.out_shape) +
                    ConvMacs(l.out_channels, l.out_channels, 3, l.out_shape);
      if (l.shortcut_conv) macs += ConvMacs(l.in_channels, l.out_channels, 1, l.out_shape);
      return macs;
    }
    default:
      return 0;
  }
}

OpCount CountAnnOps(const ModelPlan& plan, const EnergyConfig& energy) {
  OpCount ops;
  ops.set_timesteps(0);
  double macs = 0;
  for (const PlannedLayer& l : plan.layers) macs += DenseMacs(l);
  ops.set_macs(macs);
  ops.set_acs(0);
  ops.set_energy_uj(Energy(ops, energy));
  return ops;
}

absl::StatusOr<OpCount> CountSnnOps(const ModelPlan& plan, const std::vector<double>& rates,
                                    int timesteps, const EnergyConfig& energy,
                                    double input_rate) {
  if (static_cast<int>(rates.size()) != plan.num_activations) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", plan.num_activations,
                                                   " firing rates (one per spiking layer), got ",
                                                   rates.size()));
  }
  double acs = 0, macs = 0;
  const double t = static_cast<double>(timesteps);
  int next = 0;       // index of the next spiking layer
  // Rate of the spikes feeding the current layer; < 0: analog input.
  double rate = input_rate < 0 ? -1 : input_rate;
  auto synapse = [&](double dense, double input_rate) {
    if (input_rate < 0) {
      macs += dense;
    } else {
      acs += dense * input_rate * t;
    }
  };
  for (const PlannedLayer& l : plan.layers) {
    switch (l.kind) {
      case Kind::kConv:
      case Kind::kLinear:
        synapse(DenseMacs(l), rate);
        break;
      case Kind::kActivation:
        rate = rates[next++];
        break;
      case Kind::kBasicBlock: {
        const double in_rate = rate;
        synapse(ConvMacs(l.in_channels, l.out_channels, 3, l.out_shape), in_rate);
        const double act1 = rates[next++];
        synapse(ConvMacs(l.out_channels, l.out_channels, 3, l.out_shape), act1);
        if (l.shortcut_conv) synapse(ConvMacs(l.in_channels, l.out_channels, 1, l.out_shape), in_rate);
        rate = rates[next++];
        break;
      }
      default:
        break;  // pooling, flatten, dropout: no synapses; the mean rate is kept
    }
  }
  OpCount ops;
  ops.set_timesteps(timesteps);
  ops.set_acs(acs);
  ops.set_macs(macs);
  ops.set_energy_uj(Energy(ops, energy));
  return ops;
}

}  // namespace lasnn
