// ANN-to-SNN conversion baselines:
//   - BN folding into the preceding conv/linear (exact in eval mode);
//   - MaxNorm (Diehl et al., IJCNN 2015): per-layer threshold = maximum ANN activation over a
//     calibration subset of the training set (kMax), or Diehl et al.'s own data-based factor, the
//     larger of that maximum and the layer's largest positive incoming weight (kMaxDiehl);
//   - RobustNorm (Rueckauer et al., Front. Neurosci. 2017): the p-th percentile (default 99.9)
//     instead of the maximum, per layer or per channel, taken either over the non-zero
//     activations only, as the paper's reference implementation (snntoolbox) does, or over all
//     activations, zeros included, as SpikingJelly does (ConversionOptions::percentile_of);
//   - QCFS (Bu et al., ICLR 2022): an ANN trained with the quantisation-clip-floor-shift
//     activation (lasnn/models/model.h QcfsActivation) converts with threshold lambda per layer, an
//     initial membrane of lambda / 2 and reset by subtraction (reset to zero is refused);
//   - Spike-Norm threshold balancing (Sengupta et al., Front. Neurosci. 2019): layer by layer, the
//     threshold is the maximum input current the layer's neurons receive while the SNN (earlier
//     layers already balanced) is simulated on the calibration set for spike_norm_timesteps steps.
// The SNN uses IF neurons (decay 1), reset by subtraction by default (reset to zero selectable),
// initial membrane 0 (or a fraction of the threshold), and analog input: the normalised image is
// the input current at every step (the papers of MaxNorm and Spike-Norm fed Poisson spike trains;
// SimulationOptions::encoder feeds the Poisson or latency code of the raw image instead,
// normalised after encoding, so that a rate code averages to the ANN's input; calibration stays
// analog). Thresholds are applied as "threshold
// balancing with scaled spikes": a neuron of threshold theta emits spikes of amplitude theta, so
// the next layer receives currents on the ANN's scale. That is exactly equivalent to data-based
// weight normalisation (W_l <- W_l * theta_{l-1} / theta_l, threshold 1) and works per channel.
// Logits are the output layer's currents averaged over t, as in the trained SNNs.
//
// Supported layers: conv (+BN), linear, ReLU activation, average pooling (k x k and global),
// flatten, dropout (identity), and residual basic blocks (identity or 1x1 conv-BN shortcut; BN
// folded in each branch, an IF neuron after the addition). Max pooling (including a ResNet stem's
// max pool) is rejected with an error naming the layer: it has no exact rate-coded equivalent.
// Residual blocks and scaled spikes: the block input reaches the addition as spikes of amplitude
// theta_in (the threshold of the activation before the block), the residual branch as conv2's
// current on the ANN's scale, and the post-addition neuron's threshold theta_out comes from the
// summed (post-addition) activation. In weight-normalisation terms (threshold 1) this is Hu et al.
// 2018's / Rueckauer et al. 2017's rule: residual weights W <- W * theta_prev / theta_this layer
// by layer, biases b <- b / theta_this, and the shortcut scaled by theta_in / theta_out (an
// identity shortcut becomes that scalar (per channel: diagonal) gain; a 1x1 conv shortcut's
// weights are multiplied by it). WeightNormalisedBlocks below spells these factors out.
#ifndef LASNN_BASELINES_CONVERSION_CONVERSION_H_
#define LASNN_BASELINES_CONVERSION_CONVERSION_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "baselines/conversion/if_step.h"
#include "datasets/dataset.h"
#include "lasnn/core/encoder.h"
#include "lasnn/models/model.h"

