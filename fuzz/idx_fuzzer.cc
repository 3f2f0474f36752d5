// Fuzzes the Fashion-MNIST IDX reader: gzip detection and decompression, then the image and the
// label decoders. A decoded tensor must agree with the header it came from.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "datasets/gzip_util.h"
#include "datasets/idx.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "fuzz.idx";
  absl::StatusOr<std::string> bytes =
      lasnn::datasets::MaybeGunzip(std::string(reinterpret_cast<const char*>(data), size), path);
  if (!bytes.ok()) {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(bytes.status(), path));
    return 0;
  }
  absl::StatusOr<at::Tensor> images = lasnn::datasets::DecodeIdxImages(*bytes, path);
  if (images.ok()) {
    LASNN_FUZZ_CHECK(images->dim() == 4 && images->size(1) == 1);
    LASNN_FUZZ_CHECK(16 + images->numel() == static_cast<int64_t>(bytes->size()));
    LASNN_FUZZ_CHECK(images->is_contiguous() && images->scalar_type() == at::kByte);
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(images.status(), path));
  }
  absl::StatusOr<at::Tensor> labels = lasnn::datasets::DecodeIdxLabels(*bytes, path, 10);
  if (labels.ok()) {
    LASNN_FUZZ_CHECK(labels->dim() == 1);
    LASNN_FUZZ_CHECK(8 + labels->numel() == static_cast<int64_t>(bytes->size()));
    if (labels->numel() > 0) {
      LASNN_FUZZ_CHECK(labels->min().item<int64_t>() >= 0 && labels->max().item<int64_t>() < 10);
    }
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(labels.status(), path));
  }
  return 0;
}
