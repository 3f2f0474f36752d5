// Fuzzes the TorchScript teacher importer on whole files. LibTorch's reader is not instrumented
// and crashes on some corrupt archives; the importer checks each file in a forked child first, so
// what must hold here is that every input ends in an imported model or a Status naming the file.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "lasnn/torchscript_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = lasnn::fuzz::WriteScratchFile("torchscript_fuzzer", data, size);
  lasnn::ImportOptions options;
  options.input_shape = {1, 28, 28};
  options.check_batch = 2;
  auto imported = lasnn::ImportTorchScript(path, options);
  if (imported.ok()) {
    LASNN_FUZZ_CHECK(imported->model.ptr() != nullptr);
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(imported.status(), path));
  }
  return 0;
}
