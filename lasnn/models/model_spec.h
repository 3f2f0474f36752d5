// Model spec validation, shape inference and text-format I/O (no LibTorch dependency).
//
// PlanModel resolves a ModelSpec (lasnn/models/model_spec.proto) into a flat list of concrete layers:
// the width multiplier applied, default paddings/strides filled in, every per-sample shape
// inferred, parameter counts computed, and the named taps chosen. lasnn/models/model.h builds modules
// from this plan, so every spec error is reported here, before any tensor is allocated.
//
// Taps: the output of each resolution stage, i.e. the last activation (or residual block output)
// at each spatial resolution of the 4-D feature maps, named "stage1", "stage2", ... from the input
// side. Activations after a flatten (1-D features) are never taps.
#ifndef LASNN_LASNN_MODEL_SPEC_H_
#define LASNN_LASNN_MODEL_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {

// A per-sample feature shape: {C, H, W} for feature maps, {F} after a flatten.
using FeatureShape = std::vector<int64_t>;

// One resolved layer of a plan.
struct PlannedLayer {
  enum class Kind {
    kConv,           // conv (+ BN when batch_norm)
    kActivation,     // ReLU (ANN) / spiking neuron (SNN)
    kMaxPool,
    kAvgPool,
    kGlobalAvgPool,  // to 1x1
    kFlatten,
    kLinear,
    kDropout,
    kBasicBlock,     // residual block: conv-BN-act-conv-BN (+ shortcut) then act
  };
  Kind kind = Kind::kConv;
  // Module name of a layer with parameters ("layer3", "stem", "stage2_block1", "head0",
  // "classifier"), and the name under which an activation reports spike statistics.
  std::string name;
  // kConv, kBasicBlock: channels and geometry (a block's stride is its first conv's).
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel_size = 0;
  int64_t stride = 1;
  int64_t padding = 0;
  bool batch_norm = false;
  bool bias = false;
  bool shortcut_conv = false;  // kBasicBlock: conv1x1-BN shortcut instead of identity
  // kLinear.
  int64_t in_features = 0;
  int64_t out_features = 0;
  // kDropout.
  double dropout_p = 0.0;
  FeatureShape in_shape;
  FeatureShape out_shape;
  int64_t num_parameters = 0;  // trainable parameters (BN running stats are buffers)
  std::string tap;             // non-empty: this layer's output is the tap of that name
  // Index of the spec field this layer comes from, for messages: "layers[3]", "resnet.stage2".
  std::string source;
};

struct TapInfo {
  std::string name;     // "stage1", ...
  FeatureShape shape;   // per-sample {C, H, W}
  int layer_index = 0;  // index into ModelPlan::layers
};

struct ModelPlan {
  FeatureShape input_shape;  // {C, H, W}
  int64_t num_classes = 0;
  std::vector<PlannedLayer> layers;
  std::vector<TapInfo> taps;
  int64_t num_parameters = 0;
  int num_activations = 0;  // spiking layers of the SNN (a basic block counts two)
  // ANN activation: ReLU when qcfs_levels is 0, else QCFS with L = qcfs_levels and one trainable
  // lambda per activation layer (ModelSpec.activation).
  int qcfs_levels = 0;
  double qcfs_init_lambda = 0;
};

// Checks every field and infers shapes. InvalidArgument naming the field on any error, e.g.
// "layers[3].conv.out_channels must be > 0", "layers[6].linear.in_features is 3000 but the
// input has 3136 features", "layers[4].pool shrinks the 1x1 feature map below 1".
absl::StatusOr<ModelPlan> PlanModel(const ModelSpec& spec);

// PlanModel's verdict only.
absl::Status ValidateModelSpec(const ModelSpec& spec);

// Text-format parsing (unknown fields rejected). InvalidArgument "<source>:line:col: message";
// `source` names the file or the preset in messages. Does not validate.
absl::StatusOr<ModelSpec> ParseModelSpecText(absl::string_view text,
                                             absl::string_view source = "<text>");

// Reads, parses and validates a text-format ModelSpec file. NotFound / PermissionDenied for an
// unreadable file, InvalidArgument "path:line:col: message" or "path: <validation message>".
absl::StatusOr<ModelSpec> LoadModelSpecFile(const std::string& path);

// Text format of `spec` (only set fields are printed).
std::string ModelSpecToText(const ModelSpec& spec);

// One line per planned layer with its output shape and parameters, then the taps and the total.
std::string DescribePlan(const ModelPlan& plan);

// "direct", "Poisson", "latency": the encoder's name in logs and reports.
std::string EncoderName(EncoderSpec::Kind kind);

}  // namespace lasnn

#endif  // LASNN_LASNN_MODEL_SPEC_H_
