// CIFAR-10 and CIFAR-100 in the official binary versions
// (https://www.cs.toronto.edu/~kriz/cifar.html, "Binary version"). A file is a sequence of
// fixed-size records with no header:
//   CIFAR-10:  <1 x label><3072 x pixel>                       (3073 bytes)
//   CIFAR-100: <1 x coarse label><1 x fine label><3072 x pixel>  (3074 bytes)
// The 3072 pixel bytes are the red, green and blue 32x32 planes, each row-major, i.e. already
// [C, H, W]. CIFAR-10: data_batch_1.bin .. data_batch_5.bin (train), test_batch.bin (test),
// batches.meta.txt (class names). CIFAR-100: train.bin, test.bin, fine_label_names.txt and
// coarse_label_names.txt.
#ifndef LASNN_DATASETS_CIFAR_H_
#define LASNN_DATASETS_CIFAR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "datasets/dataset.h"

namespace lasnn::datasets {

inline constexpr int64_t kCifarImageBytes = 3 * 32 * 32;
inline constexpr int64_t kCifar10RecordBytes = 1 + kCifarImageBytes;
inline constexpr int64_t kCifar100RecordBytes = 2 + kCifarImageBytes;
inline constexpr int64_t kCifar100CoarseClasses = 20;
inline constexpr int64_t kCifar100FineClasses = 100;

enum class Cifar100Labels { kFine, kCoarse };

// The ten CIFAR-10 class names, in label order (as in batches.meta.txt).
extern const char* const kCifar10ClassNames[10];

// Decodes CIFAR-10 records: images uint8 [N, 3, 32, 32] contiguous CPU, labels int64 [N];
// name "cifar10", num_classes 10, split and class_names left empty. DataLoss naming `path` if
// the size is zero or not a multiple of 3073, or a label is >= 10.
absl::StatusOr<Dataset> DecodeCifar10(absl::string_view bytes, const std::string& path);

// Decodes CIFAR-100 records with the chosen label (fine: 100 classes, coarse: 20). DataLoss
// naming `path` if the size is zero or not a multiple of 3074, or either label is out of range.
absl::StatusOr<Dataset> DecodeCifar100(absl::string_view bytes, const std::string& path,
                                       Cifar100Labels labels);

// Loads CIFAR-10 from `dir` (the official archive's cifar-10-batches-bin/): train = the five
// data batches concatenated in order, test = test_batch.bin. Class names from batches.meta.txt
// when present (it must then list 10 names), else the official names. NotFound naming the
// directory or a missing file; DataLoss naming the file as above.
absl::StatusOr<DatasetSplits> LoadCifar10(const std::string& dir);

// Loads CIFAR-100 from `dir` (the official archive's cifar-100-binary/): train.bin, test.bin.
// Class names from fine_label_names.txt / coarse_label_names.txt when present (DataLoss if the
// count is wrong), else empty. Errors as LoadCifar10.
absl::StatusOr<DatasetSplits> LoadCifar100(const std::string& dir, Cifar100Labels labels);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_CIFAR_H_
