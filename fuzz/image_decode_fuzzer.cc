// Fuzzes Tiny ImageNet's image decoding (OpenCV's decoders, which are not instrumented: this
// covers our handling of what they return) into a 3x64x64 buffer.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "datasets/tiny_imagenet.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "fuzz.JPEG";
  // Exactly one image's bytes, so that a write past the end is caught.
  std::vector<uint8_t> out(3 * 64 * 64);
  const absl::Status s = lasnn::datasets::DecodeTinyImageNetImage(
      absl::string_view(reinterpret_cast<const char*>(data), size), path, out.data());
  if (!s.ok()) LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(s, path));
  return 0;
}
