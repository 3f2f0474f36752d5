// gzip (RFC 1952) decompression and compression with zlib, for dataset files that may be
// stored either gzip-compressed or plain (Fashion-MNIST IDX files).
#ifndef LASNN_DATASETS_GZIP_UTIL_H_
#define LASNN_DATASETS_GZIP_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lasnn::datasets {

// True if `bytes` starts with the gzip magic 1f 8b.
bool IsGzip(absl::string_view bytes);

// If `bytes` starts with the gzip magic, returns its decompressed contents (all concatenated
// members); otherwise returns `bytes` unchanged. DataLoss naming `path` (the file the bytes came
// from) for a corrupt or truncated stream or trailing garbage.
absl::StatusOr<std::string> MaybeGunzip(std::string bytes, const std::string& path);

// `data` as one gzip member (default compression level). Internal on a zlib failure.
absl::StatusOr<std::string> GzipCompress(absl::string_view data);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_GZIP_UTIL_H_
