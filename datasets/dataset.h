// The in-memory dataset every loader returns: all images of a split decoded once into one
// contiguous uint8 tensor, labels in one int64 tensor. Formats: see the loader headers
// (idx.h: Fashion-MNIST, cifar.h: CIFAR-10/100, tiny_imagenet.h: Tiny ImageNet).
#ifndef LASNN_DATASETS_DATASET_H_
#define LASNN_DATASETS_DATASET_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lasnn::datasets {

struct Dataset {
  std::string name;                      // "fashion_mnist", "cifar10", "cifar100", "tiny_imagenet"
  std::string split;                     // "train" or "test" (Tiny ImageNet: "val" is its test)
  at::Tensor images;                     // uint8 [N, C, H, W], contiguous, CPU
  at::Tensor labels;                     // int64 [N], in [0, num_classes), CPU
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // num_classes entries (empty if the format has none)
};

// A dataset's train and test splits.
struct DatasetSplits {
  Dataset train;
  Dataset test;
};

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_DATASET_H_
