// The single entry point that turns a DatasetSpec (dataset.proto) into loaded train/test splits,
// dispatching to the format loaders (idx.h, cifar.h, tiny_imagenet.h).
#ifndef LASNN_DATASETS_LOAD_DATASET_H_
#define LASNN_DATASETS_LOAD_DATASET_H_

#include "absl/status/statusor.h"
#include "datasets/dataset.h"
#include "datasets/dataset.pb.h"

namespace lasnn::datasets {

// Loads spec.kind from spec.path (empty: the kind's default directory from dataset_info.h).
// InvalidArgument naming the field for an unspecified kind, an empty path where the kind has no
// default, or negative decode_threads; otherwise the loader's Status (NotFound / DataLoss naming
// the file). The result's images are uint8 [N, C, H, W] with the kind's C, H, W.
absl::StatusOr<DatasetSplits> LoadDataset(const DatasetSpec& spec);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_LOAD_DATASET_H_
