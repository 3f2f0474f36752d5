// ANN/SNN model twins: one ModelSpec (lasnn/models/model_spec.proto) builds either the ANN (ReLU at each
// activation) or the SNN (lasnn::MultiStepNeuron at each activation), with identical parameter
// names and shapes, so ANN weights load into the SNN twin (conversion) and both expose the same
// named taps (distillation).
//
// SNN execution. Tensors are time-major, [T, B, ...] (lasnn/core/neuron.h). Convolutions, batch norm,
// pooling and linear layers run on T folded into the batch, [T*B, ...], so each runs once for all
// timesteps; the fold is undone ([T, B, ...], a view) only around each neuron. With direct encoding
// the image is the same at every step, so the layers before the first neuron run once on [B, ...]
// and their output is expanded over T (a stride-0 view) at the first neuron. That is exact: those
// layers are time-invariant, and batch norm in training mode sees the same mean and variance over
// [B] as over T identical copies [T*B] (only the unbiased factor n/(n-1) of the running-variance
// update differs, n = B*H*W instead of T*B*H*W; dropout before the first neuron draws one mask
// for all steps). Batch norm after the first neuron normalises over T*B jointly (as tdBN does).
//
// ANN activations are ReLU, or QCFS (ModelSpec.activation) with a parameter "<layer>.lambda" per
// activation layer; a QCFS spec builds no SNN twin (conversion makes its SNN).
//
// Outputs: logits averaged over T; optionally the cumulative mean logits for every t <= T (one
// simulation gives the accuracy at every t); taps "stage1", "stage2", ... = the output of each
// resolution stage (lasnn/models/model_spec.h); optionally per-layer spike counts, summed on the device
// (no host synchronisation inside forward).
#ifndef LASNN_LASNN_MODEL_H_
#define LASNN_LASNN_MODEL_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/ordered_dict.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/model_spec.pb.h"
#include "lasnn/core/encoder.h"
#include "lasnn/core/neuron.h"

namespace lasnn {

enum class Mode { kAnn, kSnn };

struct ForwardOptions {
  // T for direct encoding ([B, C, H, W] input to the SNN). Ignored by the ANN and when the input
  // is already [T, B, C, H, W].
  int64_t timesteps = 1;
  bool cumulative_logits = false;
  bool taps = true;
  // SNN with `taps`: also the taps' firing rates in ModelOutput::tap_rates, from the neurons' own
  // pass (lasnn::MultiStepNeuronWithRate): a loss on them costs no [T, B, ...] gradient.
  bool tap_rates = false;
  bool spike_stats = false;  // SNN only
  // Non-empty: run the layers up to the one whose output is the tap of this name ("stage2") and
  // stop: `taps` holds the taps up to it (with `taps` set); logits, cumulative_logits and the
  // spike statistics of later layers stay undefined. TORCH_CHECK that the tap exists.
  std::string last_tap;
};

// Spikes emitted by one spiking layer during one forward.
struct LayerSpikeStats {
  std::string name;          // "layer2", "stem_act", "stage1_block0.act1", "head0_act"
  torch::Tensor spike_count;  // 0-d float64 on the model's device
  int64_t num_elements = 0;  // neuron-steps simulated: T * B * features
  // spike_count / num_elements, a 0-d float64 tensor (still no host synchronisation).
  torch::Tensor FiringRate() const;
};

struct ModelOutput {
  torch::Tensor logits;  // [B, K]; SNN: mean over T of the per-step logits
  // [T, B, K]: entry t-1 is the mean of the logits of steps 1..t (ANN: [1, B, K]). Defined only
  // when ForwardOptions::cumulative_logits.
  torch::Tensor cumulative_logits;
  // "stage1", "stage2", ... in order. ANN: [B, C, H, W] activations; SNN: [T, B, C, H, W] spikes
  // (TapFiringRate gives [B, C, H, W]). Empty unless ForwardOptions::taps.
  torch::OrderedDict<std::string, torch::Tensor> taps;
  // SNN with ForwardOptions::tap_rates: the taps' firing rates, [B, C, H, W] (equal to
  // TapFiringRate of the taps), keyed as `taps`.
  torch::OrderedDict<std::string, torch::Tensor> tap_rates;
  // One entry per spiking layer, in forward order. SNN with ForwardOptions::spike_stats only.
  std::vector<LayerSpikeStats> spike_stats;
};

// Mean over T of spikes [T, B, ...] -> [B, ...] (same dtype).
torch::Tensor TapFiringRate(const torch::Tensor& spikes);

// The neuron settings of a spec, in lasnn/core/neuron.h's terms.
NeuronOptions NeuronOptionsFromSpec(const NeuronSpec& spec);

// The module BuildModel returns. Parameters: per planned layer with weights, named after it
// (ModelPlan): "layer0.conv.weight", "layer0.bn.weight", "layer5.weight", "stem.conv.weight",
// "stage1_block0.conv1.conv.weight", "stage2_block0.shortcut.bn.bias", "classifier.weight", ...
// Conv weights are Kaiming-normal (fan_out, ReLU gain, as torchvision); BN weight 1, bias 0;
// linear layers keep PyTorch's default initialisation. Seed with torch::manual_seed.
class ModelImpl : public torch::nn::Module {
 public:
  // Prefer BuildModel, which validates. `plan` must come from PlanModel.
  ModelImpl(ModelPlan plan, Mode mode, EncoderSpec::Kind encoding, NeuronOptions neuron);

