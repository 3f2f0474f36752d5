#include "util/sha256.h"

#include <openssl/evp.h>

#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(std::string contents, ReadFileToString(path));
  return Sha256Hex(contents);
}

}  // namespace lasnn
