// Prints the versions this build was compiled against (the provenance run records carry).
#include <cstdio>

#include "util/build_info.h"

int main() {
  const lasnn::BuildInfo& info = lasnn::GetBuildInfo();
  for (const auto& [name, value] : lasnn::BuildInfoFields(info)) {
    std::printf("%-10s %s\n", name.c_str(), value.c_str());
  }
  std::printf("\npinned Debian packages (tools/packages.lock):\n%s", info.packages_lock.c_str());
  return 0;
}
