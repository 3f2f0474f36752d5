// Fuzzes the TorchScript teacher importer on whole files. LibTorch's reader is not instrumented
// and crashes on some corrupt archives; the importer checks each file in a forked child first, so
// what must hold here is that every input ends in an imported model or a Status naming the file.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "lasnn/torchscript_import.h"
#include "util/file_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string* path = [] {
    const char* dir = std::getenv("TEST_TMPDIR");
    if (dir == nullptr) dir = std::getenv("TMPDIR");
    return new std::string(lasnn::JoinPath(
        dir != nullptr ? dir : "/tmp", "torchscript_fuzzer_" + std::to_string(getpid()) + ".pt"));
  }();
  const absl::Status written = lasnn::WriteFileAtomically(
      *path, absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!written.ok()) {
    std::fprintf(stderr, "torchscript_fuzzer: %s\n", written.ToString().c_str());
    std::abort();
  }
  lasnn::ImportOptions options;
  options.input_shape = {1, 28, 28};
  options.check_batch = 2;
  auto imported = lasnn::ImportTorchScript(*path, options);
  if (imported.ok()) {
    LASNN_FUZZ_CHECK(imported->model.ptr() != nullptr);
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(imported.status(), *path));
  }
  return 0;
}
