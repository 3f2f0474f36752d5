#include "lasnn/models/presets.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lasnn/models/model_spec.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

constexpr int kPool = -1;  // marks a pooling layer in a VGG channel list

void Conv(ModelSpec* spec, int out_channels) {
  spec->add_layers()->mutable_conv()->set_out_channels(out_channels);
  spec->add_layers()->mutable_activation();
}

void Pool(ModelSpec* spec, PoolLayer::Kind kind) {
  PoolLayer* p = spec->add_layers()->mutable_pool();
  p->set_kind(kind);
  p->set_kernel_size(2);
}

void Linear(ModelSpec* spec, int out_features, bool activation, int in_features = 0) {
  LinearLayer* l = spec->add_layers()->mutable_linear();
  l->set_out_features(out_features);
  if (in_features > 0) l->set_in_features(in_features);
  if (activation) spec->add_layers()->mutable_activation();
}

ModelSpec Base(const std::string& name, int c, int h, int w) {
  ModelSpec spec;
  spec.set_name(name);
  spec.mutable_input()->set_channels(c);
  spec.mutable_input()->set_height(h);
  spec.mutable_input()->set_width(w);
  spec.set_num_classes(10);
  NeuronSpec* n = spec.mutable_neuron();
  n->set_decay(0.5);
  n->set_threshold(1.0);
  n->set_reset(NeuronSpec::RESET_ZERO);
  n->set_surrogate(NeuronSpec::TRIANGLE);
  n->set_surrogate_width(1.0);
  n->set_detach_reset(false);
  spec.mutable_encoder()->set_kind(EncoderSpec::DIRECT);
  return spec;
}

ModelSpec Vgg(const std::string& name, const std::vector<int>& channels) {
  ModelSpec spec = Base(name, 3, 32, 32);
  for (int c : channels) {
    if (c == kPool) {
      Pool(&spec, PoolLayer::AVG);
    } else {
      Conv(&spec, c);
    }
  }
  PoolLayer* global = spec.add_layers()->mutable_pool();
  global->set_kind(PoolLayer::AVG);
  global->set_global(true);
  spec.add_layers()->mutable_flatten();
  Linear(&spec, 10, /*activation=*/false);
  return spec;
}

ModelSpec ResNet(const std::string& name, int stem, const std::vector<int>& widths,
                 const std::vector<int>& blocks, const std::vector<int>& head_hidden) {
  ModelSpec spec = Base(name, 3, 32, 32);
  ResNetSpec* r = spec.mutable_resnet();
  r->set_stem_channels(stem);
  r->set_stem_kernel_size(3);
  r->set_stem_stride(1);
  for (int w : widths) r->add_stage_widths(w);
  for (int b : blocks) r->add_blocks_per_stage(b);
  for (int h : head_hidden) r->add_head_hidden(h);
  return spec;
}

// 1x28x28 presets: a list of conv widths and pools, then flatten, hidden linears, classifier.
ModelSpec Small(const std::string& name, const std::vector<int>& channels,
                PoolLayer::Kind pool_kind, const std::vector<int>& hidden, int first_in = 0) {
  ModelSpec spec = Base(name, 1, 28, 28);
  for (int c : channels) {
    if (c == kPool) {
      Pool(&spec, pool_kind);
    } else {
      Conv(&spec, c);
    }
  }
  spec.add_layers()->mutable_flatten();
  for (size_t i = 0; i < hidden.size(); ++i) {
    Linear(&spec, hidden[i], /*activation=*/true, i == 0 ? first_in : 0);
  }
  Linear(&spec, 10, /*activation=*/false);
  return spec;
}

absl::StatusOr<ModelSpec> MakePreset(absl::string_view name) {
  const int P = kPool;
  if (name == "vgg11") return Vgg("vgg11", {64, P, 128, P, 256, 256, P, 512, 512, P, 512, 512, P});
  if (name == "vgg13") {
    return Vgg("vgg13", {64, 64, P, 128, 128, P, 256, 256, P, 512, 512, P, 512, 512, P});
  }
  if (name == "vgg16") {
    return Vgg("vgg16", {64, 64, P, 128, 128, P, 256, 256, 256, P, 512, 512, 512, P, 512, 512,
                         512, P});
  }
  if (name == "resnet18") return ResNet("resnet18", 64, {64, 128, 256, 512}, {2, 2, 2, 2}, {});
  if (name == "resnet19") return ResNet("resnet19", 128, {128, 256, 512}, {3, 3, 2}, {256});
  if (name == "resnet20") return ResNet("resnet20", 64, {64, 128, 256}, {3, 3, 3}, {});
  if (name == "resnet34") return ResNet("resnet34", 64, {64, 128, 256, 512}, {3, 4, 6, 3}, {});
  if (name == "fmnist_cnn") {
    return Small("fmnist_cnn", {32, P, 64, P}, PoolLayer::MAX, {128}, /*first_in=*/3136);
  }
  if (name == "fmnist_vgg") return Small("fmnist_vgg", {32, 32, P, 64, 64, P}, PoolLayer::AVG, {256});
  if (name == "fmnist_student_small") {
    return Small("fmnist_student_small", {16, P, 32, P}, PoolLayer::AVG, {128});
  }
  if (name == "fmnist_student_deeper") {
    return Small("fmnist_student_deeper", {16, 16, P, 32, 32, P}, PoolLayer::AVG, {128});
  }
  return absl::NotFoundError(absl::StrCat("unknown model preset \"", name, "\"; known: ",
                                          absl::StrJoin(PresetNames(), ", ")));
}

}  // namespace

std::vector<std::string> PresetNames() {
  return {"vgg11",      "vgg13",      "vgg16",          "resnet18",
          "resnet19",   "resnet20",   "resnet34",       "fmnist_cnn",
          "fmnist_vgg", "fmnist_student_small", "fmnist_student_deeper"};
}

absl::StatusOr<ModelSpec> PresetModelSpec(absl::string_view name, const PresetOptions& options) {
  LASNN_ASSIGN_OR_RETURN(ModelSpec spec, MakePreset(name));
  if (options.channels > 0) spec.mutable_input()->set_channels(options.channels);
  if (options.height > 0) spec.mutable_input()->set_height(options.height);
  if (options.width > 0) spec.mutable_input()->set_width(options.width);
  if (options.num_classes > 0) {
    spec.set_num_classes(options.num_classes);
    if (spec.layers_size() > 0) {
      spec.mutable_layers(spec.layers_size() - 1)
          ->mutable_linear()
          ->set_out_features(options.num_classes);
    }
  }
  if (options.width_multiplier != 1.0) spec.set_width_multiplier(options.width_multiplier);
  // A stated in_features holds only for the preset's own input shape and width.
  if (options.width_multiplier != 1.0 || options.height > 0 || options.width > 0 ||
      options.channels > 0) {
    for (Layer& layer : *spec.mutable_layers()) {
      if (layer.has_linear()) layer.mutable_linear()->clear_in_features();
    }
  }
  const absl::Status valid = ValidateModelSpec(spec);
  if (!valid.ok()) {
    return absl::Status(valid.code(), absl::StrCat("preset ", name, ": ", valid.message()));
  }
  return spec;
}

}  // namespace lasnn
