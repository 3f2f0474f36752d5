// Prints the versions this build was compiled against (the provenance run records carry): the
// header-derived versions, the hash of the build's inputs, the LASNN_UNPINNED override, and every
// package of tools/build/packages.lock with its pinned and installed versions.
#include <cstdio>

#include "util/build_info.h"

int main() {
  const lasnn::BuildInfo& info = lasnn::GetBuildInfo();
  for (const auto& [name, value] : lasnn::BuildInfoFields(info)) {
    std::printf("%-10s %s\n", name.c_str(), value.c_str());
  }
  std::printf("\nDebian packages (tools/build/packages.lock) as the pins check saw them:\n");
  std::printf("%-26s %-11s %-28s %s\n", "package", "kind", "pinned", "installed");
  for (const lasnn::PackageVersion& p : info.packages) {
    std::printf("%-26s %-11s %-28s %s%s\n", p.name.c_str(), p.kind.c_str(), p.pinned.c_str(),
                p.installed.c_str(),
                p.installed == p.pinned || p.installed == "absent" ? "" : "  (differs)");
  }
  return 0;
}
