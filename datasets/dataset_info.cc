#include "datasets/dataset_info.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lasnn::datasets {
namespace {

constexpr DatasetInfo kInfos[] = {
    {DATASET_KIND_FASHION_MNIST, "fashion_mnist", 1, 28, 28, 10, {0.2860f, 0.0f, 0.0f},
     {0.3530f, 0.0f, 0.0f}, "/usr/share/datasets/fashion-mnist"},
    {DATASET_KIND_CIFAR10, "cifar10", 3, 32, 32, 10, {0.4914f, 0.4822f, 0.4465f},
     {0.2470f, 0.2435f, 0.2616f}, ""},
    {DATASET_KIND_CIFAR100, "cifar100", 3, 32, 32, 100, {0.5071f, 0.4865f, 0.4409f},
     {0.2673f, 0.2564f, 0.2762f}, ""},
    {DATASET_KIND_TINY_IMAGENET, "tiny_imagenet", 3, 64, 64, 200, {0.4802f, 0.4481f, 0.3975f},
     {0.2770f, 0.2691f, 0.2821f}, ""},
};

}  // namespace

absl::Span<const DatasetInfo> AllDatasetInfos() { return kInfos; }

absl::StatusOr<DatasetInfo> GetDatasetInfo(DatasetKind kind) {
  for (const DatasetInfo& info : kInfos) {
    if (info.kind == kind) return info;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown or unspecified dataset kind ", static_cast<int>(kind)));
}

absl::StatusOr<DatasetInfo> GetDatasetInfoByName(absl::string_view name) {
  std::string known;
  for (const DatasetInfo& info : kInfos) {
    if (info.name == name) return info;
    absl::StrAppend(&known, known.empty() ? "" : ", ", info.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown dataset '", name, "' (known: ", known, ")"));
}

}  // namespace lasnn::datasets
