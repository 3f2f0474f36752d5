// Fuzzes the CIFAR-10 and CIFAR-100 binary decoders (both label layouts of CIFAR-100). A decoded
// dataset must have one label per image and every label in range.
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "datasets/cifar.h"
#include "fuzz/fuzz_check.h"

namespace {

void CheckDataset(const absl::StatusOr<lasnn::datasets::Dataset>& d, const std::string& path,
                  int64_t record_bytes, int64_t classes, size_t size) {
  if (!d.ok()) {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(d.status(), path));
    return;
  }
  const int64_t n = d->images.size(0);
  LASNN_FUZZ_CHECK(n * record_bytes == static_cast<int64_t>(size));
  LASNN_FUZZ_CHECK(d->images.sizes() == at::IntArrayRef({n, 3, 32, 32}));
  LASNN_FUZZ_CHECK(d->labels.numel() == n && d->num_classes == classes);
  LASNN_FUZZ_CHECK(d->labels.min().item<int64_t>() >= 0);
  LASNN_FUZZ_CHECK(d->labels.max().item<int64_t>() < classes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = "fuzz_batch.bin";
  using lasnn::datasets::Cifar100Labels;
  CheckDataset(lasnn::datasets::DecodeCifar10(bytes, path), path, 3073, 10, size);
  CheckDataset(lasnn::datasets::DecodeCifar100(bytes, path, Cifar100Labels::kFine), path, 3074,
               100, size);
  CheckDataset(lasnn::datasets::DecodeCifar100(bytes, path, Cifar100Labels::kCoarse), path, 3074,
               20, size);
  return 0;
}
