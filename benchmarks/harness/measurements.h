// What the harness measured about a trained or converted SNN, before it goes into a RunRecord
// (record_builder.h). Produced by evaluation.h; plain values, no tensors.
#ifndef LASNN_BENCHMARKS_HARNESS_MEASUREMENTS_H_
#define LASNN_BENCHMARKS_HARNESS_MEASUREMENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/experiment/run_record.pb.h"
#include "benchmarks/harness/measure.h"

namespace lasnn {

// The firing rate of one spiking layer: spikes per neuron per step.
struct LayerRate {
  std::string layer;  // the model's name for it ("layer2", "stage1_block0.act1")
  double rate = 0;
};

// One simulation length T of eval.cost_timesteps.
struct TimestepMeasurement {
  int timesteps = 0;
  LatencyThroughput timing;
  std::vector<LayerRate> firing;  // every spiking layer, in forward order
  // A Poisson or latency code's spikes per input element per step (same images as `firing`);
  // < 0: analog input (direct encoding).
  double input_rate = -1;
};

struct SnnEvaluation {
  int64_t num_samples = 0;
  std::vector<double> accuracy_at_t;        // entry t-1: accuracy using steps 1..t
  EvalOutcomes outcomes;                    // per image, every t of accuracy_at_t
  std::vector<TimestepMeasurement> costs;   // one per eval.cost_timesteps, in that order
  double seconds = 0;                       // wall time of the whole evaluation
};

struct ConversionEvaluation {
  double ann_accuracy = 0;  // the BN-folded ANN on the same images
  int64_t num_samples = 0;
  std::vector<double> accuracy_at_t;
  EvalOutcomes outcomes;          // per image, every t of accuracy_at_t
  std::vector<LayerRate> firing;  // at eval.t_max over the evaluated images
  std::vector<TimestepMeasurement> costs;
  double seconds = 0;
};

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_MEASUREMENTS_H_
