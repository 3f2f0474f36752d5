// Checks for fuzz targets: a failed check prints the condition and aborts, which libFuzzer (and
// the standalone driver, through the abort) reports as a crash with the input that caused it.
#ifndef LASNN_FUZZ_FUZZ_CHECK_H_
#define LASNN_FUZZ_FUZZ_CHECK_H_

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "util/file_util.h"

#define LASNN_FUZZ_CHECK(cond)                                                          \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace lasnn::fuzz {

// An error about an input must say which file it is about.
inline bool NamesPath(const absl::Status& status, const std::string& path) {
  if (absl::StrContains(status.message(), path)) return true;
  std::fprintf(stderr, "error does not name '%s': %s\n", path.c_str(), status.ToString().c_str());
  return false;
}

// For targets whose parser reads a path: one scratch file per process, in the test's temporary
// directory.
inline const std::string& ScratchPath(absl::string_view name) {
  static const std::string* path = [name] {
    const char* dir = std::getenv("TEST_TMPDIR");
    if (dir == nullptr) dir = std::getenv("TMPDIR");
    return new std::string(
        JoinPath(dir != nullptr ? dir : "/tmp", absl::StrCat(name, "_", getpid(), ".pt")));
  }();
  return *path;
}

// Writes the input to ScratchPath(name) and returns that path; aborts if it cannot.
inline const std::string& WriteScratchFile(absl::string_view name, const uint8_t* data,
                                           size_t size) {
  const std::string& path = ScratchPath(name);
  const absl::Status written =
      WriteFileAtomically(path, absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!written.ok()) {
    std::fprintf(stderr, "fuzz target: %s\n", written.ToString().c_str());
    std::abort();
  }
  return path;
}

}  // namespace lasnn::fuzz

#endif  // LASNN_FUZZ_FUZZ_CHECK_H_
