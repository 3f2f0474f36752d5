// Fuzzes the TorchScript teacher importer on whole files. LibTorch's reader is not instrumented,
// crashes on some corrupt archives and allocates gigabytes on some hostile lengths; the importer
// loads each file first in a forked child whose address space may grow by at most
// ImportOptions.probe_memory_limit_mb. What must hold here: every input ends in an imported model
// or a Status naming the file, and neither the child nor this process grew past that limit
// (peak resident sizes from getrusage; the child starts with this process's pages).
#include <sys/resource.h>

#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "lasnn/interop/torchscript_import.h"

namespace {

constexpr int64_t kLimitMb = 1024;
constexpr int64_t kSlackKb = 256 << 10;  // allocator caches, page-table and stack growth

int64_t PeakRssKb(int who) {
  struct rusage usage;
  return ::getrusage(who, &usage) == 0 ? usage.ru_maxrss : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = lasnn::fuzz::WriteScratchFile("torchscript_fuzzer", data, size);
  lasnn::ImportOptions options;
  options.input_shape = {1, 28, 28};
  options.check_batch = 2;
  options.probe_memory_limit_mb = kLimitMb;
  const int64_t before_kb = PeakRssKb(RUSAGE_SELF);
  auto imported = lasnn::ImportTorchScript(path, options);
  if (imported.ok()) {
    LASNN_FUZZ_CHECK(imported->model.ptr() != nullptr);
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(imported.status(), path));
  }
  const int64_t self_kb = PeakRssKb(RUSAGE_SELF);
  LASNN_FUZZ_CHECK(self_kb - before_kb <= (kLimitMb << 10) + kSlackKb);
  LASNN_FUZZ_CHECK(PeakRssKb(RUSAGE_CHILDREN) <= self_kb + (kLimitMb << 10) + kSlackKb);
  return 0;
}
