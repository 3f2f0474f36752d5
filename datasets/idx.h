// Fashion-MNIST from IDX files (the format of LeCun's MNIST page, used unchanged by
// Zalando's Fashion-MNIST): a big-endian header — magic 0x00 0x00 <type> <ndims>, then ndims
// uint32 sizes — followed by the data. Images: type 0x08 (uint8), 3 dims (N, rows, cols),
// magic 0x00000803; labels: 0x08, 1 dim (N), magic 0x00000801. Files may be gzip-compressed
// (detected by the gzip magic, not the name).
#ifndef LASNN_DATASETS_IDX_H_
#define LASNN_DATASETS_IDX_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "datasets/dataset.h"

namespace lasnn::datasets {

inline constexpr uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;

// The ten Fashion-MNIST class names, in label order.
extern const char* const kFashionMnistClassNames[10];

// Decodes an uncompressed IDX image file: uint8 [N, 1, rows, cols], contiguous, CPU.
// DataLoss naming `path` for a short header, a wrong magic, or a size other than exactly
// header + N * rows * cols bytes.
absl::StatusOr<at::Tensor> DecodeIdxImages(absl::string_view bytes, const std::string& path);

// Decodes an uncompressed IDX label file: int64 [N], CPU. DataLoss naming `path` for a short
// header, a wrong magic, a size other than header + N, or a label >= num_classes.
absl::StatusOr<at::Tensor> DecodeIdxLabels(absl::string_view bytes, const std::string& path,
                                           int64_t num_classes);

// Reads `path` (gzip or plain) and decodes it as above; NotFound if the file does not exist.
absl::StatusOr<at::Tensor> ReadIdxImages(const std::string& path);
absl::StatusOr<at::Tensor> ReadIdxLabels(const std::string& path, int64_t num_classes);

// Loads Fashion-MNIST from `dir`, which holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each either with a `.gz` suffix (preferred
// when both exist) or without. Images [N, 1, 28, 28]; splits "train" and "test".
// NotFound naming the directory or the missing file; DataLoss naming the file for corrupt
// content, images that are not 28x28, or image and label counts that differ.
absl::StatusOr<DatasetSplits> LoadFashionMnist(const std::string& dir);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_IDX_H_
