// The one table of per-dataset facts: input shape, class count, default directory, and the
// channel mean/std (of the training split, pixels scaled to [0, 1]) used for normalisation.
// Values are the ones the literature uses (torchvision / pytorch-cifar conventions).
#ifndef LASNN_DATASETS_DATASET_INFO_H_
#define LASNN_DATASETS_DATASET_INFO_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "datasets/dataset.pb.h"

namespace lasnn::datasets {

struct DatasetInfo {
  DatasetKind kind = DATASET_KIND_UNSPECIFIED;
  absl::string_view name;          // the Dataset::name loaders set, e.g. "cifar10"
  int64_t channels = 0;            // C of [N, C, H, W]
  int64_t height = 0;
  int64_t width = 0;
  int64_t num_classes = 0;         // CIFAR-100: the fine count (coarse: 20)
  std::array<float, 3> mean = {};  // first `channels` entries used, RGB order
  std::array<float, 3> std = {};
  absl::string_view default_path;  // empty: no default, DatasetSpec.path is required
};

// Every known dataset, in DatasetKind order.
absl::Span<const DatasetInfo> AllDatasetInfos();

// InvalidArgument for DATASET_KIND_UNSPECIFIED or an unknown value.
absl::StatusOr<DatasetInfo> GetDatasetInfo(DatasetKind kind);

// By Dataset::name ("fashion_mnist", "cifar10", "cifar100", "tiny_imagenet");
// InvalidArgument listing the known names otherwise.
absl::StatusOr<DatasetInfo> GetDatasetInfoByName(absl::string_view name);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_DATASET_INFO_H_
