// The versions this binary was built against. From the libraries' own headers at compile time:
// LibTorch, Abseil, Protobuf, OpenCV, the compiler. From the pins check at build time
// (tools/build/debian_packages.bzl): the installed version of every package of
// tools/build/packages.lock, as `dpkg-query -W` reported it when Bazel last ran the check, the
// SHA-256 of that list, and the LASNN_UNPINNED override in force. Run records carry these as
// provenance; two records with different inputs_sha256 were built against different inputs.
#ifndef LASNN_UTIL_BUILD_INFO_H_
#define LASNN_UTIL_BUILD_INFO_H_

#include <string>
#include <utility>
#include <vector>

namespace lasnn {

// One entry of tools/build/packages.lock and what was installed.
struct PackageVersion {
  std::string name;       // Debian package, e.g. "libtorch-dev"
  std::string kind;       // "required", "optional" or "sanitizers" (the lock's line prefix)
  std::string pinned;     // version in the lock
  std::string installed;  // installed version, or "absent" (optional/sanitizers not installed)
};

struct BuildInfo {
  std::string libtorch;      // e.g. "1.13.0" (TORCH_VERSION of the headers compiled against)
  bool libtorch_cuda = false;  // whether the linked LibTorch has CUDA support
  std::string abseil;        // LTS release, e.g. "20220623.1"
  std::string protobuf;      // e.g. "3.21.12"
  std::string opencv;        // e.g. "4.6.0"
  std::string compiler;      // e.g. "GCC 12.2.0"
  long cxx_standard = 0;     // __cplusplus
  // Every lock entry in lock order. installed == pinned for each installed package unless
  // unpinned_override allows otherwise.
  std::vector<PackageVersion> packages;
  // SHA-256 (64 hex digits) of the text "<name>=<installed>\n" over `packages` in order, followed
  // by "LIBTORCH_HOME=<dir>\n" when the build used LIBTORCH_HOME.
  std::string inputs_sha256;
  // --repo_env=LASNN_UNPINNED at build time ("" when the build kept to the pins).
  std::string unpinned_override;
};

// The build's versions (computed once).
const BuildInfo& GetBuildInfo();

// Name/value pairs in a fixed order, for printing: the header-derived versions, then "inputs"
// (inputs_sha256) and "unpinned" (unpinned_override, "none" when empty).
std::vector<std::pair<std::string, std::string>> BuildInfoFields(const BuildInfo& info);

// Parses the pins check's table: one line a package, "name<TAB>kind<TAB>pinned<TAB>installed";
// blank lines are skipped. Lines with another number of fields are skipped as well (the table is
// generated, never hand-written).
std::vector<PackageVersion> ParsePackageTable(const std::string& table);

}  // namespace lasnn

#endif  // LASNN_UTIL_BUILD_INFO_H_
