// The versions this binary was built against, read from the libraries' own headers at compile
// time (LibTorch, Abseil, Protobuf, OpenCV, the compiler), plus the pinned Debian package list
// (tools/packages.lock). Run records carry these as provenance.
#ifndef LASNN_UTIL_BUILD_INFO_H_
#define LASNN_UTIL_BUILD_INFO_H_

#include <string>
#include <utility>
#include <vector>

namespace lasnn {

struct BuildInfo {
  std::string libtorch;      // e.g. "1.13.0" (TORCH_VERSION of the headers compiled against)
  bool libtorch_cuda = false;  // whether the linked LibTorch has CUDA support
  std::string abseil;        // LTS release, e.g. "20220623.1"
  std::string protobuf;      // e.g. "3.21.12"
  std::string opencv;        // e.g. "4.6.0"
  std::string compiler;      // e.g. "GCC 12.2.0"
  long cxx_standard = 0;     // __cplusplus
  std::string packages_lock; // contents of tools/packages.lock at build time
};

// The build's versions (computed once).
const BuildInfo& GetBuildInfo();

// Name/value pairs in a fixed order, for printing and for run records.
std::vector<std::pair<std::string, std::string>> BuildInfoFields(const BuildInfo& info);

}  // namespace lasnn

#endif  // LASNN_UTIL_BUILD_INFO_H_