  // input: float [B, C, H, W] (ANN; SNN with direct encoding, T = options.timesteps) or
  // [T, B, C, H, W] (SNN: pre-encoded spike trains, T from the input), C, H, W as the spec says.
  // TORCH_CHECK on a wrong rank or shape, or [B, ...] input to an SNN whose encoder is not DIRECT.
  ModelOutput forward(const torch::Tensor& input, const ForwardOptions& options = {});

  Mode mode() const { return mode_; }
  // The spec's encoder: for an SNN not DIRECT, forward takes encoded [T, B, C, H, W] input.
  EncoderSpec::Kind encoding() const { return encoding_; }
  const ModelPlan& plan() const { return plan_; }
  const NeuronOptions& neuron_options() const { return neuron_; }

  // Stage-by-stage training (lasnn/training/trainer.h): only plan layers [begin, end) train. The
  // others are frozen: their parameters stop requiring gradients, and they run as in evaluation
  // (batch norm on its running statistics, no dropout), also after train(). The default, and
  // SetTrainableLayers(0, plan().layers.size()), is every layer. TORCH_CHECK begin <= end <=
  // plan().layers.size().
  void SetTrainableLayers(size_t begin, size_t end);
  // Module::train, keeping frozen layers (SetTrainableLayers) in evaluation mode.
  void train(bool on = true) override;

 private:
  struct Pass;
  // `index`: the plan layer of an activation layer (its QCFS lambda); SIZE_MAX inside blocks.
  torch::Tensor Activate(const torch::Tensor& x, const std::string& name, Pass& pass,
                         size_t index = static_cast<size_t>(-1));
  torch::Tensor RunBlock(size_t index, const torch::Tensor& x, Pass& pass);

  ModelPlan plan_;
  Mode mode_;
  EncoderSpec::Kind encoding_;
  NeuronOptions neuron_;
  std::vector<std::shared_ptr<torch::nn::Module>> layers_;  // aligned with plan_.layers
  // Plan layers outside [trainable_begin_, trainable_end_) are frozen (SetTrainableLayers).
  size_t trainable_begin_ = 0;
  size_t trainable_end_ = static_cast<size_t>(-1);
  bool Frozen(size_t index) const {
    return index < trainable_begin_ || index >= trainable_end_;
  }
};
TORCH_MODULE(Model);

// Validates `spec` and builds its ANN or SNN twin on the CPU. InvalidArgument naming the field
// for a bad spec (as PlanModel); a LibTorch failure while building becomes InvalidArgument too.
absl::StatusOr<Model> BuildModel(const ModelSpec& spec, Mode mode);

// QCFS (Bu et al., ICLR 2022): lambda * clamp(floor(x * L / lambda + 0.5) / L, 0, 1), with the
// floor's gradient passed straight through; lambda (0-d) is clamped to >= kQcfsMinLambda, which
// keeps it positive. Gradients flow to x and to lambda.
constexpr double kQcfsMinLambda = 1e-3;
torch::Tensor QcfsActivation(const torch::Tensor& x, const torch::Tensor& lambda, int64_t levels);

// Number of trainable parameter elements.
int64_t CountParameters(const torch::nn::Module& module);

// The input code of an encoder kind (lasnn/core/encoder.h InputEncoder).
InputCode InputCodeOf(EncoderSpec::Kind kind);

}  // namespace lasnn

#endif  // LASNN_LASNN_MODEL_H_
