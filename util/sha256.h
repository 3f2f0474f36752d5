// SHA-256 digests (OpenSSL's libcrypto) as lowercase hex: checkpoint and weights checksums,
// config hashes that name run records, and archive verification.
#ifndef LASNN_UTIL_SHA256_H_
#define LASNN_UTIL_SHA256_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lasnn {

// 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view data);

// Digest of a file's contents; errors as ReadFileToString (NotFound, ... naming the path).
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace lasnn

#endif  // LASNN_UTIL_SHA256_H_
