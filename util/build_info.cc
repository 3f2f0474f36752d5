#include "util/build_info.h"

#include <ATen/Context.h>
#include <absl/base/config.h>
#include <google/protobuf/stubs/common.h>
#include <opencv2/core/version.hpp>
#include <torch/csrc/api/include/torch/version.h>

#include "absl/strings/str_cat.h"

namespace lasnn {

extern const char kPackagesLock[];

namespace {

std::string CompilerVersion() {
#if defined(__clang__)
  return absl::StrCat("Clang ", __clang_major__, ".", __clang_minor__, ".", __clang_patchlevel__);
#elif defined(__GNUC__)
  return absl::StrCat("GCC ", __GNUC__, ".", __GNUC_MINOR__, ".", __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

BuildInfo Compute() {
  BuildInfo info;
  info.libtorch = TORCH_VERSION;
  info.libtorch_cuda = at::hasCUDA();
  info.abseil = absl::StrCat(ABSL_LTS_RELEASE_VERSION, ".", ABSL_LTS_RELEASE_PATCH_LEVEL);
  const int pb = GOOGLE_PROTOBUF_VERSION;
  info.protobuf = absl::StrCat(pb / 1000000, ".", (pb / 1000) % 1000, ".", pb % 1000);
  info.opencv = CV_VERSION;
  info.compiler = CompilerVersion();
  info.cxx_standard = __cplusplus;
  info.packages_lock = kPackagesLock;
  return info;
}

}  // namespace

const BuildInfo& GetBuildInfo() {
  static const BuildInfo* const info = new BuildInfo(Compute());
  return *info;
}

std::vector<std::pair<std::string, std::string>> BuildInfoFields(const BuildInfo& info) {
  return {
      {"libtorch", absl::StrCat(info.libtorch, info.libtorch_cuda ? " (CUDA)" : " (CPU)")},
      {"abseil", info.abseil},
      {"protobuf", info.protobuf},
      {"opencv", info.opencv},
      {"compiler", info.compiler},
      {"c++", absl::StrCat(info.cxx_standard)},
  };
}

}  // namespace lasnn
