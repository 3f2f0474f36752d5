// Fuzzes Tiny ImageNet's text files: wnids.txt, words.txt and val/val_annotations.txt. The input
// is split at the first two NUL bytes into the three files. Every annotation that parses must name
// a plain file (no path separator, no "." or "..": it is joined to val/images) and a label in
// range.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "datasets/tiny_imagenet.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> parts = absl::StrSplit(input, absl::MaxSplits('\0', 2));
  parts.resize(3);
  const std::string wnids_path = "wnids.txt", annotations_path = "val_annotations.txt";
  auto wnids = lasnn::datasets::ParseTinyImageNetWnids(parts[0], wnids_path);
  if (!wnids.ok()) {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(wnids.status(), wnids_path));
    return 0;
  }
  LASNN_FUZZ_CHECK(!wnids->empty());
  const std::vector<std::string> names = lasnn::datasets::TinyImageNetClassNames(parts[1], *wnids);
  LASNN_FUZZ_CHECK(names.size() == wnids->size());
  auto files = lasnn::datasets::ParseTinyImageNetAnnotations(parts[2], annotations_path, *wnids);
  if (!files.ok()) {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(files.status(), annotations_path));
    return 0;
  }
  for (const auto& [file, label] : *files) {
    LASNN_FUZZ_CHECK(!file.empty() && file.find('/') == std::string::npos);
    LASNN_FUZZ_CHECK(file != "." && file != "..");
    LASNN_FUZZ_CHECK(label >= 0 && label < static_cast<int64_t>(wnids->size()));
  }
  return 0;
}
