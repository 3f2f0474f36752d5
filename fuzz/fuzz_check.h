// Checks for fuzz targets: a failed check prints the condition and aborts, which libFuzzer (and
// the standalone driver, through the abort) reports as a crash with the input that caused it.
#ifndef LASNN_FUZZ_FUZZ_CHECK_H_
#define LASNN_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"

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

}  // namespace lasnn::fuzz

#endif  // LASNN_FUZZ_FUZZ_CHECK_H_
