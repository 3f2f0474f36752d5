#include "datasets/load_dataset.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "datasets/cifar.h"
#include "datasets/dataset_info.h"
#include "datasets/idx.h"
#include "datasets/tiny_imagenet.h"
#include "util/status_macros.h"

namespace lasnn::datasets {

absl::StatusOr<DatasetSplits> LoadDataset(const DatasetSpec& spec) {
  absl::StatusOr<DatasetInfo> info = GetDatasetInfo(spec.kind());
  if (!info.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("DatasetSpec.kind: ", info.status().message()));
  }
  std::string path = spec.path().empty() ? std::string(info->default_path) : spec.path();
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DatasetSpec.path is required for ", info->name, " (it has no default directory)"));
  }
  if (spec.decode_threads() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("DatasetSpec.decode_threads must be >= 0, got ", spec.decode_threads()));
  }
  switch (spec.kind()) {
    case DATASET_KIND_FASHION_MNIST:
      return LoadFashionMnist(path);
    case DATASET_KIND_CIFAR10:
      return LoadCifar10(path);
    case DATASET_KIND_CIFAR100:
      return LoadCifar100(path, spec.cifar100_label_mode() == CIFAR100_LABEL_MODE_COARSE
                                    ? Cifar100Labels::kCoarse
                                    : Cifar100Labels::kFine);
    case DATASET_KIND_TINY_IMAGENET:
      return LoadTinyImageNet(path, spec.decode_threads());
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("DatasetSpec.kind ", static_cast<int>(spec.kind()), " is not loadable"));
  }
}

}  // namespace lasnn::datasets
