// Synaptic operations per image and their energy, from a model plan and measured firing rates.
//
// Convention (as in the SNN energy literature, e.g. Rathi & Roy 2020, and the LaSNN paper):
// a conv / linear layer whose input is the analog image (direct encoding: the layers before the
// first spiking layer) performs multiply-accumulates (MACs); a layer fed by spikes performs
// accumulates (ACs), one per synapse per input spike: its dense MAC count x the firing rate of
// the spiking layer feeding it x T. Pooling and flatten keep the mean rate. Layers before the
// first spiking layer see the same input at every step and run once (lasnn/models/model.h), so their
// MACs are counted once, not T times. The ANN counts every conv / linear operation as a MAC.
// Energy = ACs x pj_per_ac + MACs x pj_per_mac (defaults 0.9 / 4.6 pJ, 45 nm CMOS, Horowitz 2014).
#ifndef LASNN_BENCHMARKS_SYNAPTIC_OPS_H_
#define LASNN_BENCHMARKS_SYNAPTIC_OPS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "lasnn/models/model_spec.h"

namespace lasnn {

// Dense multiply-accumulates per image of one conv / linear layer (0 for other kinds; a basic
// block: its two convs and the shortcut conv).
double DenseMacs(const PlannedLayer& layer);

// The ANN: every conv / linear operation is a MAC.
OpCount CountAnnOps(const ModelPlan& plan, const EnergyConfig& energy);

// The SNN at T steps with `rates[k]` = the firing rate (spikes per neuron per step) of spiking
// layer k in forward order (ModelPlan::num_activations entries: a basic block contributes act1
// then act2). The first layer is fed the analog image (MACs, once: direct encoding) when
// input_rate < 0, else spikes at input_rate per input element per step (ACs, like any spike-fed
// layer; the normalisation after encoding folds into its bias). InvalidArgument when the count
// does not match the plan.
absl::StatusOr<OpCount> CountSnnOps(const ModelPlan& plan, const std::vector<double>& rates,
                                    int timesteps, const EnergyConfig& energy,
                                    double input_rate = -1);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_SYNAPTIC_OPS_H_