namespace lasnn::conversion {

// One layer of a BN-folded ANN.
// A residual block (lasnn/models ResNetSpec) unrolls to the sequence
//   kBlockInput, kConv (conv1+BN1), kRelu (act1), kConv (conv2+BN2), kBlockAdd, kRelu (act2):
// kBlockInput keeps its input x (the block input, i.e. the previous activation's output);
// kBlockAdd adds shortcut(x) to the current tensor: x itself for an identity shortcut (weight
// undefined), else the BN-folded 1x1 conv (weight, bias, stride). The ReLU after the addition is
// the block's output activation (an IF neuron in the SNN). Blocks do not nest.
struct FoldedLayer {
  enum class Kind {
    kConv, kLinear, kRelu, kAvgPool, kGlobalAvgPool, kFlatten, kBlockInput, kBlockAdd
  };
  Kind kind = Kind::kConv;
  // The plan's layer name ("layer3"); inside a block "stage1_block0" + ".conv1", ".act1",
  // ".conv2", ".shortcut" (kBlockAdd) or ".act2" (kBlockInput: the block's name).
  std::string name;
  at::Tensor weight;   // conv [O, I, k, k] / linear [O, I], BN folded in; kBlockAdd: see above
  at::Tensor bias;     // [O] (always defined after folding, for kConv / kLinear / conv shortcut)
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

// kMaxDiehl: max(largest activation, largest positive weight of the conv/linear layer feeding the
// activation), Diehl et al. 2015's data-based factor (its nets had no biases; biases are not
// counted). kQcfs: the thresholds are the QCFS ANN's trained lambdas (no calibration); use with
// init_membrane 0.5, as Bu et al. (ICLR 2022); it always resets by subtraction.
enum class Normalisation { kMax, kMaxDiehl, kRobust, kRobustPerChannel, kSpikeNorm, kQcfs };

// The activations a RobustNorm percentile is taken over. ReLU outputs are >= 0, so the non-zero
// ones are those > 0. A layer (or channel) with no non-zero activation gets the floor threshold
// 1e-6, as one whose activations are all zero does under kAll.
enum class PercentileOf {
  kAll,      // zeros included (SpikingJelly's convention)
  kNonZero,  // zeros excluded (snntoolbox, the reference implementation of Rueckauer et al.)
};

struct ConversionOptions {
  Normalisation normalisation = Normalisation::kRobust;
  double percentile = 99.9;          // kRobust / kRobustPerChannel, in (0, 100]
  PercentileOf percentile_of = PercentileOf::kAll;  // kRobust / kRobustPerChannel
  bool reset_by_subtraction = true;  // false: reset to zero (InvalidArgument with kQcfs)
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
// kQcfs). InvalidArgument for bad options (naming the field), kQcfs on an ANN without QCFS, or
// kQcfs with reset to zero.
absl::StatusOr<ConvertedSnn> Convert(const FoldedAnn& ann, const at::Tensor& calibration,
                                     const ConversionOptions& options);

// The weight-normalised form of one residual block's shortcut (threshold-1 neurons, unit
// spikes): with theta_in the threshold of the activation feeding the block and theta_out that of
// the block's post-addition neuron, an identity shortcut carries the gain theta_in / theta_out
// (0-d, or [C] per channel); a 1x1 conv shortcut's folded weight W[o, i] becomes
// W[o, i] * theta_in[i] / theta_out[o] and its bias b[o] / theta_out[o].
struct NormalisedShortcut {
  std::string name;  // the block's name ("stage2_block0")
  at::Tensor gain;    // identity: theta_in / theta_out; undefined for a conv shortcut
  at::Tensor weight;  // conv shortcut: the normalised weight [O, I, 1, 1]; else undefined
  at::Tensor bias;    // conv shortcut: [O]; else undefined
};

// One entry per residual block of `snn`, in order (empty for a net without blocks).
std::vector<NormalisedShortcut> NormalisedShortcuts(const ConvertedSnn& snn);

struct SimulationResult {
  std::vector<double> accuracy_at_t;   // accuracy_at_t[t-1]: using output steps 1..t
  std::vector<double> firing_rates;    // per activation layer: spikes / (neurons * T * N)
  int64_t num_samples = 0;
};

struct BatchSimulation {
  at::Tensor cumulative_logits;     // [T, B, K]: entry t-1 = mean of the output over steps 1..t
  std::vector<double> spike_counts;  // per activation layer
  std::vector<double> neuron_steps;  // per activation layer: neurons * T
  // Per activation layer: the spikes of each image at each step, int64 [T, B] on the images'
  // device, so that rates over the first t steps of any subset of the images need no new
  // simulation; and the layer's neurons per image.
  std::vector<at::Tensor> spikes_per_step;
  std::vector<int64_t> neurons_per_image;
};

// Where a simulation's time goes: seconds per folded layer (index into ConvertedSnn::ann.layers),
// summed over steps and batches, read from a steady clock around each layer's work (on a CUDA
// device that measures the launches, not the kernels); and per layer, the steps of the batches
// that ran the event-driven convolution. For benchmarks; costs a clock read per layer and step.
struct SimulationProfile {
  std::vector<double> layer_seconds;
  std::vector<int64_t> event_driven_steps;
  std::vector<int64_t> steps;  // per layer: steps x batches simulated
};

struct SimulationOptions {
  // Event-driven convolutions (lasnn/core/event_conv.h) for the spike-fed convs of a CPU float
  // simulation: at each step, a conv whose input has at most this fraction of non-zero entries
  // runs event-driven, else dense. 0 (default): always dense, the reference. Not bit-identical to
  // dense (another summation order): results agree to float rounding, a membrane within rounding
  // of its threshold can spike at another step. //lasnn/core:event_conv_benchmark measures the
  // crossover (about 5-10% on the Fashion-MNIST shapes, 2 cores).
  double event_driven_below = 0.0;
  SimulationProfile* profile = nullptr;  // filled when not null
  // Encoded input (lasnn/core/encoder.h): when set, the images are raw (float in [0, 1]) and
  // step t's input current is their normalised code, encoder->EncodeSteps(images, indices,
  // stream, T, t, 1) (a T-step code: latency spikes depend on T); the layers before the first
  // activation then run at every step. `indices`: int64 [B] on the CPU, the images' dataset
  // indices (Simulate narrows them with its batches).
  const InputEncoder* encoder = nullptr;
  at::Tensor indices;
  uint64_t stream = 0;
};

// Simulates one batch (normalised float [B, C, H, W], direct encoding; raw with
// options.encoder; or an encoded, normalised code [T, B, C, H, W] fed step by step) for T steps.
BatchSimulation SimulateBatch(const ConvertedSnn& snn, const at::Tensor& images,
                              int64_t timesteps, const SimulationOptions& options = {});

// Simulates the SNN step by step for T steps on `images` (normalised float [N, C, H, W]) with the
// image as the input current at every step (direct encoding; with options.encoder, raw images
// and their code, options.indices [N] narrowed per batch); state per layer is kept for one
// batch at a time, so memory does not grow with T.
// Runs on the device of `images` (`labels` and the SNN's tensors must be on it too); the only
// host reads are the per-batch spike counts and the final accuracy counts.
SimulationResult Simulate(const ConvertedSnn& snn, const at::Tensor& images,
                          const at::Tensor& labels, int64_t timesteps, int64_t batch_size,
                          const SimulationOptions& options = {});

// The first t (1-based) at which accuracy_at_t comes within `gap` of `reference`
// (accuracy_at_t[t-1] >= reference - gap); -1 if it never does.
int64_t FirstTimestepWithin(const std::vector<double>& accuracy_at_t, double reference, double gap);

}  // namespace lasnn::conversion

#endif  // LASNN_BASELINES_CONVERSION_CONVERSION_H_
