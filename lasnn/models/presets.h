// Named model presets: ModelSpecs (lasnn/models/model_spec.proto) for the networks the benchmarks use.
//
//   vgg11, vgg13, vgg16   CIFAR-style VGG (Simonyan & Zisserman 2015, as used for SNNs): 3x3
//                         conv-BN-act stacks, 2x2 average pooling (conversion-friendly), global
//                         average pool, one linear classifier. 3x32x32 by default; 64x64 works.
//   resnet18, resnet34    CIFAR-style ResNet (3x3 stem, no max pool), basic blocks 2-2-2-2 /
//                         3-4-6-3, widths 64-128-256-512.
//   resnet19              As in TET / SASTC: stem 128, blocks 3-3-2 at widths 128-256-512, then a
//                         spiking hidden linear of 256 and the classifier.
//   resnet20              He et al.'s CIFAR layout (3 stages x 3 basic blocks) at the 4x widths
//                         SNN papers train (stem 64, 64-128-256); width_multiplier 0.25 gives the
//                         original 16-32-64.
//   fmnist_cnn            The small CNN of the throughput benchmark (issue 3, item 5):
//                         conv3x3(1->32)-BN-act-maxpool2, conv3x3(32->64)-BN-act-maxpool2, flatten,
//                         linear(3136->128)-act, linear(128->10).
//   fmnist_vgg            A Fashion-MNIST VGG-style teacher: conv32-conv32-pool, conv64-conv64-pool,
//                         linear 3136->256-act, classifier.
//   fmnist_student_small  A student with under half the teacher's parameters: conv16-pool,
//                         conv32-pool, linear 1568->128-act, classifier.
//   fmnist_student_deeper A deeper student, also under half: conv16-conv16-pool, conv32-conv32-pool,
//                         linear 1568->128-act, classifier.
// The fmnist_* presets take 1x28x28 inputs and have taps stage1 (28x28) and stage2 (14x14), so
// teacher and students pair by resolution. Every preset sets the default neuron (LIF decay 0.5,
// threshold 1, hard reset, triangle surrogate of width 1) and direct encoding explicitly.
#ifndef LASNN_LASNN_PRESETS_H_
#define LASNN_LASNN_PRESETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {

struct PresetOptions {
  // Per-sample input shape; 0 keeps the preset's default (3x32x32, or 1x28x28 for fmnist_*).
  int channels = 0;
  int height = 0;
  int width = 0;
  int num_classes = 0;  // 0: 10
  double width_multiplier = 1.0;
};

// The preset names above, in that order.
std::vector<std::string> PresetNames();

// The named preset with `options` applied, validated. NotFound (listing the names) for an unknown
// name; InvalidArgument from validation when the options do not fit the preset (e.g. a 16x16 input
// pooled five times).
absl::StatusOr<ModelSpec> PresetModelSpec(absl::string_view name,
                                          const PresetOptions& options = {});

}  // namespace lasnn

#endif  // LASNN_LASNN_PRESETS_H_
