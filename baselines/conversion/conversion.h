// ANN-to-SNN conversion baselines:
//   - BN folding into the preceding conv/linear (exact in eval mode);
//   - MaxNorm (Diehl et al., IJCNN 2015): per-layer threshold = maximum ANN activation over a
//     calibration subset of the training set;
//   - RobustNorm (Rueckauer et al., Front. Neurosci. 2017): the p-th percentile (default 99.9)
//     instead of the maximum, per layer or per channel;
//   - QCFS (Bu et al., ICLR 2022): an ANN trained with the quantisation-clip-floor-shift
//     activation (lasnn/models/model.h QcfsActivation) converts with threshold lambda per layer and an
//     initial membrane of lambda / 2;
//   - Spike-Norm threshold balancing (Sengupta et al., Front. Neurosci. 2019): layer by layer, the
//     threshold is the maximum input current the layer's neurons receive while the SNN (earlier
//     layers already balanced) is simulated on the calibration set.
// The SNN uses IF neurons (decay 1), reset by subtraction by default (reset to zero selectable),
// initial membrane 0 (or a fraction of the threshold). Thresholds are applied as "threshold
// balancing with scaled spikes": a neuron of threshold theta emits spikes of amplitude theta, so
// the next layer receives currents on the ANN's scale. That is exactly equivalent to data-based
// weight normalisation (W_l <- W_l * theta_{l-1} / theta_l, threshold 1) and works per channel.
// Logits are the output layer's currents averaged over t, as in the trained SNNs.
//
// Supported layers: conv (+BN), linear, ReLU activation, average pooling (k x k and global),
// flatten, dropout (identity). Max pooling and residual blocks are rejected with an error naming
// the layer (max pooling has no exact rate-coded equivalent; ResNet conversion is not implemented).
#ifndef LASNN_BASELINES_CONVERSION_CONVERSION_H_
#define LASNN_BASELINES_CONVERSION_CONVERSION_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/dataset.h"
#include "lasnn/models/model.h"

namespace lasnn::conversion {

// One layer of a BN-folded ANN.
struct FoldedLayer {
  enum class Kind { kConv, kLinear, kRelu, kAvgPool, kGlobalAvgPool, kFlatten };
  Kind kind = Kind::kConv;
  std::string name;    // the plan's layer name ("layer3")
  at::Tensor weight;   // conv [O, I, k, k] / linear [O, I], BN folded in
  at::Tensor bias;     // [O] (always defined after folding)
  int64_t stride = 1, padding = 0, kernel_size = 1;
  // kRelu of a QCFS ANN: its lambda (0-d) and L; the folded ANN applies QCFS there.
  at::Tensor qcfs_lambda;
  int64_t qcfs_levels = 0;
};

struct FoldedAnn {
  std::vector<FoldedLayer> layers;
  int64_t num_classes = 0;
  std::vector<int64_t> input_shape;  // {C, H, W}
  int num_activations = 0;
};

// Folds each BN into its conv: w' = w * g / sqrt(v + eps), b' = (b - m) * g / sqrt(v + eps) + beta.
// `ann` must be an ANN (Mode::kAnn); its weights are copied (the model is not modified).
// InvalidArgument naming the layer for an unsupported layer ("layer2 (layers[2]): max pooling ...").
absl::StatusOr<FoldedAnn> FoldBatchNorm(const Model& ann);

// The folded ANN's logits: x float [B, C, H, W] (normalised images) -> [B, K]. Equal to the
// source model's eval-mode logits within float rounding.
at::Tensor FoldedForward(const FoldedAnn& ann, const at::Tensor& x);

// kQcfs: the thresholds are the QCFS ANN's trained lambdas (no calibration); use with
// init_membrane 0.5 and reset by subtraction, as Bu et al. (ICLR 2022).
enum class Normalisation { kMax, kRobust, kRobustPerChannel, kSpikeNorm, kQcfs };

struct ConversionOptions {
  Normalisation normalisation = Normalisation::kRobust;
  double percentile = 99.9;          // kRobust / kRobustPerChannel, in (0, 100]
  bool reset_by_subtraction = true;  // false: reset to zero
  double init_membrane = 0.0;        // fraction of the threshold
  int64_t spike_norm_timesteps = 64; // kSpikeNorm: T of the calibration simulations
  int64_t batch_size = 100;
};

// A converted SNN: the folded layers plus one threshold tensor per activation (0-d for a
// per-layer threshold, [C] per channel).
struct ConvertedSnn {
  FoldedAnn ann;
  std::vector<at::Tensor> thresholds;
  bool reset_by_subtraction = true;
  double init_membrane = 0.0;
};

// Computes the thresholds on `calibration` (normalised float images [N, C, H, W]; unused by
// kQcfs). InvalidArgument for bad options (naming the field), or kQcfs on an ANN without QCFS.
absl::StatusOr<ConvertedSnn> Convert(const FoldedAnn& ann, const at::Tensor& calibration,
                                     const ConversionOptions& options);

struct SimulationResult {
  std::vector<double> accuracy_at_t;   // accuracy_at_t[t-1]: using output steps 1..t
  std::vector<double> firing_rates;    // per activation layer: spikes / (neurons * T * N)
  int64_t num_samples = 0;
};

struct BatchSimulation {
  at::Tensor cumulative_logits;     // [T, B, K]: entry t-1 = mean of the output over steps 1..t
  std::vector<double> spike_counts;  // per activation layer
  std::vector<double> neuron_steps;  // per activation layer: neurons * T
};

// Simulates one batch (normalised float [B, C, H, W], direct encoding) for T steps.
BatchSimulation SimulateBatch(const ConvertedSnn& snn, const at::Tensor& images,
                              int64_t timesteps);

// Simulates the SNN step by step for T steps on `images` (normalised float [N, C, H, W]) with the
// image as the input current at every step (direct encoding); state per layer is kept for one
// batch at a time, so memory does not grow with T.
// Runs on the device of `images` (`labels` and the SNN's tensors must be on it too); the only
// host reads are the per-batch spike counts and the final accuracy counts.
SimulationResult Simulate(const ConvertedSnn& snn, const at::Tensor& images,
                          const at::Tensor& labels, int64_t timesteps, int64_t batch_size);

// One IF neuron layer for one step (exposed for tests): u += current; s = u >= theta;
// u -= theta * s (or u *= 1 - s); returns theta * s. u, current: same shape; theta broadcastable.
at::Tensor IfStep(at::Tensor& u, const at::Tensor& current, const at::Tensor& theta,
                  bool reset_by_subtraction);

// The first t (1-based) at which accuracy_at_t comes within `gap` of `reference`
// (accuracy_at_t[t-1] >= reference - gap); -1 if it never does.
int64_t FirstTimestepWithin(const std::vector<double>& accuracy_at_t, double reference, double gap);

}  // namespace lasnn::conversion

#endif  // LASNN_BASELINES_CONVERSION_CONVERSION_H_
