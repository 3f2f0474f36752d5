// Test helper: paths under the test's private scratch directory ($TEST_TMPDIR, set by
// `bazel test`; /tmp when a test binary is run by hand).
#ifndef LASNN_UTIL_TEST_TMPDIR_H_
#define LASNN_UTIL_TEST_TMPDIR_H_

#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "util/file_util.h"

namespace lasnn {

// `name` joined to the scratch directory; the directory itself for an empty name.
inline std::string TestTmpPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return JoinPath(dir != nullptr ? dir : "/tmp", name);
}

}  // namespace lasnn

#endif  // LASNN_UTIL_TEST_TMPDIR_H_
